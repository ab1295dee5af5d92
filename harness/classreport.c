/*
 * classreport.c - a class's results for instructors: the CSV gradebook and
 * the HTML page (see classreport.h).
 *
 * Submission names and everything a check says are untrusted: they reach
 * the files only through report.c's put_csv_field and put_html_text.  The
 * page holds its style and needs no script, so it opens anywhere, even as
 * an e-mail attachment.
 */
#include "classreport.h"
#include "interop.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "report.h"

struct points submission_points(const struct submission *s, const struct lab_def *lab)
{
    struct points p = { 0 };
    for (size_t i = 0; i < s->n; i++) {
        const struct check_result *r = &s->results[i];
        if (lab != NULL && r->lab != lab)
            continue;
        if (r->grader_error) {
            p.errors++;
            p.error_points += r->def->points;
            continue;
        }
        p.max += r->def->points;
        p.got += r->passed ? r->def->points : 0;
    }
    return p;
}

/* How much of one failure's message the page shows; the full text is in
 * the submission's report.txt. */
#define PAGE_MESSAGE_MAX 4000

/* ---- The gradebook ------------------------------------------------------ */

void write_gradebook(FILE *f, const struct class_results *c)
{
    put_csv_field(f, "submission");
    for (size_t l = 0; l < c->nlabs; l++) {
        fputc(',', f);
        put_csv_field(f, c->labs[l]->id);
    }
    fputc(',', f);
    put_csv_field(f, "total");
    /* Checks the grader failed on, apart: the total is of the others. */
    fputc(',', f);
    put_csv_field(f, "not graded (grader error)");
    fputs("\r\n", f);
    for (size_t i = 0; i < c->nsubs; i++) {
        const struct submission *s = &c->subs[i];
        put_csv_field(f, s->name);
        for (size_t l = 0; l < c->nlabs; l++)
            fprintf(f, ",%d", submission_points(s, c->labs[l]).got);
        fprintf(f, ",%d,", submission_points(s, NULL).got);
        struct buf names = { 0 };
        for (size_t k = 0; k < s->n; k++)
            if (s->results[k].grader_error)
                buf_printf(&names, "%s%s/%s", names.len ? " " : "", s->results[k].lab->id,
                           s->results[k].def->name);
        put_csv_field(f, names.data ? names.data : "");
        buf_free(&names);
        fputs("\r\n", f);
    }
}

/* ---- The page: head and scores ------------------------------------------ */

/* Every point of the checks P counts, graded or not. */
static int all_points(struct points p)
{
    return p.max + p.error_points;
}

static const char page_style[] =
    "body { font: 15px/1.45 system-ui, sans-serif; color: #1b1b1b; background: #fff;\n"
    "       max-width: 75em; margin: 1.5em auto; padding: 0 1em; }\n"
    "h1 { font-size: 1.6em; margin-bottom: .2em; }\n"
    "h2 { font-size: 1.3em; margin-top: 2em; border-bottom: 2px solid #ddd; }\n"
    "h3 { font-size: 1.1em; margin: 1.6em 0 .4em; }\n"
    "h4 { font-size: 1em; margin: 1em 0 .2em; }\n"
    "table { border-collapse: collapse; margin: .5em 0; }\n"
    "th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right;\n"
    "         vertical-align: top; }\n"
    "th:first-child, td:first-child { text-align: left; }\n"
    "thead th { background: #eee; }\n"
    "td.full { background: #dff0d8; }\n"
    "td.part { background: #fcf3cf; }\n"
    "td.zero { background: #f6d5d1; }\n"
    "td.total { font-weight: bold; }\n"
    "small, .what { color: #555; }\n"
    ".bar { display: inline-block; width: 8em; height: .7em; background: #f6d5d1;\n"
    "       margin-right: .5em; }\n"
    ".bar span { display: block; height: 100%; background: #5cb85c; }\n"
    ".percent { display: inline-block; width: 3em; }\n"
    "pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f7f7f7;\n"
    "      border-left: 3px solid #c9302c; padding: .5em .8em; margin: .3em 0; }\n"
    ".hint { margin: .2em 0 .8em; }\n"
    ".ok { color: #2d6a2d; }\n"
    ".error { color: #8a4b00; }\n";

static void put_head(FILE *f, const struct class_results *c)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>netlab class report</title>\n<style>\n",
          f);
    fputs(page_style, f);
    fputs("</style>\n</head>\n<body>\n<h1>netlab class report</h1>\n", f);
    int max = c->nsubs > 0 ? all_points(submission_points(&c->subs[0], NULL)) : 0;
    fprintf(f,
            "<p>%zu submission%s, %zu lab%s (%d points), graded in %.1f s.  The "
            "gradebook is <code>gradebook.csv</code> next to this page; each submission's "
            "full report and transcripts are in <code>submissions/NAME/</code>.</p>\n",
            c->nsubs, c->nsubs == 1 ? "" : "s", c->nlabs, c->nlabs == 1 ? "" : "s", max,
            c->seconds);
    struct isolation_tally t = { 0 };
    for (size_t i = 0; i < c->nsubs; i++)
        isolation_count(&t, c->subs[i].results, c->subs[i].n);
    char *isolation = isolation_sentence(&t);
    fputs("<p class=\"isolation\">", f);
    put_html_text(f, isolation);
    fputs("</p>\n", f);
    free(isolation);
}

