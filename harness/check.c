/*
 * check.c - the core of one check inside its own process: the deadline, the
 * transcript, fail and note, and the I/O pump that every wait goes through
 * (it moves the event sources that register with it: events.h).  The
 * check's start and end (its sandbox, handing its result to the runner) are
 * checkrun.c's, above the checks: fail ends the check through the function
 * checkrun.c left in c->end.
 */
#include "check.h"
#include "core.h"
#include "slot.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int64_t time_left_ms(const struct check *c)
{
    int64_t left = c->deadline_ms - now_ms();
    return left > 0 ? left : 0;
}

bool check_has_own_network(const struct check *c)
{
    return c->own_network;
}

static void stamp(struct check *c)
{
    double ms = (double)(now_us() - c->start_us) / 1000.0;
    buf_printf(&c->transcript, "[%8.1f ms] ", ms);
}

void note(struct check *c, const char *fmt, ...)
{
    va_list ap;
    stamp(c);
    va_start(ap, fmt);
    buf_vprintf(&c->transcript, fmt, ap);
    va_end(ap);
    buf_puts(&c->transcript, "\n");
}

void record(struct check *c, struct stream_log *log, const char *who, const void *data,
            size_t len)
{
    if (log->logged >= TRANSCRIPT_DETAIL) {
        log->skipped += len;
        log->skipped_chunks++;
        return;
    }
    size_t shown = TRANSCRIPT_DETAIL - log->logged;
    if (shown > TRANSCRIPT_ENTRY)
        shown = TRANSCRIPT_ENTRY;
    if (shown > len)
        shown = len;
    stamp(c);
    buf_printf(&c->transcript, "%s: ", who);
    buf_count(&c->transcript, (long long)len, "byte ", "bytes ");
    buf_escape_bytes(&c->transcript, data, len, shown);
    buf_puts(&c->transcript, "\n");
    log->logged += shown;
    log->skipped += len - shown;
}

void flush_stream_log(struct check *c, struct stream_log *log, const char *who)
{
    if (log->skipped_chunks > 0)
        note(c, "%s: %zu more %s in %zu %s (not shown)", who, log->skipped,
             plural_of((long long)log->skipped, "byte", "bytes"), log->skipped_chunks,
             plural_of((long long)log->skipped_chunks, "piece", "pieces"));
    log->skipped = 0;
    log->skipped_chunks = 0;
}

/* ---- The event log, for the check's sequence diagram (diagram.h) ------ */

/* Bytes of a payload kept in an event, and of a text (a command line, a
 * failure's message): a head to recognise it by, the transcript has all. */
#define EVENT_PAYLOAD 64
#define EVENT_TEXT 200
/* Room kept at the end of the log for the count of events left out and
 * the verdict, which always get in: each is under 1 KiB escaped. */
#define EVENT_RESERVE (4 * 1024)

/* An actor's name as a field: no tab, newline or other control. */
static void put_actor(struct buf *b, const char *name)
{
    size_t n = strnlen(name, 23);
    for (size_t i = 0; i < n; i++) {
        char ch = (unsigned char)name[i] < 0x20 ? '?' : name[i];
        buf_append(b, &ch, 1);
    }
    buf_puts(b, "\t");
}

/* The one place an event is written: "MS\tKIND\tFROM\tTO\tCONN\tLEN\tTEXT\n",
 * TEXT a head of the HAVE bytes at DATA. */
static void append_event(struct check *c, int conn, const char *kind, const char *from,
                         const char *to, const void *data, size_t have, size_t len)
{
    bool text = strcmp(kind, "fail") == 0 || strcmp(kind, "start") == 0;
    size_t most = text ? EVENT_TEXT : EVENT_PAYLOAD;
    size_t shown = have < most ? have : most;
    struct buf head = { 0 };
    buf_escape_bytes(&head, data, shown, shown); /* "...", quotes to drop */
    buf_printf(&c->events, "%.1f\t%s\t", (double)(now_us() - c->start_us) / 1000.0, kind);
    put_actor(&c->events, from);
    put_actor(&c->events, to);
    buf_printf(&c->events, "%d\t%zu\t%.*s\n", conn, len, (int)(head.len - 2), head.data + 1);
    buf_free(&head);
}

/*
 * The replay log's record: "MS\tKIND\tCONN\tFROM\tTO\tLEN\n", the LEN
 * bytes themselves, and "\n" (repro.h).  Nothing once the log is cut: a
 * replay of an exchange with a hole in it would be no replay.
 */
void log_replay(struct check *c, int conn, const char *kind, const char *from, const char *to,
                const void *data, size_t len)
{
    if (c->events_closed || c->replay_cut)
        return;
    if (c->replay.len + len + 256 > SLOT_REPLAY) {
        c->replay_cut = true;
        return;
    }
    buf_printf(&c->replay, "%.1f\t%s\t%d\t", (double)(now_us() - c->start_us) / 1000.0, kind,
               conn);
    put_actor(&c->replay, from);
    put_actor(&c->replay, to);
    buf_printf(&c->replay, "%zu\n", len);
    buf_append(&c->replay, data != NULL ? data : "", data != NULL ? len : 0);
    buf_puts(&c->replay, "\n");
}

