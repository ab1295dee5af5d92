/*
 * Lab 05 - pinger: the client.  Usage: client HOST PORT [COUNT [TIMEOUT_MS]]
 *
 * Your task: send COUNT datagrams (default 10), one after another,
 * "PING seq time" with seq 1, 2, 3...; after each, wait up to TIMEOUT_MS
 * (default 1000) for ITS reply, the datagram with the same seq, ignoring
 * anything else that arrives; print "seq=N rtt=X ms" or "seq=N timeout";
 * at the end "S sent, R received, L% loss" and, if anything came back,
 * "rtt min/avg/max = A/B/C ms"; exit 0.  Read handouts/05-pinger.md
 * first.  Checking the arguments is done for you; the numbered TODOs walk
 * you through the rest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "netlab.h"

#define DEFAULT_COUNT 10
#define DEFAULT_TIMEOUT_MS 1000
#define MAX_COUNT 1000000
#define MAX_TIMEOUT_MS 3600000

/* The whole number from 1 to MAX that S spells, or -1. */
static long
parse_positive(const char *s, long max)
{
    char *end;

    if (s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || n < 1 || n > max)
        return -1;
    return n;
}

/*
 * TODO 1. A clock: clock_gettime(CLOCK_MONOTONIC, &ts), as microseconds
 *    in an int64_t.  Monotonic, not the wall clock (gettimeofday,
 *    CLOCK_REALTIME): that one may jump while you measure.
 *
 * TODO 2. A function that tells the seq of a reply: the datagram (n
 *    bytes, not a string: it may hold anything) must start "PING ",
 *    then digits, then a space or its end; return the number, or -1 for
 *    anything else.
 */

int
main(int argc, char *argv[])
{
    long count = DEFAULT_COUNT, timeout_ms = DEFAULT_TIMEOUT_MS;

    if (argc < 3 || argc > 5 || parse_port(argv[2]) == -1 ||
        (argc > 3 && (count = parse_positive(argv[3], MAX_COUNT)) == -1) ||
        (argc > 4 && (timeout_ms = parse_positive(argv[4], MAX_TIMEOUT_MS)) == -1)) {
        fprintf(stderr,
                "usage: client HOST PORT [COUNT [TIMEOUT_MS]]   (COUNT: 1 to %d, "
                "default %d; TIMEOUT_MS: 1 to %d, default %d)\n",
                MAX_COUNT, DEFAULT_COUNT, MAX_TIMEOUT_MS, DEFAULT_TIMEOUT_MS);
        return 2;
    }
    const char *host = argv[1], *port = argv[2];

    /*
     * TODO 3. setvbuf(stdout, NULL, _IOLBF, 0), then connect_udp(host,
     *    port, err); on -1 print "client: " and err on stderr, return 1.
     *    A connected UDP socket sends with plain send() and only receives
     *    datagrams from the server's address.
     *
     * TODO 4. For seq = 1 to count: note the time `sent` (TODO 1) and
     *    send "PING <seq> <sent>" with send().  If send fails with
     *    ECONNREFUSED, send once more: that error reports an earlier
     *    datagram that was refused, and this one was not sent.
     *
     * TODO 5. Wait for the reply to THIS seq, until deadline = sent +
     *    timeout.  In a loop: left = deadline - now; if left <= 0, it is
     *    a timeout; else poll() the socket for POLLIN with left in
     *    milliseconds (rounded up) as its timeout, and when it is
     *    readable, recv(fd, buf, 65536, MSG_DONTWAIT).  A datagram whose
     *    seq (TODO 2) is not this one (a duplicate, a late reply to an
     *    earlier ping, garbage) is ignored: go round, with the SAME
     *    deadline.  -1 with ECONNREFUSED or EINTR: go round too.
     *    No sleep() anywhere: poll does the waiting.
     *
     * TODO 6. The reply came: rtt = (now - sent) in milliseconds, as a
     *    double; print "seq=N rtt=X.XXX ms" and keep the count, the sum,
     *    the minimum and the maximum.  Else print "seq=N timeout".
     *
     * TODO 7. The summary: "S sent, R received, L% loss" with L computed
     *    in floating point (100.0 * lost / sent: with ints, 2 / 6 is 0),
     *    and only if R > 0: "rtt min/avg/max = A/B/C ms" (avg = sum / R).
     *    Close the socket, return 0.  Any other error: one line on
     *    stderr, return 1.
     */
    (void)host;
    (void)port;
    (void)count;
    (void)timeout_ms;
    fprintf(stderr, "client: not implemented yet — see the TODOs in client.c\n");
    return 1;
}
