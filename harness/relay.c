/*
 * relay.c - the grader between two programs: a student client connects to
 * the relay, which connects to the student server and forwards the bytes
 * both ways, changing how they travel but never what they are:
 *   - in pieces: PIECE bytes at a time, each sent once the receiving
 *     program has read the last, so that every piece is a read of its own;
 *   - coalesced: bytes held until none has come for COALESCE_MS, then sent
 *     in one write, so that several of the sender's lines arrive as one;
 *   - delayed: bytes held DELAY_MS after they arrive.
 * An end of stream is passed on as a half-close, a reset as a reset, and
 * relay_reset cuts both sides at once.
 *
 * The relay is one of the check's event sources (events.h): it accepts the
 * client, connects to the server without waiting (the connection completes
 * in a later round), and then its two sockets are ordinary peers, between
 * which relay_forward moves bytes after each round of I/O.
 */
#include "check.h"
#include "core.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct direction {
    const char *name; /* "client -> server" */
    struct relay_mode mode;
    struct peer *from, *to;
    size_t held;        /* bytes of from->in seen so far */
    int64_t arrived_ms; /* when the oldest held byte arrived */
    int64_t grew_ms;    /* when the last byte arrived */
    bool ended;         /* the end of stream was passed on */
};

#define MAX_RELAYS 4 /* relays in one check */

struct relay {
    struct listener *listener;
    struct program *server;
    struct direction up, down; /* client -> server, server -> client */
    int client_fd;             /* while connecting to the server: the */
    int server_fd;             /* client accepted, the connection under way */
    bool connected;
};

static const struct source_ops relay_source;

struct relay *start_relay(struct check *c, struct program *server, struct relay_mode up,
                          struct relay_mode down)
{
    if (count_sources(c, &relay_source) == MAX_RELAYS)
        fail(c, "grader error: too many relays in one check");
    struct relay *r = xcalloc(1, sizeof *r);
    r->server = server;
    r->client_fd = r->server_fd = -1;
    r->up = (struct direction){ .name = "client -> server", .mode = up };
    r->down = (struct direction){ .name = "server -> client", .mode = down };
    r->listener = listen_for_client(c);
    add_source(c, &relay_source, r);
    note(c,
         "relay on port %d to the server's port %d: up %zu-byte pieces, "
         "%d ms coalescing, %d ms delay; down %zu, %d ms, %d ms",
         listener_port(r->listener), server->port, up.piece, up.coalesce_ms, up.delay_ms,
         down.piece, down.coalesce_ms, down.delay_ms);
    return r;
}

int relay_port(const struct relay *r)
{
    return listener_port(r->listener);
}

/* ---- Driven by the pump ------------------------------------------------ */

static size_t relay_nfds(struct check *c, void *self)
{
    (void)c, (void)self;
    return 3;
}

/* The listener's two sockets until the client comes, then the connection
 * to the server until it completes. */
static void relay_fds(struct check *c, void *self, struct pollfd *fds)
{
    (void)c;
    struct relay *r = self;
    bool listening = !r->connected && r->server_fd < 0;
    for (int i = 0; i < 2; i++)
        fds[i] = (struct pollfd){ .fd = listening ? r->listener->fds[i] : -1,
                                  .events = POLLIN };
    fds[2] = (struct pollfd){ .fd = r->server_fd, .events = POLLOUT };
}

