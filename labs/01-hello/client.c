/*
 * Lab 01 - hello: the client.  Usage: client HOST PORT [MESSAGE]
 *
 * Your task: connect to HOST PORT, send MESSAGE (by default "hello from
 * the client") followed by "\n", print what the server answers until it
 * closes the connection, and exit 0.  Read handouts/01-hello.md first.  Checking the arguments is
 * done for you (parse_port, from netlab.h); the numbered TODOs in main
 * walk you through the rest.  Make every socket call yourself in this lab.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlab.h"

#define MAX_LINE 1024 /* room for a line, its "\n" and a NUL */

int
main(int argc, char *argv[])
{
    if ((argc != 3 && argc != 4) || parse_port(argv[2]) == -1 ||
        (argc == 4 && strlen(argv[3]) > MAX_LINE - 2)) {
        fprintf(stderr, "usage: client HOST PORT [MESSAGE of at most %d bytes]\n",
                MAX_LINE - 2);
        return 2;
    }
    const char *host = argv[1], *port = argv[2];
    const char *message = argc == 4 ? argv[3] : "hello from the client";

    /*
     * TODO 1. signal(SIGPIPE, SIG_IGN): otherwise a send to a server that
     *    has already gone kills the client silently.
     *
     * TODO 2. Resolve: getaddrinfo(host, port, &hints, &res) with hints
     *    ai_family = AF_UNSPEC (IPv4 or IPv6, whatever HOST has) and
     *    ai_socktype = SOCK_STREAM.  Its errors are not errno values:
     *    print them with gai_strerror(rc).
     *
     * TODO 3. Connect.  Pitfall: a name may have several addresses
     *    ("localhost" is often ::1 and 127.0.0.1) and the server may
     *    listen on only one of them.  So for each address in the list:
     *    socket(), connect(); stop at the first that works, and close the
     *    socket of each one that fails.  Then freeaddrinfo(res).
     *
     * TODO 4. If none worked, print ONE line on stderr naming the
     *    operation, the endpoint and the cause, e.g.
     *    "client: connect to localhost port 9: Connection refused"
     *    (strerror(errno), never the raw number), and return 1.
     *
     * TODO 5. Send message and "\n" (build the line in a buffer of
     *    MAX_LINE bytes with snprintf) with send_all (netlab.h): send may
     *    move fewer bytes than asked, and send_all loops until all are gone.
     *
     * TODO 6. Print the reply.  Pitfall: one recv is NOT the whole reply.
     *    TCP is a byte stream, and the reply may arrive in pieces, so
     *    call recv in a loop and print each piece as it comes (fwrite: the
     *    bytes are not a C string, recv adds no '\0'), until recv returns
     *    0: the server closed the connection, the reply is complete.
     *
     * TODO 7. Close the socket and return 0.
     */
    (void)host;
    (void)port;
    (void)message;
    fprintf(stderr, "client: not implemented yet — see the TODOs in client.c\n");
    return 1;
}
