/*
 * report.c - writes the results as text, Gradescope JSON or JUnit XML (the
 * HTML page is htmlreport.c's).
 *
 * Check messages are already escaped when they are made, but this file does
 * not rely on it: every string goes through put_text, put_json_string,
 * put_xml_text, put_html_text or put_csv_field, which pass valid UTF-8 and
 * show every other byte as \xNN, so each report (and the class's gradebook
 * and HTML page, classreport.c) stays valid whatever a student's program
 * sent or printed, or a submission's folder is called.
 */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "diagram.h"
#include "handout.h"
#include "lab.h"
#include "repro.h"

enum format { TEXT, JSON, XML, HTML, CSV };

static void put_safe(FILE *f, const char *str, enum format fmt)
{
    const unsigned char *s = (const unsigned char *)str;
    const unsigned char *end = s + strlen(str);
    while (*s) {
        size_t n = utf8_length(s, (size_t)(end - s));
        unsigned char ch = *s;
        /* A CSV field stays on one line: a row is a line to most readers. */
        bool layout = (ch == '\n' || ch == '\t') && fmt != CSV;
        bool control = ch < 0x20 && !layout;
        if (n == 0 || control || ch == 0x7f) {
            fprintf(f, fmt == JSON ? "\\\\x%02x" : "\\x%02x", ch);
            s++;
            continue;
        }
        if (fmt == JSON && (ch == '"' || ch == '\\'))
            fprintf(f, "\\%c", ch);
        else if (fmt == JSON && ch == '\n')
            fputs("\\n", f);
        else if (fmt == JSON && ch == '\t')
            fputs("\\t", f);
        else if (fmt == XML && ch == '&')
            fputs("&amp;", f);
        else if (fmt == XML && ch == '<')
            fputs("&lt;", f);
        else if (fmt == XML && ch == '>')
            fputs("&gt;", f);
        else if (fmt == XML && ch == '"')
            fputs("&quot;", f);
        else if (fmt == HTML && ch == '&')
            fputs("&amp;", f);
        else if (fmt == HTML && ch == '<')
            fputs("&lt;", f);
        else if (fmt == HTML && ch == '>')
            fputs("&gt;", f);
        else if (fmt == HTML && ch == '"')
            fputs("&quot;", f);
        else if (fmt == HTML && ch == '\'')
            fputs("&#39;", f);
        else if (fmt == CSV && ch == '"')
            fputs("\"\"", f);
        else
            fwrite(s, 1, n, f);
        s += n;
    }
}

void put_text(FILE *f, const char *s)
{
    put_safe(f, s, TEXT);
}
void put_xml_text(FILE *f, const char *s)
{
    put_safe(f, s, XML);
}
void put_html_text(FILE *f, const char *s)
{
    put_safe(f, s, HTML);
}

void put_csv_field(FILE *f, const char *s)
{
    fputc('"', f);
    /* A spreadsheet runs a cell that starts with one of these as a
     * formula: the apostrophe makes it text. */
    if (s[0] != '\0' && strchr("=+-@", s[0]) != NULL)
        fputc('\'', f);
    put_safe(f, s, CSV);
    fputc('"', f);
}

void put_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    put_safe(f, s, JSON);
    fputc('"', f);
}

/* ---- Scores ------------------------------------------------------------ */

bool check_ended(const struct report *r, size_t i)
{
    return r->ended == NULL || r->ended[i];
}

/* The score of R's checks of LAB (all if NULL), the hidden ones left out
 * if VISIBLE_ONLY. */
static struct score tally(const struct report *r, const struct lab_def *lab, bool visible_only)
{
    struct score s = { 0 };
    for (size_t i = 0; i < r->n; i++) {
        const struct check_result *c = &r->results[i];
        if ((lab != NULL && c->lab != lab) || (visible_only && is_hidden(c->lab, c->def)))
            continue;
        if (!check_ended(r, i)) { /* not run: 0 points */
            s.max += c->def->points;
            s.failed++;
            continue;
        }
        if (c->grader_error) {
            s.errors++;
            s.error_points += c->def->points;
            continue;
        }
        s.max += c->def->points;
        s.got += c->passed ? c->def->points : 0;
        s.failed += !c->passed;
    }
    return s;
}

struct score score_of(const struct report *r, const struct lab_def *lab)
{
    return tally(r, lab, false);
}

/* "1 check", "2 checks": counts in words (buf.h's plural_of). */
static const char *checks(int n)
{
    return plural_of(n, "check", "checks");
}

/* ---- Text -------------------------------------------------------------- */

/* S as put_text shows it, to free. */
static char *shown(const char *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return xstrdup("");
    put_text(f, s);
    fclose(f);
    return text;
}

/* The display cells of the code point of the N bytes at S (valid UTF-8):
 * 2 for East Asian wide characters, 0 for combining marks. */
