/*
 * Lab 03 - chat: the client.  Usage: client HOST PORT
 *
 * This file is complete: it checks the arguments, gets a connected socket
 * with the helpers you used in lab 02, and calls chat().  Your work is in
 * chat.c, which the server shares: once connected, both programs chat
 * the same way.  Read handouts/03-chat.md first.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "chat.h"
#include "netlab.h"

/* Set by SIGINT and SIGTERM through catch_stop_signals (netlab.h): a stop
 * asked for by the user, or by the system at shutdown.  The program then
 * closes the connection and exits 0. */
static volatile sig_atomic_t stop_requested;

int
main(int argc, char *argv[])
{
    if (argc != 3 || parse_port(argv[2]) == -1) {
        fprintf(stderr, "usage: client HOST PORT\n");
        return 2;
    }
    char err[NET_ERRLEN];

    if (catch_stop_signals(&stop_requested) == -1) {
        fprintf(stderr, "client: sigaction: %s\n", strerror(errno));
        return 1;
    }

    int sock = connect_tcp(argv[1], argv[2], err);
    if (sock == -1 && stop_requested)
        return 0; /* stopped while connecting: not a failure */
    if (sock == -1) {
        fprintf(stderr, "client: %s\n", err);
        return 1;
    }
    int rc = chat(sock, &stop_requested, err);
    if (rc == -1)
        fprintf(stderr, "client: %s\n", err);
    close(sock);
    return rc == 0 ? 0 : 1;
}
