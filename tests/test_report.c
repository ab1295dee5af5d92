/*
 * test_report.c - unit tests of the grader's reports (harness/report.c):
 * each format's escaping of whatever a check's text holds (JSON, XML,
 * HTML, CSV, text), whole reports in each format, a grader error shown
 * apart from a failure, and the isolation line.
 *
 * Reports are validated by Python's own parsers (json, xml.etree), run on a
 * temporary file.  Run from the top of the kit (make test does).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "internal.h"
#include "lab.h"
#include "report.h"
#include "runner.h"
#include "unit.h"

TestSuite(report, .init = ignore_sigpipe, .timeout = 30);

/* A copy of what a memory stream holds. */
struct mem {
    char *data;
    size_t len;
    FILE *f;
};

static FILE *mem_open(struct mem *m)
{
    *m = (struct mem){ 0 };
    m->f = open_memstream(&m->data, &m->len);
    cr_assert_not_null(m->f);
    return m->f;
}

static void mem_close(struct mem *m)
{
    cr_assert_eq(fclose(m->f), 0);
    m->f = NULL;
}

static void mem_free(struct mem *m)
{
    free(m->data);
    m->data = NULL;
}

/* Writes LEN bytes to a new temporary file; returns its path (to free). */
static char *temp_file(const void *data, size_t len)
{
    char *path = xstrdup("/tmp/netlab-harness-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        cr_assert_gt(n, 0, "write %s: %s", path, strerror(errno));
        p += n;
        len -= (size_t)n;
    }
    close(fd);
    return path;
}

/*
 * Runs the Python program SCRIPT on the file holding DATA; returns what it
 * printed (stdout and stderr, to free) and its exit status in *STATUS (-1 if
 * it did not exit).  Both temporary files are removed.
 */
static char *python_on(const char *script, const void *data, size_t len, int *status)
{
    char *script_path = temp_file(script, strlen(script));
    char *data_path = temp_file(data, len);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "python3 %s %s 2>&1", script_path, data_path);
    fflush(NULL);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "popen: %s", strerror(errno));
    struct buf out = { 0 };
    buf_puts(&out, "");
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
        buf_append(&out, chunk, n);
    int st = pclose(p);
    *status = st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    unlink(script_path);
    unlink(data_path);
    free(script_path);
    free(data_path);
    return out.data;
}

/* The bytes a line of hexadecimal digits stands for, NUL-terminated (to
 * free); *LEN gets their number. */
static char *from_hex(const char *hex, size_t *len)
{
    size_t digits = strspn(hex, "0123456789abcdef");
    char *out = xmalloc(digits / 2 + 1);
    for (size_t i = 0; i + 1 < digits; i += 2) {
        unsigned v;
        sscanf(hex + i, "%2x", &v);
        out[i / 2] = (char)v;
    }
    *len = digits / 2;
    out[*len] = '\0';
    return out;
}

/* The lines of TEXT (modified in place; empty ones too), at most MAX;
 * returns their number. */
static size_t split_lines(char *text, char **lines, size_t max)
{
    size_t n = 0;
    while (*text != '\0' && n < max) {
        lines[n++] = text;
        char *nl = strchr(text, '\n');
        if (nl == NULL)
            break;
        *nl = '\0';
        text = nl + 1;
    }
    return n;
}

/* ---- Escaping for each format ------------------------------------------------ */

struct nasty {
    char in[64];     /* what a check's text may hold */
    char shown[160]; /* what a reader must see, once the format is decoded */
};

static const struct nasty fixed_cases[] = {
    { "\x1b[31mred\x1b[0m \x1b]0;title\x07", "\\x1b[31mred\\x1b[0m \\x1b]0;title\\x07" },
    { "invalid \xff\xfe bytes", "invalid \\xff\\xfe bytes" },
    { "cut at the end \xe2\x82", "cut at the end \\xe2\\x82" },
    { "cut \xe2\x82 inside", "cut \\xe2\\x82 inside" },
    { "two cut \xc3", "two cut \\xc3" },
    { "lone \x80 continuation", "lone \\x80 continuation" },
    { "overlong \xc0\x80 NUL", "overlong \\xc0\\x80 NUL" },
    { "overlong \xe0\x80\xaf slash", "overlong \\xe0\\x80\\xaf slash" },
    { "surrogate \xed\xa0\x80 half", "surrogate \\xed\\xa0\\x80 half" },
    { "past U+10FFFF \xf4\x90\x80\x80", "past U+10FFFF \\xf4\\x90\\x80\\x80" },
    { "five \xf8\x88\x80\x80\x80", "five \\xf8\\x88\\x80\\x80\\x80" },
    { "caf\xc3\xa9 costs 5 \xe2\x82\xac \xf0\x9d\x84\x9e \xe4\xb8\xad",
      "caf\xc3\xa9 costs 5 \xe2\x82\xac \xf0\x9d\x84\x9e \xe4\xb8\xad" },
    { "\"quoted\" back\\slash <tag> & &amp; ]]> end",
      "\"quoted\" back\\slash <tag> & &amp; ]]> end" },
    { "tab\there\nline two\n", "tab\there\nline two\n" },
    { "crlf\r\n", "crlf\\x0d\n" },
    { "", "" },
};

