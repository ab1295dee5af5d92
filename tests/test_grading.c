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
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "diagnoses.h"
#include "files.h"
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
    cr_assert_not_null(realpath("harness/shortio.so", path),
                       "harness/shortio.so: %s "
                       "(run make)",
                       strerror(errno));
    return path;
}

/* Grades IMPL's LAB as the grader would from this kit, programs under the
 * data limit MEMORY_MB (0: the grader's default; negative: none), clients
 * told to connect to CLIENT_HOST (NULL: localhost). */
static void grade_as(const char *impl, const struct lab_def *lab, long memory_mb,
                     const char *client_host, struct grading *g)
{
    char abs[PATH_MAX], kit[PATH_MAX];
    cr_assert_not_null(realpath(impl, abs), "%s: %s", impl, strerror(errno));
    cr_assert_not_null(realpath(".", kit));
    *g = (struct grading){ .n = lab->nchecks };
    g->results = xcalloc(lab->nchecks, sizeof *g->results);
    for (size_t i = 0; i < lab->nchecks; i++)
        g->results[i] = (struct check_result){ .lab = lab, .def = &lab->checks[i] };
    struct run_options opts = { .impl_dir = abs,
                                .jobs = 4,
                                .shortio = shortio(),
                                .kit_dir = kit,
                                .memory_limit_mb = memory_mb,
                                .client_host = client_host };
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
    grade_as(impl, lab, 0, NULL, g);
}

static void release(struct grading *g)
{
    free_results(g->results, g->n);
    free(g->results);
}

