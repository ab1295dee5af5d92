/*
 * children.c - child exits as a descriptor that poll can wait on: a SIGCHLD
 * handler writes a byte to a pipe (the self-pipe trick).  Unlike pidfds it
 * works everywhere: old kernels, valgrind, container seccomp filters.
 */
#include "children.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

static int events[2] = { -1, -1 };

static void on_child(int sig)
{
    (void)sig;
    int saved = errno;
    ssize_t ignored = write(events[1], "", 1);  /* a full pipe is wake-up enough */
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

int child_events_fd(void)
{
    return events[0];
}

void drain_child_events(void)
{
    char bytes[64];
    while (read(events[0], bytes, sizeof bytes) > 0)
        ;
}
