/*
 * test_diagram.c - a check's sequence diagram (harness/diagram.c) and the
 * event log it is drawn from (check.c's log_event).
 *
 * Unit tests draw hand-made logs: every line of the text diagram is
 * printable ASCII, as the whole text report is, and fits its width with
 * many actors and long or hostile payloads, untrusted bytes are escaped
 * (in the SVG too, which shows the UTF-8 characters of known width), the
 * failure is marked, the SVG parses as XML (Python's xml.etree) and has no
 * script or outside link, and a full log says how many events it left
 * out.  End to end, one known-buggy variant of each lab fails one check,
 * and that check's diagram shows the failure and the exchange it is about.
 * Run from the top of the kit (make test does), after make has built the
 * variants.
 */
#include <criterion/criterion.h>

#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wchar.h>

#include "buf.h"
#include "diagram.h"
#include "internal.h"
#include "runner.h"
#include "slot.h"
#include "unit.h"
#include "variant.h"

TestSuite(diagram, .init = ignore_sigpipe, .timeout = 60);

/* ---- Helpers ------------------------------------------------------------ */

/* What write_diagram_text writes for LOG, WIDTH cells wide (free it). */
static char *text_of(const char *log, int width)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    cr_assert_not_null(f);
    write_diagram_text(f, log, width);
    cr_assert_eq(fclose(f), 0);
    return out;
}

static char *svg_of(const char *log)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    cr_assert_not_null(f);
    write_diagram_svg(f, log);
    cr_assert_eq(fclose(f), 0);
    return out;
}

/* Asserts that TEXT is printable ASCII and each of its lines at most
 * WIDTH display cells (wcswidth's count, which would see a wide or
 * control character). */
static void assert_fits(const char *text, int width)
{
    cr_assert(printable_ascii(text, strlen(text), true), "not printable ASCII:\n%s", text);
    cr_assert_not_null(setlocale(LC_CTYPE, "C.UTF-8"), "no C.UTF-8 locale");
    cr_assert_null(strchr(text, '\x1b'), "an ESC reached the diagram:\n%s", text);
    for (const char *p = text; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *line = strndup(p, n);
        wchar_t wide[1024];
        size_t chars = mbstowcs(wide, line, 1024);
        cr_assert_neq(chars, (size_t)-1, "not valid UTF-8: %s", line);
        int cells = wcswidth(wide, chars);
        cr_assert_geq(cells, 0, "a character of no known width: %s", line);
        cr_assert_leq(cells, width, "%d cells, more than %d: %s", cells, width, line);
        free(line);
        p += n + (nl != NULL);
    }
    setlocale(LC_CTYPE, "C");
}

/* An event line as log_event writes it, TEXT already escaped. */
static void add(struct buf *log, double ms, const char *kind, const char *from, const char *to,
                size_t len, const char *text)
{
    buf_printf(log, "%.1f\t%s\t%s\t%s\t0\t%zu\t%s\n", ms, kind, from, to, len, text);
}

/* A log of an echo with hostile bytes in it, many actors, a failure. */
static void hostile_log(struct buf *log)
{
    add(log, 0.5, "start", "grader", "server", 14, "./server 40000");
    add(log, 1.0, "open", "grader", "server", 27, "port 51000 -> port 40000");
    add(log, 1.1, "data", "grader", "server", 2048,
        "hello world, hello world, hello world, "
        "hello world, hello world, hello");
    /* Raw, as a hand-made (or corrupted) log may hold them: ESC, invalid
     * UTF-8, C1 controls, a bidi override, wide and combining characters. */
    add(log, 1.2, "stdout", "server", "grader", 40,
        "\x1b[31mred\x1b[0m \xff\xfe \xc2\x9b"
        "2J \xe2\x80\xae evil \xe4\xbd\xa0\xe5\xa5\xbd "
        "e\xcc"
        "\x81");
    add(log, 1.3, "data", "server", "grader", 7, "hi\\x1b[2J");
    static const char *const actors[] = { "client",    "client #2",  "client #3", "client #4",
                                          "client #5", "client #6",  "client #7", "client #8",
                                          "client #9", "client #10", "client #11" };
    for (size_t i = 0; i < sizeof actors / sizeof actors[0]; i++) {
        add(log, 2.0 + (double)i, "open", actors[i], "grader", 27, "port 1 -> port 2");
        add(log, 2.1 + (double)i, "data", "grader", actors[i], 4000,
            "\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xbd"
            "\xa0"
            "\xe5\xa5\xbd\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xbd\xa0\xe5\xa5\xbd wide");
    }
    add(log, 20, "reset", "client #3", "grader", 0, "");
    add(log, 21, "signal", "grader", "server", 7, "SIGTERM");
    add(log, 22, "exit", "server", "", 27, "was killed by signal SIGTERM");
    add(log, 23, "drop", "client", "grader", 6, "ping 2");
    add(log, 24, "data", "\x1b[2Jevil\x07", "grader", 3, "abc"); /* a raw ESC in a name */
    add(log, 3000.5, "fail", "grader", "", 300,
        "expected the echo of 2048 bytes from the server, but \\x1b[2J fewer "
        "arrived and this sentence goes on and on for longer than a line can hold on a "
        "terminal of eighty columns\\n  got 7 bytes\\n");
}