/* The fixed cases, and one per control byte: "<" BYTE ">". */
static size_t nasty_cases(struct nasty *out)
{
    size_t n = 0;
    for (int ch = 1; ch < 0x20; ch++) {
        snprintf(out[n].in, sizeof out[n].in, "<%c>", ch);
        if (ch == '\n' || ch == '\t')
            snprintf(out[n].shown, sizeof out[n].shown, "<%c>", ch);
        else
            snprintf(out[n].shown, sizeof out[n].shown, "<\\x%02x>", ch);
        n++;
    }
    snprintf(out[n].in, sizeof out[n].in, "<\x7f>");
    snprintf(out[n].shown, sizeof out[n].shown, "<\\x7f>");
    n++;
    for (size_t i = 0; i < COUNT_OF(fixed_cases); i++)
        out[n++] = fixed_cases[i];
    return n;
}

#define MAX_NASTY (40 + COUNT_OF(fixed_cases))

/* Decoded strictly as UTF-8 and as JSON; prints each string's UTF-8 in hex. */
static const char json_strings_py[] =
    "import json, sys\n"
    "with open(sys.argv[1], encoding='utf-8', errors='strict') as f:\n"
    "    data = json.load(f)\n"
    "for s in data:\n"
    "    print(s.encode('utf-8').hex())\n";

/* Parsed as XML; prints each <s>'s text and attribute "a" in hex. */
static const char xml_strings_py[] =
    "import sys, xml.etree.ElementTree as ET\n"
    "root = ET.parse(sys.argv[1]).getroot()\n"
    "for s in root:\n"
    "    text, attr = s.text or '', s.get('a', '')\n"
    "    print(text.encode('utf-8').hex(), attr.encode('utf-8').hex())\n";

Test(report, json_strings_are_valid_and_show_every_byte)
{
    struct nasty cases[MAX_NASTY];
    size_t n = nasty_cases(cases);
    struct mem m;
    FILE *f = mem_open(&m);
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",\n" : "\n", f);
        put_json_string(f, cases[i].in);
    }
    fputs("\n]\n", f);
    mem_close(&m);

    int status;
    char *out = python_on(json_strings_py, m.data, m.len, &status);
    cr_assert_eq(status, 0, "python's json rejects the output:\n%s\n--- the JSON:\n%s", out,
                 m.data);
    char *lines[MAX_NASTY + 1];
    size_t got = split_lines(out, lines, COUNT_OF(lines));
    cr_assert_eq(got, n, "%zu strings decoded, %zu written", got, n);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *s = from_hex(lines[i], &len);
        cr_expect_str_eq(s, cases[i].shown, "case %zu", i);
        free(s);
    }
    cr_expect_not_null(memmem(m.data, m.len, "caf\xc3\xa9 costs 5 \xe2\x82\xac", 13),
                       "valid UTF-8 is written as is");
    free(out);
    mem_free(&m);
}

Test(report, xml_text_is_valid_and_shows_every_byte)
{
    struct nasty cases[MAX_NASTY];
    size_t n = nasty_cases(cases);
    struct mem m;
    FILE *f = mem_open(&m);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r>\n", f);
    for (size_t i = 0; i < n; i++) {
        fputs("<s a=\"", f);
        put_xml_text(f, cases[i].in);
        fputs("\">", f);
        put_xml_text(f, cases[i].in);
        fputs("</s>\n", f);
    }
    fputs("</r>\n", f);
    mem_close(&m);

    int status;
    char *out = python_on(xml_strings_py, m.data, m.len, &status);
    cr_assert_eq(status, 0, "python's XML parser rejects the output:\n%s\n--- the XML:\n%s",
                 out, m.data);
    char *lines[MAX_NASTY + 1];
    size_t got = split_lines(out, lines, COUNT_OF(lines));
    cr_assert_eq(got, n, "%zu elements parsed, %zu written", got, n);
    for (size_t i = 0; i < n; i++) {
        char *space = strchr(lines[i], ' ');
        cr_assert_not_null(space);
        size_t len;
        char *text = from_hex(lines[i], &len);
        cr_expect_str_eq(text, cases[i].shown, "case %zu, text", i);
        free(text);
        /* An attribute's value is normalised: tabs and newlines become spaces. */
        char want[sizeof cases[i].shown];
        strcpy(want, cases[i].shown);
        for (char *p = want; *p; p++)
            if (*p == '\n' || *p == '\t')
                *p = ' ';
        char *attr = from_hex(space + 1, &len);
        cr_expect_str_eq(attr, want, "case %zu, attribute", i);
        free(attr);
    }
    cr_expect_not_null(memmem(m.data, m.len, "caf\xc3\xa9 costs 5 \xe2\x82\xac", 13),
                       "valid UTF-8 is written as is");
    free(out);
    mem_free(&m);
}

/* Parsed as HTML; prints each <p>'s text and attributes t and u in hex. */
static const char html_strings_py[] =
    "import sys, html.parser\n"
    "class P(html.parser.HTMLParser):\n"
    "    rows, text = [], None\n"
    "    def handle_starttag(self, tag, attrs):\n"
    "        if tag == 'p':\n"
    "            self.attrs, self.text = dict(attrs), ''\n"
    "    def handle_data(self, data):\n"
    "        if self.text is not None:\n"
    "            self.text += data\n"
    "    def handle_endtag(self, tag):\n"
    "        if tag == 'p':\n"
    "            self.rows.append((self.text, self.attrs['t'], self.attrs['u']))\n"
    "            self.text = None\n"
    "p = P(convert_charrefs=True)\n"
    "p.feed(open(sys.argv[1], encoding='utf-8', errors='strict').read())\n"
    "p.close()\n"
    "for row in p.rows:\n"
    "    print(' '.join(s.encode('utf-8').hex() for s in row))\n";

