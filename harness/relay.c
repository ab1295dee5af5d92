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
 * The relay lives in the check's pump: its two sockets are ordinary peers,
 * and relay_forward moves bytes between them after each round of I/O.
 */
#include "check.h"
#include "core.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct direction {
    const char *name;           /* "client -> server" */
    struct relay_mode mode;
    struct peer *from, *to;
    size_t held;                /* bytes of from->in seen so far */
    int64_t arrived_ms;         /* when the oldest held byte arrived */
    int64_t grew_ms;            /* when the last byte arrived */
    bool ended;                 /* the end of stream was passed on */
};

struct relay {
    struct listener *listener;
    struct program *server;
    struct direction up, down;  /* client -> server, server -> client */
    bool connected;
};

struct relay *start_relay(struct check *c, struct program *server,
                          struct relay_mode up, struct relay_mode down)
{
    if (c->nrelays == COUNT_OF(c->relays))
        fail(c, "grader error: too many relays in one check");
    struct relay *r = xcalloc(1, sizeof *r);
    r->server = server;
    r->up = (struct direction){ .name = "client -> server", .mode = up };
    r->down = (struct direction){ .name = "server -> client", .mode = down };
    r->listener = listen_for_client(c);
    c->relays[c->nrelays++] = r;
    note(c, "relay on port %d to the server's port %d: up %zu-byte pieces, "
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

void relay_fds(struct relay *r, struct pollfd *fds, size_t *n)
{
    for (int i = 0; i < 2; i++)
        fds[(*n)++] = (struct pollfd){ .fd = r->connected ? -1 : r->listener->fds[i],
                                       .events = POLLIN };
}

static void connect_sides(struct check *c, struct relay *r, int client_fd)
{
    struct peer *server_side = connect_to(c, r->server);
    struct peer *client_side = new_peer(c, client_fd, "client");
    server_side->self = client_side->self = "relay";
    snprintf(server_side->label, sizeof server_side->label, "relay -> server");
    snprintf(client_side->label, sizeof client_side->label, "relay -> client");
    int one = 1;            /* pieces must leave as they are written */
    setsockopt(server_side->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(client_side->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    r->up.from = r->down.to = client_side;
    r->up.to = r->down.from = server_side;
    r->connected = true;
    note(c, "relay: the client connected; relaying to the server");
}

void relay_events(struct check *c, struct relay *r, const struct pollfd *fds)
{
    for (int i = 0; i < 2 && !r->connected; i++) {
        if (!(fds[i].revents & POLLIN))
            continue;
        int fd = accept4(r->listener->fds[i], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            connect_sides(c, r, fd);
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
        shutdown(d->to->fd, SHUT_WR);
    }
}

static void forward(struct check *c, struct direction *d)
{
    int64_t now = now_ms();
    if (d->from->in.len > d->held) {        /* new bytes came */
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

void relay_forward(struct check *c, struct relay *r)
{
    if (!r->connected)
        return;
    forward(c, &r->up);
    forward(c, &r->down);
}

/* How long the pump may wait before the relay has something to do that no
 * event announces (a delay ending, a piece being read): -1 for no limit. */
int relay_wait_ms(const struct relay *r)
{
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

void relay_reset(struct check *c, struct relay *r)
{
    if (!r->connected)
        return;
    note(c, "relay: cutting both connections with a reset");
    reset_peer(c, r->up.from);
    reset_peer(c, r->up.to);
    r->up.ended = r->down.ended = true;
}
