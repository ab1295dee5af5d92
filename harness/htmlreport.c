/*
 * htmlreport.c - one submission's results as a page a student opens in a
 * browser (grade --format html, and report.html beside the transcripts
 * that make grade saves).
 *
 * The page is read by a tired student, so it puts first what they came
 * for: the score, then each failed check, big, with what the grader saw,
 * the exchange drawn, the hint linked to the handout's section (which the
 * page quotes at its end, so that the link lands wherever the file is
 * opened) and the transcript folded away; then the checks the grader could
 * not grade, apart and never charged; then every check of every lab, one
 * line each, PASS or FAIL in words as well as colour.
 *
 * It stands alone: its style is inline, it has no script and fetches
 * nothing, so it opens from a file, offline, or as an attachment.  Every
 * text that a check, a program or a folder's name supplied reaches it
 * through put_html_text (report.c).
 */
#include "report.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "diagram.h"
#include "lab.h"
#include "repro.h"

/* The colours are a light and a dark set (a student's browser may ask for
 * either); the words PASS, FAIL, ERROR and NOT TESTED say the same without
 * them.  Long lines of bytes wrap anywhere, so that nothing is wider than a
 * narrow window. */
static const char page_style[] =
    ":root { color-scheme: light dark; --fg: #1b1b1b; --bg: #fff; --muted: #595959;\n"
    "        --line: #d0d0d0; --code: #f5f5f5; --fail: #b3261e; --fail-bg: #fdecea;\n"
    "        --pass: #1e6b30; --pass-bg: #e6f4ea; --warn: #8a4b00; --warn-bg: #fff4e0;\n"
    "        --link: #0b57d0; }\n"
    "@media (prefers-color-scheme: dark) {\n"
    "  :root { --fg: #e6e6e6; --bg: #16181b; --muted: #a8a8a8; --line: #3a3d42;\n"
    "          --code: #212428; --fail: #ff8a80; --fail-bg: #3b1f1d; --pass: #7fd49a;\n"
    "          --pass-bg: #1b3323; --warn: #ffc266; --warn-bg: #3a2d16; --link: #8ab4f8; }\n"
    "}\n"
    "body { font: 16px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg);\n"
    "       max-width: 56em; margin: 0 auto; padding: 1em 1.25em 3em; }\n"
    "a { color: var(--link); }\n"
    "h1 { font-size: 1.15em; font-weight: normal; color: var(--muted); margin: 0; }\n"
    "h2 { font-size: 1.35em; margin: 2em 0 .6em; padding-bottom: .2em;\n"
    "     border-bottom: 2px solid var(--line); }\n"
    "h3 { font-size: 1.15em; margin: 0 0 .3em; overflow-wrap: anywhere; }\n"
    "h3 small { font-weight: normal; color: var(--muted); }\n"
    ".score { font-size: 3em; font-weight: bold; line-height: 1.1; margin: .1em 0; }\n"
    ".score small { font-size: .4em; font-weight: normal; color: var(--muted); }\n"
    ".verdict { font-size: 1.25em; margin: .2em 0 .6em; }\n"
    ".summary { border-left: 6px solid var(--fail); padding: .4em 1em; background: "
    "var(--fail-bg); }\n"
    ".summary.passed { border-color: var(--pass); background: var(--pass-bg); }\n"
    ".summary ul { margin: .2em 0 .4em; padding-left: 1.4em; }\n"
    "dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .1em 1em;\n"
    "           margin: 1em 0 0; color: var(--muted); font-size: .9em; }\n"
    "dl.facts dt { font-weight: bold; }\n"
    "dl.facts dd { margin: 0; overflow-wrap: anywhere; }\n"
    ".note { color: var(--muted); font-size: .9em; }\n"
    "section.check { border: 1px solid var(--line); border-left: 6px solid var(--fail);\n"
    "                border-radius: 4px; padding: .8em 1em; margin: 1.2em 0; }\n"
    "section.check.error { border-left-color: var(--warn); }\n"
    ".what { color: var(--muted); margin: 0 0 .6em; }\n"
    "pre { font: .85em/1.45 ui-monospace, monospace; white-space: pre-wrap;\n"
    "      overflow-wrap: anywhere; background: var(--code); padding: .6em .8em;\n"
    "      margin: .4em 0; border-radius: 4px; }\n"
    ".lead { font-weight: bold; margin: .4em 0; white-space: pre-wrap; overflow-wrap: "
    "anywhere; }\n"
    ".hint { margin: .6em 0; }\n"
    "details { margin: .4em 0; }\n"
    /* A wide diagram is drawn smaller (its viewBox keeps its shape): the
     * page never scrolls sideways. */
    "figure.diagram { margin: .8em 0; }\n"
    "figure.diagram svg { display: block; max-width: 100%; height: auto; background: #fff; }\n"
    "summary { cursor: pointer; color: var(--link); }\n"
    ".badge { display: inline-block; min-width: 3.2em; padding: 0 .4em; border-radius: 3px;\n"
    "         font-size: .8em; font-weight: bold; text-align: center; color: #fff;\n"
    "         vertical-align: .1em; }\n"
    ".badge.fail { background: var(--fail); color: var(--bg); }\n"
    ".badge.pass { background: var(--pass); color: var(--bg); }\n"
    ".badge.error, .badge.untested { background: var(--warn); color: var(--bg); }\n"
    "table { width: 100%; border-collapse: collapse; margin: .4em 0 1em; }\n"
    "th, td { text-align: left; vertical-align: top; padding: .2em .5em;\n"
    "         border-bottom: 1px solid var(--line); }\n"
    "td { overflow-wrap: anywhere; }\n"
    "td.name { white-space: nowrap; }\n"
    "@media (max-width: 40em) { td.name { white-space: normal; } }\n"
    "td.points { text-align: right; white-space: nowrap; }\n"
    "tr.fail td { background: var(--fail-bg); }\n"
    "h3.lab { margin-top: 1.4em; }\n"
    "h3.lab small { font-weight: normal; color: var(--muted); }\n"
    "section.handout h3 { font-size: 1em; }\n"
    "footer { margin-top: 3em; color: var(--muted); font-size: .85em; }\n";