Test(report, html_text_is_valid_and_shows_every_byte)
{
    struct nasty cases[MAX_NASTY + 1];
    size_t n = nasty_cases(cases);
    cases[n++] = (struct nasty){ "O'Brien's 'quoted' </p> text",
                                 "O'Brien's 'quoted' </p> text" };
    struct mem m;
    FILE *f = mem_open(&m);
    fputs("<!DOCTYPE html>\n<html><body>\n", f);
    for (size_t i = 0; i < n; i++) {
        /* Both quotes an attribute may use, and text. */
        fputs("<p t=\"", f);
        put_html_text(f, cases[i].in);
        fputs("\" u='", f);
        put_html_text(f, cases[i].in);
        fputs("'>", f);
        put_html_text(f, cases[i].in);
        fputs("</p>\n", f);
    }
    fputs("</body></html>\n", f);
    mem_close(&m);

    int status;
    char *out = python_on(html_strings_py, m.data, m.len, &status);
    cr_assert_eq(status, 0, "python's HTML parser fails on the output:\n%s\n--- the HTML:\n%s",
                 out, m.data);
    char *lines[MAX_NASTY + 2];
    size_t got = split_lines(out, lines, COUNT_OF(lines));
    cr_assert_eq(got, n, "%zu paragraphs parsed, %zu written:\n%s", got, n, m.data);
    for (size_t i = 0; i < n; i++) {
        char *fields[3] = { lines[i], NULL, NULL };
        for (size_t k = 1; k < 3; k++) {
            fields[k] = strchr(fields[k - 1], ' ');
            cr_assert_not_null(fields[k], "case %zu: %s", i, lines[i]);
            *fields[k]++ = '\0';
        }
        static const char *const where[] = { "text", "attribute in \"", "attribute in '" };
        for (size_t k = 0; k < 3; k++) {
            size_t len;
            char *s = from_hex(fields[k], &len);
            cr_expect_str_eq(s, cases[i].shown, "case %zu, %s", i, where[k]);
            free(s);
        }
    }
    free(out);
    mem_free(&m);
}

/* Read by Python's csv module; prints each row's field count and fields in hex. */
static const char csv_rows_py[] =
    "import csv, sys\n"
    "with open(sys.argv[1], newline='', encoding='utf-8', errors='strict') as f:\n"
    "    for row in csv.reader(f):\n"
    "        print(len(row), ' '.join(s.encode('utf-8').hex() for s in row))\n";

Test(report, csv_fields_are_valid_one_line_and_never_formulas)
{
    static const struct nasty formulas[] = {
        { "=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")" },
        { "+1", "'+1" },
        { "-1", "'-1" },
        { "@SUM(A1)", "'@SUM(A1)" },
        { "a=b, not a formula", "a=b, not a formula" },
        { "O'Brien, \"Pat\"", "O'Brien, \"Pat\"" },
    };
    struct nasty cases[MAX_NASTY + COUNT_OF(formulas)];
    size_t n = nasty_cases(cases);
    for (size_t i = 0; i < COUNT_OF(formulas); i++)
        cases[n++] = formulas[i];
    struct mem m;
    FILE *f = mem_open(&m);
    for (size_t i = 0; i < n; i++) {
        put_csv_field(f, cases[i].in);
        fputs(",after\r\n", f);
    }
    mem_close(&m);
    cr_expect_eq(count_lines(m.data, m.len), n, "one row per line:\n%s", m.data);

    int status;
    char *out = python_on(csv_rows_py, m.data, m.len, &status);
    cr_assert_eq(status, 0, "python's csv fails on the output:\n%s\n--- the CSV:\n%s", out,
                 m.data);
    char *lines[MAX_NASTY + COUNT_OF(formulas) + 1];
    size_t got = split_lines(out, lines, COUNT_OF(lines));
    cr_assert_eq(got, n, "%zu rows read, %zu written:\n%s", got, n, m.data);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(strncmp(lines[i], "2 ", 2), 0, "case %zu: %s", i, lines[i]);
        *strchr(lines[i] + 2, ' ') = '\0';
        size_t len;
        char *s = from_hex(lines[i] + 2, &len);
        /* A field keeps to one line: newlines and tabs show as bytes too. */
        struct buf want = { 0 };
        buf_puts(&want, "");
        for (const char *p = cases[i].shown; *p; p++) {
            if (*p == '\n' || *p == '\t')
                buf_printf(&want, "\\x%02x", *p);
            else
                buf_append(&want, p, 1);
        }
        cr_expect_str_eq(s, want.data, "case %zu", i);
        buf_free(&want);
        free(s);
    }
    free(out);
    mem_free(&m);
}

