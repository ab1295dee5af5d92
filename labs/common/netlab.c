/*
 * netlab.c - the socket helpers declared in netlab.h.
 *
 * Every function is short on purpose: read them as worked examples of the
 * calls you made by hand in labs 01 and 02, with the error cases handled.
 *
 * Nothing here keeps state between calls (no static buffers), so the helpers
 * are safe to call from several threads at once, as labs 04 and 06 do.  The
 * two exceptions: the stop flag's address, which a signal handler can reach
 * no other way (signal dispositions belong to the whole process anyway), and
 * serve_in_threads' list of client threads, under a mutex of its own.
 */
#include "netlab.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * glibc declares a different strerror_r (returning char *) when _GNU_SOURCE
 * is defined; the code below relies on the POSIX one, which fills our buffer.
 * The Makefile builds this file with -D_POSIX_C_SOURCE=200809L only.
 */
#ifdef _GNU_SOURCE
#error "netlab.c needs the POSIX strerror_r: build it without _GNU_SOURCE"
#endif

/* ---- error messages -------------------------------------------------- */

/*
 * Writes "OP HOST port PORT: CAUSE" into err ("OP port PORT: CAUSE" when
 * HOST is NULL), e.g. "connect to localhost port 9: Connection refused".
 * A NULL err is allowed, for callers that only look at errno.
 */
static void
set_message(char *err, const char *op, const char *host, const char *port, const char *cause)
{
    if (err == NULL)
        return;
    if (host != NULL)
        snprintf(err, NET_ERRLEN, "%s %s port %s: %s", op, host, port, cause);
    else
        snprintf(err, NET_ERRLEN, "%s port %s: %s", op, port, cause);
}

/*
 * The same, CAUSE being errno value E in words.  strerror_r rather than
 * strerror: POSIX does not promise that strerror is thread-safe.
 */
static void
set_error(char *err, const char *op, const char *host, const char *port, int e)
{
    char cause[128];

    if (strerror_r(e, cause, sizeof cause) != 0)
        snprintf(cause, sizeof cause, "unknown error %d", e);
    set_message(err, op, host, port, cause);
}

/*
 * getaddrinfo reports failures with its own codes (EAI_*), not errno.
 * The message uses gai_strerror's words; errno gets the nearest errno value
 * so that a caller testing errno still sees something meaningful:
 *   EAI_SYSTEM          errno as the resolver left it
 *   EAI_MEMORY          ENOMEM
 *   EAI_AGAIN           EAGAIN (temporary: the name server did not answer)
 *   EAI_SERVICE, ...    EINVAL (the port or the request itself is wrong)
 *   anything else       EADDRNOTAVAIL (no such host, no address for it)
 */
static void
set_resolve_error(char *err, const char *host, const char *port, int rc)
{
    int e = errno;

    set_message(err, "resolve", host, port, gai_strerror(rc));
    switch (rc) {
    case EAI_SYSTEM:
        errno = e != 0 ? e : EIO;
        break;
    case EAI_MEMORY:
        errno = ENOMEM;
        break;
    case EAI_AGAIN:
        errno = EAGAIN;
        break;
    case EAI_SERVICE:
    case EAI_SOCKTYPE:
    case EAI_FAMILY:
    case EAI_BADFLAGS:
        errno = EINVAL;
        break;
    default:
        errno = EADDRNOTAVAIL;
        break;
    }
}

/* Closes fd after a failure without losing the errno that explains it. */
static void
close_keep_errno(int fd)
{
    int e = errno;

    close(fd);
    errno = e;
}

/* ---- servers: listen_tcp, bind_udp ------------------------------------ */

/*
 * Opens a socket of FAMILY and TYPE bound to PORT on every local address
 * (the wildcard address :: or 0.0.0.0), listening if it is TCP.
 * OP names the operation in error messages.
 */
