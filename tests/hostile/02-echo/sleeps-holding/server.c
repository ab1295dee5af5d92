/* Accepts a connection, then sleeps forever holding it. */
#include "hostile.h"

int main(int argc, char **argv)
{
    int listener = listen_on(port_argument(argc, argv));
    int conn = accept(listener, NULL, NULL);
    for (;;)
        pause();
    close(conn);
}
