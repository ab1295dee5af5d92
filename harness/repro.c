/*
 * repro.c - writes the script that reproduces a failed check (repro.h):
 * a POSIX sh line that runs python3 on the file itself, the check's
 * replay log as Python data, and the engine, harness/repro.py, built in.
 * Every byte a submission controls (its folder's name, its programs'
 * bytes, the check's message) is written as an escaped Python bytes
 * literal, never raw, and never into a comment or a shell word.
 */
#include "repro.h"

#include "buf.h"
#include "lab.h"
#include "slot.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The engine, harness/repro.py, as a string (the assembler reads the file:
 * make rebuilds repro.o when it changes). */
__asm__(".section .rodata\n"
        ".global netlab_repro_engine\n"
        "netlab_repro_engine:\n"
        ".incbin \"harness/repro.py\"\n"
        ".byte 0\n"
        ".previous\n");
extern const char netlab_repro_engine[];

/* What a script says of itself, first: what it does and cannot do. */
static const char preamble[] =
    "#!/bin/sh\n"
    "''':'\n"
    "exec python3 \"$0\" \"$@\"\n"
    "'''\n"
    "# Reproduces a check of netlab's grader that failed: it starts the\n"
    "# programs of the lab folder (the one graded, or the folder given as its\n"
    "# argument) as the check did, plays the grader's side from the bytes\n"
    "# the check exchanged, and says whether they did the same again.\n"
    "#\n"
    "#     sh THIS_FILE [LAB_FOLDER]     (or: python3 THIS_FILE [LAB_FOLDER])\n"
    "#\n"
    "# Exit status: 1 and the check's message: the same failure; 0 and\n"
    "# \"did not reproduce: ...\": the programs did otherwise (fixed, or not\n"
    "# deterministic), and where; 2: the script could not run the check.\n"
    "#\n"
    "# What it cannot reproduce: the grader's sandbox (a root, a user and a\n"
    "# network of the check's own, memory and task limits); short reads and\n"
    "# writes forced inside the program, unless the kit's shortio.so is found\n"
    "# (NETLAB_SHORTIO names it; then it is preloaded as the check did);\n"
    "# exact timing (it waits as long between its steps as the grader did,\n"
    "# give or take the machine's load); a relay of the grader's between two\n"
    "# programs; a program the grader built itself.  Ports are new ones.\n"
    "# The data below is the check's record; the engine after it is the same\n"
    "# in every script (netlab's harness/repro.py).\n"
    "\n"
    "import os as _os\n";

/* DATA as a Python bytes literal: printable ASCII but ' and \ as it is,
 * every other byte as \xNN, so nothing in it can end the literal. */
static void put_bytes(FILE *f, const char *data, size_t len)
{
    fputs("b'", f);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)data[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '\'' && ch != '\\')
            fputc(ch, f);
        else
            fprintf(f, "\\x%02x", ch);
    }
    fputc('\'', f);
}

static void put_string_bytes(FILE *f, const char *s)
{
    put_bytes(f, s, strlen(s));
}

struct record {
    double ms;
    char kind[32];
    int conn;
    const char *from, *to, *data;
    size_t from_len, to_len, len;
};

/* The record at *AT of the log ending at END; advances *AT.  False at the
 * end or at a record it cannot read (a log is never cut inside one). */
static bool next_record(const char **at, const char *end, struct record *r)
{
    const char *p = *at, *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
    if (nl == NULL)
        return false;
    const char *tab[5], *q = p; /* MS KIND CONN FROM TO LEN: FROM and TO may be "" */
    for (int i = 0; i < 5; i++) {
        q = memchr(q, '\t', (size_t)(nl - q));
        if (q == NULL)
            return false;
        tab[i] = q++;
    }
    r->ms = strtod(p, NULL);
    snprintf(r->kind, sizeof r->kind, "%.*s", (int)(tab[1] - tab[0] - 1), tab[0] + 1);
    r->conn = atoi(tab[1] + 1);
    r->from = tab[2] + 1;
    r->from_len = (size_t)(tab[3] - tab[2] - 1);
    r->to = tab[3] + 1;
    r->to_len = (size_t)(tab[4] - tab[3] - 1);
    r->len = strtoul(tab[4] + 1, NULL, 10);
    if (r->len + 1 > (size_t)(end - nl - 1))
        return false; /* the bytes and their "\n" are not all there */
    r->data = nl + 1;
    *at = nl + 1 + r->len + 1;
    return true;
}

bool has_repro(const struct check_result *r)
{
    return !r->passed && !r->grader_error && r->replay != NULL && r->replay_len > 0;
}

/* Where the grader finds shortio.so: next to itself (grade.c). */
static void put_kit_shortio(FILE *f)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash != NULL)
            snprintf(slash + 1, sizeof self - (size_t)(slash + 1 - self), "shortio.so");
    }
    fputs("KIT_SHORTIO = ", f);
    put_string_bytes(f, n > 0 && access(self, R_OK) == 0 ? self : "");
    fputs("\nSHORTIO = next((_p for _p in (_os.environ.get('NETLAB_SHORTIO'), "
          "_os.fsdecode(KIT_SHORTIO)) if _p and _os.path.exists(_p)), None)\n",
          f);
}

/* The check's record as Python data: EVENTS and the constants the engine
 * reads. */
static void put_record(FILE *f, const struct check_result *r)
{
    struct buf name = { 0 };
    buf_printf(&name, "%s/%s", r->lab->id, r->def->name);
    fputs("CHECK = ", f);
    put_string_bytes(f, name.data);
    buf_free(&name);
    fputs("\nMESSAGE = ", f);
    put_string_bytes(f, r->message ? r->message : "");
    fprintf(f, "\nLIMIT = %.3f\nCUT = %s\nLOG_KIB = %d\n", r->def->timeout_ms / 1000.0,
            r->replay_cut ? "True" : "False", SLOT_REPLAY / 1024);
    put_kit_shortio(f);
    const char *at = r->replay, *end = r->replay + r->replay_len;
    struct record e;
    bool lab = false; /* the folder graded: its first program's */
    while (!lab && next_record(&at, end, &e))
        if (strcmp(e.kind, "lab") == 0) {
            fputs("LAB = ", f);
            put_bytes(f, e.data, e.len > 0 ? e.len - 1 : 0); /* its NUL */
            fputs("\n", f);
            lab = true;
        }
    if (!lab)
        fputs("LAB = b'.'\n", f);
    fputs("EVENTS = [\n", f);
    for (at = r->replay; next_record(&at, end, &e);) {
        fprintf(f, "    (%.1f, ", e.ms);
        put_string_bytes(f, e.kind);
        fprintf(f, ", %d, ", e.conn);
        put_bytes(f, e.from, e.from_len);
        fputs(", ", f);
        put_bytes(f, e.to, e.to_len);
        fputs(", ", f);
        put_bytes(f, e.data, e.len);
        fputs("),\n", f);
    }
    fputs("]\n", f);
}

void write_repro(FILE *f, const struct check_result *r)
{
    fputs(preamble, f);
    put_record(f, r);
    fputs(netlab_repro_engine, f);
}