static int
passive_socket(int family, int type, const char *port, const char *op, char *err)
{
    struct addrinfo hints, *ai;
    int fd, rc, e, on = 1, off = 0;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = family;
    hints.ai_socktype = type;
    hints.ai_flags = AI_PASSIVE; /* NULL host: the wildcard address */
    rc = getaddrinfo(NULL, port, &hints, &ai);
    if (rc != 0) {
        set_resolve_error(err, NULL, port, rc);
        return -1;
    }

    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0)
        goto fail;
    /*
     * IPV6_V6ONLY off: the IPv6 socket also accepts IPv4 clients, which it
     * sees as ::ffff:a.b.c.d.  Systems differ in the default, so set it.
     */
    if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) < 0)
        goto fail_fd;
    /* Lets a restarted server bind while old connections are in TIME_WAIT. */
    if (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0)
        goto fail_fd;
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
        goto fail_fd;
    if (type == SOCK_STREAM && listen(fd, SOMAXCONN) < 0)
        goto fail_fd;
    freeaddrinfo(ai);
    return fd;

fail_fd:
    close_keep_errno(fd);
fail:
    e = errno; /* passive_any looks at it: keep it past the calls */
    set_error(err, op, NULL, port, e);
    freeaddrinfo(ai);
    errno = e;
    return -1;
}

/*
 * Tries one dual-stack IPv6 socket first, then IPv4 alone: IPv6 may be
 * missing (no kernel support, disabled).  A port that is taken or forbidden
 * is not an IPv6 problem, so that error is reported as it is: an IPv4-only
 * fallback would hide a server already listening there.
 */
static int
passive_any(int type, const char *port, const char *op, char *err)
{
    int fd;

    fd = passive_socket(AF_INET6, type, port, op, err);
    if (fd < 0 && errno != EADDRINUSE && errno != EACCES)
        fd = passive_socket(AF_INET, type, port, op, err);
    return fd;
}

int
parse_port(const char *s)
{
    long n = 0;

    /* By hand, digit by digit: strtol would also take signs, spaces and
     * values that overflow. */
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || n > 65535) {
            errno = EINVAL;
            return -1;
        }
        n = n * 10 + (*p - '0');
    }
    if (n < 1 || n > 65535) {
        errno = EINVAL;
        return -1;
    }
    return (int)n;
}

int
listen_tcp(const char *port, char err[NET_ERRLEN])
{
    return passive_any(SOCK_STREAM, port, "listen on", err);
}

int
bind_udp(const char *port, char err[NET_ERRLEN])
{
    return passive_any(SOCK_DGRAM, port, "bind to UDP", err);
}

/* ---- clients: connect_tcp, connect_udp -------------------------------- */

/*
 * connect() interrupted by a signal is not undone: the connection goes on in
 * the background, and calling connect() again would fail with EALREADY.  So
 * wait until the socket is writable (connected or failed) and read the
 * outcome with SO_ERROR.
 */
static int
connect_eintr(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct pollfd p;
    int n, soerr;
    socklen_t soerrlen = sizeof soerr;

    if (connect(fd, addr, len) == 0)
        return 0;
    if (errno != EINTR)
        return -1;
    p.fd = fd;
    p.events = POLLOUT;
    do
        n = poll(&p, 1, -1);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &soerrlen) < 0)
        return -1;
    if (soerr != 0) {
        errno = soerr;
        return -1;
    }
    return 0;
}

/*
 * Connects a socket of TYPE to HOST PORT, trying each address in the order
 * getaddrinfo gives them ("localhost" may mean ::1 and 127.0.0.1, and a
 * server may listen on only one of them).  The error reported is that of the
 * last address tried.
 */
