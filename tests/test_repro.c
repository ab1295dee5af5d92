/*
 * test_repro.c - the scripts that reproduce failed checks (harness/repro.c,
 * its engine harness/repro.py) and the replay log they are made from
 * (check.c's log_replay).
 *
 * End to end, one known-buggy variant of each lab fails one check; its
 * script, written by save_transcripts beside the transcript, is run with
 * sh: on the variant it exits 1 and prints the check's message, and on
 * the lab's solution (the program fixed) it exits 0 and says "did not
 * reproduce".  A variant graded in a folder whose name holds quotes,
 * $(...), backquotes and a newline gets a script that runs the same and
 * executes nothing from the name.  The log's bound: past SLOT_REPLAY it is
 * cut, marked, and the script says it cannot replay the whole exchange.
 * Run from the top of the kit (make test does), after make has built the
 * variants.
 */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "core.h"
#include "internal.h"
#include "report.h"
#include "repro.h"
#include "runner.h"
#include "slot.h"
#include "unit.h"
#include "variant.h"

TestSuite(repro, .init = ignore_sigpipe, .timeout = 240);

/* ---- Helpers ------------------------------------------------------------ */

/* Runs `sh SCRIPT [LAB]` in the folder CWD with no shell in between (no
 * word of it is parsed), its stdout and stderr into *OUT.  Returns its exit
 * status, or -1. */
