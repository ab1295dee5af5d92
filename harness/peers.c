/*
 * peers.c - the grader as a network peer: ports no one else uses, readiness
 * read from the kernel's socket tables instead of guessed, connections whose
 * every byte goes to the transcript, and expectations with deadlines.
 */
#include "check.h"
#include "core.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>

/* Below Linux's ephemeral range (32768-60999), so the kernel never hands
 * one of these out as the local port of an outgoing connection. */
#define PORT_FIRST 20000
#define PORT_COUNT 12000
#define PIECE_WAIT_MS 500 /* longest wait for a peer to read one piece */
#define SENT_SUMMARY 600  /* bytes of escaped "sent" kept for messages */

/* ---- Ports ------------------------------------------------------------- */

/*
 * A lock on PORT shared by every process on this network: a Unix socket
 * bound to an abstract name.  Binding is atomic, and the name is released
 * when the process that holds it dies, so no lock file is ever left behind.
 * Abstract names belong to a network namespace: as root, where each check
 * has its own, the lock keeps apart only the ports of one check, and no
 * squatter outside can take them.
 */
static int lock_port(int port)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int len = snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "netlab-port-%d", port);
    if (bind(fd, (struct sockaddr *)&sa,
             (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Whether a program could bind PORT without SO_REUSEADDR, for TCP and UDP,
 * over IPv4 and IPv6: a connection of an earlier check in TIME_WAIT makes
 * such a bind fail, so such a port is skipped too. */
static bool port_is_free(int port)
{
    static const int types[] = { SOCK_STREAM, SOCK_DGRAM };
    for (size_t t = 0; t < COUNT_OF(types); t++) {
        struct sockaddr_in v4 = { .sin_family = AF_INET,
                                  .sin_port = htons((uint16_t)port),
                                  .sin_addr.s_addr = htonl(INADDR_ANY) };
        struct sockaddr_in6 v6 = { .sin6_family = AF_INET6,
                                   .sin6_port = htons((uint16_t)port),
                                   .sin6_addr = IN6ADDR_ANY_INIT };
        int fd4 = socket(AF_INET, types[t] | SOCK_CLOEXEC, 0);
        int fd6 = socket(AF_INET6, types[t] | SOCK_CLOEXEC, 0);
        int one = 1;
        if (fd6 >= 0)
            setsockopt(fd6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        bool ok = fd4 >= 0 && bind(fd4, (struct sockaddr *)&v4, sizeof v4) == 0 &&
                  (fd6 < 0 || bind(fd6, (struct sockaddr *)&v6, sizeof v6) == 0 ||
                   errno == EADDRNOTAVAIL || errno == EAFNOSUPPORT);
        if (fd4 >= 0)
            close(fd4);
        if (fd6 >= 0)
            close(fd6);
        if (!ok)
            return false;
    }
    return true;
}

int reserve_port(struct check *c)
{
    if (c->nport_locks == COUNT_OF(c->port_locks))
        fail(c, "grader error: too many ports in one check");
    unsigned start = 0;
    if (getrandom(&start, sizeof start, 0) != sizeof start) /* where checks start apart */
        start = (unsigned)now_us();
    start %= PORT_COUNT;
    /* The kit's tests provoke a real grader error with this: no port can
     * be had, as on a machine whose ports are all taken. */
    unsigned tries = getenv("NETLAB_TEST_NO_FREE_PORT") != NULL ? 0 : PORT_COUNT;
    for (unsigned i = 0; i < tries; i++) {
        int port = PORT_FIRST + (int)((start + i * 7919u) % PORT_COUNT);
        int lock = lock_port(port);
        if (lock < 0)
            continue;
        if (!port_is_free(port)) {
            close(lock);
            continue;
        }
        c->port_locks[c->nport_locks++] = lock;
        char text[16];
        int n = snprintf(text, sizeof text, "%d", port);
        log_replay(c, 0, "port", "grader", "", text, (size_t)n); /* a script takes its own */
        return port;
    }
    fail(c, "grader error: no free port between %d and %d", PORT_FIRST,
         PORT_FIRST + PORT_COUNT - 1);
}

/* ---- The kernel's socket tables --------------------------------------- */

/*
 * Readiness is asked of the kernel through sock_diag netlink: whether some
 * socket listens on a port (a walk of the listening table only), and how
 * many bytes wait unread in the socket at the other end of one of our
 * connections (an exact lookup by address and ports).  /proc/net/tcp tells
 * the same, but lists every connection, TIME_WAIT ones included: after a
 * few checks that is thousands of lines, and milliseconds a read.
 */

/* Sends REQ and calls FOUND for each socket in the answer until it returns
 * true.  Returns 1 if one did, 0 if none did (for an exact lookup: the
 * kernel has no such socket), or -errno if the kernel could not be asked. */
static int ask_kernel(const struct inet_diag_req_v2 *req, bool dump,
                      bool (*found)(const struct inet_diag_msg *, void *), void *arg)
{
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0)
        return -errno;
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 req;
    } msg = {
        .nlh = { .nlmsg_len = sizeof msg,
                 .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                 .nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0) },
        .req = *req,
    };
    int result = send(fd, &msg, sizeof msg, 0) < 0 ? -errno : 0;
    bool done = result < 0;
    char answer[32 * 1024] __attribute__((aligned(NLMSG_ALIGNTO)));
    while (!done) {
        ssize_t len = recv(fd, answer, sizeof answer, 0);
        if (len <= 0) {
            result = len < 0 ? -errno : -EPROTO;
            break;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)answer; !done && NLMSG_OK(h, (size_t)len);
             h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_type == NLMSG_ERROR) {
                /* An exact lookup of a socket that is gone: ENOENT. */
                int err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
                result = err == -ENOENT && !dump ? 0 : err < 0 ? err : -EPROTO;
                done = true;
            } else if (h->nlmsg_type == NLMSG_DONE) {
                done = true;
            } else if (found(NLMSG_DATA(h), arg)) {
                result = 1;
                done = true;
            }
        }
        done |= !dump; /* an exact lookup answers with one message */
    }
    close(fd);
    return result;
}

