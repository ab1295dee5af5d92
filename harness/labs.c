/* labs.c - the labs the grader knows, as their files registered them, and how a
 * user may name them. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"

#define MAX_LABS 32

/* A lab as its files registered it: the visible checks and the hidden ones
 * apart, joined into the lab's one table (visible first). */
struct lab_slot {
    struct lab_def lab;
    const struct check_def *visible;
    size_t nvisible;
    struct check_def *hidden; /* every hidden file's checks, in turn */
    struct check_def *joined; /* the lab's table, when it has hidden checks */
};

static struct lab_slot slots[MAX_LABS];
static size_t nslots;
const struct lab_def *all_labs[MAX_LABS + 1];

/* Before main: nothing to do on a mistake in the kit but say it and stop. */
static _Noreturn void cannot_register(const char *id, const char *why)
{
    fprintf(stderr, "grade: cannot register the checks of lab %s: %s\n", id, why);
    abort();
}

/* The slot of lab ID, made and put in all_labs in id order when new. */
static struct lab_slot *slot_of(const char *id)
{
    for (size_t i = 0; i < nslots; i++)
        if (strcmp(slots[i].lab.id, id) == 0)
            return &slots[i];
    if (nslots == MAX_LABS)
        cannot_register(id, "more labs than MAX_LABS");
    struct lab_slot *s = &slots[nslots++];
    s->lab.id = id;
    size_t at = 0;
    while (all_labs[at] != NULL && strcmp(all_labs[at]->id, id) < 0)
        at++;
    memmove(&all_labs[at + 1], &all_labs[at], (nslots - 1 - at) * sizeof all_labs[0]);
    all_labs[at] = &s->lab;
    return s;
}

void register_checks(const char *id, const char *title, const struct check_def *checks,
                     size_t n, bool hidden)
{
    struct lab_slot *s = slot_of(id);
    size_t nhidden = s->lab.nhidden;
    if (!hidden && s->visible != NULL)
        cannot_register(id, "two files register its visible checks");
    if (hidden) {
        s->hidden = realloc(s->hidden, (nhidden + n) * sizeof *s->hidden);
        if (s->hidden == NULL)
            cannot_register(id, "out of memory");
        memcpy(s->hidden + nhidden, checks, n * sizeof *checks);
        s->lab.nhidden = nhidden += n;
    } else {
        s->lab.title = title;
        s->visible = checks;
        s->nvisible = n;
    }
    /* The one table: the visible checks' own when there are no hidden ones. */
    s->lab.nchecks = s->nvisible + nhidden;
    if (nhidden == 0) {
        s->lab.checks = s->visible;
        return;
    }
    free(s->joined);
    s->joined = calloc(s->lab.nchecks, sizeof *s->joined);
    if (s->joined == NULL)
        cannot_register(id, "out of memory");
    if (s->nvisible > 0)
        memcpy(s->joined, s->visible, s->nvisible * sizeof *s->joined);
    memcpy(s->joined + s->nvisible, s->hidden, nhidden * sizeof *s->joined);
    s->lab.checks = s->joined;
}

/* "02", "02-echo" and "echo" all name lab 02-echo. */
const struct lab_def *find_lab(const char *name)
{
    for (size_t i = 0; all_labs[i] != NULL; i++) {
        const char *id = all_labs[i]->id;
        const char *dash = strchr(id, '-');
        size_t num = dash ? (size_t)(dash - id) : strlen(id);
        if (strcmp(name, id) == 0 || (dash && strcmp(name, dash + 1) == 0) ||
            (strlen(name) == num && strncmp(name, id, num) == 0))
            return all_labs[i];
    }
    return NULL;
}

const struct check_def *find_check(const struct lab_def *lab, const char *name)
{
    for (size_t i = 0; i < lab->nchecks; i++)
        if (strcmp(lab->checks[i].name, name) == 0)
            return &lab->checks[i];
    return NULL;
}

bool is_hidden(const struct lab_def *lab, const struct check_def *def)
{
    return def >= lab->checks + (lab->nchecks - lab->nhidden) &&
           def < lab->checks + lab->nchecks;
}

/* FNV-1a, 32 bits: a digest to tell rubrics apart, not a defence against
 * anyone forging one. */
static uint32_t digest_text(uint32_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return (h ^ 0xffu) * 16777619u; /* a separator: "ab","c" differs from "a","bc" */
}

static uint32_t digest_checks(bool hidden)
{
    uint32_t h = 2166136261u;
    char points[16];
    for (size_t i = 0; all_labs[i] != NULL; i++) {
        const struct lab_def *lab = all_labs[i];
        for (size_t j = 0; j < lab->nchecks; j++) {
            const struct check_def *def = &lab->checks[j];
            if (is_hidden(lab, def) != hidden)
                continue;
            snprintf(points, sizeof points, "%d", def->points);
            h = digest_text(digest_text(h, lab->id), def->name);
            h = digest_text(digest_text(h, points), def->what);
        }
    }
    return h;
}

void rubric_version(bool with_hidden, char version[RUBRIC_VERSION_SIZE])
{
    bool any_hidden = false;
    for (size_t i = 0; all_labs[i] != NULL; i++)
        any_hidden |= all_labs[i]->nhidden > 0;
    int n = snprintf(version, RUBRIC_VERSION_SIZE, "r%d-%08" PRIx32, RUBRIC_REVISION,
                     digest_checks(false));
    if (with_hidden && any_hidden)
        snprintf(version + n, RUBRIC_VERSION_SIZE - (size_t)n, "+h%08" PRIx32,
                 digest_checks(true));
}
