/*
 * Lab 05 - pinger: the server.  Usage: server PORT [LOSS]
 *
 * Your task: answer every UDP datagram with the same bytes, upper-cased,
 * sent back to whoever sent it, from any number of clients; with LOSS
 * (0.0 to 1.0) drop that fraction of the datagrams at random instead of
 * answering; log one line per datagram; stop with status 0 on Ctrl-C and
 * SIGTERM.  Read handouts/05-pinger.md first.  Checking the arguments is
 * done for you; the numbered TODOs walk you through the rest.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "netlab.h"

/* The fraction of datagrams to drop that S spells: a number from 0 to 1,
 * all of S used.  Returns it, or -1. */
static double
parse_loss(const char *s)
{
    char *end;

    errno = 0;
    double loss = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || isnan(loss) || loss < 0.0 || loss > 1.0)
        return -1.0;
    return loss;
}

/*
 * TODO 1. A buffer for one datagram, big enough for the largest there is:
 *    65507 bytes of data over IPv4 (make it 65536).  recvfrom does not
 *    fail when a datagram is longer than the buffer: it cuts it, and the
 *    rest is gone.  Make it static (or malloc it): 64 KiB is a lot for
 *    the stack of a function called often.
 *
 * TODO 2. Signals: a `static volatile sig_atomic_t` flag at file scope,
 *    for catch_stop_signals(&flag) (netlab.h), which does what your
 *    sigaction code of lab 02 did: SIGINT and SIGTERM set the flag,
 *    WITHOUT SA_RESTART, so that a blocked recvfrom returns -1 with errno
 *    EINTR and the loop can see the flag.  (It also ignores SIGPIPE,
 *    which is harmless here: UDP has no connection to break.)
 */

int
main(int argc, char *argv[])
{
    double loss = 0.0;

    if (argc < 2 || argc > 3 || parse_port(argv[1]) == -1 ||
        (argc == 3 && (loss = parse_loss(argv[2])) < 0.0)) {
        fprintf(stderr, "usage: server PORT [LOSS]   (LOSS: 0.0 to 1.0, the fraction "
                        "of datagrams to drop)\n");
        return 2;
    }
    const char *port = argv[1];

    /*
     * TODO 3. Call catch_stop_signals (TODO 2); on -1, one line on
     *    stderr and return 1;
     *    setvbuf(stdout, NULL, _IOLBF, 0), so that each log line leaves
     *    at once; srand(time(NULL) ^ getpid()) for the drops.
     *
     * TODO 4. bind_udp(port, err) opens the socket.  On -1 print "server: "
     *    and err on stderr and return 1.  No listen, no accept: there is no
     *    connection; this one socket receives the datagrams of every client.
     *
     * TODO 5. The loop, until the flag is set: recvfrom(fd, buf, size, 0,
     *    (struct sockaddr *)&from, &fromlen), with a struct
     *    sockaddr_storage from (big enough for IPv4 and IPv6) and fromlen
     *    set to sizeof from BEFORE EVERY CALL (recvfrom overwrites it).
     *    -1 with EINTR: go round; another error: log it and go on.
     *    0 is an empty datagram, not the end of anything: answer it too.
     *
     * TODO 6. Dropping: if loss > 0 and rand() / (RAND_MAX + 1.0) < loss,
     *    log "dropped" and take the next datagram.
     *
     * TODO 7. Upper-case the n bytes received (toupper((unsigned char)b)
     *    on each; the data may hold '\0', so trust n, not strlen), and
     *    sendto(fd, buf, n, 0, (struct sockaddr *)&from, fromlen): back to
     *    this datagram's sender, whoever it is.  Never connect() the
     *    socket to a client: it would then receive from that one alone.
     *    Log one line, such as "127.0.0.1:40312: 17 bytes, answered".
     *
     * TODO 8. After the loop: close the socket and return 0.
     */
    (void)port;
    (void)loss;
    fprintf(stderr, "server: not implemented yet — see the TODOs in server.c\n");
    return 1;
}
