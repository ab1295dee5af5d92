/*
 * diagram.c - a check's sequence diagram from its event log (diagram.h):
 * a column per actor, time running down, an arrow a row.  The log is read
 * as untrusted text: a program's bytes are in it, and a log may be cut or
 * made by hand, so every field is cleaned again here before it is shown
 * (printable ASCII, and only the UTF-8 characters whose width on a
 * terminal is known; every other byte as \xNN), and every width is
 * counted in display cells.
 */
#include "diagram.h"

#include "buf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EVENTS 20000 /* more than a full log holds: a bound for hand-made ones */
#define MAX_COLUMNS 10   /* actors past these share the last column */
#define MAX_ROWS 60      /* a text diagram shows its first and last rows... */
#define HEAD_ROWS 12     /* ...these first, the rest last */
#define TIME_CELLS 8     /* "99999.9 " */

/* ---- Reading the log ---------------------------------------------------- */

/* Copies the field at *P, up to a tab (passed) or the end, into OUT of SIZE. */
static bool take_field(const char **p, const char *end, char *out, size_t size)
{
    const char *tab = memchr(*p, '\t', (size_t)(end - *p));
    if (tab == NULL)
        return false;
    size_t n = (size_t)(tab - *p) < size - 1 ? (size_t)(tab - *p) : size - 1;
    memcpy(out, *p, n);
    out[n] = '\0';
    *p = tab + 1;
    return true;
}

/* One line [P, END) into *E; false if it is not an event. */
static bool parse_line(const char *p, const char *end, struct diagram_event *e)
{
    char ms[32], conn[16], len[32];
    *e = (struct diagram_event){ 0 };
    if (!take_field(&p, end, ms, sizeof ms) || !take_field(&p, end, e->kind, sizeof e->kind) ||
        !take_field(&p, end, e->from, sizeof e->from) ||
        !take_field(&p, end, e->to, sizeof e->to) || !take_field(&p, end, conn, sizeof conn) ||
        !take_field(&p, end, len, sizeof len))
        return false;
    char *stop;
    e->ms = strtod(ms, &stop);
    if (stop == ms || e->ms != e->ms) /* none, or NaN */
        return false;
    e->len = (size_t)strtoull(len, &stop, 10);
    long number = strtol(conn, &stop, 10);
    e->conn = number > 0 && number < 100000 ? (int)number : 0;
    e->text = xmalloc((size_t)(end - p) + 1);
    memcpy(e->text, p, (size_t)(end - p));
    e->text[end - p] = '\0';
    return true;
}

size_t parse_events(const char *log, struct diagram_event **out)
{
    size_t n = 0;
    *out = NULL;
    for (const char *p = log; p != NULL && *p != '\0' && n < MAX_EVENTS;) {
        const char *nl = strchr(p, '\n');
        const char *end = nl != NULL ? nl : p + strlen(p);
        *out = xrealloc(*out, (n + 1) * sizeof **out);
        if (parse_line(p, end, &(*out)[n]))
            n++;
        p = nl != NULL ? nl + 1 : NULL;
    }
    return n;
}

void free_events(struct diagram_event *events, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(events[i].text);
    free(events);
}

/* ---- Cleaning and measuring text --------------------------------------- */

/* How a diagram is drawn: the text report stays printable ASCII (report.c
 * promises it: a terminal in any locale shows it right), while the SVG
 * shows the characters whose width is known as they are. */
struct style {
    bool utf8;        /* known-width UTF-8 characters shown as they are */
    const char *more; /* where a text was cut */
};

static const struct style text_style = { false, "..." };
static const struct style svg_style = { true, "…" };

/* The display width of CP where this file is sure of it (1 or 2), else 0:
 * the character is then shown as bytes.  Only fully assigned blocks, so
 * that no terminal disagrees. */
