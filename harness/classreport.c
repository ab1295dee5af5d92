/*
 * classreport.c - a class's results for instructors: the CSV gradebook and
 * the HTML page (see classreport.h).
 *
 * Submission names and everything a check says are untrusted: they reach
 * the files only through report.c's put_csv_field and put_html_text.  The
 * page holds its style and needs no script, so it opens anywhere (it holds
 * students' names and code: INSTRUCTORS.md says where it may go).
 */
#include "classreport.h"
#include "interop.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "report.h"
#include "walk.h"

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

/* ---- Who attempted a lab ------------------------------------------------ */

static bool is_source_name(const char *name)
{
    size_t len = strlen(name);
    return len > 2 && name[len - 2] == '.' && (name[len - 1] == 'c' || name[len - 1] == 'h');
}

/* A starter's source is a few kilobytes: a bigger file is no starter. */
#define STARTER_FILE_MAX (1 << 20)

/* The whole of regular file NAME in DIR (a link is not followed), into
 * TEXT; false if it cannot be read or is too big to be a starter's. */
static bool read_source(int dir, const char *name, struct buf *text)
{
    struct buf why = { 0 };
    int fd = open_regular(dir, name, &why);
    buf_free(&why);
    if (fd < 0)
        return false;
    char chunk[8192];
    ssize_t got;
    while ((got = read(fd, chunk, sizeof chunk)) > 0 && text->len <= STARTER_FILE_MAX)
        buf_append(text, chunk, (size_t)got);
    close(fd);
    return got == 0;
}

/* The number of sources in FOLDER that STARTER has alike, or -1 as soon
 * as one differs or cannot be read. */
static long sources_alike(int folder, int starter)
{
    DIR *d = fdopendir(dup(folder));
    if (d == NULL)
        return -1;
    long alike = 0;
    struct dirent *e;
    while (alike >= 0 && (e = readdir(d)) != NULL) {
        if (!is_source_name(e->d_name))
            continue;
        struct buf mine = { 0 }, theirs = { 0 };
        bool same = read_source(folder, e->d_name, &mine) &&
                    read_source(starter, e->d_name, &theirs) && mine.len == theirs.len &&
                    (mine.len == 0 || memcmp(mine.data, theirs.data, mine.len) == 0);
        alike = same ? alike + 1 : -1;
        buf_free(&mine);
        buf_free(&theirs);
    }
    closedir(d);
    return alike;
}

bool is_untouched_starter(const char *folder, const char *starter)
{
    struct buf why = { 0 };
    int mine = open_folder(folder, &why), theirs = open_folder(starter, &why);
    buf_free(&why);
    /* Alike both ways: the same sources, none added, none removed. */
    long there = mine >= 0 && theirs >= 0 ? sources_alike(mine, theirs) : -1;
    long back = there > 0 ? sources_alike(theirs, mine) : -1;
    if (mine >= 0)
        close(mine);
    if (theirs >= 0)
        close(theirs);
    return there > 0 && back == there;
}

/* ---- Failures alike ----------------------------------------------------- */

void failure_key(struct buf *key, const char *message)
{
    bool quoted = false;
    size_t kept = 0;
    for (const char *p = message; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            while (p[1] >= '0' && p[1] <= '9')
                p++;
            if (!quoted || kept++ < QUOTE_KEPT)
                buf_puts(key, "#");
            continue;
        }
        if (quoted && *p == '\\' && p[1] != '\0') {
            if (kept++ < QUOTE_KEPT)
                buf_append(key, p, 2);
            p++;
            continue;
        }
        if (*p == '"') {
            if (quoted && kept > QUOTE_KEPT)
                buf_puts(key, "...");
            quoted = !quoted;
            kept = 0;
            buf_puts(key, "\"");
            continue;
        }
        if (!quoted || kept++ < QUOTE_KEPT)
            buf_append(key, p, 1);
    }
}

/* ---- The gradebook ------------------------------------------------------ */

/* Every point of the checks P counts, graded or not. */
static int all_points(struct points p)
{
    return p.max + p.error_points;
}

/* The rubric the checks of C were scored by: with the hidden checks' digest
 * if the class ran any. */
