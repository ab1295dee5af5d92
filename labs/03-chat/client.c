/*
 * Lab 03 - chat: the client.  Usage: client HOST PORT
 *
 * This file is complete: it checks the arguments, gets a connected socket
 * with the helpers you used in lab 02, and calls chat().  Your work is in
 * chat.c, which the server shares: once connected, both programs chat
 * the same way.  Read handouts/03-chat.md first.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "chat.h"
#include "netlab.h"

int
main(int argc, char *argv[])
{
    if (argc != 3 || parse_port(argv[2]) == -1) {
        fprintf(stderr, "usage: client HOST PORT\n");
        return 2;
    }
    char err[NET_ERRLEN];

    /* A peer that vanishes must make send fail, not kill us. */
    signal(SIGPIPE, SIG_IGN);

    int sock = connect_tcp(argv[1], argv[2], err);
    if (sock == -1) {
        fprintf(stderr, "client: %s\n", err);
        return 1;
    }
    int rc = chat(sock, err);
    if (rc == -1)
        fprintf(stderr, "client: %s\n", err);
    close(sock);
    return rc == 0 ? 0 : 1;
}
