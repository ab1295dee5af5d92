/*
 * test_htmlreport.c - the HTML report of one submission (harness/
 * htmlreport.c: grade --format html, and report.html beside the
 * transcripts).
 *
 * Unit tests write pages of made-up results: whatever bytes a check's text
 * holds, the page parses (Python's html.parser: every tag closed, in
 * order), runs no script and shows those bytes as text; a grader error is
 * shown apart and not charged, and a check that could not be examined is
 * marked.  Whole tests grade a known-buggy variant of lab 02 and lab 02's
 * solution as a student would, and read the pages in headless Chromium
 * (tests/browser.h), where installed, at 800 pixels wide: the score, each
 * failed check's message as the grader gave it, a hint that lands on its
 * handout section, the transcript folded in a <details>, and nothing
 * wider than the window, its transcripts unfolded or not.  A screenshot of
 * each page is left in build/screenshots/ for a person to look at.
 *
 * Run from the top of the kit (make test does), after make test's builds.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "browser.h"
#include "buf.h"
#include "command.h"
#include "files.h"
#include "internal.h"
#include "lab.h"
#include "report.h"
#include "unit.h"
#include "variant.h"

TestSuite(htmlreport, .init = ignore_sigpipe, .timeout = 120);

/* ---- Reading a page -------------------------------------------------------- */

/*
 * Parses the page ARGV[1] as HTML, its bytes as strict UTF-8, and prints
 * "problem ..." for each end tag that closes another element than the
 * last one open and for each element left open, "scripts N" (script
 * elements), then "text:" and the text of the page as a parser sees it,
 * markup removed and character references read.
 */
static const char parse_py[] =
    "import sys, html.parser\n"
    "VOID = {'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta',\n"
    "        'source', 'track', 'wbr'}\n"
    "class Page(html.parser.HTMLParser):\n"
    "    def __init__(self):\n"
    "        super().__init__(convert_charrefs=True)\n"
    "        self.open, self.problems, self.scripts, self.text = [], [], 0, []\n"
    "    def handle_starttag(self, tag, attrs):\n"
    "        self.scripts += tag == 'script'\n"
    "        if tag not in VOID:\n"
    "            self.open.append(tag)\n"
    "    def handle_endtag(self, tag):\n"
    "        if not self.open or self.open[-1] != tag:\n"
    "            self.problems.append('</%s> closes %s' % (tag, self.open[-1:]))\n"
    "        else:\n"
    "            self.open.pop()\n"
    "    def handle_data(self, data):\n"
    "        self.text.append(data)\n"
    "page = Page()\n"
    "page.feed(open(sys.argv[1], encoding='utf-8', errors='strict').read())\n"
    "page.close()\n"
    "if page.open:\n"
    "    page.problems.append('left open: ' + ' '.join(page.open))\n"
    "for problem in page.problems:\n"
    "    print('problem', problem)\n"
    "print('scripts', page.scripts)\n"
    "print('text:')\n"
    "print(''.join(page.text))\n";

/* What parse_py says of the page PATH (to free), asserting Python ran. */
static char *parse_page(const char *path)
{
    char script[] = "/tmp/netlab-html-parse-XXXXXX";
    int fd = mkstemp(script);
    cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
    cr_assert_eq(write(fd, parse_py, strlen(parse_py)), (ssize_t)strlen(parse_py));
    close(fd);
    const char *argv[] = { "python3", script, path, NULL };
    int out = temp_fd();
    int status = run_program(argv, NULL, NULL, out, out);
    struct buf seen = { 0 };
    take_file(out, &seen);
    unlink(script);
    cr_assert_eq(status, 0, "python's HTML parser fails on %s:\n%s", path, seen.data);
    return seen.data;
}

/* Asserts that the page PATH parses with every tag closed and no script;
 * returns its text as parse_py gives it (to free). */
