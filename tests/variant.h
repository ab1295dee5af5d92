/*
 * variant.h - the known-buggy variants, tests/variants/LAB/BUG/: each is a
 * solution with one mistake (its patches, built by make under
 * build/variants/LAB/BUG/) and an `expect` file naming the checks it must
 * fail, and with "cause: NAME" lines the causes the grader must diagnose
 * (check.h's diagnose).  Its verdict: it fails exactly those checks and
 * passes every other check of its lab, hidden ones included, and the
 * grader diagnoses exactly those causes.  A "maybe: CHECK" line names a
 * check the variant's mistake can fail by the luck of its threads (a race
 * that is the mistake itself, as a missing busy timeout): that check may
 * pass or fail, and neither is a disagreement.  One definition of that verdict
 * for test_grading, which fails on any disagreement, and for make soak
 * (soak_variants.c), which counts disagreements over many gradings.
 * Header-only, as each test program is one C file; run from the top of the
 * kit.
 */
#ifndef NETLAB_TESTS_VARIANT_H
#define NETLAB_TESTS_VARIANT_H

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "internal.h"
#include "lab.h"
#include "runner.h"

#define VARIANTS_DIR "tests/variants"
#define VARIANT_MAX_EXPECT 32

struct variant {
    char lab[256];
    char name[256];
    char dir[600];                        /* tests/variants/LAB/BUG */
    char expect[VARIANT_MAX_EXPECT][256]; /* the checks it must fail */
    size_t nexpect;
    char causes[VARIANT_MAX_EXPECT][256]; /* the causes it must show */
    size_t ncauses;
    char maybe[VARIANT_MAX_EXPECT][256]; /* checks it may fail by luck */
    size_t nmaybe;
    char tree[PATH_MAX]; /* where it is graded (variant_make_tree), or "" */
};

/* Reads V's expect file: a check's name a line, "cause: NAME" or
 * "maybe: CHECK"; '#' starts a comment.  Returns 0, or -1 with why in ERR. */
static inline int variant_read_expect(struct variant *v, struct buf *err)
{
    char path[700], line[256];
    snprintf(path, sizeof path, "%s/expect", v->dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        buf_printf(err, "%s: %s (list the checks this variant must fail)", path,
                   strerror(errno));
        return -1;
    }
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        bool cause = strncmp(line, "cause:", 6) == 0;
        bool maybe = strncmp(line, "maybe:", 6) == 0;
        char *word = cause || maybe ? line + 6 + strspn(line + 6, " \t") : line;
        word[strcspn(word, " \t\r\n#")] = '\0';
        if (word[0] == '\0')
            continue;
        if (cause && v->ncauses < VARIANT_MAX_EXPECT) {
            snprintf(v->causes[v->ncauses++], sizeof v->causes[0], "%s", word);
        } else if (maybe && v->nmaybe < VARIANT_MAX_EXPECT) {
            snprintf(v->maybe[v->nmaybe++], sizeof v->maybe[0], "%s", word);
        } else if (cause || maybe || v->nexpect == VARIANT_MAX_EXPECT) {
            buf_printf(err, "%s: more than %d checks", path, VARIANT_MAX_EXPECT);
            rc = -1;
        } else {
            snprintf(v->expect[v->nexpect++], sizeof v->expect[0], "%s", line);
        }
    }
    fclose(f);
    return rc;
}

static inline int variant_order(const void *a, const void *b)
{
    const struct variant *x = a, *y = b;
    int c = strcmp(x->lab, y->lab);
    return c != 0 ? c : strcmp(x->name, y->name);
}

/* Adds to *V (N so far) every variant of the lab folder LABDIR of
 * VARIANTS_DIR.  Returns 0, or -1 with why in ERR. */