/* "02-echo/binary-safe": the name a student types after --check. */
static void put_check_name(FILE *f, const struct check_result *c)
{
    put_html_text(f, c->lab->id);
    fputc('/', f);
    put_html_text(f, c->def->name);
}

/* The id of C's section on the page.  Lab ids and check names are the
 * grader's own ([0-9a-z-]), so the id needs no other care. */
static void put_check_id(FILE *f, const struct check_result *c)
{
    fputs("check-", f);
    put_html_text(f, c->lab->id);
    fputc('-', f);
    put_html_text(f, c->def->name);
}

/* Whether C, one of R's checks, ended: a stopped run ends some only. */
static bool ended(const struct report *r, const struct check_result *c)
{
    return check_ended(r, (size_t)(c - r->results));
}

static bool failed(const struct report *r, const struct check_result *c)
{
    return ended(r, c) && !c->passed && !c->grader_error;
}

/* ---- The head and the summary ------------------------------------------ */

static void put_head(FILE *f, const struct report *r, const struct score *s)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
          f);
    fprintf(f, "<title>netlab: %d/%d for ", s->got, s->max);
    put_html_text(f, r->impl);
    fputs("</title>\n<style>\n", f);
    fputs(page_style, f);
    fputs("</style>\n</head>\n<body>\n", f);
}

/* The failed checks, as links to their sections below. */
static void put_failed_list(FILE *f, const struct report *r)
{
    fputs("<ul>\n", f);
    for (size_t i = 0; i < r->n; i++) {
        const struct check_result *c = &r->results[i];
        if (!failed(r, c))
            continue;
        fputs("<li><a href=\"#", f);
        put_check_id(f, c);
        fputs("\">", f);
        put_check_name(f, c);
        fprintf(f, "</a> <span class=\"note\">(%d %s)</span></li>\n", c->def->points,
                plural_of(c->def->points, "point", "points"));
    }
    fputs("</ul>\n", f);
}

/* The score, big, and in one sentence what it means. */
static void put_verdict(FILE *f, const struct report *r, const struct score *s)
{
    fprintf(f, "<div class=\"summary%s\">\n", s->failed ? "" : " passed");
    fputs("<h1>netlab grading report</h1>\n", f);
    fprintf(f, "<p class=\"score\" id=\"score\">%d/%d <small>points</small></p>\n", s->got,
            s->max);
    if (s->failed) {
        fprintf(f, "<p class=\"verdict\">%d %s failed:</p>\n", s->failed,
                plural_of(s->failed, "check", "checks"));
        put_failed_list(f, r);
    } else {
        fprintf(f, "<p class=\"verdict\">Every %scheck passed.</p>\n",
                s->errors ? "graded " : "");
    }
    if (s->errors)
        fprintf(f,
                "<p class=\"verdict\">%d %s (%d %s) not graded: the grader failed, not "
                "your programs; <a href=\"#not-graded\">see below</a>.</p>\n",
                s->errors, plural_of(s->errors, "check", "checks"), s->error_points,
                plural_of(s->error_points, "point", "points"));
    fputs("</div>\n", f);
}