static int known_width(uint32_t cp)
{
    static const struct {
        uint32_t from, to;
        int width;
    } blocks[] = {
        { 0xa1, 0xac, 1 },     { 0xae, 0x2ff, 1 },    /* Latin (no soft hyphen) */
        { 0x391, 0x3a1, 1 },   { 0x3a3, 0x3c9, 1 },   /* Greek letters */
        { 0x400, 0x482, 1 },   { 0x48a, 0x4ff, 1 },   /* Cyrillic, no combining */
        { 0x3041, 0x3096, 2 }, { 0x30a1, 0x30fa, 2 }, /* kana */
        { 0x4e00, 0x9fa5, 2 }, { 0xac00, 0xd7a3, 2 }, /* CJK ideographs, Hangul */
    };
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++)
        if (cp >= blocks[i].from && cp <= blocks[i].to)
            return blocks[i].width;
    return 0;
}

/* The code point of the valid UTF-8 character of N bytes at S. */
static uint32_t code_point(const unsigned char *s, size_t n)
{
    uint32_t cp = n == 1 ? s[0] : s[0] & (0x7f >> n);
    for (size_t i = 1; i < n; i++)
        cp = (cp << 6) | (s[i] & 0x3f);
    return cp;
}

/* Appends the N bytes at S as they may be shown: printable ASCII (and in
 * UTF-8 style the known-width characters) as they are, every other byte
 * as \xNN. */
static void clean(struct buf *out, const char *s, size_t n, const struct style *st)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = p[i] >= 0x80 ? utf8_length(p + i, n - i) : 1;
        if (st->utf8 && k > 1 && known_width(code_point(p + i, k)) > 0) {
            buf_append(out, p + i, k);
            i += k;
        } else if (p[i] >= 0x20 && p[i] < 0x7f) {
            buf_append(out, p + i, 1);
            i++;
        } else {
            buf_printf(out, "\\x%02x", p[i++]);
        }
    }
}

/* Bytes and cells of the character at S (cleaned text, or this file's own
 * symbols: one cell each). */
static size_t char_at(const char *s, int *cells)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t k = p[0] >= 0x80 ? utf8_length(p, strnlen(s, 4)) : 1;
    if (k == 0)
        k = 1;
    int w = k > 1 ? known_width(code_point(p, k)) : 1;
    *cells = w > 0 ? w : 1;
    return k;
}

static int cells_of(const char *s)
{
    int total = 0, w;
    for (size_t i = 0; s[i] != '\0'; total += w)
        i += char_at(s + i, &w);
    return total;
}

/* Appends S cut to at most MAX cells; returns the cells appended. */
static int put_cells(struct buf *out, const char *s, int max)
{
    int used = 0, w;
    for (size_t i = 0, k; s[i] != '\0'; i += k) {
        k = char_at(s + i, &w);
        if (used + w > max)
            break;
        buf_append(out, s + i, k);
        used += w;
    }
    return used;
}

/* Appends S in at most MAX cells, ending in the style's mark where it had
 * to be cut. */
static void put_fitted(struct buf *out, const char *s, int max, const struct style *st)
{
    int mark = cells_of(st->more);
    if (cells_of(s) <= max) {
        buf_puts(out, s);
    } else if (max >= mark) {
        put_cells(out, s, max - mark);
        buf_puts(out, st->more);
    }
}

/* How many bytes an escaped text stands for (\xNN, \n: one each). */
static size_t raw_length(const char *t)
{
    size_t n = 0, i = 0;
    while (t[i] != '\0') {
        if (t[i] == '\\' && t[i + 1] == 'x' && t[i + 2] && t[i + 3])
            i += 4;
        else if (t[i] == '\\' && t[i + 1] != '\0')
            i += 2;
        else
            i++;
        n++;
    }
    return n;
}

/* ---- Rows: the events, folded, as a diagram shows them ----------------- */

struct row {
    double ms;
    int from, to;      /* columns; TO -1: a mark on FROM's lifeline */
    int conn;          /* the connection, or 0 */
    const char *glyph; /* the mark's, or NULL for an arrow */
    const char *word;  /* what it is: "stdout", "close (FIN)" */
    struct buf text;   /* cleaned payload or detail, or empty */
    bool payload;      /* TEXT is bytes moved: quoted, with their length */
    bool cut;          /* ...of which the log kept only a head */
    size_t len, pieces;
    char verdict; /* 'F' fail, 'P' pass, 'U' untestable, 'M' more, or 0 */
};

struct diagram {
    char names[MAX_COLUMNS][24];
    int ncolumns;
    struct row *rows;
    size_t nrows;
    bool connections; /* more than one: rows say which ("#2") */
    const struct style *st;
};

