/*
 * Lab 01 - hello: the server.  Usage: server PORT
 *
 * Your task: wait for one client, read one line from it, print
 * "received: LINE" on stdout, answer "hello from the server\n", close
 * and exit 0.  Read handouts/01-hello.md first.  Checking the arguments
 * is done for you (parse_port, from netlab.h); the numbered TODOs in main
 * walk you through the rest.  Make every socket call yourself in this lab.
 */
#include <stdio.h>
#include <stdlib.h>

#include "netlab.h"

int
main(int argc, char *argv[])
{
    if (argc != 2 || parse_port(argv[1]) == -1) {
        fprintf(stderr, "usage: server PORT\n");
        return 2;
    }
    const char *port = argv[1];

    /*
     * TODO 1. Signals.  signal(SIGPIPE, SIG_IGN): otherwise a send to a
     *    client that has already gone kills the server silently.  Also
     *    make SIGINT and SIGTERM end the program with status 0: a handler
     *    that calls _exit(0) is enough here (exit() is not safe in one).
     *
     * TODO 2. Find the address to listen on: getaddrinfo(NULL, port, ...)
     *    with hints ai_family = AF_INET6, ai_socktype = SOCK_STREAM and
     *    ai_flags = AI_PASSIVE (NULL host + AI_PASSIVE = every local
     *    address, "::").  Its errors are not errno values: print them with
     *    gai_strerror(rc).  Call freeaddrinfo when done with the list.
     *
     * TODO 3. For each address in the list until one works: socket(),
     *    then setsockopt SO_REUSEADDR = 1 (else a restarted server fails
     *    with "Address already in use" for a minute), then for IPv6
     *    IPV6_V6ONLY = 0 (so the one socket also accepts IPv4 clients),
     *    then bind() and listen().  On a failure, close the socket and try
     *    the next address.  If IPv6 gives nothing (a host without IPv6),
     *    do TODO 2 and 3 again with AF_INET.
     *
     * TODO 4. If nothing worked, print ONE line on stderr that names the
     *    operation, the port and the cause, e.g.
     *    "server: listen on port 8080: Address already in use"
     *    (strerror(errno), never the raw number), and return 1.
     *
     * TODO 5. accept() one client.  Then close the listening socket: this
     *    server serves one client only.
     *
     * TODO 6. Read one line.  Pitfall: one recv is NOT one line.  TCP is a
     *    byte stream, and the line may arrive in several pieces, so call
     *    recv in a loop, appending to a buffer, until you find '\n' (or
     *    recv returns 0: the client closed).  Never read past the end of
     *    your buffer: a too long line is an error you report.  Drop the
     *    '\n', and a '\r' just before it (sent by nc -C and telnet).
     *    recv does not add a '\0': add it yourself before printing.
     *
     * TODO 7. printf("received: %s\n", line).
     *
     * TODO 8. Send "hello from the server\n" with send_all (netlab.h):
     *    like recv, send may move fewer bytes than asked, and send_all
     *    loops until all are gone.  Check for -1, close the client socket
     *    and return 0.
     */
    (void)port;
    fprintf(stderr, "server: not implemented yet — see the TODOs in server.c\n");
    return 1;
}
