/*
 * test_harness.c - unit tests of the grader's own layers: the byte buffers
 * and their escaping (buf), the reports and their escaping (report), the
 * table of labs (lab), and the runner with the check helpers it drives
 * (runner, ports, programs), the last three on a small lab of this file's
 * own whose programs are scripts written into a temporary folder.
 *
 * Reports are validated by Python's own parsers (json, xml.etree), run on a
 * temporary file.  Run from the top of the kit (make test does).
 */
#include <criterion/criterion.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "buf.h"
#include "check.h"
#include "diagnoses.h"
#include "internal.h"
#include "lab.h"
#include "report.h"
#include "runner.h"

static void setup(void)
{
    signal(SIGPIPE, SIG_IGN);
}

TestSuite(buf, .init = setup, .timeout = 10);
TestSuite(report, .init = setup, .timeout = 30);
TestSuite(lab, .init = setup, .timeout = 10);
TestSuite(runner, .init = setup, .timeout = 30);
TestSuite(ports, .init = setup, .timeout = 30);
TestSuite(programs, .init = setup, .timeout = 30);

/* ==== Shared helpers ===================================================== */

/* The bytes of an escaped string ("...", as buf_escape writes it) decoded;
 * returns their number, or -1 if S is not in that form. */
static ssize_t unescape(const char *s, size_t len, unsigned char *out)
{
    if (len < 2 || s[0] != '"' || s[len - 1] != '"')
        return -1;
    size_t n = 0;
    for (size_t i = 1; i < len - 1; i++) {
        if (s[i] != '\\') {
            out[n++] = (unsigned char)s[i];
            continue;
        }
        if (++i >= len - 1)
            return -1;
        switch (s[i]) {
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case '0': out[n++] = '\0'; break;
        case '\\': out[n++] = '\\'; break;
        case '"': out[n++] = '"'; break;
        case 'x': {
            unsigned v;
            if (i + 2 >= len - 1 || !isxdigit((unsigned char)s[i + 1]) ||
                !isxdigit((unsigned char)s[i + 2]) || sscanf(s + i + 1, "%2x", &v) != 1)
                return -1;
            out[n++] = (unsigned char)v;
            i += 2;
            break;
        }
        default:
            return -1;
        }
    }
    return (ssize_t)n;
}

/* Whether every byte of S is printable ASCII or, if NEWLINES, '\n'. */
static bool printable_ascii(const char *s, size_t len, bool newlines)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!((ch >= 0x20 && ch < 0x7f) || (newlines && ch == '\n')))
            return false;
    }
    return true;
}

/* A copy of what a memory stream holds. */
struct mem {
    char *data;
    size_t len;
    FILE *f;
};

