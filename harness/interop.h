/*
 * interop.h - who speaks a lab's protocol with whom across a class
 * (`grade --batch DIR --interop LAB`): students' clients run against other
 * students' servers, each pair in one check of its own.  The check is the
 * lab's own "pair" check (the client driven as a user would drive it,
 * against the server), with the server from one submission and the client
 * from another: the two share the check's network, but each runs in a root
 * of its own that holds only its own lab folder, as a user of its own
 * (sandbox.c).  The verdicts make a matrix, clients by servers, on the
 * class page and in interop.csv.  They are never part of any score.
 */
#ifndef NETLAB_INTEROP_H
#define NETLAB_INTEROP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "lab.h"
#include "runner.h"

/* Every pair up to this many submissions with the lab built; above it,
 * each client against its own server and a sample of others. */
#define INTEROP_EVERY_PAIR_UP_TO 12
#define INTEROP_DEFAULT_SAMPLE 4

/* The check an interop pair runs: the lab's check of this name. */
#define INTEROP_CHECK "pair"

struct interop_pair {
    size_t client, server; /* indices into interop's members */
};

/* What a cell of the matrix says. */
enum interop_verdict {
    INTEROP_NOT_RUN,   /* not in the sample, or a side not built */
    INTEROP_PASS,      /* they worked together */
    INTEROP_FAIL,      /* they did not: the programs' fault */
    INTEROP_NO_SERVER, /* the server did not start: its column says so */
    INTEROP_ERROR,     /* the grader failed (a grader error): run it again */
};

struct interop_member {
    const char *name;      /* the submission's: untrusted text */
    const char *copy;      /* its built copy (absolute) */
    const char *not_built; /* why its lab folder is not run ("did not
                              build"), or NULL: it was built */
};

struct interop {
    const struct lab_def *lab;
    const struct check_def *def;    /* its INTEROP_CHECK */
    struct interop_member *members; /* the class, in its order */
    size_t n;
    int sample; /* the K of --interop-sample */
    struct interop_pair *pairs;
    struct check_result *results; /* one per pair, in the same order */
    size_t npairs;
};

/* LAB's INTEROP_CHECK, or NULL if it has none (a lab without both a client
 * and a server). */
const struct check_def *interop_check_of(const struct lab_def *lab);

/*
 * The pairs to run among the M members built (BUILT[0..M-1], indices of
 * members), into OUT (room for M * M): every pair if M is at most
 * INTEROP_EVERY_PAIR_UP_TO; otherwise each client against its own server
 * and K others (at most M - 1), chosen by where they stand in the class's
 * order, spread evenly: the same class gives the same sample, and each
 * server meets as many clients as each client meets servers.  Returns
 * their number.
 */
size_t interop_choose(const size_t *built, size_t m, int k, struct interop_pair *out);

/* Chooses IO's pairs among its members built and runs them, under OPTS
 * (their sandbox, jobs and limits).  Returns run_checks' status. */
int run_interop(struct interop *io, const struct run_options *opts);

/* What the cell of CLIENT and SERVER (indices of members) says, and why
 * (the first line of its check's message, or NULL). */
enum interop_verdict interop_cell(const struct interop *io, size_t client, size_t server,
                                  const char **why);

/* A row per pair run and per member not built: client, server, verdict,
 * reason (RFC 4180). */
void write_interop_csv(FILE *f, const struct interop *io);

/* The class page's section: the matrix, clients by servers, each cell with
 * its reason as a tooltip; nothing if IO is NULL. */
void write_interop_html(FILE *f, const struct interop *io);

void free_interop(struct interop *io);

#endif