static bool on_port(const struct inet_diag_msg *m, void *arg)
{
    return ntohs(m->id.idiag_sport) == *(int *)arg;
}

/* Whether some TCP socket of FAMILY listens on PORT. */
static bool port_listens_in(int family, int port)
{
    struct inet_diag_req_v2 req = { .sdiag_family = (uint8_t)family,
                                    .sdiag_protocol = IPPROTO_TCP,
                                    .idiag_states = 1u << TCP_LISTEN };
    return ask_kernel(&req, true, on_port, &port) > 0;
}

bool port_is_listening(int port)
{
    return port_listens_in(AF_INET, port) || port_listens_in(AF_INET6, port);
}

bool listens_over_ipv6(const struct program *server)
{
    return port_listens_in(AF_INET6, server->port);
}

/* Whether a UDP socket is bound to PORT (any address, either family). */
bool port_is_bound_udp(int port)
{
    static const int families[] = { AF_INET, AF_INET6 };
    for (size_t i = 0; i < COUNT_OF(families); i++) {
        struct inet_diag_req_v2 req = { .sdiag_family = (uint8_t)families[i],
                                        .sdiag_protocol = IPPROTO_UDP,
                                        .idiag_states = ~0u };
        if (ask_kernel(&req, true, on_port, &port) > 0)
            return true;
    }
    return false;
}

static bool take_unread(const struct inet_diag_msg *m, void *arg)
{
    *(int *)arg = (int)m->idiag_rqueue;
    return true;
}

/*
 * Puts SS's address and port in the form of an inet_diag_sockid: four
 * 32-bit words (an IPv4 address in the first), in network order.  An
 * IPv4-mapped IPv6 address (::ffff:127.0.0.1) becomes the IPv4 address,
 * as the kernel keeps such a connection in its IPv4 table.  Returns the
 * family to ask in, or AF_UNSPEC for no IP address.
 */
