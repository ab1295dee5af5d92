/*
 * report.h - the grader's reports: text and an HTML page for people,
 * Gradescope JSON and JUnit XML for machines.  All escaping of untrusted
 * text happens in report.c.
 */
#ifndef NETLAB_REPORT_H
#define NETLAB_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "isolation.h"
#include "runner.h"

/* How much the text report says of each check. */
enum text_detail {
    TEXT_NORMAL,  /* a line per check, and why each failed */
    TEXT_QUIET,   /* a line per check, and why each failed; no notes on
                     passed checks, no lab headings */
    TEXT_VERBOSE, /* and each check's time, isolation and transcript */
};

struct report {
    const char *impl; /* the tree graded, as the user named it */
    const struct check_result *results;
    size_t n;
    const char *transcripts; /* folder holding the transcripts, or NULL */
    double seconds;          /* wall time of the whole run */
    int held_back;           /* points of hidden checks not run */
    /* Which of RESULTS ended (a run stopped by a signal or a time limit
     * ends some only); NULL: all.  A check that did not end counts 0
     * points, and each report says the run stopped before it. */
    const bool *ended;
    const char *rubric;    /* rubric_version (lab.h), or NULL */
    const char *graded_at; /* when the run started: ISO 8601, local time */
    bool color;            /* the text report in ANSI colours (a terminal) */
    enum text_detail detail;
    const char *kit_dir; /* the kit, whose handouts the HTML report
                                quotes; NULL: the current folder */
    bool html_saved;     /* save_html_report wrote report.html beside
                                the transcripts: the text report says so */
};

void write_text(FILE *f, const struct report *r);
void write_gradescope(FILE *f, const struct report *r);
void write_junit(FILE *f, const struct report *r);
/* One page that opens in any browser, offline (htmlreport.c). */
void write_html(FILE *f, const struct report *r);

/* Writes R's HTML page as TRANSCRIPTS/report.html, beside the transcripts
 * (R->transcripts, not NULL).  Returns 0, or -1 with a message on stderr. */
#define HTML_REPORT_NAME "report.html"
int save_html_report(const struct report *r);

/*
 * A check the grader could not grade (a grader error) is neither passed nor
 * failed: its points leave the maximum, so that the grader's fault costs
 * the student nothing, and every report says which checks they were.
 */
struct score {
    int got, max;             /* of the checks graded */
    int failed;               /* graded checks that failed */
    int errors, error_points; /* checks not graded: grader errors */
};
/* Whether check I of R ended (R->ended: all, unless the run stopped). */
bool check_ended(const struct report *r, size_t i);
/* The score of R's checks of LAB, or of all its checks if LAB is NULL. */
struct score score_of(const struct report *r, const struct lab_def *lab);

/* What a grader error says below its message, in every format. */
#define NOT_GRADED_NOTE                                                                       \
    "not graded: the grader failed here, not your program, and this "                         \
    "check does not count against you; grade it again, and tell your "                        \
    "instructor if it happens again."

/*
 * The text report written as the checks end, in the rubric's order, so a
 * run killed midway has printed whole lines for every check before the
 * first that had not ended.  text_advance prints each check from the next
 * unprinted one while R->ended says it ended (R's results and ended may
 * change between calls, never those already printed); text_finish prints
 * the rest (those not ended as not run), the summary and the score.
 * write_text is text_begin and text_finish.
 */
struct text_stream {
    FILE *f;
    const struct report *r;
    size_t next;    /* the first check not printed */
    int name_width; /* the column of check names */
};
void text_begin(struct text_stream *t, FILE *f, const struct report *r);
void text_advance(struct text_stream *t);
void text_finish(struct text_stream *t);

/* The lines of the text report fit this many display cells. */
#define TEXT_COLUMNS 80

/* Gradescope's results.json into PATH atomically (PATH.tmp in the same
 * folder, synced, renamed over PATH): a reader, or a kill at any moment,
 * finds the whole of the old file or of the new.  0, or -1 with a message
 * on stderr. */
int write_gradescope_file(const char *path, const struct report *r);

/* One JSON object on one line for the check C of R, written to FD in one
 * write(2) (FD opened O_APPEND): lines of checks that ended are whole
 * whatever kills the grader.  0, or -1 with a message on stderr. */
int write_jsonl(int fd, const struct report *r, const struct check_result *c);

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
