/*
 * Lab 04 - threaded: the client.  Usage: client HOST PORT
 *
 * Your task: send each line of stdin to the server as a command, and
 * print every line the server sends as soon as it arrives: the replies,
 * and the MSG lines of other clients, which come at any time, also while
 * the user types nothing.  After "GET name", the reply "OK <size>" is
 * followed by exactly size raw bytes: save them in the file NAME in the
 * current folder.  At the end of stdin, send QUIT and exit 0 once the
 * server closes.  Read handouts/04-threaded.md first.  Checking the
 * arguments is done for you; the numbered TODOs walk you through the rest.
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
     * TODO 1. signal(SIGPIPE, SIG_IGN), then connect_tcp(host, port, err);
     *    on -1 print "client: " and err on stderr and return 1.
     *
     * TODO 2. The loop: poll() on two descriptors, STDIN_FILENO and the
     *    socket, both POLLIN, no timeout.  Never block on one of them
     *    alone: a broadcast must show while the user types nothing.
     *    (Another way: a second thread that only reads the socket.)
     *
     * TODO 3. The socket is readable: read_some into a buffer of your own
     *    and append the bytes to what is left from before.  Then use every
     *    complete line in it: print it (write_all on STDOUT_FILENO, and a
     *    "\n"), keep the rest for the next time.  Do not use stdio
     *    (fgets) on the socket: poll cannot see what stdio buffered.
     *
     * TODO 4. Replies come in the order of the commands, one line each;
     *    MSG lines are not replies.  Keep a queue of the commands you sent
     *    and are still owed a reply for, noting which are "GET name".
     *    When the reply to a GET is "OK <size>", the next size bytes (some
     *    may already be in your buffer, right after the line!) are the
     *    file: open NAME (O_WRONLY | O_CREAT | O_TRUNC) and write exactly
     *    those bytes, with write_all and the count, never string
     *    functions: the file may hold '\0' and '\n'.  Then print a line
     *    such as "saved NAME (SIZE bytes)".  Refuse to create a NAME with
     *    a '/' (read and drop its bytes instead).
     *
     * TODO 5. Stdin is readable: read_some from STDIN_FILENO (not getline:
     *    stdio may buffer lines that poll then cannot see), and send each
     *    complete line with its "\n" (send_all); note it in the queue.
     *
     * TODO 6. End of stdin (read_some returns 0): send "QUIT\n",
     *    shutdown(fd, SHUT_WR), and go on reading only the socket until
     *    the server closes: then close, and return 0.  Any error: one line
     *    on stderr, return 1.
     */
    (void)host;
    (void)port;
    fprintf(stderr, "client: not implemented yet — see the TODOs in client.c\n");
    return 1;
}
