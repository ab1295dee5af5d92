/*
 * Lab 02 - echo: the server.  Usage: server PORT
 *
 * Your task: serve clients one after another, sending back every byte
 * each one sends until it closes, then take the next one; log each
 * connect and disconnect; stop with status 0 on Ctrl-C and SIGTERM.
 * Read handouts/02-echo.md first.  Checking the arguments is done for
 * you; the numbered TODOs in main walk you through the rest.  From this
 * lab on, use the helpers of netlab.h for the setup you wrote in lab 01.
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
     * TODO 1. Signals, with sigaction (see "man 2 sigaction"):
     *    - SIGPIPE: SIG_IGN.  A client that resets mid-stream must give
     *      you a send error (EPIPE), not kill the whole server.
     *    - SIGINT and SIGTERM: a handler that only sets a flag of type
     *      `static volatile sig_atomic_t`.  Leave SA_RESTART out of
     *      sa_flags: then a blocked accept() or recv() returns -1 with
     *      errno EINTR when the signal comes, and your loops can check
     *      the flag and end.
     *    (Write it out here, once: from lab 03 on, catch_stop_signals in
     *    netlab.h does the same in one call.)
     *
     * TODO 2. setvbuf(stdout, NULL, _IOLBF, 0): stdout is fully buffered
     *    when it is not a terminal, and each log line must leave at once.
     *
     * TODO 3. listen_tcp(port, err) opens the listening socket (what you
     *    did by hand in lab 01).  On -1, print "server: " and err on
     *    stderr and return 1.
     *
     * TODO 4. The loop, until the flag is set: accept() a client.  If
     *    accept fails with EINTR, go round (the loop test sees the flag);
     *    another error: log it and go on.
     *
     * TODO 5. For each client: peer_name(fd, buf, sizeof buf) gives its
     *    address; print one line such as "connection from ADDR".
     *
     * TODO 6. Echo until the client closes: recv into a buffer, then
     *    send_all exactly the n bytes you got, and again, until recv
     *    returns 0 (the client closed) or -1 (an error, or EINTR from the
     *    stop signal).  Pitfalls:
     *    - the data is bytes, not text: it may contain '\0', so never use
     *      string functions (strlen, printf %s) on it;
     *    - send may write fewer bytes than asked: send_all loops for you;
     *    - use recv, not read_some, here: read_some retries EINTR, so it
     *      would not return when the stop signal arrives;
     *    - on any error with this client, just stop serving it.
     *
     * TODO 7. Log "ADDR disconnected" (with the cause if there was an
     *    error: strerror(errno)), close the client socket (else the
     *    server leaks a descriptor per client) and take the next one.
     *
     * TODO 8. After the loop: close the listening socket and return 0.
     */
    (void)port;
    fprintf(stderr, "server: not implemented yet — see the TODOs in server.c\n");
    return 1;
}
