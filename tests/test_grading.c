/*
 * test_grading.c - the grader graded: the solutions get full marks, the
 * starters get low marks quickly, a Python submission is graded like a C one,
 * and every known-buggy variant under tests/variants fails exactly the checks
 * its `expect` file lists.  A variant is a patch to a solution (the mistake,
 * as a diff); make builds it under build/variants/LAB/BUG/.  Every check of every lab must be caught by at
 * least one variant: a check that nothing can fail is a defect.
 *
 * Run from the top of the kit (make test does).
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "files.h"
#include "lab.h"
#include "runner.h"

TestSuite(grading, .timeout = 300);

struct grading {
    struct check_result *results;
    size_t n;
    int score, max;
    double seconds;
};

/* The short-counts library make builds next to the grader. */
static const char *shortio(void)
{
    static char path[PATH_MAX];
    cr_assert_not_null(realpath("harness/shortio.so", path), "harness/shortio.so: %s "
                       "(run make)", strerror(errno));
    return path;
}

/* Grades IMPL's LAB as the grader would from this kit, programs under the
 * data limit MEMORY_MB (0: the grader's default; negative: none). */
static void grade_limited(const char *impl, const struct lab_def *lab, long memory_mb,
                          struct grading *g)
{
    char abs[PATH_MAX], kit[PATH_MAX];
    cr_assert_not_null(realpath(impl, abs), "%s: %s", impl, strerror(errno));
    cr_assert_not_null(realpath(".", kit));
    *g = (struct grading){ .n = lab->nchecks };
    g->results = xcalloc(lab->nchecks, sizeof *g->results);
    for (size_t i = 0; i < lab->nchecks; i++)
        g->results[i] = (struct check_result){ .lab = lab, .def = &lab->checks[i] };
    struct run_options opts = { .impl_dir = abs, .jobs = 4, .shortio = shortio(),
                                .kit_dir = kit, .memory_limit_mb = memory_mb };
    int64_t start = now_us();
    cr_assert_eq(run_checks(&opts, g->results, g->n), 0);
    g->seconds = (double)(now_us() - start) / 1e6;
    for (size_t i = 0; i < g->n; i++) {
        g->max += g->results[i].def->points;
        g->score += g->results[i].passed ? g->results[i].def->points : 0;
    }
}

static void grade(const char *impl, const struct lab_def *lab, struct grading *g)
{
    grade_limited(impl, lab, 0, g);
}

static void release(struct grading *g)
{
    free_results(g->results, g->n);
    free(g->results);
}

/* "lab/check: message" for every failed check, for assertion messages. */
static char *failures(const struct grading *g)
{
    struct buf b = {0};
    buf_puts(&b, "");
    for (size_t i = 0; i < g->n; i++)
        if (!g->results[i].passed)
            buf_printf(&b, "\n%s/%s: %s", g->results[i].lab->id, g->results[i].def->name,
                       g->results[i].message ? g->results[i].message : "");
    return b.data;
}

/* Every lab the tree IMPL has a folder for gets full marks. */
static void expect_full_marks(const char *impl)
{
    for (size_t l = 0; all_labs[l] != NULL; l++) {
        char folder[PATH_MAX];
        snprintf(folder, sizeof folder, "%s/%s", impl, all_labs[l]->id);
        if (access(folder, F_OK) != 0)
            continue;
        struct grading g;
        grade(impl, all_labs[l], &g);
        char *why = failures(&g);
        cr_expect_eq(g.score, g.max, "%s %s: %d/%d%s", impl, all_labs[l]->id, g.score,
                     g.max, why);
        free(why);
        release(&g);
    }
}

Test(grading, solutions_get_full_marks)
{
    expect_full_marks("solutions");
}

Test(grading, python_submission_gets_full_marks)
{
    expect_full_marks("tests/python");
}

/* make test builds the threaded solutions with ThreadSanitizer under
 * build/tsan, with races fatal: they must still get full marks. */
