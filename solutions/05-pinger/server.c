/*
 * Lab 05 - pinger: the server.  Usage: server PORT [LOSS]
 * Answers every UDP datagram with the same bytes, upper-cased, sent back
 * to whoever sent it.  There is no connection: one socket serves every
 * client, datagram by datagram, and the sender's address comes with each
 * one.  With LOSS (0.0 to 1.0) it drops that fraction of the datagrams at
 * random, so that a client can be tried against loss.  Logs one line per
 * datagram.  Stops on Ctrl-C or SIGTERM with status 0.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netlab.h"

/*
 * Room for the largest datagram there is: 65535 bytes of IP packet minus
 * the headers gives 65507 bytes of data over IPv4 (65527 over IPv6).  A
 * smaller buffer does not make recvfrom fail: it silently cuts the
 * datagram, and the rest is lost.
 */
#define MAX_DATAGRAM 65536

/* Set by SIGINT and SIGTERM through catch_stop_signals (netlab.h), which
 * installs the handler without SA_RESTART: the blocked recvfrom then fails
 * with EINTR, the loop sees the flag, and main closes the socket and exits
 * 0.  It also ignores SIGPIPE, which is harmless here: sendto on a UDP
 * socket has no connection to lose and never raises it, and a log line
 * written to a closed pipe fails instead of killing the server. */
static volatile sig_atomic_t stop_requested;

/*
 * The fraction of datagrams to drop that S spells: a number from 0 to 1,
 * all of S used ("0.5x" and "" are refused).  Returns it, or -1.
 */
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
 * Writes the address of a datagram's sender into BUF as "ADDR:PORT"
 * ("[ADDR]:PORT" for IPv6), numerically: a name lookup for every datagram
 * would slow the server down to the speed of DNS.  The socket is dual
 * stack, so an IPv4 sender shows as ::ffff:a.b.c.d; it is shown as IPv4.
 */
static void
sender_name(const struct sockaddr_storage *from, socklen_t len, char *buf, size_t size)
{
    struct sockaddr_in v4;
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)from;
    char host[INET6_ADDRSTRLEN], port[8];

    if (from->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
        memset(&v4, 0, sizeof v4);
        v4.sin_family = AF_INET;
        v4.sin_port = v6->sin6_port;
        memcpy(&v4.sin_addr, &v6->sin6_addr.s6_addr[12], 4);
        from = (const struct sockaddr_storage *)&v4;
        len = sizeof v4;
    }
    if (getnameinfo((const struct sockaddr *)from, len, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        snprintf(buf, size, "?");
    else if (from->ss_family == AF_INET6)
        snprintf(buf, size, "[%s]:%s", host, port);
    else
        snprintf(buf, size, "%s:%s", host, port);
}

/* Upper-cases LEN bytes in place.  The data is bytes, not a string: it
 * may hold '\0', so the length decides, never a terminator. */
static void
upper_case(char *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        data[i] = (char)toupper((unsigned char)data[i]);
}

/* Whether to drop this datagram: true for a fraction LOSS of them, at
 * random.  The draw is in [0, 1), so a LOSS of 0 drops none, 1 all. */
static int
dropped(double loss)
{
    return loss > 0.0 && rand() / (RAND_MAX + 1.0) < loss;
}

/*
 * Serves datagrams until a stop signal: each is upper-cased and sent back
 * to its own sender, whichever client that is; that is all the state a
 * UDP server needs.  An empty datagram is a datagram like any other:
 * recvfrom returning 0 does not mean a peer left (there is no peer).
 * Errors with one datagram are logged and the server goes on.
 */
static void
serve(int fd, double loss)
{
    static char data[MAX_DATAGRAM];
    char who[NET_ADDRLEN];

    while (!stop_requested) {
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof from;
        ssize_t n = recvfrom(fd, data, sizeof data, 0, (struct sockaddr *)&from, &fromlen);
        if (n == -1) {
            if (errno != EINTR)
                printf("recvfrom: %s\n", strerror(errno));
            continue;
        }
        sender_name(&from, fromlen, who, sizeof who);
        if (dropped(loss)) {
            printf("%s: %zd bytes, dropped\n", who, n);
            continue;
        }
        upper_case(data, (size_t)n);
        if (sendto(fd, data, (size_t)n, 0, (struct sockaddr *)&from, fromlen) == -1)
            printf("%s: %zd bytes, not answered: %s\n", who, n, strerror(errno));
        else
            printf("%s: %zd bytes, answered\n", who, n);
    }
}

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
    char err[NET_ERRLEN];

    if (catch_stop_signals(&stop_requested) == -1) {
        fprintf(stderr, "server: sigaction: %s\n", strerror(errno));
        return 1;
    }
    /* Each log line must leave at once, even when stdout is a pipe. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* A different sequence of drops every run. */
    srand((unsigned)time(NULL) ^ (unsigned)getpid());

    int fd = bind_udp(argv[1], err);
    if (fd == -1) {
        fprintf(stderr, "server: %s\n", err);
        return 1;
    }
    serve(fd, loss);
    close(fd);
    return 0;
}
