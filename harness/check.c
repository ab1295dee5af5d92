/*
 * check.c - the life of one check inside its own process: the deadline, the
 * transcript, the I/O pump that every wait goes through, and the end of the
 * check (stop every program, hand the result to the runner, exit).
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <sched.h>
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

const char *check_folder(struct check *c)
{
    if (c->folder == NULL) {
        /* A private /tmp vanishes with the check: nothing to clean up. */
        const char *tmp = c->sandbox.private_mounts ? NULL : getenv("TMPDIR");
        if (tmp == NULL || *tmp == '\0')
            tmp = "/tmp";
        struct buf path = {0};
        buf_printf(&path, "%s/netlab-check-XXXXXX", tmp);
        if (mkdtemp(path.data) == NULL)
            fail(c, "grader error: cannot create a folder in %s: %s", tmp, strerror(errno));
        /* Held from before any program runs in it: what they leave is
         * read from here, not through a path they may have changed. */
        c->folder_fd = open(path.data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (c->folder_fd < 0)
            fail(c, "grader error: cannot open %s: %s", path.data, strerror(errno));
        c->folder = path.data;
        if (!c->sandbox.private_mounts)
            snprintf(c->slot->folder, sizeof c->slot->folder, "%s", c->folder);
        sandbox_claim_folder(c, c->folder);
        note(c, "the check's folder: %s", c->folder);
    }
    return c->folder;
}

int open_in_check_folder(struct check *c, const char *name, struct buf *why)
{
    check_folder(c);
    return open_regular(c->folder_fd, name, why);
}

DIR *list_check_folder(struct check *c)
{
    check_folder(c);
    int fd = fcntl(c->folder_fd, F_DUPFD_CLOEXEC, 0);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (d == NULL && fd >= 0)
        close(fd);
    return d;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    remove(path);
    return 0;
}

void remove_folder(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Tells the runner which layers of isolation hold for the check's programs:
 * as soon as they are set up, so that it knows even of a check it must
 * kill, and again as the check ends, in case it ended while setting them up.
 */
static void record_isolation(const struct check *c)
{
    unsigned long namespaces = c->in_namespace ? isolated_namespaces() : 0;
    const struct { bool held; unsigned bit; } layers[] = {
        { namespaces & CLONE_NEWUSER, ISOLATION_USER_NAMESPACE },
        { namespaces & CLONE_NEWPID, ISOLATION_PID_NAMESPACE },
        { namespaces & CLONE_NEWNET, ISOLATION_NETWORK_NAMESPACE },
        { namespaces & CLONE_NEWIPC, ISOLATION_IPC_NAMESPACE },
        { c->sandbox.private_mounts, ISOLATION_PRIVATE_MOUNTS },
        { c->sandbox.own_root, ISOLATION_OWN_ROOT },
        { c->sandbox.uid != 0, ISOLATION_OWN_USER },
        { c->sandbox.cgroup.version == 1, ISOLATION_CGROUP_V1 },
        { c->sandbox.cgroup.version == 2, ISOLATION_CGROUP_V2 },
        { geteuid() == 0, ISOLATION_AS_ROOT },
        { c->sandbox.memory_mb > 0, ISOLATION_MEMORY_LIMIT },
    };
    unsigned bits = ISOLATION_RECORDED;
    for (size_t i = 0; i < COUNT_OF(layers); i++)
        if (layers[i].held)
            bits |= layers[i].bit;
    c->slot->isolation = bits;
}

/* Copies what the check found into the shared slot and ends the process. */
static _Noreturn void finish(struct check *c, bool passed, bool untestable,
                             const struct buf *msg)
{
    for (size_t i = 0; i < c->npeers; i++) {
        struct peer *p = c->peers[i];
        flush_stream_log(c, &p->out_log, p->label);
        flush_stream_log(c, &p->in_log, p->label);
    }
    stop_programs(c);
    record_isolation(c);        /* before its cgroup goes */
    cgroup_end_check(c);
    /* The grader's own failure is not the program's (runner.h's
     * GRADER_ERROR), unless the program also left processes behind. */
    bool grader_error = !passed && msg != NULL &&
                        strncmp(msg->data, GRADER_ERROR, strlen(GRADER_ERROR)) == 0;
    struct buf strays = {0}, both = {0};
    if (sandbox_find_strays(c, &strays)) {   /* a failure whatever else happened */
        grader_error = false;
        note(c, "FAIL: %s", strays.data);
        if (!passed && msg != NULL)
            buf_append(&both, msg->data, msg->len);
        buf_append(&both, strays.data, strays.len);
        msg = &both;
        passed = untestable = false;
    }
    if (c->folder != NULL) {    /* after the programs: they may write to it */
        remove_folder(c->folder);
        c->slot->folder[0] = '\0';
    }

    struct result_slot *s = c->slot;
    s->passed = passed;
    s->untestable = untestable;
    s->grader_error = grader_error;
    if (!passed && c->cause != NULL) {
        snprintf(s->cause, sizeof s->cause, "%s", c->cause);
        snprintf(s->hint, sizeof s->hint, "%s", c->cause_hint ? c->cause_hint : "");
    }
    if (msg != NULL && msg->len > 0) {
        s->message_len = msg->len < SLOT_MESSAGE ? msg->len : SLOT_MESSAGE - 1;
        memcpy(s->message, msg->data, s->message_len);
    }
    if (c->transcript.len > 0) {
        s->transcript_len = c->transcript.len < SLOT_TRANSCRIPT
                                ? c->transcript.len : SLOT_TRANSCRIPT - 1;
        memcpy(s->transcript, c->transcript.data, s->transcript_len);
    }
    __atomic_store_n(&s->finished, 1, __ATOMIC_RELEASE);
    _exit(0);
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
    finish(c, false, false, &msg);
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
    finish(c, true, true, &msg);
}

void run_check(struct check *c)
{
    c->start_us = now_us();
    c->deadline_ms = now_ms() + c->time_limit_ms;
    c->transcript.limit = SLOT_TRANSCRIPT - 1024;
    note(c, "check %s/%s: %s (time limit %d ms)", c->lab->id, c->def->name,
         c->def->what, c->time_limit_ms);
    open_lab_folder(c);         /* before the check's mounts hide where it is */
    keep_helper_library(c);     /* a few kilobytes, for a check that builds */
    sandbox_prepare(c);
    cgroup_start_check(c);
    record_isolation(c);
    c->def->run(c);
    note(c, "PASS");
    finish(c, true, false, NULL);
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