static FILE *mem_open(struct mem *m)
{
    *m = (struct mem){0};
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
    struct buf out = {0};
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

/* ==== buf: buffers, escaping, lines, differences ========================= */

Test(buf, escape_of_every_byte_is_printable_and_round_trips)
{
    unsigned char all[256], back[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    struct buf b = {0};
    buf_escape(&b, all, sizeof all, sizeof all);
    cr_assert(printable_ascii(b.data, b.len, false),
              "buf_escape wrote a byte that is not printable ASCII: %s", b.data);
    cr_assert_eq(strlen(b.data), b.len, "a NUL inside the escaped text");
    ssize_t n = unescape(b.data, b.len, back);
    cr_assert_eq(n, 256, "decoding the escaped text gave %zd bytes: %s", n, b.data);
    cr_assert_eq(memcmp(all, back, 256), 0, "the escaped text does not round-trip");
    buf_free(&b);
}

Test(buf, escape_shows_visible_bytes_as_themselves)
{
    for (int ch = 0x20; ch < 0x7f; ch++) {
        struct buf b = {0};
        unsigned char byte = (unsigned char)ch;
        buf_escape(&b, &byte, 1, 1);
        char want[8];
        if (ch == '"' || ch == '\\')
            snprintf(want, sizeof want, "\"\\%c\"", ch);
        else
            snprintf(want, sizeof want, "\"%c\"", ch);
        cr_expect_str_eq(b.data, want, "byte 0x%02x", ch);
        buf_free(&b);
    }
}

/* Valid UTF-8 a program prints stays readable; a character cut short at
 * the end of the data, C1 controls and invalid bytes show as \xNN. */
Test(buf, escape_keeps_utf8_and_hexes_the_rest)
{
    static const struct { const char *in; size_t len; const char *shown; } cases[] = {
        { "caf\xc3\xa9 \xe2\x80\x94 \xe2\x82\xac", 13, "\"caf\xc3\xa9 \xe2\x80\x94 \xe2\x82\xac\"" },
        { "cut \xe2\x80", 6, "\"cut \\xe2\\x80\"" },
        { "\xc2\x9b" "31m", 5, "\"\\xc2\\x9b31m\"" },
        { "\xff\xfe", 2, "\"\\xff\\xfe\"" },
        { "\xef\xbf\xbf", 3, "\"\\xef\\xbf\\xbf\"" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf b = {0};
        /* A copy exactly as long as the data, so a read past it is caught
         * by the sanitizers. */
        char *exact = xmalloc(cases[i].len);
        memcpy(exact, cases[i].in, cases[i].len);
        buf_escape(&b, exact, cases[i].len, 100);
        cr_expect_str_eq(b.data, cases[i].shown, "case %zu", i);
        free(exact);
        buf_free(&b);
    }
}

Test(buf, escape_names_control_bytes)
{
    static const struct { unsigned char byte; const char *shown; } cases[] = {
        { '\n', "\"\\n\"" }, { '\r', "\"\\r\"" }, { '\t', "\"\\t\"" },
        { '\0', "\"\\0\"" }, { 0x1b, "\"\\x1b\"" }, { 0x7f, "\"\\x7f\"" },
        { 0x80, "\"\\x80\"" }, { 0xff, "\"\\xff\"" }, { 0x01, "\"\\x01\"" },
    };
    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        struct buf b = {0};
        buf_escape(&b, &cases[i].byte, 1, 1);
        cr_expect_str_eq(b.data, cases[i].shown, "byte 0x%02x", cases[i].byte);
        buf_free(&b);
    }
}

Test(buf, escape_truncates_and_counts_the_rest)
{
    char data[300];
    memset(data, 'a', sizeof data);
    struct buf b = {0};
    buf_escape(&b, data, sizeof data, 100);
    char want[200];
    snprintf(want, sizeof want, "\"%.100s\" ... (300 bytes in all)", data);
    cr_assert_str_eq(b.data, want);

    buf_reset(&b);
    buf_escape(&b, data, sizeof data, 0);
    cr_assert_str_eq(b.data, "\"\" ... (300 bytes in all)");

    buf_reset(&b);
    buf_escape(&b, data, 1, 0);
    cr_assert_str_eq(b.data, "\"\" ... (1 byte in all)", "one byte, not \"1 bytes\"");

    buf_reset(&b);
    buf_escape(&b, data, 5, 5);
    cr_assert_str_eq(b.data, "\"aaaaa\"", "nothing cut: no count");

    buf_reset(&b);
    buf_escape(&b, "", 0, 10);
    cr_assert_str_eq(b.data, "\"\"");
    buf_free(&b);
}

/* A long random payload in a message is shown short, with its length:
 * each byte that must be shown as \xNN counts for four characters. */
Test(buf, escape_shows_random_bytes_short_with_their_length)
{
    unsigned char data[4096];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof data; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (unsigned char)(0x80 | (x >> 26));   /* continuation bytes: never UTF-8 */
    }
    struct buf b = {0};
    buf_escape(&b, data, sizeof data, 120);
    cr_expect_leq(b.len, 120 + 40, "%zu characters: %s", b.len, b.data);
    cr_expect_not_null(strstr(b.data, "... (4096 bytes in all)"), "%s", b.data);
    cr_expect_eq(escaped_width(data, 30), 120, "30 bytes as \\xNN");

    /* A difference between two such payloads: their lengths and the bytes
     * around it, not two screens of \xNN. */
    unsigned char other[4096];
    memcpy(other, data, sizeof other);
    other[2000] ^= 1;
    buf_reset(&b);
    describe_difference(&b, data, 100, other, 100);
    cr_expect_null(strstr(b.data, "first difference"), "no difference in the first 100");
    buf_reset(&b);
    describe_difference(&b, data, sizeof data, other, sizeof other);
    cr_expect_not_null(strstr(b.data, "expected 4096 bytes, got 4096"), "%s", b.data);
    cr_expect_not_null(strstr(b.data, "first difference at byte 2000"), "%s", b.data);
    cr_expect_lt(b.len, 600, "%zu characters: %s", b.len, b.data);
    buf_reset(&b);
    describe_difference(&b, data, 100, other + 1, 100);  /* 400 characters each: cut */
    cr_expect_not_null(strstr(b.data, "expected 100 bytes, got 100"), "%s", b.data);
    buf_reset(&b);
    describe_difference(&b, "a\n", 2, "b\n", 2);           /* short text: whole */
    cr_expect_not_null(strstr(b.data, "  expected: \"a\\n\"\n  got:      \"b\\n\""), "%s",
                       b.data);
    buf_free(&b);
}

/* Counts in words: one helper for every "N thing(s)" of a message. */
Test(buf, counts_are_grammatical)
{
    cr_expect_str_eq(plural_of(1, "reply", "replies"), "reply");
    cr_expect_str_eq(plural_of(0, "reply", "replies"), "replies");
    cr_expect_str_eq(plural_of(2, "reply", "replies"), "replies");
    cr_expect_str_eq(plural_of(-1, "reply", "replies"), "replies");
    struct buf b = {0};
    buf_count(&b, 1, "reply", "replies");
    buf_puts(&b, ", ");
    buf_count(&b, 3, "byte", "bytes");
    buf_puts(&b, ", ");
    buf_count(&b, 0, "line", "lines");
    cr_expect_str_eq(b.data, "1 reply, 3 bytes, 0 lines");
    buf_reset(&b);
    buf_escape_window(&b, "abcdefghijklmnopqrstuvwxyz", 26, 17, 16);
    cr_expect_str_eq(b.data, "(1 byte) \"bcdefghijklmnopqrstuvwxyz\"", "%s", b.data);
    buf_free(&b);
}

Test(buf, escape_window_shows_context_and_counts)
{
    char data[1000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)('a' + i % 26);
    struct buf b = {0};
    buf_escape_window(&b, data, sizeof data, 500, 16);
    char want[200];
    snprintf(want, sizeof want, "(484 bytes) \"%.32s\" (484 more bytes)", data + 484);
    cr_assert_str_eq(b.data, want);

    buf_reset(&b);
    buf_escape_window(&b, data, 10, 3, 16);
    snprintf(want, sizeof want, "\"%.10s\"", data);
    cr_assert_str_eq(b.data, want, "a window larger than the data shows it all");
    buf_free(&b);
}

Test(buf, limit_drops_and_counts)
{
    struct buf b = { .limit = 10 };
    buf_append(&b, "0123456789abcde", 15);
    cr_assert_eq(b.len, 10);
    cr_assert_eq(b.dropped, 5);
    cr_assert_str_eq(b.data, "0123456789");
    buf_append(&b, "xyz", 3);
    cr_assert_eq(b.len, 10);
    cr_assert_eq(b.dropped, 8);
    buf_consume(&b, 4);
    cr_assert_str_eq(b.data, "456789");
    buf_consume(&b, 100);
    cr_assert_eq(b.len, 0);
    cr_assert_str_eq(b.data, "");
    buf_free(&b);
}

Test(buf, printf_grows_past_the_first_allocation)
{
    struct buf b = {0};
    for (int i = 0; i < 1000; i++)
        buf_printf(&b, "%04d,", i);
    cr_assert_eq(b.len, 5000);
    cr_assert_eq(strncmp(b.data + 4995, "0999,", 5), 0);
    cr_assert_eq(b.data[b.len], '\0');
    buf_free(&b);
}

#define HAS(data, text) has_text_in_line(data, strlen(data), text)

Test(buf, text_in_line_with_crlf_and_lf)
{
    cr_expect(HAS("first\r\nsecond\r\n", "first"));
    cr_expect(HAS("first\r\nsecond\r\n", "second"));
    cr_expect(HAS("first\nsecond\n", "second"));
    cr_expect(HAS("a\r\n\r\nb\n", "b"));
    cr_expect_not(HAS("first\r\nsecond\r\n", "first\r\nsecond"), "not across lines");
    cr_expect_not(HAS("hel\nlo\n", "hello"), "text split by a newline is not in one line");
    cr_expect_not(HAS("", "x"));
    cr_expect_not(HAS("x", "xx"));
}

Test(buf, text_in_line_with_prompts_and_prefixes)
{
    cr_expect(HAS("> first line\n", "first line"), "a prompt before it");
    cr_expect(HAS("echo: first line (done)\n", "first line"), "text around it");
    cr_expect(HAS("x\ny\nlast\n", "last"));
    cr_expect(HAS("last", "last"), "the whole data");
    cr_expect_not(HAS("firs\nt line\n", "first line"));
}

Test(buf, text_in_line_last_line_without_newline)
{
    cr_expect(HAS("one\ntwo", "two"), "the unterminated last line counts");
    cr_expect(HAS("one\ntwo", "tw"));
    cr_expect_not(HAS("one\ntw", "two"), "a line still arriving does not hold it yet");
    cr_expect_not(HAS("one\n", "one\n"), "the text is within the line, without its newline");
}

Test(buf, text_in_line_embedded_nul)
{
    static const char data[] = "a\0b\nline\n";
    cr_expect(has_text_in_line(data, sizeof data - 1, "line"));
    cr_expect(has_text_in_line(data, sizeof data - 1, "b"));
    cr_expect_not(has_text_in_line(data, 1, "b"), "only LEN bytes count");
}

Test(buf, count_lines_counts_newlines)
{
    cr_expect_eq(count_lines("", 0), 0);
    cr_expect_eq(count_lines("no newline", 10), 0);
    cr_expect_eq(count_lines("a\nb", 3), 1);
    cr_expect_eq(count_lines("a\nb\n", 4), 2);
    cr_expect_eq(count_lines("\r\n\r\n\n", 5), 3);
    cr_expect_eq(count_lines("a\0\nb\n", 5), 2, "a NUL does not end the data");
}

static char *difference(const void *e, size_t elen, const void *g, size_t glen)
{
    struct buf b = {0};
    buf_puts(&b, "");
    describe_difference(&b, e, elen, g, glen);
    return b.data;
}

Test(buf, describe_difference_equal_is_silent)
{
    char *d = difference("same", 4, "same", 4);
    cr_expect_str_eq(d, "");
    free(d);
}

Test(buf, describe_difference_equal_prefix)
{
    char *d = difference("hello world", 11, "hello there", 11);
    cr_expect_not_null(strstr(d, "first difference at byte 6: expected \"w\" (0x77), got "
                                 "\"t\" (0x74)"), "%s", d);
    cr_expect_not_null(strstr(d, "expected: \"hello world\""), "%s", d);
    cr_expect_not_null(strstr(d, "got:      \"hello there\""), "%s", d);
    free(d);
}

Test(buf, describe_difference_shorter)
{
    char *d = difference("abcdef", 6, "abc", 3);
    cr_expect_not_null(strstr(d, "first difference at byte 3: expected \"d\" (0x64), got "
                                 "end of data"), "%s", d);
    free(d);
    d = difference("abc", 3, NULL, 0);
    cr_expect_not_null(strstr(d, "first difference at byte 0: expected \"a\" (0x61), got "
                                 "end of data"), "nothing received: %s", d);
    free(d);
}

Test(buf, describe_difference_longer)
{
    char *d = difference("abc", 3, "abcdef", 6);
    cr_expect_not_null(strstr(d, "first difference at byte 3: expected end of data, got "
                                 "\"d\" (0x64)"), "%s", d);
    free(d);
}

Test(buf, describe_difference_binary)
{
    unsigned char e[1000], g[1000];
    for (int i = 0; i < 1000; i++)
        e[i] = g[i] = (unsigned char)(i * 7);
    e[700] = 0x00;
    g[700] = 0xff;
    char *d = difference(e, sizeof e, g, sizeof g);
    const char *want = "first difference at byte 700: expected \"\\0\" (0x00), got "
                       "\"\\xff\" (0xff)";
    cr_expect_not_null(strstr(d, want), "want %s in:\n%s", want, d);
    cr_expect_not_null(strstr(d, "expected 1000 bytes, got 1000"), "%s", d);
    cr_expect_not_null(strstr(d, "(684 bytes) \""), "the window starts 16 bytes before: %s", d);
    cr_expect(printable_ascii(d, strlen(d), true), "not printable: %s", d);
    free(d);

    /* A NUL where a byte was expected, past the short form's limit. */
    memcpy(g, e, sizeof g);
    g[0] = e[0] == 0 ? 1 : 0;
    d = difference(e, sizeof e, g, 200);
    cr_expect_not_null(strstr(d, "expected 1000 bytes, got 200"), "%s", d);
    cr_expect_not_null(strstr(d, "first difference at byte 0:"), "%s", d);
    free(d);
}

/* ==== report: escaping for each format, and whole reports ================ */

struct nasty {
    char in[64];        /* what a check's text may hold */
    char shown[160];    /* what a reader must see, once the format is decoded */
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
    cr_assert_eq(status, 0, "python's json rejects the output:\n%s\n--- the JSON:\n%s",
                 out, m.data);
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
    cases[n++] = (struct nasty){ "O'Brien's 'quoted' </p> text", "O'Brien's 'quoted' </p> text" };
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
        { "+1", "'+1" }, { "-1", "'-1" }, { "@SUM(A1)", "'@SUM(A1)" },
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
        struct buf want = {0};
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
    put_text(mem_open(&m), "a\xc2\x9b" "31mred \xc2\x9d" "0;title\x07");
    mem_close(&m);
    struct buf shown = {0};
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
    { "breaks", 2, 1000, "it breaks \xe2\x82\xac ]]>",
      "handouts/98-alpha.md, section \"<B>\"", no_run },
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
        .lab = &alpha, .def = &alpha_checks[0], .passed = true, .seconds = 0.25,
        .transcript = xstrdup("[0.1 ms] server stdout: 5 bytes \"\x1b[2J\xff\x01\"\n"
                              "tab\there ]]> & < \" \\ caf\xc3\xa9\n"),
    };
    results[1] = (struct check_result){
        .lab = &alpha, .def = &alpha_checks[1], .passed = false, .seconds = 1.5,
        .message = xstrdup("first line: \x1b[31m\"red\"\x1b[0m <b>&amp;</b> \xff\xfe\x01\r\n"
                           "  second \xe2\x82 cut, \xc0\x80 overlong, \xed\xa0\x80 half\n"
                           "  valid: caf\xc3\xa9 \xe2\x82\xac\n"),
        .transcript = xstrdup("\x7f\x02\x03 ]]> </system-out> \\\"\n"),
    };
    /* A transcript longer than Gradescope's share, cut inside a character. */
    struct buf big = {0};
    for (int i = 0; i < 7000; i++)
        buf_puts(&big, "\xe2\x82\xac");
    results[2] = (struct check_result){
        .lab = &beta, .def = &beta_checks[0], .passed = false, .seconds = 2,
        .message = NULL, .transcript = big.data,
    };
    return (struct report){ .impl = "tree \"with\" <odd> name", .results = results,
                            .n = 3, .transcripts = NULL, .seconds = 3.75 };
}

static const char gradescope_py[] =
    "import json, sys\n"
    "with open(sys.argv[1], encoding='utf-8', errors='strict') as f:\n"
    "    d = json.load(f)\n"
    "for k in ('score', 'max_score', 'tests'):\n"
    "    assert k in d, 'no key ' + k\n"
    "assert isinstance(d['score'], (int, float)) and isinstance(d['max_score'], (int, float))\n"
    "print('score', d['score'], d['max_score'], len(d['tests']))\n"
    "for t in d['tests']:\n"
    "    for k in ('name', 'score', 'max_score', 'status', 'output', 'visibility'):\n"
    "        assert k in t, 'test without ' + k + ': ' + repr(t)\n"
    "    assert t['status'] in ('passed', 'failed'), t['status']\n"
    "    assert t['visibility'] in ('visible', 'hidden', 'after_due_date', 'after_published')\n"
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
    cr_assert_eq(status, 0, "the Gradescope report is not what Gradescope reads:\n%s\n"
                 "--- the report:\n%s", out, m.data);
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
                                      "\\xff\\xfe\\x01\\x0d\n"), "%s", failed);
    cr_expect_not_null(strstr(failed, "second \\xe2\\x82 cut, \\xc0\\x80 overlong, "
                                      "\\xed\\xa0\\x80 half"), "%s", failed);
    cr_expect_not_null(strstr(failed, "valid: caf\xc3\xa9 \xe2\x82\xac"), "%s", failed);
    cr_expect_not_null(strstr(failed, "hint: handouts/98-alpha.md, section \"<B>\""),
                       "%s", failed);
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
    cr_assert_eq(status, 0, "the JUnit report is not well-formed XML:\n%s\n"
                 "--- the report:\n%s", out, m.data);
    char *lines[32];
    size_t n = split_lines(out, lines, COUNT_OF(lines));
    cr_assert_eq(n, 10, "%s", out);
    cr_expect_str_eq(lines[0], "root testsuites 3 2 2");
    cr_expect_str_eq(lines[1], "suite testsuite 98-alpha 2 1 2 1");
    cr_expect_str_eq(lines[2], "case netlab.98-alpha works passed out");
    cr_expect_str_eq(lines[3], "case netlab.98-alpha breaks failed out");
    size_t len;
    char *message = from_hex(lines[4], &len);
    cr_expect_str_eq(message, "first line: \\x1b[31m\"red\"\\x1b[0m <b>&amp;</b> "
                              "\\xff\\xfe\\x01\\x0d", "the first line of the message");
    char *text = from_hex(lines[5], &len);
    cr_expect_not_null(strstr(text, "valid: caf\xc3\xa9 \xe2\x82\xac"), "%s", text);
    cr_expect_not_null(strstr(text, "hint: handouts/98-alpha.md, section \"<B>\""), "%s", text);
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
    "bad = [hex(ord(ch)) for ch in t if (ord(ch) < 32 and ch not in '\\n') or ord(ch) == 127]\n"
    "assert not bad, 'control characters: ' + ' '.join(bad)\n";