static int
connect_any(int type, const char *host, const char *port, char *err)
{
    struct addrinfo hints, *list, *ai;
    int fd = -1, rc, e;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC; /* IPv4 or IPv6, whatever HOST has */
    hints.ai_socktype = type;
    /*
     * No AI_ADDRCONFIG: it drops IPv6 addresses, ::1 included, on a host
     * whose only IPv6 address is loopback, and the labs run on loopback.
     */
    hints.ai_flags = 0;
    rc = getaddrinfo(host, port, &hints, &list);
    if (rc != 0) {
        set_resolve_error(err, host, port, rc);
        return -1;
    }

    for (ai = list; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect_eintr(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close_keep_errno(fd);
        fd = -1;
    }
    e = errno; /* the last attempt's error, if all failed */
    freeaddrinfo(list);
    if (fd < 0) {
        set_error(err, "connect to", host, port, e);
        errno = e;
    }
    return fd;
}

int
connect_tcp(const char *host, const char *port, char err[NET_ERRLEN])
{
    return connect_any(SOCK_STREAM, host, port, err);
}

int
connect_udp(const char *host, const char *port, char err[NET_ERRLEN])
{
    return connect_any(SOCK_DGRAM, host, port, err);
}

/* ---- reading and writing ---------------------------------------------- */

/*
 * send() and write() may move fewer bytes than asked (a short count) when
 * the socket buffer is full, and fail with EINTR when a signal arrives
 * before any byte moved.  Both cases just mean "go on".
 */
int
send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    ssize_t n;

    while (len > 0) {
        n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int
write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    ssize_t n;

    while (len > 0) {
        n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

ssize_t
read_some(int fd, void *buf, size_t len)
{
    ssize_t n;

    do
        n = read(fd, buf, len);
    while (n < 0 && errno == EINTR);
    return n;
}

ssize_t
read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t got = 0;
    ssize_t n;

    while (got < len) {
        n = read_some(fd, p + got, len - got);
        if (n < 0)
            return -1;
        if (n == 0)
            break; /* end of stream: return what we have */
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* ---- the line reader -------------------------------------------------- */

/*
 * The buffer holds max_line + 1 bytes: a longest line plus its '\n', which
 * read_line overwrites with the terminating NUL.  Bytes buf[start..end) have
 * been read from fd but not yet returned.
 */
int
line_reader_init(struct line_reader *r, int fd, size_t max_line)
{
    r->fd = fd;
    r->max_line = max_line;
    r->start = 0;
    r->end = 0;
    r->skipping = 0;
    r->eof = 0;
    r->buf = NULL;
    if (max_line == (size_t)-1) { /* max_line + 1 would wrap to 0 */
        errno = ENOMEM;
        return -1;
    }
    r->buf = malloc(max_line + 1);
    if (r->buf == NULL) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

void
line_reader_free(struct line_reader *r)
{
    free(r->buf);
    r->buf = NULL;
    r->start = r->end = 0;
}

/* Hands out buf[start..end) as a line and marks those bytes consumed. */
static int
take_line(struct line_reader *r, size_t end, size_t next, char **line, size_t *len)
{
    char *s = r->buf + r->start;
    size_t n = end - r->start;

    r->start = next;
    *line = s;
    *len = n;
    s[n] = '\0'; /* the '\n' slot, or the free byte after a last line */
    return 1;
}

/* Moves the unread bytes to the front of buf, to make room after them. */
static void
compact(struct line_reader *r)
{
    size_t n = r->end - r->start;

    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, n);
        r->start = 0;
        r->end = n;
    }
}

/*
 * Each turn of the loop: hand out a line if the buffer holds a '\n'; else
 * make room, give up on a line that fills the whole buffer, handle the end
 * of the stream, and read more.  A '\r' before the '\n' counts toward
 * max_line, since the buffer must hold it until the '\n' arrives.
 * A read error leaves the buffered bytes in place: calling again after
 * EAGAIN (a receive timeout, say) goes on where it stopped.
 */
int
read_line(struct line_reader *r, char **line, size_t *len)
{
    size_t cap = r->max_line + 1;
    size_t scanned = r->start; /* buf[start..scanned) holds no '\n' */
    char *nl;
    size_t at, n;
    ssize_t got;

    for (;;) {
        nl = memchr(r->buf + scanned, '\n', r->end - scanned);
        if (nl != NULL) {
            at = (size_t)(nl - r->buf);
            if (r->skipping) { /* end of a too-long line: drop it */
                r->skipping = 0;
                r->start = scanned = at + 1;
                continue;
            }
            n = at;
            if (n > r->start && r->buf[n - 1] == '\r')
                n--; /* "\r\n" ends a line too (nc -C, telnet) */
            return take_line(r, n, at + 1, line, len);
        }

        if (r->skipping) /* still inside a too-long line */
            r->start = r->end = 0;
        compact(r);
        scanned = r->end;

        if (r->end == cap) {
            /*
             * Full and no '\n': the line is longer than max_line.  Say so
             * now rather than wait for its end, which may never come.
             */
            r->start = r->end = 0;
            r->skipping = 1;
            errno = EMSGSIZE;
            return -1;
        }
        if (r->eof) {
            r->skipping = 0;
            if (r->end == 0)
                return 0;
            /* A last line without '\n'; end < cap leaves room for a NUL. */
            return take_line(r, r->end, r->end, line, len);
        }

        got = read_some(r->fd, r->buf + r->end, cap - r->end);
        if (got < 0)
            return -1; /* what was buffered stays for next time */
        if (got == 0)
            r->eof = 1;
        r->end += (size_t)got;
    }
}

/*
 * buf[start..end) has been read but not returned: read_line returns without
 * reading when it holds a '\n', or once the stream has ended.  (A line too
 * long to accept leaves nothing behind: read_line empties the buffer when
 * it reports one, and again before each read while it skips the rest.)
 */
int
line_buffered(const struct line_reader *r)
{
    if (r->eof)
        return 1;
    return r->buf != NULL && memchr(r->buf + r->start, '\n', r->end - r->start) != NULL;
}

ssize_t
read_all_buffered(struct line_reader *r, void *buf, size_t len)
{
    size_t have = r->end - r->start;
    size_t n = have < len ? have : len;
    ssize_t more;

    if (n > 0) {
        memcpy(buf, r->buf + r->start, n);
        r->start += n;
    }
    if (n == len || r->eof)
        return (ssize_t)n;
    more = read_all(r->fd, (char *)buf + n, len - n);
    if (more < 0)
        return -1;
    return (ssize_t)n + more;
}

/* ---- addresses -------------------------------------------------------- */

/*
 * A dual-stack server sees an IPv4 client 1.2.3.4 as the IPv6 address
 * ::ffff:1.2.3.4.  Turns such an address back into plain IPv4 in OUT.
 * Returns 1 if it did, 0 if ADDR is not IPv4-mapped.
 */
static int
unmap_ipv4(const struct sockaddr_storage *addr, struct sockaddr_in *out)
{
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)addr;

    if (addr->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr))
        return 0;
    memset(out, 0, sizeof *out);
    out->sin_family = AF_INET;
    out->sin_port = a6->sin6_port;
    memcpy(&out->sin_addr, &a6->sin6_addr.s6_addr[12], 4);
    return 1;
}

char *
peer_name(int fd, char *buf, size_t len)
{
    struct sockaddr_storage addr;
    struct sockaddr_in v4;
    struct sockaddr *sa = (struct sockaddr *)&addr;
    socklen_t salen = sizeof addr;
    char host[NET_ADDRLEN], port[8];
    int saved = errno; /* callers log errors with it after calling us */

    if (len == 0)
        return buf;
    snprintf(buf, len, "?");
    if (getpeername(fd, sa, &salen) < 0)
        goto out;
    if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
        goto out; /* a Unix socket, say: no address and port to show */
    if (unmap_ipv4(&addr, &v4)) {
        sa = (struct sockaddr *)&v4;
        salen = sizeof v4;
    }
    if (getnameinfo(sa, salen, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        goto out;
    if (sa->sa_family == AF_INET6)
        snprintf(buf, len, "[%s]:%s", host, port);
    else
        snprintf(buf, len, "%s:%s", host, port);
out:
    errno = saved;
    return buf;
}

/* ---- stop signals ---------------------------------------------------- */

static volatile sig_atomic_t *stop_flag; /* catch_stop_signals' FLAG */

static void
raise_stop_flag(int sig)
{
    (void)sig;
    *stop_flag = 1;
}

int
catch_stop_signals(volatile sig_atomic_t *flag)
{
    struct sigaction stop = { .sa_handler = raise_stop_flag }; /* no SA_RESTART */
    struct sigaction ignore = { .sa_handler = SIG_IGN };

    stop_flag = flag;
    sigemptyset(&stop.sa_mask);
    sigemptyset(&ignore.sa_mask);
    if (sigaction(SIGINT, &stop, NULL) == -1 || sigaction(SIGTERM, &stop, NULL) == -1)
        return -1;
    return sigaction(SIGPIPE, &ignore, NULL);
}

/* ---- a thread per client --------------------------------------------- */

/*
 * The client threads still running, which the stop must reach (the second
 * exception to "no state", see the top).  One list per process, under its
 * own mutex; a thread takes itself off it, and closes its socket, under
 * that mutex, so that the stop never shuts down a descriptor already
 * closed (whose number a new connection may have taken).
 */
struct client_thread {
    int fd;
    unsigned number;
    void (*serve)(int fd, unsigned number, void *arg);
    void *arg;
    struct client_thread *next;
};

static pthread_mutex_t client_threads_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t client_threads_gone = PTHREAD_COND_INITIALIZER;
static struct client_thread *client_threads;

/* The body of every client thread: the caller's SERVE, then the cleanup
 * serve_in_threads promises. */
static void *
client_thread_main(void *arg)
{
    struct client_thread *self = arg;

    self->serve(self->fd, self->number, self->arg);
    pthread_mutex_lock(&client_threads_lock);
    struct client_thread **p = &client_threads;
    while (*p != self)
        p = &(*p)->next;
    *p = self->next;
    close(self->fd);
    if (client_threads == NULL)
        pthread_cond_broadcast(&client_threads_gone);
    pthread_mutex_unlock(&client_threads_lock);
    free(self);
    return NULL;
}

/* Starts T's thread, detached, with the stop signals blocked (it inherits
 * the mask), and lists it.  Returns 0, or an error number. */
static int
start_client_thread(struct client_thread *t)
{
    sigset_t stops, old;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    pthread_attr_t detached;
    pthread_attr_init(&detached);
    pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);

    /* Listed before it runs, so that it always finds itself on the list:
     * the lock is held until pthread_create has answered. */
    pthread_mutex_lock(&client_threads_lock);
    t->next = client_threads;
    client_threads = t;
    pthread_t tid;
    pthread_sigmask(SIG_BLOCK, &stops, &old);
    int err = pthread_create(&tid, &detached, client_thread_main, t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0)
        client_threads = t->next;
    pthread_mutex_unlock(&client_threads_lock);
    pthread_attr_destroy(&detached);
    return err;
}

/* Shuts down every client's connection, then waits for every thread. */
static void
end_client_threads(void)
{
    pthread_mutex_lock(&client_threads_lock);
    for (struct client_thread *t = client_threads; t != NULL; t = t->next)
        shutdown(t->fd, SHUT_RDWR);
    while (client_threads != NULL)
        pthread_cond_wait(&client_threads_gone, &client_threads_lock);
    pthread_mutex_unlock(&client_threads_lock);
}

int
serve_in_threads(int listener, volatile sig_atomic_t *stop,
                 void (*serve)(int fd, unsigned number, void *arg), void *arg)
{
    unsigned accepted = 0;
    int failure = 0;

    while (!*stop && failure == 0) {
        int fd = accept(listener, NULL, NULL);
        if (fd == -1) {
            /* EINTR: a stop signal, seen by the loop's test.  Anything
             * else but a broken listener (a connection reset before it
             * was accepted, descriptors short for a moment) is retried,
             * as lab 04's loop does. */
            if (errno == EBADF || errno == EINVAL || errno == ENOTSOCK)
                failure = errno;
            continue;
        }
        struct client_thread *t = malloc(sizeof *t);
        if (t != NULL)
            *t = (struct client_thread){
                .fd = fd, .number = ++accepted, .serve = serve, .arg = arg
            };
        if (t == NULL || start_client_thread(t) != 0) {
            free(t);
            close(fd);
        }
    }
    end_client_threads();
    if (failure == 0)
        return 0;
    errno = failure;
    return -1;
}
