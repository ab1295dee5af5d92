/*
 * Lab 02 - echo: the client.  Usage: client HOST PORT
 *
 * Your task: send each line of stdin to the echo server and print its
 * echo before reading the next line; at the end of stdin, half-close the
 * connection, print whatever the server still sends, and exit 0 when the
 * server closes.  Read handouts/02-echo.md first.  Checking the arguments
 * is done for you; the numbered TODOs in main walk you through the rest.
 * From this lab on, use the helpers of netlab.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "netlab.h"

int
main(int argc, char *argv[])
{
    if (argc != 3 || parse_port(argv[2]) == -1) {
        fprintf(stderr, "usage: client HOST PORT\n");
        return 2;
    }
    const char *host = argv[1], *port = argv[2];

    /*
     * TODO 1. signal(SIGPIPE, SIG_IGN): a server that vanishes must give
     *    you an error to report, not kill the client.
     *
     * TODO 2. connect_tcp(host, port, err) tries every address of HOST
     *    (what you did by hand in lab 01).  On -1, print "client: " and
     *    err on stderr and return 1.
     *
     * TODO 3. Read stdin line by line with getline(&line, &size, stdin):
     *    it grows its buffer, so lines of any length work, and it returns
     *    the length, which counts a '\0' inside the line too (so do not
     *    use strlen).  The last line may lack its '\n': send it as it is.
     *
     * TODO 4. Send each line whole with send_all (send may take fewer
     *    bytes than asked).
     *
     * TODO 5. Print its echo before reading the next line.  Pitfall: the
     *    echo of n bytes may come back in several pieces, so loop: read
     *    with read_some and write what came to stdout with
     *    write_all(STDOUT_FILENO, ...) until n bytes in all are back.  If
     *    read_some returns 0 first, the server has closed: report it.
     *
     * TODO 6. At the end of stdin, half-close: shutdown(fd, SHUT_WR).
     *    The server's recv then returns 0, but you can still read what it
     *    sends back, which close() would throw away.
     *
     * TODO 7. Print everything that still arrives until read_some returns
     *    0 (the server closed), then free the line, close the socket and
     *    return 0.  Any error on the way: one line on stderr, return 1.
     */
    (void)host;
    (void)port;
    fprintf(stderr, "client: not implemented yet — see the TODOs in client.c\n");
    return 1;
}
