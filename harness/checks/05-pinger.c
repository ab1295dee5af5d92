/*
 * 05-pinger.c - the checks of lab 05, the UDP pinger: an upper-casing
 * echo server and a client that measures round trips and copes with loss.
 * To test the client the grader plays its server, and loses, repeats,
 * delays and invents datagrams on a fixed schedule that each check states
 * in its comment and notes in its transcript: nothing is random.  The
 * rubric is the table at the end of this file.
 */
#define LAB_ID "05-pinger"

#include "check.h"
#include "checks/common.h"
#include "lab.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DATAGRAM 65536 /* room for the largest, 65507 bytes over IPv4 */
#define ANSWER_MS 2000     /* how long the server may take to answer */

/* A copy of LEN bytes of DATA, upper-cased as the server must (ASCII
 * letters only: bytes from 128 up stay as they are). */
static char *upper_copy(const void *data, size_t len)
{
    char *up = xmalloc(len + 1);
    for (size_t i = 0; i < len; i++)
        up[i] = (char)toupper(((const unsigned char *)data)[i]);
    up[len] = '\0';
    return up;
}

/* ---- The server ---------------------------------------------------------- */

/* "an empty datagram", "a datagram of 14 bytes, "hello""... for messages. */
static void describe_datagram(struct buf *b, const void *data, size_t len)
{
    if (len == 0) {
        buf_puts(b, "an empty datagram");
        return;
    }
    buf_puts(b, "a datagram of ");
    buf_count(b, (long long)len, "byte", "bytes");
    buf_puts(b, ", ");
    buf_escape(b, data, len, 80);
}

/* Waits for the server's answer to SENT on U: the same LEN bytes,
 * upper-cased.  WHO names the grader's socket in messages. */
static void expect_answer(struct check *c, struct udp *u, const char *who, const void *sent,
                          size_t len)
{
    static char got[MAX_DATAGRAM];
    char *want = upper_copy(sent, len);
    struct buf msg = { 0 };
    buf_printf(&msg, "%s sent ", who);
    describe_datagram(&msg, sent, len);
    ssize_t n = udp_receive(c, u, got, sizeof got, now_ms() + ANSWER_MS);
    if (n < 0)
        fail(c, "%s: no answer came within %d ms.", msg.data, ANSWER_MS);
    if ((size_t)n == len && memcmp(got, want, len) == 0) {
        free(want);
        buf_free(&msg);
        return;
    }
    buf_printf(&msg, ": expected it back upper-cased, %zu bytes; got ", len);
    describe_datagram(&msg, got, (size_t)n);
    if ((size_t)n < len && first_difference(want, len, got, (size_t)n) == (size_t)n)
        buf_puts(&msg, ": the end of the datagram is missing (a receive buffer smaller "
                       "than the datagram cuts it)");
    buf_puts(&msg, ".\n");
    describe_difference(&msg, want, len, got, (size_t)n);
    fail(c, "%s", msg.data);
}

/* Sends DATA to the server and expects it back, upper-cased. */
static void round_trip(struct check *c, struct udp *u, const char *who, const void *data,
                       size_t len)
{
    udp_send(c, u, data, len);
    expect_answer(c, u, who, data, len);
}

/* A datagram comes back upper-cased, and a second one too. */
static void server_echoes(struct check *c)
{
    struct program *srv = start_udp_server(c, NULL);
    struct udp *u = udp_to(c, srv);
    static const char first[] = "PING 1 hello, World! 12345";
    static const char second[] = "a second datagram, from the same socket";
    round_trip(c, u, "the grader", first, sizeof first - 1);
    round_trip(c, u, "the grader", second, sizeof second - 1);
    /* Every byte value: only a-z change; NUL, controls and bytes from 128
     * up (no letters in the C locale) come back as they went. */
    unsigned char all[256];
    for (size_t i = 0; i < sizeof all; i++)
        all[i] = (unsigned char)i;
    round_trip(c, u, "the grader", all, sizeof all);
}

/* Three datagrams, three log lines, at once though stdout is a pipe. */
static void server_logs(struct check *c)
{
    run_without_terminal(c);
    struct program *srv = start_udp_server(c, NULL);
    struct udp *u = udp_to(c, srv);
    /* No letters: how the answer is cased is server-echoes' business. */
    static const char data[] = "0123456789";
    for (int i = 0; i < 3; i++)
        round_trip(c, u, "the grader", data, sizeof data - 1);
    expect_log_lines(c, srv, 3, "a log line for each of 3 datagrams",
                     "The server, step by step");
}

#define LOSS_PINGS 200 /* datagrams sent to a server with LOSS 0.5 */
#define LOSS_UNSURE 10 /* the last ones, whose replies may still be on the way */

/* Marks in REPLIED the seq of every reply waiting on U ("PING seq 0"). */
static void collect_replies(struct check *c, struct udp *u, bool replied[LOSS_PINGS + 1])
{
    char data[64];
    ssize_t n;
    while ((n = udp_receive(c, u, data, sizeof data - 1, now_ms())) >= 0) {
        data[n] = '\0';
        int seq;
        if (sscanf(data, "PING %d 0", &seq) == 1 && seq >= 1 && seq <= LOSS_PINGS)
            replied[seq] = true;
    }
}

/*
 * With LOSS 0.5 the server drops about half the datagrams, at random.  Each
 * datagram is sent once the server has logged the one before, so its fate
 * is settled; of the first 190, a fair coin answers between a quarter and
 * three quarters (outside that: less than once in 10^11 gradings), where a
 * server that ignores LOSS answers all and one that drops too much, none.
 */
static void server_loss(struct check *c)
{
    struct program *srv = start_udp_server(c, "0.5", NULL);
    struct udp *u = udp_to(c, srv);
    bool replied[LOSS_PINGS + 1] = { 0 };
    size_t lines = stdout_lines(srv);
    for (int seq = 1; seq <= LOSS_PINGS; seq++) {
        char ping[32];
        int n = snprintf(ping, sizeof ping, "PING %d 0", seq);
        udp_send(c, u, ping, (size_t)n);
        bool logged = wait_for_log_lines(c, srv, ++lines, 1000);
        if (!program_running(srv))
            fail(c, "sent %d datagrams to the server started with LOSS 0.5; it ended.", seq);
        if (!logged)
            not_testable(c,
                         "sent %d datagrams to the server started with LOSS 0.5; it logged "
                         "no line for datagram %d within 1 s.  This check tells a dropped "
                         "datagram by its log line (server-logs checks the log itself).",
                         seq, seq);
        collect_replies(c, u, replied);
    }
    int sure = LOSS_PINGS - LOSS_UNSURE, answered = 0;
    for (int seq = 1; seq <= sure; seq++)
        answered += replied[seq];
    note(c, "LOSS 0.5: %d of the first %d datagrams answered", answered, sure);
    if (answered * 4 < sure || answered * 4 > sure * 3)
        fail(c,
             "started the server with LOSS 0.5 and sent %d datagrams, each once the "
             "server had logged the one before: it answered %d of the first %d, where a "
             "fair coin answers about half (a quarter to three quarters, but for one "
             "grading in 10^11).  Drop each datagram when rand() / (RAND_MAX + 1.0) < "
             "LOSS, and answer the others.",
             LOSS_PINGS, answered, sure);
}