Test(report, text_has_the_score_and_no_control_bytes)
{
    struct check_result results[3];
    struct report r = fake_report(results);
    struct mem m;
    write_text(mem_open(&m), &r);
    mem_close(&m);

    cr_expect_not_null(strstr(m.data, "\nScore: 3/9 (2 checks failed)"), "%s", m.data);
    cr_expect_not_null(strstr(m.data, "hint: handouts/98-alpha.md, section \"<B>\""),
                       "%s", m.data);
    cr_expect_not_null(strstr(m.data, "hint: handouts/99-beta.md, section \"C\""),
                       "%s", m.data);
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
        .lab = &alpha, .def = &alpha_checks[0], .passed = true, .seconds = 0.5,
    } };
    struct report r = { .impl = "solutions", .results = results, .n = 1, .seconds = 0.5 };
    struct mem m;
    write_text(mem_open(&m), &r);
    mem_close(&m);
    cr_expect_not_null(strstr(m.data, "\nScore: 3/3 (every check passed) for solutions"),
                       "%s", m.data);
    mem_free(&m);
}

/* A report where the grader failed on one check (98-alpha/breaks, 2 of
 * the 9 points), one passed (3) and one failed (4). */
static struct report report_with_grader_error(struct check_result results[3])
{
    results[0] = (struct check_result){ .lab = &alpha, .def = &alpha_checks[0],
                                        .passed = true, .transcript = xstrdup("") };
    results[1] = (struct check_result){
        .lab = &alpha, .def = &alpha_checks[1], .grader_error = true,
        .message = xstrdup(GRADER_ERROR " no free port between 20000 and 29999\n"),
        .transcript = xstrdup("[0.1 ms] FAIL: grader error\n"),
    };
    results[2] = (struct check_result){ .lab = &beta, .def = &beta_checks[0],
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
                                      "(1 check failed) for labs"), "%s", m.data);
    cr_expect_not_null(strstr(m.data, "  ERROR breaks"), "%s", m.data);
    cr_expect_not_null(strstr(m.data, "-/2"), "no points taken: %s", m.data);
    cr_expect_not_null(strstr(m.data, "not graded: the grader failed here, not your program"),
                       "%s", m.data);
    cr_expect_null(strstr(m.data, "hint: handouts/98-alpha.md, section \"<B>\""),
                   "a hint at the student's code for the grader's fault: %s", m.data);
    cr_expect_not_null(strstr(m.data, "3/3 (1 check not graded)"), "the lab's line: %s",
                       m.data);
    mem_free(&m);

    results[2].passed = true;       /* every graded check passed */
    write_text(mem_open(&m), &r);
    mem_close(&m);
    cr_expect_not_null(strstr(m.data, "\nScore: 7/7, 1 check not graded: grader error "
                                      "(every graded check passed)"), "%s", m.data);
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
        .lab = &alpha, .def = &alpha_checks[1], .passed = false, .seconds = 0.5,
        .message = (char *)"why",
    } };
    struct report r = { .impl = "tree \x1b[2J \xff", .results = results, .n = 1,
                        .transcripts = "folder \x1b]0;title\x07", .seconds = 0.5 };
    struct mem m;
    write_text(mem_open(&m), &r);
    mem_close(&m);
    struct buf shown = {0};
    buf_escape(&shown, m.data, m.len, m.len);
    cr_expect_null(memchr(m.data, 0x1b, m.len), "a raw ESC in: %s", shown.data);
    cr_expect_null(memchr(m.data, 0xff, m.len), "a raw 0xff in: %s", shown.data);
    buf_free(&shown);
    mem_free(&m);
}

/* ---- The isolation line ------------------------------------------------- */

#define FULL_ROOT (ISOLATION_RECORDED | ISOLATION_AS_ROOT | ISOLATION_MEMORY_LIMIT | \
                   ISOLATION_PID_NAMESPACE | \
                   ISOLATION_NETWORK_NAMESPACE | ISOLATION_IPC_NAMESPACE | \
                   ISOLATION_PRIVATE_MOUNTS | ISOLATION_OWN_USER)

/* The sentence for checks with the layers BITS (N of them). */
static char *sentence_of(const unsigned *bits, size_t n)
{
    struct check_result results[8] = {0};
    cr_assert_leq(n, COUNT_OF(results));
    for (size_t i = 0; i < n; i++)
        results[i].isolation = bits[i];
    return isolation_of_results(results, n);
}

Test(report, isolation_line_of_checks_alike)
{
    char *s = sentence_of((unsigned[]){ FULL_ROOT | ISOLATION_CGROUP_V2,
                                        FULL_ROOT | ISOLATION_CGROUP_V2 }, 2);
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
#define ORDINARY_USER (ISOLATION_RECORDED | ISOLATION_MEMORY_LIMIT | \
                       ISOLATION_USER_NAMESPACE | ISOLATION_PID_NAMESPACE | \
                       ISOLATION_NETWORK_NAMESPACE | ISOLATION_IPC_NAMESPACE | \
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
    cr_expect_str_eq(s, "Isolation: user, PID, network, IPC and mount namespaces; memory by "
                        RLIMITS_ONLY "; no root file system of their own, no user of their "
                        "own (not root), so programs run as your user, see your files and "
                        "share the machine's system files.");
    free(s);
    /* A user namespace, but no mount namespace in it (AppArmor may allow
     * the one and not the other). */
    s = sentence_of((unsigned[]){ ISOLATION_RECORDED | ISOLATION_MEMORY_LIMIT |
                                  ISOLATION_USER_NAMESPACE | ISOLATION_PID_NAMESPACE }, 1);
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
                                        FULL_ROOT | ISOLATION_CGROUP_V1, refused }, 4);
    cr_expect_str_eq(s, "Isolation: a user per check; memory by cgroup v1 in 2 of 3 checks, "
                        RLIMITS_ONLY " in 1 of 3 checks; no root file system of their own, "
                        "so programs share the machine's system files; only some checks "
                        "had: a PID namespace (2 of 3), a network namespace (2 of 3), an IPC "
                        "namespace (2 of 3), a mount namespace (2 of 3).");
    free(s);
    s = sentence_of((unsigned[]){ refused | ISOLATION_CGROUP_V1 }, 1);
    cr_expect_str_eq(s, "Isolation: a user per check; memory by cgroup v1; no PID, network, "
                        "IPC or mount namespace (the system refused them), no root file system "
                        "of their own, so programs see the kit and share the machine's "
                        "processes, network, IPC objects, /tmp and system files.");
    free(s);
    s = sentence_of((unsigned[]){ 0, 0 }, 2);
    cr_expect_str_eq(s, "Isolation: none to say: no check ran.");
    free(s);
}

/* ==== lab: the table of labs ============================================== */

Test(lab, find_lab_by_number_id_or_name)
{
    const struct lab_def *lab = find_lab("01");
    cr_assert_not_null(lab);
    cr_expect_str_eq(lab->id, "01-hello");
    cr_expect_eq(find_lab("01-hello"), lab);
    cr_expect_eq(find_lab("hello"), lab);
    cr_expect_eq(find_lab("02"), find_lab("echo"));
    cr_expect_neq(find_lab("02"), lab);
    cr_expect_null(find_lab("99"));
    cr_expect_null(find_lab(""));
    cr_expect_null(find_lab("1"));
    cr_expect_null(find_lab("01-"));
    cr_expect_null(find_lab("-hello"));
    cr_expect_null(find_lab("hell"));
}

static bool valid_name(const char *s)
{
    return *s != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(s);
}

Test(lab, every_lab_is_well_formed)
{
    size_t n = 0;
    for (size_t l = 0; all_labs[l] != NULL; l++, n++) {
        const struct lab_def *lab = all_labs[l];
        cr_expect(strlen(lab->id) > 3 && lab->id[0] >= '0' && lab->id[0] <= '9' &&
                  lab->id[1] >= '0' && lab->id[1] <= '9' && lab->id[2] == '-' &&
                  valid_name(lab->id), "lab id %s: NN-name", lab->id);
        cr_expect_eq(find_lab(lab->id), lab, "%s", lab->id);
        cr_expect(lab->title != NULL && *lab->title, "%s: no title", lab->id);
        cr_expect_gt(lab->nchecks, 0, "%s: no checks", lab->id);
        if (l > 0)
            cr_expect_lt(strcmp(all_labs[l - 1]->id, lab->id), 0, "labs in order: %s, %s",
                         all_labs[l - 1]->id, lab->id);
    }
    cr_expect_geq(n, 2);
}

Test(lab, every_check_is_well_formed)
{
    for (size_t l = 0; all_labs[l] != NULL; l++) {
        const struct lab_def *lab = all_labs[l];
        for (size_t i = 0; i < lab->nchecks; i++) {
            const struct check_def *d = &lab->checks[i];
            cr_expect(valid_name(d->name), "%s/%s: names are [a-z0-9-]", lab->id, d->name);
            for (size_t k = 0; k < i; k++)
                cr_expect_str_neq(lab->checks[k].name, d->name, "%s: two checks named %s",
                                  lab->id, d->name);
            cr_expect_gt(d->points, 0, "%s/%s: points", lab->id, d->name);
            cr_expect(d->timeout_ms >= 500 && d->timeout_ms <= 30000,
                      "%s/%s: timeout %d ms", lab->id, d->name, d->timeout_ms);
            cr_expect(d->what != NULL && *d->what, "%s/%s: no rubric line", lab->id, d->name);
            cr_expect_not_null(d->run, "%s/%s: no function", lab->id, d->name);
        }
    }
}

