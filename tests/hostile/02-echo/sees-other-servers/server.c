/*
 * An echo server that first looks for other servers on the machine: any
 * listening TCP socket, in /proc/net/tcp or tcp6, on a port not its own.
 * One it could see it could reach (to steal another check's answers or
 * spoil its data), so it gives up at once, status 3.  In a network of the
 * check's own there is none to see.
 */
#include "hostile.h"

/* Listening sockets in FILE (a /proc/net table) on a port other than OWN. */
static int count_listeners(const char *file, int own)
{
    FILE *f = fopen(file, "r");
    if (f == NULL)
        return 0;
    char line[512];
    int found = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned port, state;
        /* "  0: 0100007F:1F90 00000000:0000 0A ..."; 0A is LISTEN. */
        char *colon = strchr(line, ':');
        if (colon == NULL || (colon = strchr(colon + 1, ':')) == NULL ||
            sscanf(colon + 1, "%x %*s %x", &port, &state) != 2)
            continue;
        found += state == 0x0A && (int)port != own;
    }
    fclose(f);
    return found;
}

int main(int argc, char **argv)
{
    int port = port_argument(argc, argv);
    int others = count_listeners("/proc/net/tcp", port) +
                 count_listeners("/proc/net/tcp6", port);
    if (others > 0) {
        fprintf(stderr, "server: %d servers of others are in sight\n", others);
        return 3;
    }
    serve_echo(listen_on(port));
}
