/*
 * udp.c - the grader's UDP sockets: one that talks to a student's server,
 * or one bound on 127.0.0.1 and ::1 that answers a student's client.
 * Datagrams that arrive are queued, with their sender, by the pump; sends
 * may be delayed, and the pump sends them when they are due, so that a
 * check can answer late, out of order or twice while it goes on.
 */
#include "check.h"
#include "core.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_DATAGRAM 65536
#define MAX_QUEUED 4096
#define MAX_UDPS 8 /* UDP sockets in one check */

struct datagram {
    struct datagram *next;
    int fd;                       /* the socket it came in on / leaves by */
    struct sockaddr_storage addr; /* its sender / its destination */
    socklen_t addrlen;
    int64_t due_ms;     /* for a delayed send */
    int64_t arrived_ms; /* kernel's stamp of a received one */
    size_t len;
    char data[];
};

struct udp {
    int fds[2];
    int port;
    const char *other;    /* "server" or "client" */
    const char *actor;    /* ...as the event log names it */
    struct buf last_sent; /* the datagram sent last: another the same is a duplicate */
    bool connected;       /* udp_to's: sends go to the server */
    struct datagram *received, **received_tail;
    size_t nreceived;
    struct datagram *pending; /* delayed sends, in no order */
    int reply_fd;             /* where the last datagram came from */
    struct sockaddr_storage reply_to;
    socklen_t reply_len;
    int64_t last_arrival_ms; /* of the datagram last returned */
    struct stream_log in_log, out_log;
};

/* Asks the kernel to stamp each datagram FD receives with its arrival
 * time: on a busy machine the check may read it much later. */
static void stamp_arrivals(int fd)
{
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
}

static const struct source_ops udp_source;

static struct udp *new_udp(struct check *c, const char *other)
{
    if (count_sources(c, &udp_source) == MAX_UDPS)
        fail(c, "grader error: too many UDP sockets in one check");
    struct udp *u = xcalloc(1, sizeof *u);
    u->fds[0] = u->fds[1] = u->reply_fd = -1;
    u->other = other;
    u->actor = other;
    u->received_tail = &u->received;
    add_source(c, &udp_source, u);
    return u;
}