void log_replay_port(struct check *c, const char *kind, const char *actor, int port)
{
    char text[16];
    int n = snprintf(text, sizeof text, "%d", port);
    log_replay(c, 0, kind, "grader", actor, text, (size_t)n);
}

void log_event(struct check *c, const char *kind, const char *from, const char *to,
               const void *data, size_t len)
{
    log_event_on(c, 0, kind, from, to, data, len);
}

void log_event_on(struct check *c, int conn, const char *kind, const char *from,
                  const char *to, const void *data, size_t len)
{
    if (c->events_closed)
        return;
    log_replay(c, conn, kind, from, to, data, len); /* every byte, for a replay */
    /* A line is at most 4 * EVENT_TEXT bytes and its fields. */
    if (c->events.len + 4 * EVENT_TEXT + 128 > SLOT_EVENTS - EVENT_RESERVE) {
        c->events_skipped++;
        return;
    }
    append_event(c, conn, kind, from, to, data != NULL ? data : "", data != NULL ? len : 0,
                 data != NULL ? len : 0);
}

void log_verdict(struct check *c, const char *kind, const char *text)
{
    if (c->events_closed)
        return;
    log_replay(c, 0, kind, "grader", "", text, strlen(text)); /* where a replay ends */
    c->events_closed = true;
    if (c->events_skipped > 0)
        append_event(c, 0, "more", "", "", "", 0, c->events_skipped);
    c->events_skipped = 0; /* counted once, should a later verdict follow */
    append_event(c, 0, kind, "grader", "", text, strlen(text), strlen(text));
}

/* How long a failing check waits for programs that are exiting. */
#define SETTLE_MS 100

static void settle_sources(struct check *c, int ms);
static void describe_sources(struct check *c, struct buf *msg);

_Noreturn void fail(struct check *c, const char *fmt, ...)
{
    struct buf msg = { 0 };
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    /* Never returns: the callback that failed (if one did) is abandoned,
     * and the waits below may pump again. */
    c->sources.pumping = false;
    if (msg.len > 0 && msg.data[msg.len - 1] != '\n')
        buf_puts(&msg, "\n");
    void (*hook)(struct check *, const char *) = c->on_fail;
    c->on_fail = NULL; /* once: it may fail the check itself */
    if (hook != NULL)
        hook(c, msg.data); /* first: it may explain() */
    if (c->because.len > 0)
        buf_printf(&msg, "  %s\n", c->because.data);
    note(c, "FAIL: %s", msg.data);
    /* Say what became of each program: a crash often explains the failure,
     * and one may be dying right now (a refused connection is often the
     * first sign), so let exits under way be noticed first. */
    settle_sources(c, SETTLE_MS);
    log_verdict(c, "fail", msg.data); /* after exits under way: they explain */
    describe_sources(c, &msg);
    c->end(c, false, false, &msg);
    abort(); /* (it never returns) */
}

void diagnose(struct check *c, const char *cause, const char *hint)
{
    c->cause = cause;
    c->cause_hint = hint;
    note(c, "diagnosis: %s", cause);
}

void explain(struct check *c, const char *fmt, ...)
{
    if (c->because.len > 0)
        buf_puts(&c->because, "  ");
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&c->because, fmt, ap);
    va_end(ap);
}

void on_failure(struct check *c, void (*hook)(struct check *c, const char *message))
{
    c->on_fail = hook;
}

_Noreturn void not_testable(struct check *c, const char *fmt, ...)
{
    struct buf msg = { 0 };
    buf_puts(&msg, "not testable: ");
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    buf_puts(&msg, "\n");
    note(c, "%s", msg.data);
    log_verdict(c, "untestable", msg.data);
    c->end(c, true, true, &msg);
    abort(); /* (it never returns) */
}

/* ---- The pump: every wait of a check moves all pending I/O. ------------ */

void add_source(struct check *c, const struct source_ops *ops, void *self)
{
    struct sources *s = &c->sources;
    s->list = xrealloc(s->list, (s->n + 1) * sizeof *s->list);
    s->list[s->n++] = (struct source){ ops, self };
}

size_t count_sources(const struct check *c, const struct source_ops *ops)
{
    size_t n = 0;
    for (size_t i = 0; i < c->sources.n; i++)
        if (c->sources.list[i].ops == ops)
            n++;
    return n;
}

/*
 * The indices of the first N sources in the order their phases are served
 * (REVERSE: the other way), each phase's in the order they registered.
 */
static size_t *phase_order(const struct check *c, size_t n, bool reverse)
{
    size_t *order = xcalloc(n + 1, sizeof *order), k = 0;
    for (int step = 0; step < SOURCE_PHASES; step++) {
        int phase = reverse ? SOURCE_PHASES - 1 - step : step;
        for (size_t i = 0; i < n; i++)
            if ((int)c->sources.list[i].ops->phase == phase)
                order[k++] = i;
    }
    return order;
}

