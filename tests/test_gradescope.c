/*
 * test_gradescope.c - Gradescope's autograder (make gradescope), run as
 * Gradescope would: unpacked into a fake /autograder tree in a temporary
 * folder (AUTOGRADER_ROOT), set up, then run on submissions that pass,
 * that do not compile, that hold no lab folder, and with a grader that
 * crashes.  Every run must leave a results.json that Gradescope accepts.
 * The autograder is unpacked and started as INSTRUCTORS.md's "Trying it
 * before students do" says, with no unzip.  And write_gradescope alone:
 * its fields, and a total that gives no hidden check away.
 *
 * Run from the top of the kit (make test does), after make.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "command.h"
#include "internal.h"
#include "report.h"

/* setup.sh builds the kit (about 20 s); each run grades one lab. */
TestSuite(gradescope, .timeout = 300);

#define COMMAND_SECONDS "200"

/* Runs the shell command CMD in the kit's top folder (command.h). */
static struct cmd run(const char *cmd)
{
    return run_command(".", cmd, COMMAND_SECONDS);
}

/* Runs CMD (a printf format) and fails the test unless it succeeds. */
static void must(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void must(const char *fmt, ...)
{
    struct buf cmd = { 0 };
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&cmd, fmt, ap);
    va_end(ap);
    struct cmd r = run(cmd.data);
    cr_assert_eq(r.status, 0, "%s failed (%d):\n%s", cmd.data, r.status, r.out.data);
    buf_free(&r.out);
    buf_free(&cmd);
}

/* Prints whether the zip ARGV[1] records each of ARGV[2:] as executable:
 * Gradescope's unzip keeps it, so run_autograder must be executable in the
 * zip itself (the handbook's python3 -m zipfile -e drops it). */
static const char modes_py[] =
    "import sys, zipfile\n"
    "z = zipfile.ZipFile(sys.argv[1])\n"
    "for name in sys.argv[2:]:\n"
    "    x = (z.getinfo(name).external_attr >> 16) & 0o100\n"
    "    print(name, \"executable\" if x else \"not executable\")\n";

/* Checks results.json as Gradescope reads it, and prints what the test
 * compares: "SCORE MAX TESTS FAILED", then "after_published NAME" for each
 * test held back until publication, "failed NAME OUTPUT" for each failed
 * test (the start of its output), and "output OUTPUT" (OUTPUT as JSON
 * strings). */
static const char results_py[] =
    "import json, sys\n"
    "r = json.load(open(sys.argv[1]))\n"
    "tests = r[\"tests\"]\n"
    "assert isinstance(r[\"score\"], (int, float)), r\n"
    "for t in tests:\n"
    "    for k in (\"name\", \"score\", \"max_score\", \"output\", \"visibility\"):\n"
    "        assert k in t, (k, t)\n"
    "    assert isinstance(t[\"output\"], str) and isinstance(t[\"name\"], str), t\n"
    "    assert t[\"visibility\"] in (\"visible\", \"hidden\", \"after_due_date\",\n"
    "                                 \"after_published\"), t\n"
    "    assert 0 <= t[\"score\"] <= t[\"max_score\"], t\n"
    "assert r[\"score\"] == sum(t[\"score\"] for t in tests), r[\"score\"]\n"
    "assert isinstance(r.get(\"output\"), str) and r[\"output\"], r\n"
    "if tests:\n"
    "    assert isinstance(r[\"execution_time\"], (int, float)), r\n"
    "    assert r[\"output_format\"] == \"text\", r\n"
    "    held = any(t[\"visibility\"] != \"visible\" for t in tests)\n"
    "    assert r[\"visibility\"] == (\"after_published\" if held else \"visible\"), r\n"
    "failed = [t for t in tests if t[\"score\"] < t[\"max_score\"]]\n"
    "print(r[\"score\"], sum(t[\"max_score\"] for t in tests), len(tests), len(failed))\n"
    "for t in tests:\n"
    "    if t[\"visibility\"] == \"after_published\":\n"
    "        print(\"after_published\", t[\"name\"])\n"
    "for t in failed:\n"
    "    print(\"failed\", t[\"name\"], json.dumps(t[\"output\"][:400]))\n"
    "print(\"output\", json.dumps(r[\"output\"]))\n";