struct udp *udp_to(struct check *c, struct program *server)
{
    struct udp *u = new_udp(c, server->name);
    u->actor = server->actor;
    u->fds[0] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons((uint16_t)server->port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (u->fds[0] < 0 || connect(u->fds[0], (struct sockaddr *)&sa, sizeof sa) < 0)
        fail(c, "grader error: UDP socket to port %d: %s", server->port, strerror(errno));
    stamp_arrivals(u->fds[0]);
    u->connected = true;
    u->port = server->port;
    log_replay_port(c, "udp-to", u->actor, u->port);
    return u;
}

static int bind_udp_loopback(int family, int port)
{
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_storage ss = { 0 };
    socklen_t len;
    if (family == AF_INET) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
        *v4 = (struct sockaddr_in){ .sin_family = AF_INET,
                                    .sin_port = htons((uint16_t)port),
                                    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        len = sizeof *v4;
    } else {
        int one = 1;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
        *v6 = (struct sockaddr_in6){ .sin6_family = AF_INET6,
                                     .sin6_port = htons((uint16_t)port),
                                     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
        len = sizeof *v6;
    }
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        close(fd);
        return -1;
    }
    stamp_arrivals(fd);
    return fd;
}

struct udp *udp_listen(struct check *c)
{
    struct udp *u = new_udp(c, "client");
    u->port = reserve_port(c);
    u->fds[0] = bind_udp_loopback(AF_INET, u->port);
    u->fds[1] = bind_udp_loopback(AF_INET6, u->port); /* -1 without IPv6 */
    if (u->fds[0] < 0)
        fail(c, "grader error: cannot bind UDP port %d: %s", u->port, strerror(errno));
    note(c, "grader bound UDP 127.0.0.1%s port %d", u->fds[1] >= 0 ? " and ::1" : "", u->port);
    log_replay_port(c, "udp-listen", u->actor, u->port);
    return u;
}

int udp_port(const struct udp *u)
{
    return u->port;
}

/* ---- Sending ----------------------------------------------------------- */

/* A datagram sent in the event log: LATE if it was held (udp_send_later),
 * a duplicate if the one before it was the same. */
static void log_datagram_sent(struct check *c, struct udp *u, const struct datagram *d,
                              bool late)
{
    bool again = u->last_sent.data != NULL && u->last_sent.len == d->len &&
                 memcmp(u->last_sent.data, d->data, d->len) == 0;
    log_event(c, again ? "dup" : late ? "late" : "dgram", "grader", u->actor, d->data, d->len);
    buf_reset(&u->last_sent);
    buf_append(&u->last_sent, d->data, d->len);
}

static void send_now(struct check *c, struct udp *u, const struct datagram *d, bool late)
{
    char who[64];
    snprintf(who, sizeof who, "grader -> %s (UDP)", u->other);
    record(c, &u->out_log, who, d->data, d->len);
    log_datagram_sent(c, u, d, late);
    ssize_t n = u->connected ? send(d->fd, d->data, d->len, MSG_NOSIGNAL)
                             : sendto(d->fd, d->data, d->len, MSG_NOSIGNAL,
                                      (const struct sockaddr *)&d->addr, d->addrlen);
    if (n < 0) { /* an ICMP "port unreachable" from an earlier datagram, say */
        const char *why = strerror(errno);
        note(c, "%s: send failed: %s", who, why);
        log_event(c, "error", "grader", u->actor, why, strlen(why));
    }
}

static struct datagram *outgoing(struct check *c, struct udp *u, const void *data, size_t len)
{
    struct datagram *d = xcalloc(1, sizeof *d + len);
    memcpy(d->data, data, len);
    d->len = len;
    if (u->connected) {
        d->fd = u->fds[0];
    } else {
        if (u->reply_fd < 0)
            fail(c, "grader error: a reply with no datagram received to reply to");
        d->fd = u->reply_fd;
        d->addr = u->reply_to;
        d->addrlen = u->reply_len;
    }
    return d;
}

void udp_send(struct check *c, struct udp *u, const void *data, size_t len)
{
    struct datagram *d = outgoing(c, u, data, len);
    send_now(c, u, d, false);
    free(d);
}

void udp_send_later(struct check *c, struct udp *u, const void *data, size_t len, int delay_ms)
{
    struct datagram *d = outgoing(c, u, data, len);
    d->due_ms = now_ms() + delay_ms;
    d->next = u->pending;
    u->pending = d;
    note(c, "grader -> %s (UDP): %zu %s to be sent in %d ms", u->other, len,
         plural_of((long long)len, "byte", "bytes"), delay_ms);
    char when[32];
    int n = snprintf(when, sizeof when, "%d ms", delay_ms);
    log_event(c, "delay", "grader", u->actor, when, (size_t)n);
}

/* ---- Driven by the pump ------------------------------------------------ */

static size_t udp_nfds(struct check *c, void *self)
{
    (void)c, (void)self;
    return 2;
}

static void udp_fds(struct check *c, void *self, struct pollfd *fds)
{
    (void)c;
    struct udp *u = self;
    for (int i = 0; i < 2; i++)
        fds[i] = (struct pollfd){ .fd = u->fds[i], .events = POLLIN };
}

/* The kernel's arrival stamp in MSG (wall-clock time), as a now_ms()
 * time; now when there is none. */
static int64_t arrival_ms(struct msghdr *msg)
{
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_TIMESTAMPNS)
            continue;
        struct timespec stamp, wall;
        memcpy(&stamp, CMSG_DATA(cm), sizeof stamp);
        clock_gettime(CLOCK_REALTIME, &wall);
        int64_t age_ms = (wall.tv_sec - stamp.tv_sec) * 1000 +
                         (wall.tv_nsec - stamp.tv_nsec) / 1000000;
        return now_ms() - (age_ms > 0 ? age_ms : 0);
    }
    return now_ms();
}