/* Whether handouts/LAB.md has a Markdown heading that is exactly SECTION. */
static void expect_heading(const char *lab, const char *check, const char *section, size_t len)
{
    char path[300], line[512];
    snprintf(path, sizeof path, "handouts/%s.md", lab);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    bool found = false;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        char *text = line + strspn(line, "#");
        if (text == line || *text != ' ')
            continue;
        text++;
        text[strcspn(text, "\r\n")] = '\0';
        found = strlen(text) == len && strncmp(text, section, len) == 0;
    }
    fclose(f);
    cr_expect(found, "%s/%s: its hint names section \"%.*s\", which %s has no heading for",
              lab, check, (int)len, section, path);
}

/* The hint names a section of the lab's own handout, which exists:
 * handouts/NN-name.md, section "...". */
Test(lab, every_hint_points_into_the_labs_handout)
{
    for (size_t l = 0; all_labs[l] != NULL; l++) {
        const struct lab_def *lab = all_labs[l];
        char prefix[128];
        snprintf(prefix, sizeof prefix, "handouts/%s.md, section \"", lab->id);
        for (size_t i = 0; i < lab->nchecks; i++) {
            const char *h = lab->checks[i].hint;
            cr_assert_not_null(h, "%s/%s: no hint", lab->id, lab->checks[i].name);
            size_t len = strlen(h), plen = strlen(prefix);
            bool ok = len > plen + 1 && strncmp(h, prefix, plen) == 0 && h[len - 1] == '"' &&
                      memchr(h + plen, '"', len - plen - 1) == NULL;
            cr_expect(ok, "%s/%s: hint %s is not: %s...\"", lab->id, lab->checks[i].name, h,
                      prefix);
            if (ok)
                expect_heading(lab->id, lab->checks[i].name, h + plen, len - plen - 1);
        }
    }
}

/* A diagnosis's hint, like a check's, names a section of its lab's own
 * handout that exists; a diagnosis in the grader's core keeps the check's
 * hint (NULL), since it serves every lab. */
Test(lab, every_diagnosis_hint_points_into_the_labs_handout)
{
    struct diagnosis *d;
    size_t n = find_diagnoses(&d);
    for (size_t i = 0; i < n; i++) {
        cr_expect_str_neq(d[i].cause, "?", "%s: a diagnose() call whose cause is not a string "
                          "literal or whose hint is neither HINT(\"...\") nor NULL", d[i].file);
        if (d[i].lab[0] == '\0')
            cr_expect_eq(d[i].section[0], '\0', "%s: diagnosis %s: the grader's core names "
                         "no lab's section", d[i].file, d[i].cause);
        else if (d[i].section[0] != '\0')
            expect_heading(d[i].lab, d[i].cause, d[i].section, strlen(d[i].section));
    }
    free(d);
}

/* The handout's rubric lists every check with the grader's points, as a
 * table row "| `name` | points | ...": students plan by it.  A hidden
 * check it never names. */
Test(lab, every_handout_rubric_matches_the_checks)
{
    for (size_t l = 0; all_labs[l] != NULL; l++) {
        const struct lab_def *lab = all_labs[l];
        char path[300], line[1024];
        snprintf(path, sizeof path, "handouts/%s.md", lab->id);
        for (size_t i = 0; i < lab->nchecks; i++) {
            FILE *f = fopen(path, "r");
            cr_assert_not_null(f, "%s: %s", path, strerror(errno));
            char row[128];
            snprintf(row, sizeof row, "| `%s`", lab->checks[i].name);
            if (is_hidden(lab, &lab->checks[i])) {
                bool named = false;     /* a hidden check stays a secret */
                while (!named && fgets(line, sizeof line, f) != NULL)
                    named = strstr(line, lab->checks[i].name) != NULL;
                fclose(f);
                cr_expect(!named, "%s names the hidden check %s", path, lab->checks[i].name);
                continue;
            }
            int points = -1;
            while (points < 0 && fgets(line, sizeof line, f) != NULL) {
                if (strncmp(line, row, strlen(row)) != 0)
                    continue;
                char *bar = strchr(line + strlen(row), '|');
                if (bar == NULL || sscanf(bar + 1, " %d", &points) != 1)
                    points = -2;
            }
            fclose(f);
            cr_expect_eq(points, lab->checks[i].points,
                         "%s: the rubric row of %s gives %d points, the grader %d "
                         "(-1: no row)", path, lab->checks[i].name, points,
                         lab->checks[i].points);
        }
        /* The total above the table ("31 points."): two merges that each
         * added a check left one stale. */
        int visible = 0, stated = -1;
        for (size_t i = 0; i < lab->nchecks; i++)
            if (!is_hidden(lab, &lab->checks[i]))
                visible += lab->checks[i].points;
        FILE *f = fopen(path, "r");
        cr_assert_not_null(f, "%s: %s", path, strerror(errno));
        bool in_rubric = false;
        while (stated < 0 && fgets(line, sizeof line, f) != NULL) {
            if (strncmp(line, "## ", 3) == 0)
                in_rubric = strcmp(line, "## Rubric\n") == 0;
            else if (in_rubric && sscanf(line, "%d points.", &stated) != 1)
                stated = -1;
        }
        fclose(f);
        cr_expect_eq(stated, visible, "%s: the rubric says %d points, its checks add up to %d "
                     "(-1: no \"N points.\" line under \"## Rubric\")", path, stated, visible);
    }
}

/* ==== The runner, on a lab of this file's own ============================ */

#define SELF_LAB "97-selftest"

/* Ignores SIGTERM, forks a grandchild that leaves the session, and sleeps;
 * every process of it carries its first argument in its command line. */
static const char stubborn_py[] =
    "#!/usr/bin/env python3\n"
    "import os, signal, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "child = os.fork()\n"
    "if child == 0:\n"
    "    if os.fork() == 0:\n"
    "        os.setsid()\n"
    "        print('grandchild ready', flush=True)\n"
    "        time.sleep(1000)\n"
    "    os._exit(0)\n"
    "os.waitpid(child, 0)\n"
    "print('server ready', flush=True)\n"
    "time.sleep(1000)\n";

static const char ttyecho_sh[] =
    "#!/bin/sh\n"
    "if [ -t 0 ]; then echo 'stdin: tty'; else echo 'stdin: not a tty'; fi\n"
    "if [ -t 1 ]; then echo 'stdout: tty'; else echo 'stdout: not a tty'; fi\n"
    "while IFS= read -r line; do\n"
    "    printf 'got: %s\\n' \"$line\"\n"
    "done\n"
    "echo EOF\n";

static const char garbage_sh[] =
    "#!/bin/sh\n"
    "printf 'junk \\033[2J\\377\\001\\033]0;title\\007 no newline'\n"
    "printf 'junk on stderr \\033[31m\\376\\n' >&2\n";

/* Stops on SIGTERM as a C server does: its handler sets a flag, which it
 * looks at only before it blocks.  After "ready" it is busy for 100 ms
 * between that look and its read, where a SIGTERM is seen only once the
 * read returns; a SIGTERM that comes during the read ends it (dash's read
 * returns when a trapped signal comes). */
static const char late_sh[] =
    "#!/bin/sh\n"
    "stopping=\n"
    "trap 'stopping=1' TERM\n"
    "echo ready\n"
    "while [ -z \"$stopping\" ]; do\n"
    "    read -r up _ < /proc/uptime\n"
    "    end=$(( ${up%.*}${up#*.} + 10 ))\n"
    "    now=0\n"
    "    while [ \"$now\" -lt \"$end\" ]; do\n"
    "        read -r up _ < /proc/uptime\n"
    "        now=${up%.*}${up#*.}\n"
    "    done\n"
    "    read -r line\n"
    "done\n"
    "exit 0\n";

static const char exit3_sh[] = "#!/bin/sh\nexit 3\n";
/* Ignores SIGTERM (sleep inherits that) once it has said so. */
static const char deaf_sh[] = "#!/bin/sh\ntrap '' TERM\necho deaf and ready\nexec sleep 1000\n";
/* Exits with status 1 on SIGTERM; dies of it once it has execed sleep. */
static const char term1_sh[] =
    "#!/bin/sh\ntrap 'exit 1' TERM\necho term1 ready\nsleep 1000 &\nwait\n";
static const char plain_sh[] = "#!/bin/sh\necho plain ready\nexec sleep 1000\n";
/* Prints one long line and waits. */
static const char chatty_sh[] =
    "#!/bin/sh\necho 'a long line of output that a failure message should show once'\n"
    "exec sleep 1000\n";
static const char killed_sh[] = "#!/bin/sh\nkill -KILL $$\n";

struct tree {
    char dir[64];
    char lab[128];
};

static void write_program(const struct tree *t, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", t->lab, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(chmod(path, 0755), 0);
}

/* A tree to grade: /tmp/netlab-harness-XXXXXX/97-selftest/ with every
 * program of this file. */
static void make_tree(struct tree *t)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/netlab-harness-XXXXXX");
    cr_assert_not_null(mkdtemp(t->dir), "mkdtemp: %s", strerror(errno));
    snprintf(t->lab, sizeof t->lab, "%s/%s", t->dir, SELF_LAB);
    cr_assert_eq(mkdir(t->lab, 0755), 0);
    write_program(t, "stubborn", stubborn_py);
    write_program(t, "ttyecho", ttyecho_sh);
    write_program(t, "garbage", garbage_sh);
    write_program(t, "exit3", exit3_sh);
    write_program(t, "late", late_sh);
    write_program(t, "killed", killed_sh);
    write_program(t, "deaf", deaf_sh);
    write_program(t, "chatty", chatty_sh);
    write_program(t, "term1", term1_sh);
    write_program(t, "plain", plain_sh);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void remove_tree(const struct tree *t)
{
    nftw(t->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Memory shared by the test and the checks it runs (they are its forks). */
struct shared {
    int reached[32];            /* a check got this far */
    int reserved;               /* checks that hold their ports */
    int ports[16][8];
    bool own_network[16];       /* the check had a network of its own */
};

static struct shared *shared;
static char marker[64];         /* in the command line of every stubborn process */

static void share(void)
{
    shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                  -1, 0);
    cr_assert_neq(shared, MAP_FAILED);
    memset(shared, 0, sizeof *shared);
    snprintf(marker, sizeof marker, "netlab-marker-%d-%lld", (int)getpid(),
             (long long)now_us());
}

/* Grades LAB in TREE: every check, JOBS at once, time limits times SCALE.
 * Returns the results (free with free_results and free) and the wall time
 * in *SECONDS. */
static struct check_result *grade_scaled(const struct tree *t, const struct lab_def *lab,
                                         int jobs, int scale, double *seconds)
{
    struct check_result *r = xcalloc(lab->nchecks, sizeof *r);
    for (size_t i = 0; i < lab->nchecks; i++)
        r[i] = (struct check_result){ .lab = lab, .def = &lab->checks[i] };
    struct run_options opts = { .impl_dir = t->dir, .jobs = jobs, .time_scale = scale };
    int64_t start = now_us();
    int rc = run_checks(&opts, r, lab->nchecks);
    *seconds = (double)(now_us() - start) / 1e6;
    cr_assert_eq(rc, 0, "run_checks returned %d", rc);
    return r;
}

static struct check_result *grade(const struct tree *t, const struct lab_def *lab, int jobs,
                                  double *seconds)
{
    return grade_scaled(t, lab, jobs, 1, seconds);
}

static const struct check_result *result_of(const struct check_result *r, size_t n,
                                            const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(r[i].def->name, name) == 0)
            return &r[i];
    cr_assert_fail("no result for %s", name);
    return NULL;
}