static int diag_address(const struct sockaddr_storage *ss, __be32 addr[4], __be16 *port)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)ss;
        addr[0] = v4->sin_addr.s_addr;
        *port = v4->sin_port;
        return AF_INET;
    }
    if (ss->ss_family != AF_INET6)
        return AF_UNSPEC;
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)ss;
    *port = v6->sin6_port;
    if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
        memcpy(&addr[0], &v6->sin6_addr.s6_addr[12], 4);
        return AF_INET;
    }
    memcpy(addr, &v6->sin6_addr, 16);
    return AF_INET6;
}

/*
 * Unread bytes in the socket at the other end of our loopback connection
 * FD, over IPv4 or IPv6; OTHER_END_GONE when there is no such socket any
 * more (its program closed it, or the connection was reset); or -errno
 * when the kernel could not tell.
 */
#define OTHER_END_GONE INT_MIN
static int unread_at_other_end(int fd)
{
    struct sockaddr_storage us, them;
    socklen_t len = sizeof us;
    if (getsockname(fd, (struct sockaddr *)&us, &len) < 0)
        return -errno;
    len = sizeof them;
    if (getpeername(fd, (struct sockaddr *)&them, &len) < 0)
        return errno == ENOTCONN ? OTHER_END_GONE : -errno;
    /* The other end's socket: its source is our destination.  The kernel
     * finds it even when it belongs to a dual-stack IPv6 listener. */
    struct inet_diag_req_v2 req = {
        .sdiag_protocol = IPPROTO_TCP,
        .idiag_states = ~0u,
        .id.idiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE },
    };
    int family = diag_address(&them, req.id.idiag_src, &req.id.idiag_sport);
    if (family == AF_UNSPEC ||
        diag_address(&us, req.id.idiag_dst, &req.id.idiag_dport) != family)
        return -EAFNOSUPPORT;
    req.sdiag_family = (uint8_t)family;
    int unread = 0;
    int found = ask_kernel(&req, false, take_unread, &unread);
    return found < 0 ? found : found == 0 ? OTHER_END_GONE : unread;
}

/* ---- Connections ------------------------------------------------------- */

/* ---- Each connection as a source of the check's pump ------------------- */

/* A failed send or recv in the event log, FROM the side whose call failed:
 * a reset as what it is, an RST that came from the other end (a send the
 * reset failed was no RST of the grader's, and a script that plays the
 * check again must not send one). */
static void log_error(struct check *c, const struct peer *p, const char *from, const char *to,
                      int err)
{
    const char *why = strerror(err);
    if (err == ECONNRESET)
        log_event_on(c, p->number, "reset", p->actor, p->self, NULL, 0);
    else
        log_event_on(c, p->number, "error", from, to, why, strlen(why));
}

static void peer_read(struct check *c, struct peer *p)
{
    char chunk[64 * 1024];
    ssize_t n = recv(p->fd, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n > 0) {
        buf_append(&p->in, chunk, (size_t)n);
        char who[80];
        snprintf(who, sizeof who, "%s -> %s", p->other, p->self);
        record(c, &p->in_log, who, chunk, (size_t)n);
        log_event_on(c, p->number, "data", p->actor, p->self, chunk, (size_t)n);
    } else if (n == 0) {
        p->eof = true;
        note(c, "%s: closed its side of the connection (%s)", p->other, p->label);
        log_event_on(c, p->number, "close", p->actor, p->self, NULL, 0);
    } else if (errno != EAGAIN && errno != EINTR) {
        p->error = errno;
        p->eof = true;
        note(c, "%s: recv failed: %s", p->label, strerror(errno));
        log_error(c, p, p->actor, p->self, errno);
    }
}

static void peer_write(struct check *c, struct peer *p)
{
    ssize_t n = send(p->fd, p->out.data, p->out.len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
        record(c, &p->out_log, p->label, p->out.data, (size_t)n);
        log_event_on(c, p->number, "data", p->self, p->actor, p->out.data, (size_t)n);
        buf_consume(&p->out, (size_t)n);
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        p->error = errno;
        note(c, "%s: send failed: %s", p->label, strerror(errno));
        log_error(c, p, p->self, p->actor, errno);
        buf_reset(&p->out);
    }
}

static size_t peer_nfds(struct check *c, void *self)
{
    (void)c, (void)self;
    return 1;
}