/* The server on a UDP port that is taken, and the client told to ping a
 * host that does not resolve: one error line, status 1, each. */
static void port_taken(struct check *c)
{
    check_port_taken(c, true, NULL, 0);
    check_client_unresolvable(c, reserve_port(c));
}

/*
 * server-interleaved's schedule: three grader sockets, A, B and C, send
 * these datagrams in this order before reading anything; then each socket
 * must receive the answers to its own steps (in any order), and nothing
 * else.  Messages name the steps, numbered from 1.
 */
static const struct interleaved_step {
    char from; /* the grader's socket that sends, and gets the answer */
    const char *datagram;
    const char *answer; /* what must come back to it */
} interleaved[] = {
    { 'A', "socket A, datagram 1 of 3", "SOCKET A, DATAGRAM 1 OF 3" },
    { 'B', "socket B, datagram 1 of 3", "SOCKET B, DATAGRAM 1 OF 3" },
    { 'C', "socket C, datagram 1 of 3", "SOCKET C, DATAGRAM 1 OF 3" },
    { 'B', "socket B, datagram 2 of 3", "SOCKET B, DATAGRAM 2 OF 3" },
    { 'A', "socket A, datagram 2 of 3", "SOCKET A, DATAGRAM 2 OF 3" },
    { 'C', "socket C, datagram 2 of 3", "SOCKET C, DATAGRAM 2 OF 3" },
    { 'C', "socket C, datagram 3 of 3", "SOCKET C, DATAGRAM 3 OF 3" },
    { 'A', "socket A, datagram 3 of 3", "SOCKET A, DATAGRAM 3 OF 3" },
    { 'B', "socket B, datagram 3 of 3", "SOCKET B, DATAGRAM 3 OF 3" },
};

/* The step whose answer (ANSWER true) or whose datagram as sent is GOT (N
 * bytes), or -1. */
static int step_of(const char *got, size_t n, bool answer)
{
    for (size_t i = 0; i < COUNT_OF(interleaved); i++) {
        const char *text = answer ? interleaved[i].answer : interleaved[i].datagram;
        if (n == strlen(text) && memcmp(got, text, n) == 0)
            return (int)i;
    }
    return -1;
}

/* "steps 1, 5 and 8": the steps socket FROM sends. */
static void describe_steps_of(struct buf *b, char from)
{
    size_t total = 0, listed = 0;
    for (size_t i = 0; i < COUNT_OF(interleaved); i++)
        total += interleaved[i].from == from;
    buf_puts(b, plural_of((long long)total, "step", "steps"));
    for (size_t i = 0; i < COUNT_OF(interleaved); i++) {
        if (interleaved[i].from != from)
            continue;
        listed++;
        buf_printf(b, "%s%zu", listed == 1 ? " " : listed == total ? " and " : ", ", i + 1);
    }
}

/* Why socket FROM should not have received GOT (N bytes), which answers
 * none of its steps not yet ANSWERED. */
static void describe_stray(struct buf *msg, char from, const char *got, size_t n,
                           const bool *answered)
{
    int k = step_of(got, n, true);
    if (k >= 0 && interleaved[k].from != from) {
        buf_printf(msg,
                   "the answer to step %d, which socket %c sent: it went to the wrong "
                   "client",
                   k + 1, interleaved[k].from);
    } else if (k >= 0 && answered[k]) {
        buf_printf(msg, "the answer to step %d a second time", k + 1);
    } else if ((k = step_of(got, n, false)) >= 0) {
        buf_printf(msg, "the datagram of step %d as socket %c sent it: not upper-cased", k + 1,
                   interleaved[k].from);
        if (interleaved[k].from != from)
            buf_puts(msg, ", and to the wrong client");
    } else {
        buf_puts(msg, "none of the schedule's answers");
    }
}

/* One datagram on socket FROM's U: the answer to one of its steps not yet
 * ANSWERED, which it marks. */
static void expect_own_answer(struct check *c, struct udp *u, char from, bool *answered)
{
    static char got[MAX_DATAGRAM];
    int missing = -1, had = 0;
    for (size_t i = 0; i < COUNT_OF(interleaved); i++) {
        if (interleaved[i].from == from && answered[i])
            had++;
        else if (interleaved[i].from == from && missing < 0)
            missing = (int)i;
    }
    struct buf steps = { 0 };
    describe_steps_of(&steps, from);
    ssize_t n = udp_receive(c, u, got, sizeof got, now_ms() + ANSWER_MS);
    if (n < 0)
        fail(c,
             "step %d: socket %c sent \"%s\", and \"%s\" never came back to it: it "
             "received the answers to %d of its %s, then nothing within %d ms.  Each "
             "datagram is answered to the address recvfrom gave with it, whoever sent it.",
             missing + 1, from, interleaved[missing].datagram, interleaved[missing].answer,
             had, steps.data, ANSWER_MS);
    int k = step_of(got, (size_t)n, true);
    if (k >= 0 && interleaved[k].from == from && !answered[k]) {
        answered[k] = true;
        buf_free(&steps);
        return;
    }
    struct buf shown = { 0 }, why = { 0 };
    describe_datagram(&shown, got, (size_t)n);
    describe_stray(&why, from, got, (size_t)n, answered);
    fail(c,
         "socket %c expected the answers to its own datagrams (%s of the schedule, such "
         "as \"%s\"); it received %s, %s.",
         from, steps.data, interleaved[missing].answer, shown.data, why.data);
}

/* The schedule above: every datagram sent first, then each socket's
 * answers read, A's, B's, then C's. */
static void server_interleaved(struct check *c)
{
    struct program *srv = start_udp_server(c, NULL);
    struct udp *u[3];
    for (size_t s = 0; s < COUNT_OF(u); s++)
        u[s] = udp_to(c, srv);
    note(c, "schedule: sockets A, B and C send A1 B1 C1 B2 A2 C2 C3 A3 B3 (steps 1 to 9), "
            "then read");
    for (size_t i = 0; i < COUNT_OF(interleaved); i++)
        udp_send(c, u[interleaved[i].from - 'A'], interleaved[i].datagram,
                 strlen(interleaved[i].datagram));
    bool answered[COUNT_OF(interleaved)] = { false };
    for (char from = 'A'; from <= 'C'; from++)
        for (size_t i = 0; i < COUNT_OF(interleaved); i++)
            if (interleaved[i].from == from)
                expect_own_answer(c, u[from - 'A'], from, answered);
}

