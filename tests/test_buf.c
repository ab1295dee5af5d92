/*
 * test_buf.c - unit tests of the grader's byte buffers (harness/buf.c):
 * escaping for people (every byte shown, UTF-8 kept, long text cut with a
 * count), counts in words, the lines a program printed, and the
 * description of the first difference between two byte strings.
 */
#include <criterion/criterion.h>

#include <ctype.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "internal.h"
#include "lab.h"
#include "unit.h"

TestSuite(buf, .init = ignore_sigpipe, .timeout = 10);

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
        case 'n':
            out[n++] = '\n';
            break;
        case 'r':
            out[n++] = '\r';
            break;
        case 't':
            out[n++] = '\t';
            break;
        case '0':
            out[n++] = '\0';
            break;
        case '\\':
            out[n++] = '\\';
            break;
        case '"':
            out[n++] = '"';
            break;
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

Test(buf, escape_of_every_byte_is_printable_and_round_trips)
{
    unsigned char all[256], back[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    struct buf b = { 0 };
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
        struct buf b = { 0 };
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
    static const struct {
        const char *in;
        size_t len;
        const char *shown;
    } cases[] = {
        { "caf\xc3\xa9 \xe2\x80\x94 \xe2\x82\xac", 13,
          "\"caf\xc3\xa9 \xe2\x80\x94 \xe2\x82\xac\"" },
        { "cut \xe2\x80", 6, "\"cut \\xe2\\x80\"" },
        { "\xc2\x9b"
          "31m",
          5, "\"\\xc2\\x9b31m\"" },
        { "\xff\xfe", 2, "\"\\xff\\xfe\"" },
        { "\xef\xbf\xbf", 3, "\"\\xef\\xbf\\xbf\"" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf b = { 0 };
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
    static const struct {
        unsigned char byte;
        const char *shown;
    } cases[] = {
        { '\n', "\"\\n\"" },   { '\r', "\"\\r\"" },   { '\t', "\"\\t\"" },
        { '\0', "\"\\0\"" },   { 0x1b, "\"\\x1b\"" }, { 0x7f, "\"\\x7f\"" },
        { 0x80, "\"\\x80\"" }, { 0xff, "\"\\xff\"" }, { 0x01, "\"\\x01\"" },
    };
    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        struct buf b = { 0 };
        buf_escape(&b, &cases[i].byte, 1, 1);
        cr_expect_str_eq(b.data, cases[i].shown, "byte 0x%02x", cases[i].byte);
        buf_free(&b);
    }
}

Test(buf, escape_truncates_and_counts_the_rest)
{
    char data[300];
    memset(data, 'a', sizeof data);
    struct buf b = { 0 };
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
        data[i] = (unsigned char)(0x80 | (x >> 26)); /* continuation bytes: never UTF-8 */
    }
    struct buf b = { 0 };
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
    describe_difference(&b, data, 100, other + 1, 100); /* 400 characters each: cut */
    cr_expect_not_null(strstr(b.data, "expected 100 bytes, got 100"), "%s", b.data);
    buf_reset(&b);
    describe_difference(&b, "a\n", 2, "b\n", 2); /* short text: whole */
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
    struct buf b = { 0 };
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
    struct buf b = { 0 };
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
    struct buf b = { 0 };
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
    struct buf b = { 0 };
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
                                 "\"t\" (0x74)"),
                       "%s", d);
    cr_expect_not_null(strstr(d, "expected: \"hello world\""), "%s", d);
    cr_expect_not_null(strstr(d, "got:      \"hello there\""), "%s", d);
    free(d);
}

Test(buf, describe_difference_shorter)
{
    char *d = difference("abcdef", 6, "abc", 3);
    cr_expect_not_null(strstr(d, "first difference at byte 3: expected \"d\" (0x64), got "
                                 "end of data"),
                       "%s", d);
    free(d);
    d = difference("abc", 3, NULL, 0);
    cr_expect_not_null(strstr(d, "first difference at byte 0: expected \"a\" (0x61), got "
                                 "end of data"),
                       "nothing received: %s", d);
    free(d);
}

Test(buf, describe_difference_longer)
{
    char *d = difference("abc", 3, "abcdef", 6);
    cr_expect_not_null(strstr(d, "first difference at byte 3: expected end of data, got "
                                 "\"d\" (0x64)"),
                       "%s", d);
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
    cr_expect_not_null(strstr(d, "(684 bytes) \""), "the window starts 16 bytes before: %s",
                       d);
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