static void connect_sides(struct check *c, struct relay *r)
{
    struct peer *server_side = new_peer(c, r->server_fd, r->server->name);
    struct peer *client_side = new_peer(c, r->client_fd, "client");
    r->server_fd = r->client_fd = -1;
    server_side->self = client_side->self = "relay";
    snprintf(server_side->label, sizeof server_side->label, "relay -> server");
    snprintf(client_side->label, sizeof client_side->label, "relay -> client");
    server_side->actor = r->server->actor;
    note(c, "%s: connected from port %d to 127.0.0.1 port %d", server_side->label,
         local_port_of(server_side->fd, false), r->server->port);
    log_open(c, client_side, "client", "relay", local_port_of(client_side->fd, true),
             listener_port(r->listener));
    log_open(c, server_side, "relay", server_side->actor,
             local_port_of(server_side->fd, false), r->server->port);
    int one = 1; /* pieces must leave as they are written */
    setsockopt(server_side->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(client_side->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    r->up.from = r->down.to = client_side;
    r->up.to = r->down.from = server_side;
    r->connected = true;
    note(c, "relay: the client connected; relaying to the server");
}

/* The connection to the server ended as ERR (0: it is up). */
static void connected_or_not(struct check *c, struct relay *r, int err)
{
    if (err == 0) {
        connect_sides(c, r);
        return;
    }
    close(r->server_fd);
    r->server_fd = -1;
    fail(c, "could not connect to the server at 127.0.0.1 port %d: %s.", r->server->port,
         strerror(err));
}

/* How the connection under way on FD went, once poll says it is done. */
static int connect_result(int fd)
{
    int err = 0;
    socklen_t len = sizeof err;
    return getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 ? errno : err;
}

/* Connects to the server for the client just accepted as CLIENT_FD, without
 * waiting: a server that does not accept can leave the connection pending
 * in its backlog, and the rounds that complete it move the check's other
 * I/O meanwhile. */
static void start_connecting(struct check *c, struct relay *r, int client_fd)
{
    r->client_fd = client_fd;
    r->server_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (r->server_fd < 0)
        fail(c, "grader error: socket: %s", strerror(errno));
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons((uint16_t)r->server->port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int err = connect(r->server_fd, (struct sockaddr *)&sa, sizeof sa) == 0 ? 0 : errno;
    struct pollfd now = { .fd = r->server_fd, .events = POLLOUT };
    if (err == EINPROGRESS && poll(&now, 1, 0) <= 0)
        return; /* relay_events completes it */
    connected_or_not(c, r, err == EINPROGRESS ? connect_result(r->server_fd) : err);
}

static void relay_events(struct check *c, void *self, const struct pollfd *fds)
{
    struct relay *r = self;
    if (r->server_fd >= 0) {
        if (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))
            connected_or_not(c, r, connect_result(r->server_fd));
        return;
    }
    for (int i = 0; i < 2 && !r->connected && r->server_fd < 0; i++) {
        if (!(fds[i].revents & POLLIN))
            continue;
        int fd = accept4(r->listener->fds[i], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            start_connecting(c, r, fd);
    }
}

/* Whether the held bytes may go now, given the direction's mode. */
static bool may_send(struct check *c, struct direction *d, int64_t now)
{
    if (d->mode.delay_ms > 0 && now - d->arrived_ms < d->mode.delay_ms)
        return false;
    if (d->mode.coalesce_ms > 0 && now - d->grew_ms < d->mode.coalesce_ms)
        return false;
    if (d->mode.piece > 0 && (d->to->out.len > 0 || !peer_consumed(c, d->to)))
        return false;
    return true;
}

static void pass_on_end(struct check *c, struct direction *d)
{
    d->ended = true;
    if (d->from->error == ECONNRESET) {
        struct linger lg = { .l_onoff = 1, .l_linger = 0 };
        setsockopt(d->to->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        note(c, "relay: %s reset; resetting the other side", d->name);
        close_peer(c, d->to);
    } else {
        note(c, "relay: %s ended; half-closing the other side", d->name);
        log_event_on(c, d->to->number, "shut", "relay", d->to->actor, NULL, 0);
        shutdown(d->to->fd, SHUT_WR);
    }
}

static void forward(struct check *c, struct direction *d)
{
    int64_t now = now_ms();
    if (d->from->in.len > d->held) { /* new bytes came */
        if (d->held == 0)
            d->arrived_ms = now;
        d->grew_ms = now;
        d->held = d->from->in.len;
    }
    if (d->to->fd < 0 || d->ended)
        return;
    if (d->held > 0 && may_send(c, d, now)) {
        size_t n = d->mode.piece > 0 && d->mode.piece < d->held ? d->mode.piece : d->held;
        buf_append(&d->to->out, d->from->in.data, n);
        buf_consume(&d->from->in, n);
        d->held -= n;
        d->arrived_ms = now;
    }
    if (d->from->eof && d->held == 0 && d->to->out.len == 0)
        pass_on_end(c, d);
}

/* After each round: the connection to the server that never came (as
 * connect_to's: at the check's deadline), or the bytes to pass on. */
static void relay_forward(struct check *c, void *self)
{
    struct relay *r = self;
    if (r->server_fd >= 0 && time_left_ms(c) == 0)
        connected_or_not(c, r, ETIMEDOUT);
    if (!r->connected)
        return;
    forward(c, &r->up);
    forward(c, &r->down);
}

/* How long the pump may wait before the relay has something to do that no
 * event announces (a delay ending, a piece being read): -1 for no limit. */
static int relay_wait_ms(struct check *c, void *self)
{
    (void)c;
    const struct relay *r = self;
    if (!r->connected)
        return -1;
    int wait = -1;
    const struct direction *dirs[] = { &r->up, &r->down };
    for (size_t i = 0; i < 2; i++) {
        const struct direction *d = dirs[i];
        if (d->held == 0 || d->ended)
            continue;
        int need = d->mode.piece > 0 ? 1 : 0;
        int64_t now = now_ms();
        int64_t until = d->mode.delay_ms > 0 ? d->arrived_ms + d->mode.delay_ms : now;
        if (d->mode.coalesce_ms > 0 && d->grew_ms + d->mode.coalesce_ms > until)
            until = d->grew_ms + d->mode.coalesce_ms;
        int left = (int)(until > now ? until - now : 0);
        if (left < need)
            left = need;
        if (wait < 0 || left < wait)
            wait = left;
    }
    return wait;
}

static const struct source_ops relay_source = {
    .phase = PHASE_RELAYS,
    .nfds = relay_nfds,
    .fds = relay_fds,
    .wait_ms = relay_wait_ms,
    .events = relay_events,
    .after_round = relay_forward,
};

void relay_reset(struct check *c, struct relay *r)
{
    if (!r->connected)
        return;
    note(c, "relay: cutting both connections with a reset");
    reset_peer(c, r->up.from);
    reset_peer(c, r->up.to);
    r->up.ended = r->down.ended = true;
}