/* An empty datagram and one of 65507 bytes (the largest over IPv4) come
 * back, and the server goes on. */
static void server_sizes(struct check *c)
{
    enum { LARGEST = 65507 };
    struct program *srv = start_udp_server(c, NULL);
    struct udp *u = udp_to(c, srv);
    round_trip(c, u, "the grader", "", 0);
    char *big = xmalloc(LARGEST);
    for (size_t i = 0; i < LARGEST; i++)
        big[i] = (char)(i % 7 == 6 ? ' ' : 'a' + i % 26);
    round_trip(c, u, "the grader", big, LARGEST);
    free(big);
    static const char after[] = "still there?";
    round_trip(c, u, "the grader", after, sizeof after - 1);
}

/* SIGTERM after a datagram, and SIGINT before any: the server, asleep in
 * recvfrom, exits with status 0 and nothing on stderr. */
static void clean_shutdown(struct check *c)
{
    struct program *busy = start_udp_server(c, NULL);
    struct udp *u = udp_to(c, busy);
    static const char ping[] = "PING 1 0";
    round_trip(c, u, "the grader", ping, sizeof ping - 1);
    wait_until_blocked(c, busy);
    signal_program(c, busy, SIGTERM);
    expect_stopped_cleanly(c, busy, SIGTERM, "while it waited for a datagram, after one");

    struct program *idle = start_udp_server(c, NULL);
    wait_until_blocked(c, idle);
    signal_program(c, idle, SIGINT);
    expect_stopped_cleanly(c, idle, SIGINT, "while it waited for its first datagram");
}

/* ---- The client: the grader as its server ---------------------------------- */

#define MAX_PINGS 8
#define MAX_PING_LEN 256 /* "PING 1 5075475369" is 17 bytes */
#define SLACK_MS 100     /* of a client's TIMEOUT_MS, for scheduling delays */

/* What the client must print for a ping.  In this order: of two replies to
 * one ping, the one more in time decides. */
enum due { DUE_TIMEOUT, DUE_EITHER, DUE_RTT };

/* A client being pinged by the grader, and what the grader did with each
 * ping: what line is due for it, and how it was answered, for messages. */
struct pinger {
    struct udp *u;
    struct program *cl;
    int count, timeout_ms;
    int64_t arrived_ms[MAX_PINGS + 1]; /* when each ping came */
    char ping[MAX_PINGS + 1][MAX_PING_LEN];
    size_t ping_len[MAX_PINGS + 1];
    enum due due[MAX_PINGS + 1]; /* DUE_TIMEOUT until answered in time */
    char how[MAX_PINGS + 1][200];
    bool other_time; /* replies carry another TIME */
    /* A reply to each ping reached the client while it ran; and datagrams
     * that answer no ping then (a duplicate, a late reply, a stray) were
     * sent: a client that reports a ping answered with neither took one
     * of those for its reply. */
    bool replied[MAX_PINGS + 1];
    bool others_sent;
};

/* How far the TIME of a reply is moved when other_time is set: a client
 * that takes the echoed TIME for its own prints rtts 2 s off. */
#define OTHER_TIME_US 2000000LL

/* Why an rtt may be wrong in a check whose replies carry another TIME. */
static const char *other_time_note(const struct pinger *s)
{
    return s->other_time ? "  The grader's replies carried another TIME than the ping's, "
                           "2 s later, as the contract allows: the client must measure "
                           "with its own records of when each ping left, not with the "
                           "echoed TIME."
                         : "";
}

/* Starts the client as `client localhost PORT COUNT TIMEOUT_MS`, the grader
 * bound to PORT on 127.0.0.1 and ::1. */
static void start_pinger(struct check *c, struct pinger *s, int count, int timeout_ms)
{
    memset(s, 0, sizeof *s);
    s->count = count;
    s->timeout_ms = timeout_ms;
    s->u = udp_listen(c);
    char n[16], t[16];
    snprintf(n, sizeof n, "%d", count);
    snprintf(t, sizeof t, "%d", timeout_ms);
    s->cl = start_client(c, udp_port(s->u), n, t, NULL);
}

/* Whether DATA (LEN bytes) is "PING seq time", time any non-empty text. */
static bool is_ping(const char *data, size_t len, int seq)
{
    char head[32];
    int n = snprintf(head, sizeof head, "PING %d ", seq);
    return len > (size_t)n && memcmp(data, head, (size_t)n) == 0;
}

/* What the grader did before ping SEQ is due, for a message. */
static void describe_before(struct buf *b, const struct pinger *s, int seq)
{
    if (seq == 1)
        buf_puts(b, "as its first datagram");
    else
        buf_printf(b, "after ping %d (%s)", seq - 1, s->how[seq - 1]);
}

/* Waits until UNTIL_MS (at most the deadline) for ping SEQ, and keeps it
 * to answer it. */
static void expect_ping(struct check *c, struct pinger *s, int seq, int64_t until_ms)
{
    static char got[MAX_DATAGRAM];
    int64_t from = now_ms();
    ssize_t n = udp_receive_while_running(c, s->u, s->cl, got, sizeof got, until_ms);
    struct buf msg = { 0 };
    if (n < 0) {
        buf_printf(&msg, "expected ping %d, \"PING %d <time>\", from the client ", seq, seq);
        describe_before(&msg, s, seq);
        if (program_running(s->cl))
            buf_printf(&msg, "; none came within %lld ms (TIMEOUT_MS is %d).",
                       (long long)(now_ms() - from), s->timeout_ms);
        else
            buf_puts(&msg, "; the client ended without sending it.");
        fail(c, "%s", msg.data);
    }
    if (!is_ping(got, (size_t)n, seq) || (size_t)n >= MAX_PING_LEN) {
        buf_printf(&msg, "expected ping %d, \"PING %d <time>\", from the client ", seq, seq);
        describe_before(&msg, s, seq);
        buf_puts(&msg, "; it sent ");
        describe_datagram(&msg, got, (size_t)n);
        fail(c, "%s.", msg.data);
    }
    s->arrived_ms[seq] = udp_arrival_ms(s->u);
    memcpy(s->ping[seq], got, (size_t)n);
    s->ping_len[seq] = (size_t)n;
}

static bool time_reached(struct check *c, void *when_ms)
{
    (void)c;
    return now_ms() >= *(int64_t *)when_ms;
}