static void peer_fds(struct check *c, void *self, struct pollfd *fds)
{
    (void)c;
    struct peer *p = self;
    short ev = 0;
    if (p->fd >= 0 && p->reading && !p->eof)
        ev |= POLLIN;
    if (p->fd >= 0 && p->out.len > 0 && p->error == 0)
        ev |= POLLOUT;
    fds[0] = (struct pollfd){ .fd = ev ? p->fd : -1, .events = ev };
}

static void peer_events(struct check *c, void *self, const struct pollfd *fds)
{
    struct peer *p = self;
    if (fds[0].fd < 0)
        return;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR))
        peer_read(c, p);
    if ((fds[0].revents & (POLLOUT | POLLERR)) && p->fd >= 0)
        peer_write(c, p);
}

static void peer_finish(struct check *c, void *self)
{
    struct peer *p = self;
    flush_stream_log(c, &p->out_log, p->label);
    flush_stream_log(c, &p->in_log, p->label);
}

static const struct source_ops peer_source = {
    .phase = PHASE_PEERS,
    .nfds = peer_nfds,
    .fds = peer_fds,
    .events = peer_events,
    .finish = peer_finish,
};

void log_open(struct check *c, const struct peer *p, const char *from, const char *to,
              int from_port, int to_port)
{
    char ports[48];
    int n = snprintf(ports, sizeof ports, "port %d -> port %d", from_port, to_port);
    log_event_on(c, p->number, "open", from, to, ports, (size_t)n);
}

struct peer *new_peer(struct check *c, int fd, const char *other)
{
    struct peer *p = xcalloc(1, sizeof *p);
    p->fd = fd;
    p->other = other;
    p->self = "grader";
    p->actor = other;
    p->number = (int)count_sources(c, &peer_source) + 1;
    p->reading = true;
    p->in.limit = 64 * 1024 * 1024;
    snprintf(p->label, sizeof p->label, "grader -> %s #%d", other, p->number);
    add_source(c, &peer_source, p);
    return p;
}

int local_port_of(int fd, bool peer_side)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int rc = peer_side ? getpeername(fd, (struct sockaddr *)&ss, &len)
                       : getsockname(fd, (struct sockaddr *)&ss, &len);
    if (rc < 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

static bool writable(int fd, int timeout_ms)
{
    struct pollfd pfd = { .fd = fd, .events = POLLOUT };
    return poll(&pfd, 1, timeout_ms) > 0;
}

/* Fills SS with the loopback address of FAMILY (AF_INET or AF_INET6) and
 * PORT; returns its length. */
static socklen_t loopback_address(int family, int port, struct sockaddr_storage *ss)
{
    if (family == AF_INET) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
        *v4 = (struct sockaddr_in){ .sin_family = AF_INET,
                                    .sin_port = htons((uint16_t)port),
                                    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        return sizeof *v4;
    }
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    *v6 = (struct sockaddr_in6){ .sin6_family = AF_INET6,
                                 .sin6_port = htons((uint16_t)port),
                                 .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    return sizeof *v6;
}

static int bind_loopback(int family, int port, bool listening);

/* Connects to the server over the loopback address of FAMILY. */
static struct peer *connect_with(struct check *c, struct program *server, int family,
                                 int rcvbuf)
{
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        fail(c, "grader error: socket: %s", strerror(errno));
    /* Before connect, so that the window offered to the server is small. */
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_storage ss = { 0 };
    socklen_t len = loopback_address(family, server->port, &ss);
    const char *where = family == AF_INET ? "127.0.0.1" : "::1";
    int err = connect(fd, (struct sockaddr *)&ss, len) == 0 ? 0 : errno;
    /* A server that does not accept can leave the connection pending in its
     * backlog: wait for it, but keep moving the check's other I/O. */
    while (err == EINPROGRESS && !writable(fd, 0) && time_left_ms(c) > 0)
        pump(c, 1);
    if (err == EINPROGRESS) {
        socklen_t errlen = sizeof err;
        if (!writable(fd, 0))
            err = ETIMEDOUT;
        else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) < 0)
            err = errno;
    }
    if (err != 0) {
        close(fd);
        fail(c, "could not connect to the server at %s port %d: %s.", where, server->port,
             strerror(err));
    }
    struct peer *p = new_peer(c, fd, server->name);
    note(c, "%s: connected from port %d to %s port %d", p->label, local_port_of(fd, false),
         where, server->port);
    p->actor = server->actor;
    log_open(c, p, p->self, p->actor, local_port_of(fd, false), server->port);
    return p;
}