static int column_of(struct diagram *d, const char *name)
{
    if (name[0] == '\0')
        return -1;
    for (int i = 0; i < d->ncolumns; i++)
        if (strcmp(d->names[i], name) == 0)
            return i;
    if (d->ncolumns == MAX_COLUMNS) { /* the last column stands for the rest */
        snprintf(d->names[MAX_COLUMNS - 1], sizeof d->names[0], "others");
        return MAX_COLUMNS - 1;
    }
    snprintf(d->names[d->ncolumns], sizeof d->names[0], "%s", name);
    return d->ncolumns++;
}

struct kind {
    const char *name, *word, *glyph; /* glyph: a mark, not an arrow */
    bool payload, folds, on_grader;  /* on_grader: the mark is the grader's */
};

static const struct kind kinds[] = {
    { "data", "", NULL, true, true, false },
    { "stdin", "stdin ", NULL, true, true, false },
    { "stdout", "stdout ", NULL, true, true, false },
    { "stderr", "stderr ", NULL, true, true, false },
    { "dgram", "datagram ", NULL, true, false, false },
    { "dup", "DUPLICATE datagram ", NULL, true, false, false },
    { "late", "LATE datagram ", NULL, true, false, false },
    { "open", "connect: ", NULL, false, false, false },
    { "shut", "half-close (SHUT_WR)", NULL, false, false, false },
    { "close", "close (FIN)", NULL, false, false, false },
    { "reset", "RESET (RST)", NULL, false, false, false },
    { "error", "error: ", NULL, false, false, false },
    { "start", "start: ", NULL, false, false, false },
    { "stdin-eof", "stdin: end of input", NULL, false, false, false },
    { "signal", "", NULL, false, false, false },
    { "exit", "", "#", false, false, false },
    { "delay", "sends later: ", "o", false, false, true },
    { "drop", "grader DROPS it, never answers: ", "X", false, false, true },
};

static const struct kind *kind_of(const char *name)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].name, name) == 0)
            return &kinds[i];
    return NULL;
}

/* Whether E continues the row R (consecutive bytes, one way, one kind). */
static bool folds_into(const struct row *r, const struct kind *k,
                       const struct diagram_event *e, int from, int to)
{
    return r != NULL && k->folds && r->verdict == 0 && r->word == k->word && r->from == from &&
           r->to == to && r->conn == e->conn;
}

static void add_bytes(const struct diagram *d, struct row *r, const struct diagram_event *e)
{
    /* A later piece follows on only from whole ones; a long fold shows its
     * head. */
    if (r->cut || r->text.len > 1024) {
        r->cut = true;
    } else {
        clean(&r->text, e->text, strlen(e->text), d->st);
        r->cut = raw_length(e->text) < e->len;
    }
    r->len += e->len;
    r->pieces++;
}

/* Datagrams held back one after the other, as one row: "150 ms to 1200
 * ms (8 datagrams)". */
static void fold_delay(const struct diagram *d, struct row *r, const struct diagram_event *e)
{
    r->pieces = r->pieces ? r->pieces + 1 : 2;
    char *to = strstr(r->text.data ? r->text.data : "", " to ");
    if (to != NULL)
        r->text.len = (size_t)(to - r->text.data), *to = '\0';
    buf_puts(&r->text, " to ");
    clean(&r->text, e->text, strlen(e->text), d->st);
    buf_printf(&r->text, " (%zu datagrams)", r->pieces);
}

static struct row *new_row(struct diagram *d, double ms)
{
    d->rows = xrealloc(d->rows, (d->nrows + 1) * sizeof *d->rows);
    struct row *r = &d->rows[d->nrows++];
    *r = (struct row){ .ms = ms, .from = -1, .to = -1 };
    return r;
}

/* A text's escaped quotes as quotes: it is not shown between quotes. */
static void unquote(struct buf *b)
{
    for (char *q; b->data != NULL && (q = strstr(b->data, "\\\"")) != NULL; b->len--)
        memmove(q, q + 1, strlen(q + 1) + 1);
}

