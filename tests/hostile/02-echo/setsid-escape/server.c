/* A correct echo server that first leaves behind a grandchild in a session
 * of its own: out of its process group, orphaned, asleep forever. */
#include "hostile.h"

int main(int argc, char **argv)
{
    int port = port_argument(argc, argv);
    if (fork() == 0) {
        setsid();
        if (fork() == 0)
            for (;;)
                pause();
        _exit(0);
    }
    serve_echo(listen_on(port));
}