struct peer *connect_to(struct check *c, struct program *server)
{
    return connect_with(c, server, AF_INET, 0);
}

struct peer *connect_over_ipv6(struct check *c, struct program *server)
{
    int probe = bind_loopback(AF_INET6, 0, false);
    if (probe < 0)
        not_testable(c, "this machine has no IPv6 loopback address (::1)");
    close(probe);
    return connect_with(c, server, AF_INET6, 0);
}

struct peer *connect_without_reading(struct check *c, struct program *server)
{
    struct peer *p = connect_with(c, server, AF_INET, 2048);
    note(c, "%s: small receive buffer, not reading", p->label);
    pause_reading(p);
    return p;
}

static int bind_loopback(int family, int port, bool listening)
{
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    struct sockaddr_storage ss = { 0 };
    socklen_t len = loopback_address(family, port, &ss);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || (listening && listen(fd, 64) < 0)) {
        close(fd);
        return -1;
    }
    return fd;
}

static struct listener *open_listener(struct check *c, bool listening)
{
    if (c->nlisteners == COUNT_OF(c->listeners))
        fail(c, "grader error: too many listeners in one check");
    struct listener *l = xcalloc(1, sizeof *l);
    l->port = reserve_port(c);
    l->fds[0] = bind_loopback(AF_INET, l->port, listening);
    l->fds[1] = bind_loopback(AF_INET6, l->port, listening); /* -1 without IPv6 */
    if (l->fds[0] < 0)
        fail(c, "grader error: cannot bind 127.0.0.1 port %d: %s", l->port, strerror(errno));
    c->listeners[c->nlisteners++] = l;
    log_replay_port(c, listening ? "listen" : "refuse", "", l->port);
    return l;
}

int refused_port(struct check *c)
{
    /* Bound but not listening: every connection attempt gets a reset. */
    struct listener *l = open_listener(c, false);
    note(c, "port %d: bound, not listening (connections are refused)", l->port);
    return l->port;
}

struct listener *listen_for_client(struct check *c)
{
    struct listener *l = open_listener(c, true);
    note(c, "grader listens on 127.0.0.1%s port %d", l->fds[1] >= 0 ? " and ::1" : "",
         l->port);
    return l;
}

struct listener *listen_for_client_on_ipv4(struct check *c)
{
    struct listener *l = open_listener(c, true);
    if (l->fds[1] >= 0) {
        close(l->fds[1]); /* ::1 then refuses: nothing listens there */
        l->fds[1] = -1;
    }
    note(c, "grader listens on 127.0.0.1 port %d only (::1 refuses)", l->port);
    return l;
}

int listener_port(const struct listener *l)
{
    return l->port;
}

struct accept_wait {
    struct listener *l;
    struct program *client;
    int fd;
};

