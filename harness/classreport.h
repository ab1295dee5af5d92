/*
 * classreport.h - a class's submissions and their results for instructors:
 * a CSV gradebook for a spreadsheet or an LMS, and one self-contained HTML
 * page to read.  batch.h grades them.
 */
#ifndef NETLAB_CLASSREPORT_H
#define NETLAB_CLASSREPORT_H

#include <stdio.h>

#include "build.h"
#include "lab.h"
#include "runner.h"

struct interop;

struct submission {
    char *name;               /* its folder's name: untrusted text */
    char *path;               /* its folder */
    char *copy;               /* its copy, built and graded (absolute) */
    struct lab_build *builds; /* one per lab of the class, in order */
    size_t nbuilds;
    struct check_result *results; /* its checks, grouped by lab in order */
    size_t n;
    /* Progress: its checks the runner runs, how many ended, their points,
     * and those the grader failed on (grader errors) with their points. */
    size_t to_run, ended;
    int got_so_far, errors_so_far, error_points_so_far;
};

/* Points of S's checks of LAB (of every lab if LAB is NULL): of the checks
 * graded; those the grader could not grade (grader errors) apart, never
 * counted against the submission. */
struct points {
    int got, max;
    int errors, error_points;
};
struct points submission_points(const struct submission *s, const struct lab_def *lab);

struct class_results {
    const struct lab_def *const *labs; /* the labs graded, in order */
    size_t nlabs;
    const struct submission *subs; /* in the gradebook's order */
    size_t nsubs;
    double seconds;                /* wall time of the whole run */
    const struct interop *interop; /* --interop's matrix (interop.h), or NULL */
};

/* A header (submission, each lab's id, total) and a row of points per
 * submission (RFC 4180). */
void write_gradebook(FILE *f, const struct class_results *c);

/* The scores (submissions by labs), each check's pass rate across the
 * class (worst first) and each submission's failed checks with why: one
 * page, its style inline, no script, nothing fetched. */
void write_class_html(FILE *f, const struct class_results *c);

#endif