static int run_script(const char *script, const char *lab, const char *cwd, struct buf *out)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        if (cwd != NULL && chdir(cwd) < 0)
            _exit(127);
        execlp("sh", "sh", script, lab, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char chunk[4096];
    for (ssize_t n; (n = read(fds[0], chunk, sizeof chunk)) > 0;)
        buf_append(out, chunk, (size_t)n);
    close(fds[0]);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void grade(struct check_result *r, size_t n)
{
    char kit[PATH_MAX], shortio[PATH_MAX];
    cr_assert_not_null(realpath("harness/shortio.so", shortio), "run make");
    struct run_options opts = { .impl_dir = "/nonexistent",
                                .jobs = 2,
                                .shortio = shortio,
                                .kit_dir = realpath(".", kit) };
    cr_assert_eq(run_checks(&opts, r, n), 0);
}

/* The script of R under DIR (save_transcripts wrote it). */
static char *script_of(const char *dir, const struct check_result *r)
{
    struct buf path = { 0 };
    buf_printf(&path, "%s/%s/%s.repro", dir, r->lab->id, r->def->name);
    struct stat st;
    cr_assert_eq(stat(path.data, &st), 0, "no script %s", path.data);
    return path.data;
}

/* ---- End to end: a failed check of each lab ----------------------------- */

struct case_ {
    const char *lab, *variant, *check;
};

/* Deterministic failures: the same bytes, or the same exit, every run. */
static const struct case_ cases[] = {
    { "01-hello", "client-reset-as-end", "peer-resets" },
    { "02-echo", "server-strlen", "binary-safe" },
    { "03-chat", "bye-prefix", "bye-exact" },
    { "04-threaded", "server-nick-unchecked", "nick-and-who" },
    { "05-pinger", "client-any-reply", "client-duplicates-and-strays" },
    { "06-login", "server-failed-login-keeps", "login-required" },
};

Test(repro, a_failed_check_of_each_lab_is_reproduced_and_its_fix_is_not)
{
    enum { N = sizeof cases / sizeof cases[0] };
    struct variant *v = xcalloc(N, sizeof *v); /* each is large */
    struct check_result r[N];
    for (size_t i = 0; i < N; i++) {
        snprintf(v[i].lab, sizeof v[i].lab, "%s", cases[i].lab);
        snprintf(v[i].name, sizeof v[i].name, "%s", cases[i].variant);
        struct buf err = { 0 };
        cr_assert_eq(variant_make_tree(&v[i], "build", &err), 0, "%s", err.data);
        const struct lab_def *lab = find_lab(cases[i].lab);
        cr_assert_not_null(lab);
        r[i] = (struct check_result){ .lab = lab,
                                      .def = find_check(lab, cases[i].check),
                                      .impl_dir = v[i].tree };
        cr_assert_not_null(r[i].def, "%s has no check %s", cases[i].lab, cases[i].check);
    }
    grade(r, N);
    char dir[] = "/tmp/netlab-repro-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(save_transcripts(dir, r, N), 0);
    for (size_t i = 0; i < N; i++) {
        const char *name = cases[i].check, *lab = cases[i].lab;
        cr_assert(!r[i].passed && !r[i].grader_error, "%s/%s passed (or grader error): %s",
                  lab, name, r[i].message ? r[i].message : "");
        cr_assert(has_repro(&r[i]), "%s/%s has no replay log", lab, name);
        char *script = script_of(dir, &r[i]);
        struct buf out = { 0 };
        int rc = run_script(script, NULL, NULL, &out);
        cr_expect_eq(rc, 1, "%s/%s: exit %d on the variant, not 1:\n%s", lab, name, rc,
                     out.data);
        cr_expect(out.data != NULL && strstr(out.data, r[i].message) != NULL,
                  "%s/%s: the check's message is not printed:\n%s", lab, name, out.data);
        buf_free(&out);
        char fixed[300];
        snprintf(fixed, sizeof fixed, "solutions/%s", lab);
        rc = run_script(script, fixed, NULL, &out);
        cr_expect_eq(rc, 0, "%s/%s: exit %d on the solution, not 0:\n%s", lab, name, rc,
                     out.data);
        cr_expect(out.data != NULL && strstr(out.data, "did not reproduce: ") != NULL,
                  "%s/%s: no \"did not reproduce\" on the solution:\n%s", lab, name, out.data);
        buf_free(&out);
        free(script);
        variant_remove_tree(&v[i]);
    }
    free_results(r, N);
    free(v);
    struct buf rm = { 0 };
    buf_printf(&rm, "rm -rf -- '%s'", dir); /* mkdtemp's name: no quote in it */
    cr_expect_eq(system(rm.data), 0);
    buf_free(&rm);
}

/* ---- A folder's name is data, never code -------------------------------- */

/* A name a submission's folder could have: quotes, a command substitution,
 * backquotes, a newline, a backslash, a Python triple quote. */
#define HOSTILE "it's \"$(touch PWNED1)\" `touch PWNED2`\n'''\\x; touch PWNED3"

Test(repro, a_hostile_folder_name_runs_nothing)
{
    struct variant v = { .lab = "01-hello", .name = "client-reset-as-end" };
    struct buf err = { 0 };
    cr_assert_eq(variant_make_tree(&v, "build", &err), 0, "%s", err.data);
    struct buf hostile = { 0 }, lab = { 0 }, moved = { 0 };
    buf_printf(&hostile, "%s/" HOSTILE, v.tree);
    cr_assert_eq(mkdir(hostile.data, 0755), 0);
    buf_printf(&lab, "%s/01-hello", v.tree);
    buf_printf(&moved, "%s/01-hello", hostile.data);
    cr_assert_eq(rename(lab.data, moved.data), 0);
    const struct lab_def *def = find_lab("01-hello");
    struct check_result r = { .lab = def,
                              .def = find_check(def, "peer-resets"),
                              .impl_dir = hostile.data };
    cr_assert_not_null(r.def);
    grade(&r, 1);
    cr_assert(has_repro(&r), "no replay log: %s", r.message ? r.message : "");
    cr_assert_eq(save_transcripts(v.tree, &r, 1), 0);
    char *script = script_of(v.tree, &r);
    struct buf out = { 0 };
    int rc = run_script(script, NULL, v.tree, &out);
    cr_expect_eq(rc, 1, "exit %d, not 1:\n%s", rc, out.data);
    cr_expect(out.data != NULL && strstr(out.data, r.message) != NULL,
              "the check's message is not printed:\n%s", out.data);
    for (int i = 1; i <= 3; i++) {
        struct buf pwned = { 0 };
        buf_printf(&pwned, "%s/PWNED%d", v.tree, i);
        cr_expect_neq(access(pwned.data, F_OK), 0, "the folder's name was run: %s",
                      pwned.data);
        buf_free(&pwned);
    }
    buf_free(&out);
    free(script);
    free_results(&r, 1);
    struct buf rm = { 0 };
    buf_printf(&rm, "rm -rf -- '%s'", v.tree); /* mkdtemp's name: no quote in it */
    cr_expect_eq(system(rm.data), 0);
    buf_free(&rm);
    v.tree[0] = '\0';
}

/* ---- The log's own bound (check.c) -------------------------------------- */

Test(repro, a_log_past_its_bound_is_cut_and_the_script_says_so)
{
    struct check c = { .start_us = now_us() };
    char payload[4096];
    memset(payload, 'x', sizeof payload);
    for (int i = 0; i < 200; i++)
        log_event_on(&c, 1, "data", "server", "grader", payload, sizeof payload);
    cr_assert(c.replay_cut, "the log was not cut");
    cr_assert_leq(c.replay.len, (size_t)SLOT_REPLAY, "the log outgrew its slot");
    const struct lab_def *lab = find_lab("02-echo");
    struct check_result r = { .lab = lab,
                              .def = find_check(lab, "binary-safe"),
                              .message = "expected the end of the flood\n",
                              .replay = "",
                              .replay_len = 0,
                              .replay_cut = true }; /* nothing kept: cut at once */
    cr_assert_not_null(r.def);
    char path[] = "/tmp/netlab-repro-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    write_repro(f, &r);
    cr_assert_eq(fclose(f), 0);
    struct buf out = { 0 };
    int rc = run_script(path, "/nonexistent", NULL, &out);
    cr_expect_eq(rc, 2, "exit %d, not 2:\n%s", rc, out.data);
    cr_expect(out.data != NULL && strstr(out.data, "longer than the log keeps") != NULL,
              "no word of the cut:\n%s", out.data);
    unlink(path);
    buf_free(&out);
    buf_free(&c.replay);
}