static void class_rubric(const struct class_results *c, char version[RUBRIC_VERSION_SIZE])
{
    bool hidden = false;
    for (size_t k = 0; c->nsubs > 0 && k < c->subs[0].n; k++)
        hidden = hidden || is_hidden(c->subs[0].results[k].lab, c->subs[0].results[k].def);
    rubric_version(hidden, version);
}

/* The row of maxima, first under the header: a spreadsheet user reads each
 * column against it; an LMS import names it as no student. */
#define MAXIMUM_ROW "(maximum)"

static void put_maxima(FILE *f, const struct class_results *c, const char *version)
{
    put_csv_field(f, MAXIMUM_ROW);
    const struct submission *s = c->nsubs > 0 ? &c->subs[0] : NULL;
    for (size_t l = 0; l < c->nlabs; l++)
        fprintf(f, ",%d", s ? all_points(submission_points(s, c->labs[l])) : 0);
    fprintf(f, ",%d,", s ? all_points(submission_points(s, NULL)) : 0);
    put_csv_field(f, "");
    fputc(',', f);
    put_csv_field(f, version);
    fputs("\r\n", f);
}

void write_gradebook(FILE *f, const struct class_results *c)
{
    char version[RUBRIC_VERSION_SIZE];
    class_rubric(c, version);
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
    fputc(',', f);
    put_csv_field(f, "rubric");
    fputs("\r\n", f);
    put_maxima(f, c, version);
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
        fputc(',', f);
        put_csv_field(f, version);
        buf_free(&names);
        fputs("\r\n", f);
    }
}

/* ---- The page: what every part shares ----------------------------------- */

struct page {
    FILE *f;
    const struct class_results *c;
    bool *attempted;    /* [submission * nlabs + lab] */
    const char **hints; /* every hint linked, for the cited sections */
    size_t nhints, room;
};

static size_t lab_index(const struct class_results *c, const struct lab_def *lab)
{
    for (size_t l = 0; l < c->nlabs; l++)
        if (c->labs[l] == lab)
            return l;
    return 0;
}

static bool attempted(const struct page *p, size_t sub, const struct lab_def *lab)
{
    return p->attempted[sub * p->c->nlabs + lab_index(p->c, lab)];
}

/* Whether SUB's lab LAB has a folder that is not the kit's starter. */
static bool find_attempted(const struct class_results *c, const struct submission *s,
                           size_t lab)
{
    const struct lab_build *b = &s->builds[lab];
    if (b->state == BUILD_MISSING)
        return false;
    if (c->kit_dir == NULL || b->folder == NULL)
        return true;
    struct buf starter = { 0 };
    buf_printf(&starter, "%s/labs/%s", c->kit_dir, b->lab->id);
    bool untouched = is_untouched_starter(b->folder, starter.data);
    buf_free(&starter);
    return !untouched;
}

static void open_page(struct page *p, FILE *f, const struct class_results *c)
{
    *p = (struct page){ .f = f, .c = c };
    p->attempted = xcalloc(c->nsubs * c->nlabs + 1, sizeof *p->attempted);
    for (size_t i = 0; i < c->nsubs; i++)
        for (size_t l = 0; l < c->nlabs && l < c->subs[i].nbuilds; l++)
            p->attempted[i * c->nlabs + l] = find_attempted(c, &c->subs[i], l);
}

/* HINT, linked to its handout section, which the page's end shows. */
static void put_hint(struct page *p, const char *hint)
{
    if (p->nhints == p->room) {
        p->room = p->room ? 2 * p->room : 32;
        p->hints = xrealloc(p->hints, p->room * sizeof *p->hints);
    }
    p->hints[p->nhints++] = hint;
    fputs("<p class=\"hint\">Hint: ", p->f);
    put_hint_link(p->f, hint);
    fputs("</p>\n", p->f);
}

/* A <details> folded unless its content is short. */
static void open_details(FILE *f, bool open, const char *class)
{
    fprintf(f, "<details class=\"%s\"%s><summary>", class, open ? " open" : "");
}

