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
#define MAX_PROGRAMS 32 /* bad-arguments: a dozen runs of bad PORTs and more */

struct check_def {
    const char *name; /* stable: "binary-safe" -> "02-echo/binary-safe" */
    int points;
    int timeout_ms;
    const char *what; /* the rubric line: what a pass means */
    const char *hint; /* what to read again when it fails */
    void (*run)(struct check *c);
};

struct lab_def {
    const char *id; /* the folder name: "02-echo" */
    const char *title;
    const struct check_def *checks;
    size_t nchecks;
    size_t nhidden; /* the last checks are hidden: instructors' runs only */
};

/* Every lab the grader knows, in the order of their ids, NULL-terminated:
 * filled in before main runs, as each file of checks registers. */
extern const struct lab_def *all_labs[];

/*
 * How a file of checks joins the grader, hidden checks included.  The file
 * names its lab once, at its top:
 *
 *     #define LAB_ID "02-echo"
 *
 * then ends with its table, registered before main runs:
 *
 *     LAB_CHECKS("blocking echo", checks);      harness/checks/02-echo.c
 *     HIDDEN_CHECKS(hidden);                     harness/hidden/02-echo.c
 *
 * A lab's hidden checks come after its visible ones, whichever registers
 * first.  The students' copy of the kit has no harness/hidden/, and so its
 * grader no hidden check.  Both macros call register_checks.
 */
#define LAB_CHECKS(title, table) REGISTER_CHECKS_(title, table, false)
#define HIDDEN_CHECKS(table) REGISTER_CHECKS_(NULL, table, true)
#define REGISTER_CHECKS_(title, table, hidden)                                                \
    __attribute__((constructor)) static void register_this_files_checks(void)                 \
    {                                                                                         \
        register_checks(LAB_ID, title, table, COUNT_OF(table), hidden);                       \
    }                                                                                         \
    _Static_assert(COUNT_OF(table) > 0, "a file registers at least one check")

/* Adds the N CHECKS to the lab ID (made when it is new, in id order);
 * TITLE, the lab's, comes with its visible checks (NULL with hidden ones). */
void register_checks(const char *id, const char *title, const struct check_def *checks,
                     size_t n, bool hidden);

/* HINT("section"): the hint that points at that section of the file's lab's
 * handout (LAB_ID's), the form every hint and diagnosis takes. */
#define HINT(section) "handouts/" LAB_ID ".md, section \"" section "\""

/* Whether DEF, one of LAB's checks, is hidden. */
bool is_hidden(const struct lab_def *lab, const struct check_def *def);

/*
 * The rubric's version, as every report states it, so that a score from
 * before a change of the rubric is told from one after: "rN-XXXXXXXX", where
 * N is RUBRIC_REVISION, raised by hand whenever a check's judgement changes
 * without its name or points changing (INSTRUCTORS.md, "Adding a check"),
 * and XXXXXXXX a digest of every lab's id and visible checks (name, points,
 * rubric line), which changes by itself when those do.  WITH_HIDDEN adds
 * "+hXXXXXXXX", a digest of the hidden checks, for a run that includes
 * them; the students' copy, which has none, then reports the same version as
 * the instructor's for the same public rubric.  Written into VERSION.
 */
#define RUBRIC_REVISION 1
#define RUBRIC_VERSION_SIZE 32
void rubric_version(bool with_hidden, char version[RUBRIC_VERSION_SIZE]);

/* The lab a user named by "02", "02-echo" or "echo", or NULL. */
const struct lab_def *find_lab(const char *name);

/* LAB's check named NAME ("binary-safe"), or NULL. */
const struct check_def *find_check(const struct lab_def *lab, const char *name);

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

#endif
