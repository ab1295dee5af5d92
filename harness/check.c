/*
 * check.c - the core of one check inside its own process: the deadline, the
 * transcript, fail and note, and the I/O pump that every wait goes through.
 * The check's start and end (its sandbox, handing its result to the
 * runner) are checkrun.c's, above the checks: fail ends the check through
 * the function checkrun.c left in c->end.
 */
#include "children.h"
#include "check.h"
#include "core.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

void record(struct check *c, struct stream_log *log, const char *who,
            const void *data, size_t len)
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

/* How long a failing check waits for programs that are exiting. */
#define SETTLE_MS 100

static bool all_programs_exited(struct check *c, void *arg)
{
    (void)arg;
    for (size_t i = 0; i < c->nprograms; i++)
        if (!c->programs[i]->exited)
            return false;
    return true;
}

_Noreturn void fail(struct check *c, const char *fmt, ...)
{
    struct buf msg = {0};
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    if (msg.len > 0 && msg.data[msg.len - 1] != '\n')
        buf_puts(&msg, "\n");
    void (*hook)(struct check *, const char *) = c->on_fail;
    c->on_fail = NULL;          /* once: it may fail the check itself */
    if (hook != NULL)
        hook(c, msg.data);      /* first: it may explain() */
    if (c->because.len > 0)
        buf_printf(&msg, "  %s\n", c->because.data);
    note(c, "FAIL: %s", msg.data);
    /* Say what became of each program: a crash often explains the failure,
     * and one may be dying right now (a refused connection is often the
     * first sign), so let exits under way be noticed first. */
    pump_until(c, all_programs_exited, NULL, now_ms() + SETTLE_MS, false);
    for (size_t i = 0; i < c->nprograms; i++)
        describe_program(c, &msg, c->programs[i]);
    c->end(c, false, false, &msg);
    abort();                    /* (it never returns) */
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
    struct buf msg = {0};
    buf_puts(&msg, "not testable: ");
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    buf_puts(&msg, "\n");
    note(c, "%s", msg.data);
    c->end(c, true, true, &msg);
    abort();                    /* (it never returns) */
}

/* ---- The pump: every wait of a check moves all pending I/O. ------------ */

static void peer_read(struct check *c, struct peer *p)
{
    char chunk[64 * 1024];
    ssize_t n = recv(p->fd, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n > 0) {
        buf_append(&p->in, chunk, (size_t)n);
        char who[80];
        snprintf(who, sizeof who, "%s -> %s", p->other, p->self);
        record(c, &p->in_log, who, chunk, (size_t)n);
    } else if (n == 0) {
        p->eof = true;
        note(c, "%s: closed its side of the connection (%s)", p->other, p->label);
    } else if (errno != EAGAIN && errno != EINTR) {
        p->error = errno;
        p->eof = true;
        note(c, "%s: recv failed: %s", p->label, strerror(errno));
    }
}

static void peer_write(struct check *c, struct peer *p)
{
    ssize_t n = send(p->fd, p->out.data, p->out.len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
        record(c, &p->out_log, p->label, p->out.data, (size_t)n);
        buf_consume(&p->out, (size_t)n);
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        p->error = errno;
        note(c, "%s: send failed: %s", p->label, strerror(errno));
        buf_reset(&p->out);
    }
}

void pump(struct check *c, int timeout_ms)
{
    size_t max = c->nprograms * 2 + c->nrelays * 2 + c->nudps * 2 + c->npeers + 1;
    struct pollfd *fds = xcalloc(max, sizeof *fds);
    size_t *first = xcalloc(c->nprograms + 1, sizeof *first);
    size_t n = 0;

    for (size_t i = 0; i < c->nprograms; i++) {
        first[i] = n;
        program_fds(c->programs[i], fds, &n);
    }
    size_t relays_at = n;
    for (size_t i = 0; i < c->nrelays; i++) {
        relay_fds(c->relays[i], fds, &n);
        int wait = relay_wait_ms(c->relays[i]);
        if (wait >= 0 && wait < timeout_ms)
            timeout_ms = wait;
    }
    size_t udps_at = n;
    for (size_t i = 0; i < c->nudps; i++) {
        udp_fds(c->udps[i], fds, &n);
        int wait = udp_wait_ms(c->udps[i]);
        if (wait >= 0 && wait < timeout_ms)
            timeout_ms = wait;
    }
    size_t events_at = n;
    fds[n++] = (struct pollfd){ .fd = child_events_fd(), .events = POLLIN };
    size_t peers_at = n;
    size_t npeers = c->npeers;      /* a relay may add some below */
    for (size_t i = 0; i < npeers; i++) {
        struct peer *p = c->peers[i];
        short ev = 0;
        if (p->fd >= 0 && p->reading && !p->eof)
            ev |= POLLIN;
        if (p->fd >= 0 && p->out.len > 0 && p->error == 0)
            ev |= POLLOUT;
        fds[n].fd = ev ? p->fd : -1;
        fds[n].events = ev;
        n++;
    }

    if (poll(fds, n, timeout_ms) > 0) {
        if (fds[events_at].revents & POLLIN) {
            drain_child_events();
            for (size_t i = 0; i < c->nprograms; i++)
                notice_exit(c, c->programs[i]);
        }
        for (size_t i = 0; i < c->nprograms; i++)
            program_events(c, c->programs[i], fds + first[i]);
        for (size_t i = 0; i < npeers; i++) {
            struct pollfd *f = &fds[peers_at + i];
            if (f->fd < 0)
                continue;
            if (f->revents & (POLLIN | POLLHUP | POLLERR))
                peer_read(c, c->peers[i]);
            if ((f->revents & (POLLOUT | POLLERR)) && c->peers[i]->fd >= 0)
                peer_write(c, c->peers[i]);
        }
        for (size_t i = 0; i < c->nrelays; i++)
            relay_events(c, c->relays[i], fds + relays_at + 2 * i);
        for (size_t i = 0; i < c->nudps; i++)
            udp_events(c, c->udps[i], fds + udps_at + 2 * i);
    }
    for (size_t i = 0; i < c->nudps; i++)
        udp_send_due(c, c->udps[i]);
    for (size_t i = 0; i < c->nrelays; i++)
        relay_forward(c, c->relays[i]);
    free(first);
    free(fds);
}

bool pump_until(struct check *c, bool (*done)(struct check *, void *),
                void *arg, int64_t until_ms, bool poll_slowly)
{
    int64_t interval = 1;
    if (until_ms > c->deadline_ms)
        until_ms = c->deadline_ms;
    for (;;) {
        if (done(c, arg))
            return true;
        int64_t left = until_ms - now_ms();
        if (left <= 0)
            return done(c, arg);
        /* Some conditions (a socket starts listening, a peer reads) raise
         * no event here: look again after a short, growing interval. */
        if (poll_slowly && left > interval) {
            left = interval;
            interval = interval < 4 ? interval * 2 : 4;
        }
        pump(c, (int)left);
    }
}

