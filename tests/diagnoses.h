/*
 * diagnoses.h - every diagnose() call of the grader's sources, found by
 * reading them: its cause, the lab of the file it is in (its LAB_ID; ""
 * in the grader's core, whose diagnoses keep the check's own hint) and the
 * section its HINT(...) names (NULL for none).  test_harness checks that
 * each section exists; test_grading, that each cause has a known-buggy
 * variant that shows it.  Header-only; run from the top of the kit.
 */
#ifndef NETLAB_TESTS_DIAGNOSES_H
#define NETLAB_TESTS_DIAGNOSES_H

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

struct diagnosis {
    char file[256];
    char lab[64]; /* "02-echo", or "" in the grader's core */
    char cause[64];
    char section[256]; /* "" for a NULL hint */
};

/* The string literal at P ("..."), into OUT; the end of it, or NULL. */
static inline const char *diagnosis_literal(const char *p, char *out, size_t size)
{
    p += strspn(p, " \t\n");
    if (*p != '"')
        return NULL;
    const char *end = strchr(p + 1, '"');
    if (end == NULL)
        return NULL;
    snprintf(out, size, "%.*s", (int)(end - p - 1), p + 1);
    return end + 1;
}

/* Adds the diagnoses of the source file PATH to *D (N so far); a call
 * whose cause or hint the reader cannot parse is one with cause "?". */
static inline void read_diagnoses(const char *path, struct diagnosis **d, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    struct buf text = { 0 };
    char chunk[4096];
    for (size_t got; (got = fread(chunk, 1, sizeof chunk, f)) > 0;)
        buf_append(&text, chunk, got);
    fclose(f);
    buf_puts(&text, "");
    /* A file of a lab's checks names its lab: #define LAB_ID "02-echo". */
    const char *lab_id = strstr(text.data, "#define LAB_ID ");
    char lab[64] = "";
    if (lab_id != NULL)
        diagnosis_literal(lab_id + strlen("#define LAB_ID "), lab, sizeof lab);
    for (const char *p = text.data; (p = strstr(p, "diagnose(")) != NULL; p++) {
        if (p > text.data && (p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z')))
            continue; /* another name that ends so */
        const char *comma = strchr(p, ',');
        if (comma == NULL || strncmp(p, "diagnose(struct", 15) == 0)
            continue; /* its declaration or definition */
        *d = realloc(*d, (*n + 1) * sizeof **d);
        struct diagnosis *x = &(*d)[(*n)++];
        memset(x, 0, sizeof *x);
        snprintf(x->file, sizeof x->file, "%s", path);
        snprintf(x->lab, sizeof x->lab, "%s", lab);
        const char *after = diagnosis_literal(comma + 1, x->cause, sizeof x->cause);
        if (after == NULL || *after != ',') {
            snprintf(x->cause, sizeof x->cause, "?");
            continue;
        }
        after++;
        after += strspn(after, " \t\n");
        if (strncmp(after, "HINT(", 5) == 0 &&
            diagnosis_literal(after + 5, x->section, sizeof x->section) == NULL)
            snprintf(x->cause, sizeof x->cause, "?");
        else if (strncmp(after, "HINT(", 5) != 0 && strncmp(after, "NULL", 4) != 0)
            snprintf(x->cause, sizeof x->cause, "?");
    }
    buf_free(&text);
}

/* Every diagnosis in the grader's sources, into *D (free() it); their
 * number. */
static inline size_t find_diagnoses(struct diagnosis **d)
{
    static const char *const patterns[] = { "harness/*.c", "harness/checks/*.c",
                                            "harness/hidden/*.c" };
    size_t n = 0;
    *d = NULL;
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
        glob_t g;
        if (glob(patterns[i], 0, NULL, &g) != 0)
            continue;
        for (size_t k = 0; k < g.gl_pathc; k++)
            read_diagnoses(g.gl_pathv[k], d, &n);
        globfree(&g);
    }
    return n;
}

#endif