/* Whether R ran a hidden check: its rubric's version then says so. */
static bool ran_hidden(const struct report *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (is_hidden(r->results[i].lab, r->results[i].def))
            return true;
    return false;
}

/* The labs graded, by id and title. */
static void put_labs(FILE *f, const struct report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct lab_def *lab = r->results[i].lab;
        if (i > 0 && lab == r->results[i - 1].lab)
            continue;
        fputs(i > 0 ? ", " : "", f);
        put_html_text(f, lab->id);
        fputs(" (", f);
        put_html_text(f, lab->title);
        fputc(')', f);
    }
}

/* What was graded, when, by which rubric, and how the programs were
 * isolated. */
static void put_facts(FILE *f, const struct report *r)
{
    char version[RUBRIC_VERSION_SIZE], when[64];
    rubric_version(ran_hidden(r), version);
    time_t now = time(NULL);
    struct tm tm;
    if (r->graded_at != NULL) /* when the run started, as the other reports say */
        snprintf(when, sizeof when, "%s", r->graded_at);
    else if (localtime_r(&now, &tm) == NULL ||
             strftime(when, sizeof when, "%Y-%m-%d %H:%M %Z", &tm) == 0)
        snprintf(when, sizeof when, "(unknown)");
    fputs("<dl class=\"facts\">\n<dt>Graded</dt><dd>", f);
    put_html_text(f, r->impl);
    fputs("</dd>\n<dt>Labs</dt><dd>", f);
    put_labs(f, r);
    fprintf(f, "</dd>\n<dt>When</dt><dd>%s, in %.1f s</dd>\n", when, r->seconds);
    fprintf(f, "<dt>Rubric</dt><dd>%s</dd>\n<dt>Isolation</dt><dd>",
            r->rubric != NULL ? r->rubric : version);
    char *isolation = isolation_of_results(r->results, r->n);
    const char *said = isolation; /* under its own heading here */
    if (strncmp(said, "Isolation: ", 11) == 0)
        said += 11;
    put_html_text(f, said);
    free(isolation);
    fputs("</dd>\n</dl>\n", f);
    if (r->held_back > 0)
        fprintf(f,
                "<p class=\"note\">%d more %s in hidden checks, held back: your "
                "instructor's grading runs them.</p>\n",
                r->held_back, r->held_back == 1 ? "point is" : "points are");
}

/* ---- Each failed check --------------------------------------------------- */

/* The check's sequence diagram, between what the grader saw and the hint:
 * an inline SVG drawn from the events the check recorded (diagram.h). */
static void put_diagram(FILE *f, const struct check_result *c)
{
    if (c->events == NULL || c->events[0] == '\0')
        return;
    fputs("<figure class=\"diagram\">\n", f);
    write_diagram_svg(f, c->events);
    fputs("</figure>\n", f);
}

/* C's transcript, folded: it is long, and the message above says what
 * matters in it. */
static void put_transcript(FILE *f, const struct report *r, const struct check_result *c)
{
    if (c->transcript == NULL || *c->transcript == '\0')
        return;
    size_t lines = 0;
    for (const char *p = c->transcript; *p; p++)
        lines += *p == '\n';
    fprintf(f,
            "<details class=\"transcript\"><summary>The transcript: everything the grader "
            "did and saw (%zu %s)</summary>\n",
            lines, plural_of((long long)lines, "line", "lines"));
    if (r->transcripts != NULL) {
        fputs("<p class=\"note\">Also in <code>", f);
        put_html_text(f, r->transcripts);
        fputc('/', f);
        put_html_text(f, c->lab->id);
        fputc('/', f);
        put_html_text(f, c->def->name);
        fputs(".txt</code>.</p>\n", f);
    }
    fputs("<pre>", f);
    put_html_text(f, c->transcript);
    fputs("</pre>\n</details>\n", f);
}

/* A check's verdict: a word, and the class that colours it. */
struct verdict {
    const char *class, *word;
};

static struct verdict verdict_of(const struct report *r, const struct check_result *c)
{
    if (!ended(r, c)) /* the run stopped before it: 0 points */
        return (struct verdict){ "fail", "NOT RUN" };
    if (c->grader_error)
        return (struct verdict){ "error", "ERROR" };
    if (!c->passed)
        return (struct verdict){ "fail", "FAIL" };
    if (c->untestable) /* passed, its points kept, because it could not be examined */
        return (struct verdict){ "untested", "NOT TESTED" };
    return (struct verdict){ "pass", "PASS" };
}