/* ---- The text diagram --------------------------------------------------- */

Test(diagram, every_line_fits_its_width_whatever_the_log_holds)
{
    struct buf log = { 0 };
    hostile_log(&log);
    static const int widths[] = { 80, 60, 40 };
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
        char *text = text_of(log.data, widths[i]);
        cr_assert(strlen(text) > 0);
        assert_fits(text, widths[i]);
        free(text);
    }
    buf_free(&log);
}

Test(diagram, untrusted_bytes_are_escaped)
{
    struct buf log = { 0 };
    add(&log, 1, "stdout", "server", "grader", 12, "\x1b[31mred\x1b[0m");
    add(&log, 2, "stdout", "client", "grader", 2, "\xff\xfe");
    add(&log, 3, "data", "server", "grader", 4,
        "\xc2\x9b"
        "2J");
    add(&log, 4, "data", "grader", "server", 8, "\xe2\x80\xae evil");
    add(&log, 5, "stdin", "grader", "server", 6, "你好");
    add(&log, 6, "stderr", "server", "grader", 3,
        "e\xcc"
        "\x81");
    add(&log, 7, "fail", "\x1b[2Jgrader", "", 3, "\x1b]0;title\x07");
    char *text = text_of(log.data, 80);
    assert_fits(text, 80);
    cr_expect(strstr(text, "\\x1b[31mred") != NULL, "ESC not escaped:\n%s", text);
    cr_expect(strstr(text, "\\xff\\xfe") != NULL, "invalid UTF-8 not escaped:\n%s", text);
    cr_expect(strstr(text, "\\xc2\\x9b2J") != NULL, "a C1 control not escaped:\n%s", text);
    cr_expect(strstr(text, "\\xe2\\x80\\xae") != NULL, "a bidi override not escaped:\n%s",
              text);
    cr_expect(strstr(text, "\\xe4\\xbd\\xa0") != NULL, "UTF-8 not escaped in text:\n%s", text);
    cr_expect(strstr(text, "e\\xcc\\x81") != NULL, "a combining accent not escaped:\n%s",
              text);
    cr_expect(strstr(text, "\\x1b]0;title\\x07") != NULL, "a title sequence not escaped:\n%s",
              text);
    free(text);
    char *svg = svg_of(log.data);
    cr_expect(strstr(svg, "你好") != NULL, "wide characters are text, shown in SVG:\n%s", svg);
    cr_expect(strstr(svg, "\\xe2\\x80\\xae") != NULL, "a bidi override in the SVG:\n%s", svg);
    cr_expect(strstr(svg, "\x1b") == NULL, "an ESC in the SVG:\n%s", svg);
    free(svg);
    buf_free(&log);
}

Test(diagram, shows_the_failure_and_what_led_to_it)
{
    struct buf log = { 0 };
    hostile_log(&log);
    char *text = text_of(log.data, 200);
    cr_expect(strstr(text, "X FAIL, expected here: expected the echo of 2048 bytes") != NULL,
              "no failure marker:\n%s", text);
    cr_expect(strstr(text, "got 7 bytes") == NULL, "the message's second line is shown:\n%s",
              text);
    cr_expect(strstr(text, "(2048 bytes)") != NULL, "a long payload without its length:\n%s",
              text);
    cr_expect(strstr(text, "\"hello world, hello") != NULL, "no head of the payload:\n%s",
              text);
    cr_expect(strstr(text, "RESET (RST)") != NULL, "no reset:\n%s", text);
    cr_expect(strstr(text, "SIGTERM") != NULL, "no signal:\n%s", text);
    cr_expect(strstr(text, "server was killed by signal SIGTERM") != NULL, "no exit:\n%s",
              text);
    cr_expect(strstr(text, "DROPS it, never answers: ping 2") != NULL, "no drop:\n%s", text);
    free(text);
    text = text_of(log.data, 80);
    cr_expect(strstr(text, "columns: grader, server, client") != NULL,
              "narrow columns without their names in full:\n%s", text);
    free(text);
    buf_free(&log);
}