Test(grading, threaded_solutions_are_clean_under_thread_sanitizer)
{
    size_t graded = 0;
    for (size_t l = 0; all_labs[l] != NULL; l++) {
        char folder[PATH_MAX];
        snprintf(folder, sizeof folder, "build/tsan/%s", all_labs[l]->id);
        if (access(folder, F_OK) != 0)
            continue;
        struct grading g;
        /* ThreadSanitizer reserves terabytes of address space up front. */
        grade_limited("build/tsan", all_labs[l], -1, &g);
        char *why = failures(&g);
        cr_expect_eq(g.score, g.max, "%s under ThreadSanitizer: %d/%d%s", all_labs[l]->id,
                     g.score, g.max, why);
        free(why);
        release(&g);
        graded++;
    }
    if (graded == 0)
        cr_skip_test("no threaded solution is built under build/tsan yet");
}

Test(grading, starters_score_low_and_end_quickly)
{
    for (size_t l = 0; all_labs[l] != NULL; l++) {
        struct grading g;
        grade("labs", all_labs[l], &g);
        cr_expect_leq(g.score * 5, g.max, "%s starter scores %d/%d: more than a fifth",
                      all_labs[l]->id, g.score, g.max);
        cr_expect_lt(g.seconds, 5.0, "%s starter took %.1f s to grade", all_labs[l]->id,
                     g.seconds);
        release(&g);
    }
}

/* ---- Known-buggy variants ---------------------------------------------- */

struct variant {
    char lab[256];
    char name[256];
    char dir[600];
    char expect[32][256];       /* the checks it must fail */
    size_t nexpect;
};

static size_t read_expectations(struct variant *v)
{
    char path[700], line[256];
    snprintf(path, sizeof path, "%s/expect", v->dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s: %s (list the checks this variant must fail)", path,
                       strerror(errno));
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, " \t\r\n#")] = '\0';
        if (line[0] != '\0' && v->nexpect < 32)
            snprintf(v->expect[v->nexpect++], sizeof v->expect[0], "%s", line);
    }
    fclose(f);
    return v->nexpect;
}

/* Every variant: tests/variants/LAB/BUG/ with its expect file. */
static size_t find_variants(struct variant **out)
{
    struct variant *v = NULL;
    size_t n = 0;
    DIR *labs = opendir("tests/variants");
    cr_assert_not_null(labs, "tests/variants: %s", strerror(errno));
    for (struct dirent *l; (l = readdir(labs)) != NULL;) {
        if (l->d_name[0] == '.' || find_lab(l->d_name) == NULL)
            continue;
        char labdir[300];
        snprintf(labdir, sizeof labdir, "tests/variants/%s", l->d_name);
        DIR *bugs = opendir(labdir);
        for (struct dirent *b; bugs != NULL && (b = readdir(bugs)) != NULL;) {
            if (b->d_name[0] == '.')
                continue;
            v = xrealloc(v, (n + 1) * sizeof *v);
            memset(&v[n], 0, sizeof v[n]);
            snprintf(v[n].lab, sizeof v[n].lab, "%s", l->d_name);
            snprintf(v[n].name, sizeof v[n].name, "%s", b->d_name);
            snprintf(v[n].dir, sizeof v[n].dir, "%s/%s", labdir, b->d_name);
            read_expectations(&v[n]);
            n++;
        }
        if (bugs != NULL)
            closedir(bugs);
    }
    closedir(labs);
    *out = v;
    return n;
}

/* A tree holding the variant's programs, and the solution's for the rest. */
static void make_tree(const struct variant *v, char tree[PATH_MAX])
{
    snprintf(tree, PATH_MAX, "/tmp/netlab-variant-XXXXXX");
    cr_assert_not_null(mkdtemp(tree));
    char lab[PATH_MAX + 64];
    snprintf(lab, sizeof lab, "%s/%s", tree, v->lab);
    cr_assert_eq(mkdir(lab, 0755), 0);
    static const char *const programs[] = { "server", "client" };
    for (size_t i = 0; i < 2; i++) {
        char from[PATH_MAX + 700], to[PATH_MAX * 2];
        snprintf(from, sizeof from, "build/variants/%s/%s/%s", v->lab, v->name, programs[i]);
        if (access(from, X_OK) != 0)
            snprintf(from, sizeof from, "solutions/%s/%s", v->lab, programs[i]);
        snprintf(to, sizeof to, "%s/%s", lab, programs[i]);
        copy_file(from, to);
    }
}

