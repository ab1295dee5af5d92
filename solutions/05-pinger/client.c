/*
 * Lab 05 - pinger: the client.  Usage: client HOST PORT [COUNT [TIMEOUT_MS]]
 * Sends COUNT datagrams (default 10), one at a time, "PING seq time", and
 * waits up to TIMEOUT_MS (default 1000) after each for its reply: the
 * datagram that carries the same seq.  UDP may lose a datagram, deliver it
 * twice, or deliver it late, and anyone may send us one: so a reply is
 * taken for the current ping only if its seq says so, and each ping's
 * deadline counts from its send, whatever arrives meanwhile.  Prints
 * "seq=N rtt=X ms" or "seq=N timeout" per ping, then the summary.
 *
 * time, in the ping, is the sender's monotonic clock in microseconds; the
 * round-trip time is measured on the same clock, which never jumps.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netlab.h"

/* Room for the largest datagram there is (65507 bytes over IPv4): a
 * smaller buffer silently cuts a long stray, which is harmless here, but
 * the habit is worth keeping. */
#define MAX_DATAGRAM 65536
#define DEFAULT_COUNT 10
#define DEFAULT_TIMEOUT_MS 1000
#define MAX_COUNT 1000000
#define MAX_TIMEOUT_MS 3600000 /* an hour */

/* What the summary needs: pings sent and answered, and the round-trip
 * times of those answered (min and max are set by the first). */
struct stats {
    long sent, received;
    double min_ms, max_ms, sum_ms;
};

/* Microseconds of the monotonic clock.  Not the wall clock: that one can
 * jump (NTP, an administrator), and a round trip would come out negative
 * or hours long. */
static int64_t
now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The whole number from 1 to MAX that S spells, or -1. */
static long
parse_positive(const char *s, long max)
{
    char *end;

    if (s[0] < '0' || s[0] > '9')
        return -1; /* strtol would take "-5" and " 5" */
    errno = 0;
    long n = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || n < 1 || n > max)
        return -1;
    return n;
}

/*
 * Sends "PING seq time" for ping SEQ, sent at SENT_US.  A refused port
 * comes back as an ICMP message that Linux reports on the socket's next
 * call: possibly this send, which then fails with ECONNREFUSED and sends
 * nothing.  The error is about an earlier datagram and is consumed by
 * reporting it, so send once more.  A refusal is a lost ping, not an error.
 * Returns 0, or -1 with errno set.
 */
static int
send_ping(int fd, long seq, int64_t sent_us)
{
    char msg[64];
    int len = snprintf(msg, sizeof msg, "PING %ld %lld", seq, (long long)sent_us);
    int refusals = 0;

    for (;;) {
        if (send(fd, msg, (size_t)len, 0) != -1)
            return 0;
        if (errno == ECONNREFUSED && ++refusals == 2)
            return 0;
        if (errno != ECONNREFUSED && errno != EINTR)
            return -1;
    }
}

/* The seq of a reply, "PING seq ..." (DATA holds LEN bytes, not a
 * string), or -1 for anything else: garbage is not an error on UDP. */
static long
reply_seq(const char *data, size_t len)
{
    long seq = 0;
    size_t i = 5;

    if (len <= i || memcmp(data, "PING ", 5) != 0)
        return -1;
    for (; i < len && data[i] >= '0' && data[i] <= '9' && i < 5 + 9; i++)
        seq = seq * 10 + (data[i] - '0');
    if (i == 5 || (i < len && data[i] != ' '))
        return -1;
    return seq;
}

/*
 * Waits for the reply to ping SEQ until DEADLINE_US.  poll sleeps for the
 * time that is left, recomputed after every datagram: a duplicate, a
 * stray or a late reply to an earlier ping is read and ignored, and the
 * wait goes on until the same deadline, not a new full timeout (else a
 * stream of strays would keep us waiting forever).
 * Returns 1 with the arrival time in *AT_US, 0 at the deadline, or -1
 * with errno set.
 */