/* The name of submission I, linked to its section. */
static void put_name(FILE *f, const struct class_results *c, size_t i)
{
    fprintf(f, "<a href=\"#s%zu\">", i);
    put_html_text(f, c->subs[i].name);
    fputs("</a>", f);
}

/* ---- The page: head and scores ------------------------------------------ */

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
    "details { margin: .4em 0; }\n"
    "details > summary { cursor: pointer; padding: .2em 0; }\n"
    "details.check > summary, details.sub > summary { font-weight: 600; }\n"
    ".group { border-left: 4px solid #e0b4b0; padding: .1em 0 .1em .8em; margin: .6em 0; }\n"
    ".who { margin: .2em 0; }\n"
    ".hint { margin: .2em 0 .8em; }\n"
    ".handout pre { border-left-color: #5b8fc7; }\n"
    ".ok { color: #2d6a2d; }\n"
    ".error { color: #8a4b00; }\n"
    "nav a { margin-right: 1em; }\n";

static void put_head(struct page *p)
{
    FILE *f = p->f;
    const struct class_results *c = p->c;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>netlab class report</title>\n<style>\n",
          f);
    fputs(page_style, f);
    fputs("</style>\n</head>\n<body>\n<h1>netlab class report</h1>\n", f);
    int max = c->nsubs > 0 ? all_points(submission_points(&c->subs[0], NULL)) : 0;
    char version[RUBRIC_VERSION_SIZE];
    class_rubric(c, version);
    fprintf(f,
            "<p>%zu submission%s, %zu lab%s (%d points), rubric <code>%s</code>, graded in "
            "%.1f s.  The gradebook is <code>gradebook.csv</code> next to this page; each "
            "submission's full report and transcripts are in "
            "<code>submissions/NAME/</code>.</p>\n",
            c->nsubs, c->nsubs == 1 ? "" : "s", c->nlabs, c->nlabs == 1 ? "" : "s", max,
            version, c->seconds);
    struct isolation_tally t = { 0 };
    for (size_t i = 0; i < c->nsubs; i++)
        isolation_count(&t, c->subs[i].results, c->subs[i].n);
    char *isolation = isolation_sentence(&t);
    fputs("<p class=\"isolation\">", f);
    put_html_text(f, isolation);
    fputs("</p>\n", f);
    free(isolation);
    fputs("<nav><a href=\"#scores\">Scores</a><a href=\"#causes\">Failures by cause</a>"
          "<a href=\"#builds\">Builds that failed</a><a href=\"#rates\">Pass rates</a>"
          "<a href=\"#failures\">Each submission</a><a href=\"#handouts\">Handout "
          "sections</a></nav>\n",
          f);
}

/* The class of a score's cell: full marks, some, none. */
static const char *score_class(struct points p)
{
    return p.got == p.max ? "full" : p.got > 0 ? "part" : "zero";
}

static void put_score_cell(struct page *p, size_t sub, size_t lab)
{
    FILE *f = p->f;
    const struct submission *s = &p->c->subs[sub];
    struct points pts = submission_points(s, s->builds[lab].lab);
    fprintf(f, "<td class=\"%s\">%d", score_class(pts), pts.got);
    if (s->builds[lab].state == BUILD_MISSING)
        fputs(" <small>no folder</small>", f);
    else if (s->builds[lab].state == BUILD_FAILED)
        fputs(" <small>did not build</small>", f);
    else if (s->builds[lab].state == BUILD_REFUSED)
        fputs(" <small>not graded</small>", f);
    else if (!attempted(p, sub, s->builds[lab].lab))
        fputs(" <small>the starter, untouched</small>", f);
    if (pts.errors > 0)
        fprintf(f,
                " <small class=\"error\">%d of %d graded; %d not graded: grader "
                "error</small>",
                pts.got, pts.max, pts.error_points);
    fputs("</td>", f);
}

static void put_scores(struct page *p)
{
    FILE *f = p->f;
    const struct class_results *c = p->c;
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
        fputs("<tr><td>", f);
        put_name(f, c, i);
        fputs("</td>", f);
        for (size_t l = 0; l < c->nlabs; l++)
            put_score_cell(p, i, l);
        struct points pts = submission_points(s, NULL);
        fprintf(f, "<td class=\"total %s\">%d</td></tr>\n", score_class(pts), pts.got);
    }
    fputs("</tbody>\n</table>\n", f);
}

