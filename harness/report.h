/*
 * report.h - the grader's reports: text for people, Gradescope JSON and JUnit
 * XML for machines.  All escaping of untrusted text happens in report.c.
 */
#ifndef NETLAB_REPORT_H
#define NETLAB_REPORT_H

#include <stdio.h>

#include "isolation.h"
#include "runner.h"

struct report {
    const char *impl; /* the tree graded, as the user named it */
    const struct check_result *results;
    size_t n;
    const char *transcripts; /* folder holding the transcripts, or NULL */
    double seconds;          /* wall time of the whole run */
    int held_back;           /* points of hidden checks not run */
};

void write_text(FILE *f, const struct report *r);
void write_gradescope(FILE *f, const struct report *r);
void write_junit(FILE *f, const struct report *r);

/* Writes each check's transcript to DIR/LAB/CHECK.txt.  Returns 0 or -1. */
int save_transcripts(const char *dir, const struct check_result *results, size_t n);

/* Text made safe for each format: valid UTF-8 and allowed characters pass,
 * anything else is shown as \xNN.  Exposed for the tests. */
void put_text(FILE *f, const char *s);
void put_json_string(FILE *f, const char *s);
void put_xml_text(FILE *f, const char *s);
/* HTML text or attribute value (quoted with " or '). */
void put_html_text(FILE *f, const char *s);
/* HINT as HTML text, linked to its handout section's id (handout.h's
 * hint_anchor), which write_cited_sections puts on the same page. */
void put_hint_link(FILE *f, const char *hint);
/* Each handout section the N HINTS name, once, as HTML: a heading and the
 * section's Markdown as preformatted text, under the id its links point to,
 * read from KIT_DIR (a section that cannot be read says why, under the same
 * id).  Nothing for a hint in no known form. */
void write_cited_sections(FILE *f, const char *kit_dir, const char *const *hints, size_t n);
/* One CSV field (RFC 4180), quoted, on one line, never a formula. */
void put_csv_field(FILE *f, const char *s);

#endif