Test(report, text_shows_every_byte_and_keeps_utf8)
{
    struct nasty cases[MAX_NASTY];
    size_t n = nasty_cases(cases);
    for (size_t i = 0; i < n; i++) {
        struct mem m;
        put_text(mem_open(&m), cases[i].in);
        mem_close(&m);
        cr_expect_str_eq(m.data, cases[i].shown, "case %zu", i);
        mem_free(&m);
    }
}

/*
 * U+FFFE and U+FFFF are valid UTF-8 (ef bf be, ef bf bf) but not XML 1.0
 * characters: passed through, they made write_junit's report ill-formed.
 * They must be shown as \xNN like any byte XML cannot hold.
 */
Test(report, xml_text_escapes_unicode_noncharacters)
{
    struct mem m;
    FILE *f = mem_open(&m);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r>\n<s a=\"", f);
    put_xml_text(f, "x \xef\xbf\xbf \xef\xbf\xbe y");
    fputs("\">", f);
    put_xml_text(f, "x \xef\xbf\xbf \xef\xbf\xbe y");
    fputs("</s>\n</r>\n", f);
    mem_close(&m);
    int status;
    char *out = python_on(xml_strings_py, m.data, m.len, &status);
    cr_expect_eq(status, 0, "python's XML parser rejects the output:\n%s", out);
    free(out);
    mem_free(&m);
}

/*
 * The C1 controls U+0080-U+009F are valid UTF-8, but some terminals obey
 * U+009B (CSI) and U+009D (OSC) as they do ESC [ and ESC ]: a report printed
 * on a terminal must show them as bytes, not pass them on.
 */
Test(report, text_escapes_c1_controls)
{
    struct mem m;
    put_text(mem_open(&m), "a\xc2\x9b"
                           "31mred \xc2\x9d"
                           "0;title\x07");
    mem_close(&m);
    struct buf shown = { 0 };
    buf_escape(&shown, m.data, m.len, m.len);
    cr_expect_null(memmem(m.data, m.len, "\xc2\x9b", 2), "raw CSI (U+009B) in: %s",
                   shown.data);
    cr_expect_null(memmem(m.data, m.len, "\xc2\x9d", 2), "raw OSC (U+009D) in: %s",
                   shown.data);
    buf_free(&shown);
    mem_free(&m);
}

/* ---- Whole reports --------------------------------------------------------- */

static void no_run(struct check *c)
{
    (void)c;
}

static const struct check_def alpha_checks[] = {
    { "works", 3, 1000, "it works, with \"quotes\" & <angles>",
      "handouts/98-alpha.md, section \"A & B\"", no_run },
    { "breaks", 2, 1000, "it breaks \xe2\x82\xac ]]>", "handouts/98-alpha.md, section \"<B>\"",
      no_run },
};
static const struct check_def beta_checks[] = {
    { "crashes", 4, 1000, "it crashes", "handouts/99-beta.md, section \"C\"", no_run },
};
static const struct lab_def alpha = { "98-alpha", "alpha & <omega>", alpha_checks, 2, 0 };
static const struct lab_def beta = { "99-beta", "beta \"quoted\"", beta_checks, 1, 0 };

/* A report of three checks over two labs: one passed, two failed, with
 * every kind of untrusted byte in their messages and transcripts.  Its
 * strings are allocated; free with free_results. */
static struct report fake_report(struct check_result results[3])
{
    results[0] = (struct check_result){
        .lab = &alpha,
        .def = &alpha_checks[0],
        .passed = true,
        .seconds = 0.25,
        .transcript = xstrdup("[0.1 ms] server stdout: 5 bytes \"\x1b[2J\xff\x01\"\n"
                              "tab\there ]]> & < \" \\ caf\xc3\xa9\n"),
    };
    results[1] = (struct check_result){
        .lab = &alpha,
        .def = &alpha_checks[1],
        .passed = false,
        .seconds = 1.5,
        .message = xstrdup("first line: \x1b[31m\"red\"\x1b[0m <b>&amp;</b> \xff\xfe\x01\r\n"
                           "  second \xe2\x82 cut, \xc0\x80 overlong, \xed\xa0\x80 half\n"
                           "  valid: caf\xc3\xa9 \xe2\x82\xac\n"),
        .transcript = xstrdup("\x7f\x02\x03 ]]> </system-out> \\\"\n"),
    };
    /* A transcript longer than Gradescope's share, cut inside a character. */
    struct buf big = { 0 };
    for (int i = 0; i < 7000; i++)
        buf_puts(&big, "\xe2\x82\xac");
    results[2] = (struct check_result){
        .lab = &beta,
        .def = &beta_checks[0],
        .passed = false,
        .seconds = 2,
        .message = NULL,
        .transcript = big.data,
    };
    return (struct report){ .impl = "tree \"with\" <odd> name",
                            .results = results,
                            .n = 3,
                            .transcripts = NULL,
                            .seconds = 3.75 };
}

static const char gradescope_py[] =
    "import json, sys\n"
    "with open(sys.argv[1], encoding='utf-8', errors='strict') as f:\n"
    "    d = json.load(f)\n"
    "for k in ('score', 'max_score', 'tests'):\n"
    "    assert k in d, 'no key ' + k\n"
    "assert isinstance(d['score'], (int, float)) and isinstance(d['max_score'], (int, "
    "float))\n"
    "print('score', d['score'], d['max_score'], len(d['tests']))\n"
    "for t in d['tests']:\n"
    "    for k in ('name', 'score', 'max_score', 'status', 'output', 'visibility'):\n"
    "        assert k in t, 'test without ' + k + ': ' + repr(t)\n"
    "    assert t['status'] in ('passed', 'failed'), t['status']\n"
    "    assert t['visibility'] in ('visible', 'hidden', 'after_due_date', "
    "'after_published')\n"
    "    print('test', t['name'], t['score'], t['max_score'], t['status'])\n"
    "    print(t['output'].encode('utf-8').hex())\n";