static bool accepted_or_gone(struct check *c, void *arg)
{
    (void)c;
    struct accept_wait *w = arg;
    for (int i = 0; i < 2 && w->fd < 0; i++)
        if (w->l->fds[i] >= 0)
            w->fd = accept4(w->l->fds[i], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    return w->fd >= 0 || w->client->exited;
}

struct peer *accept_client(struct check *c, struct listener *l, struct program *client)
{
    struct accept_wait w = { l, client, -1 };
    /* No event announces a connection to the pump: look often. */
    pump_until(c, accepted_or_gone, &w, c->deadline_ms, true);
    /* Name the addresses, not "localhost": the client may have been given
     * a literal, and which family it missed is the point. */
    const char *where = l->fds[1] >= 0 ? "127.0.0.1 and ::1" : "127.0.0.1";
    if (w.fd < 0 && client->exited)
        fail(c,
             "the %s ended without connecting to the grader, which listened on %s "
             "port %d.",
             client->name, where, l->port);
    if (w.fd < 0)
        fail(c,
             "the %s did not connect to the grader (listening on %s port %d) within "
             "%d ms.",
             client->name, where, l->port, c->time_limit_ms);
    client->main_ran = true;
    struct peer *p = new_peer(c, w.fd, client->name);
    note(c, "%s: accepted a connection from port %d", p->label, local_port_of(w.fd, true));
    p->actor = client->actor;
    log_open(c, p, p->actor, p->self, local_port_of(w.fd, true), l->port);
    return p;
}

/* ---- Sending ----------------------------------------------------------- */

static void summarise_sent(struct peer *p, const void *data, size_t len)
{
    if (p->sent.len >= SENT_SUMMARY) {
        return;
    }
    if (p->sent.len > 0)
        buf_puts(&p->sent, " then ");
    buf_escape(&p->sent, data, len, 120);
    if (p->sent.len >= SENT_SUMMARY)
        buf_puts(&p->sent, " ...");
}

static bool out_drained(struct check *c, void *arg)
{
    (void)c;
    struct peer *p = arg;
    return p->out.len == 0 || p->error != 0 || p->fd < 0;
}

void send_bytes(struct check *c, struct peer *p, const void *data, size_t len)
{
    summarise_sent(p, data, len);
    buf_append(&p->out, data, len);
    pump_until(c, out_drained, p, c->deadline_ms, false);
    if (p->error == EPIPE || p->error == ECONNRESET)
        fail(c,
             "the %s closed the connection before the grader had sent everything "
             "(send: %s).\n  sent so far: %s",
             p->other, strerror(p->error), p->sent.data);
    if (p->error != 0)
        fail(c, "the grader could not send to the %s: %s.\n  sent so far: %s", p->other,
             strerror(p->error), p->sent.data);
    if (p->out.len > 0)
        fail(c, "the %s stopped reading: %zu of %zu %s could not be sent within %d ms.",
             p->other, p->out.len, len, plural_of((long long)len, "byte", "bytes"),
             c->time_limit_ms);
}

void send_text(struct check *c, struct peer *p, const char *text)
{
    send_bytes(c, p, text, strlen(text));
}

bool peer_consumed(struct check *c, struct peer *p)
{
    int unsent = 0;
    /* Once sent, loopback bytes are in the other socket's queue at once. */
    if (p->fd < 0 || p->eof)
        return true;
    if (ioctl(p->fd, SIOCOUTQNSD, &unsent) < 0)
        fail(c, "grader error: cannot tell what is left to send to the %s: %s", p->other,
             strerror(errno));
    if (unsent > 0)
        return false;
    int unread = unread_at_other_end(p->fd);
    if (unread == OTHER_END_GONE)
        return true; /* no one is left to read: nothing to wait for */
    if (unread < 0)
        fail(c,
             "grader error: cannot ask the kernel (sock_diag) whether the %s has read "
             "what the grader sent: %s",
             p->other, strerror(-unread));
    return unread == 0;
}

static bool piece_consumed(struct check *c, void *arg)
{
    return peer_consumed(c, arg);
}

void send_in_pieces(struct check *c, struct peer *p, const void *data, size_t len,
                    size_t piece)
{
    const char *bytes = data;
    int nodelay = 1;
    setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay);
    note(c, "%s: sending %zu %s in pieces of %zu, each once the %s has read the last",
         p->label, len, plural_of((long long)len, "byte", "bytes"), piece, p->other);
    for (size_t off = 0; off < len; off += piece) {
        size_t n = len - off < piece ? len - off : piece;
        send_bytes(c, p, bytes + off, n);
        if (off + n < len)
            pump_until(c, piece_consumed, p, now_ms() + PIECE_WAIT_MS, true);
    }
}

void pause_reading(struct peer *p)
{
    p->reading = false;
}

/* ---- Expecting --------------------------------------------------------- */

struct bytes_wait {
    struct peer *p;
    size_t len;
    bool line;
    const unsigned char *expected; /* stop early at a wrong byte */
    size_t checked;                /* bytes already found right */
};