static void add_verdict(struct diagram *d, const struct diagram_event *e)
{
    struct row *r = new_row(d, e->ms);
    r->verdict = strcmp(e->kind, "fail") == 0   ? 'F'
                 : strcmp(e->kind, "pass") == 0 ? 'P'
                 : strcmp(e->kind, "more") == 0 ? 'M'
                                                : 'U';
    r->len = e->len;
    clean(&r->text, e->text, strlen(e->text), d->st);
    unquote(&r->text);
}

/* The text of a row that moves no bytes: a program's own mark names it
 * ("server exited with status 1"), as its column may be shared. */
static void set_detail(const struct diagram *d, struct row *r, const struct kind *k,
                       const struct diagram_event *e)
{
    if (!k->on_grader && k->glyph != NULL) {
        clean(&r->text, e->from, strlen(e->from), d->st);
        buf_puts(&r->text, " ");
    }
    clean(&r->text, e->text, strlen(e->text), d->st);
    unquote(&r->text);
}

static void add_event(struct diagram *d, const struct diagram_event *e)
{
    const struct kind *k = kind_of(e->kind);
    if (k == NULL) {
        if (strcmp(e->kind, "fail") == 0 || strcmp(e->kind, "pass") == 0 ||
            strcmp(e->kind, "untestable") == 0 || strcmp(e->kind, "more") == 0)
            add_verdict(d, e);
        return; /* a kind this file does not know */
    }
    int from = column_of(d, k->on_grader ? "grader" : e->from);
    int to = k->glyph != NULL ? -1 : column_of(d, e->to);
    if (from < 0 || (k->glyph == NULL && (to < 0 || to == from)))
        return; /* an arrow needs two ends */
    struct row *last = d->nrows > 0 ? &d->rows[d->nrows - 1] : NULL;
    if (strcmp(k->name, "delay") == 0 && last != NULL && last->word == k->word) {
        fold_delay(d, last, e);
        return;
    }
    if (!folds_into(last, k, e, from, to)) {
        last = new_row(d, e->ms);
        *last = (struct row){ .ms = e->ms,
                              .from = from,
                              .to = to,
                              .conn = e->conn,
                              .glyph = k->glyph,
                              .word = k->word,
                              .payload = k->payload };
        if (!k->payload) {
            set_detail(d, last, k, e);
            return;
        }
    }
    add_bytes(d, last, e);
}

static void build(struct diagram *d, const char *log, const struct style *st)
{
    struct diagram_event *events;
    size_t n = parse_events(log, &events);
    *d = (struct diagram){ .st = st };
    column_of(d, "grader"); /* first, as the one that acts */
    for (size_t i = 0; i < n; i++) {
        add_event(d, &events[i]);
        d->connections |= events[i].conn > 1;
    }
    free_events(events, n);
}

static void free_diagram(struct diagram *d)
{
    for (size_t i = 0; i < d->nrows; i++)
        buf_free(&d->rows[i].text);
    free(d->rows);
}

/* R's payload's length, where the label must give it: " (2048 bytes)". */
static void put_size(char *out, size_t size, const struct row *r, bool always)
{
    out[0] = '\0';
    if (r->pieces > 1)
        snprintf(out, size, " (%zu %s, %zu pieces)", r->len,
                 plural_of((long long)r->len, "byte", "bytes"), r->pieces);
    else if (always)
        snprintf(out, size, " (%zu %s)", r->len,
                 plural_of((long long)r->len, "byte", "bytes"));
}

/* R's label in at most MAX cells: `stdout "hello wor…" (2048 bytes)`; on
 * one of D's several connections, which first: `#2 "TIME\n"`. */
static void put_label(struct buf *out, const struct diagram *d, const struct row *r, int max)
{
    struct buf all = { 0 };
    const char *text = r->text.data ? r->text.data : "";
    if (d->connections && r->conn > 0)
        buf_printf(&all, "#%d ", r->conn);
    buf_puts(&all, r->word);
    if (!r->payload) {
        buf_puts(&all, text);
        put_fitted(out, all.data, max, d->st);
        buf_free(&all);
        return;
    }
    char size[80];
    put_size(size, sizeof size, r, r->cut);
    int room = max - cells_of(all.data) - 2 - cells_of(size);
    bool whole = !r->cut && cells_of(text) <= room;
    if (!whole && size[0] == '\0') { /* cut for the width: say how long */
        put_size(size, sizeof size, r, true);
        room = max - cells_of(all.data) - 2 - cells_of(size);
    }
    buf_puts(&all, "\"");
    if (whole) {
        buf_puts(&all, text);
    } else if (room > cells_of(d->st->more)) {
        put_cells(&all, text, room - cells_of(d->st->more));
        buf_puts(&all, d->st->more);
    }
    buf_puts(&all, "\"");
    buf_puts(&all, size);
    put_fitted(out, all.data, max, d->st);
    buf_free(&all);
}