static void put_badge(FILE *f, const struct report *r, const struct check_result *c)
{
    struct verdict v = verdict_of(r, c);
    fprintf(f, "<span class=\"badge %s\">%s</span>", v.class, v.word);
}

/* "1/2", or "-/2" for a check not graded. */
static void put_points(FILE *f, const struct report *r, const struct check_result *c)
{
    if (ended(r, c) && c->grader_error)
        fprintf(f, "-/%d", c->def->points);
    else
        fprintf(f, "%d/%d", c->passed ? c->def->points : 0, c->def->points);
}

/* The start of C's section: its verdict in a word, its name and points,
 * and what it checks. */
static void put_check_heading(FILE *f, const struct report *r, const struct check_result *c)
{
    fprintf(f, "<section class=\"check %s\" id=\"", verdict_of(r, c).class);
    put_check_id(f, c);
    fputs("\">\n<h3>", f);
    put_badge(f, r, c);
    fputc(' ', f);
    put_check_name(f, c);
    fputs(" <small>", f);
    put_points(f, r, c);
    fprintf(f, " %s%s</small></h3>\n", plural_of(c->def->points, "point", "points"),
            c->grader_error ? ", not counted" : "");
    fputs("<p class=\"what\">Checks that ", f);
    put_html_text(f, c->def->what);
    fputs(".</p>\n", f);
}

/* How many spaces every line of the LEN bytes of TEXT starts with (lines
 * of spaces only aside). */
static size_t common_indent(const char *text, size_t len)
{
    size_t indent = SIZE_MAX;
    for (size_t at = 0; at < len;) {
        size_t line = strcspn(text + at, "\n"), spaces = strspn(text + at, " ");
        if (spaces < line && spaces < indent)
            indent = spaces;
        at += line + 1;
    }
    return indent == SIZE_MAX ? 0 : indent;
}

/* The evidence below a message's first line, REST: without the indent
 * that set it apart from that line in the text report, which the page
 * sets apart by its own layout, and without empty lines at its end. */
static void put_evidence(FILE *f, const char *rest)
{
    size_t len = strlen(rest);
    while (len > 0 && rest[len - 1] == '\n')
        len--;
    if (len == 0)
        return;
    size_t indent = common_indent(rest, len);
    struct buf evidence = { 0 };
    for (size_t at = 0; at < len;) {
        size_t line = strcspn(rest + at, "\n");
        size_t skip = line < indent ? line : indent;
        buf_append(&evidence, rest + at + skip, line - skip);
        at += line + 1;
        buf_puts(&evidence, at < len ? "\n" : "");
    }
    fputs("<pre class=\"message\">", f);
    put_html_text(f, evidence.data);
    fputs("</pre>\n", f);
    buf_free(&evidence);
}

/* C's message: its first line, what went wrong, as a sentence in bold;
 * the lines below it, the evidence, as they are laid out. */
static void put_message(FILE *f, const struct check_result *c)
{
    const char *message = c->message ? c->message : "(no message)";
    size_t first = strcspn(message, "\n");
    struct buf lead = { 0 };
    buf_append(&lead, message, first);
    buf_puts(&lead, "");
    fputs("<p class=\"lead\">", f);
    put_html_text(f, lead.data);
    fputs("</p>\n", f);
    buf_free(&lead);
    put_evidence(f, message + first + (message[first] == '\n'));
}

/* Where the script that plays the check again is (repro.h), when one was
 * saved beside the transcripts. */
static void put_repro(FILE *f, const struct report *r, const struct check_result *c)
{
    if (r->transcripts == NULL || !has_repro(c))
        return;
    fputs("<p class=\"hint\">Play it again by hand: <code>sh ", f);
    put_html_text(f, r->transcripts);
    fputc('/', f);
    put_html_text(f, c->lab->id);
    fputc('/', f);
    put_html_text(f, c->def->name);
    fputs(".repro</code></p>\n", f);
}

static void put_failure(FILE *f, const struct report *r, const struct check_result *c)
{
    put_check_heading(f, r, c);
    put_message(f, c);
    put_diagram(f, c);
    fputs("<p class=\"hint\">Read again: ", f);
    put_hint_link(f, check_hint(c));
    fputs("</p>\n", f);
    put_repro(f, r, c);
    put_transcript(f, r, c);
    fputs("</section>\n", f);
}

static void put_grader_error(FILE *f, const struct report *r, const struct check_result *c)
{
    put_check_heading(f, r, c);
    put_message(f, c);
    fputs("<p class=\"hint\">Not graded: " NOT_GRADED_NOTE "</p>\n", f);
    put_transcript(f, r, c);
    fputs("</section>\n", f);
}