/* The class of a score's cell: full marks, some, none. */
static const char *score_class(struct points p)
{
    return p.got == p.max ? "full" : p.got > 0 ? "part" : "zero";
}

static void put_score_cell(FILE *f, const struct submission *s, size_t lab)
{
    struct points p = submission_points(s, s->builds[lab].lab);
    fprintf(f, "<td class=\"%s\">%d", score_class(p), p.got);
    if (s->builds[lab].state == BUILD_MISSING)
        fputs(" <small>no folder</small>", f);
    else if (s->builds[lab].state == BUILD_FAILED)
        fputs(" <small>did not build</small>", f);
    else if (s->builds[lab].state == BUILD_REFUSED)
        fputs(" <small>not graded</small>", f);
    if (p.errors > 0)
        fprintf(f,
                " <small class=\"error\">%d of %d graded; %d not graded: grader "
                "error</small>",
                p.got, p.max, p.error_points);
    fputs("</td>", f);
}

static void put_scores(FILE *f, const struct class_results *c)
{
    fputs("<h2 id=\"scores\">Scores</h2>\n<table class=\"scores\">\n<thead><tr>"
          "<th>Submission</th>",
          f);
    for (size_t l = 0; l < c->nlabs; l++) {
        int max = c->nsubs > 0 ? all_points(submission_points(&c->subs[0], c->labs[l])) : 0;
        fputs("<th>", f);
        put_html_text(f, c->labs[l]->id);
        fprintf(f, "<br><small>of %d</small></th>", max);
    }
    int total = c->nsubs > 0 ? all_points(submission_points(&c->subs[0], NULL)) : 0;
    fprintf(f, "<th>Total<br><small>of %d</small></th></tr></thead>\n<tbody>\n", total);
    for (size_t i = 0; i < c->nsubs; i++) {
        const struct submission *s = &c->subs[i];
        fprintf(f, "<tr><td><a href=\"#s%zu\">", i);
        put_html_text(f, s->name);
        fputs("</a></td>", f);
        for (size_t l = 0; l < c->nlabs; l++)
            put_score_cell(f, s, l);
        struct points p = submission_points(s, NULL);
        fprintf(f, "<td class=\"total %s\">%d</td></tr>\n", score_class(p), p.got);
    }
    fputs("</tbody>\n</table>\n", f);
}

/* ---- The page: pass rates ----------------------------------------------- */

struct rate {
    const struct lab_def *lab;
    const struct check_def *def;
    size_t order;          /* the rubric's order, for ties */
    int passed, attempted; /* among the submissions with the lab's folder */
};

