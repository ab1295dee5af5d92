/*
 * children.c - child exits as a descriptor that poll can wait on: a SIGCHLD
 * handler writes a byte to a pipe (the self-pipe trick).  Unlike pidfds it
 * works everywhere: old kernels, valgrind, container seccomp filters.  In a
 * check, the pipe is one of the pump's sources: it tells the others
 * (the programs) when a child exited.
 */
#include "children.h"
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

static int events[2] = { -1, -1 };

static void on_child(int sig)
{
    (void)sig;
    int saved = errno;
    ssize_t ignored = write(events[1], "", 1); /* a full pipe is wake-up enough */
    (void)ignored;
    errno = saved;
}

int watch_children(void)
{
    /* A forked process inherits its parent's pipe: make its own. */
    if (events[0] >= 0) {
        close(events[0]);
        close(events[1]);
    }
    if (pipe2(events, O_CLOEXEC | O_NONBLOCK) < 0)
        return -1;
    struct sigaction sa = { .sa_handler = on_child, .sa_flags = SA_NOCLDSTOP | SA_RESTART };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    return events[0];
}

void drain_child_events(void)
{
    char bytes[64];
    while (read(events[0], bytes, sizeof bytes) > 0)
        ;
}

/* ---- The pipe as a source of a check's pump ---------------------------- */

static size_t pipe_nfds(struct check *c, void *self)
{
    (void)c, (void)self;
    return 1;
}

static void pipe_fds(struct check *c, void *self, struct pollfd *fds)
{
    (void)c, (void)self;
    fds[0] = (struct pollfd){ .fd = events[0], .events = POLLIN };
}

static void pipe_events(struct check *c, void *self, const struct pollfd *fds)
{
    (void)self;
    if (!(fds[0].revents & POLLIN))
        return;
    drain_child_events();
    sources_child_exited(c);
}

static const struct source_ops child_exits = {
    .phase = PHASE_CHILD_EXITS,
    .nfds = pipe_nfds,
    .fds = pipe_fds,
    .events = pipe_events,
};

void watch_child_exits(struct check *c)
{
    if (count_sources(c, &child_exits) == 0)
        add_source(c, &child_exits, NULL);
}
