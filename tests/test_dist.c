/*
 * test_dist.c - the student copy (make dist), unpacked in a temporary
 * folder: it holds none of the answers (solutions, hidden checks,
 * known-buggy variants) and no build product, and on its own it builds,
 * grades the starters (a low score, a report, a failing exit status) and
 * passes its own make test.  Its GitHub Classroom workflow's steps, run as
 * GitHub would run them, hand Classroom's reporter the points.
 *
 * Run from the top of the kit (make test does), after make.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "command.h"

/* The copy's make and make test build everything from scratch: about 30 s
 * on an idle 2-core machine.  Each command has its own deadline, shorter. */
TestSuite(dist, .timeout = 420);

#define COMMAND_SECONDS "300"

/* Runs the shell command CMD in folder DIR (command.h). */
static struct cmd run_in(const char *dir, const char *cmd)
{
    return run_command(dir, cmd, COMMAND_SECONDS);
}

/* Makes the student copy into a fresh temporary folder TMP and unpacks it
 * there: TMP/netlab. */
static void unpack_student_copy(char tmp[PATH_MAX])
{
    snprintf(tmp, PATH_MAX, "/tmp/netlab-dist-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
    char cmd[2 * PATH_MAX];
    snprintf(cmd, sizeof cmd,
             "make --no-print-directory dist DIST='%s/student.tar.gz' && "
             "tar -xzf '%s/student.tar.gz' -C '%s'", tmp, tmp, tmp);
    struct cmd r = run_in(".", cmd);
    cr_assert_eq(r.status, 0, "make dist or tar failed:\n%s", r.out.data);
    buf_free(&r.out);
}

static void remove_tree(const char *tmp)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    cr_expect_eq(system(cmd), 0);
}

/* ---- What the copy holds ----------------------------------------------- */

/* Paths (relative to netlab/) a student must not get, or that only a build
 * makes. */
static const char *const forbidden[] = {
    "solutions", "harness/hidden", "tests/variants", "tests/hostile", "tests/python",
    "tests/fuzz", "build", ".git", "harness/grade", "harness/shortio.so",
};

static struct buf found_wrong;      /* what nftw's callback found */
static size_t top_len;              /* length of ".../netlab/" */
static size_t files_seen;

static bool is_elf(const char *path)
{
    char magic[4] = {0};
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return false;
    bool elf = read(fd, magic, 4) == 4 && memcmp(magic, "\177ELF", 4) == 0;
    close(fd);
    return elf;
}

static int inspect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (strlen(path) <= top_len)
        return 0;
    const char *rel = path + top_len;
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++) {
        size_t n = strlen(forbidden[i]);
        if (strncmp(rel, forbidden[i], n) == 0 && (rel[n] == '\0' || rel[n] == '/'))
            buf_printf(&found_wrong, "  %s (no %s in a student copy)\n", rel, forbidden[i]);
    }
    if (type == FTW_F) {
        files_seen++;
        if (is_elf(path))
            buf_printf(&found_wrong, "  %s (a built program)\n", rel);
    }
    return 0;
}

Test(dist, the_copy_holds_no_answer_and_no_build_product)
{
    char tmp[PATH_MAX], top[PATH_MAX + 16];
    unpack_student_copy(tmp);
    snprintf(top, sizeof top, "%s/netlab/", tmp);
    top_len = strlen(top);
    buf_puts(&found_wrong, "");
    cr_assert_eq(nftw(top, inspect, 16, FTW_PHYS), 0, "%s: %s", top, strerror(errno));
    cr_expect_eq(found_wrong.len, 0, "the student copy holds:\n%s", found_wrong.data);
    cr_expect_gt(files_seen, 50, "only %zu files in the student copy", files_seen);

    /* What a student needs is there: starters, handouts, the grader's
     * sources, the Classroom workflow in place. */
    static const char *const needed[] = {
        "Makefile", "README.md", "labs/02-echo/server.c", "labs/common/netlab.h",
        "handouts/02-echo.md", "harness/grade.c", "tests/test_netlab.c",
        ".github/workflows/classroom.yml", "handouts/classroom/grade.sh",
    };
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++) {
        char path[2 * PATH_MAX];
        snprintf(path, sizeof path, "%s%s", top, needed[i]);
        cr_expect_eq(access(path, R_OK), 0, "the student copy has no %s", needed[i]);
    }
    buf_free(&found_wrong);
    remove_tree(tmp);
}

/* ---- What the copy does on its own ------------------------------------ */

/* The names of the hidden checks of the kit's own grader ("02-echo/NAME"
 * lines), from its instructor's rubric. */
