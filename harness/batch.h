/*
 * batch.h - grades submissions as a class (`grade --batch DIR`), or one
 * submission that must be built first (`grade --impl DIR --build`): each
 * is copied and built (build.h), then every check of every submission
 * runs in one run of the runner, so that its jobs span submissions.  The
 * runner and the sandbox keep them apart: ports, folders, users and
 * processes are a check's own.
 */
#ifndef NETLAB_BATCH_H
#define NETLAB_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "build.h"
#include "classreport.h"
#include "lab.h"
#include "runner.h"

/* Where `grade --batch` writes when no --out is given. */
#define DEFAULT_CLASS_OUT "build/class"

/* What is graded and how: the same for every submission. */
struct batch_setup {
    const struct lab_def *const *labs; /* the class's labs, in order */
    size_t nlabs;
    const struct check_result *plan; /* the checks of each submission */
    size_t nplan;
    struct run_options run;     /* impl_dir unused */
    struct build_options build; /* .hidden: the copies' folder */
    const char *copies;         /* where each copy is made (absolute) */
    bool progress;              /* report progress on stderr */
    /* --interop LAB: the class's clients against each other's servers
     * (interop.h), never scored; or NULL.  --interop-sample's K. */
    const struct lab_def *interop_lab;
    int interop_sample;
};

/* Copies, builds and grades SUBS (name and path filled in), filling in
 * the rest.  A lab missing or not built fails each of its checks without
 * running it.  Returns 0, or run_checks' RUN_INTERRUPTED or
 * RUN_CANNOT_GRADE (with a message) if it could not. */
int grade_submissions(const struct batch_setup *s, struct submission *subs, size_t n);

void free_submissions(struct submission *subs, size_t n);

/* The labs that some submission folder of DIR has a folder for, in order,
 * at most MAX of them into LABS; returns their number. */
size_t labs_in_class(const char *dir, const struct lab_def **labs, size_t max);

/*
 * `grade --impl IMPL --build`: copies IMPL into a temporary folder (removed
 * after), builds and grades the copy: S's plan of checks, RESULTS, gets
 * their results.  Returns 0, or the grader's exit status to end with (130
 * if interrupted, 1 if it could not make the folder, EXIT_CANNOT_GRADE if
 * programs could not reach it).
 */
int grade_built_copy(struct batch_setup *s, const char *impl, struct check_result *results);

/*
 * `grade --batch DIR`: grades every submission folder of DIR (names
 * beginning with a dot are skipped) and writes into OUT:
 *   gradebook.csv, class.html (classreport.h),
 *   interop.csv with --interop (interop.h),
 *   submissions/NAME/{report.txt,results.json,build.log,transcripts/},
 *   builds/NAME/: the copy that was built and graded.
 * Returns the grader's exit status: 0 once everything is written;
 * EXIT_CANNOT_GRADE, with nothing copied, built or graded, where programs
 * could not reach the copies.
 */
int grade_batch(struct batch_setup *s, const char *dir, const char *out);

#endif
