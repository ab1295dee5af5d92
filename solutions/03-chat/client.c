/*
 * Lab 03 - chat: the client.  Usage: client HOST PORT
 * Connects to the chat server, then chats with it: each line typed here
 * goes to the peer, each line the peer types is printed as "peer: LINE".
 * The chat itself is in chat.c, shared with the server; this file only
 * gets the connection.
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