/* ---- The page: pass rates ----------------------------------------------- */

struct rate {
    const struct lab_def *lab;
    const struct check_def *def;
    size_t order;          /* the rubric's order: the check's index */
    int passed, attempted; /* among the submissions that attempted its lab */
    int ran_and_failed;    /* failed when it ran (not a build that failed) */
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

/* Whether submission I's check K ran and failed: a failure of its own, not
 * its lab's build, nor the grader's. */
static bool ran_and_failed(const struct page *p, size_t i, size_t k)
{
    const struct submission *s = &p->c->subs[i];
    const struct check_result *r = &s->results[k];
    const struct lab_build *b = &s->builds[lab_index(p->c, r->lab)];
    return attempted(p, i, r->lab) && b->state == BUILD_OK && !r->passed && !r->grader_error;
}

/* Each check's pass rate, sorted (to free); their number in *N. */
static struct rate *pass_rates(const struct page *p, size_t *n)
{
    const struct class_results *c = p->c;
    *n = c->nsubs > 0 ? c->subs[0].n : 0;
    struct rate *rates = xcalloc(*n + 1, sizeof *rates);
    for (size_t k = 0; k < *n; k++) {
        rates[k] = (struct rate){ .lab = c->subs[0].results[k].lab,
                                  .def = c->subs[0].results[k].def,
                                  .order = k };
        for (size_t i = 0; i < c->nsubs; i++) {
            /* A check the grader failed on says nothing of the class. */
            if (!attempted(p, i, rates[k].lab) || c->subs[i].results[k].grader_error)
                continue;
            rates[k].attempted++;
            rates[k].passed += c->subs[i].results[k].passed;
            rates[k].ran_and_failed += ran_and_failed(p, i, k);
        }
    }
    qsort(rates, *n, sizeof *rates, compare_rates);
    return rates;
}

static void put_check_name(FILE *f, const struct rate *r)
{
    put_html_text(f, r->lab->id);
    fputc('/', f);
    put_html_text(f, r->def->name);
    if (is_hidden(r->lab, r->def))
        fputs(" <small>(hidden)</small>", f);
}

/* "3 of 4 attempted passed (75%)" */
static void put_rate(FILE *f, const struct rate *r)
{
    if (r->attempted == 0) {
        fputs("no submission attempted its lab", f);
        return;
    }
    int percent = (int)((100L * r->passed + r->attempted / 2) / r->attempted);
    fprintf(f, "%d of %d attempted passed (%d%%)", r->passed, r->attempted, percent);
}

/* The pass rates table folds away when it is long. */
#define SHORT_TABLE 20

static void put_rates(struct page *p, const struct rate *rates, size_t n)
{
    FILE *f = p->f;
    fputs("<h2 id=\"rates\">Pass rates</h2>\n<p>Each check's pass rate among the "
          "submissions that attempted its lab (a folder that is not the kit's starter "
          "untouched), lowest first.</p>\n",
          f);
    open_details(f, n <= SHORT_TABLE, "rates");
    fprintf(f,
            "%zu checks</summary>\n<table class=\"rates\">\n<thead><tr><th>Check</th>"
            "<th>Points</th><th>Passed</th><th>Pass rate</th></tr></thead>\n<tbody>\n",
            n);
    for (size_t k = 0; k < n; k++) {
        const struct rate *r = &rates[k];
        fputs("<tr><td>", f);
        put_check_name(f, r);
        fputs("<br><span class=\"what\">", f);
        put_html_text(f, r->def->what);
        fprintf(f, "</span></td><td>%d</td><td>%d of %d attempted</td>", r->def->points,
                r->passed, r->attempted);
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
    fputs("</tbody>\n</table>\n</details>\n", f);
}

/* ---- The page: failures grouped by cause -------------------------------- */

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

/* One submission's failure of a check, and what makes it alike others. */
struct failure {
    size_t sub;
    char *key; /* "cause: ..." or the message, made alike (failure_key) */
};

struct group {
    size_t first, count; /* a run of the failures sorted by key */
    size_t first_sub;    /* its first submission, for ties */
};

static int compare_failures(const void *a, const void *b)
{
    const struct failure *x = a, *y = b;
    int by_key = strcmp(x->key, y->key);
    return by_key != 0 ? by_key : x->sub < y->sub ? -1 : x->sub > y->sub;
}

/* Largest first; then the one whose first submission comes first. */
static int compare_groups(const void *a, const void *b)
{
    const struct group *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return x->first_sub < y->first_sub ? -1 : x->first_sub > y->first_sub;
}

/* Check K's failures that ran, into *FAILURES (sorted by key, to free with
 * free_failures), and their groups, largest first (to free). */
static struct group *group_failures(const struct page *p, size_t k, struct failure **failures,
                                    size_t *nfailures, size_t *ngroups)
{
    const struct class_results *c = p->c;
    struct failure *all = xcalloc(c->nsubs + 1, sizeof *all);
    size_t n = 0;
    for (size_t i = 0; i < c->nsubs; i++) {
        if (!ran_and_failed(p, i, k))
            continue;
        const struct check_result *r = &c->subs[i].results[k];
        struct buf key = { 0 };
        if (r->cause != NULL)
            buf_printf(&key, "cause: %s", r->cause);
        else
            failure_key(&key, r->message ? r->message : "");
        all[n++] = (struct failure){ .sub = i, .key = key.data ? key.data : xstrdup("") };
    }
    qsort(all, n, sizeof *all, compare_failures);
    struct group *groups = xcalloc(n + 1, sizeof *groups);
    size_t g = 0;
    for (size_t j = 0; j < n; j++) {
        if (j == 0 || strcmp(all[j].key, all[j - 1].key) != 0)
            groups[g++] = (struct group){ .first = j, .first_sub = all[j].sub };
        groups[g - 1].count++;
    }
    qsort(groups, g, sizeof *groups, compare_groups);
    *failures = all;
    *nfailures = n;
    *ngroups = g;
    return groups;
}

static void free_failures(struct failure *failures, size_t n)
{
    for (size_t j = 0; j < n; j++)
        free(failures[j].key);
    free(failures);
}

/* A group: how many, who, then the cause or the message once (as the
 * first of them saw it), and the hint. */
static void put_group(struct page *p, size_t k, const struct failure *members, size_t n)
{
    FILE *f = p->f;
    const struct check_result *r = &p->c->subs[members[0].sub].results[k];
    fprintf(f, "<div class=\"group\">\n<p class=\"who\"><strong>%zu %s</strong>: ", n,
            plural_of((long long)n, "submission", "submissions"));
    for (size_t j = 0; j < n; j++) {
        fputs(j ? ", " : "", f);
        put_name(f, p->c, members[j].sub);
    }
    fputs("</p>\n", f);
    if (r->cause != NULL) {
        fputs("<p class=\"cause\">Cause: ", f);
        put_html_text(f, r->cause);
        fputs("</p>\n<details class=\"example\"><summary>What the grader saw, for ", f);
        put_html_text(f, p->c->subs[members[0].sub].name);
        fputs("</summary>\n", f);
        put_message(f, r->message ? r->message : "(no message)");
        fputs("</details>\n", f);
    } else {
        if (n > 1)
            fputs("<p class=\"what\">The same message, but for numbers and long quoted "
                  "text; as the first saw it:</p>\n",
                  f);
        put_message(f, r->message ? r->message : "(no message)");
    }
    put_hint(p, check_hint(r));
    fputs("</div>\n", f);
}

/* A check whose failures fit on a screen shows them unfolded. */
#define SHORT_CHECK 3

static void put_check_causes(struct page *p, const struct rate *rate)
{
    FILE *f = p->f;
    size_t k = rate->order, nfailures, ngroups;
    struct failure *failures;
    struct group *groups = group_failures(p, k, &failures, &nfailures, &ngroups);
    int not_built = rate->attempted - rate->passed - rate->ran_and_failed;
    open_details(f, ngroups <= SHORT_CHECK, "check");
    put_check_name(f, rate);
    fputs(" <small>", f);
    put_rate(f, rate);
    fprintf(f, "; %zu %s</small></summary>\n<p class=\"what\">", ngroups,
            plural_of((long long)ngroups, "cause", "causes"));
    put_html_text(f, rate->def->what);
    fputs("</p>\n", f);
    for (size_t g = 0; g < ngroups; g++)
        put_group(p, k, &failures[groups[g].first], groups[g].count);
    if (not_built > 0)
        fprintf(f,
                "<p>And %d that did not build: see <a href=\"#builds\">Builds that "
                "failed</a>.</p>\n",
                not_built);
    fputs("</details>\n", f);
    free(groups);
    free_failures(failures, nfailures);
}

static void put_causes(struct page *p, const struct rate *rates, size_t n)
{
    fputs("<h2 id=\"causes\">Failures by cause</h2>\n<p>Each check that some submission "
          "failed, lowest pass rate first; under it, the submissions that failed it the "
          "same way (the same diagnosed cause, or the same message but for numbers and "
          "long quoted text), largest group first.  Labs that did not build are under "
          "<a href=\"#builds\">Builds that failed</a>, once.</p>\n",
          p->f);
    size_t shown = 0;
    for (size_t j = 0; j < n; j++)
        if (rates[j].ran_and_failed > 0) {
            put_check_causes(p, &rates[j]);
            shown++;
        }
    if (shown == 0)
        fputs("<p class=\"ok\">No check failed where it ran.</p>\n", p->f);
}

/* ---- The page: failed builds, once per lab ------------------------------ */

static void put_failed_builds_of(struct page *p, size_t l)
{
    FILE *f = p->f;
    const struct class_results *c = p->c;
    size_t failed = 0;
    for (size_t i = 0; i < c->nsubs; i++)
        failed += c->subs[i].builds[l].state == BUILD_FAILED ||
                  c->subs[i].builds[l].state == BUILD_REFUSED;
    if (failed == 0)
        return;
    open_details(f, failed <= SHORT_CHECK, "builds");
    put_html_text(f, c->labs[l]->id);
    fprintf(f, " <small>%zu %s not built or not graded</small></summary>\n", failed,
            plural_of((long long)failed, "submission", "submissions"));
    for (size_t i = 0; i < c->nsubs; i++) {
        const struct lab_build *b = &c->subs[i].builds[l];
        if (b->state != BUILD_FAILED && b->state != BUILD_REFUSED)
            continue;
        fprintf(f, "<h4 id=\"build-s%zu-%zu\">", i, l);
        put_name(f, c, i);
        fputs("</h4>\n", f);
        /* The build's own output: build_failure_message speaks of one check. */
        put_message(f, b->log.data && b->log.len ? b->log.data : "(the build said nothing)");
    }
    fputs("</details>\n", f);
}

static void put_failed_builds(struct page *p)
{
    fputs("<h2 id=\"builds\">Builds that failed</h2>\n<p>Each lab's failed builds, the "
          "build's output once: every check of such a lab fails without running.</p>\n",
          p->f);
    bool any = false;
    for (size_t i = 0; i < p->c->nsubs; i++)
        for (size_t l = 0; l < p->c->nlabs; l++)
            any = any || p->c->subs[i].builds[l].state == BUILD_FAILED ||
                  p->c->subs[i].builds[l].state == BUILD_REFUSED;
    if (!any) {
        fputs("<p class=\"ok\">Every lab folder built.</p>\n", p->f);
        return;
    }
    for (size_t l = 0; l < p->c->nlabs; l++)
        put_failed_builds_of(p, l);
}

/* ---- The page: each submission's failures ------------------------------- */

/* A lab that could not run, or was not attempted: said once, not once per
 * check; a failed build's output is under "Builds that failed". */
static void put_lab_not_run(struct page *p, size_t sub, size_t l)
{
    FILE *f = p->f;
    const struct submission *s = &p->c->subs[sub];
    const struct lab_build *b = &s->builds[l];
    struct points pts = submission_points(s, b->lab);
    fputs("<h4>", f);
    put_html_text(f, b->lab->id);
    fprintf(f, " <small>%d of %d points</small></h4>\n", pts.got, all_points(pts));
    if (b->state == BUILD_MISSING) {
        fputs("<p>The submission has no folder <code>", f);
        put_html_text(f, b->lab->id);
        fputs("</code>.</p>\n", f);
    } else if (b->state != BUILD_OK) {
        fprintf(f, "<p>It %s: <a href=\"#build-s%zu-%zu\">the build's output</a>.</p>\n",
                b->state == BUILD_FAILED ? "did not build" : "was not graded", sub, l);
    } else {
        fputs("<p>Its sources are the kit's starter, untouched: not attempted (its checks "
              "ran, and count in its score).</p>\n",
              f);
    }
}

static void put_failed_check(struct page *p, const struct check_result *r)
{
    FILE *f = p->f;
    fputs("<h4>", f);
    put_html_text(f, r->lab->id);
    fputc('/', f);
    put_html_text(f, r->def->name);
    fprintf(f, " <small>0 of %d point%s</small></h4>\n<p class=\"what\">", r->def->points,
            r->def->points == 1 ? "" : "s");
    put_html_text(f, r->def->what);
    fputs("</p>\n", f);
    put_message(f, r->message ? r->message : "(no message)");
    put_hint(p, check_hint(r));
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

/* Things shown in submission I's section: its failed checks that ran,
 * grader errors, and labs not run or not attempted. */
static size_t submission_items(const struct page *p, size_t i)
{
    const struct submission *s = &p->c->subs[i];
    size_t items = 0;
    for (size_t k = 0; k < s->n; k++)
        items += s->results[k].grader_error || ran_and_failed(p, i, k);
    for (size_t l = 0; l < s->nbuilds; l++)
        items += s->builds[l].state != BUILD_OK || !attempted(p, i, s->builds[l].lab);
    return items;
}

static void put_submission(struct page *p, size_t i)
{
    FILE *f = p->f;
    const struct submission *s = &p->c->subs[i];
    struct points pts = submission_points(s, NULL);
    size_t items = submission_items(p, i);
    fprintf(f, "<section id=\"s%zu\">\n", i);
    open_details(f, items <= SHORT_CHECK, "sub");
    put_html_text(f, s->name);
    fprintf(f, ": %d of %d points", pts.got, pts.max);
    if (pts.errors > 0)
        fprintf(f, ", %d %s not graded: grader error", pts.errors,
                plural_of(pts.errors, "check", "checks"));
    fputs("</summary>\n", f);
    if (pts.got == pts.max && pts.errors == 0)
        fputs("<p class=\"ok\">Every check passed.</p>\n", f);
    for (size_t k = 0; k < s->n; k++)
        if (s->results[k].grader_error)
            put_grader_error(f, &s->results[k]);
    for (size_t l = 0; l < s->nbuilds; l++) {
        const struct lab_build *b = &s->builds[l];
        if (b->state != BUILD_OK || !attempted(p, i, b->lab)) {
            put_lab_not_run(p, i, l);
            continue;
        }
        for (size_t k = 0; k < s->n; k++)
            if (s->results[k].lab == b->lab && ran_and_failed(p, i, k))
                put_failed_check(p, &s->results[k]);
    }
    fputs("</details>\n</section>\n", f);
}

/* ---- The page ----------------------------------------------------------- */

void write_class_html(FILE *f, const struct class_results *c)
{
    struct page p;
    open_page(&p, f, c);
    put_head(&p);
    put_scores(&p);
    size_t n;
    struct rate *rates = pass_rates(&p, &n);
    put_causes(&p, rates, n);
    put_failed_builds(&p);
    put_rates(&p, rates, n);
    free(rates);
    fputs("<h2 id=\"failures\">Each submission</h2>\n", f);
    for (size_t i = 0; i < c->nsubs; i++)
        put_submission(&p, i);
    write_interop_html(f, c->interop);
    fputs("<h2 id=\"handouts\">Handout sections</h2>\n<p>The sections the hints above "
          "cite, from the kit's handouts.</p>\n",
          f);
    if (c->kit_dir != NULL)
        write_cited_sections(f, c->kit_dir, p.hints, p.nhints);
    fputs("</body>\n</html>\n", f);
    free(p.hints);
    free(p.attempted);
}
