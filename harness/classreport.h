/*
 * classreport.h - a class's results for instructors: a CSV gradebook for a
 * spreadsheet or an LMS, and one self-contained HTML page to read.
 */
#ifndef NETLAB_CLASSREPORT_H
#define NETLAB_CLASSREPORT_H

#include <stdio.h>

#include "batch.h"

struct class_results {
    const struct lab_def *const *labs;  /* the labs graded, in order */
    size_t nlabs;
    const struct submission *subs;      /* in the gradebook's order */
    size_t nsubs;
    double seconds;                     /* wall time of the whole run */
};

/* A header (submission, each lab's id, total) and a row of points per
 * submission (RFC 4180). */
void write_gradebook(FILE *f, const struct class_results *c);

/* The scores (submissions by labs), each check's pass rate across the
 * class (worst first) and each submission's failed checks with why: one
 * page, its style inline, no script, nothing fetched. */
void write_class_html(FILE *f, const struct class_results *c);

#endif