static void put_failures(FILE *f, const struct report *r, const struct score *s)
{
    if (s->failed) {
        fputs("<h2 id=\"failed\">What failed</h2>\n", f);
        for (size_t i = 0; i < r->n; i++)
            if (failed(r, &r->results[i]))
                put_failure(f, r, &r->results[i]);
    }
    if (s->errors) {
        fputs("<h2 id=\"not-graded\">Not graded: the grader failed</h2>\n", f);
        for (size_t i = 0; i < r->n; i++)
            if (r->results[i].grader_error)
                put_grader_error(f, r, &r->results[i]);
    }
}

/* ---- Every check, compact ------------------------------------------------ */

static void put_check_row(FILE *f, const struct report *r, const struct check_result *c)
{
    fprintf(f, "<tr class=\"%s\"><td>", failed(r, c) ? "fail" : "pass");
    put_badge(f, r, c);
    fputs("</td><td class=\"name\">", f);
    if (!c->passed) { /* its section above */
        fputs("<a href=\"#", f);
        put_check_id(f, c);
        fputs("\">", f);
    }
    put_html_text(f, c->def->name);
    fputs(c->passed ? "</td><td class=\"points\">" : "</a></td><td class=\"points\">", f);
    put_points(f, r, c);
    fputs("</td><td>", f);
    put_html_text(f, c->def->what);
    if (c->untestable && c->message) { /* why it could not be examined */
        fputs("<br><span class=\"note\">Not tested here, points kept: ", f);
        put_html_text(f, c->message);
        fputs("</span>", f);
    }
    fputs("</td></tr>\n", f);
}

static void put_lab_table(FILE *f, const struct report *r, const struct lab_def *lab)
{
    struct score s = score_of(r, lab);
    fputs("<h3 class=\"lab\">", f);
    put_html_text(f, lab->id);
    fputs(" <small>(", f);
    put_html_text(f, lab->title);
    fprintf(f, ")</small> %d/%d %s</h3>\n", s.got, s.max, plural_of(s.max, "point", "points"));
    fputs("<table>\n<thead><tr><th>Result</th><th>Check</th><th>Points</th>"
          "<th>What it checks</th></tr></thead>\n<tbody>\n",
          f);
    for (size_t i = 0; i < r->n; i++)
        if (r->results[i].lab == lab)
            put_check_row(f, r, &r->results[i]);
    fputs("</tbody>\n</table>\n", f);
}

static void put_every_check(FILE *f, const struct report *r)
{
    fputs("<h2 id=\"checks\">Every check</h2>\n", f);
    for (size_t i = 0; i < r->n; i++)
        if (i == 0 || r->results[i].lab != r->results[i - 1].lab)
            put_lab_table(f, r, r->results[i].lab);
}

/* ---- The handout's sections, and the end ---------------------------------- */

/* The sections the failed checks' hints name, quoted so that their links
 * land on the page itself. */
static void put_cited_sections(FILE *f, const struct report *r, const struct score *s)
{
    if (s->failed == 0)
        return;
    const char **hints = xcalloc(r->n, sizeof *hints);
    for (size_t i = 0; i < r->n; i++)
        hints[i] = failed(r, &r->results[i]) ? check_hint(&r->results[i]) : NULL;
    fputs("<h2 id=\"handout\">The handout's sections to read again</h2>\n", f);
    write_cited_sections(f, r->kit_dir ? r->kit_dir : ".", hints, r->n);
    free(hints);
}

void write_html(FILE *f, const struct report *r)
{
    struct score s = score_of(r, NULL);
    put_head(f, r, &s);
    put_verdict(f, r, &s);
    put_facts(f, r);
    put_failures(f, r, &s);
    put_every_check(f, r);
    put_cited_sections(f, r, &s);
    fputs("<footer>This page holds your programs' output and the grader's findings on your "
          "code: keep it between you and your instructor.</footer>\n</body>\n</html>\n",
          f);
}

int save_html_report(const struct report *r)
{
    struct buf path = { 0 };
    buf_printf(&path, "%s/" HTML_REPORT_NAME, r->transcripts);
    FILE *f = fopen(path.data, "w");
    int rc = 0;
    if (f == NULL) {
        fprintf(stderr, "grade: cannot write %s: %s\n", path.data, strerror(errno));
        rc = -1;
    } else {
        write_html(f, r);
        if (fclose(f) != 0) {
            fprintf(stderr, "grade: cannot write %s: %s\n", path.data, strerror(errno));
            rc = -1;
        }
    }
    buf_free(&path);
    return rc;
}