Test(report, gradescope_is_valid_json_with_every_key)
{
    struct check_result results[3];
    struct report r = fake_report(results);
    struct mem m;
    write_gradescope(mem_open(&m), &r);
    mem_close(&m);

    int status;
    char *out = python_on(gradescope_py, m.data, m.len, &status);
    cr_assert_eq(status, 0,
                 "the Gradescope report is not what Gradescope reads:\n%s\n"
                 "--- the report:\n%s",
                 out, m.data);
    char *lines[16];
    size_t n = split_lines(out, lines, COUNT_OF(lines));
    cr_assert_eq(n, 7, "%s", out);
    cr_expect_str_eq(lines[0], "score 3 9 3");
    cr_expect_str_eq(lines[1], "test 98-alpha/works 3 3 passed");
    cr_expect_str_eq(lines[3], "test 98-alpha/breaks 0 2 failed");
    cr_expect_str_eq(lines[5], "test 99-beta/crashes 0 4 failed");

    size_t len;
    char *passed = from_hex(lines[2], &len);
    cr_expect_str_eq(passed, "it works, with \"quotes\" & <angles>\n");
    char *failed = from_hex(lines[4], &len);
    cr_expect_not_null(strstr(failed, "first line: \\x1b[31m\"red\"\\x1b[0m <b>&amp;</b> "
                                      "\\xff\\xfe\\x01\\x0d\n"),
                       "%s", failed);
    cr_expect_not_null(strstr(failed, "second \\xe2\\x82 cut, \\xc0\\x80 overlong, "
                                      "\\xed\\xa0\\x80 half"),
                       "%s", failed);
    cr_expect_not_null(strstr(failed, "valid: caf\xc3\xa9 \xe2\x82\xac"), "%s", failed);
    cr_expect_not_null(strstr(failed, "hint: handouts/98-alpha.md, section \"<B>\""), "%s",
                       failed);
    cr_expect_not_null(strstr(failed, "transcript:\n\\x7f\\x02\\x03 ]]>"), "%s", failed);
    char *crashed = from_hex(lines[6], &len);
    cr_expect_lt(len, 9000, "a long transcript is cut to Gradescope's share: %zu bytes", len);
    cr_expect_not_null(strstr(crashed, "\xe2\x82\xac\xe2\x82\xac"), "the transcript is shown");
    cr_expect_not_null(strstr(crashed, "hint: handouts/99-beta.md"), "%s", crashed);
    free(passed);
    free(failed);
    free(crashed);
    free(out);
    mem_free(&m);
    free_results(results, 3);
}

static const char junit_py[] =
    "import sys, xml.etree.ElementTree as ET\n"
    "root = ET.parse(sys.argv[1]).getroot()\n"
    "print('root', root.tag, root.get('tests'), root.get('failures'), len(root))\n"
    "for ts in root:\n"
    "    cases = ts.findall('testcase')\n"
    "    failed = sum(1 for c in cases if c.find('failure') is not None)\n"
    "    print('suite', ts.tag, ts.get('name'), ts.get('tests'), ts.get('failures'),\n"
    "          len(cases), failed)\n"
    "    for c in cases:\n"
    "        f = c.find('failure')\n"
    "        o = c.find('system-out')\n"
    "        print('case', c.get('classname'), c.get('name'),\n"
    "              'failed' if f is not None else 'passed', 'out' if o is not None else '-')\n"
    "        if f is not None:\n"
    "            print(f.get('message').encode('utf-8').hex())\n"
    "            print((f.text or '').encode('utf-8').hex())\n";

Test(report, junit_is_valid_xml_with_the_right_counts)
{
    struct check_result results[3];
    struct report r = fake_report(results);
    struct mem m;
    write_junit(mem_open(&m), &r);
    mem_close(&m);

    int status;
    char *out = python_on(junit_py, m.data, m.len, &status);
    cr_assert_eq(status, 0,
                 "the JUnit report is not well-formed XML:\n%s\n"
                 "--- the report:\n%s",
                 out, m.data);
    char *lines[32];
    size_t n = split_lines(out, lines, COUNT_OF(lines));
    cr_assert_eq(n, 10, "%s", out);
    cr_expect_str_eq(lines[0], "root testsuites 3 2 2");
    cr_expect_str_eq(lines[1], "suite testsuite 98-alpha 2 1 2 1");
    cr_expect_str_eq(lines[2], "case netlab.98-alpha works passed out");
    cr_expect_str_eq(lines[3], "case netlab.98-alpha breaks failed out");
    size_t len;
    char *message = from_hex(lines[4], &len);
    cr_expect_str_eq(message,
                     "first line: \\x1b[31m\"red\"\\x1b[0m <b>&amp;</b> "
                     "\\xff\\xfe\\x01\\x0d",
                     "the first line of the message");
    char *text = from_hex(lines[5], &len);
    cr_expect_not_null(strstr(text, "valid: caf\xc3\xa9 \xe2\x82\xac"), "%s", text);
    cr_expect_not_null(strstr(text, "hint: handouts/98-alpha.md, section \"<B>\""), "%s",
                       text);
    cr_expect_str_eq(lines[6], "suite testsuite 99-beta 1 1 1 1");
    cr_expect_str_eq(lines[7], "case netlab.99-beta crashes failed out");
    free(message);
    free(text);
    free(out);
    mem_free(&m);
    free_results(results, 3);
}