struct results {
    int score, max, tests, failed;
    struct buf text; /* results_py's lines */
};

static char root[PATH_MAX]; /* the fake /autograder */

/* Runs run_autograder on whatever root/submission holds and reads back
 * results.json, which must be valid. */
static struct results run_autograder(void)
{
    struct buf cmd = { 0 };
    /* Through sh, as the handbook runs it: the zip's unpacking by python3
     * left it without its executable bit (modes_py checks the zip's). */
    buf_printf(&cmd,
               "rm -f '%s/results/results.json' && "
               "cd '%s' && AUTOGRADER_ROOT='%s' sh ./run_autograder",
               root, root, root);
    struct cmd r = run(cmd.data);
    cr_expect_eq(r.status, 0, "run_autograder exited %d:\n%s", r.status, r.out.data);
    buf_free(&r.out);

    buf_reset(&cmd);
    buf_printf(&cmd, "python3 -c '%s' '%s/results/results.json'", results_py, root);
    r = run(cmd.data);
    buf_free(&cmd);
    cr_assert_eq(r.status, 0, "results.json is missing or not what Gradescope reads:\n%s",
                 r.out.data);
    struct results res = { .text = r.out };
    cr_assert_eq(sscanf(res.text.data, "%d %d %d %d", &res.score, &res.max, &res.tests,
                        &res.failed),
                 4, "%s", res.text.data);
    return res;
}

static void new_submission(void)
{
    must("rm -rf '%s/submission' && mkdir '%s/submission'", root, root);
}

/* The names of the kit's hidden checks of LAB ("LAB/NAME" lines), from its
 * instructor's rubric. */
