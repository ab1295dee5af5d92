/*
 * runner.h - runs checks, each in a process of its own under a deadline,
 * several at once, and collects their results.
 */
#ifndef NETLAB_RUNNER_H
#define NETLAB_RUNNER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lab.h"
#include "slot.h"

struct check_result {
    const struct lab_def *lab;
    const struct check_def *def;
    const char *impl_dir;        /* the tree to grade, if not run_options' */
    const char *client_impl_dir; /* an interop check's: the client from this
                                    tree, the server from impl_dir; or NULL */
    bool passed;
    bool untestable;    /* passed because it could not be examined */
    bool grader_error;  /* not graded: the grader failed, not the program
                               (a message starting GRADER_ERROR); not passed,
                               and never counted against the student */
    unsigned isolation; /* enum isolation_layer bits; 0 if it never ran */
    char *message;      /* why it failed, or why it was not testable */
    char *cause;        /* the diagnosed cause of a failure, or NULL */
    char *hint;         /* the hint to show: the diagnosis's, or the
                               check's own (check_hint gives it) */
    char *transcript;   /* every byte exchanged, escaped */
    char *events;       /* its event log (diagram.h), or NULL: none (a
                               check that never ran, or was killed) */
    char *replay;       /* its replay log (repro.h): binary, REPLAY_LEN
                               bytes; or NULL */
    size_t replay_len;
    bool replay_cut; /* the exchange did not fit: the log stops short */
    double seconds;  /* wall time of the check */
};

/* Each student program's data limit (RLIMIT_DATA) unless run_options say
 * otherwise.  Sanitizer runtimes reserve terabytes of address space and
 * cannot start under any such limit: a grader built with AddressSanitizer
 * grades programs built alike, and sets none. */
#if defined(__SANITIZE_ADDRESS__)
#define DEFAULT_MEMORY_LIMIT_MB (-1)
#else
#define DEFAULT_MEMORY_LIMIT_MB 1024
#endif

struct run_options {
    const char *impl_dir;      /* absolute path of the tree being graded */
    int jobs;                  /* checks run at once */
    const char *shortio;       /* absolute path of shortio.so, for short-counts */
    const char *kit_dir;       /* the kit, hidden from programs run as root; or NULL */
    const char *originals_dir; /* where graded copies came from (a class's
                                   submissions), hidden the same way; or NULL */
    long memory_limit_mb;      /* 0: DEFAULT_MEMORY_LIMIT_MB; negative: none */
    int time_scale;            /* time limits times this, for slow tools such as
                               valgrind; 0 or 1: as the labs set them */
    const char *client_host;   /* the host clients are told to connect to; NULL:
                                   "localhost".  Tests give "::1" to make them
                                   connect over IPv6, as where localhost names
                                   ::1 first. */
    /* Progress: called as each check ends, with how many of the TOTAL
     * have ended; or NULL. */
    void (*on_result)(const struct check_result *r, size_t done, size_t total, void *arg);
    void *on_result_arg;
};

/* Runs every check of RESULTS (lab and def filled in by the caller) and
 * fills in the rest.  Returns 0; RUN_INTERRUPTED if interrupted by SIGINT
 * or SIGTERM; RUN_CANNOT_GRADE, with one message on stderr and no check
 * run, where the programs could not reach what they need (as root in a
 * folder closed to other users, where the system allows no mount
 * namespace to open the way). */
#define RUN_INTERRUPTED (-1)
#define RUN_CANNOT_GRADE (-2)
int run_checks(const struct run_options *opts, struct check_result *results, size_t n);

/* The grader's exit status for those: 130 once interrupted, and
 * EXIT_CANNOT_GRADE where it cannot grade (the setup's fault, not the
 * submission's). */
#define EXIT_CANNOT_GRADE 3
/* The grader's exit status when some check could not be graded because the
 * grader itself failed (a grader error), whatever the other checks did: the
 * report is incomplete, and says which checks to grade again. */
#define EXIT_GRADER_ERROR 4
int run_exit_status(int rc);

void free_results(struct check_result *results, size_t n);

/* The hint that R's report shows: its diagnosis's, or its check's own. */
static inline const char *check_hint(const struct check_result *r)
{
    return r->hint != NULL ? r->hint : r->def->hint;
}

/* As root, where checks get no mounts of their own (no namespaces: a
 * plain chroot, a container without CAP_SYS_ADMIN): whether the programs'
 * user gets through every folder on the way to the N PATHS, as
 * sandbox_way_is_open; if not, false, with one message on stderr saying
 * what to do.  If so, a warning once that checks run without those mounts.
 * True wherever the checks' sandbox opens the way itself. */
bool programs_can_reach(const char *const *paths, size_t n);
/* catch_interrupts makes SIGINT, SIGTERM and SIGHUP set
 * grader_interrupted: the grader and its builds then stop. */
void catch_interrupts(void);
bool grader_interrupted(void);

#endif
