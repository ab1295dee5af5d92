/*
 * Lab 03 - chat: the server.  Usage: server PORT
 * Waits for one peer, then chats with it: each line typed here goes to the
 * peer, each line the peer types is printed as "peer: LINE".  The chat
 * itself is in chat.c, shared with the client; this file only gets the
 * connection.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
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
    if (argc != 2 || parse_port(argv[1]) == -1) {
        fprintf(stderr, "usage: server PORT\n");
        return 2;
    }
    char err[NET_ERRLEN];

    if (catch_stop_signals(&stop_requested) == -1) {
        fprintf(stderr, "server: sigaction: %s\n", strerror(errno));
        return 1;
    }

    int listener = listen_tcp(argv[1], err);
    if (listener == -1) {
        fprintf(stderr, "server: %s\n", err);
        return 1;
    }
    /* A client that gave up during the handshake (ECONNABORTED) is not
     * the peer we wait for: wait for the next one.  A stop signal ends the
     * wait: EINTR, with the flag set. */
    int sock;
    do
        sock = accept(listener, NULL, NULL);
    while (sock == -1 && !stop_requested && (errno == EINTR || errno == ECONNABORTED));
    if (sock == -1 && stop_requested) {
        close(listener);
        return 0;
    }
    if (sock == -1) {
        fprintf(stderr, "server: accept on port %s: %s\n", argv[1], strerror(errno));
        close(listener);
        return 1;
    }
    /* One peer only: stop listening, so that a second client is refused
     * at once rather than left waiting in the backlog. */
    close(listener);

    int rc = chat(sock, &stop_requested, err);
    if (rc == -1)
        fprintf(stderr, "server: %s\n", err);
    close(sock);
    return rc == 0 ? 0 : 1;
}