/* Every process whose command line holds MARKER, described in *WHICH. */
static size_t processes_with(const char *mark, struct buf *which)
{
    size_t n = 0;
    DIR *d = opendir("/proc");
    cr_assert_not_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300], cmd[4096];
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            continue;
        ssize_t len = read(fd, cmd, sizeof cmd - 1);
        close(fd);
        if (len <= 0 || memmem(cmd, (size_t)len, mark, strlen(mark)) == NULL)
            continue;
        for (ssize_t i = 0; i < len; i++)
            if (cmd[i] == '\0')
                cmd[i] = ' ';
        cmd[len] = '\0';
        buf_printf(which, "\n  pid %s: %s", e->d_name, cmd);
        n++;
    }
    closedir(d);
    return n;
}

/* The children this process still has (zombies too), described in *WHICH. */
static size_t children_left(struct buf *which)
{
    size_t n = 0;
    DIR *d = opendir("/proc/self/task");
    cr_assert_not_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/self/task/%s/children", e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        int pid;
        while (fscanf(f, "%d", &pid) == 1) {
            buf_printf(which, "\n  child %d", pid);
            n++;
        }
        fclose(f);
    }
    closedir(d);
    return n;
}

/* Kills what processes_with found (by process ID), not to leave it behind. */
static void kill_listed(const char *which)
{
    for (const char *p = which; (p = strstr(p, "pid ")) != NULL; p += 4)
        kill((pid_t)atoi(p + 4), SIGKILL);
}

static void expect_nothing_left(void)
{
    struct buf which = {0};
    buf_puts(&which, "");
    size_t n = processes_with(marker, &which);
    cr_expect_eq(n, 0, "%zu processes outlived their check:%s", n, which.data);
    kill_listed(which.data);
    buf_reset(&which);
    n = children_left(&which);
    cr_expect_eq(n, 0, "run_checks left %zu children:%s", n, which.data);
    buf_free(&which);
}

/* ---- Checks that pass, fail, crash and hang ------------------------------ */

/* A real invalid memory access, as a bug in a check would make. */
static _Noreturn void crash_now(void)
{
    struct rlimit none = { 0, 0 };
    setrlimit(RLIMIT_CORE, &none);
    signal(SIGSEGV, SIG_DFL);
    volatile uintptr_t address = 8;     /* opaque to the compiler */
    *(volatile int *)address = 1;
    _exit(99);
}

static _Noreturn void hang_forever(void)
{
    for (;;)
        poll(NULL, 0, 100);
}

static void passes(struct check *c)
{
    note(c, "nothing to do");
}

static void fails(struct check *c)
{
    fail(c, "failed on purpose");
}

static void crashes(struct check *c)
{
    (void)c;
    crash_now();
}

/* A check that sends itself a fatal signal and, should it survive, would
 * go on to pass. */
static void raises(struct check *c)
{
    struct rlimit none = { 0, 0 };
    setrlimit(RLIMIT_CORE, &none);
    signal(SIGSEGV, SIG_DFL);
    raise(SIGSEGV);
    note(c, "survived raise(SIGSEGV)");
}

/* A check whose own assert() fails. */
static void aborts(struct check *c)
{
    struct rlimit none = { 0, 0 };
    setrlimit(RLIMIT_CORE, &none);
    note(c, "about to abort");
    abort();
}

static void hangs(struct check *c)
{
    (void)c;
    hang_forever();
}

static const struct check_def basic_checks[] = {
    { "passes", 1, 1000, "passes", "handouts/97-selftest.md, section \"A\"", passes },
    { "fails", 2, 1000, "fails", "handouts/97-selftest.md, section \"A\"", fails },
    { "crashes", 3, 1000, "crashes", "handouts/97-selftest.md, section \"A\"", crashes },
    { "hangs", 4, 300, "hangs", "handouts/97-selftest.md, section \"A\"", hangs },
};
static const struct lab_def basic_lab = { SELF_LAB, "self-test", basic_checks,
                                          COUNT_OF(basic_checks), 0 };

Test(runner, pass_fail_crash_and_hang)
{
    struct tree t;
    make_tree(&t);
    share();
    double seconds;
    struct check_result *r = grade(&t, &basic_lab, 4, &seconds);
    size_t n = basic_lab.nchecks;

    const struct check_result *ok = result_of(r, n, "passes");
    cr_expect(ok->passed, "%s", ok->message ? ok->message : "");
    cr_expect_null(ok->message);
    cr_expect_not_null(strstr(ok->transcript, "nothing to do"), "%s", ok->transcript);

    const struct check_result *f = result_of(r, n, "fails");
    cr_expect_not(f->passed);
    cr_expect_not_null(f->message);
    cr_expect_str_eq(f->message, "failed on purpose\n");

    const struct check_result *crash = result_of(r, n, "crashes");
    cr_expect_not(crash->passed);
    cr_assert_not_null(crash->message);
    cr_expect(strstr(crash->message, "Segmentation fault") != NULL ||
              strstr(crash->message, "SIGSEGV") != NULL,
              "the message should name the crash: %s", crash->message);
    cr_expect_lt(crash->seconds, 1.0, "a crash is noticed at once: %.2f s", crash->seconds);

    const struct check_result *hang = result_of(r, n, "hangs");
    cr_expect_not(hang->passed);
    cr_assert_not_null(hang->message);
    cr_expect_not_null(strstr(hang->message, "did not finish within 2300 ms"),
                       "the message should say it overran: %s", hang->message);
    cr_expect(hang->seconds >= 2.2 && hang->seconds < 4.0, "stopped after %.2f s",
              hang->seconds);
    cr_expect_lt(seconds, 5.0, "the whole run took %.1f s", seconds);
    expect_nothing_left();
    free_results(r, n);
    free(r);
    remove_tree(&t);
}

static const struct check_def raise_checks[] = {
    { "raises", 1, 1000, "raises SIGSEGV", "handouts/97-selftest.md, section \"A\"", raises },
};
static const struct lab_def raise_lab = { SELF_LAB, "self-test", raise_checks, 1, 0 };

static const struct check_def abort_checks[] = {
    { "aborts", 1, 1000, "aborts", "handouts/97-selftest.md, section \"A\"", aborts },
};
static const struct lab_def abort_lab = { SELF_LAB, "self-test", abort_checks, 1, 0 };

/* abort() in the check (a failed assert()): the check failed, and says so. */
Test(runner, check_that_aborts_fails)
{
    struct tree t;
    make_tree(&t);
    share();
    double seconds;
    struct check_result *r = grade(&t, &abort_lab, 1, &seconds);
    cr_expect_not(r[0].passed, "a check that called abort() passed");
    cr_expect(r[0].message != NULL && strstr(r[0].message, "ended abnormally") != NULL,
              "the message should say the check's process died: %s", r[0].message);
    cr_expect(r[0].grader_error, "the check's own crash is the grader's fault");
    cr_log_info("abort() in a check gives: %s", r[0].message);
    expect_nothing_left();
    free_results(r, 1);
    free(r);
    remove_tree(&t);
}

/*
 * A check that dies of a signal it raised itself must fail.  As root each
 * check runs in a PID namespace of its own; had the check been that
 * namespace's init, the kernel would drop every signal init installed no
 * handler for, and this check would pass.  Init only reaps; the check is
 * its child.
 */
Test(runner, check_that_raises_a_fatal_signal_fails)
{
    struct tree t;
    make_tree(&t);
    share();
    double seconds;
    struct check_result *r = grade(&t, &raise_lab, 1, &seconds);
    cr_expect_not(r[0].passed, "a check that raised SIGSEGV passed; transcript:\n%s",
                  r[0].transcript);
    cr_expect(r[0].message != NULL && strstr(r[0].message, "Segmentation fault") != NULL,
              "the message should name the crash: %s", r[0].message);
    expect_nothing_left();
    free_results(r, 1);
    free(r);
    remove_tree(&t);
}

/* Makes pidfd_open fail with ENOSYS in this process and its children, as on
 * a kernel before 5.3, under valgrind 3.19, or under a container's seccomp
 * profile that predates the call. */
static void forbid_pidfd_open(void)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_open, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { .len = COUNT_OF(code), .filter = code };
    cr_assert_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
    cr_assert_eq(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), 0, "seccomp: %s",
                 strerror(errno));
    cr_assert_eq(syscall(SYS_pidfd_open, getpid(), 0), -1);
}

static const struct check_def one_pass[] = {
    { "passes", 1, 500, "passes", "handouts/97-selftest.md, section \"A\"", passes },
};
static const struct lab_def one_pass_lab = { SELF_LAB, "self-test", one_pass, 1, 0 };

/*
 * The grader must work without pidfd_open, which valgrind 3.19 (Debian
 * 12's), kernels before 5.3 and older Docker seccomp profiles lack: a
 * grader that waited for checks through pidfds alone never collected them
 * and spun forever.  Child exits come through a SIGCHLD self-pipe instead.
 */
Test(runner, runs_without_pidfd_open, .timeout = 15)
{
    struct tree t;
    make_tree(&t);
    share();
    forbid_pidfd_open();
    double seconds;
    struct check_result *r = grade(&t, &one_pass_lab, 1, &seconds);
    cr_expect(r[0].passed, "%s", r[0].message);
    cr_expect_lt(seconds, 5.0);
    free_results(r, 1);
    free(r);
    remove_tree(&t);
}

/* ---- Whatever a check started ends with it ------------------------------ */