static inline int find_lab_variants(const char *labdir, struct variant **v, size_t *n,
                                    struct buf *err)
{
    char path[300];
    snprintf(path, sizeof path, VARIANTS_DIR "/%s", labdir);
    DIR *bugs = opendir(path);
    if (bugs == NULL) {
        buf_printf(err, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (struct dirent *b; rc == 0 && (b = readdir(bugs)) != NULL;) {
        if (b->d_name[0] == '.')
            continue;
        *v = xrealloc(*v, (*n + 1) * sizeof **v);
        struct variant *new = &(*v)[(*n)++];
        memset(new, 0, sizeof *new);
        snprintf(new->lab, sizeof new->lab, "%s", labdir);
        snprintf(new->name, sizeof new->name, "%s", b->d_name);
        snprintf(new->dir, sizeof new->dir, "%s/%s", path, b->d_name);
        rc = variant_read_expect(new, err);
    }
    closedir(bugs);
    return rc;
}

/* Every variant, each with its expect file, sorted by lab and name, into
 * *OUT (free() it).  Returns their number, or -1 with why in ERR. */
static inline long find_variants(struct variant **out, struct buf *err)
{
    struct variant *v = NULL;
    size_t n = 0;
    int rc = 0;
    DIR *labs = opendir(VARIANTS_DIR);
    if (labs == NULL) {
        buf_printf(err, VARIANTS_DIR ": %s", strerror(errno));
        return -1;
    }
    for (struct dirent *l; rc == 0 && (l = readdir(labs)) != NULL;)
        if (l->d_name[0] != '.' && find_lab(l->d_name) != NULL)
            rc = find_lab_variants(l->d_name, &v, &n, err);
    closedir(labs);
    if (rc != 0) {
        free(v);
        return -1;
    }
    qsort(v, n, sizeof *v, variant_order);
    *out = v;
    return (long)n;
}

/* Whether V must fail CHECK. */
static inline bool variant_expects(const struct variant *v, const char *check)
{
    for (size_t i = 0; i < v->nexpect; i++)
        if (strcmp(v->expect[i], check) == 0)
            return true;
    return false;
}

/* Whether V may fail CHECK by the luck of its threads ("maybe:"). */
static inline bool variant_may_fail(const struct variant *v, const char *check)
{
    for (size_t i = 0; i < v->nmaybe; i++)
        if (strcmp(v->maybe[i], check) == 0)
            return true;
    return false;
}

/* Removes V's tree, if it has one. */
static inline void variant_remove_tree(struct variant *v)
{
    if (v->tree[0] == '\0')
        return;
    remove_folder(v->tree);
    v->tree[0] = '\0';
}

/* Copies into the folder LAB the sources the server in it was built from
 * (the folder FROM's C files and headers) and the solution's `libs`, as a
 * student's lab folder holds them: the no-data-race checks build the
 * server from them with ThreadSanitizer.  Returns 0, or -1 with why in ERR. */
static inline int variant_copy_sources(const struct variant *v, const char *from,
                                       const char *lab, struct buf *err)
{
    DIR *d = opendir(from);
    int rc = d == NULL ? -1 : 0;
    if (d == NULL)
        buf_printf(err, "%s: %s", from, strerror(errno));
    for (struct dirent *e; rc == 0 && d != NULL && (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 3 || e->d_name[len - 2] != '.' ||
            (e->d_name[len - 1] != 'c' && e->d_name[len - 1] != 'h'))
            continue;
        char src[PATH_MAX * 2], to[PATH_MAX * 2];
        snprintf(src, sizeof src, "%s/%s", from, e->d_name);
        snprintf(to, sizeof to, "%s/%s", lab, e->d_name);
        rc = copy_regular_file(src, to, 0644, err);
    }
    if (d != NULL)
        closedir(d);
    char libs[PATH_MAX], to[PATH_MAX * 2];
    snprintf(libs, sizeof libs, "solutions/%s/libs", v->lab);
    snprintf(to, sizeof to, "%s/libs", lab);
    if (rc == 0 && access(libs, F_OK) == 0)
        rc = copy_regular_file(libs, to, 0644, err);
    return rc;
}

/* Makes V->tree, a temporary tree to grade V in: LAB/server and LAB/client
 * are copies of the variant's programs under BUILD/variants/LAB/BUG/, or
 * of the solution's where the variant left that program alone (copies: the
 * grader runs only a regular file inside the lab folder), beside the
 * server's sources.  Returns 0, or -1 with why in ERR. */
static inline int variant_make_tree(struct variant *v, const char *build, struct buf *err)
{
    snprintf(v->tree, sizeof v->tree, "/tmp/netlab-variant-XXXXXX");
    if (mkdtemp(v->tree) == NULL) {
        buf_printf(err, "%s: %s", v->tree, strerror(errno));
        v->tree[0] = '\0';
        return -1;
    }
    char lab[PATH_MAX + 260];
    snprintf(lab, sizeof lab, "%s/%s", v->tree, v->lab);
    int rc = mkdir(lab, 0755) == 0 && chmod(v->tree, 0755) == 0 ? 0 : -1;
    /* The sources first, the programs after: a program older than its
     * sources is refused as stale by grade, and a copy that crosses a
     * tick of the file system's clock would make it so. */
    static const char *const programs[] = { "server", "client" };
    char from[2][PATH_MAX + 700];
    for (size_t i = 0; i < 2; i++) {
        snprintf(from[i], sizeof from[i], "%s/variants/%s/%s/%s", build, v->lab, v->name,
                 programs[i]);
        if (access(from[i], X_OK) != 0)
            snprintf(from[i], sizeof from[i], "solutions/%s/%s", v->lab, programs[i]);
    }
    if (rc == 0) { /* the server's sources, from beside it */
        char sources[PATH_MAX + 700];
        snprintf(sources, sizeof sources, "%s", from[0]);
        *strrchr(sources, '/') = '\0';
        if (strncmp(sources, "solutions/", 10) != 0)
            strcat(sources, "/src"); /* mk/build-variant.sh's */
        rc = variant_copy_sources(v, sources, lab, err);
    }
    for (size_t i = 0; i < 2 && rc == 0; i++) {
        char to[PATH_MAX * 2];
        snprintf(to, sizeof to, "%s/%s", lab, programs[i]);
        rc = copy_regular_file(from[i], to, 0755, err);
        if (rc != 0)
            buf_puts(err, " (run make test's build)");
    }
    if (rc != 0)
        variant_remove_tree(v);
    return rc;
}

/* Every variant graded in one run. */
struct variant_grading {
    struct check_result *results; /* every check of each variant's lab... */
    size_t *first;                /* ...variant i's from results[first[i]] to
                                       results[first[i + 1]] */
    size_t nresults;
};

/*
 * Grades the N variants V, whose trees are made, in one run: all their
 * checks at once, JOBS at a time, as a class of submissions would be, so
 * that a variant that makes a check wait out its deadline does not hold up
 * the others.  SHORTIO is the absolute path of harness/shortio.so; clients
 * are told to connect to CLIENT_HOST (NULL: localhost).
 * Returns 0, or -1 if interrupted (SIGINT, SIGTERM).
 */
static inline int grade_variants(const struct variant *v, size_t n, int jobs,
                                 const char *shortio, const char *client_host,
                                 struct variant_grading *g)
{
    *g = (struct variant_grading){ .first = xcalloc(n + 1, sizeof *g->first) };
    for (size_t i = 0; i < n; i++) {
        const struct lab_def *lab = find_lab(v[i].lab);
        g->first[i] = g->nresults;
        g->results = xrealloc(g->results, (g->nresults + lab->nchecks) * sizeof *g->results);
        for (size_t k = 0; k < lab->nchecks; k++)
            g->results[g->nresults++] = (struct check_result){ .lab = lab,
                                                               .def = &lab->checks[k],
                                                               .impl_dir = v[i].tree };
    }
    g->first[n] = g->nresults;
    /* The kit (run from its top): no-data-race builds with its helper library. */
    char kit[PATH_MAX];
    struct run_options opts = { .impl_dir = "/nonexistent",
                                .jobs = jobs,
                                .shortio = shortio,
                                .kit_dir = realpath(".", kit),
                                .client_host = client_host };
    return run_checks(&opts, g->results, g->nresults);
}

static inline void free_variant_grading(struct variant_grading *g)
{
    free_results(g->results, g->nresults);
    free(g->results);
    free(g->first);
    *g = (struct variant_grading){ 0 };
}

/* Told of each way a variant's grading differs from its expect file: the
 * check (or the name in the expect file), what is wrong, and the check's
 * result (NULL for a name that is no check of the lab). */
typedef void variant_disagreement_fn(const struct variant *v, const char *check,
                                     const char *what, const struct check_result *r,
                                     void *arg);

/* Whether V lists CAUSE. */
static inline bool variant_expects_cause(const struct variant *v, const char *cause)
{
    for (size_t i = 0; i < v->ncauses; i++)
        if (strcmp(v->causes[i], cause) == 0)
            return true;
    return false;
}

/* judge_variant's part for causes: each V lists is diagnosed by a check
 * of RESULTS, and each diagnosed is listed. */
static inline size_t judge_causes(const struct variant *v, const struct check_result *results,
                                  size_t n, variant_disagreement_fn *report, void *arg)
{
    size_t wrong = 0;
    for (size_t k = 0; k < n; k++) {
        if (results[k].cause != NULL && !variant_expects_cause(v, results[k].cause)) {
            report(v, results[k].cause,
                   "was diagnosed, a cause its expect file does not "
                   "list (cause: ...)",
                   &results[k], arg);
            wrong++;
        }
    }
    for (size_t i = 0; i < v->ncauses; i++) {
        bool shown = false;
        for (size_t k = 0; k < n && !shown; k++)
            shown = results[k].cause != NULL && strcmp(results[k].cause, v->causes[i]) == 0;
        if (!shown) {
            report(v, v->causes[i], "named as a cause in expect, was diagnosed by no check",
                   NULL, arg);
            wrong++;
        }
    }
    return wrong;
}

/*
 * The verdict on variant V, graded as RESULTS (the N checks of its lab):
 * a check it must fail and passed, a check it must pass and failed, and a
 * name in its expect file that is no check of its lab are each told to
 * REPORT.  Returns how many there were (0: V is as its expect file says).
 */
static inline size_t judge_variant(const struct variant *v, const struct check_result *results,
                                   size_t n, variant_disagreement_fn *report, void *arg)
{
    size_t wrong = 0;
    for (size_t k = 0; k < n; k++) {
        const struct check_result *r = &results[k];
        bool must_fail = variant_expects(v, r->def->name);
        if (!must_fail && variant_may_fail(v, r->def->name))
            continue; /* either verdict: see "maybe:" */
        if (must_fail == r->passed) {
            report(v, r->def->name,
                   must_fail ? "passed, which it must fail" : "failed, which it must pass", r,
                   arg);
            wrong++;
        }
    }
    for (size_t e = 0; e < v->nexpect + v->nmaybe; e++) {
        const char *name = e < v->nexpect ? v->expect[e] : v->maybe[e - v->nexpect];
        bool known = false;
        for (size_t k = 0; k < n; k++)
            known |= strcmp(results[k].def->name, name) == 0;
        if (!known) {
            report(v, name, "named in expect, is no check of the lab", NULL, arg);
            wrong++;
        }
    }
    wrong += judge_causes(v, results, n, report, arg);
    return wrong;
}

#endif