static bool enough_input(struct check *c, void *arg)
{
    (void)c;
    struct bytes_wait *w = arg;
    if (w->p->eof || w->p->fd < 0)
        return true;
    if (w->line)
        return memchr(w->p->in.data ? w->p->in.data : "", '\n', w->p->in.len) != NULL;
    size_t have = w->p->in.len < w->len ? w->p->in.len : w->len;
    if (w->expected != NULL) {
        /* No need to wait for the rest once a byte is wrong. */
        const unsigned char *in = (const unsigned char *)w->p->in.data;
        while (w->checked < have && in[w->checked] == w->expected[w->checked])
            w->checked++;
        if (w->checked < have)
            return true;
    }
    return w->p->in.len >= w->len;
}

static void describe_arrival(struct buf *msg, struct check *c, struct peer *p)
{
    if (p->sent.len > 0)
        buf_printf(msg, "  sent to the %s: %s\n", p->other, p->sent.data);
    if (p->error)
        buf_printf(msg, "  the connection failed: %s\n", strerror(p->error));
    else if (p->eof)
        buf_printf(msg, "  then the %s closed the connection\n", p->other);
    else
        buf_printf(msg, "  nothing more arrived within %d ms\n", c->time_limit_ms);
}

void expect_bytes(struct check *c, struct peer *p, const void *data, size_t len,
                  const char *what)
{
    struct bytes_wait w = { .p = p, .len = len, .expected = data };
    pump_until(c, enough_input, &w, c->deadline_ms, false);
    if (p->in.len >= len && memcmp(p->in.data, data, len) == 0) {
        buf_consume(&p->in, len);
        return;
    }
    size_t have = p->in.len < len ? p->in.len : len;
    bool differs = have > 0 && memcmp(p->in.data, data, have) != 0;
    struct buf msg = { 0 };
    buf_printf(&msg, "expected %s (%zu %s) from the %s, but %s.\n", what, len,
               plural_of((long long)len, "byte", "bytes"), p->other,
               differs ? "different bytes arrived" : "fewer arrived");
    describe_difference(&msg, data, len, p->in.data, have);
    if (!differs)
        describe_arrival(&msg, c, p);
    fail(c, "%s", msg.data);
}

size_t bytes_as_expected(struct check *c, struct peer *p, const void *data, size_t len,
                         const unsigned char **got, size_t *have)
{
    struct bytes_wait w = { .p = p, .len = len, .expected = data };
    pump_until(c, enough_input, &w, c->deadline_ms, false);
    if (p->in.len >= len && memcmp(p->in.data, data, len) == 0) {
        buf_consume(&p->in, len);
        return len;
    }
    size_t n = 0;
    const unsigned char *in = (const unsigned char *)p->in.data, *want = data;
    while (n < p->in.len && n < len && in[n] == want[n])
        n++;
    if (got != NULL)
        *got = in;
    if (have != NULL)
        *have = p->in.len;
    return n;
}

char *read_line_from(struct check *c, struct peer *p, const char *what)
{
    struct bytes_wait w = { .p = p, .line = true };
    pump_until(c, enough_input, &w, c->deadline_ms, false);
    const char *nl = memchr(p->in.data ? p->in.data : "", '\n', p->in.len);
    if (nl == NULL) {
        struct buf msg = { 0 };
        buf_printf(&msg, "expected %s from the %s: a line ending in \"\\n\".\n  got: ", what,
                   p->other);
        buf_escape(&msg, p->in.data, p->in.len, 200);
        buf_puts(&msg, "\n");
        describe_arrival(&msg, c, p);
        fail(c, "%s", msg.data);
    }
    size_t n = (size_t)(nl - p->in.data);
    char *line = xmalloc(n + 1);
    memcpy(line, p->in.data, n);
    line[n] = '\0';
    buf_consume(&p->in, n + 1);
    if (n > 0 && line[n - 1] == '\r')
        line[n - 1] = '\0';
    return line;
}