static void start_stubborn(struct check *c, int step)
{
    struct program *p = start_program(c, "stubborn", marker, NULL);
    expect_output_line(c, p, "grandchild ready");
    expect_output_line(c, p, "server ready");
    shared->reached[step] = 1;
}

static void stubborn_passes(struct check *c)
{
    start_stubborn(c, 0);
}

static void stubborn_fails(struct check *c)
{
    start_stubborn(c, 1);
    fail(c, "failed with the stubborn server running");
}

static void stubborn_crashes(struct check *c)
{
    start_stubborn(c, 2);
    crash_now();
}

static void stubborn_hangs(struct check *c)
{
    start_stubborn(c, 3);
    hang_forever();
}

static const struct check_def stubborn_checks[] = {
    { "stubborn-passes", 1, 5000, "passes", "handouts/97-selftest.md, section \"A\"",
      stubborn_passes },
    { "stubborn-fails", 1, 5000, "fails", "handouts/97-selftest.md, section \"A\"",
      stubborn_fails },
    { "stubborn-crashes", 1, 5000, "crashes", "handouts/97-selftest.md, section \"A\"",
      stubborn_crashes },
    { "stubborn-hangs", 1, 1500, "hangs", "handouts/97-selftest.md, section \"A\"",
      stubborn_hangs },
};
static const struct lab_def stubborn_lab = { SELF_LAB, "self-test", stubborn_checks,
                                             COUNT_OF(stubborn_checks), 0 };

Test(runner, no_process_outlives_its_check)
{
    struct tree t;
    make_tree(&t);
    share();
    double seconds;
    struct check_result *r = grade(&t, &stubborn_lab, 4, &seconds);
    size_t n = stubborn_lab.nchecks;

    for (int i = 0; i < 4; i++)
        cr_expect(shared->reached[i], "%s did not get its program going: %s",
                  r[i].def->name, r[i].message ? r[i].message : "");
    cr_expect(result_of(r, n, "stubborn-passes")->passed, "%s",
              result_of(r, n, "stubborn-passes")->message);
    const struct check_result *f = result_of(r, n, "stubborn-fails");
    cr_expect_not(f->passed);
    cr_expect_not_null(strstr(f->message, "failed with the stubborn server running"),
                       "%s", f->message);
    cr_expect_not_null(strstr(f->message, "the stubborn was still running"),
                       "a failure says what became of each program: %s", f->message);
    cr_expect_not_null(strstr(f->transcript, "ignored SIGTERM"), "%s", f->transcript);
    const struct check_result *crash = result_of(r, n, "stubborn-crashes");
    cr_expect_not(crash->passed);
    cr_expect_not_null(strstr(crash->message, "Segmentation fault"), "%s", crash->message);
    const struct check_result *hang = result_of(r, n, "stubborn-hangs");
    cr_expect_not(hang->passed);
    cr_expect_not_null(strstr(hang->message, "did not finish within 3500 ms"), "%s",
                       hang->message);
    cr_expect_lt(seconds, 6.0, "the whole run took %.1f s", seconds);
    expect_nothing_left();
    free_results(r, n);
    free(r);
    remove_tree(&t);
}

/* A check whose limit is scaled fails at its deadline with a program that
 * ignores SIGTERM: stopping it takes the scaled grace, and the runner must
 * wait for that (its margin scales too) to get the check's own message. */
static void stubborn_misses_a_line(struct check *c)
{
    struct program *p = start_program(c, "stubborn", marker, NULL);
    expect_output_line(c, p, "a line never printed");
}

static const struct check_def slow_stop_checks[] = {
    { "slow-stop", 1, 100, "fails, then stops slowly", "handouts/97-selftest.md, section \"A\"",
      stubborn_misses_a_line },
};
static const struct lab_def slow_stop_lab = { SELF_LAB, "self-test", slow_stop_checks, 1, 0 };

Test(runner, a_scaled_check_is_not_cut_while_it_stops_its_programs)
{
    struct tree t;
    make_tree(&t);
    share();
    double seconds;
    struct check_result *r = grade_scaled(&t, &slow_stop_lab, 1, 10, &seconds);
    cr_expect_not(r[0].passed);
    cr_expect_not_null(strstr(r[0].message, "expected the stubborn to print"), "%s",
                       r[0].message);
    cr_expect_not_null(strstr(r[0].transcript, "ignored SIGTERM for 2500 ms"), "%s",
                       r[0].transcript);
    expect_nothing_left();
    free_results(r, 1);
    free(r);
    remove_tree(&t);
}

/* ==== Ports ================================================================ */

static const struct check_def port_checks[16];

/* Reserves 8 ports, binds each, and holds them until all 16 checks do. */
static void reserve_eight(struct check *c)
{
    size_t k = (size_t)(c->def - port_checks);
    int ports[8];
    for (int i = 0; i < 8; i++) {
        ports[i] = reserve_port(c);
        if (ports[i] < 1 || ports[i] > 65535)
            fail(c, "reserve_port gave %d", ports[i]);
        for (int j = 0; j < i; j++)
            if (ports[j] == ports[i])
                fail(c, "port %d reserved twice in one check", ports[i]);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)ports[i]),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
            fail(c, "reserved port %d cannot be bound: %s", ports[i], strerror(errno));
        shared->ports[k][i] = ports[i];
    }
    shared->own_network[k] = c->own_network;
    __atomic_add_fetch(&shared->reserved, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&shared->reserved, __ATOMIC_SEQ_CST) < 16 && time_left_ms(c) > 0)
        poll(NULL, 0, 2);
    if (__atomic_load_n(&shared->reserved, __ATOMIC_SEQ_CST) < 16)
        fail(c, "only %d of 16 checks held their ports at once", shared->reserved);
}

#define PORT_CHECK(name) { name, 1, 10000, "reserves 8 ports", \
                           "handouts/97-selftest.md, section \"P\"", reserve_eight }
static const struct check_def port_checks[16] = {
    PORT_CHECK("p1"), PORT_CHECK("p2"), PORT_CHECK("p3"), PORT_CHECK("p4"),
    PORT_CHECK("p5"), PORT_CHECK("p6"), PORT_CHECK("p7"), PORT_CHECK("p8"),
    PORT_CHECK("p9"), PORT_CHECK("p10"), PORT_CHECK("p11"), PORT_CHECK("p12"),
    PORT_CHECK("p13"), PORT_CHECK("p14"), PORT_CHECK("p15"), PORT_CHECK("p16"),
};
static const struct lab_def port_lab = { SELF_LAB, "self-test", port_checks, 16, 0 };

Test(ports, sixteen_checks_at_once_get_distinct_ports)
{
    struct tree t;
    make_tree(&t);
    share();
    double seconds;
    struct check_result *r = grade(&t, &port_lab, 16, &seconds);
    for (size_t i = 0; i < 16; i++)
        cr_expect(r[i].passed, "%s: %s", r[i].def->name, r[i].message ? r[i].message : "");
    /* All 128 were held at the same time: no two checks that share a
     * network may hold the same port (in networks of their own they may). */
    for (int a = 0; a < 16; a++)
        for (int b = 0; b < a; b++)
            for (int i = 0; i < 8 && !shared->own_network[a] && !shared->own_network[b]; i++)
                for (int j = 0; j < 8; j++)
                    cr_expect_neq(shared->ports[a][i], shared->ports[b][j],
                                  "port %d given to two checks at once", shared->ports[a][i]);
    if (geteuid() == 0)
        for (int k = 0; k < 16; k++)
            cr_expect(shared->own_network[k], "as root, check p%d had no network of its own",
                      k + 1);
    expect_nothing_left();
    free_results(r, 16);
    free(r);
    remove_tree(&t);
}

static void reserve_nine(struct check *c)
{
    for (int i = 0; i < 9; i++)
        reserve_port(c);
}

static const struct check_def nine_checks[] = {
    { "nine-ports", 1, 3000, "reserves 9 ports", "handouts/97-selftest.md, section \"P\"",
      reserve_nine },
};
static const struct lab_def nine_lab = { SELF_LAB, "self-test", nine_checks, 1, 0 };

Test(ports, too_many_ports_fail_the_check_cleanly)
{
    struct tree t;
    make_tree(&t);
    share();
    double seconds;
    struct check_result *r = grade(&t, &nine_lab, 1, &seconds);
    cr_expect_not(r[0].passed);
    cr_expect_not_null(strstr(r[0].message, "too many ports"), "%s", r[0].message);
    free_results(r, 1);
    free(r);
    remove_tree(&t);
}

/* ==== Programs on a pseudo-terminal ======================================== */

static void tty_conversation(struct check *c)
{
    struct program *p = start_program(c, "ttyecho", NULL);
    expect_output_line(c, p, "stdin: tty");
    expect_output_line(c, p, "stdout: tty");
    type_line(c, p, "first line");
    expect_output_line(c, p, "got: first line");
    type_line(c, p, "second, with \"quotes\" and a \\ backslash");
    expect_output_line(c, p, "got: second, with \"quotes\" and a \\ backslash");
    type_eof(c, p);
    expect_output_line(c, p, "EOF");
    expect_exit(c, p, 0);
    static const char want[] = "stdin: tty\nstdout: tty\ngot: first line\n"
                               "got: second, with \"quotes\" and a \\ backslash\nEOF\n";
    const struct buf *out = program_stdout(p);
    if (out->len != strlen(want) || memcmp(out->data, want, out->len) != 0) {
        struct buf msg = {0};
        describe_difference(&msg, want, strlen(want), out->data, out->len);
        fail(c, "stdout is not exactly what was printed (no echo, no \"\\r\"):\n%s",
             msg.data);
    }
}

static const struct check_def tty_checks[] = {
    { "tty", 1, 5000, "talks over a terminal", "handouts/97-selftest.md, section \"T\"",
      tty_conversation },
};
static const struct lab_def tty_lab = { SELF_LAB, "self-test", tty_checks, 1, 0 };

Test(programs, terminal_input_output_and_eof)
{
    struct tree t;
    make_tree(&t);
    share();
    double seconds;
    struct check_result *r = grade(&t, &tty_lab, 1, &seconds);
    cr_expect(r[0].passed, "%s\n--- transcript:\n%s", r[0].message, r[0].transcript);
    expect_nothing_left();
    free_results(r, 1);
    free(r);
    remove_tree(&t);
}

/* Passes once the program is ready; the end of the check stops it while
 * it is busy, before its read. */
static void late_blocker(struct check *c)
{
    expect_output_line(c, start_program(c, "late", NULL), "ready");
}

static const struct check_def late_checks[] = {
    { "late", 1, 5000, "stops a program that blocks late",
      "handouts/97-selftest.md, section \"S\"", late_blocker },
};
static const struct lab_def late_lab = { SELF_LAB, "self-test", late_checks, 1, 0 };

