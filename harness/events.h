/*
 * events.h - what the check's pump (check.c) knows of the things it moves:
 * event sources.  The check's programs, each connection of the grader, each
 * relay, each UDP socket and the child-exit pipe register themselves with
 * the check; the pump polls their descriptors, wakes for their deadlines,
 * and hands each its events.  The pump knows no kind of source by name, and
 * no source calls the pump: a callback that must wait for something returns
 * and does the rest when a later round brings it (see relay.c's connect).
 */
#ifndef NETLAB_EVENTS_H
#define NETLAB_EVENTS_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

struct buf;
struct check;

/*
 * The order in which a round serves the kinds of source: child exits are
 * noticed before the programs' output is read, so that what a program
 * wrote before it ended is read in the round that sees it end; then the
 * programs, the grader's connections, the relays and the UDP sockets.
 * The work after a round and the end of the check go the other way, as a
 * teardown does: UDP's due sends before the relays' forwarding, and the
 * connections' logs before the programs are stopped.  Within a phase,
 * sources are served in the order they registered.
 */
enum source_phase {
    PHASE_CHILD_EXITS,
    PHASE_PROGRAMS,
    PHASE_PEERS,
    PHASE_RELAYS,
    PHASE_UDP,
    SOURCE_PHASES
};

/* What a kind of source does; any callback may be NULL.  SELF is what the
 * source registered with.  A callback may fail the check (fail never
 * returns into it), but never pumps. */
struct source_ops {
    enum source_phase phase;
    /* How many pollfds it fills this round, and filling them (fd -1 for
     * a slot with nothing to wait for). */
    size_t (*nfds)(struct check *c, void *self);
    void (*fds)(struct check *c, void *self, struct pollfd *fds);
    /* How long the pump may sleep before it has something to do that no
     * descriptor announces (a delay ending): -1 for no limit. */
    int (*wait_ms)(struct check *c, void *self);
    /* After poll found anything ready: FDS as it filled them. */
    void (*events)(struct check *c, void *self, const struct pollfd *fds);
    /* A child of the check's process changed state (sources_child_exited). */
    void (*child_exited)(struct check *c, void *self);
    /* After every round, whether or not anything was ready: sends that
     * are due, bytes to pass on. */
    void (*after_round)(struct check *c, void *self);
    /* For a failure message: what became of it. */
    void (*describe)(struct check *c, void *self, struct buf *msg);
    /* Whether it has come to rest (a program: exited), for a failing
     * check's short wait; NULL: always. */
    bool (*settled)(struct check *c, void *self);
    /* At the end of the check, outside any round: stop it, flush its
     * logs.  It may wait for its programs (and pump): the check is ending
     * and no callback frame is left to return to. */
    void (*finish)(struct check *c, void *self);
};

struct source {
    const struct source_ops *ops;
    void *self;
};

/* A check's sources (a member of struct check). */
struct sources {
    struct source *list;
    size_t n;
    bool pumping; /* inside a round or a wait's condition: the
                               pump must not be entered again */
};

/* Registers SELF, of the kind OPS, with the check C. */
void add_source(struct check *c, const struct source_ops *ops, void *self);
/* How many sources of the kind OPS C has registered. */
size_t count_sources(const struct check *c, const struct source_ops *ops);
/* For the child-exit pipe's source: tells every source that wants to know. */
void sources_child_exited(struct check *c);

#endif