static void hidden_checks(const char *lab, struct buf *names)
{
    struct cmd r = run("harness/grade --list --instructor");
    cr_assert_eq(r.status, 0, "harness/grade --list --instructor:\n%s", r.out.data);
    char *save = NULL, current[64] = "";
    for (char *line = strtok_r(r.out.data, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char name[128];
        if (line[0] != ' ')
            sscanf(line, "%63s", current);
        else if (strstr(line, "(hidden)") && strcmp(current, lab) == 0 &&
                 sscanf(line, " %127s", name) == 1)
            buf_printf(names, "%s/%s\n", lab, name);
    }
    buf_puts(names, "");
    buf_free(&r.out);
}

/* ---- The scenarios, in one test: they share the set-up kit ------------- */

/* The solution's files, loose at the top, as a student drags them onto
 * the upload page: full marks, hidden checks shown after publication. */
static void solution_gets_full_marks(void)
{
    new_submission();
    must("cp solutions/02-echo/*.c '%s/submission/'", root);
    struct results r = run_autograder();
    cr_expect_gt(r.max, 0, "%s", r.text.data);
    cr_expect_eq(r.score, r.max, "the solution lost points:\n%s", r.text.data);
    cr_expect_eq(r.failed, 0);
    cr_expect_not_null(strstr(r.text.data, "Graded 02-echo from"), "%s", r.text.data);

    struct buf hidden = { 0 };
    hidden_checks("02-echo", &hidden);
    char *save = NULL;
    for (char *name = strtok_r(hidden.data, "\n", &save); name != NULL;
         name = strtok_r(NULL, "\n", &save)) {
        char line[200];
        snprintf(line, sizeof line, "after_published %s\n", name);
        cr_expect_not_null(strstr(r.text.data, line),
                           "the hidden check %s is not in results.json, held back:\n%s", name,
                           r.text.data);
    }
    buf_free(&hidden);
    buf_free(&r.text);
}

/* Python programs in their folder, uploaded through the web page, which
 * drops the executable bit: graded as they are, full marks. */
static void python_submission_is_graded_as_is(void)
{
    new_submission();
    must("cp -R tests/python/02-echo '%s/submission/' && chmod a-x '%s/submission/02-echo/'*",
         root, root);
    struct results r = run_autograder();
    cr_expect(r.max > 0 && r.score == r.max, "the Python solution scored %d/%d:\n%s", r.score,
              r.max, r.text.data);
    buf_free(&r.text);
}

/* The whole kit uploaded, with a server that does not compile: the lab
 * did not build, so each of its checks fails, quoting the compiler. */
static void build_failure_is_explained(void)
{
    new_submission();
    must("mkdir -p '%s/submission/netlab/labs/02-echo' && "
         "cp solutions/02-echo/client.c '%s/submission/netlab/labs/02-echo/' && "
         "printf 'int main(void) { return no_such_name; }\\n' "
         "> '%s/submission/netlab/labs/02-echo/server.c'",
         root, root, root);
    struct results r = run_autograder();
    cr_expect(r.score == 0 && r.max > 0, "score %d/%d:\n%s", r.score, r.max, r.text.data);
    cr_expect(r.tests > 0 && r.failed == r.tests, "%d of %d tests failed", r.failed, r.tests);
    cr_expect_not_null(strstr(r.text.data, "no_such_name"),
                       "no failed check quotes the compiler:\n%s", r.text.data);
    cr_expect_not_null(strstr(r.text.data, "Graded 02-echo from netlab/labs/02-echo"), "%s",
                       r.text.data);
    buf_free(&r.text);
}

/* Nothing that looks like a lab: no score, and a sentence that says why. */
static void no_lab_folder_is_explained(void)
{
    new_submission();
    must("echo 'my notes' > '%s/submission/README.txt'", root);
    struct results r = run_autograder();
    cr_expect_eq(r.score, 0);
    cr_expect_eq(r.tests, 0, "%s", r.text.data);
    cr_expect_not_null(strstr(r.text.data, "no lab folder"), "%s", r.text.data);
    buf_free(&r.text);
}

/* The grader itself dies: still a results.json, which says so. */
static void grader_crash_is_explained(void)
{
    new_submission();
    must("cp solutions/02-echo/*.c '%s/submission/'", root);
    must("printf '#!/bin/sh\\nkill -SEGV $$\\n' > '%s/source/netlab/harness/grade'", root);
    struct results r = run_autograder();
    cr_expect_eq(r.score, 0);
    cr_expect_not_null(strstr(r.text.data, "The grader failed"), "%s", r.text.data);
    buf_free(&r.text);
}

Test(gradescope, autograder_runs_as_gradescope_runs_it)
{
    snprintf(root, sizeof root, "/tmp/netlab-gradescope-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    /* Gradescope unpacks the zip into /autograder/source, runs setup.sh
     * once, then copies run_autograder to /autograder and runs it there. */
    must("make --no-print-directory gradescope LAB=02 AUTOGRADER='%s/autograder.zip'", root);
    struct buf cmd = { 0 };
    buf_printf(&cmd, "python3 -c '%s' '%s/autograder.zip' setup.sh run_autograder", modes_py,
               root);
    struct cmd modes = run(cmd.data);
    buf_free(&cmd);
    cr_expect_eq(modes.status, 0, "%s", modes.out.data);
    cr_expect_not_null(strstr(modes.out.data,
                              "setup.sh executable\nrun_autograder executable\n"),
                       "the zip does not record its scripts as executable:\n%s",
                       modes.out.data);
    buf_free(&modes.out);
    /* INSTRUCTORS.md, "Trying it before students do", word for word but
     * for the paths: python3's zipfile, not unzip, which a fresh machine
     * lacks; the scripts run through sh. */
    must("python3 -m zipfile -e '%s/autograder.zip' '%s/source'", root, root);
    char path[PATH_MAX + 32];
    struct stat st;
    static const char *const scripts[] = { "setup.sh", "run_autograder" };
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/source/%s", root, scripts[i]);
        cr_assert_eq(stat(path, &st), 0, "the zip has no %s at its top", scripts[i]);
    }
    snprintf(path, sizeof path, "%s/source/netlab/solutions", root);
    cr_expect_neq(access(path, F_OK), 0, "the autograder holds the solutions");
    must("AUTOGRADER_ROOT='%s' sh '%s/source/setup.sh'", root, root);
    must("cp '%s/source/run_autograder' '%s/run_autograder'", root, root);

    /* What students' programs could read, where the grader cannot hide the
     * kit: not the grader built with the hidden checks. */
    snprintf(path, sizeof path, "%s/source/netlab/harness/grade", root);
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 077, 0, "the grader is readable by others: %o", st.st_mode);

    solution_gets_full_marks();
    python_submission_is_graded_as_is();
    build_failure_is_explained();
    no_lab_folder_is_explained();
    grader_crash_is_explained();
    must("rm -rf '%s'", root);
}