void expect_line(struct check *c, struct peer *p, const char *line)
{
    struct buf what = { 0 };
    buf_puts(&what, "the line ");
    buf_escape(&what, line, strlen(line), 120);
    struct bytes_wait w = { .p = p, .line = true };
    pump_until(c, enough_input, &w, c->deadline_ms, false);
    const char *nl = memchr(p->in.data ? p->in.data : "", '\n', p->in.len);
    size_t n = nl ? (size_t)(nl - p->in.data) : p->in.len;
    size_t body = n > 0 && p->in.data[n - 1] == '\r' ? n - 1 : n;
    if (nl && body == strlen(line) && memcmp(p->in.data, line, body) == 0) {
        buf_consume(&p->in, n + 1);
        buf_free(&what);
        return;
    }
    struct buf expected = { 0 }, msg = { 0 };
    buf_printf(&expected, "%s\n", line);
    buf_printf(&msg, "expected %s from the %s.\n", what.data, p->other);
    describe_difference(&msg, expected.data, expected.len, p->in.data, nl ? n + 1 : p->in.len);
    if (nl == NULL)
        describe_arrival(&msg, c, p);
    else if (p->sent.len > 0)
        buf_printf(&msg, "  sent to the %s: %s\n", p->other, p->sent.data);
    fail(c, "%s", msg.data);
}

static bool closed_by_other(struct check *c, void *arg)
{
    (void)c;
    struct peer *p = arg;
    if (p->in.len > 0) /* bytes before the close are fine */
        buf_reset(&p->in);
    return p->eof || p->fd < 0;
}

void expect_closed(struct check *c, struct peer *p, const char *what)
{
    pump_until(c, closed_by_other, p, c->deadline_ms, false);
    if (!p->eof)
        fail(c,
             "expected the %s to close the connection %s; it was still open "
             "after %d ms.",
             p->other, what, c->time_limit_ms);
}

/* ---- Ending a connection ----------------------------------------------- */

void half_close(struct check *c, struct peer *p)
{
    note(c, "%s: half-close (shutdown SHUT_WR): no more bytes from the grader", p->label);
    log_event_on(c, p->number, "shut", p->self, p->actor, NULL, 0);
    shutdown(p->fd, SHUT_WR);
}

void close_peer(struct check *c, struct peer *p)
{
    if (p->fd < 0)
        return;
    note(c, "%s: close", p->label);
    /* A zero linger time (reset_peer's, a relay's) makes it a reset. */
    struct linger lg = { 0 };
    socklen_t lglen = sizeof lg;
    bool reset = getsockopt(p->fd, SOL_SOCKET, SO_LINGER, &lg, &lglen) == 0 && lg.l_onoff &&
                 lg.l_linger == 0;
    log_event_on(c, p->number, reset ? "reset" : "close", p->self, p->actor, NULL, 0);
    flush_stream_log(c, &p->out_log, p->label);
    flush_stream_log(c, &p->in_log, p->label);
    close(p->fd);
    p->fd = -1;
    buf_free(&p->in);
    buf_free(&p->out);
}

void reset_peer(struct check *c, struct peer *p)
{
    /* A zero linger time makes close send a reset instead of a FIN. */
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    note(c, "%s: reset (RST)", p->label);
    close_peer(c, p);
}

static bool fin_acked(struct check *c, void *arg)
{
    (void)c;
    struct peer *p = arg;
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    if (getsockopt(p->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
        return true;
    return ti.tcpi_state != TCP_ESTABLISHED && ti.tcpi_state != TCP_FIN_WAIT1;
}

void wait_fin_acked(struct check *c, struct peer *p)
{
    pump_until(c, fin_acked, p, c->deadline_ms, true);
}

static bool has_unread(struct check *c, void *arg)
{
    (void)c;
    struct peer *p = arg;
    int unread = 0;
    return ioctl(p->fd, FIONREAD, &unread) < 0 || unread > 0;
}

void wait_unread_bytes(struct check *c, struct peer *p)
{
    pump_until(c, has_unread, p, c->deadline_ms, true);
}

bool line_waiting(const struct peer *p)
{
    return p->in.len > 0 && memchr(p->in.data, '\n', p->in.len) != NULL;
}