/*
 * What the client must print for ping SEQ, whose reply leaves now, the
 * plan being DELAY_MS after the ping came.  The plan is not enough: on a
 * busy machine the grader itself may run late, even by a second.  The
 * client's wait began a little before the grader saw the ping, and ends
 * when the client next runs, so a reply that left within TIMEOUT_MS -
 * SLACK_MS of the ping is in time, one that left after TIMEOUT_MS is
 * certainly late, and in between either line is right.
 */
static enum due due_by_departure(struct check *c, struct pinger *s, int seq, int delay_ms)
{
    long long took = (long long)(now_ms() - s->arrived_ms[seq]);
    if (took <= s->timeout_ms - SLACK_MS)
        return DUE_RTT;
    enum due due = took > s->timeout_ms ? DUE_TIMEOUT : DUE_EITHER;
    note(c,
         "ping %d: its reply left %lld ms after it came, not %d: the grader ran late "
         "(a busy machine), so %s",
         seq, took, delay_ms,
         due == DUE_TIMEOUT ? "a timeout is due" : "an rtt and a timeout are both right");
    size_t len = strlen(s->how[seq]);
    snprintf(s->how[seq] + len, sizeof s->how[seq] - len,
             ", but the reply left only %lld "
             "ms after the ping, the grader running late",
             took);
    return due;
}

/* Answers ping SEQ, upper-cased as the real server does, DELAY_MS after it
 * came (0: at once).  IN_TIME: the plan is for the reply to reach the
 * client within its TIMEOUT_MS, so that it reports an rtt; whether it did
 * is settled when the reply leaves.  HOW says what was done. */
static void answer(struct check *c, struct pinger *s, int seq, int delay_ms, bool in_time,
                   const char *how)
{
    if (delay_ms > 0) {
        note(c, "the grader answers ping %d %d ms after it came", seq, delay_ms);
        int64_t when = s->arrived_ms[seq] + delay_ms;
        wait_until(c, time_reached, &when, delay_ms);
    }
    char *reply = upper_copy(s->ping[seq], s->ping_len[seq]);
    size_t len = s->ping_len[seq];
    if (s->other_time) {
        /* "PING N TIME": the contract names only "PING N "; TIME is the
         * client's business, and a reply may carry another. */
        const char *time = strchr(reply + 5, ' ') + 1; /* is_ping made sure */
        long long t = strtoll(time, NULL, 10) + OTHER_TIME_US;
        char *other = xmalloc(MAX_PING_LEN + 32);
        len = (size_t)snprintf(other, MAX_PING_LEN + 32, "PING %d %lld", seq, t);
        free(reply);
        reply = other;
    }
    bool running = program_running(s->cl);
    udp_send(c, s->u, reply, len);
    free(reply);
    s->others_sent |= s->replied[seq] || !in_time;
    s->replied[seq] |= running;
    snprintf(s->how[seq], sizeof s->how[seq], "%s", how);
    enum due due = in_time ? due_by_departure(c, s, seq, delay_ms) : DUE_TIMEOUT;
    if (due > s->due[seq])
        s->due[seq] = due;
}

static void answer_at_once(struct check *c, struct pinger *s, int seq)
{
    answer(c, s, seq, 0, true, "the grader answered it at once");
}

/* Leaves ping SEQ unanswered (for now). */
static void leave_unanswered(struct check *c, struct pinger *s, int seq)
{
    note(c, "the grader leaves ping %d unanswered", seq);
    char what[32];
    snprintf(what, sizeof what, "ping %d", seq);
    udp_dropped(c, s->u, what);
    snprintf(s->how[seq], sizeof s->how[seq], "the grader left it unanswered");
}

/* ---- What the client printed --------------------------------------------- */

/* A number as printed: "12", "0.345", "-1.5". */
struct number {
    double value;
    int decimals;
};

/* Parses a number at *P, after any spaces, and moves *P past it. */
static bool parse_number(const char **p, struct number *n)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    bool negative = *s == '-';
    s += negative;
    if (!isdigit((unsigned char)*s))
        return false;
    double v = 0;
    for (; isdigit((unsigned char)*s); s++)
        v = v * 10 + (*s - '0');
    int decimals = 0;
    if (*s == '.' && isdigit((unsigned char)s[1])) {
        double scale = 1;
        for (s++; isdigit((unsigned char)*s); s++) {
            scale /= 10;
            v += (*s - '0') * scale;
            decimals++;
        }
    }
    n->value = negative ? -v : v;
    n->decimals = decimals;
    *p = s;
    return true;
}

/* The next number at or after *P, skipping other text. */
static bool next_number(const char **p, struct number *n)
{
    for (; **p != '\0'; (*p)++)
        if (isdigit((unsigned char)**p) || (**p == '-' && isdigit((unsigned char)(*p)[1])))
            return parse_number(p, n);
    return false;
}

/* Half a unit of the last decimal printed: how far rounding may move it. */
static double rounding(const struct number *n)
{
    double u = 0.5;
    for (int i = 0; i < n->decimals; i++)
        u /= 10;
    return u;
}

#define MAX_LINES 64
#define SHOWN 120 /* characters of a line of the client's that messages show */

struct ping_line {
    long seq;
    bool timeout;
    bool has_rtt;
    struct number rtt;
    char shown[ESCAPED_SIZE(SHOWN)]; /* the line, escaped for messages */
};

/* The client's report, parsed leniently: words around the contract's are
 * fine, decimals optional, "%" attached or not. */
struct report {
    struct ping_line pings[MAX_LINES];
    size_t npings;
    bool has_summary, has_rtt;   /* the line is there... */
    bool summary_read, rtt_read; /* ...and its numbers could be read */
    struct number sent, received, loss;
    struct number min, avg, max;
    char summary_shown[ESCAPED_SIZE(SHOWN)], rtt_shown[ESCAPED_SIZE(SHOWN)];
};

/* LINE as messages show it: "\"seq=2 rtt=0.051 ms\"". */
static void keep_text(char to[ESCAPED_SIZE(SHOWN)], const char *line)
{
    escape_into(to, ESCAPED_SIZE(SHOWN), line, strlen(line));
}

/* One line of the client's stdout: a ping's line, the summary or the rtt
 * line; anything else is ignored. */
static void parse_line(struct report *r, const char *line)
{
    const char *p = strstr(line, "seq=");
    if (p != NULL && isdigit((unsigned char)p[4]) && r->npings < MAX_LINES) {
        struct ping_line *l = &r->pings[r->npings++];
        p += 4;
        struct number seq;
        parse_number(&p, &seq);
        l->seq = (long)seq.value;
        l->timeout = strstr(p, "timeout") != NULL;
        const char *rtt = strstr(p, "rtt=");
        if (rtt != NULL) {
            rtt += 4;
            l->has_rtt = parse_number(&rtt, &l->rtt);
        }
        keep_text(l->shown, line);
        return;
    }
    if (strstr(line, "min/avg/max") != NULL) {
        const char *q = strchr(strstr(line, "min/avg/max"), '=');
        r->has_rtt = true;
        r->rtt_read = q != NULL && (q++, parse_number(&q, &r->min)) && *q++ == '/' &&
                      parse_number(&q, &r->avg) && *q++ == '/' && parse_number(&q, &r->max);
        keep_text(r->rtt_shown, line);
        return;
    }
    if (strstr(line, "sent") && strstr(line, "received") && strstr(line, "loss")) {
        const char *q = line;
        r->has_summary = true;
        r->summary_read = next_number(&q, &r->sent) && next_number(&q, &r->received) &&
                          next_number(&q, &r->loss);
        keep_text(r->summary_shown, line);
    }
}

