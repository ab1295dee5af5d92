/*
 * report.c - writes the results as text, Gradescope JSON or JUnit XML.
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
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "diagram.h"
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

static struct score score_of(const struct report *r, const struct lab_def *lab)
{
    struct score s = { 0 };
    for (size_t i = 0; i < r->n; i++) {
        const struct check_result *c = &r->results[i];
        if (lab != NULL && c->lab != lab)
            continue;
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

/* "1 check", "2 checks": counts in words (buf.h's plural_of). */
static const char *checks(int n)
{
    return plural_of(n, "check", "checks");
}

/* What a grader error says below its message, in every format. */
#define NOT_GRADED_NOTE                                                                       \
    "not graded: the grader failed here, not your program, and this "                         \
    "check does not count against you; grade it again, and tell your "                        \
    "instructor if it happens again."

static void put_indented(FILE *f, const char *text, const char *indent)
{
    struct buf line = { 0 };
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        buf_reset(&line);
        buf_append(&line, p, n);
        fputs(indent, f);
        put_text(f, line.data);
        fputc('\n', f);
        p += n + (nl != NULL);
    }
    buf_free(&line);
}

/* ---- Text -------------------------------------------------------------- */

static void put_transcript_path(FILE *f, const struct report *r, const struct check_result *c)
{
    if (r->transcripts == NULL)
        return;
    fputs("        transcript: ", f);
    put_text(f, r->transcripts);
    fprintf(f, "/%s/%s.txt\n", c->lab->id, c->def->name);
}

/* The script that reproduces the failed check C (repro.h), if it has one. */
static void put_repro_path(FILE *f, const struct report *r, const struct check_result *c)
{
    if (r->transcripts == NULL || !has_repro(c))
        return;
    fputs("        reproduce: sh ", f);
    put_text(f, r->transcripts);
    fprintf(f, "/%s/%s.repro\n", c->lab->id, c->def->name);
}

void write_text(FILE *f, const struct report *r)
{
    const struct lab_def *lab = NULL;
    int width = 22; /* the name column fits every name */
    for (size_t i = 0; i < r->n; i++)
        if ((int)strlen(r->results[i].def->name) > width)
            width = (int)strlen(r->results[i].def->name);
    for (size_t i = 0; i < r->n; i++) {
        const struct check_result *c = &r->results[i];
        if (c->lab != lab) {
            lab = c->lab;
            struct score s = score_of(r, lab);
            fprintf(f, "\n%s  %s", lab->id, lab->title);
            fprintf(f, "%*s%d/%d", (int)(58 - strlen(lab->id) - strlen(lab->title)), "", s.got,
                    s.max);
            if (s.errors)
                fprintf(f, " (%d %s not graded)", s.errors, checks(s.errors));
            fputc('\n', f);
        }
        if (c->grader_error) {
            fprintf(f, "  %-5s %-*s -/%d  %s\n", "ERROR", width, c->def->name, c->def->points,
                    c->def->what);
            put_indented(f, c->message ? c->message : "(no message)", "        ");
            fputs("        " NOT_GRADED_NOTE "\n", f);
            put_transcript_path(f, r, c);
            continue;
        }
        fprintf(f, "  %-4s  %-*s %d/%d  %s\n", c->passed ? "ok" : "FAIL", width, c->def->name,
                c->passed ? c->def->points : 0, c->def->points, c->def->what);
        if (c->passed) {
            if (c->message) /* why it could not be examined */
                put_indented(f, c->message, "        ");
            continue;
        }
        put_indented(f, c->message ? c->message : "(no message)", "        ");
        fprintf(f, "        hint: %s\n", check_hint(c));
        write_diagram_text(f, c->events, 80);
        put_transcript_path(f, r, c);
        put_repro_path(f, r, c);
    }
    struct score s = score_of(r, NULL);
    fprintf(f, "\nScore: %d/%d", s.got, s.max);
    if (s.errors)
        fprintf(f, ", %d %s not graded: grader error", s.errors, checks(s.errors));
    if (s.failed)
        fprintf(f, " (%d %s failed)", s.failed, checks(s.failed));
    else
        fputs(s.errors ? " (every graded check passed)" : " (every check passed)", f);
    fputs(" for ", f);
    put_text(f, r->impl);
    fprintf(f, " in %.1f s\n", r->seconds);
    char *isolation = isolation_of_results(r->results, r->n);
    put_text(f, isolation);
    fputc('\n', f);
    free(isolation);
    if (r->held_back > 0)
        fprintf(f,
                "%d more point%s in hidden checks, held back: your instructor's "
                "grading runs them.\n",
                r->held_back, r->held_back == 1 ? " is" : "s are");
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
    if (c->grader_error)
        fputs("      \"extra_data\": {\"grader_error\": true},\n", f);
    fputs("      \"output\": ", f);
    put_json_string(f, out.data);
    fputs("\n    }", f);
    buf_free(&name);
    buf_free(&out);
}

void write_gradescope(FILE *f, const struct report *r)
{
    struct score s = score_of(r, NULL);
    int all = s.max + s.error_points;
    if (s.errors)
        fprintf(f, "{\n  \"score\": %.2f,\n  \"max_score\": %d,\n", gradescope_score(&s), all);
    else
        fprintf(f, "{\n  \"score\": %d,\n  \"max_score\": %d,\n", s.got, all);
    fputs("  \"visibility\": \"visible\",\n  \"stdout_visibility\": \"visible\",\n", f);
    /* The output Gradescope shows above the tests: the score, and what
     * isolated the student's programs. */
    struct buf output = { 0 };
    char *isolation = isolation_of_results(r->results, r->n);
    buf_printf(&output, "netlab: %d/%d points, %d %s failed\n", s.got, s.max, s.failed,
               checks(s.failed));
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
    fputs("  \"tests\": [", f);
    for (size_t i = 0; i < r->n; i++)
        gradescope_test(f, &r->results[i], i == 0);
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
            skipped += r->results[i].untestable;
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
    fputs("\"/></properties>\n", f);
    free(sentence);
    for (size_t i = 0; i < r->n; i++) {
        const struct check_result *c = &r->results[i];
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