static void hidden_checks(struct buf *names)
{
    struct cmd r = run_in(".", "harness/grade --list --instructor");
    cr_assert_eq(r.status, 0, "harness/grade --list --instructor:\n%s", r.out.data);
    char *save = NULL;
    for (char *line = strtok_r(r.out.data, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char name[128];
        if (strstr(line, "(hidden)") != NULL && sscanf(line, " %127s", name) == 1)
            buf_printf(names, "%s\n", name);
    }
    buf_puts(names, "");
    buf_free(&r.out);
}

static void expect_builds(const char *kit)
{
    struct cmd r = run_in(kit, "make");
    cr_assert_eq(r.status, 0, "make in the student copy failed:\n%s", r.out.data);
    buf_free(&r.out);
}

/* make grade on the starters: the report, a low score, a failing status. */
static void expect_starters_graded_low(const char *kit)
{
    struct cmd r = run_in(kit, "make grade");
    cr_expect_neq(r.status, 0, "make grade passed on the starters:\n%s", r.out.data);
    const char *score = strstr(r.out.data, "\nScore: ");
    int got = -1, max = -1;
    cr_assert_not_null(score, "make grade printed no score:\n%s", r.out.data);
    cr_assert_eq(sscanf(score, "\nScore: %d/%d", &got, &max), 2, "%s", score);
    cr_expect(max > 0 && got * 4 < max, "the starters scored %d/%d", got, max);
    cr_expect_not_null(strstr(r.out.data, "FAIL"), "no failed check is explained");
    cr_expect_not_null(strstr(r.out.data, "hint: handouts/"), "no hint in the report");
    buf_free(&r.out);
}

/* Its rubric names no hidden check and holds no point back. */
static void expect_no_hidden_check(const char *kit)
{
    struct buf hidden = {0};
    hidden_checks(&hidden);
    struct cmd r = run_in(kit, "harness/grade --list --instructor");
    cr_assert_eq(r.status, 0, "%s", r.out.data);
    cr_expect_null(strstr(r.out.data, "hidden"), "the copy's rubric:\n%s", r.out.data);
    char *save = NULL;
    for (char *name = strtok_r(hidden.data, "\n", &save); name != NULL;
         name = strtok_r(NULL, "\n", &save)) {
        char pattern[160];
        snprintf(pattern, sizeof pattern, "  %s ", name);
        cr_expect_null(strstr(r.out.data, pattern), "the copy's grader has the hidden check %s",
                       name);
    }
    buf_free(&hidden);
    buf_free(&r.out);
}

/* Its own make test passes, with tests that did run. */
static void expect_own_tests_pass(const char *kit)
{
    struct cmd r = run_in(kit, "make test");
    cr_expect_eq(r.status, 0, "make test in the student copy failed:\n%s", r.out.data);
    const char *total = strstr(r.out.data, "Total: ");
    int passed = 0, failed = -1;
    cr_assert_not_null(total, "no total from make test:\n%s", r.out.data);
    cr_expect_eq(sscanf(total, "Total: %d passed, %d failed", &passed, &failed), 2);
    cr_expect(passed > 50 && failed == 0, "the copy's make test: %.60s", total);
    buf_free(&r.out);
}

/* ---- The GitHub Classroom workflow ------------------------------------- */

#define WORKFLOW ".github/workflows/classroom.yml"

/* What Classroom's reporter action would read from the grading step's
 * output: "STATUS SCORE MAX TESTS", each test checked. */
static const char classroom_py[] =
    "import base64, json, sys\n"
    "lines = [l for l in open(sys.argv[1]) if l.startswith(\"result=\")]\n"
    "assert len(lines) == 1, lines\n"
    "r = json.loads(base64.b64decode(lines[0][len(\"result=\"):]))\n"
    "assert r[\"version\"] == 1 and r[\"status\"] in (\"pass\", \"fail\"), r\n"
    "for t in r[\"tests\"]:\n"
    "    assert t[\"status\"] in (\"pass\", \"fail\"), t\n"
    "    assert isinstance(t[\"score\"], int) and isinstance(t[\"message\"], str), t\n"
    "    assert t[\"name\"].startswith(\"01-hello/\"), t\n"
    "print(r[\"status\"], sum(t[\"score\"] for t in r[\"tests\"]), r[\"max_score\"],\n"
    "      len(r[\"tests\"]))\n";

/* The workflow ties the grading step to the reporter by names: the step id,
 * the reporter's runners and its NAME_RESULTS variable, and the job's
 * name, on whose check run the reporter writes the points. */
static void expect_workflow_wiring(const char *text)
{
    static const char *const wiring[] = {
        "\n  run-autograding-tests:\n", "id: netlab\n", "runners: netlab\n",
        "NETLAB_RESULTS: ${{ steps.netlab.outputs.result }}\n", "checks: write",
        "classroom-resources/autograding-grading-reporter@v1\n",
    };
    for (size_t i = 0; i < sizeof wiring / sizeof wiring[0]; i++)
        cr_expect_not_null(strstr(text, wiring[i]), WORKFLOW " lacks \"%s\"", wiring[i]);
    /* A YAML parser, where Python has one, must read it. */
    struct cmd r = run_in(".", "python3 -c 'import yaml' 2>/dev/null || exit 0; python3 -c "
                               "'import sys, yaml; assert isinstance(yaml.safe_load("
                               "open(sys.argv[1])), dict)' handouts/classroom/classroom.yml");
    cr_expect_eq(r.status, 0, "the workflow is not valid YAML:\n%s", r.out.data);
    buf_free(&r.out);
}

/* Lab 01's points in the copy's rubric: "01-hello  TITLE (N points)". */
static int points_of_lab_01(const char *kit)
{
    struct cmd r = run_in(kit, "harness/grade --list");
    const char *line = strstr(r.out.data, "01-hello  ");
    const char *open = line ? strstr(line, " (") : NULL;
    while (open != NULL && open[2] != '\0' && (open[2] < '0' || open[2] > '9'))
        open = strstr(open + 2, " (");
    int points = -1;
    cr_assert(open != NULL && sscanf(open, " (%d points", &points) == 1, "%s", r.out.data);
    buf_free(&r.out);
    return points;
}

/* Runs the workflow's `run:` steps in the copy, in order, as GitHub's
 * runner would (with sudo left out: these tests run as root or need no
 * package), lab 01 only; then reads what the reporter would get. */
static void expect_classroom_points(const char *tmp, const char *kit)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/" WORKFLOW, kit);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    struct buf text = {0}, script = {0};
    char line[512];
    buf_printf(&script, "set -e; export NETLAB_LABS=01 GITHUB_OUTPUT='%s/output' "
               "GITHUB_STEP_SUMMARY='%s/summary'\n", tmp, tmp);
    while (fgets(line, sizeof line, f) != NULL) {
        buf_puts(&text, line);
        const char *run = strstr(line, "run: ");
        if (run != NULL) {
            run += strlen("run: ");
            if (strncmp(run, "sudo ", 5) == 0)
                run += 5;
            buf_puts(&script, run);
        }
    }
    fclose(f);
    expect_workflow_wiring(text.data);
    cr_expect_not_null(strstr(script.data, "handouts/classroom/grade.sh"), "%s", script.data);

    struct cmd r = run_in(kit, script.data);
    cr_assert_eq(r.status, 0, "the workflow's steps failed:\n%s\n%s", script.data, r.out.data);
    cr_expect_not_null(strstr(r.out.data, "FAIL  01-hello/"), "no failed check in the log:\n%s",
                       r.out.data);
    /* The starters build, so every check ran: none fails for want of a
     * program (or of the kit's library, which the steps must build). */
    cr_expect_null(strstr(r.out.data, "could not run"), "a check did not run:\n%s", r.out.data);
    buf_free(&r.out);

    buf_reset(&text);
    buf_printf(&text, "python3 -c '%s' '%s/output'", classroom_py, tmp);
    r = run_in(".", text.data);
    cr_assert_eq(r.status, 0, "the reporter's input is wrong:\n%s", r.out.data);
    char status[16] = "";
    int score = -1, max = -1, tests = -1;
    cr_assert_eq(sscanf(r.out.data, "%15s %d %d %d", status, &score, &max, &tests), 4, "%s",
                 r.out.data);
    cr_expect_str_eq(status, "fail", "the starters passed every check");
    int lab_points = points_of_lab_01(kit);
    cr_expect(max == lab_points && score < max && tests > 5, "lab 01 has %d points: %s",
              lab_points, r.out.data);
    buf_free(&r.out);

    buf_reset(&text);
    buf_printf(&text, "grep -q '^### netlab: [0-9]*/%d points' '%s/summary'", lab_points, tmp);
    r = run_in(".", text.data);
    cr_expect_eq(r.status, 0, "the job summary has no line of points");
    buf_free(&r.out);
    buf_free(&text);
    buf_free(&script);
}

Test(dist, the_copy_works_alone_and_under_classroom)
{
    char tmp[PATH_MAX], kit[PATH_MAX + 16];
    unpack_student_copy(tmp);
    snprintf(kit, sizeof kit, "%s/netlab", tmp);
    /* First, as on GitHub's runner: nothing built yet. */
    expect_classroom_points(tmp, kit);
    expect_builds(kit);
    expect_starters_graded_low(kit);
    expect_own_tests_pass(kit);
    expect_no_hidden_check(kit);
    remove_tree(tmp);
}