static const char text_py[] =
    "import sys\n"
    "with open(sys.argv[1], encoding='utf-8', errors='strict') as f:\n"
    "    t = f.read()\n"
    "bad = [hex(ord(ch)) for ch in t if (ord(ch) < 32 and ch not in '\\n') or ord(ch) == "
    "127]\n"
    "assert not bad, 'control characters: ' + ' '.join(bad)\n";

Test(report, text_has_the_score_and_no_control_bytes)
{
    struct check_result results[3];
    struct report r = fake_report(results);
    struct mem m;
    write_text(mem_open(&m), &r);
    mem_close(&m);

    cr_expect_not_null(strstr(m.data, "\nScore: 3/9 (2 checks failed)"), "%s", m.data);
    cr_expect_not_null(strstr(m.data, "hint: handouts/98-alpha.md, section \"<B>\""), "%s",
                       m.data);
    cr_expect_not_null(strstr(m.data, "hint: handouts/99-beta.md, section \"C\""), "%s",
                       m.data);
    cr_expect_not_null(strstr(m.data, "first line: \\x1b[31m"), "%s", m.data);
    cr_expect_not_null(strstr(m.data, "(no message)"), "a failure without a message: %s",
                       m.data);
    int status;
    char *out = python_on(text_py, m.data, m.len, &status);
    cr_expect_eq(status, 0, "%s\n--- the report:\n%s", out, m.data);
    free(out);
    mem_free(&m);
    free_results(results, 3);
}

Test(report, text_of_a_full_score)
{
    struct check_result results[1] = { {
        .lab = &alpha,
        .def = &alpha_checks[0],
        .passed = true,
        .seconds = 0.5,
    } };
    struct report r = { .impl = "solutions", .results = results, .n = 1, .seconds = 0.5 };
    struct mem m;
    write_text(mem_open(&m), &r);
    mem_close(&m);
    cr_expect_not_null(strstr(m.data, "\nScore: 3/3 (every check passed) for solutions"), "%s",
                       m.data);
    mem_free(&m);
}

/* A report where the grader failed on one check (98-alpha/breaks, 2 of
 * the 9 points), one passed (3) and one failed (4). */
static struct report report_with_grader_error(struct check_result results[3])
{
    results[0] = (struct check_result){
        .lab = &alpha, .def = &alpha_checks[0], .passed = true, .transcript = xstrdup("")
    };
    results[1] = (struct check_result){
        .lab = &alpha,
        .def = &alpha_checks[1],
        .grader_error = true,
        .message = xstrdup(GRADER_ERROR " no free port between 20000 and 29999\n"),
        .transcript = xstrdup("[0.1 ms] FAIL: grader error\n"),
    };
    results[2] = (struct check_result){ .lab = &beta,
                                        .def = &beta_checks[0],
                                        .message = xstrdup("it crashed\n"),
                                        .transcript = xstrdup("") };
    return (struct report){ .impl = "labs", .results = results, .n = 3, .seconds = 1 };
}

/* A grader error is shown apart and not counted: the score is of the
 * checks graded, and says how many were not. */
Test(report, text_shows_a_grader_error_apart)
{
    struct check_result results[3];
    struct report r = report_with_grader_error(results);
    struct mem m;
    write_text(mem_open(&m), &r);
    mem_close(&m);
    cr_expect_not_null(strstr(m.data, "\nScore: 3/7, 1 check not graded: grader error "
                                      "(1 check failed) for labs"),
                       "%s", m.data);
    cr_expect_not_null(strstr(m.data, "  ERROR breaks"), "%s", m.data);
    cr_expect_not_null(strstr(m.data, "-/2"), "no points taken: %s", m.data);
    cr_expect_not_null(strstr(m.data, "not graded: the grader failed here, not your program"),
                       "%s", m.data);
    cr_expect_null(strstr(m.data, "hint: handouts/98-alpha.md, section \"<B>\""),
                   "a hint at the student's code for the grader's fault: %s", m.data);
    cr_expect_not_null(strstr(m.data, "3/3 (1 check not graded)"), "the lab's line: %s",
                       m.data);
    mem_free(&m);

    results[2].passed = true; /* every graded check passed */
    write_text(mem_open(&m), &r);
    mem_close(&m);
    cr_expect_not_null(strstr(m.data, "\nScore: 7/7, 1 check not graded: grader error "
                                      "(every graded check passed)"),
                       "%s", m.data);
    mem_free(&m);
    free_results(results, 3);
}

/* Gradescope totals by its own points: the score is the share of the
 * graded points, scaled to all of them, with the reason said above the
 * tests and on the test not graded. */