/* Waits for the client to exit with status 0, nothing on stderr (a lost
 * ping is no error), and parses what it printed (through a terminal:
 * lines end in "\r\n"). */
static void read_report(struct check *c, struct program *cl, struct report *r)
{
    expect_exit(c, cl, 0);
    expect_nothing_on_stderr(c, cl, "the client exited with status 0 after its last ping");
    memset(r, 0, sizeof *r);
    const struct buf *out = program_stdout(cl);
    char *text = xmalloc(out->len + 1);
    memcpy(text, out->data, out->len);
    text[out->len] = '\0';
    for (char *line = text, *next; line != NULL; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        line[strcspn(line, "\r")] = '\0';
        parse_line(r, line);
    }
    free(text);
}

/* Whether LINE reports a reply: an rtt, and no timeout. */
static bool rtt_printed(const struct ping_line *l)
{
    return l->has_rtt && !l->timeout;
}

/* Why ping SEQ's line L shows an rtt though no reply to it reached the
 * client while it ran, when the grader can tell (check.h's diagnose): the
 * rtt is shorter than TIMEOUT_MS, so the client stopped waiting because a
 * datagram came, and the only datagrams that came answered other pings or
 * none.  "" otherwise. */
static const char *took_another_reply(struct check *c, const struct pinger *s, int seq,
                                      const struct ping_line *l)
{
    static char why[400];
    if (!rtt_printed(l) || s->replied[seq] || !s->others_sent ||
        l->rtt.value >= s->timeout_ms - SLACK_MS)
        return "";
    diagnose(c, "no-seq-matching",
             HINT("Pitfall: a reply is not necessarily the answer to the last ping"));
    snprintf(why, sizeof why,
             "  No reply to ping %d reached the client while it ran, yet "
             "it reported one before its timeout: it took another datagram (a duplicate, "
             "a stray, a late reply to an earlier ping) for ping %d's reply.  A reply "
             "answers ping %d only if it starts \"PING %d \": match replies by their "
             "sequence number.",
             seq, seq, seq, seq);
    return why;
}

/* The lines of pings 1 to COUNT, once each, in order; each an rtt when the
 * grader answered it in time, a timeout when not, either one when the
 * grader ran too late to tell. */
static void check_ping_lines(struct check *c, const struct pinger *s, const struct report *r)
{
    for (size_t i = 0; i < r->npings; i++) {
        const struct ping_line *l = &r->pings[i];
        if (l->seq < 1 || l->seq > s->count)
            fail(c,
                 "the client printed %s, but it sent only pings 1 to %d: a datagram that "
                 "answers none of its pings (a stray, garbage) must be ignored.",
                 l->shown, s->count);
        for (size_t j = 0; j < i; j++)
            if (r->pings[j].seq == l->seq)
                fail(c,
                     "the client printed two lines for seq=%ld, %s and %s: one line per "
                     "ping, however many replies to it come.",
                     l->seq, r->pings[j].shown, l->shown);
        if (l->seq != (long)i + 1)
            fail(c,
                 "the client printed %s where the line of ping %zu was due: one line "
                 "per ping, in order.",
                 l->shown, i + 1);
    }
    if (r->npings < (size_t)s->count)
        fail(c,
             "the client printed lines for %zu of its %d pings (none with seq=%zu): "
             "one line per ping, \"seq=N rtt=X ms\" or \"seq=N timeout\".",
             r->npings, s->count, r->npings + 1);
    for (int seq = 1; seq <= s->count; seq++) {
        const struct ping_line *l = &r->pings[seq - 1];
        if (s->due[seq] == DUE_RTT && !rtt_printed(l))
            fail(c,
                 "ping %d: %s, within its TIMEOUT_MS of %d ms; the client printed %s, "
                 "where \"seq=%d rtt=X ms\" was due.",
                 seq, s->how[seq], s->timeout_ms, l->shown, seq);
        if (s->due[seq] == DUE_TIMEOUT && !l->timeout)
            fail(c,
                 "ping %d: %s (TIMEOUT_MS is %d ms); the client printed %s, where "
                 "\"seq=%d timeout\" was due.%s",
                 seq, s->how[seq], s->timeout_ms, l->shown, seq,
                 took_another_reply(c, s, seq, l));
        if (s->due[seq] == DUE_EITHER && !rtt_printed(l) && !l->timeout)
            fail(c,
                 "ping %d: %s (TIMEOUT_MS is %d ms); the client printed %s, where "
                 "\"seq=%d rtt=X ms\" or \"seq=%d timeout\" was due.",
                 seq, s->how[seq], s->timeout_ms, l->shown, seq, seq);
        if (l->has_rtt && l->rtt.value < 0)
            fail(c, "the client printed %s: a negative round-trip time.%s", l->shown,
                 other_time_note(s));
    }
}

/* The summary: COUNT sent, as many received as the grader answered in
 * time (when it ran too late to tell, as many as the client printed an rtt
 * for), the loss within 1 of the exact percentage (33, 33.3 and 33.33 are
 * all right for 2 of 6); an rtt line if and only if something came back. */
