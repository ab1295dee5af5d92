/*
 * build.h - builds a submission's lab folders before they are graded, as
 * the sandbox runs student programs: in a copy (the submission's own
 * folder is never written), as a user of its own, under limits and a time
 * limit, with nothing it starts left running.  `grade --build` and
 * `grade --batch` both build this way.
 */
#ifndef NETLAB_BUILD_H
#define NETLAB_BUILD_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "lab.h"

/* Each lab's build stops here: an honest build takes seconds. */
#define BUILD_TIMEOUT_MS 60000

struct build_options {
    const char *kit_dir;   /* absolute; its labs/common is copied in */
    const char *hidden;    /* the folder holding every copy, hidden from
                                   builds with the kit (as root); or NULL */
    const char *originals; /* where the copies came from, hidden too */
    int jobs;              /* builds at once */
    int timeout_ms;        /* each lab's; 0: BUILD_TIMEOUT_MS */
    long memory_limit_mb;  /* as run_options': 0 default, negative none */
};

enum build_state {
    BUILD_MISSING, /* the submission has no folder for the lab */
    BUILD_PENDING, /* copied, not built yet */
    BUILD_OK,      /* built, or nothing to build */
    BUILD_FAILED,  /* a command failed or the time ran out */
    BUILD_REFUSED, /* not graded: the folder, or the program the
                                   grader would run, is a link (the log says) */
};

struct lab_build {
    const struct lab_def *lab;
    char *folder; /* the copy's lab folder (absolute) */
    enum build_state state;
    struct buf log; /* the commands and their output (the tail) */
};

/*
 * Copies the folders of the NLABS labs that SUBMISSION has into COPY (made
 * afresh, mode 0755), plus COPY/common: the kit's helper library, which a
 * build uses instead of the kit's own.  Fills in BUILDS[i] for LABS[i]
 * (state BUILD_PENDING, BUILD_MISSING or BUILD_REFUSED), even when the
 * copy fails.  Nothing of SUBMISSION is followed as a link (but
 * SUBMISSION's parents, the instructor's): a symbolic link is copied as a
 * link only if it leads to something inside the copy; a lab folder that
 * is a link, or whose program the grader would run is left out, is
 * BUILD_REFUSED; what is left out is said in the lab's log.  A folder
 * that has sources loses its `server` and `client`, so that a program
 * from an earlier build is never graded.
 * Returns 0, or -1 with why in ERR.
 */
int copy_submission(const char *submission, const char *copy, const char *kit_dir,
                    const struct lab_def *const *labs, size_t nlabs, struct lab_build *builds,
                    struct buf *err);

/* Builds every BUILD_PENDING lab of the N BUILDS, up to O->jobs at once,
 * and sets each state.  Returns 0, or -1 if interrupted (SIGINT, SIGTERM). */
int build_labs(const struct build_options *o, struct lab_build *const *builds, size_t n);

/* Why a lab's checks fail without running, for B in BUILD_MISSING,
 * BUILD_FAILED or BUILD_REFUSED: a message the caller frees. */
char *build_failure_message(const struct lab_build *b);

void free_builds(struct lab_build *builds, size_t n);

#endif
