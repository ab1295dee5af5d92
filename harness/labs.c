/* labs.c - the labs the grader knows, as their files registered them, and how a
 * user may name them. */
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

bool is_hidden(const struct lab_def *lab, const struct check_def *def)
{
    return def >= lab->checks + (lab->nchecks - lab->nhidden) &&
           def < lab->checks + lab->nchecks;
}