Test(diagram, consecutive_pieces_are_folded)
{
    struct buf log = { 0 };
    add(&log, 1, "data", "grader", "server", 3, "ab\\n");
    add(&log, 2, "data", "grader", "server", 3, "cd\\n");
    add(&log, 3, "data", "grader", "server", 3, "ef\\n");
    add(&log, 4, "data", "server", "grader", 9, "ab\\ncd\\nef\\n");
    add(&log, 5, "close", "server", "grader", 0, "");
    add(&log, 6, "pass", "grader", "", 0, "");
    char *text = text_of(log.data, 80);
    cr_expect(strstr(text, "\"ab\\ncd\\nef\\n\" (9 bytes, 3 pieces)") != NULL,
              "three sends not folded into one row:\n%s", text);
    cr_expect(strstr(text, "close (FIN)") != NULL, "no close:\n%s", text);
    cr_expect(strstr(text, " PASS") != NULL, "no verdict:\n%s", text);
    assert_fits(text, 80);
    free(text);
    buf_free(&log);
}

Test(diagram, rows_say_which_connection_when_there_are_several)
{
    struct buf log = { 0 };
    buf_puts(&log, "1.0\tdata\tgrader\tserver\t1\t4\tWHO\\n\n"
                   "2.0\tdata\tgrader\tserver\t2\t4\tWHO\\n\n"
                   "3.0\tclose\tserver\tgrader\t2\t0\t\n");
    char *text = text_of(log.data, 80);
    cr_expect(strstr(text, "#1 \"WHO\\n\"") != NULL && strstr(text, "#2 \"WHO\\n\"") != NULL,
              "sends on two connections folded, or not told apart:\n%s", text);
    cr_expect(strstr(text, "#2 close (FIN)") != NULL, "which connection closed:\n%s", text);
    free(text);
    buf_free(&log);
}

Test(diagram, an_empty_or_broken_log_draws_nothing)
{
    char *text = text_of(NULL, 80);
    cr_expect_str_empty(text);
    free(text);
    text = text_of("garbage\nwith no tabs\n\t\t\t\n", 80);
    cr_expect_str_empty(text);
    free(text);
    text = svg_of("");
    cr_expect_str_empty(text);
    free(text);
}

/* ---- The SVG -------------------------------------------------------------- */

/* Whether Python's XML parser takes the file at PATH. */
static bool parses_as_xml(const char *svg)
{
    char path[] = "/tmp/netlab-diagram-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, svg, strlen(svg)), (ssize_t)strlen(svg));
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' %s",
             path);
    int status = system(cmd);
    unlink(path);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

Test(diagram, svg_is_xml_with_no_script_or_outside_link)
{
    struct buf log = { 0 };
    hostile_log(&log);
    add(&log, 3001, "data", "grader", "server", 30, "</text><script>alert(1)</script>&amp;");
    add(&log, 3002, "stdout", "server", "grader", 30, "<a href=\"http://x\">x</a>");
    char *svg = svg_of(log.data);
    cr_assert(parses_as_xml(svg), "not XML:\n%s", svg);
    cr_expect(strstr(svg, "<script") == NULL, "a script element:\n%s", svg);
    cr_expect(strstr(svg, "href=\"") == NULL && strstr(svg, "<a ") == NULL, "a link:\n%s",
              svg);
    cr_expect(strstr(svg, "&lt;script&gt;") != NULL, "the payload is not escaped:\n%s", svg);
    cr_expect(strstr(svg, "FAIL") != NULL && strstr(svg, "class=\"fail\"") != NULL,
              "no red failure mark:\n%s", svg);
    cr_expect(strstr(svg, "Time (ms) runs down. Each arrow") != NULL, "no legend:\n%s", svg);
    cr_expect(strstr(svg, "\x1b") == NULL, "an ESC in the SVG");
    free(svg);
    buf_free(&log);
}

/* A <style> inside an HTML page is the page's: each of the drawing's rules
 * must select inside it only (svg.seq ...), or its ".fail" would colour a
 * failed check's whole section of the report (it did). */
Test(diagram, svg_styles_only_the_drawing)
{
    struct buf log = { 0 };
    hostile_log(&log);
    char *svg = svg_of(log.data);
    cr_assert_neq(strstr(svg, "<svg "), NULL);
    cr_expect_neq(strstr(svg, "class=\"seq\""), NULL, "%s", svg);
    const char *style = strstr(svg, "<style>");
    cr_assert_neq(style, NULL, "%s", svg);
    style += strlen("<style>");
    const char *end = strstr(style, "</style>");
    cr_assert_neq(end, NULL);
    for (const char *rule = style; rule < end;) {
        const char *close = memchr(rule, '}', (size_t)(end - rule));
        cr_assert_neq(close, NULL, "%.*s", (int)(end - style), style);
        cr_expect_eq(strncmp(rule, "svg.seq", 7), 0, "a rule for the whole page: %.*s",
                     (int)(close - rule + 1), rule);
        rule = close + 1;
    }
    free(svg);
    buf_free(&log);
}