/* ---- write_gradescope alone --------------------------------------------- */

static void no_run(struct check *c)
{
    (void)c;
}

/* A lab of two visible checks and one hidden (the last). */
static const struct check_def fake_checks[] = {
    { "seen-passes", 2, 1000, "a visible check", "handouts/01-hello.md, section \"A\"",
      no_run },
    { "seen-fails", 3, 1000, "another", "handouts/01-hello.md, section \"B\"", no_run },
    { "held-back", 5, 1000, "a hidden check", "handouts/01-hello.md, section \"C\"", no_run },
};
static const struct lab_def fake_lab = { "97-fake", "fake", fake_checks, 3, 1 };

/* results.json for the fake lab with the hidden check HIDDEN_PASSED or
 * not, through a python3 script that prints "SCORE VISIBILITY EXECUTION
 * OUTPUT_FORMAT", then what a student sees before publication (as JSON):
 * the top-level output, and each test shown at once. */
static char *gradescope_of(bool hidden_passed, double seconds)
{
    static const char seen_py[] =
        "import json, sys\n"
        "r = json.load(sys.stdin)\n"
        "print(r['score'], r['visibility'], r['execution_time'], r['output_format'])\n"
        "for t in r['tests']:\n"
        "    assert t['output_format'] == 'text', t\n"
        "    assert isinstance(t['extra_data']['seconds'], float), t\n"
        "shown = [t for t in r['tests'] if t['visibility'] == 'visible']\n"
        "print(json.dumps({'output': r['output'], 'tests': shown}, sort_keys=True))\n";
    struct check_result results[3];
    for (size_t i = 0; i < 3; i++)
        results[i] = (struct check_result){ .lab = &fake_lab,
                                            .def = &fake_checks[i],
                                            .passed = i == 0 || (i == 2 && hidden_passed),
                                            .seconds = 0.5 * (double)i,
                                            .message = i == 1 ? "it failed" : NULL };
    struct report r = { .impl = "x", .results = results, .n = 3, .seconds = seconds };
    char path[] = "/tmp/netlab-results-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    write_gradescope(f, &r);
    fclose(f);
    struct buf cmd = { 0 };
    buf_printf(&cmd, "python3 -c \"%s\" < '%s'", seen_py, path);
    struct cmd out = run(cmd.data);
    unlink(path);
    buf_free(&cmd);
    cr_assert_eq(out.status, 0, "results.json is not what was expected:\n%s", out.out.data);
    return out.out.data;
}

/* Gradescope's total sums every test: shown before publication, it would
 * give the hidden check's result away (the total minus the visible tests).
 * Where there is a hidden check, the total is held back until publication
 * as that check is, and everything shown at once is the same whether the
 * hidden check passed or failed. */
Test(gradescope, the_visible_total_never_reveals_a_hidden_check)
{
    char *passed = gradescope_of(true, 12.4), *failed = gradescope_of(false, 12.4);
    cr_expect_eq(strncmp(passed, "7 after_published 12 text\n", 26), 0, "%s", passed);
    cr_expect_eq(strncmp(failed, "2 after_published 12 text\n", 26), 0, "%s", failed);
    const char *seen_passed = strchr(passed, '\n'), *seen_failed = strchr(failed, '\n');
    cr_assert(seen_passed && seen_failed);
    cr_expect_str_eq(seen_passed, seen_failed,
                     "a student sees a difference before publication");
    cr_expect_not_null(strstr(seen_passed, "netlab: 2/5 points"), "%s", seen_passed);
    cr_expect_not_null(strstr(seen_passed, "5 more points in 1 hidden check"), "%s",
                       seen_passed);
    free(passed);
    free(failed);
}
