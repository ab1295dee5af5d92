/* buf.c - byte buffers and safe display of untrusted bytes. */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        /* The grader cannot report anything without memory: stop loudly. */
        fputs("grade: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL) {
        fputs("grade: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL) {
        fputs("grade: out of memory\n", stderr);
        abort();
    }
    return p;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

static void reserve(struct buf *b, size_t extra)
{
    if (b->data != NULL && b->len + extra < b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap <= b->len + extra)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void buf_append(struct buf *b, const void *data, size_t len)
{
    if (b->limit && b->len + len > b->limit) {
        size_t room = b->limit > b->len ? b->limit - b->len : 0;
        b->dropped += len - room;
        len = room;
    }
    reserve(b, len);
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return;
    char *tmp = xmalloc((size_t)n + 1);
    vsnprintf(tmp, (size_t)n + 1, fmt, ap);
    buf_append(b, tmp, (size_t)n);
    free(tmp);
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void buf_consume(struct buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
    } else {
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
    }
    if (b->data)
        b->data[b->len] = '\0';
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    b->dropped = 0;
    if (b->data)
        b->data[0] = '\0';
}

void buf_free(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = b->dropped = 0;
}

size_t utf8_length(const unsigned char *s, size_t avail)
{
    if (avail == 0)
        return 0;
    if (s[0] < 0x80)
        return 1;
    size_t n = s[0] >= 0xc2 && s[0] <= 0xdf   ? 2
               : s[0] >= 0xe0 && s[0] <= 0xef ? 3
               : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
                                              : 0;
    if (n == 0 || n > avail)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    /* Reject overlong forms, surrogates and code points past U+10FFFF. */
    if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (n == 3 && s[0] == 0xed && s[1] >= 0xa0) ||
        (n == 4 && s[0] == 0xf0 && s[1] < 0x90) || (n == 4 && s[0] == 0xf4 && s[1] >= 0x90))
        return 0;
    /* Shown as bytes too: U+FFFE and U+FFFF, which XML forbids, and the C1
     * controls U+0080-U+009F, which some terminals obey like ESC. */
    if ((n == 3 && s[0] == 0xef && s[1] == 0xbf && s[2] >= 0xbe) ||
        (n == 2 && s[0] == 0xc2 && s[1] < 0xa0))
        return 0;
    return n;
}

static void escape_byte(struct buf *out, unsigned char ch)
{
    switch (ch) {
    case '\n':
        buf_puts(out, "\\n");
        return;
    case '\r':
        buf_puts(out, "\\r");
        return;
    case '\t':
        buf_puts(out, "\\t");
        return;
    case '\\':
        buf_puts(out, "\\\\");
        return;
    case '"':
        buf_puts(out, "\\\"");
        return;
    case '\0':
        buf_puts(out, "\\0");
        return;
    }
    if (ch >= 0x20 && ch < 0x7f) {
        char c = (char)ch;
        buf_append(out, &c, 1);
    } else {
        buf_printf(out, "\\x%02x", ch);
    }
}

/* How many bytes of the valid UTF-8 character, or the one byte, at P[I]. */
static size_t char_bytes(const unsigned char *p, size_t i, size_t to)
{
    size_t n = p[i] >= 0x80 ? utf8_length(p + i, to - i) : 0;
    return n > 1 ? n : 1;
}

/* Characters escape_byte or a whole UTF-8 character take for P[I] (N bytes). */
static size_t char_width(const unsigned char *p, size_t i, size_t n)
{
    if (n > 1)
        return 1;
    switch (p[i]) {
    case '\n':
    case '\r':
    case '\t':
    case '\\':
    case '"':
    case '\0':
        return 2;
    }
    return p[i] >= 0x20 && p[i] < 0x7f ? 1 : 4;
}

/* Escapes P[FROM..TO) into OUT, passing whole, valid UTF-8 characters. */
static void escape_range(struct buf *out, const unsigned char *p, size_t from, size_t to)
{
    for (size_t i = from; i < to;) {
        size_t n = char_bytes(p, i, to);
        if (n > 1) {
            buf_append(out, p + i, n);
            i += n;
        } else {
            escape_byte(out, p[i++]);
        }
    }
}

size_t escaped_width(const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t width = 0;
    for (size_t i = 0; i < len;) {
        size_t n = char_bytes(p, i, len);
        width += char_width(p, i, n);
        i += n;
    }
    return width;
}

void buf_escape_bytes(struct buf *out, const void *data, size_t len, size_t max)
{
    const unsigned char *p = data;
    size_t shown = len < max ? len : max;
    buf_puts(out, "\"");
    escape_range(out, p, 0, shown);
    buf_puts(out, "\"");
    if (shown < len)
        buf_printf(out, " ... (%zu more bytes)", len - shown);
}

void buf_escape(struct buf *out, const void *data, size_t len, size_t max)
{
    const unsigned char *p = data;
    if (len <= max) { /* room for all of it, however wide */
        buf_escape_bytes(out, data, len, max);
        return;
    }
    size_t shown = 0, width = 0;
    while (shown < len) {
        size_t n = char_bytes(p, shown, len);
        /* \xNN counts for four: text as before, random bytes cut short. */
        size_t w = char_width(p, shown, n) == 4 ? 4 : 1;
        if (width + w > max)
            break;
        width += w;
        shown += n;
    }
    buf_puts(out, "\"");
    escape_range(out, p, 0, shown);
    buf_puts(out, "\"");
    if (shown < len)
        buf_printf(out, " ... (%zu %s in all)", len,
                   plural_of((long long)len, "byte", "bytes"));
}

const char *plural_of(long long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

void buf_count(struct buf *b, long long n, const char *one, const char *many)
{
    buf_printf(b, "%lld %s", n, plural_of(n, one, many));
}

void buf_escape_window(struct buf *out, const void *data, size_t len, size_t offset,
                       size_t context)
{
    const unsigned char *p = data;
    size_t from = offset > context ? offset - context : 0;
    size_t to = offset + context < len ? offset + context : len;
    if (from > 0)
        buf_printf(out, "(%zu %s) ", from, plural_of((long long)from, "byte", "bytes"));
    buf_puts(out, "\"");
    escape_range(out, p, from, to);
    buf_puts(out, "\"");
    if (to < len)
        buf_printf(out, " (%zu more bytes)", len - to);
}

/* 1 + 4 * MAX + 1 characters at most between and with the quotes (a
 * character shown may be a 4-byte UTF-8 one or a \xNN), then
 * " ... (N bytes in all)" and the NUL: ESCAPED_SIZE's 48 over 4 * MAX. */
char *escape_into(char *out, size_t size, const void *data, size_t len)
{
    struct buf b = { 0 };
    buf_escape(&b, data, len, size > 48 ? (size - 48) / 4 : 0);
    snprintf(out, size, "%s", b.data);
    buf_free(&b);
    return out;
}

char *escape_text(char *out, size_t size, const char *text)
{
    return escape_into(out, size, text, strlen(text));
}

size_t first_difference(const void *a, size_t alen, const void *b, size_t blen)
{
    const unsigned char *x = a, *y = b;
    size_t i = 0;
    while (i < alen && i < blen && x[i] == y[i])
        i++;
    return i;
}

static void show_byte(struct buf *msg, const unsigned char *p, size_t len, size_t i)
{
    if (i >= len) {
        buf_puts(msg, "end of data");
        return;
    }
    buf_escape(msg, p + i, 1, 1);
    buf_printf(msg, " (0x%02x)", p[i]);
}

void describe_difference(struct buf *msg, const void *expected, size_t elen, const void *got,
                         size_t glen)
{
    const unsigned char *e = expected, *g = got;
    size_t i = first_difference(e, elen, g, glen);
    if (i == elen && i == glen)
        return;
    /* Whole where both are short (random bytes, each \xNN, count for
     * four); else their lengths and the bytes around the first difference. */
    if (elen <= 120 && glen <= 120 && escaped_width(e, elen) <= 240 &&
        escaped_width(g, glen) <= 240) {
        buf_puts(msg, "  expected: ");
        buf_escape_bytes(msg, e, elen, elen);
        buf_puts(msg, "\n  got:      ");
        buf_escape_bytes(msg, g, glen, glen);
        buf_puts(msg, "\n");
    } else {
        buf_puts(msg, "  expected ");
        buf_count(msg, (long long)elen, "byte", "bytes");
        buf_printf(msg, ", got %zu\n", glen);
        buf_puts(msg, "  expected around there: ");
        buf_escape_window(msg, e, elen, i, 16);
        buf_puts(msg, "\n  got around there:      ");
        buf_escape_window(msg, g, glen, i, 16);
        buf_puts(msg, "\n");
    }
    buf_printf(msg, "  first difference at byte %zu: expected ", i);
    show_byte(msg, e, elen, i);
    buf_puts(msg, ", got ");
    show_byte(msg, g, glen, i);
    buf_puts(msg, "\n");
}

bool has_text_in_line(const char *data, size_t len, const char *text)
{
    size_t want = strlen(text);
    for (size_t start = 0; start + want <= len;) {
        const char *nl = memchr(data + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - data) : len;
        for (size_t i = start; i + want <= end; i++)
            if (memcmp(data + i, text, want) == 0)
                return true;
        start = end + 1;
    }
    return false;
}

size_t count_lines(const char *data, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += data[i] == '\n';
    return n;
}

int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t now_ms(void)
{
    return now_us() / 1000;
}