/* A SIGTERM that comes between a program's look at its flag and its
 * blocking call is lost until that call returns: the end of a check waits
 * until the program blocks before it sends one, so the program exits by
 * itself instead of being killed (under valgrind, whose leak check then
 * runs to its end). */
Test(programs, stop_waits_until_the_program_blocks)
{
    struct tree t;
    make_tree(&t);
    share();
    double seconds;
    struct check_result *r = grade(&t, &late_lab, 1, &seconds);
    cr_expect(r[0].passed, "%s", r[0].message);
    cr_expect_not_null(strstr(r[0].transcript, "late exited with status 0"),
                       "the program should have stopped on SIGTERM:\n%s", r[0].transcript);
    cr_expect_null(strstr(r[0].transcript, "SIGKILL"), "%s", r[0].transcript);
    free_results(r, 1);
    free(r);
    remove_tree(&t);
}

static void wrong_status(struct check *c)
{
    expect_exit(c, start_program(c, "exit3", NULL), 0);
}

static void killed_by_signal(struct check *c)
{
    expect_exit(c, start_program(c, "killed", NULL), 0);
}

static void garbage_output(struct check *c)
{
    expect_output_line(c, start_program(c, "garbage", NULL), "a line never printed");
}

static void missing_program(struct check *c)
{
    start_program(c, "nosuch", NULL);
}

static const struct check_def failing_checks[] = {
    { "wrong-status", 1, 3000, "exit 3", "handouts/97-selftest.md, section \"F\"",
      wrong_status },
    { "killed", 1, 3000, "killed", "handouts/97-selftest.md, section \"F\"",
      killed_by_signal },
    { "garbage", 1, 3000, "garbage", "handouts/97-selftest.md, section \"F\"",
      garbage_output },
    { "missing", 1, 3000, "missing", "handouts/97-selftest.md, section \"F\"",
      missing_program },
};
static const struct lab_def failing_lab = { SELF_LAB, "self-test", failing_checks,
                                            COUNT_OF(failing_checks), 0 };

static void ignores_sigterm(struct check *c)
{
    struct program *p = start_program(c, "deaf", NULL);
    expect_output_line(c, p, "deaf and ready");
    signal_program(c, p, SIGTERM);
    expect_exit(c, p, 0);
}

/* Sends the program named as the check is (less "-on-term") SIGTERM once
 * it is ready, and expects status 0. */
static void signalled(struct check *c)
{
    char name[16], ready[32];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(c->def->name, "-"), c->def->name);
    snprintf(ready, sizeof ready, "%s ready", name);
    struct program *p = start_program(c, name, NULL);
    expect_output_line(c, p, ready);
    signal_program(c, p, SIGTERM);
    expect_exit(c, p, 0);
}

static void stdout_in_message(struct check *c)
{
    expect_output_line(c, start_program(c, "chatty", NULL), "a line never printed");
}

static void no_port(struct check *c)
{
    reserve_port(c);
}

static const struct check_def telling_checks[] = {
    { "ignores-sigterm", 1, 3000, "SIGTERM", "handouts/97-selftest.md, section \"F\"",
      ignores_sigterm },
    { "stdout-once", 1, 1000, "stdout", "handouts/97-selftest.md, section \"F\"",
      stdout_in_message },
    { "term1-on-term", 1, 3000, "status 1", "handouts/97-selftest.md, section \"F\"",
      signalled },
    { "plain-on-term", 1, 3000, "killed", "handouts/97-selftest.md, section \"F\"",
      signalled },
};
static const struct lab_def telling_lab = { SELF_LAB, "self-test", telling_checks,
                                            COUNT_OF(telling_checks), 0 };

/* How many times NEEDLE stands in HAYSTACK. */
static size_t occurrences(const char *haystack, const char *needle)
{
    size_t n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* A failure says which signal the grader sent and how long ago, and shows
 * a program's stdout once, not in the check's message and again below. */
Test(programs, failures_say_what_the_grader_did)
{
    struct tree t;
    make_tree(&t);
    share();
    double seconds;
    struct check_result *r = grade(&t, &telling_lab, 2, &seconds);
    size_t n = telling_lab.nchecks;
    const char *m = result_of(r, n, "ignores-sigterm")->message;
    cr_assert_not_null(m);
    long ms = -1;
    const char *sent = strstr(m, "SIGTERM was sent ");
    cr_assert_not_null(sent, "%s", m);
    cr_expect_eq(sscanf(sent, "SIGTERM was sent %ld ms ago; the deaf", &ms), 1, "%s", m);
    /* Sent once the program was ready, well before the check's 3000 ms
     * were up (2500 ms, even under load), and said when it failed. */
    cr_expect(ms >= 500 && ms <= 3000, "sent %ld ms before the check's end: %s", ms, m);
    cr_expect_not_null(strstr(m, "is still running; it should have exited with status 0"),
                       "%s", m);
    cr_expect_not_null(strstr(m, "  the deaf was still running; SIGTERM was sent "), "%s", m);

    m = result_of(r, n, "term1-on-term")->message;
    cr_assert_not_null(m);
    cr_expect(strstr(m, "exited with status 1, ") != NULL &&
              strstr(m, " ms after the grader sent SIGTERM; it should have exited with "
                        "status 0") != NULL, "%s", m);
    m = result_of(r, n, "plain-on-term")->message;
    cr_assert_not_null(m);
    cr_expect(strstr(m, "was killed by signal SIGTERM (Terminated), ") != NULL &&
              strstr(m, " ms after the grader sent it;") != NULL, "%s", m);

    m = result_of(r, n, "stdout-once")->message;
    cr_assert_not_null(m);
    cr_expect_eq(occurrences(m, "a long line of output"), 1, "stdout shown twice: %s", m);
    cr_expect_not_null(strstr(m, "its stdout so far"), "%s", m);
    expect_nothing_left();
    free_results(r, n);
    free(r);
    remove_tree(&t);
}

static const struct check_def no_port_checks[] = {
    { "no-port", 1, 1000, "needs a port", "handouts/97-selftest.md, section \"F\"", no_port },
    { "passes", 1, 1000, "passes", "handouts/97-selftest.md, section \"F\"", passes },
};
static const struct lab_def no_port_lab = { SELF_LAB, "self-test", no_port_checks,
                                            COUNT_OF(no_port_checks), 0 };

/* A real grader error (no port to be had, which the tests provoke with
 * NETLAB_TEST_NO_FREE_PORT) is a check not graded, not a failed one. */
Test(runner, grader_error_is_not_a_failure)
{
    struct tree t;
    make_tree(&t);
    share();
    setenv("NETLAB_TEST_NO_FREE_PORT", "1", 1);
    double seconds;
    struct check_result *r = grade(&t, &no_port_lab, 2, &seconds);
    unsetenv("NETLAB_TEST_NO_FREE_PORT");
    const struct check_result *e = result_of(r, 2, "no-port");
    cr_expect_not(e->passed);
    cr_expect(e->grader_error, "no free port is the grader's fault: %s", e->message);
    cr_expect_eq(strncmp(e->message, GRADER_ERROR, strlen(GRADER_ERROR)), 0, "%s", e->message);
    const struct check_result *p = result_of(r, 2, "passes");
    cr_expect(p->passed && !p->grader_error, "%s", p->message);
    free_results(r, 2);
    free(r);
    remove_tree(&t);
}

Test(programs, failures_say_what_the_program_did)
{
    struct tree t;
    make_tree(&t);
    share();
    double seconds;
    struct check_result *r = grade(&t, &failing_lab, 4, &seconds);
    size_t n = failing_lab.nchecks;
    for (size_t i = 0; i < n; i++) {
        cr_expect_not(r[i].passed, "%s passed", r[i].def->name);
        cr_assert_not_null(r[i].message, "%s", r[i].def->name);
        cr_expect(printable_ascii(r[i].message, strlen(r[i].message), true),
                  "%s: a message that is not printable ASCII: %s", r[i].def->name,
                  r[i].message);
        cr_expect(printable_ascii(r[i].transcript, strlen(r[i].transcript), true),
                  "%s: a transcript that is not printable ASCII", r[i].def->name);
    }
    const char *m = result_of(r, n, "wrong-status")->message;
    cr_expect_not_null(strstr(m, "exited with status 3; it should have exited with status 0"),
                       "%s", m);
    m = result_of(r, n, "killed")->message;
    cr_expect_not_null(strstr(m, "was killed by signal SIGKILL"), "%s", m);
    m = result_of(r, n, "garbage")->message;
    cr_expect_not_null(strstr(m, "\"a line never printed\""), "%s", m);
    cr_expect_not_null(strstr(m, "junk \\x1b[2J\\xff\\x01\\x1b]0;title\\x07 no newline"),
                       "the output so far, escaped: %s", m);
    cr_expect_not_null(strstr(m, "junk on stderr \\x1b[31m\\xfe\\n"),
                       "its stderr, escaped: %s", m);
    for (size_t i = 0; i < n; i++)
        cr_expect_not(r[i].grader_error, "%s: the program's failure is not the grader's",
                      r[i].def->name);
    m = result_of(r, n, "missing")->message;
    cr_expect_not_null(strstr(m, "cannot run"), "%s", m);
    cr_expect_not_null(strstr(m, "nosuch"), "%s", m);
    cr_expect_lt(seconds, 2.5, "failing programs are noticed at once: %.1f s", seconds);
    expect_nothing_left();
    free_results(r, n);
    free(r);
    remove_tree(&t);
}

/* ---- Only a regular file inside the lab folder runs ---------------------- */

/* Runs the program named as the check, which must exit with status 3. */
static void run_check_named(struct check *c)
{
    expect_exit(c, start_program(c, c->def->name, NULL), 3);
}

#define NAMED(name) { name, 1, 3000, name, "handouts/97-selftest.md, section \"R\"", \
                      run_check_named }
static const struct check_def named_checks[] = {
    NAMED("exit3"), NAMED("link-inside"), NAMED("link-outside"), NAMED("link-up"),
    NAMED("link-to-fifo"), NAMED("link-dangling"), NAMED("link-to-folder"), NAMED("fifo"),
    NAMED("folder"), NAMED("not-executable"),
};
static const struct lab_def named_lab = { SELF_LAB, "self-test", named_checks,
                                          COUNT_OF(named_checks), 0 };