/* ---- The log's own bound (check.c) ------------------------------------- */

Test(diagram, a_full_log_says_how_many_events_it_left_out)
{
    struct check c = { .start_us = now_us() };
    char payload[4096];
    memset(payload, 'x', sizeof payload);
    for (int i = 0; i < 20000; i++)
        log_event(&c, "data", "server", "grader", payload, sizeof payload);
    log_verdict(&c, "fail", "expected the end of the flood");
    log_event(&c, "data", "server", "grader", "late", 4); /* after the verdict: not kept */
    cr_assert_lt(c.events.len, (size_t)SLOT_EVENTS, "the log outgrew its slot");
    cr_assert_not_null(strstr(c.events.data, "\tmore\t"), "no count of events left out");
    const char *last = c.events.data + c.events.len - 1;
    while (last > c.events.data && last[-1] != '\n')
        last--;
    cr_expect(strncmp(strchr(last, '\t'), "\tfail\t", 6) == 0, "the verdict is not last: %s",
              last);
    char *text = text_of(c.events.data, 80);
    cr_expect(strstr(text, "more events not shown: the log was full") != NULL,
              "no word of the events left out:\n%s", text);
    cr_expect(strstr(text, "X FAIL, expected here: expected the end of the flood") != NULL,
              "the failure is not shown:\n%s", text);
    cr_expect(strstr(text, " pieces)") != NULL, "no folded pieces:\n%s", text);
    free(text);
    buf_free(&c.events);
}

/* ---- End to end: a failed check of each lab ----------------------------- */

struct case_ {
    const char *lab, *variant, *check;
    const char *shows; /* what the diagram must show of the exchange */
};

static const struct case_ cases[] = {
    { "01-hello", "client-reset-as-end", "peer-resets", "RESET (RST)" },
    { "02-echo", "server-strlen", "binary-safe", "(255 bytes" },
    { "03-chat", "bye-prefix", "bye-exact", "\"Bye\\nbye now\\n" },
    { "04-threaded", "server-nick-unchecked", "nick-and-who", "\"NICK " },
    { "05-pinger", "client-any-reply", "client-duplicates-and-strays", "DUPLICATE datagram" },
    { "06-login", "server-failed-login-keeps", "login-required", "connect: port" },
};

Test(diagram, a_failed_check_of_each_lab_shows_its_failure, .timeout = 180)
{
    enum { N = sizeof cases / sizeof cases[0] };
    struct variant *v = xcalloc(N, sizeof *v); /* each is large */
    struct check_result r[N];
    for (size_t i = 0; i < N; i++) {
        snprintf(v[i].lab, sizeof v[i].lab, "%s", cases[i].lab);
        snprintf(v[i].name, sizeof v[i].name, "%s", cases[i].variant);
        struct buf err = { 0 };
        cr_assert_eq(variant_make_tree(&v[i], "build", &err), 0, "%s", err.data);
        const struct lab_def *lab = find_lab(cases[i].lab);
        cr_assert_not_null(lab);
        r[i] = (struct check_result){ .lab = lab,
                                      .def = find_check(lab, cases[i].check),
                                      .impl_dir = v[i].tree };
        cr_assert_not_null(r[i].def, "%s has no check %s", cases[i].lab, cases[i].check);
    }
    char kit[PATH_MAX], shortio[PATH_MAX];
    cr_assert_not_null(realpath("harness/shortio.so", shortio), "run make");
    struct run_options opts = { .impl_dir = "/nonexistent",
                                .jobs = 3,
                                .shortio = shortio,
                                .kit_dir = realpath(".", kit) };
    cr_assert_eq(run_checks(&opts, r, N), 0);
    for (size_t i = 0; i < N; i++) {
        const char *name = cases[i].check;
        cr_expect(!r[i].passed && !r[i].grader_error, "%s/%s passed (or grader error): %s",
                  cases[i].lab, name, r[i].message ? r[i].message : "");
        cr_assert_not_null(r[i].events, "%s/%s has no event log", cases[i].lab, name);
        char *text = text_of(r[i].events, 80);
        assert_fits(text, 80);
        cr_expect(strstr(text, "X FAIL, expected here: ") != NULL,
                  "%s/%s: no failure marker:\n%s", cases[i].lab, name, text);
        cr_expect(strstr(text, cases[i].shows) != NULL, "%s/%s: no %s in the diagram:\n%s",
                  cases[i].lab, name, cases[i].shows, text);
        char *svg = svg_of(r[i].events);
        cr_expect(parses_as_xml(svg), "%s/%s: the SVG is not XML", cases[i].lab, name);
        free(svg);
        free(text);
        variant_remove_tree(&v[i]);
    }
    free_results(r, N);
    free(v);
}
