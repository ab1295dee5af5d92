/* A correct echo server that ignores SIGTERM and SIGINT. */
#include <signal.h>

#include "hostile.h"

int main(int argc, char **argv)
{
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    serve_echo(listen_on(port_argument(argc, argv)));
}
