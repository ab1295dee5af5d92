/*
 * buf.h - growable byte buffers, clocks and the escaping of untrusted bytes
 * for display.  Everything a student program sends or prints passes through
 * buf_escape before it reaches a message, so reports stay printable ASCII.
 */
#ifndef NETLAB_BUF_H
#define NETLAB_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t limit;   /* 0: no limit; else bytes past it are dropped... */
    size_t dropped; /* ...and counted here */
};

void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
void buf_consume(struct buf *b, size_t n); /* drop n bytes from the front */
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

/*
 * Length of the valid, printable UTF-8 character at S (1-4), of the AVAIL
 * bytes there, or 0: invalid or cut sequences, U+FFFE and U+FFFF (not XML
 * characters) and the C1 controls U+0080-U+009F (some terminals obey them)
 * count as invalid.
 */
size_t utf8_length(const unsigned char *s, size_t avail);

/*
 * Appends DATA as a C-like quoted string: printable ASCII and valid UTF-8
 * characters as they are, \n \r \t \\ \" and \0 escaped, every other byte
 * as \xNN.  All of it when it is at most MAX bytes long; else a head of it
 * that takes at most MAX characters inside the quotes (MAX bytes of text, a
 * quarter as many of random bytes, each \xNN counting for four) and its
 * length: "... (N bytes in all)".
 */
void buf_escape(struct buf *out, const void *data, size_t len, size_t max);

/* The same, showing the first MAX bytes however wide they escape (the
 * transcripts', which show every byte up to their own limits). */
void buf_escape_bytes(struct buf *out, const void *data, size_t len, size_t max);

/* How many characters buf_escape takes to show all of DATA, quotes aside. */
size_t escaped_width(const void *data, size_t len);

/*
 * Counts in words: plural_of gives ONE when N is 1 and MANY otherwise;
 * buf_count appends "N ONE" or "N MANY" ("1 reply", "2 replies").  Every
 * count a message gives goes through them, never a blind "%d replies".
 */
const char *plural_of(long long n, const char *one, const char *many);
void buf_count(struct buf *b, long long n, const char *one, const char *many);

/* The same for a window of DATA around OFFSET (context bytes each side). */
void buf_escape_window(struct buf *out, const void *data, size_t len, size_t offset,
                       size_t context);

/*
 * buf_escape's display of DATA into the caller's array OUT of SIZE bytes,
 * cut so that it always fits: declare it `char out[ESCAPED_SIZE(MAX)]` to
 * show at most MAX characters, as buf_escape(..., MAX) does.  Returns OUT,
 * for a message's argument.
 */
#define ESCAPED_SIZE(max) (4 * (max) + 48)
char *escape_into(char *out, size_t size, const void *data, size_t len);
char *escape_text(char *out, size_t size, const char *text); /* a C string's */

/* How many leading bytes A and B have in common (the first difference's
 * offset, or the shorter length when one is a prefix of the other). */
size_t first_difference(const void *a, size_t alen, const void *b, size_t blen);

/*
 * Appends to MSG where GOT first differs from EXPECTED, for a failure
 * message: both whole where they are short, else their lengths and the
 * bytes around the difference; then the offset and the two bytes there
 * (or "end of data").  Nothing when they are equal.
 */
void describe_difference(struct buf *msg, const void *expected, size_t elen, const void *got,
                         size_t glen);

/* Whether TEXT stands within one line of the LEN bytes at DATA (not across
 * a newline; the last line may lack its "\n"). */
bool has_text_in_line(const char *data, size_t len, const char *text);

/* Number of complete lines ('\n') in DATA. */
size_t count_lines(const char *data, size_t len);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Monotonic clock in milliseconds and microseconds. */
int64_t now_ms(void);
int64_t now_us(void);

#endif