Test(report, gradescope_does_not_charge_a_grader_error)
{
    struct check_result results[3];
    struct report r = report_with_grader_error(results);
    struct mem m;
    write_gradescope(mem_open(&m), &r);
    mem_close(&m);
    int status;
    char *out = python_on(gradescope_py, m.data, m.len, &status);
    cr_assert_eq(status, 0, "%s\n--- the report:\n%s", out, m.data);
    char *lines[16];
    size_t n = split_lines(out, lines, COUNT_OF(lines));
    cr_assert_eq(n, 7, "%s", out);
    cr_expect_str_eq(lines[0], "score 3.86 9 3", "3 of the 7 graded points, of 9");
    cr_expect_str_eq(lines[3], "test 98-alpha/breaks 0 2 failed");
    size_t len;
    char *error = from_hex(lines[4], &len);
    cr_expect_eq(strncmp(error, "GRADER ERROR: not graded", 24), 0, "%s", error);
    cr_expect_not_null(strstr(error, "no free port"), "%s", error);
    cr_expect_null(strstr(error, "hint:"), "%s", error);
    cr_expect_not_null(strstr(m.data, "GRADER ERROR: 1 check (2 points) not graded"),
                       "the overall output: %s", m.data);
    free(error);
    free(out);
    mem_free(&m);
    free_results(results, 3);
}

/* JUnit's own distinction: an <error> (the test's fault), not a
 * <failure>, counted in errors="N". */
Test(report, junit_shows_a_grader_error_as_an_error)
{
    struct check_result results[3];
    struct report r = report_with_grader_error(results);
    struct mem m;
    write_junit(mem_open(&m), &r);
    mem_close(&m);
    static const char errors_py[] =
        "import sys, xml.etree.ElementTree as ET\n"
        "root = ET.parse(sys.argv[1]).getroot()\n"
        "print(root.get('failures'), root.get('errors'))\n"
        "for ts in root:\n"
        "    print(ts.get('name'), ts.get('failures'), ts.get('errors'))\n"
        "    for c in ts.findall('testcase'):\n"
        "        e = c.find('error')\n"
        "        print(c.get('name'), 'failure' if c.find('failure') is not None else\n"
        "              'error:' + e.get('type') if e is not None else 'ok')\n";
    int status;
    char *out = python_on(errors_py, m.data, m.len, &status);
    cr_assert_eq(status, 0, "%s\n--- the report:\n%s", out, m.data);
    char *lines[16];
    size_t n = split_lines(out, lines, COUNT_OF(lines));
    cr_assert_eq(n, 6, "%s", out);
    cr_expect_str_eq(lines[0], "1 1");
    cr_expect_str_eq(lines[1], "98-alpha 0 1");
    cr_expect_str_eq(lines[2], "works ok");
    cr_expect_str_eq(lines[3], "breaks error:grader");
    cr_expect_str_eq(lines[4], "99-beta 1 0");
    cr_expect_str_eq(lines[5], "crashes failure");
    free(out);
    mem_free(&m);
    free_results(results, 3);
}

/*
 * Every string of the text report goes through put_text, the tree's name
 * (the --impl argument) and the transcripts folder included: an ESC or
 * invalid UTF-8 in a folder name must not reach the terminal as is.
 */
Test(report, text_escapes_the_tree_name)
{
    struct check_result results[1] = { {
        .lab = &alpha,
        .def = &alpha_checks[1],
        .passed = false,
        .seconds = 0.5,
        .message = (char *)"why",
    } };
    struct report r = { .impl = "tree \x1b[2J \xff",
                        .results = results,
                        .n = 1,
                        .transcripts = "folder \x1b]0;title\x07",
                        .seconds = 0.5 };
    struct mem m;
    write_text(mem_open(&m), &r);
    mem_close(&m);
    struct buf shown = { 0 };
    buf_escape(&shown, m.data, m.len, m.len);
    cr_expect_null(memchr(m.data, 0x1b, m.len), "a raw ESC in: %s", shown.data);
    cr_expect_null(memchr(m.data, 0xff, m.len), "a raw 0xff in: %s", shown.data);
    buf_free(&shown);
    mem_free(&m);

    /* A line break in a folder's name starts no line of its own. */
    r.impl = "tree\nScore: 99/99 (every check passed)";
    r.transcripts = "folder\nScore: 98/98 (every check passed)";
    write_text(mem_open(&m), &r);
    mem_close(&m);
    size_t scores = 0;
    for (const char *line = m.data; line != NULL; line = strchr(line + 1, '\n'))
        scores += strncmp(line + (line != m.data), "Score:", 6) == 0;
    cr_expect_eq(scores, 1, "a forged Score line:\n%s", m.data);
    mem_free(&m);
}

/* ---- The isolation line ------------------------------------------------- */

#define FULL_ROOT                                                                             \
    (ISOLATION_RECORDED | ISOLATION_AS_ROOT | ISOLATION_MEMORY_LIMIT |                        \
     ISOLATION_PID_NAMESPACE | ISOLATION_NETWORK_NAMESPACE | ISOLATION_IPC_NAMESPACE |        \
     ISOLATION_PRIVATE_MOUNTS | ISOLATION_OWN_USER)

/* The sentence for checks with the layers BITS (N of them). */
static char *sentence_of(const unsigned *bits, size_t n)
{
    struct check_result results[8] = { 0 };
    cr_assert_leq(n, COUNT_OF(results));
    for (size_t i = 0; i < n; i++)
        results[i].isolation = bits[i];
    return isolation_of_results(results, n);
}