static int
await_reply(int fd, long seq, int64_t deadline_us, int64_t *at_us)
{
    static char data[MAX_DATAGRAM];

    for (;;) {
        int64_t left = deadline_us - now_us();
        if (left <= 0)
            return 0;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        /* Rounded up: poll(0) would spin through the last microseconds. */
        int ready = poll(&p, 1, (int)((left + 999) / 1000));
        if (ready == -1 && errno != EINTR)
            return -1;
        if (ready <= 0)
            continue; /* the loop looks at the clock again */
        /* MSG_DONTWAIT: should the datagram poll saw be gone (dropped
         * for a bad checksum), recv says EAGAIN instead of sleeping past
         * the deadline. */
        ssize_t n = recv(fd, data, sizeof data, MSG_DONTWAIT);
        int64_t now = now_us();
        if (n == -1) {
            /* ECONNREFUSED: an ICMP "port unreachable" for a ping of ours.
             * Which one, the socket does not say; the reply to this one
             * may still come before the deadline, so go on waiting. */
            if (errno == ECONNREFUSED || errno == EAGAIN || errno == EINTR)
                continue;
            return -1;
        }
        if (reply_seq(data, (size_t)n) == seq) {
            *at_us = now;
            return 1;
        }
    }
}

/* Counts an answered ping's round-trip time into ST. */
static void
record_rtt(struct stats *st, double rtt_ms)
{
    if (st->received == 0 || rtt_ms < st->min_ms)
        st->min_ms = rtt_ms;
    if (st->received == 0 || rtt_ms > st->max_ms)
        st->max_ms = rtt_ms;
    st->sum_ms += rtt_ms;
    st->received++;
}

/*
 * "S sent, R received, L% loss", L the percentage lost, in floating point
 * (33.3333 for 2 of 6: with integers, 2 / 6 * 100 is 0), and the rtt line
 * when something came back: with nothing received there is no minimum,
 * and the average would be 0 / 0.
 */
static void
print_summary(const struct stats *st)
{
    double loss = 100.0 * (double)(st->sent - st->received) / (double)st->sent;

    printf("%ld sent, %ld received, %g%% loss\n", st->sent, st->received, loss);
    if (st->received > 0)
        printf("rtt min/avg/max = %.3f/%.3f/%.3f ms\n", st->min_ms,
               st->sum_ms / (double)st->received, st->max_ms);
}

/* Pings COUNT times, one after another, and prints a line for each.
 * Returns 0, or -1 after printing why on stderr. */
static int
ping_all(int fd, long count, long timeout_ms, struct stats *st)
{
    for (long seq = 1; seq <= count; seq++) {
        int64_t sent = now_us(), at;
        if (send_ping(fd, seq, sent) == -1) {
            fprintf(stderr, "client: send ping %ld: %s\n", seq, strerror(errno));
            return -1;
        }
        st->sent++;
        int got = await_reply(fd, seq, sent + (int64_t)timeout_ms * 1000, &at);
        if (got == -1) {
            fprintf(stderr, "client: wait for reply %ld: %s\n", seq, strerror(errno));
            return -1;
        }
        if (got == 1) {
            double rtt_ms = (double)(at - sent) / 1000.0;
            record_rtt(st, rtt_ms);
            printf("seq=%ld rtt=%.3f ms\n", seq, rtt_ms);
        } else {
            printf("seq=%ld timeout\n", seq);
        }
    }
    return 0;
}

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
    char err[NET_ERRLEN];

    /* Each line must show as its ping ends, even when stdout is a pipe. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    int fd = connect_udp(argv[1], argv[2], err);
    if (fd == -1) {
        fprintf(stderr, "client: %s\n", err);
        return 1;
    }
    struct stats st = { 0 };
    int rc = ping_all(fd, count, timeout_ms, &st);
    if (rc == 0)
        print_summary(&st);
    close(fd);
    return rc == 0 ? 0 : 1;
}