/* "lab/check: message" for every failed check, for assertion messages. */
static char *failures(const struct grading *g)
{
    struct buf b = { 0 };
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
        cr_expect_eq(g.score, g.max, "%s %s: %d/%d%s", impl, all_labs[l]->id, g.score, g.max,
                     why);
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
        grade_as("build/tsan", all_labs[l], -1, NULL, &g);
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

/* ---- Short counts: loaded or not, never by timing ---------------------- */

/* make test builds lab 01's solution statically under build/static: it
 * ignores LD_PRELOAD, and short-counts must say it could not test it
 * rather than fail it, so that it keeps its full marks. */
Test(grading, statically_linked_programs_keep_the_short_counts_point)
{
    cr_assert_eq(access("build/static/01-hello/server", X_OK), 0,
                 "build/static/01-hello/server: %s (run make test)", strerror(errno));
    const struct lab_def *lab = find_lab("01-hello");
    struct grading g;
    grade("build/static", lab, &g);
    char *why = failures(&g);
    cr_expect_eq(g.score, g.max, "statically linked 01-hello: %d/%d%s", g.score, g.max, why);
    const struct check_def *def = find_check(lab, "short-counts");
    cr_assert_not_null(def, "01-hello has no check short-counts");
    const struct check_result *r = &g.results[def - lab->checks];
    cr_expect(r->passed && r->untestable,
              "short-counts on static programs: passed %d, "
              "not testable %d: %s",
              r->passed, r->untestable, r->message ? r->message : "");
    cr_expect(r->message != NULL && strstr(r->message, "statically linked") != NULL,
              "why short-counts was not testable: %s", r->message ? r->message : "(none)");
    free(why);
    release(&g);
}

/* Lab 03's starter connects and exits at once, so a check that looked for
 * the library in the running program could miss it and give the point
 * away as "not testable".  Graded many times at once, side by side, it
 * must fail every time. */
Test(grading, a_starter_that_exits_at_once_fails_short_counts_every_time)
{
    enum { TIMES = 20 };
    const struct lab_def *lab = find_lab("03-chat");
    struct check_result r[TIMES];
    for (size_t i = 0; i < TIMES; i++)
        r[i] = (struct check_result){ .lab = lab, .def = find_check(lab, "short-counts") };
    cr_assert_not_null(r[0].def, "03-chat has no check short-counts");
    char abs[PATH_MAX];
    cr_assert_not_null(realpath("labs", abs));
    struct run_options opts = { .impl_dir = abs, .jobs = 4, .shortio = shortio() };
    cr_assert_eq(run_checks(&opts, r, TIMES), 0);
    size_t passed = 0, untestable = 0;
    for (size_t i = 0; i < TIMES; i++) {
        passed += r[i].passed;
        untestable += r[i].untestable;
    }
    cr_expect_eq(passed, 0,
                 "the lab 03 starter passed short-counts %zu times of %d (%zu of "
                 "them not testable)",
                 passed, TIMES, untestable);
    free_results(r, TIMES);
}

/* ---- Known-buggy variants ---------------------------------------------- */

/* Every variant (variant.h), or the test fails saying why not. */
static size_t all_variants(struct variant **v)
{
    struct buf err = { 0 };
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

/* Each cause the grader can diagnose (check.h's diagnose) is shown by a
 * known-buggy variant that lists it: a diagnosis no variant provokes is
 * one nobody has seen work.  (every_variant_fails_exactly_its_checks
 * checks that each variant shows the causes it lists.) */
Test(grading, every_diagnosis_has_its_variant)
{
    struct diagnosis *d;
    size_t n = find_diagnoses(&d);
    struct variant *v;
    size_t nv = all_variants(&v);
    for (size_t i = 0; i < n; i++) {
        bool listed = false;
        for (size_t k = 0; k < nv && !listed; k++)
            listed = variant_expects_cause(&v[k], d[i].cause);
        cr_expect(listed,
                  "%s: the diagnosis \"%s\" has no variant whose expect file lists "
                  "\"cause: %s\"",
                  d[i].file, d[i].cause, d[i].cause);
    }
    free(v);
    free(d);
}

/* All variants are graded in one run, many checks at once (variant.h), and
 * each must fail exactly the checks its expect file lists. */
Test(grading, every_variant_fails_exactly_its_checks)
{
    struct variant *v;
    size_t n = all_variants(&v);
    cr_assert_gt(n, 0, "no variant under tests/variants");
    struct buf err = { 0 };
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(variant_make_tree(&v[i], "build", &err), 0, "%s", err.data);
    struct variant_grading g;
    cr_assert_eq(grade_variants(v, n, 8, shortio(), NULL, &g), 0);

    struct buf wrong = { 0 };
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

/* A client variant of labs 01 and 02: the server beside it is the
 * solution's, which listens on ::1 as well. */
static bool client_of_01_or_02(const struct variant *v)
{
    return (strcmp(v->lab, "01-hello") == 0 || strcmp(v->lab, "02-echo") == 0) &&
           strncmp(v->name, "client-", 7) == 0;
}

/*
 * Where localhost names ::1 first (a fresh Debian's /etc/hosts), clients
 * connect to the grader over IPv6: its pieces must still wait to be read
 * one by one (a client that takes one recv for the whole reply must still
 * fail), and the solutions must still get full marks.
 */
Test(grading, clients_over_ipv6_are_graded_as_over_ipv4)
{
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 loopback = { .sin6_family = AF_INET6,
                                     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    bool ipv6 = probe >= 0 && bind(probe, (struct sockaddr *)&loopback, sizeof loopback) == 0;
    if (probe >= 0)
        close(probe);
    if (!ipv6)
        cr_skip_test("this machine has no IPv6 loopback address (::1)");
    static const char *const labs[] = { "01-hello", "02-echo" };
    for (size_t l = 0; l < COUNT_OF(labs); l++) {
        struct grading g;
        grade_as("solutions", find_lab(labs[l]), 0, "::1", &g);
        char *why = failures(&g);
        cr_expect_eq(g.score, g.max, "%s with the client on ::1: %d/%d%s", labs[l], g.score,
                     g.max, why);
        free(why);
        release(&g);
    }

    struct variant *all;
    size_t nall = all_variants(&all), n = 0;
    struct variant *v = xcalloc(nall, sizeof *v);
    for (size_t i = 0; i < nall; i++)
        if (client_of_01_or_02(&all[i]))
            v[n++] = all[i];
    cr_assert_gt(n, 0, "no client variant of labs 01 and 02");
    struct buf err = { 0 };
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(variant_make_tree(&v[i], "build", &err), 0, "%s", err.data);
    struct variant_grading g;
    cr_assert_eq(grade_variants(v, n, 8, shortio(), "::1", &g), 0);
    struct buf wrong = { 0 };
    buf_puts(&wrong, "");
    for (size_t i = 0; i < n; i++) {
        judge_variant(&v[i], g.results + g.first[i], g.first[i + 1] - g.first[i],
                      note_disagreement, &wrong);
        variant_remove_tree(&v[i]);
    }
    cr_expect_eq(wrong.len, 0, "%zu variants graded, clients connecting to ::1:%s", n,
                 wrong.data);
    buf_free(&wrong);
    free_variant_grading(&g);
    free(v);
    free(all);
}

Test(grading, every_check_is_caught_by_a_variant)
{
    struct variant *v;
    size_t n = all_variants(&v);
    struct buf missing = { 0 };
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
