/*
 * test_grading.c - the grader graded: the solutions get full marks, the
 * starters get low marks quickly, a Python submission is graded like a C one,
 * and every known-buggy variant under tests/variants fails exactly the checks
 * its `expect` file lists (variant.h, which make soak shares).  A variant is
 * a patch to a solution (the mistake, as a diff); make builds it under
 * build/variants/LAB/BUG/.  Every check of every lab must be caught by at
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
#include "lab.h"
#include "runner.h"
#include "variant.h"

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

/* Every variant (variant.h), or the test fails saying why not. */
static size_t all_variants(struct variant **v)
{
    struct buf err = {0};
    long n = find_variants(v, &err);
    cr_assert_geq(n, 0, "%s", err.data);
    return (size_t)n;
}

/* Adds each disagreement variant.h's judge finds to the buf ARG. */
static void note_disagreement(const struct variant *v, const char *check, const char *what,
                              const struct check_result *r, void *arg)
{
    buf_printf(arg, "\n%s/%s: %s %s%s%s", v->lab, v->name, check, what,
               r != NULL && !r->passed ? ": " : "",
               r != NULL && !r->passed && r->message ? r->message : "");
}

/* All variants are graded in one run, many checks at once (variant.h), and
 * each must fail exactly the checks its expect file lists. */
Test(grading, every_variant_fails_exactly_its_checks)
{
    struct variant *v;
    size_t n = all_variants(&v);
    cr_assert_gt(n, 0, "no variant under tests/variants");
    struct buf err = {0};
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(variant_make_tree(&v[i], "build", &err), 0, "%s", err.data);
    struct variant_grading g;
    cr_assert_eq(grade_variants(v, n, 8, shortio(), &g), 0);

    struct buf wrong = {0};
    buf_puts(&wrong, "");
    for (size_t i = 0; i < n; i++) {
        judge_variant(&v[i], g.results + g.first[i], g.first[i + 1] - g.first[i],
                      note_disagreement, &wrong);
        variant_remove_tree(&v[i]);
    }
    cr_expect_eq(wrong.len, 0, "%zu variants graded:%s", n, wrong.data);
    buf_free(&wrong);
    free_variant_grading(&g);
    free(v);
}

Test(grading, every_check_is_caught_by_a_variant)
{
    struct variant *v;
    size_t n = all_variants(&v);
    struct buf missing = {0};
    buf_puts(&missing, "");
    for (size_t l = 0; all_labs[l] != NULL; l++) {
        for (size_t k = 0; k < all_labs[l]->nchecks; k++) {
            bool caught = false;
            for (size_t i = 0; i < n && !caught; i++)
                caught = strcmp(v[i].lab, all_labs[l]->id) == 0 &&
                         variant_expects(&v[i], all_labs[l]->checks[k].name);
            if (!caught)
                buf_printf(&missing, "\n%s/%s", all_labs[l]->id, all_labs[l]->checks[k].name);
        }
    }
    cr_expect_eq(missing.len, 0, "checks no known-buggy variant fails:%s", missing.data);
    buf_free(&missing);
    free(v);
}