static char *parsed_text(const char *path)
{
    char *seen = parse_page(path);
    cr_expect_null(strstr(seen, "problem "), "the page's tags do not nest:\n%s", seen);
    cr_expect_not_null(strstr(seen, "scripts 0\n"), "a script on the page:\n%s", seen);
    const char *text = strstr(seen, "text:\n");
    cr_assert_not_null(text, "%s", seen);
    char *copy = xstrdup(text + 6);
    free(seen);
    return copy;
}

/* Writes the page of R to a new temporary file; its path (to free). */
static char *page_of(const struct report *r)
{
    char *path = xstrdup("/tmp/netlab-html-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
    FILE *f = fdopen(fd, "w");
    cr_assert_not_null(f);
    write_html(f, r);
    cr_assert_eq(fclose(f), 0);
    return path;
}

/* ---- Made-up results ---------------------------------------------------- */

static void no_run(struct check *c)
{
    (void)c;
}

static const struct check_def fake_checks[] = {
    { "works", 3, 1000, "it works <b>bold</b> & \"quoted\"",
      "handouts/98-fake.md, section \"A <i> & B\"", no_run },
    { "breaks", 2, 1000, "it breaks", "handouts/98-fake.md, section \"Breaking\"", no_run },
    { "static", 1, 1000, "short reads, under a preloaded library", "not a hint", no_run },
    { "flaky", 4, 1000, "the grader fails here", "handouts/98-fake.md, section \"Other\"",
      no_run },
};
static const struct lab_def fake_lab = { "98-fake", "fake <lab>", fake_checks, 4, 0 };

/* Four results of FAKE_LAB: passed; failed, every text hostile; passed
 * because it could not be examined; not graded (a grader error).  Free
 * with free_results. */
static struct report fake_report(struct check_result results[4])
{
    results[0] = (struct check_result){
        .lab = &fake_lab, .def = &fake_checks[0], .passed = true, .transcript = xstrdup("ok\n")
    };
    results[1] = (struct check_result){
        .lab = &fake_lab,
        .def = &fake_checks[1],
        .message = xstrdup("got <script>alert(1)</script> & \xff\xfe bytes\n"
                           "  </pre></details></section> \x1b[31mred\x1b[0m caf\xc3\xa9\n"),
        .transcript = xstrdup("[0.1 ms] server -> grader: \"<script>x</script>\" \xc0\x80\n"
                              "<!-- not a comment --> ]]> &amp;\n"),
    };
    results[2] = (struct check_result){
        .lab = &fake_lab,
        .def = &fake_checks[2],
        .passed = true,
        .untestable = true,
        .message = xstrdup("not testable: the server is linked statically\n"),
    };
    results[3] = (struct check_result){
        .lab = &fake_lab,
        .def = &fake_checks[3],
        .grader_error = true,
        .message = xstrdup(GRADER_ERROR " no free port <here>\n"),
        .transcript = xstrdup("[0.1 ms] FAIL: grader error\n"),
    };
    return (struct report){
        .impl = "tree <script>x</script> \xff", .results = results, .n = 4, .seconds = 1.5
    };
}

/* Whatever bytes a check's text, a program or a folder's name holds, the
 * page parses, runs nothing, and shows them as text. */
Test(htmlreport, hostile_text_is_shown_as_text)
{
    struct check_result results[4];
    struct report r = fake_report(results);
    char *path = page_of(&r);
    char *text = parsed_text(path);
    const char *const shown[] = {
        "got <script>alert(1)</script> & \\xff\\xfe bytes",
        "</pre></details></section> \\x1b[31mred\\x1b[0m caf\xc3\xa9",
        "\"<script>x</script>\" \\xc0\\x80",
        "<!-- not a comment --> ]]> &amp;",
        "tree <script>x</script> \\xff",
        "it works <b>bold</b> & \"quoted\"",
        "fake <lab>",
    };
    for (size_t i = 0; i < COUNT_OF(shown); i++)
        cr_expect_not_null(strstr(text, shown[i]), "\"%s\" is not shown as text:\n%s",
                           shown[i], text);
    free(text);
    unlink(path);
    free(path);
    free_results(results, 4);
}

/* A grader error is apart, with the note every report gives, and costs
 * nothing: the score is of the checks graded.  A check that could not be
 * examined keeps its point and says why. */
Test(htmlreport, grader_errors_apart_and_untested_checks_marked)
{
    struct check_result results[4];
    struct report r = fake_report(results);
    char *path = page_of(&r);
    char *html = read_text_file(path);
    char *text = parsed_text(path);
    cr_expect_not_null(strstr(text, "4/6 points"), "the score leaves the error out:\n%s",
                       text);
    cr_expect_not_null(strstr(text, "1 check failed"), "%s", text);
    cr_expect_not_null(strstr(text, "Not graded: the grader failed"), "%s", text);
    cr_expect_not_null(strstr(text, NOT_GRADED_NOTE), "%s", text);
    cr_expect_not_null(strstr(text, "-/4"), "no points taken:\n%s", text);
    cr_expect_not_null(strstr(text, "NOT TESTED"), "%s", text);
    cr_expect_not_null(strstr(text, "the server is linked statically"), "%s", text);
    /* The failure's hint lands on its section, quoted (here, why it cannot
     * be); the grader error's hint is not offered. */
    cr_expect_not_null(strstr(html, "<a href=\"#handout-98-fake-breaking\">"), "%s", html);
    cr_expect_not_null(strstr(html, "id=\"handout-98-fake-breaking\""), "%s", html);
    cr_expect_null(strstr(html, "handout-98-fake-other"), "%s", html);
    /* The failed list names the failure only. */
    const char *list = strstr(html, "<ul>");
    cr_assert_not_null(list, "%s", html);
    cr_expect_not_null(strstr(list, "98-fake/breaks"), "%s", html);
    cr_expect(strstr(list, "98-fake/flaky") > strstr(list, "</ul>"), "%s", html);
    free(html);
    free(text);
    unlink(path);
    free(path);
    free_results(results, 4);
}

/* ---- A real grading, read in a browser ------------------------------------ */

/* Runs the grader with ARGS (NULL-terminated, after harness/grade); its
 * exit status, and what it printed (both streams) into OUT. */
static int grade(const char *const *args, struct buf *out)
{
    const char *argv[24] = { "harness/grade" };
    size_t n = 1;
    for (size_t i = 0; args[i] != NULL && n < COUNT_OF(argv) - 1; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    int fd = temp_fd();
    int status = run_program(argv, NULL, NULL, fd, fd);
    take_file(fd, out);
    return status;
}

/*
 * The page, as the browser lays it out at 800 pixels, in lines:
 *   "score S"                    the score's text
 *   "failed NAME"                each failed check's section, then of it:
 *   "lead NAME TEXT"             its message's first line
 *   "evidence NAME TEXT"         the lines below it (newlines as U+2424)
 *   "hint NAME lands"            if its hint link's target is on the page
 *   "folded NAME"                if its transcript is in a closed <details>
 *   "wide [...]"                 elements past the window's right edge
 *   "opened wide [...]"          the same with every <details> opened
 *   "scroll W of V"              the page's width, the window's
 *   "scripts N"
 */
static const char look_js[] =
    "(() => {"
    "  const lines = [];"
    "  const nl = s => s.replace(/\\n/g, '\\u2424');"
    "  const score = document.getElementById('score');"
    "  lines.push('score ' + (score ? score.innerText : '(none)'));"
    "  for (const s of document.querySelectorAll('section.check:not(.error)')) {"
    "    const name = s.id.replace(/^check-[0-9]+-[a-z]+-/, '');"
    "    lines.push('failed ' + name);"
    "    const lead = s.querySelector('.lead'), pre = s.querySelector('pre.message');"
    "    lines.push('lead ' + name + ' ' + (lead ? lead.innerText : ''));"
    "    lines.push('evidence ' + name + ' ' + nl(pre ? pre.innerText : ''));"
    "    const a = s.querySelector('.hint a');"
    "    const target = a && document.getElementById(a.getAttribute('href').slice(1));"
    "    if (target && target.querySelector('h3')) lines.push('hint ' + name + ' lands');"
    "    const d = s.querySelector('details');"
    "    const t = d && d.querySelector('pre');"
    "    if (t && !d.open && t.textContent.length > 0 && !t.checkVisibility())"
    "      lines.push('folded ' + name);"
    "  }"
    "  const wide = () => [...document.querySelectorAll('body *')].filter(e => {"
    "      const r = e.getBoundingClientRect();"
    "      return r.width > 0 && (r.right > innerWidth + 0.5 || r.left < -0.5); })"
    "    .slice(0, 5).map(e => e.tagName + '.' + e.className).join(' ');"
    "  lines.push('wide [' + wide() + ']');"
    "  document.querySelectorAll('details').forEach(d => { d.open = true; });"
    "  lines.push('opened wide [' + wide() + ']');"
    "  lines.push('scroll ' + document.documentElement.scrollWidth + ' of ' + innerWidth);"
    "  lines.push('scripts ' + document.scripts.length);"
    "  return lines.join('\\n');"
    "})()";

/* A screenshot's absolute path under build/screenshots/ (made if
 * missing), to free. */
static char *screenshot_path(const char *name)
{
    cr_assert(mkdir("build/screenshots", 0755) == 0 || errno == EEXIST, "%s", strerror(errno));
    char cwd[PATH_MAX];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    struct buf path = { 0 };
    buf_printf(&path, "%s/build/screenshots/%s", cwd, name);
    return path.data;
}

static void expect_png(const char *path)
{
    char *data = read_text_file(path);
    cr_assert_not_null(data, "no screenshot %s", path);
    cr_expect_eq(memcmp(data, "\x89PNG", 4), 0, "%s is no PNG", path);
    free(data);
}

/* The message of CHECK as the grader saved it beside its transcript, in
 * TRANSCRIPTS/LAB/CHECK.txt after "Why it failed:" (to free). */
static char *saved_message(const char *transcripts, const char *lab, const char *check)
{
    struct buf path = { 0 };
    buf_printf(&path, "%s/%s/%s.txt", transcripts, lab, check);
    char *text = read_text_file(path.data);
    cr_assert_not_null(text, "no transcript %s", path.data);
    const char *why = strstr(text, "\nWhy it failed:\n");
    cr_assert_not_null(why, "%s says no failure:\n%s", path.data, text);
    buf_free(&path);
    char *message = xstrdup(why + 16);
    free(text);
    for (size_t len = strlen(message); len > 0 && message[len - 1] == '\n';)
        message[--len] = '\0';
    return message;
}

/* The lines of TEXT, each less the spaces all of them start with (lines
 * of spaces only aside), joined by U+2424 as look_js joins them (to
 * free). */
static char *dedented(const char *text)
{
    size_t indent = SIZE_MAX;
    for (const char *p = text; *p != '\0';) {
        size_t line = strcspn(p, "\n"), spaces = strspn(p, " ");
        if (spaces < line && spaces < indent)
            indent = spaces;
        p += line + (p[line] == '\n');
    }
    struct buf out = { 0 };
    buf_puts(&out, "");
    for (const char *p = text; *p != '\0';) {
        size_t line = strcspn(p, "\n");
        size_t skip = line < indent ? line : indent;
        buf_append(&out, p + skip, line - skip);
        p += line + (p[line] == '\n');
        if (*p != '\0')
            buf_puts(&out, "\xe2\x90\xa4");
    }
    return out.data;
}

/* Expects the message of CHECK, as saved in TRANSCRIPTS, on the page SEEN
 * (look_js's lines): its first line, then the lines below it as they are
 * laid out, apart from the indent that set them off from the first. */
static void expect_message(const char *seen, const char *transcripts, const char *check)
{
    char *message = saved_message(transcripts, "02-echo", check);
    size_t first = strcspn(message, "\n");
    char *evidence = dedented(message + first + (message[first] == '\n'));
    struct buf lead = { 0 }, rest = { 0 };
    buf_printf(&lead, "\nlead %s %.*s\n", check, (int)first, message);
    buf_printf(&rest, "\nevidence %s %s\n", check, evidence);
    cr_expect_not_null(strstr(seen, lead.data), "the message's first line, not:\n%s\n---\n%s",
                       lead.data, seen);
    cr_expect_not_null(strstr(seen, rest.data), "the message's evidence, not:\n%s\n---\n%s",
                       rest.data, seen);
    buf_free(&lead);
    buf_free(&rest);
    free(evidence);
    free(message);
}

/* The page fits a window of 800 pixels, with its transcripts unfolded too,
 * and runs no script. */
static void expect_fits(const char *seen)
{
    cr_expect_not_null(strstr(seen, "\nwide []\n"), "wider than the window:\n%s", seen);
    cr_expect_not_null(strstr(seen, "\nopened wide []\n"),
                       "wider than the window, transcripts open:\n%s", seen);
    cr_expect_not_null(strstr(seen, "\nscroll 800 of 800\n"), "it scrolls sideways:\n%s",
                       seen);
    cr_expect_not_null(strstr(seen, "\nscripts 0"), "%s", seen);
    cr_expect_not_null(strstr(seen, "requests 1\n"), "the page fetches more than itself:\n%s",
                       seen);
}

/*
 * A variant of lab 02 that fails three checks (server-strlen), graded as a
 * student grades: --format html, and its transcripts saved, with the page
 * beside them too.  In the browser: the score, each failed check with the
 * grader's message, a hint that lands, the transcript folded; nothing
 * wider than the window.
 */
Test(htmlreport, a_failing_variants_page_reads_right_in_chromium)
{
    struct variant v = { .lab = "02-echo", .name = "server-strlen" };
    snprintf(v.dir, sizeof v.dir, "%s/%s/%s", VARIANTS_DIR, v.lab, v.name);
    struct buf err = { 0 };
    cr_assert_eq(variant_read_expect(&v, &err), 0, "%s", err.data);
    cr_assert_eq(variant_make_tree(&v, "build", &err), 0, "%s", err.data);
    char page[PATH_MAX + 16], transcripts[PATH_MAX + 16], beside[PATH_MAX + 32];
    snprintf(page, sizeof page, "%s/report.html", v.tree);
    snprintf(transcripts, sizeof transcripts, "%s/transcripts", v.tree);
    snprintf(beside, sizeof beside, "%s/" HTML_REPORT_NAME, transcripts);
    struct buf out = { 0 };
    int status = grade((const char *[]){ "--impl", v.tree, "--format", "html", "--out", page,
                                         "--transcripts", transcripts, NULL },
                       &out);
    cr_assert_eq(status, 1, "grade exited %d:\n%s", status, out.data);
    cr_expect_eq(access(beside, R_OK), 0, "no page beside the transcripts: %s", beside);
    char *text = parsed_text(page);
    free(text);

    SKIP_WITHOUT_CHROMIUM("the HTML report");
    char *shot = screenshot_path("report-02-echo-server-strlen-800.png");
    char *seen = browser_render(v.tree, page, 800, look_js, shot);
    expect_png(shot);
    free(shot);
    int max = 0, lost = 0;
    for (size_t i = 0; i < find_lab("02")->nchecks; i++) {
        const struct check_def *def = &find_lab("02")->checks[i];
        max += is_hidden(find_lab("02"), def) ? 0 : def->points;
        lost += variant_expects(&v, def->name) ? def->points : 0;
    }
    char score[64];
    snprintf(score, sizeof score, "score %d/%d points\n", max - lost, max);
    cr_expect_not_null(strstr(seen, score), "not \"%s\":\n%s", score, seen);
    for (size_t i = 0; i < v.nexpect; i++) {
        char line[320];
        const char *const marks[] = { "failed", "hint", "folded" };
        const char *const ends[] = { "\n", " lands\n", "\n" };
        for (size_t k = 0; k < COUNT_OF(marks); k++) {
            snprintf(line, sizeof line, "\n%s %s%s", marks[k], v.expect[i], ends[k]);
            cr_expect_not_null(strstr(seen, line), "not \"%s\":\n%s", line + 1, seen);
        }
        expect_message(seen, transcripts, v.expect[i]);
    }
    expect_fits(seen);
    free(seen);
    buf_free(&out);
    buf_free(&err);
    variant_remove_tree(&v);
}

/* The solution's page: full marks, said at once, and no failure. */
Test(htmlreport, the_solutions_page_says_every_check_passed)
{
    char work[] = "/tmp/netlab-html-XXXXXX";
    cr_assert_not_null(mkdtemp(work));
    char page[sizeof work + 16];
    snprintf(page, sizeof page, "%s/report.html", work);
    struct buf out = { 0 };
    int status = grade((const char *[]){ "--impl", "solutions", "--lab", "02", "--format",
                                         "html", "--out", page, NULL },
                       &out);
    cr_assert_eq(status, 0, "grade exited %d:\n%s", status, out.data);
    char *text = parsed_text(page);
    cr_expect_not_null(strstr(text, "Every check passed."), "%s", text);
    cr_expect_null(strstr(text, "What failed"), "%s", text);
    free(text);

    SKIP_WITHOUT_CHROMIUM("the HTML report");
    char *shot = screenshot_path("report-02-echo-solution-800.png");
    char *seen = browser_render(work, page, 800, look_js, shot);
    expect_png(shot);
    free(shot);
    int max = 0;
    for (size_t i = 0; i < find_lab("02")->nchecks; i++)
        max += is_hidden(find_lab("02"), &find_lab("02")->checks[i])
                   ? 0
                   : find_lab("02")->checks[i].points;
    char score[64];
    snprintf(score, sizeof score, "score %d/%d points\n", max, max);
    cr_expect_not_null(strstr(seen, score), "not \"%s\":\n%s", score, seen);
    cr_expect_null(strstr(seen, "\nfailed "), "%s", seen);
    expect_fits(seen);
    free(seen);
    buf_free(&out);
    remove_folder(work);
}

/* The text report's last line says where the page is, when the
 * transcripts (and so the page) are saved; make grade saves them. */
Test(htmlreport, the_text_report_says_where_the_page_is)
{
    char work[] = "/tmp/netlab-html-XXXXXX";
    cr_assert_not_null(mkdtemp(work));
    struct buf out = { 0 };
    int status = grade((const char *[]){ "--impl", "solutions", "--check", "02-echo/line-echo",
                                         "--transcripts", work, NULL },
                       &out);
    cr_assert_eq(status, 0, "grade exited %d:\n%s", status, out.data);
    struct buf line = { 0 };
    buf_printf(&line, "\nHTML report: %s/report.html (open it in a browser)\n", work);
    size_t len = strlen(line.data);
    cr_expect(out.len >= len && strcmp(out.data + out.len - len, line.data) == 0,
              "the last line is not \"%s\":\n%s", line.data + 1, out.data);
    char page[sizeof work + 16];
    snprintf(page, sizeof page, "%s/report.html", work);
    char *text = parsed_text(page);
    cr_expect_not_null(strstr(text, "line-echo"), "%s", text);
    free(text);
    buf_free(&line);
    buf_free(&out);
    remove_folder(work);
}