/* ---- Text ---------------------------------------------------------------- */

struct layout {
    int lane;  /* cells per column */
    int label; /* cells for the labels */
    int width;
};

static struct layout lay_out(const struct diagram *d, int width)
{
    struct layout l = { .width = width };
    int lanes = width - TIME_CELLS - 24; /* 24: the least a label gets */
    l.lane = lanes / d->ncolumns;
    if (l.lane > 12)
        l.lane = 12;
    if (l.lane < 3)
        l.lane = 3;
    l.label = width - TIME_CELLS - d->ncolumns * l.lane - 1;
    return l;
}

/* One row's lanes: lifelines, and R's arrow or mark, as glyphs. */
static void put_lanes(struct buf *out, const struct diagram *d, const struct layout *l,
                      const struct row *r)
{
    int cells = d->ncolumns * l->lane;
    int a = r ? r->from * l->lane + l->lane / 2 : -1;
    int b = r && r->to >= 0 ? r->to * l->lane + l->lane / 2 : -1;
    int lo = a < b ? a : b, hi = a < b ? b : a;
    for (int x = 0; x < cells; x++) {
        bool lifeline = x % l->lane == l->lane / 2;
        const char *g = lifeline ? "|" : " ";
        if (r != NULL && r->glyph != NULL && x == a)
            g = r->glyph;
        else if (b >= 0 && x == b - 1 && a < b)
            g = ">";
        else if (b >= 0 && x == b + 1 && a > b)
            g = "<";
        else if (b >= 0 && x == a)
            g = "+";
        else if (b >= 0 && x > lo && x < hi)
            g = "-";
        buf_puts(out, g);
    }
}

static void put_time(struct buf *out, double ms)
{
    char t[32];
    ms = ms < 0 ? 0 : ms > 9999999 ? 9999999 : ms;
    snprintf(t, sizeof t, ms < 99999.9 ? "%7.1f " : "%7.0f ", ms);
    buf_printf(out, "%*s", TIME_CELLS, t);
}

static void end_line(FILE *f, struct buf *line)
{
    while (line->len > 0 && line->data[line->len - 1] == ' ') /* no trailing blanks */
        line->data[--line->len] = '\0';
    fputs(line->data ? line->data : "", f);
    fputc('\n', f);
    buf_reset(line);
}

/* The verdict, or the events left out, across the whole width: the
 * failure's first line or two (the message itself is above). */
static void put_verdict_text(FILE *f, const struct layout *l, const struct row *r)
{
    struct buf line = { 0 }, msg = { 0 };
    const char *what = r->verdict == 'F'   ? "X FAIL, expected here: "
                       : r->verdict == 'P' ? "PASS"
                       : r->verdict == 'U' ? "not testable: "
                                           : "... ";
    if (r->verdict == 'M')
        buf_printf(&msg, "%zu more %s not shown: the log was full", r->len,
                   plural_of((long long)r->len, "event", "events"));
    else if (r->verdict != 'P')
        buf_append(&msg, r->text.data ? r->text.data : "", r->text.len);
    /* Its first line (escaped: "\n" ends it), which says what was expected. */
    char *nl = msg.data != NULL ? strstr(msg.data, "\\n") : NULL;
    if (nl != NULL)
        *nl = '\0';
    put_time(&line, r->ms);
    buf_puts(&line, what);
    const char *rest = msg.data ? msg.data : "";
    int room = l->width - TIME_CELLS - cells_of(what);
    for (int n = 0; n < 2 && *rest != '\0'; n++) {
        size_t before = line.len;
        if (n == 1 || cells_of(rest) <= room) {
            put_fitted(&line, rest, room, &text_style);
            rest = "";
        } else { /* at a space, if there is one in the second half */
            put_cells(&line, rest, room);
            char *space = strrchr(line.data + before, ' ');
            if (space != NULL && space - (line.data + before) > room / 2)
                line.len = (size_t)(space - line.data), *space = '\0';
            rest += line.len - before;
            rest += *rest == ' ';
        }
        end_line(f, &line);
        buf_printf(&line, "%*s", TIME_CELLS + 2, "");
        room = l->width - TIME_CELLS - 2;
    }
    if (line.len > (size_t)TIME_CELLS + 2 || r->verdict == 'P')
        end_line(f, &line);
    buf_free(&line);
    buf_free(&msg);
}