/* What each check of named_lab must say: NULL where it must pass. */
static const char *const named_refusals[][2] = {
    { "exit3", NULL },
    { "link-inside", NULL },
    { "link-outside", "link-outside is a symbolic link to /bin/true, which leads out of "
                      "the lab folder: the grader runs only a regular file inside the lab "
                      "folder." },
    { "link-up", "link-up is a symbolic link to ../97-selftest/exit3, which leads out of "
                 "the lab folder" },
    { "link-to-fifo", "/fifo, which leads out of the lab folder" },
    { "link-dangling", "link-dangling is a symbolic link to nothing-here, which leads to "
                       "nothing in the lab folder" },
    { "link-to-folder", "link-to-folder is a symbolic link to sub, a folder: the grader" },
    { "fifo", "fifo is a fifo (named pipe): the grader runs only a regular file" },
    { "folder", "folder is a folder: the grader runs only a regular file" },
    { "not-executable", "not-executable: it is not executable" },
};

static void make_link(const char *target, const struct tree *t, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", t->lab, name);
    cr_assert_eq(symlink(target, path), 0, "%s: %s", path, strerror(errno));
}

/* The programs of named_lab in T's lab folder; a fifo outside it. */
static void make_named_programs(const struct tree *t)
{
    char path[256];
    snprintf(path, sizeof path, "%s/fifo", t->dir);     /* outside the lab folder */
    cr_assert_eq(mkfifo(path, 0644), 0, "%s: %s", path, strerror(errno));
    make_link(path, t, "link-to-fifo");
    make_link("exit3", t, "link-inside");
    make_link("/bin/true", t, "link-outside");
    make_link("../" SELF_LAB "/exit3", t, "link-up");
    make_link("nothing-here", t, "link-dangling");
    make_link("sub", t, "link-to-folder");
    snprintf(path, sizeof path, "%s/sub", t->lab);
    cr_assert_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/folder", t->lab);
    cr_assert_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/fifo", t->lab);
    cr_assert_eq(mkfifo(path, 0644), 0);
    write_program(t, "not-executable", exit3_sh);
    snprintf(path, sizeof path, "%s/not-executable", t->lab);
    cr_assert_eq(chmod(path, 0644), 0);
}

/* The grader, often root, never runs or opens what a student's link
 * points to: a link out of the lab folder, a fifo or a folder is refused
 * at once, with what it is (an open of the fifo outside would hang). */
Test(programs, only_a_regular_file_inside_the_lab_folder_runs)
{
    struct tree t;
    make_tree(&t);
    make_named_programs(&t);
    share();
    double seconds;
    struct check_result *r = grade(&t, &named_lab, 4, &seconds);
    for (size_t i = 0; i < COUNT_OF(named_refusals); i++) {
        const struct check_result *got = result_of(r, named_lab.nchecks, named_refusals[i][0]);
        const char *want = named_refusals[i][1];
        if (want == NULL)
            cr_expect(got->passed, "%s: %s", named_refusals[i][0], got->message);
        else
            cr_expect(!got->passed && strstr(got->message, want) != NULL,
                      "%s must fail with \"%s\": %s", named_refusals[i][0], want,
                      got->message ? got->message : "(passed)");
    }
    cr_expect_lt(seconds, 2.5, "refusals are at once: %.1f s", seconds);
    expect_nothing_left();
    free_results(r, named_lab.nchecks);
    free(r);
    remove_tree(&t);
}

/* A lab folder that is a link (to a classmate's, to /etc) is not graded. */
Test(programs, a_lab_folder_that_is_a_link_is_refused)
{
    struct tree t, linked;
    make_tree(&t);
    snprintf(linked.dir, sizeof linked.dir, "/tmp/netlab-harness-XXXXXX");
    cr_assert_not_null(mkdtemp(linked.dir));
    snprintf(linked.lab, sizeof linked.lab, "%s/%s", linked.dir, SELF_LAB);
    cr_assert_eq(symlink(t.lab, linked.lab), 0);
    share();
    double seconds;
    struct check_result *r = grade(&linked, &named_lab, 1, &seconds);
    const char *m = result_of(r, named_lab.nchecks, "exit3")->message;
    cr_expect(m != NULL && strstr(m, "is a symbolic link to /tmp/netlab-harness-") != NULL &&
              strstr(m, "the grader grades only a real lab folder, never a link to one") !=
                  NULL, "%s", m ? m : "(passed)");
    expect_nothing_left();
    free_results(r, named_lab.nchecks);
    free(r);
    remove_tree(&linked);
    remove_tree(&t);
}

/* ==== UDP =================================================================== */

TestSuite(udp, .timeout = 30);

/* Upper-cases and returns every datagram, from any sender. */
static const char udp_server_py[] =
    "#!/usr/bin/env python3\n"
    "import socket, sys\n"
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
    "s.bind(('127.0.0.1', int(sys.argv[1])))\n"
    "while True:\n"
    "    data, sender = s.recvfrom(65535)\n"
    "    s.sendto(data.upper(), sender)\n";

/* Sends one datagram to HOST PORT and prints the reply. */
static const char udp_client_py[] =
    "#!/usr/bin/env python3\n"
    "import socket, sys\n"
    "addr = socket.getaddrinfo(sys.argv[1], int(sys.argv[2]), type=socket.SOCK_DGRAM)[0]\n"
    "s = socket.socket(addr[0], socket.SOCK_DGRAM)\n"
    "s.sendto(b'hello over udp', addr[4])\n"
    "print('reply:', s.recv(100).decode(), flush=True)\n";

static void expect_datagram(struct check *c, struct udp *u, const char *want, size_t len)
{
    static char got[65536];
    ssize_t n = udp_receive(c, u, got, sizeof got, now_ms() + 2000);
    if (n != (ssize_t)len || memcmp(got, want, len) != 0)
        fail(c, "expected a datagram of %zu bytes, got %zd", len, n);
}

/* Datagrams to a server and back: a short one, an empty one, the largest. */
static void udp_round_trips(struct check *c)
{
    struct program *srv = start_udp_server(c, NULL);
    struct udp *u = udp_to(c, srv);
    udp_send(c, u, "ping 1", 6);
    expect_datagram(c, u, "PING 1", 6);
    udp_send(c, u, "", 0);
    expect_datagram(c, u, "", 0);
    static char big[65507], upper[65507];
    for (size_t i = 0; i < sizeof big; i++) {
        big[i] = (char)('a' + i % 26);
        upper[i] = (char)('A' + i % 26);
    }
    udp_send(c, u, big, sizeof big);
    expect_datagram(c, u, upper, sizeof upper);
}

/* The grader as the server of a client given "localhost": it answers,
 * 50 ms late, the address the datagram came from. */
static void udp_answers_a_client(struct check *c)
{
    struct udp *u = udp_listen(c);
    struct program *cl = start_client(c, udp_port(u), NULL);
    char got[100];
    ssize_t n = udp_receive(c, u, got, sizeof got, now_ms() + 2000);
    if (n != 14 || memcmp(got, "hello over udp", 14) != 0)
        fail(c, "the client's datagram did not arrive");
    int64_t sent = now_ms();
    udp_send_later(c, u, "late, but here", 14, 50);
    expect_output_line(c, cl, "reply: late, but here");
    if (now_ms() - sent < 50)
        fail(c, "the delayed reply left early");
    expect_exit(c, cl, 0);
}

static const struct check_def udp_checks[] = {
    { "round-trips", 1, 3000, "datagrams go and come back", "-", udp_round_trips },
    { "answers-a-client", 1, 3000, "the grader answers a client", "-", udp_answers_a_client },
};
static const struct lab_def udp_lab = { SELF_LAB, "udp", udp_checks, COUNT_OF(udp_checks), 0 };

Test(udp, datagrams_both_ways)
{
    struct tree t;
    make_tree(&t);
    share();
    write_program(&t, "server", udp_server_py);
    write_program(&t, "client", udp_client_py);
    double seconds;
    struct check_result *r = grade(&t, &udp_lab, 2, &seconds);
    for (size_t i = 0; i < COUNT_OF(udp_checks); i++)
        cr_expect(r[i].passed, "%s: %s\n%s", udp_checks[i].name, r[i].message,
                  r[i].transcript);
    free_results(r, COUNT_OF(udp_checks));
    free(r);
    remove_tree(&t);
}

/* ==== cgroups: graders in other PID namespaces ============================= */

static struct {
    char prefix[32];
    char found[PATH_MAX];
} own_cgroup;

static int note_own_cgroup(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    if (type == FTW_D && strncmp(path + ftw->base, own_cgroup.prefix,
                                 strlen(own_cgroup.prefix)) == 0) {
        snprintf(own_cgroup.found, sizeof own_cgroup.found, "%s", path);
        return 1;
    }
    return 0;
}

/*
 * A grader removes the folders of graders that are gone, but only those of
 * its own PID namespace: there a PID names a process; in another (CI's
 * fresh root, a container), the same number is someone else, and removing
 * a live grader's folders made its checks fall back to rlimits.
 */
Test(cgroups, a_grader_removes_stale_folders_of_its_own_pid_namespace_only)
{
    if (geteuid() != 0)
        cr_skip_test("only root makes cgroups here");
    cgroups_open();
    snprintf(own_cgroup.prefix, sizeof own_cgroup.prefix, "netlab-%ld-", (long)getpid());
    own_cgroup.found[0] = '\0';
    nftw("/sys/fs/cgroup", note_own_cgroup, 16, FTW_PHYS);
    if (own_cgroup.found[0] == '\0') {
        cgroups_close();
        cr_skip_test("this system gives the grader no cgroup");
    }
    char base[PATH_MAX], ours[PATH_MAX + 64], theirs[PATH_MAX + 64];
    snprintf(base, sizeof base, "%.*s", (int)(strrchr(own_cgroup.found, '/') -
                                               own_cgroup.found), own_cgroup.found);
    const char *ns = strrchr(own_cgroup.found, '-') + 1;
    int gone = 4000000;                 /* a PID no process has, here */
    while (kill(gone, 0) == 0 || errno != ESRCH)
        gone--;
    snprintf(ours, sizeof ours, "%s/netlab-%d-%s", base, gone, ns);
    snprintf(theirs, sizeof theirs, "%s/netlab-%d-1", base, gone);
    cr_assert_eq(mkdir(ours, 0755), 0, "%s: %s", ours, strerror(errno));
    cr_assert_eq(mkdir(theirs, 0755), 0, "%s: %s", theirs, strerror(errno));
    cgroups_close();
    cgroups_open();                     /* removes what gone graders left */
    cgroups_close();
    struct stat st;
    bool ours_left = stat(ours, &st) == 0, theirs_left = stat(theirs, &st) == 0;
    rmdir(ours);
    rmdir(theirs);
    cr_expect(!ours_left, "%s, of a gone grader of this PID namespace, was kept", ours);
    cr_expect(theirs_left, "%s, of another PID namespace, was removed", theirs);
}