static void receive_all(struct check *c, struct udp *u, int fd)
{
    static char buf[MAX_DATAGRAM];
    for (;;) {
        struct sockaddr_storage from;
        struct iovec iov = { buf, sizeof buf };
        char control[CMSG_SPACE(sizeof(struct timespec))];
        struct msghdr msg = { .msg_name = &from,
                              .msg_namelen = sizeof from,
                              .msg_iov = &iov,
                              .msg_iovlen = 1,
                              .msg_control = control,
                              .msg_controllen = sizeof control };
        ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
        if (n < 0)
            return; /* EAGAIN, or an ICMP error for an earlier send */
        socklen_t fromlen = msg.msg_namelen;
        int64_t arrived = arrival_ms(&msg);
        char who[64];
        snprintf(who, sizeof who, "%s -> grader (UDP)", u->other);
        record(c, &u->in_log, who, buf, (size_t)n);
        log_event(c, "dgram", u->actor, "grader", buf, (size_t)n);
        if (u->nreceived == MAX_QUEUED)
            continue;
        struct datagram *d = xcalloc(1, sizeof *d + (size_t)n);
        memcpy(d->data, buf, (size_t)n);
        d->len = (size_t)n;
        d->fd = fd;
        d->addr = from;
        d->addrlen = fromlen;
        d->arrived_ms = arrived;
        *u->received_tail = d;
        u->received_tail = &d->next;
        u->nreceived++;
    }
}

static void udp_events(struct check *c, void *self, const struct pollfd *fds)
{
    struct udp *u = self;
    for (int i = 0; i < 2; i++)
        if (fds[i].revents & (POLLIN | POLLERR))
            receive_all(c, u, u->fds[i]);
}

/* After each round: the delayed sends that are due. */
static void udp_send_due(struct check *c, void *self)
{
    struct udp *u = self;
    int64_t now = now_ms();
    for (struct datagram **d = &u->pending; *d != NULL;) {
        if ((*d)->due_ms <= now) {
            struct datagram *due = *d;
            *d = due->next;
            send_now(c, u, due, true);
            free(due);
        } else {
            d = &(*d)->next;
        }
    }
}

static int udp_wait_ms(struct check *c, void *self)
{
    (void)c;
    const struct udp *u = self;
    int wait = -1;
    int64_t now = now_ms();
    for (const struct datagram *d = u->pending; d != NULL; d = d->next) {
        int left = d->due_ms > now ? (int)(d->due_ms - now) : 0;
        if (wait < 0 || left < wait)
            wait = left;
    }
    return wait;
}

static const struct source_ops udp_source = {
    .phase = PHASE_UDP,
    .nfds = udp_nfds,
    .fds = udp_fds,
    .wait_ms = udp_wait_ms,
    .events = udp_events,
    .after_round = udp_send_due,
};

/* ---- Receiving --------------------------------------------------------- */

static bool has_datagram(struct check *c, void *arg)
{
    (void)c;
    return ((struct udp *)arg)->received != NULL;
}

ssize_t udp_receive(struct check *c, struct udp *u, void *buf, size_t size, int64_t until_ms)
{
    if (!pump_until(c, has_datagram, u, until_ms, false))
        return -1;
    struct datagram *d = u->received;
    u->received = d->next;
    if (u->received == NULL)
        u->received_tail = &u->received;
    u->nreceived--;
    u->reply_fd = d->fd;
    u->reply_to = d->addr;
    u->reply_len = d->addrlen;
    u->last_arrival_ms = d->arrived_ms;
    size_t n = d->len < size ? d->len : size;
    memcpy(buf, d->data, n);
    free(d);
    return (ssize_t)n;
}

struct datagram_wait {
    struct udp *u;
    struct program *p;
};

static bool datagram_or_exit(struct check *c, void *arg)
{
    (void)c;
    struct datagram_wait *w = arg;
    return w->u->received != NULL || !program_running(w->p);
}

ssize_t udp_receive_while_running(struct check *c, struct udp *u, struct program *p, void *buf,
                                  size_t size, int64_t until_ms)
{
    struct datagram_wait w = { u, p };
    pump_until(c, datagram_or_exit, &w, until_ms, false);
    if (u->received == NULL)
        pump(c, 0); /* what it sent just before it ended may wait unread */
    if (u->received == NULL)
        return -1;
    return udp_receive(c, u, buf, size, until_ms);
}

void udp_dropped(struct check *c, struct udp *u, const char *what)
{
    log_event(c, "drop", u->actor, "grader", what, strlen(what));
}

int64_t udp_arrival_ms(const struct udp *u)
{
    return u->last_arrival_ms;
}