static void put_row_text(FILE *f, const struct diagram *d, const struct layout *l,
                         const struct row *r)
{
    if (r->verdict) {
        put_verdict_text(f, l, r);
        return;
    }
    struct buf line = { 0 };
    put_time(&line, r->ms);
    put_lanes(&line, d, l, r);
    buf_puts(&line, " ");
    put_label(&line, d, r, l->label);
    end_line(f, &line);
    buf_free(&line);
}

/* The actors' names over their columns; first their whole names when a
 * column is too narrow for one. */
static void put_header_text(FILE *f, const struct diagram *d, const struct layout *l)
{
    struct buf line = { 0 }, key = { 0 };
    bool cut = false;
    buf_printf(&line, "%*s", TIME_CELLS, "ms ");
    for (int i = 0; i < d->ncolumns; i++) {
        struct buf name = { 0 };
        clean(&name, d->names[i], strlen(d->names[i]), &text_style);
        int w = cells_of(name.data);
        cut |= w > l->lane - 1;
        int shown = w < l->lane - 1 ? w : l->lane - 1;
        int left = (l->lane - shown) / 2;
        buf_printf(&line, "%*s", left, "");
        put_cells(&line, name.data, shown);
        buf_printf(&line, "%*s", l->lane - shown - left, "");
        buf_printf(&key, "%s%s", i ? ", " : "columns: ", name.data);
        buf_free(&name);
    }
    if (cut) {
        struct buf k = { 0 };
        put_fitted(&k, key.data, l->width, &text_style);
        end_line(f, &k);
        buf_free(&k);
    }
    end_line(f, &line);
    buf_free(&line);
    buf_free(&key);
}

void write_diagram_text(FILE *f, const char *events, int width)
{
    struct diagram d;
    build(&d, events, &text_style);
    if (d.nrows == 0) {
        free_diagram(&d);
        return;
    }
    struct layout l = lay_out(&d, width < 40 ? 40 : width);
    put_header_text(f, &d, &l);
    for (size_t i = 0; i < d.nrows; i++) {
        if (d.nrows > MAX_ROWS && i == HEAD_ROWS) {
            size_t skip = d.nrows - MAX_ROWS;
            fprintf(f, "%*s: %zu more %s (the transcript has every byte)\n", TIME_CELLS, "",
                    skip, plural_of((long long)skip, "row", "rows"));
            i += skip;
        }
        put_row_text(f, &d, &l, &d.rows[i]);
    }
    free_diagram(&d);
}

/* ---- SVG ----------------------------------------------------------------- */

#define SVG_LANE 120 /* pixels between lifelines */
#define SVG_ROW 22
#define SVG_TOP 72 /* the legend and the names above the first row */
#define SVG_LABEL_CELLS 90