static void check_summary(struct check *c, const struct pinger *s, const struct report *r)
{
    int received = 0;
    for (int seq = 1; seq <= s->count; seq++)
        received += s->due[seq] == DUE_RTT ||
                    (s->due[seq] == DUE_EITHER && rtt_printed(&r->pings[seq - 1]));
    double loss = 100.0 * (s->count - received) / s->count;
    if (!r->has_summary)
        fail(c,
             "the client printed no summary line, \"S sent, R received, L%% loss\", "
             "after its %d pings; expected \"%d sent, %d received, %.3g%% loss\".",
             s->count, s->count, received, loss);
    if (!r->summary_read)
        fail(c,
             "the client's summary is %s: expected \"%d sent, %d received, %.3g%% "
             "loss\", three numbers.",
             r->summary_shown, s->count, received, loss);
    if (r->sent.value != s->count || r->received.value != received)
        fail(c,
             "the client's summary is %s; expected %d sent, %d received (%d of its %d "
             "pings were answered in time; a reply counts once, and only for its own "
             "ping).",
             r->summary_shown, s->count, received, received, s->count);
    double off = r->loss.value - loss;
    int lost = s->count - received;
    if ((off <= -1 || off >= 1) && r->loss.value == 0 && lost > 0 && lost < s->count) {
        diagnose(c, "integer-loss-percent", HINT("Pitfall: the loss in integers"));
        fail(c,
             "the client's summary is %s: %d of %d pings lost is %.3g%% loss (an "
             "integer or decimals are fine), not 0.  0 is what integer arithmetic gives: "
             "in C, %d / %d is 0, and 0 * 100 is 0.  Compute it in floating point, "
             "100.0 * lost / sent.",
             r->summary_shown, lost, s->count, loss, lost, s->count);
    }
    if (off <= -1 || off >= 1)
        fail(c,
             "the client's summary is %s: %d of %d pings lost is %.3g%% loss (an "
             "integer or decimals are fine).",
             r->summary_shown, lost, s->count, loss);
    if (received > 0 && !r->has_rtt)
        fail(c,
             "the client printed no line \"rtt min/avg/max = A/B/C ms\" after its "
             "summary, with %d %s answered.",
             received, plural_of(received, "ping", "pings"));
    if (received > 0 && !r->rtt_read)
        fail(c,
             "the client's rtt line is %s: expected \"rtt min/avg/max = A/B/C ms\", "
             "three numbers of milliseconds.",
             r->rtt_shown);
    if (received == 0 && r->has_rtt)
        fail(c,
             "no ping was answered, so there is no round-trip time to summarise; the "
             "client printed %s.  The rtt line comes only when R > 0 (with none, the "
             "average is 0 / 0).",
             r->rtt_shown);
}

/* Waits for the client to end and checks its whole report. */
static void expect_report(struct check *c, const struct pinger *s, struct report *r)
{
    read_report(c, s->cl, r);
    check_ping_lines(c, s, r);
    check_summary(c, s, r);
}

/* COUNT 4, TIMEOUT_MS 1000: every ping is answered at once, so the long
 * timeout costs nothing and leaves a margin on a busy machine.
 * Expected: seq=1..4 with an rtt; 4 sent, 4 received, 0% loss; rtt line. */
static void client_all_answered(struct check *c)
{
    struct pinger s;
    start_pinger(c, &s, 4, 1000);
    note(c, "schedule: COUNT 4, TIMEOUT_MS 1000; the grader answers every ping at once");
    for (int seq = 1; seq <= s.count; seq++) {
        expect_ping(c, &s, seq, INT64_MAX);
        answer_at_once(c, &s, seq);
    }
    struct report r;
    expect_report(c, &s, &r);
}

/* COUNT 6, TIMEOUT_MS 300: pings 2 and 5 are never answered, the others
 * at once.  Expected: seq=2 and seq=5 timeout, the others an rtt; 6 sent,
 * 4 received, 33.3% loss. */
static void client_drops(struct check *c)
{
    struct pinger s;
    start_pinger(c, &s, 6, 300);
    note(c, "schedule: COUNT 6, TIMEOUT_MS 300; pings 2 and 5 are never answered, the "
            "others at once");
    for (int seq = 1; seq <= s.count; seq++) {
        expect_ping(c, &s, seq, INT64_MAX);
        if (seq == 2 || seq == 5)
            leave_unanswered(c, &s, seq);
        else
            answer_at_once(c, &s, seq);
    }
    struct report r;
    expect_report(c, &s, &r);
}

/*
 * COUNT 5, TIMEOUT_MS 300.  Ping 1 is answered twice at once.  Before
 * answering ping 2, the grader sends a stray "PING 99 0", garbage and an
 * empty datagram.  Ping 3 is answered at once.  Ping 4 is never answered,
 * but a stray comes every 150 ms (half the timeout), eight of them: ping
 * 5 is due 300 ms after ping 4, and must come within 900 ms, where a
 * client that restarts its timeout at each stray sends it after 1500.
 * Ping 5 is answered at once.
 * Expected: seq=1, 2, 3 and 5 with an rtt, once each, seq=4 timeout,
 * nothing for seq=99; 5 sent, 4 received, 20% loss.
 */
static void client_duplicates_and_strays(struct check *c)
{
    enum { STRAY_EVERY_MS = 150, STRAYS = 8 };
    static const char stray[] = "PING 99 0";
    static const char garbage[] = "\x01garbage \xff\xfe not a reply";
    struct pinger s;
    start_pinger(c, &s, 5, 300);
    note(c, "schedule: COUNT 5, TIMEOUT_MS 300; ping 1 answered twice; \"PING 99 0\", "
            "garbage and an empty datagram before the answer to ping 2; ping 3 answered; "
            "ping 4 never answered, a stray every 150 ms after it (8); ping 5 due within "
            "900 ms of ping 4, then answered");

    expect_ping(c, &s, 1, INT64_MAX);
    answer(c, &s, 1, 0, true, "the grader answered it twice, at once");
    answer(c, &s, 1, 0, true, "the grader answered it twice, at once");

    expect_ping(c, &s, 2, INT64_MAX);
    udp_send(c, s.u, stray, sizeof stray - 1);
    udp_send(c, s.u, garbage, sizeof garbage - 1);
    udp_send(c, s.u, "", 0);
    s.others_sent = true;
    answer(c, &s, 2, 0, true,
           "the grader answered it at once, after a stray "
           "\"PING 99 0\", garbage and an empty datagram");

    expect_ping(c, &s, 3, INT64_MAX);
    answer_at_once(c, &s, 3);

    expect_ping(c, &s, 4, INT64_MAX);
    snprintf(s.how[4], sizeof s.how[4],
             "the grader never answered it, and sent strays "
             "(\"PING 99 0\", the reply to ping 3 again) every %d ms",
             STRAY_EVERY_MS);
    char *old = upper_copy(s.ping[3], s.ping_len[3]);
    for (int i = 1; i <= STRAYS; i++) {
        if (i % 2)
            udp_send_later(c, s.u, stray, sizeof stray - 1, i * STRAY_EVERY_MS);
        else
            udp_send_later(c, s.u, old, s.ping_len[3], i * STRAY_EVERY_MS);
    }
    free(old);
    expect_ping(c, &s, 5, s.arrived_ms[4] + 3 * s.timeout_ms);
    note(c, "ping 5 came %lld ms after ping 4",
         (long long)(s.arrived_ms[5] - s.arrived_ms[4]));
    answer_at_once(c, &s, 5);

    struct report r;
    expect_report(c, &s, &r);
}

