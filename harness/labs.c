/* labs.c - the labs the grader knows, and how a user may name them. */
#include <stdlib.h>
#include <string.h>

#include "lab.h"

extern struct lab_def lab_01_hello, lab_02_echo, lab_03_chat, lab_04_threaded,
    lab_05_pinger, lab_06_login;

const struct lab_def *const all_labs[] = { &lab_01_hello, &lab_02_echo, &lab_03_chat,
                                           &lab_04_threaded, &lab_05_pinger, &lab_06_login,
                                           NULL };

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

void add_hidden_checks(struct lab_def *lab, const struct check_def *checks, size_t n)
{
    struct check_def *all = calloc(lab->nchecks + n, sizeof *all);
    if (all == NULL)
        abort();                    /* before main: nothing else to do */
    memcpy(all, lab->checks, lab->nchecks * sizeof *all);
    memcpy(all + lab->nchecks, checks, n * sizeof *all);
    lab->checks = all;
    lab->nchecks += n;
    lab->nhidden += n;
}

bool is_hidden(const struct lab_def *lab, const struct check_def *def)
{
    return def >= lab->checks + (lab->nchecks - lab->nhidden) &&
           def < lab->checks + lab->nchecks;
}
