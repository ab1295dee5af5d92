/* An echo server on the port after the one it was given. */
#include "hostile.h"

int main(int argc, char **argv)
{
    int port = port_argument(argc, argv);
    serve_echo(listen_on(port < 65535 ? port + 1 : port - 1));
}