static int cells_of(const unsigned char *s, size_t n)
{
    uint32_t cp = n == 1   ? s[0]
                  : n == 2 ? (s[0] & 0x1fu) << 6 | (s[1] & 0x3fu)
                  : n == 3 ? (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu)
                           : (s[0] & 0x07u) << 18 | (s[1] & 0x3fu) << 12 |
                                 (s[2] & 0x3fu) << 6 | (s[3] & 0x3fu);
    if ((cp >= 0x300 && cp <= 0x36f) || cp == 0x200b)
        return 0;
    bool wide = (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
                (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
                (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
                (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
                (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd);
    return wide ? 2 : 1;
}

/* The display cells of the N bytes of S (shown text: valid UTF-8). */
static int cells(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    int w = 0;
    while (p < end) {
        size_t len = utf8_length(p, (size_t)(end - p));
        len = len ? len : 1;
        w += cells_of(p, len);
        p += len;
    }
    return w;
}

/* A line being filled: what column it reached, and the indent that starts
 * each of its continuations. */
struct line {
    FILE *f;
    int col;
    const char *indent;
    bool blank; /* nothing after the indent yet */
};

/* No-break space (U+00A0): joins a name to its points, shown as a space. */
#define NBSP "\xc2\xa0"

/* N bytes of a word; a no-break space as a plain one. */
static void put_bytes(FILE *f, const char *w, size_t n)
{
    for (const char *end = w + n; w < end;) {
        const char *nb = memmem(w, (size_t)(end - w), NBSP, 2);
        size_t len = nb ? (size_t)(nb - w) : (size_t)(end - w);
        fwrite(w, 1, len, f);
        if (nb == NULL)
            break;
        fputc(' ', f);
        w = nb + 2;
    }
}

static void line_break(struct line *l)
{
    fputc('\n', l->f);
    fputs(l->indent, l->f);
    l->col = (int)strlen(l->indent);
    l->blank = true;
}

/* A word too long for any line: cut where the line ends. */
static void put_cut_word(struct line *l, const char *w, size_t n)
{
    const unsigned char *p = (const unsigned char *)w, *end = p + n;
    while (p < end) {
        size_t len = utf8_length(p, (size_t)(end - p));
        len = len ? len : 1;
        int c = cells_of(p, len);
        if (l->col + c > TEXT_COLUMNS)
            line_break(l);
        put_bytes(l->f, (const char *)p, len);
        l->col += c;
        l->blank = false;
        p += len;
    }
}

static void put_word(struct line *l, const char *w, size_t n, bool space)
{
    int c = cells(w, n) + space;
    if (l->col + c > TEXT_COLUMNS && !l->blank) {
        line_break(l); /* the space becomes the break */
        c -= space;
        space = false;
    }
    if (space)
        fputc(' ', l->f);
    l->col += space;
    if (l->col + c - space > TEXT_COLUMNS) {
        put_cut_word(l, w, n);
        return;
    }
    put_bytes(l->f, w, n);
    l->col += c - space;
    l->blank &= n == 0 && !space;
}

/*
 * The shown text TEXT (one line, no newline) from column COL, wrapped at
 * the spaces between words so that no line passes TEXT_COLUMNS cells, each
 * continuation starting with INDENT; ends the line.
 */
static void put_wrapped(FILE *f, const char *text, int col, const char *indent)
{
    struct line l = { .f = f, .col = col, .indent = indent, .blank = true };
    bool first = true;
    for (const char *p = text;; first = false) {
        size_t n = strcspn(p, " ");
        put_word(&l, p, n, !first);
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    fputc('\n', f);
}

/* TEXT, untrusted and of many lines, each started with INDENT and wrapped;
 * a line's continuations start two cells further in than its own words. */
static void put_indented(FILE *f, const char *text, const char *indent)
{
    char *safe = shown(text);
    struct buf more = { 0 };
    for (char *p = safe; *p;) {
        char *nl = strchr(p, '\n');
        if (nl != NULL)
            *nl = '\0';
        buf_reset(&more);
        buf_printf(&more, "%s%*s", indent, (int)strspn(p, " ") + 2, "");
        fputs(indent, f);
        put_wrapped(f, p, (int)strlen(indent), more.data);
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    buf_free(&more);
    free(safe);
}

/* A paragraph made of the printf FMT, wrapped; continuations indented by
 * two cells. */
__attribute__((format(printf, 3, 4))) static void put_paragraph(FILE *f, const char *indent,
                                                                const char *fmt, ...)
{
    struct buf b = { 0 };
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    put_indented(f, b.data, indent);
    buf_free(&b);
}

/* ANSI colours (ECMA-48 SGR), only on a terminal: the words say it all
 * without them. */
#define SGR_RED "\033[1;31m"
#define SGR_GREEN "\033[1;32m"
#define SGR_YELLOW "\033[1;33m"
#define SGR_BOLD "\033[1m"
#define SGR_RESET "\033[0m"

/* WORD in COLOUR when the report is coloured, padded to WIDTH cells. */
static void put_colored(FILE *f, const struct report *r, const char *colour, const char *word,
                        int width)
{
    int pad = width - (int)strlen(word);
    fprintf(f, "%s%s%s%*s", r->color ? colour : "", word, r->color ? SGR_RESET : "",
            pad > 0 ? pad : 0, "");
}

#define NOT_RUN_NOTE                                                                          \
    "not run: the grading stopped (interrupted, or killed by a time limit) before this "      \
    "check ended; it counts 0 points."

static void put_transcript_path(FILE *f, const struct report *r, const struct check_result *c)
{
    if (r->transcripts == NULL)
        return;
    put_paragraph(f, "        ", "transcript: %s/%s/%s.txt", r->transcripts, c->lab->id,
                  c->def->name);
}

/* S as one word of sh, to copy and paste: as it is where it is made of
 * safe characters only, else in single quotes. */
static void put_shell_word(struct buf *b, const char *s)
{
    if (s[0] != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "0123456789/._-+:,@%=") == strlen(s)) {
        buf_puts(b, s);
        return;
    }
    buf_puts(b, "'");
    for (; *s; s++)
        buf_puts(b, *s == '\'' ? "'\\''" : (char[]){ *s, '\0' });
    buf_puts(b, "'");
}

/* The script that reproduces the failed check C (repro.h), if it has one:
 * a command to paste, the folder quoted ("my netlab" has a space). */
static void put_repro_path(FILE *f, const struct report *r, const struct check_result *c)
{
    if (r->transcripts == NULL || !has_repro(c))
        return;
    struct buf path = { 0 }, command = { 0 };
    buf_printf(&path, "%s/%s/%s.repro", r->transcripts, c->lab->id, c->def->name);
    buf_puts(&command, "reproduce: sh ");
    put_shell_word(&command, path.data);
    put_indented(f, command.data, "        ");
    buf_free(&path);
    buf_free(&command);
}

/* Verbose: the check's time, and what isolated its programs. */
static void put_details(FILE *f, const struct check_result *c)
{
    char *isolation = isolation_of_results(c, 1);
    put_paragraph(f, "        ", "%.2f s.  %s", c->seconds, isolation);
    free(isolation);
}

/* The line that names check I of R: its status, name, points, rubric
 * line. */
static void put_check_line(struct text_stream *t, size_t i)
{
    const struct report *r = t->r;
    const struct check_result *c = &r->results[i];
    bool ended = check_ended(r, i);
    FILE *f = t->f;
    fputs("  ", f);
    if (ended && c->grader_error)
        put_colored(f, r, SGR_YELLOW, "ERROR", 6);
    else if (ended && c->passed)
        put_colored(f, r, SGR_GREEN, "PASS", 6);
    else
        put_colored(f, r, SGR_RED, "FAIL", 6);
    struct buf name = { 0 }, points = { 0 };
    if (r->detail == TEXT_QUIET)
        buf_printf(&name, "%s/%s", c->lab->id, c->def->name);
    else
        buf_puts(&name, c->def->name);
    if (ended && c->grader_error)
        buf_printf(&points, "-/%d", c->def->points);
    else
        buf_printf(&points, "%d/%d", ended && c->passed ? c->def->points : 0, c->def->points);
    fprintf(f, "%-*s %5s", t->name_width, name.data, points.data);
    if (r->detail == TEXT_QUIET) {
        fputc('\n', f);
    } else {
        fputs("  ", f);
        /* Its continuations under its start, if that leaves room. */
        int col = 8 + t->name_width + 1 + 5 + 2;
        struct buf indent = { 0 };
        buf_printf(&indent, "%*s", TEXT_COLUMNS - col >= 30 ? col : 10, "");
        char *what = shown(c->def->what);
        put_wrapped(f, what, col, indent.data);
        free(what);
        buf_free(&indent);
    }
    buf_free(&name);
    buf_free(&points);
}

/* What follows check I's line: why it failed, or was not graded. */
static void put_check_body(struct text_stream *t, size_t i)
{
    const struct report *r = t->r;
    const struct check_result *c = &r->results[i];
    FILE *f = t->f;
    if (!check_ended(r, i)) {
        put_indented(f, NOT_RUN_NOTE, "        ");
        return;
    }
    if (c->passed) {
        if (c->message && r->detail != TEXT_QUIET) /* why it could not be examined */
            put_indented(f, c->message, "        ");
    } else {
        put_indented(f, c->message ? c->message : "(no message)", "        ");
        if (c->grader_error)
            put_indented(f, NOT_GRADED_NOTE, "        ");
        else
            put_paragraph(f, "        ", "hint: %s", check_hint(c));
        /* The exchange at a glance; --quiet keeps to the words. */
        if (!c->grader_error && r->detail != TEXT_QUIET)
            write_diagram_text(f, c->events, TEXT_COLUMNS);
    }
    if (r->detail == TEXT_VERBOSE)
        put_details(f, c);
    if (!c->passed || r->detail == TEXT_VERBOSE)
        put_transcript_path(f, r, c);
    if (!c->passed && !c->grader_error)
        put_repro_path(f, r, c);
}

static void put_lab_heading(struct text_stream *t, const struct lab_def *lab)
{
    int points = 0;
    for (size_t i = 0; i < t->r->n; i++)
        if (t->r->results[i].lab == lab)
            points += t->r->results[i].def->points;
    struct buf head = { 0 }, tail = { 0 };
    buf_printf(&head, "%s  %s", lab->id, lab->title);
    buf_printf(&tail, "%d %s", points, plural_of(points, "point", "points"));
    int pad = TEXT_COLUMNS - 2 - cells(head.data, head.len) - (int)tail.len;
    fputc('\n', t->f);
    if (t->r->color)
        fputs(SGR_BOLD, t->f);
    put_text(t->f, head.data);
    if (t->r->color)
        fputs(SGR_RESET, t->f);
    fprintf(t->f, "%*s%s\n", pad > 1 ? pad : 1, "", tail.data);
    buf_free(&head);
    buf_free(&tail);
}

/* After a lab's last check: its score. */
static void put_lab_total(struct text_stream *t, const struct lab_def *lab)
{
    struct score s = score_of(t->r, lab);
    fprintf(t->f, "  %s: %d/%d", lab->id, s.got, s.max);
    if (s.errors)
        fprintf(t->f, " (%d %s not graded)", s.errors, checks(s.errors));
    fputc('\n', t->f);
}

static void put_check(struct text_stream *t, size_t i)
{
    const struct check_result *c = &t->r->results[i];
    bool grouped = t->r->detail != TEXT_QUIET;
    if (grouped && (i == 0 || t->r->results[i - 1].lab != c->lab))
        put_lab_heading(t, c->lab);
    put_check_line(t, i);
    put_check_body(t, i);
    if (grouped && (i + 1 == t->r->n || t->r->results[i + 1].lab != c->lab))
        put_lab_total(t, c->lab);
}

void text_begin(struct text_stream *t, FILE *f, const struct report *r)
{
    *t = (struct text_stream){ .f = f, .r = r, .name_width = 22 };
    for (size_t i = 0; i < r->n; i++) {
        const struct check_result *c = &r->results[i];
        int w = (int)strlen(c->def->name);
        if (r->detail == TEXT_QUIET)
            w += (int)strlen(c->lab->id) + 1;
        if (w > t->name_width)
            t->name_width = w;
    }
    if (t->name_width > 36)
        t->name_width = 36;
}

void text_advance(struct text_stream *t)
{
    /* The checks' lines made whole first, then written at once: a kill
     * between two writes would cut a check's lines in two. */
    char *text = NULL;
    size_t len = 0;
    FILE *out = t->f, *mem = open_memstream(&text, &len);
    if (mem != NULL)
        t->f = mem;
    for (; t->next < t->r->n && check_ended(t->r, t->next); t->next++)
        put_check(t, t->next);
    if (mem != NULL) {
        fclose(mem);
        t->f = out;
        fwrite(text, 1, len, out);
        free(text);
    }
    fflush(out);
}

/* "02-echo/binary-safe (3), ..." of the checks that failed, or (ERRORS)
 * were not graded. */
static void list_checks_of(struct buf *b, const struct report *r, bool errors)
{
    const char *sep = "";
    for (size_t i = 0; i < r->n; i++) {
        const struct check_result *c = &r->results[i];
        bool error = check_ended(r, i) && c->grader_error;
        if ((check_ended(r, i) && c->passed) || error != errors)
            continue;
        buf_printf(b, "%s%s/%s" NBSP "(%d)", sep, c->lab->id, c->def->name, c->def->points);
        sep = ", ";
    }
}

/* "01-hello and 02-echo" */
static void list_labs(struct buf *b, const struct report *r)
{
    size_t nlabs = 0, seen = 0;
    for (size_t i = 0; i < r->n; i++)
        nlabs += i == 0 || r->results[i].lab != r->results[i - 1].lab;
    for (size_t i = 0; i < r->n; i++) {
        if (i > 0 && r->results[i].lab == r->results[i - 1].lab)
            continue;
        seen++;
        buf_printf(b, "%s%s",
                   seen == 1       ? ""
                   : seen == nlabs ? " and "
                                   : ", ",
                   r->results[i].lab->id);
    }
}

/* WORD (in COLOUR on a terminal), then the untrusted TEXT after it,
 * wrapped: a paragraph of the report's end. */
static void put_lead(FILE *f, const struct report *r, const char *colour, const char *word,
                     const char *text)
{
    put_colored(f, r, colour, word, 0);
    char *safe = shown(text);
    put_wrapped(f, safe, (int)strlen(word), "  ");
    free(safe);
}

/* S appended to B on one line: a folder's name may hold a line break,
 * which must not start a line of the report of its own (a forged
 * "Score:"); put_text shows every other byte. */
static void put_one_line(struct buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\n' || *s == '\r' || *s == '\t')
            buf_printf(b, "\\x%02x", (unsigned char)*s);
        else
            buf_printf(b, "%c", *s);
    }
}

static void put_score(FILE *f, const struct report *r, const struct score *s)
{
    struct buf head = { 0 }, b = { 0 };
    buf_printf(&head, "Score: %d/%d", s->got, s->max);
    if (s->errors)
        buf_printf(&b, ", %d %s not graded: grader error", s->errors, checks(s->errors));
    if (s->failed)
        buf_printf(&b, " (%d %s failed)", s->failed, checks(s->failed));
    else
        buf_puts(&b, s->errors ? " (every graded check passed)" : " (every check passed)");
    buf_puts(&b, " for ");
    put_one_line(&b, r->impl);
    buf_puts(&b, ": ");
    list_labs(&b, r);
    if (r->graded_at)
        buf_printf(&b, ", graded %s", r->graded_at);
    if (r->rubric)
        buf_printf(&b, " by rubric %s", r->rubric);
    buf_printf(&b, ", in %.1f s", r->seconds);
    put_lead(f, r, SGR_BOLD, head.data, b.data);
    buf_free(&head);
    buf_free(&b);
}

/* The end of the report, where the eye lands: what failed, and its
 * points. */
static void put_failures(FILE *f, const struct report *r, const struct score *s)
{
    size_t ended = 0;
    for (size_t i = 0; i < r->n; i++)
        ended += check_ended(r, i);
    if (ended < r->n)
        put_paragraph(f, "",
                      "Stopped: %zu of %zu checks ended before the grading stopped; the "
                      "other %zu count 0 points.",
                      ended, r->n, r->n - ended);
    struct buf b = { 0 };
    if (s->errors) {
        buf_printf(&b, " %d %s (grader error), %d %s: ", s->errors, checks(s->errors),
                   s->error_points, plural_of(s->error_points, "point", "points"));
        list_checks_of(&b, r, true);
        put_lead(f, r, SGR_YELLOW, "Not graded:", b.data);
        buf_reset(&b);
    }
    if (s->failed) {
        buf_printf(&b, " %d %s, %d %s: ", s->failed, checks(s->failed), s->max - s->got,
                   plural_of(s->max - s->got, "point", "points"));
        list_checks_of(&b, r, false);
        put_lead(f, r, SGR_RED, "Failed:", b.data);
    }
    buf_free(&b);
}

void text_finish(struct text_stream *t)
{
    const struct report *r = t->r;
    FILE *f = t->f;
    for (; t->next < r->n; t->next++)
        put_check(t, t->next);
    struct score s = score_of(r, NULL);
    fputc('\n', f);
    put_score(f, r, &s);
    char *isolation = isolation_of_results(r->results, r->n);
    put_indented(f, isolation, "");
    free(isolation);
    if (r->held_back > 0)
        put_paragraph(f, "",
                      "%d more point%s in hidden checks, held back: your instructor's "
                      "grading runs them.",
                      r->held_back, r->held_back == 1 ? " is" : "s are");
    if (r->html_saved) {
        struct buf where = { 0 };
        buf_printf(&where, "HTML report: %s/" HTML_REPORT_NAME " (open it in a browser)",
                   r->transcripts);
        put_indented(f, where.data, "");
        buf_free(&where);
    }
    put_failures(f, r, &s);
    fflush(f);
}

void write_text(FILE *f, const struct report *r)
{
    struct text_stream t;
    text_begin(&t, f, r);
    text_finish(&t);
}

/* ---- Gradescope -------------------------------------------------------- */

/* How much of a transcript goes into a Gradescope test's output. */
#define GRADESCOPE_TRANSCRIPT (8 * 1024)

/*
 * Gradescope totals the assignment by its own points, not this report's
 * max_score: a check left at 0 would cost the student its points.  So
 * where checks could not be graded (grader errors), the score is the share
 * of the graded points the student got, scaled to every point, with the
 * reason above the tests and on each test not graded.
 */
static double gradescope_score(const struct score *s)
{
    int all = s->max + s->error_points;
    if (s->errors == 0 || s->max == 0)
        return s->got;
    return (double)s->got * all / s->max;
}

/* Check I of R as the machines' reports give it: a check the run stopped
 * before it ended as failed, with NOT_RUN_NOTE for its message. */
static struct check_result as_reported(const struct report *r, size_t i)
{
    if (check_ended(r, i))
        return r->results[i];
    return (struct check_result){ .lab = r->results[i].lab,
                                  .def = r->results[i].def,
                                  .message = (char *)NOT_RUN_NOTE "\n" };
}

/* The score of the checks students see before publication: the hidden
 * checks left out, so that nothing shown gives their results away. */
static struct score visible_score(const struct report *r, int *hidden, int *hidden_points)
{
    *hidden = *hidden_points = 0;
    for (size_t i = 0; i < r->n; i++)
        if (is_hidden(r->results[i].lab, r->results[i].def)) {
            ++*hidden;
            *hidden_points += r->results[i].def->points;
        }
    return tally(r, NULL, true);
}

static void gradescope_test(FILE *f, const struct check_result *c, bool first)
{
    struct buf name = { 0 }, out = { 0 };
    buf_printf(&name, "%s/%s", c->lab->id, c->def->name);
    if (c->grader_error)
        buf_puts(&out, "GRADER ERROR: " NOT_GRADED_NOTE "\n\n");
    buf_printf(&out, "%s\n", c->def->what);
    if (c->passed && c->message)
        buf_printf(&out, "\n%s", c->message);
    if (c->grader_error)
        buf_printf(&out, "\n%s", c->message ? c->message : "");
    if (!c->passed && !c->grader_error) {
        buf_printf(&out, "\n%s\nhint: %s\n", c->message ? c->message : "", check_hint(c));
        if (c->transcript && *c->transcript) {
            buf_puts(&out, "\ntranscript:\n");
            buf_append(&out, c->transcript, strnlen(c->transcript, GRADESCOPE_TRANSCRIPT));
        }
    }
    fprintf(f, "%s\n    {\n      \"name\": ", first ? "" : ",");
    put_json_string(f, name.data);
    fprintf(f, ",\n      \"score\": %d,\n      \"max_score\": %d,\n",
            c->passed ? c->def->points : 0, c->def->points);
    fprintf(f, "      \"status\": \"%s\",\n      \"visibility\": \"%s\",\n",
            c->passed ? "passed" : "failed",
            is_hidden(c->lab, c->def) ? "after_published" : "visible");
    /* The spec has no time per test: the check's own goes in its data. */
    fprintf(f, "      \"extra_data\": {\"seconds\": %.3f%s},\n", c->seconds,
            c->grader_error ? ", \"grader_error\": true" : "");
    /* Messages and transcripts are laid out in columns: plain text keeps
     * every space and line, where Markdown would reflow them. */
    fputs("      \"output_format\": \"text\",\n      \"output\": ", f);
    put_json_string(f, out.data);
    fputs("\n    }", f);
    buf_free(&name);
    buf_free(&out);
}

/* The output Gradescope shows above the tests: the score of the checks
 * students see, what the hidden ones hold back, and what isolated the
 * student's programs. */
static void gradescope_output(FILE *f, const struct report *r)
{
    int hidden, hidden_points;
    struct score s = visible_score(r, &hidden, &hidden_points);
    int all = s.max + s.error_points;
    struct buf output = { 0 };
    char *isolation = isolation_of_results(r->results, r->n);
    buf_printf(&output, "netlab: %d/%d points, %d %s failed", s.got, s.max, s.failed,
               checks(s.failed));
    if (r->rubric)
        buf_printf(&output, " (rubric %s)", r->rubric);
    buf_puts(&output, "\n");
    size_t ended = 0;
    for (size_t i = 0; i < r->n; i++)
        ended += check_ended(r, i);
    if (ended < r->n)
        buf_printf(&output,
                   "The grading stopped (interrupted, or killed by a time limit) after "
                   "%zu of %zu checks: the others were not run and count 0 points.\n",
                   ended, r->n);
    if (hidden > 0)
        buf_printf(&output,
                   "%d more %s in %d hidden %s, whose results and total are shown when your "
                   "instructor publishes the grades.\n",
                   hidden_points, plural_of(hidden_points, "point", "points"), hidden,
                   checks(hidden));
    if (s.errors)
        buf_printf(&output,
                   "GRADER ERROR: %d %s (%d %s) not graded: the grader failed, not "
                   "your programs, and they do not count against you.  ",
                   s.errors, checks(s.errors), s.error_points,
                   plural_of(s.error_points, "point", "points"));
    if (s.errors && s.max > 0)
        buf_printf(&output,
                   "Your score is your share of the %d %s graded, scaled to all %d: "
                   "%.2f.  ",
                   s.max, plural_of(s.max, "point", "points"), all, gradescope_score(&s));
    else if (s.errors)
        buf_puts(&output, "Nothing else was graded: the score of 0 is no grade.  ");
    if (s.errors)
        buf_puts(&output, "Tell your instructor, who will grade them again.\n");
    buf_puts(&output, isolation);
    fputs("  \"output\": ", f);
    put_json_string(f, output.data);
    fputs(",\n", f);
    free(isolation);
    buf_free(&output);
}

/*
 * Hidden checks are after_published, and so is the total where there are
 * any: the total sums them, so a student who saw it before publication
 * could subtract the visible tests and learn the hidden ones' results.
 * Each visible check says "visible" itself, so students still see those
 * at once; the output above the tests counts only them.
 */
void write_gradescope(FILE *f, const struct report *r)
{
    struct score s = score_of(r, NULL);
    int all = s.max + s.error_points, hidden, hidden_points;
    visible_score(r, &hidden, &hidden_points);
    if (s.errors)
        fprintf(f, "{\n  \"score\": %.2f,\n  \"max_score\": %d,\n", gradescope_score(&s), all);
    else
        fprintf(f, "{\n  \"score\": %d,\n  \"max_score\": %d,\n", s.got, all);
    /* Whole seconds, as the spec's example. */
    fprintf(f, "  \"execution_time\": %.0f,\n", r->seconds);
    fprintf(f, "  \"visibility\": \"%s\",\n", hidden > 0 ? "after_published" : "visible");
    fputs("  \"stdout_visibility\": \"visible\",\n", f);
    fputs("  \"output_format\": \"text\",\n  \"test_output_format\": \"text\",\n", f);
    gradescope_output(f, r);
    fputs("  \"tests\": [", f);
    for (size_t i = 0; i < r->n; i++) {
        struct check_result c = as_reported(r, i);
        gradescope_test(f, &c, i == 0);
    }
    fputs("\n  ]\n}\n", f);
}

/* ---- JUnit ------------------------------------------------------------- */

static void junit_suite(FILE *f, const struct report *r, const struct lab_def *lab)
{
    struct score s = score_of(r, lab);
    double seconds = 0;
    size_t tests = 0, skipped = 0;
    struct isolation_tally isolation = { 0 };
    for (size_t i = 0; i < r->n; i++)
        if (r->results[i].lab == lab) {
            seconds += r->results[i].seconds;
            tests++;
            skipped += check_ended(r, i) && r->results[i].untestable;
            isolation_count(&isolation, &r->results[i], 1);
        }
    fputs("  <testsuite name=\"", f);
    put_xml_text(f, lab->id);
    fprintf(f,
            "\" tests=\"%zu\" failures=\"%d\" errors=\"%d\" skipped=\"%zu\" time=\"%.3f\">\n",
            tests, s.failed, s.errors, skipped, seconds);
    char *sentence = isolation_sentence(&isolation);
    fputs("    <properties><property name=\"isolation\" value=\"", f);
    put_xml_text(f, sentence);
    fputs("\"/>", f);
    if (r->rubric) {
        fputs("<property name=\"rubric\" value=\"", f);
        put_xml_text(f, r->rubric);
        fputs("\"/>", f);
    }
    fputs("</properties>\n", f);
    free(sentence);
    for (size_t i = 0; i < r->n; i++) {
        struct check_result reported = as_reported(r, i);
        const struct check_result *c = &reported;
        if (c->lab != lab)
            continue;
        fputs("    <testcase classname=\"netlab.", f);
        put_xml_text(f, lab->id);
        fputs("\" name=\"", f);
        put_xml_text(f, c->def->name);
        fprintf(f, "\" time=\"%.3f\">\n", c->seconds);
        fprintf(f,
                "      <properties><property name=\"points\" value=\"%d\"/>"
                "<property name=\"max_points\" value=\"%d\"/></properties>\n",
                c->passed ? c->def->points : 0, c->def->points);
        if (c->untestable) {
            fputs("      <skipped message=\"", f);
            put_xml_text(f, c->message ? c->message : "");
            fputs("\"/>\n", f);
        }
        if (!c->passed) {
            /* JUnit's own distinction: a failure is the program's, an
             * error the test's (here the grader's). */
            const char *msg = c->message ? c->message : "";
            const char *nl = strchr(msg, '\n');
            struct buf first = { 0 };
            buf_append(&first, msg, nl ? (size_t)(nl - msg) : strlen(msg));
            fputs(c->grader_error ? "      <error type=\"grader\" message=\""
                                  : "      <failure type=\"check\" message=\"",
                  f);
            put_xml_text(f, first.data);
            fputs("\">", f);
            put_xml_text(f, msg);
            fputs(c->grader_error ? NOT_GRADED_NOTE "\n" : "hint: ", f);
            if (!c->grader_error)
                put_xml_text(f, check_hint(c));
            fputs(c->grader_error ? "</error>\n" : "</failure>\n", f);
            buf_free(&first);
        }
        if (c->transcript && *c->transcript) {
            fputs("      <system-out>", f);
            put_xml_text(f, c->transcript);
            fputs("</system-out>\n", f);
        }
        fputs("    </testcase>\n", f);
    }
    fputs("  </testsuite>\n", f);
}

void write_junit(FILE *f, const struct report *r)
{
    struct score s = score_of(r, NULL);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f,
            "<testsuites name=\"netlab\" tests=\"%zu\" failures=\"%d\" errors=\"%d\" "
            "time=\"%.3f\">\n",
            r->n, s.failed, s.errors, r->seconds);
    for (size_t i = 0; i < r->n; i++)
        if (i == 0 || r->results[i].lab != r->results[i - 1].lab)
            junit_suite(f, r, r->results[i].lab);
    fputs("</testsuites>\n", f);
}

/* ---- Written as checks end -------------------------------------------- */

int write_gradescope_file(const char *path, const struct report *r)
{
    struct buf tmp = { 0 };
    buf_printf(&tmp, "%s.tmp", path);
    int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
    bool ok = f != NULL;
    if (ok) {
        write_gradescope(f, r);
        ok = fflush(f) == 0 && !ferror(f) && fsync(fd) == 0;
        ok &= fclose(f) == 0;
    } else if (fd >= 0) {
        close(fd);
    }
    /* The rename is atomic: PATH is the old file or the new, whole. */
    ok = ok && rename(tmp.data, path) == 0;
    if (!ok) {
        fprintf(stderr, "grade: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp.data);
    }
    buf_free(&tmp);
    return ok ? 0 : -1;
}

int write_jsonl(int fd, const struct report *r, const struct check_result *c)
{
    char *line = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&line, &len);
    if (f == NULL)
        return -1;
    const char *status = c->grader_error ? "error" : c->passed ? "passed" : "failed";
    fputs("{\"lab\": ", f);
    put_json_string(f, c->lab->id);
    fputs(", \"check\": ", f);
    put_json_string(f, c->def->name);
    fprintf(f, ", \"status\": \"%s\", \"score\": %d, \"max_score\": %d, ", status,
            c->passed ? c->def->points : 0, c->def->points);
    fprintf(f, "\"untestable\": %s, \"seconds\": %.3f, \"message\": ",
            c->untestable ? "true" : "false", c->seconds);
    put_json_string(f, c->message ? c->message : "");
    fputs(", \"hint\": ", f);
    put_json_string(f, c->passed || c->grader_error ? "" : check_hint(c));
    fputs(", \"rubric\": ", f);
    put_json_string(f, r->rubric ? r->rubric : "");
    fputs("}\n", f);
    fclose(f);
    /* One write to a file opened O_APPEND: the line is whole, or absent. */
    ssize_t n = write(fd, line, len);
    if (n != (ssize_t)len)
        fprintf(stderr, "grade: cannot write the JSON lines: %s\n",
                n < 0 ? strerror(errno) : "short write");
    free(line);
    return n == (ssize_t)len ? 0 : -1;
}

/* ---- Transcripts ------------------------------------------------------- */

static int make_dirs(const char *path)
{
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = mkdir(p, 0755) < 0 && errno != EEXIST ? -1 : 0;
    free(p);
    return rc;
}

/* Writes DIR/LAB/CHECK.repro for the failed check C (repro.h), mode 0755
 * like any script; its folder exists.  Returns 0 or -1. */
static int save_repro(const char *dir, const struct check_result *c)
{
    struct buf path = { 0 };
    buf_printf(&path, "%s/%s/%s.repro", dir, c->lab->id, c->def->name);
    int fd = open(path.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL) {
        fprintf(stderr, "grade: cannot write %s: %s\n", path.data, strerror(errno));
        if (fd >= 0)
            close(fd);
        buf_free(&path);
        return -1;
    }
    write_repro(f, c);
    int rc = fclose(f) == 0 ? 0 : -1;
    if (rc < 0)
        fprintf(stderr, "grade: cannot write %s: %s\n", path.data, strerror(errno));
    buf_free(&path);
    return rc;
}

int save_transcripts(const char *dir, const struct check_result *results, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct check_result *c = &results[i];
        struct buf path = { 0 };
        buf_printf(&path, "%s/%s", dir, c->lab->id);
        if (make_dirs(path.data) < 0) {
            fprintf(stderr, "grade: cannot create %s: %s\n", path.data, strerror(errno));
            buf_free(&path);
            return -1;
        }
        buf_printf(&path, "/%s.txt", c->def->name);
        FILE *f = fopen(path.data, "w");
        if (f == NULL) {
            fprintf(stderr, "grade: cannot write %s: %s\n", path.data, strerror(errno));
            buf_free(&path);
            return -1;
        }
        put_text(f, c->transcript ? c->transcript : "");
        if (c->grader_error) {
            fputs("\nNot graded (grader error):\n", f);
            put_text(f, c->message ? c->message : "");
        } else if (!c->passed) {
            fputs("\nWhy it failed:\n", f);
            put_text(f, c->message ? c->message : "");
        }
        fclose(f);
        if (has_repro(c) && save_repro(dir, c) < 0) {
            buf_free(&path);
            return -1;
        }
        buf_free(&path);
    }
    return 0;
}

void put_hint_link(FILE *f, const char *hint)
{
    struct hint_ref ref;
    char id[160];
    if (!parse_hint(hint, &ref)) {
        put_html_text(f, hint);
        return;
    }
    hint_anchor(&ref, id, sizeof id);
    fprintf(f, "<a href=\"#%s\">", id);
    put_html_text(f, hint);
    fputs("</a>", f);
}

/* Whether HINTS[I]'s section was cited by an earlier one. */
static bool cited_before(const char *const *hints, size_t i, const char *id)
{
    struct hint_ref ref;
    char other[160];
    for (size_t j = 0; j < i; j++) {
        if (hints[j] == NULL || !parse_hint(hints[j], &ref))
            continue;
        hint_anchor(&ref, other, sizeof other);
        if (strcmp(other, id) == 0)
            return true;
    }
    return false;
}

void write_cited_sections(FILE *f, const char *kit_dir, const char *const *hints, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct hint_ref ref;
        char id[160];
        if (hints[i] == NULL || !parse_hint(hints[i], &ref))
            continue;
        hint_anchor(&ref, id, sizeof id);
        if (cited_before(hints, i, id))
            continue;
        struct buf text = { 0 }, why = { 0 };
        fprintf(f, "<section class=\"handout\" id=\"%s\">\n<h3>", id);
        put_html_text(f, ref.file);
        fputs(": ", f);
        put_html_text(f, ref.section);
        fputs("</h3>\n", f);
        if (read_handout_section(kit_dir, &ref, &text, &why) == 0) {
            fputs("<pre>", f);
            put_html_text(f, text.data);
            fputs("</pre>\n", f);
        } else {
            fputs("<p>This section cannot be shown here: ", f);
            put_html_text(f, why.data);
            fputs(".</p>\n", f);
        }
        fputs("</section>\n", f);
        buf_free(&text);
        buf_free(&why);
    }
}