/*
 * COUNT 3, TIMEOUT_MS 300.  Ping 1 is answered at once.  Ping 2 is answered
 * only when ping 3 has come, so after ping 2's timeout, during ping 3's
 * wait; ping 3's own reply follows 100 ms later.
 * Expected: seq=2 timeout; seq=3 with an rtt of at least 100 ms (the late
 * reply to ping 2 is not ping 3's); 3 sent, 2 received, 33.3% loss.
 */
static void client_late_replies(struct check *c)
{
    enum { DELAY_MS = 100 };
    struct pinger s;
    start_pinger(c, &s, 3, 300);
    note(c,
         "schedule: COUNT 3, TIMEOUT_MS 300; ping 1 answered at once; ping 2 answered "
         "only when ping 3 came; ping 3 answered %d ms after that",
         DELAY_MS);
    expect_ping(c, &s, 1, INT64_MAX);
    answer_at_once(c, &s, 1);
    expect_ping(c, &s, 2, INT64_MAX);
    leave_unanswered(c, &s, 2);
    expect_ping(c, &s, 3, INT64_MAX);
    answer(c, &s, 2, 0, false,
           "the grader answered it only after its timeout, when "
           "ping 3 had come");
    answer(c, &s, 3, DELAY_MS, true,
           "the grader answered it 100 ms after it came, after "
           "the late reply to ping 2");

    struct report r;
    expect_report(c, &s, &r);
    const struct ping_line *l = &r.pings[2];
    if (rtt_printed(l) && l->rtt.value < DELAY_MS - 2 && !s.replied[3]) {
        diagnose(c, "no-seq-matching",
                 HINT("Pitfall: a reply is not necessarily the answer to the last ping"));
        fail(c,
             "the client printed %s and exited before the grader's reply to ping 3 "
             "left (%d ms after the ping came); the only reply it had was the late one to "
             "ping 2 (\"PING 2 ...\"): it took that one for ping 3's.  A reply answers "
             "ping 3 only if it carries seq 3: match replies by their sequence number.",
             l->shown, DELAY_MS);
    }
    if (rtt_printed(l) && l->rtt.value < DELAY_MS - 2)
        fail(c,
             "the client printed %s, but the grader answered ping 3 only %d ms after it "
             "came, and sent the late reply to ping 2 (\"PING 2 ...\") just before: the "
             "client took that one for ping 3's (a reply is ping 3's only if it carries "
             "seq 3), or its rtt is not in milliseconds.",
             l->shown, DELAY_MS);
}

/*
 * COUNT 5, TIMEOUT_MS 300: ping 1 answered at once, ping 2 after 40 ms,
 * ping 3 never, ping 4 after 80 ms, ping 5 at once.  Expected: each rtt
 * at least its delay and at most TIMEOUT_MS (milliseconds, not seconds
 * nor microseconds); 5 sent, 4 received, 20% loss; min, avg and max equal
 * to the least, the mean and the greatest of the printed rtts, give or
 * take their rounding.
 */
static void client_summary(struct check *c)
{
    static const int delay[] = { 0, 0, 40, -1, 80, 0 }; /* per seq; -1: never */
    struct pinger s;
    start_pinger(c, &s, 5, 300);
    s.other_time = true;
    note(c, "schedule: COUNT 5, TIMEOUT_MS 300; ping 1 answered at once, 2 after 40 ms, "
            "3 never, 4 after 80 ms, 5 at once; each reply carries a TIME 2 s after the "
            "ping's");
    for (int seq = 1; seq <= s.count; seq++) {
        expect_ping(c, &s, seq, INT64_MAX);
        char how[64];
        snprintf(how, sizeof how, "the grader answered it %d ms after it came", delay[seq]);
        if (delay[seq] < 0)
            leave_unanswered(c, &s, seq);
        else if (delay[seq] == 0)
            answer_at_once(c, &s, seq);
        else
            answer(c, &s, seq, delay[seq], true, how);
    }
    struct report r;
    expect_report(c, &s, &r);

    double lo = 0, hi = 0, sum = 0, slack = 0;
    int n = 0;
    for (int seq = 1; seq <= s.count; seq++) {
        const struct ping_line *l = &r.pings[seq - 1];
        if (!rtt_printed(l))
            continue;
        double v = l->rtt.value;
        if (v < delay[seq] - 2 || v > s.timeout_ms + rounding(&l->rtt))
            fail(c,
                 "the client printed %s, but the grader answered ping %d %d ms after it "
                 "came, within the TIMEOUT_MS of %d ms: the rtt is between %d and %d, in "
                 "milliseconds (not seconds, nor microseconds).%s",
                 l->shown, seq, delay[seq], s.timeout_ms, delay[seq], s.timeout_ms,
                 other_time_note(&s));
        lo = n == 0 || v < lo ? v : lo;
        hi = n == 0 || v > hi ? v : hi;
        sum += v;
        slack = rounding(&l->rtt) > slack ? rounding(&l->rtt) : slack;
        n++;
    }
    if (n == 0)
        return; /* the grader ran too late for any rtt to be due */
    struct {
        const char *name;
        const struct number *got;
        double want;
    } stat[] = { { "least", &r.min, lo },
                 { "mean", &r.avg, sum / n },
                 { "greatest", &r.max, hi } };
    for (size_t i = 0; i < 3; i++) {
        double tolerance = slack + rounding(stat[i].got) + 1e-9;
        double off = stat[i].got->value - stat[i].want;
        if (off < -tolerance || off > tolerance)
            fail(c,
                 "the client's rtt line is %s, but the %s of the rtts it printed for the "
                 "%d %s answered is %.3f ms: min, avg and max are the least, the mean "
                 "and the greatest of the round-trip times of the pings answered (the lost "
                 "ones count for nothing, not 0).",
                 r.rtt_shown, stat[i].name, n, plural_of(n, "ping", "pings"), stat[i].want);
    }
}

/* No socket at all on the port: in the check's own network (no firewall,
 * and loopback's ICMP is never rate-limited) every ping gets an ICMP "port
 * unreachable", which Linux reports on a connected socket as ECONNREFUSED.
 * That is a lost ping like any other: timeouts, the summary, status 0. */
static void no_server_at_all(struct check *c)
{
    if (!check_has_own_network(c)) {
        note(c, "no network of the check's own: whether ICMP reaches the client depends on "
                "this machine's firewall, so the client is not run against a closed port");
        return;
    }
    struct pinger s = { .count = 3, .timeout_ms = 200 };
    char port[16];
    snprintf(port, sizeof port, "%d", refused_port(c));
    note(c,
         "schedule: COUNT 3, TIMEOUT_MS 200, to UDP port %s, where nothing is bound: "
         "the kernel answers each ping with ICMP port unreachable",
         port);
    const char *args[] = { "localhost", port, "3", "200" };
    s.cl = start_program_args(c, "client", args, 4);
    for (int seq = 1; seq <= s.count; seq++)
        snprintf(s.how[seq], sizeof s.how[seq],
                 "no socket on the port: ICMP port "
                 "unreachable came back, which recv reports as ECONNREFUSED");
    struct report r;
    expect_report(c, &s, &r);
}

