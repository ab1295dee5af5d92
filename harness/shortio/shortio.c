/*
 * shortio.c - preloaded (LD_PRELOAD) under a student's program by the
 * "short-counts" checks: on stream sockets, send and write take fewer
 * bytes than asked and recv and read return a few bytes at a time, on a
 * fixed schedule, as a real network may at any time.  On loopback a
 * blocking send almost never writes less than asked, so a missing send
 * loop would otherwise go unseen.
 *
 * It also makes a blocking call fail with EINTR, but only where a real run
 * could: when the program handles a signal without SA_RESTART, and only
 * for a signal whose handler may run at any time without changing what the
 * program means (SIGCHLD, SIGWINCH); the signal is raised for real first,
 * so the handler runs as it would.  A program whose only handlers ask it
 * to stop (SIGINT, SIGTERM) never sees an EINTR it could not have seen.
 *
 * Nothing else changes: datagram sockets, files, pipes and terminals, and
 * calls with MSG_PEEK or MSG_WAITALL, go straight through.
 *
 * Before main, it tells the grader it is loaded (shortio.h).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shortio.h"

/* How many bytes each call may move, in turn. */
static const size_t write_sizes[] = { 1, 7, 2, 100, 3, 1000, 13, 4096, 5 };
static const size_t read_sizes[] = { 1, 3, 2, 16, 5, 64, 7, 1024, 11 };
#define EINTR_EVERY 5 /* every fifth eligible call is interrupted */

static unsigned long write_calls, read_calls, blocking_calls;

static ssize_t (*real_send)(int, const void *, size_t, int);
static ssize_t (*real_recv)(int, void *, size_t, int);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_read)(int, void *, size_t);

static void *next(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

static bool is_stream_socket(int fd)
{
    int type;
    socklen_t len = sizeof type;
    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}

static size_t next_size(const size_t *sizes, size_t count, unsigned long *calls, size_t len)
{
    size_t n = sizes[__atomic_fetch_add(calls, 1, __ATOMIC_RELAXED) % count];
    return n < len ? n : len;
}

/* A signal the program handles without SA_RESTART and whose handler is
 * harmless to run now, or 0. */
static int interrupting_signal(void)
{
    static const int harmless[] = { SIGCHLD, SIGWINCH };
    for (size_t i = 0; i < sizeof harmless / sizeof harmless[0]; i++) {
        struct sigaction sa;
        if (sigaction(harmless[i], NULL, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) &&
            sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN &&
            !(sa.sa_flags & SA_RESTART))
            return harmless[i];
    }
    return 0;
}

/* Whether this blocking call on FD is interrupted: then the signal has
 * been delivered and the caller returns -1 with EINTR. */
static bool interrupted(int fd, int flags)
{
    if ((flags & MSG_DONTWAIT) || (fcntl(fd, F_GETFL) & O_NONBLOCK))
        return false; /* a call that cannot block is never interrupted */
    if (__atomic_fetch_add(&blocking_calls, 1, __ATOMIC_RELAXED) % EINTR_EVERY != 0)
        return false;
    int sig = interrupting_signal();
    if (sig == 0)
        return false;
    raise(sig);
    errno = EINTR;
    return true;
}

static bool shortened(int fd, int flags)
{
    return !(flags & (MSG_PEEK | MSG_WAITALL)) && is_stream_socket(fd);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    if (!real_send)
        real_send = next("send");
    if (len <= 1 || !shortened(fd, flags))
        return real_send(fd, buf, len, flags);
    if (interrupted(fd, flags))
        return -1;
    return real_send(fd, buf,
                     next_size(write_sizes, sizeof write_sizes / sizeof *write_sizes,
                               &write_calls, len),
                     flags);
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    if (!real_recv)
        real_recv = next("recv");
    if (len <= 1 || !shortened(fd, flags))
        return real_recv(fd, buf, len, flags);
    if (interrupted(fd, flags))
        return -1;
    return real_recv(fd, buf,
                     next_size(read_sizes, sizeof read_sizes / sizeof *read_sizes, &read_calls,
                               len),
                     flags);
}

ssize_t write(int fd, const void *buf, size_t len)
{
    if (!real_write)
        real_write = next("write");
    if (len <= 1 || !shortened(fd, 0))
        return real_write(fd, buf, len);
    if (interrupted(fd, 0))
        return -1;
    return real_write(fd, buf,
                      next_size(write_sizes, sizeof write_sizes / sizeof *write_sizes,
                                &write_calls, len));
}

ssize_t read(int fd, void *buf, size_t len)
{
    if (!real_read)
        real_read = next("read");
    if (len <= 1 || !shortened(fd, 0))
        return real_read(fd, buf, len);
    if (interrupted(fd, 0))
        return -1;
    return real_read(fd, buf,
                     next_size(read_sizes, sizeof read_sizes / sizeof *read_sizes, &read_calls,
                               len));
}

/*
 * Writes one byte on the pipe the grader named, then closes it.  The
 * variable goes too: a child this program starts must not write into
 * whatever file ends up with that number (the same library loads in it,
 * as LD_PRELOAD is inherited).  Only a pipe is written to, in case the
 * number was never the grader's.
 */
__attribute__((constructor)) static void announce(void)
{
    const char *value = getenv(SHORTIO_ANNOUNCE_ENV);
    if (value == NULL)
        return;
    char *end;
    long fd = strtol(value, &end, 10);
    bool number = *end == '\0' && fd >= 3 && fd <= 1 << 20;
    unsetenv(SHORTIO_ANNOUNCE_ENV);
    struct stat st;
    if (!number || fstat((int)fd, &st) != 0 || !S_ISFIFO(st.st_mode))
        return;
    ssize_t ignored = write((int)fd, "!", 1); /* a pipe: straight through */
    (void)ignored;
    close((int)fd);
}

/* The entry points that _FORTIFY_SOURCE builds call instead. */
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
    (void)buflen;
    return recv(fd, buf, len, flags);
}

ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
    (void)buflen;
    return read(fd, buf, len);
}