/* Cleaned text as XML character data: nothing there is a control. */
static void put_xml(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

static int lane_x(int column)
{
    return 80 + column * SVG_LANE;
}

static void svg_text(FILE *f, int x, int y, const char *style, const char *text)
{
    fprintf(f, "<text x=\"%d\" y=\"%d\"%s>", x, y, style);
    put_xml(f, text);
    fputs("</text>\n", f);
}

static void svg_row(FILE *f, const struct diagram *d, const struct row *r, int y, int label_x)
{
    char t[32];
    struct buf label = { 0 };
    snprintf(t, sizeof t, "%.1f", r->ms);
    svg_text(f, 8, y + 4, " class=\"t\"", t);
    if (r->verdict) {
        const char *what = r->verdict == 'F'   ? "✗ FAIL, expected here: "
                           : r->verdict == 'P' ? "✓ PASS"
                           : r->verdict == 'U' ? "not testable: "
                                               : "… events not shown: the log was full";
        fprintf(f, "<line x1=\"60\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"%s\"/>\n", y,
                label_x - 10, y, r->verdict == 'F' ? "fail" : "mark");
        buf_puts(&label, what);
        if (r->verdict == 'F' || r->verdict == 'U')
            put_fitted(&label, r->text.data ? r->text.data : "",
                       SVG_LABEL_CELLS - cells_of(what), &svg_style);
        svg_text(f, label_x, y + 4, r->verdict == 'F' ? " class=\"failtext\"" : "",
                 label.data);
        buf_free(&label);
        return;
    }
    int a = lane_x(r->from);
    if (r->glyph != NULL) {
        fprintf(f, "<circle cx=\"%d\" cy=\"%d\" r=\"5\" class=\"%s\"/>\n", a, y,
                strcmp(r->glyph, "X") == 0 ? "fault" : "dot");
    } else {
        int b = lane_x(r->to), tip = b > a ? b - 8 : b + 8;
        fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"arrow\"/>\n", a, y,
                tip, y);
        fprintf(f, "<polygon points=\"%d,%d %d,%d %d,%d\" class=\"head\"/>\n", b, y, tip,
                y - 4, tip, y + 4);
    }
    put_label(&label, d, r, SVG_LABEL_CELLS);
    svg_text(f, label_x, y + 4, "", label.data);
    buf_free(&label);
}

void write_diagram_svg(FILE *f, const char *events)
{
    struct diagram d;
    build(&d, events, &svg_style);
    if (d.nrows == 0) {
        free_diagram(&d);
        return;
    }
    int label_x = lane_x(d.ncolumns - 1) + 40;
    int width = label_x + SVG_LABEL_CELLS * 8 + 20; /* 12 px monospace: 7.2 px a cell */
    int height = SVG_TOP + (int)d.nrows * SVG_ROW + 10;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" role=\"img\" font-family=\"monospace\" font-size=\"12\" "
            "class=\"seq\">\n"
            /* A <style> in an HTML page is the whole page's: every selector
             * is kept to this drawing, where the page's own classes (a
             * failed check's "fail") cannot match it, and the drawing sets
             * what it inherits from the page. */
            "<style>svg.seq{fill:#222;stroke:none}svg.seq .t{fill:#666}"
            "svg.seq .arrow{stroke:#222;stroke-width:1.5}svg.seq .head{fill:#222}"
            "svg.seq .life{stroke:#bbb;stroke-dasharray:4 3}svg.seq .dot{fill:#444}"
            "svg.seq .fault{fill:#c00}svg.seq .fail{stroke:#c00;stroke-width:2}"
            "svg.seq .failtext{fill:#c00;font-weight:bold}svg.seq .mark{stroke:#888}"
            "svg.seq .name{font-weight:bold}</style>\n",
            width, height, width, height);
    svg_text(f, 8, 16, "",
             "Time (ms) runs down. Each arrow is one message from one party to another,");
    svg_text(f, 8, 30, "",
             "labelled with what it carried (cut short, with its length). Red: where the "
             "check failed.");
    for (int i = 0; i < d.ncolumns; i++) {
        struct buf name = { 0 };
        clean(&name, d.names[i], strlen(d.names[i]), &svg_style);
        fprintf(f, "<text x=\"%d\" y=\"56\" text-anchor=\"middle\" class=\"name\">",
                lane_x(i));
        put_xml(f, name.data);
        fputs("</text>\n", f);
        fprintf(f, "<line x1=\"%d\" y1=\"62\" x2=\"%d\" y2=\"%d\" class=\"life\"/>\n",
                lane_x(i), lane_x(i), height - 4);
        buf_free(&name);
    }
    for (size_t i = 0; i < d.nrows; i++)
        svg_row(f, &d, &d.rows[i], SVG_TOP + (int)i * SVG_ROW + SVG_ROW / 2, label_x);
    fputs("</svg>\n", f);
    free_diagram(&d);
}