void sources_child_exited(struct check *c)
{
    size_t n = c->sources.n, *order = phase_order(c, n, false);
    for (size_t k = 0; k < n; k++) {
        struct source *s = &c->sources.list[order[k]];
        if (s->ops->child_exited)
            s->ops->child_exited(c, s->self);
    }
    free(order);
}

/* A callback that waited would run rounds inside a round: sources would
 * see their events twice, or out of order.  Only fail, which never
 * returns into the callback, may pump from there. */
static void enter_pump(struct check *c)
{
    if (c->sources.pumping)
        fail(c, GRADER_ERROR " the pump was entered again from one of its own callbacks");
    c->sources.pumping = true;
}

/* Serves the events of the first N sources, FIRST[i] the first of FDS
 * that source i filled. */
static void serve_events(struct check *c, size_t n, const struct pollfd *fds,
                         const size_t *first)
{
    size_t *order = phase_order(c, n, false);
    for (size_t k = 0; k < n; k++) {
        struct source *s = &c->sources.list[order[k]];
        if (s->ops->events)
            s->ops->events(c, s->self, fds + first[order[k]]);
    }
    free(order);
}

static void after_round(struct check *c)
{
    size_t n = c->sources.n, *order = phase_order(c, n, true);
    for (size_t k = 0; k < n; k++) {
        struct source *s = &c->sources.list[order[k]];
        if (s->ops->after_round)
            s->ops->after_round(c, s->self);
    }
    free(order);
}

void pump(struct check *c, int timeout_ms)
{
    enter_pump(c);
    /* A source added during the round (a relay's connection) has no
     * descriptors in this one: it waits for the next. */
    size_t n = c->sources.n;
    size_t *first = xcalloc(n + 1, sizeof *first);
    for (size_t i = 0; i < n; i++) {
        struct source *s = &c->sources.list[i];
        first[i + 1] = first[i] + (s->ops->nfds ? s->ops->nfds(c, s->self) : 0);
    }
    struct pollfd *fds = xcalloc(first[n] + 1, sizeof *fds);
    for (size_t i = 0; i < n; i++) {
        struct source *s = &c->sources.list[i];
        if (s->ops->fds)
            s->ops->fds(c, s->self, fds + first[i]);
        int wait = s->ops->wait_ms ? s->ops->wait_ms(c, s->self) : -1;
        if (wait >= 0 && wait < timeout_ms)
            timeout_ms = wait;
    }
    if (poll(fds, first[n], timeout_ms) > 0)
        serve_events(c, n, fds, first);
    after_round(c);
    free(first);
    free(fds);
    c->sources.pumping = false;
}

/* Whether DONE holds.  A wait's condition is a callback too: it may take
 * what has arrived (even through a wait that holds at once), but may not
 * pump. */
static bool holds(struct check *c, bool (*done)(struct check *, void *), void *arg)
{
    bool was = c->sources.pumping;
    c->sources.pumping = true;
    bool yes = done(c, arg);
    c->sources.pumping = was;
    return yes;
}

bool pump_until(struct check *c, bool (*done)(struct check *, void *), void *arg,
                int64_t until_ms, bool poll_slowly)
{
    int64_t interval = 1;
    if (until_ms > c->deadline_ms)
        until_ms = c->deadline_ms;
    for (;;) {
        if (holds(c, done, arg))
            return true;
        int64_t left = until_ms - now_ms();
        if (left <= 0)
            return holds(c, done, arg);
        /* Some conditions (a socket starts listening, a peer reads) raise
         * no event here: look again after a short, growing interval. */
        if (poll_slowly && left > interval) {
            left = interval;
            interval = interval < 4 ? interval * 2 : 4;
        }
        pump(c, (int)left);
    }
}

static bool sources_settled(struct check *c, void *arg)
{
    (void)arg;
    for (size_t i = 0; i < c->sources.n; i++) {
        struct source *s = &c->sources.list[i];
        if (s->ops->settled && !s->ops->settled(c, s->self))
            return false;
    }
    return true;
}

/* Lets what is already ending (a program dying) be noticed, for at most MS. */
static void settle_sources(struct check *c, int ms)
{
    pump_until(c, sources_settled, NULL, now_ms() + ms, false);
}

static void describe_sources(struct check *c, struct buf *msg)
{
    for (size_t i = 0; i < c->sources.n; i++) {
        struct source *s = &c->sources.list[i];
        if (s->ops->describe)
            s->ops->describe(c, s->self, msg);
    }
}

void finish_sources(struct check *c)
{
    c->sources.pumping = false; /* the check is ending: see events.h */
    size_t n = c->sources.n, *order = phase_order(c, n, true);
    for (size_t k = 0; k < n; k++) {
        struct source *s = &c->sources.list[order[k]];
        if (s->ops->finish)
            s->ops->finish(c, s->self);
    }
    free(order);
}