static void remove_tree(const char *tree, const char *lab)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/%s/server", tree, lab);
    unlink(path);
    snprintf(path, sizeof path, "%s/%s/client", tree, lab);
    unlink(path);
    snprintf(path, sizeof path, "%s/%s", tree, lab);
    rmdir(path);
    rmdir(tree);
}

static bool expected(const struct variant *v, const char *check)
{
    for (size_t i = 0; i < v->nexpect; i++)
        if (strcmp(v->expect[i], check) == 0)
            return true;
    return false;
}

/* Compares what variant V failed with its expect file; adds to WRONG. */
static void judge(const struct variant *v, const struct check_result *results, size_t n,
                  struct buf *wrong)
{
    for (size_t k = 0; k < n; k++) {
        const struct check_result *r = &results[k];
        bool should_fail = expected(v, r->def->name);
        if (should_fail && r->passed)
            buf_printf(wrong, "\n%s/%s: passed %s, which it must fail", v->lab, v->name,
                       r->def->name);
        if (!should_fail && !r->passed)
            buf_printf(wrong, "\n%s/%s: failed %s, which it must pass: %s", v->lab,
                       v->name, r->def->name, r->message ? r->message : "");
    }
    for (size_t e = 0; e < v->nexpect; e++) {
        bool known = false;
        for (size_t k = 0; k < n; k++)
            known |= strcmp(results[k].def->name, v->expect[e]) == 0;
        if (!known)
            buf_printf(wrong, "\n%s/%s: expect names no check of the lab: %s", v->lab,
                       v->name, v->expect[e]);
    }
}

/* All variants are graded in one run, many checks at once, as a class of
 * submissions would be: a variant that makes a check wait out its deadline
 * does not hold up the others. */
Test(grading, every_variant_fails_exactly_its_checks)
{
    struct variant *v;
    size_t n = find_variants(&v);
    cr_assert_gt(n, 0, "no variant under tests/variants");
    char (*trees)[PATH_MAX] = xcalloc(n, sizeof *trees);
    struct check_result *results = NULL;
    size_t *first = xcalloc(n + 1, sizeof *first), total = 0;
    for (size_t i = 0; i < n; i++) {
        make_tree(&v[i], trees[i]);
        const struct lab_def *lab = find_lab(v[i].lab);
        first[i] = total;
        results = xrealloc(results, (total + lab->nchecks) * sizeof *results);
        for (size_t k = 0; k < lab->nchecks; k++)
            results[total++] = (struct check_result){ .lab = lab, .def = &lab->checks[k],
                                                      .impl_dir = trees[i] };
    }
    first[n] = total;
    struct run_options opts = { .impl_dir = "/nonexistent", .jobs = 8, .shortio = shortio() };
    cr_assert_eq(run_checks(&opts, results, total), 0);

    struct buf wrong = {0};
    buf_puts(&wrong, "");
    for (size_t i = 0; i < n; i++) {
        judge(&v[i], results + first[i], first[i + 1] - first[i], &wrong);
        remove_tree(trees[i], v[i].lab);
    }
    cr_expect_eq(wrong.len, 0, "%zu variants graded:%s", n, wrong.data);
    buf_free(&wrong);
    free_results(results, total);
    free(results);
    free(first);
    free(trees);
    free(v);
}

Test(grading, every_check_is_caught_by_a_variant)
{
    struct variant *v;
    size_t n = find_variants(&v);
    struct buf missing = {0};
    buf_puts(&missing, "");
    for (size_t l = 0; all_labs[l] != NULL; l++) {
        for (size_t k = 0; k < all_labs[l]->nchecks; k++) {
            bool caught = false;
            for (size_t i = 0; i < n && !caught; i++)
                caught = strcmp(v[i].lab, all_labs[l]->id) == 0 &&
                         expected(&v[i], all_labs[l]->checks[k].name);
            if (!caught)
                buf_printf(&missing, "\n%s/%s", all_labs[l]->id, all_labs[l]->checks[k].name);
        }
    }
    cr_expect_eq(missing.len, 0, "checks no known-buggy variant fails:%s", missing.data);
    buf_free(&missing);
    free(v);
}