Test(report, isolation_line_of_checks_alike)
{
    char *s = sentence_of((unsigned[]){ FULL_ROOT | ISOLATION_CGROUP_V2,
                                        FULL_ROOT | ISOLATION_CGROUP_V2 },
                          2);
    cr_expect_str_eq(s, "Isolation: PID, network, IPC and mount namespaces; a user per check; "
                        "memory by cgroup v2; no root file system of their own, so programs "
                        "share the machine's system files.");
    free(s);
    s = sentence_of((unsigned[]){ FULL_ROOT | ISOLATION_OWN_ROOT | ISOLATION_CGROUP_V1 }, 1);
    cr_expect_str_eq(s, "Isolation: PID, network, IPC and mount namespaces; a root file "
                        "system per check; a user per check; memory by cgroup v1.");
    free(s);
    s = sentence_of((unsigned[]){ ISOLATION_RECORDED | ISOLATION_MEMORY_LIMIT }, 1);
    cr_expect_str_eq(s, "Isolation: limits only, memory by " RLIMITS_ONLY ": not root, and no "
                        "user namespace allowed, so programs run as your user, see your files "
                        "and share the machine's processes and network.");
    free(s);
    s = sentence_of((unsigned[]){ ISOLATION_RECORDED | ISOLATION_CGROUP_V2 }, 1);
    cr_expect_str_eq(s, "Isolation: limits only, no memory limit: not root, and no user "
                        "namespace allowed, so programs run as your user, see your files and "
                        "share the machine's processes and network.");
    free(s);
}

/* An ordinary user's namespaces are in a user namespace: said first. */
#define ORDINARY_USER                                                                         \
    (ISOLATION_RECORDED | ISOLATION_MEMORY_LIMIT | ISOLATION_USER_NAMESPACE |                 \
     ISOLATION_PID_NAMESPACE | ISOLATION_NETWORK_NAMESPACE | ISOLATION_IPC_NAMESPACE |        \
     ISOLATION_PRIVATE_MOUNTS)

Test(report, isolation_line_of_an_ordinary_user)
{
    char *s = sentence_of((unsigned[]){ ORDINARY_USER | ISOLATION_OWN_ROOT }, 1);
    cr_expect_str_eq(s, "Isolation: user, PID, network, IPC and mount namespaces; a root file "
                        "system per check; memory by " RLIMITS_ONLY "; no user of their own "
                        "(not root), so programs run as your user.");
    free(s);
    /* Where the root could not be made: the covers hide the kit. */
    s = sentence_of((unsigned[]){ ORDINARY_USER }, 1);
    cr_expect_str_eq(s,
                     "Isolation: user, PID, network, IPC and mount namespaces; memory "
                     "by " RLIMITS_ONLY "; no root file system of their own, no user of their "
                     "own (not root), so programs run as your user, see your files and "
                     "share the machine's system files.");
    free(s);
    /* A user namespace, but no mount namespace in it (AppArmor may allow
     * the one and not the other). */
    s = sentence_of((unsigned[]){ ISOLATION_RECORDED | ISOLATION_MEMORY_LIMIT |
                                  ISOLATION_USER_NAMESPACE | ISOLATION_PID_NAMESPACE },
                    1);
    cr_expect_str_eq(s, "Isolation: user and PID namespaces; memory by " RLIMITS_ONLY "; no "
                        "network, IPC or mount namespace (the system refused them), no root "
                        "file system of their own, no user of their own (not root), so "
                        "programs run as your user, see your files and share the machine's "
                        "network, IPC objects, /tmp and system files.");
    free(s);
}

/* Checks that differ are said to; checks that never ran say nothing. */
Test(report, isolation_line_of_checks_that_differ)
{
    unsigned refused = ISOLATION_RECORDED | ISOLATION_AS_ROOT | ISOLATION_MEMORY_LIMIT |
                       ISOLATION_OWN_USER;
    char *s = sentence_of((unsigned[]){ FULL_ROOT | ISOLATION_CGROUP_V1, 0,
                                        FULL_ROOT | ISOLATION_CGROUP_V1, refused },
                          4);
    cr_expect_str_eq(s, "Isolation: a user per check; memory by cgroup v1 in 2 of 3 "
                        "checks, " RLIMITS_ONLY
                        " in 1 of 3 checks; no root file system of their own, "
                        "so programs share the machine's system files; only some checks "
                        "had: a PID namespace (2 of 3), a network namespace (2 of 3), an IPC "
                        "namespace (2 of 3), a mount namespace (2 of 3).");
    free(s);
    s = sentence_of((unsigned[]){ refused | ISOLATION_CGROUP_V1 }, 1);
    cr_expect_str_eq(s,
                     "Isolation: a user per check; memory by cgroup v1; no PID, network, "
                     "IPC or mount namespace (the system refused them), no root file system "
                     "of their own, so programs see the kit and share the machine's "
                     "processes, network, IPC objects, /tmp and system files.");
    free(s);
    s = sentence_of((unsigned[]){ 0, 0 }, 2);
    cr_expect_str_eq(s, "Isolation: none to say: no check ran.");
    free(s);
}