/* Lowest pass rate first; checks no one attempted last; then in order. */
static int compare_rates(const void *a, const void *b)
{
    const struct rate *x = a, *y = b;
    if ((x->attempted == 0) != (y->attempted == 0))
        return x->attempted == 0 ? 1 : -1;
    long lhs = (long)x->passed * y->attempted, rhs = (long)y->passed * x->attempted;
    if (lhs != rhs)
        return lhs < rhs ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static bool has_lab(const struct submission *s, const struct lab_def *lab)
{
    for (size_t l = 0; l < s->nbuilds; l++)
        if (s->builds[l].lab == lab)
            return s->builds[l].state != BUILD_MISSING;
    return false;
}

/* Each check's pass rate, sorted (to free); their number in *N. */
static struct rate *pass_rates(const struct class_results *c, size_t *n)
{
    *n = c->nsubs > 0 ? c->subs[0].n : 0;
    struct rate *rates = xcalloc(*n + 1, sizeof *rates);
    for (size_t k = 0; k < *n; k++) {
        rates[k] = (struct rate){ .lab = c->subs[0].results[k].lab,
                                  .def = c->subs[0].results[k].def,
                                  .order = k };
        for (size_t i = 0; i < c->nsubs; i++) {
            /* A check the grader failed on says nothing of the class. */
            if (!has_lab(&c->subs[i], rates[k].lab) || c->subs[i].results[k].grader_error)
                continue;
            rates[k].attempted++;
            rates[k].passed += c->subs[i].results[k].passed;
        }
    }
    qsort(rates, *n, sizeof *rates, compare_rates);
    return rates;
}

static void put_rates(FILE *f, const struct class_results *c)
{
    size_t n;
    struct rate *rates = pass_rates(c, &n);
    fputs("<h2 id=\"rates\">Checks students miss most</h2>\n<p>Each check's pass rate among "
          "the submissions that have its lab's folder, lowest first.</p>\n"
          "<table class=\"rates\">\n<thead><tr><th>Check</th><th>Points</th><th>Passed</th>"
          "<th>Pass rate</th></tr></thead>\n<tbody>\n",
          f);
    for (size_t k = 0; k < n; k++) {
        const struct rate *r = &rates[k];
        fputs("<tr><td>", f);
        put_html_text(f, r->lab->id);
        fputc('/', f);
        put_html_text(f, r->def->name);
        if (is_hidden(r->lab, r->def))
            fputs(" <small>(hidden)</small>", f);
        fputs("<br><span class=\"what\">", f);
        put_html_text(f, r->def->what);
        fprintf(f, "</span></td><td>%d</td><td>%d of %d</td>", r->def->points, r->passed,
                r->attempted);
        if (r->attempted == 0) {
            fputs("<td>no submission</td></tr>\n", f);
            continue;
        }
        int percent = (int)((100L * r->passed + r->attempted / 2) / r->attempted);
        fprintf(f,
                "<td><span class=\"bar\"><span style=\"width: %d%%\"></span></span>"
                "<span class=\"percent\">%d%%</span></td></tr>\n",
                percent, percent);
    }
    fputs("</tbody>\n</table>\n", f);
    free(rates);
}

/* ---- The page: each submission's failures ------------------------------- */

/* MESSAGE as preformatted text, cut at PAGE_MESSAGE_MAX bytes. */
static void put_message(FILE *f, const char *message)
{
    size_t len = strlen(message);
    char *shown = strndup(message, PAGE_MESSAGE_MAX);
    fputs("<pre>", f);
    put_html_text(f, shown ? shown : "");
    if (len > PAGE_MESSAGE_MAX)
        fprintf(f, "\n... (%zu more bytes in report.txt)", len - PAGE_MESSAGE_MAX);
    fputs("</pre>\n", f);
    free(shown);
}

/* A lab that could not run: said once, not once per check. */
static void put_lab_not_run(FILE *f, const struct submission *s, const struct lab_build *b)
{
    struct points p = submission_points(s, b->lab);
    fputs("<h4>", f);
    put_html_text(f, b->lab->id);
    fprintf(f, " <small>0 of %d points</small></h4>\n", all_points(p));
    if (b->state == BUILD_MISSING) {
        fputs("<p>The submission has no folder <code>", f);
        put_html_text(f, b->lab->id);
        fputs("</code>.</p>\n", f);
        return;
    }
    char *why = build_failure_message(b);
    put_message(f, why);
    free(why);
}

static void put_failed_check(FILE *f, const struct check_result *r)
{
    fputs("<h4>", f);
    put_html_text(f, r->lab->id);
    fputc('/', f);
    put_html_text(f, r->def->name);
    fprintf(f, " <small>0 of %d point%s</small></h4>\n<p class=\"what\">", r->def->points,
            r->def->points == 1 ? "" : "s");
    put_html_text(f, r->def->what);
    fputs("</p>\n", f);
    put_message(f, r->message ? r->message : "(no message)");
    fputs("<p class=\"hint\">Hint: ", f);
    put_html_text(f, check_hint(r));
    fputs("</p>\n", f);
}

/* A check the grader failed on: not the submission's failure. */
static void put_grader_error(FILE *f, const struct check_result *r)
{
    fputs("<h4 class=\"error\">", f);
    put_html_text(f, r->lab->id);
    fputc('/', f);
    put_html_text(f, r->def->name);
    fprintf(f, " <small>not graded (%d point%s): grader error</small></h4>\n", r->def->points,
            r->def->points == 1 ? "" : "s");
    put_message(f, r->message ? r->message : "(no message)");
    fputs("<p class=\"hint\">The grader failed here, not the submission: the check is "
          "left out of its score.  Grade it again.</p>\n",
          f);
}

static void put_submission(FILE *f, const struct submission *s, size_t index)
{
    struct points p = submission_points(s, NULL);
    fprintf(f, "<section id=\"s%zu\">\n<h3>", index);
    put_html_text(f, s->name);
    fprintf(f, ": %d of %d points", p.got, p.max);
    if (p.errors > 0)
        fprintf(f, ", %d %s not graded: grader error", p.errors,
                plural_of(p.errors, "check", "checks"));
    fputs("</h3>\n", f);
    if (p.got == p.max && p.errors == 0)
        fputs("<p class=\"ok\">Every check passed.</p>\n", f);
    for (size_t k = 0; k < s->n; k++)
        if (s->results[k].grader_error)
            put_grader_error(f, &s->results[k]);
    for (size_t l = 0; l < s->nbuilds; l++) {
        const struct lab_build *b = &s->builds[l];
        if (b->state != BUILD_OK) {
            put_lab_not_run(f, s, b);
            continue;
        }
        for (size_t k = 0; k < s->n; k++)
            if (s->results[k].lab == b->lab && !s->results[k].passed &&
                !s->results[k].grader_error)
                put_failed_check(f, &s->results[k]);
    }
    fputs("</section>\n", f);
}

void write_class_html(FILE *f, const struct class_results *c)
{
    put_head(f, c);
    put_scores(f, c);
    put_rates(f, c);
    fputs("<h2 id=\"failures\">Failed checks by submission</h2>\n", f);
    for (size_t i = 0; i < c->nsubs; i++)
        put_submission(f, &c->subs[i], i);
    write_interop_html(f, c->interop);
    fputs("</body>\n</html>\n", f);
}
