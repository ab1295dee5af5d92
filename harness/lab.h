/*
 * lab.h - a lab is a table of checks.  Each row is one line of the lab's
 * rubric: a stable name, the points, what it checks, a time limit, and a
 * hint that points into the handout.
 */
#ifndef NETLAB_LAB_H
#define NETLAB_LAB_H

#include <stdbool.h>
#include <stddef.h>

struct check;

/* How many programs one check may start (a check's state and its result
 * slot hold that many). */
#define MAX_PROGRAMS    32      /* bad-arguments: a dozen runs of bad PORTs and more */

struct check_def {
    const char *name;       /* stable: "binary-safe" -> "02-echo/binary-safe" */
    int points;
    int timeout_ms;
    const char *what;       /* the rubric line: what a pass means */
    const char *hint;       /* what to read again when it fails */
    void (*run)(struct check *c);
};

struct lab_def {
    const char *id;         /* the folder name: "02-echo" */
    const char *title;
    const struct check_def *checks;
    size_t nchecks;
    size_t nhidden;         /* the last checks are hidden: instructors' runs only */
};

/* Every lab the grader knows, in order, NULL-terminated. */
extern const struct lab_def *const all_labs[];

/* Appends LAB's hidden checks to its table, once, before main runs: each
 * file of harness/hidden/ calls it from a constructor.  The students' copy
 * of the kit has no such file, and its grader no hidden check. */
void add_hidden_checks(struct lab_def *lab, const struct check_def *checks, size_t n);

/* Whether DEF, one of LAB's checks, is hidden. */
bool is_hidden(const struct lab_def *lab, const struct check_def *def);

/* The lab a user named by "02", "02-echo" or "echo", or NULL. */
const struct lab_def *find_lab(const char *name);

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

#endif