/* COUNT 3, TIMEOUT_MS 200; the grader answers nothing.  Expected: the
 * client ends by itself, within the check's 2 s (it needs 600 ms), with
 * three timeouts, 3 sent, 0 received, 100% loss, no rtt line, status 0. */
static void client_silent_server(struct check *c)
{
    struct pinger s;
    start_pinger(c, &s, 3, 200);
    note(c, "schedule: COUNT 3, TIMEOUT_MS 200; the grader answers no ping");
    for (int seq = 1; seq <= s.count; seq++) {
        expect_ping(c, &s, seq, INT64_MAX);
        snprintf(s.how[seq], sizeof s.how[seq], "the grader never answered it");
    }
    struct report r;
    expect_report(c, &s, &r);
    no_server_at_all(c);
}

/* ---- Both ------------------------------------------------------------------ */

#define USAGE_MS 2000 /* time to say "usage" and exit */

static bool has_exited(struct check *c, void *p)
{
    (void)c;
    return !program_running(p);
}

/* NAME started with ARGS, one of them bad (WHY says how), exits with
 * status 2 and a usage line on stderr. */
static void expect_refused(struct check *c, const char *name, const char *const *args,
                           size_t nargs, const char *why)
{
    struct buf cmd = { 0 };
    buf_printf(&cmd, "./%s", name);
    for (size_t i = 0; i < nargs; i++)
        buf_printf(&cmd, " %s", args[i]);
    struct program *p = start_program_args(c, name, args, nargs);
    if (!wait_until(c, has_exited, p, USAGE_MS) || !wait_exit(c, p))
        fail(c,
             "`%s` was still running %d ms after it started: %s, so it must print a "
             "usage line on stderr and exit with status 2 at once.",
             cmd.data, USAGE_MS, why);
    const struct buf *err = program_stderr(p);
    bool usage = false;
    for (size_t i = 0; i + 5 <= err->len && !usage; i++)
        usage = strncasecmp(err->data + i, "usage", 5) == 0;
    int status = exit_status(p);
    if (status != 2) {
        char how[64] = "was killed by a signal";
        if (status >= 0)
            snprintf(how, sizeof how, "exited with status %d", status);
        fail(c,
             "`%s` %s: %s, so it must print a usage line on stderr and exit with "
             "status 2.",
             cmd.data, how, why);
    }
    if (!usage)
        fail(c,
             "`%s` exited with status 2 but printed no usage line on stderr (a line "
             "starting \"usage:\" that shows the arguments).",
             cmd.data);
    buf_free(&cmd);
}

/* Missing arguments, a LOSS that is no fraction from 0 to 1, a COUNT or
 * TIMEOUT_MS that is no positive number: usage and status 2. */
static void bad_arguments(struct check *c)
{
    check_bad_arguments(c);
    char port[16];
    snprintf(port, sizeof port, "%d", reserve_port(c));
    const char *over[] = { port, "1.5" }, *word[] = { port, "lots" };
    expect_refused(c, "server", over, 2, "a LOSS over 1 is no fraction");
    expect_refused(c, "server", word, 2, "LOSS is a number from 0 to 1");
    const char *count[] = { "localhost", port, "ten" };
    expect_refused(c, "client", count, 3, "COUNT is a whole number from 1 up");
    const char *timeout[] = { "localhost", port, "3", "-5" };
    expect_refused(c, "client", timeout, 4, "TIMEOUT_MS is a whole number from 1 up");
}

/* The student's server with LOSS 0 and client, COUNT 3: all answered. */
static void pair(struct check *c)
{
    struct program *srv = start_udp_server(c, "0", NULL);
    struct pinger s = { .count = 3, .timeout_ms = 1000 };
    s.cl = start_client(c, program_port(srv), "3", "1000", NULL);
    for (int seq = 1; seq <= s.count; seq++) {
        s.due[seq] = DUE_RTT;
        snprintf(s.how[seq], sizeof s.how[seq],
                 "your server, with LOSS 0, should have "
                 "answered it");
    }
    struct report r;
    expect_report(c, &s, &r);
}

static const struct check_def checks[] = {
    { "server-echoes", 1, 3000, "a datagram comes back upper-cased",
      HINT("The server, step by step"), server_echoes },
    { "server-interleaved", 2, 3000,
      "three clients' interleaved datagrams are each answered to their sender",
      HINT("Pitfall: one socket, many clients"), server_interleaved },
    { "server-sizes", 1, 3000, "an empty datagram and one of 65507 bytes come back",
      HINT("Pitfall: buffers too small for a datagram"), server_sizes },
    { "server-logs", 1, 3000, "each datagram is logged at once, stdout a pipe",
      HINT("The server, step by step"), server_logs },
    { "server-loss", 1, 10000, "with LOSS 0.5 the server drops about half the datagrams",
      HINT("The server, step by step"), server_loss },
    { "port-taken", 1, 3000,
      "a UDP port in use, or a HOST that does not resolve, gives one error line and status 1",
      HINT("The server, step by step"), port_taken },
    { "clean-shutdown", 1, 3000,
      "SIGTERM and SIGINT stop the server with status 0, stderr empty",
      HINT("The server, step by step"), clean_shutdown },
    { "client-all-answered", 1, 3000, "every ping answered: an rtt each, 0% loss",
      HINT("The client, step by step"), client_all_answered },
    { "client-drops", 2, 3000, "exactly the pings the grader drops are reported lost",
      HINT("Pitfall: waiting forever"), client_drops },
    { "client-duplicates-and-strays", 2, 3000,
      "duplicates and strays are ignored and do not delay the timeout",
      HINT("Pitfall: restarting the timeout"), client_duplicates_and_strays },
    { "client-late-replies", 2, 3000, "a late reply is not taken for the next ping's",
      HINT("Pitfall: a reply is not necessarily the answer to the last ping"),
      client_late_replies },
    { "client-summary", 1, 3000, "the rtts, min/avg/max and the loss figure are right",
      HINT("Pitfall: the rtt of a lost ping"), client_summary },
    { "client-silent-server", 1, 3000,
      "with nothing answering, or no socket on the port, the client ends in bounded time, "
      "100% loss",
      HINT("Pitfall: waiting forever"), client_silent_server },
    { "bad-arguments", 1, 5000, "bad or missing arguments give a usage line and exit status 2",
      HINT("The contract"), bad_arguments },
    { "pair", 1, 3000, "the client and the server work together", HINT("The conversation"),
      pair },
};

LAB_CHECKS("UDP pinger", checks);
