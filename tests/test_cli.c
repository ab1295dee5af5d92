/*
 * test_cli.c - the grader's command line, end to end: what `harness/grade`
 * writes and the exit status it gives, for the formats an instructor or a
 * CI system consumes.  Reports are validated by Python's own JSON and XML
 * parsers, including for a server that answers with garbage bytes.
 *
 * Run from the top of the kit (make test does), after make.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "command.h"
#include "files.h"
#include "lab.h"
#include "runner.h"

TestSuite(cli, .timeout = 60);

struct run {
    int status;     /* exit status, or -1 if killed */
    struct buf out; /* what it wrote on stdout */
    struct buf err; /* ...and on stderr */
};

/* Runs the words of BEFORE (NULL-terminated: a command found on PATH and
 * its first arguments, the grader last), then ARGS (NULL-terminated), and
 * collects what it writes (command.h). */
static struct run grade_with(const char *const *before, const char *const *args)
{
    const char *argv[48];
    size_t argc = 0;
    for (size_t i = 0; before[i] != NULL && argc < 16; i++)
        argv[argc++] = before[i];
    for (size_t i = 0; args[i] != NULL && argc < COUNT_OF(argv) - 1; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    int out = temp_fd(), err = temp_fd();
    struct run r = { 0 };
    r.status = run_program(argv, NULL, NULL, out, err);
    take_file(out, &r.out);
    take_file(err, &r.err);
    return r;
}

/* Runs harness/grade with ARGS (NULL-terminated) and collects its output. */
static struct run grade(const char *const *args)
{
    return grade_with((const char *[]){ "harness/grade", NULL }, args);
}

static void free_run(struct run *r)
{
    buf_free(&r->out);
    buf_free(&r->err);
}

/* Runs the shell command made of FMT and its arguments; its exit status. */
__attribute__((format(printf, 1, 2))) static int shell(const char *fmt, ...)
{
    struct buf cmd = { 0 };
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&cmd, fmt, ap);
    va_end(ap);
    int status = system(cmd.data);
    buf_free(&cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void remove_tree(const char *tree)
{
    cr_expect_eq(shell("rm -rf '%s'", tree), 0);
}

/* Runs a Python SCRIPT that reads FILE; returns its exit status. */
static int python(const char *script, const char *file)
{
    return shell("python3 -c '%s' '%s'", script, file);
}

/* The score Python reads from a Gradescope results.json, checked whole. */
static const char gradescope_py[] =
    "import json, sys\n"
    "r = json.load(open(sys.argv[1]))\n"
    "assert r[\"score\"] == sum(t[\"score\"] for t in r[\"tests\"])\n"
    "assert r[\"max_score\"] == sum(t[\"max_score\"] for t in r[\"tests\"])\n"
    "for t in r[\"tests\"]:\n"
    "    assert t[\"status\"] in (\"passed\", \"failed\"), t\n"
    "    assert (t[\"status\"] == \"passed\") == (t[\"score\"] == t[\"max_score\"]), t\n"
    "    assert t[\"visibility\"] in (\"visible\", \"after_published\"), t\n"
    "    assert isinstance(t[\"output\"], str)\n"
    "sys.exit(0 if r[\"score\"] == r[\"max_score\"] else 3)\n";

/* JUnit: parses, and exits with the number of failures (10 + it). */
static const char junit_py[] =
    "import sys, xml.etree.ElementTree as ET\n"
    "root = ET.parse(sys.argv[1]).getroot()\n"
    "assert root.tag == \"testsuites\"\n"
    "cases = root.findall(\"testsuite/testcase\")\n"
    "assert len(cases) == int(root.get(\"tests\")), (len(cases), root.get(\"tests\"))\n"
    "failed = [c for c in cases if c.find(\"failure\") is not None]\n"
    "assert len(failed) == int(root.get(\"failures\"))\n"
    "sys.exit(10 + len(failed))\n";

static char *temp_path(const char *name)
{
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "/tmp/netlab-cli-%d-%s", (int)getpid(), name);
    return path;
}

Test(cli, solutions_pass_with_exit_0_and_valid_gradescope_json)
{
    char *json = temp_path("results.json");
    struct run r = grade((const char *[]){ "--impl", "solutions", "--format", "gradescope",
                                           "--out", json, NULL });
    cr_expect_eq(r.status, 0, "grade exited %d", r.status);
    cr_expect_eq(python(gradescope_py, json), 0, "results.json is invalid or not full marks");
    unlink(json);
    free_run(&r);
}

Test(cli, lab_selection_by_number_id_and_name)
{
    struct run r = grade((const char *[]){ "--impl", "solutions", "--lab", "hello", NULL });
    cr_expect_eq(r.status, 0);
    cr_expect_not_null(strstr(r.out.data, "01-hello"));
    cr_expect_null(strstr(r.out.data, "02-echo"), "only lab 01 was asked for");
    free_run(&r);

    char *xml = temp_path("both.xml");
    r = grade((const char *[]){ "--impl", "solutions", "--lab", "02", "--lab", "01-hello",
                                "--format", "junit", "--out", xml, NULL });
    cr_expect_eq(r.status, 0);
    cr_expect_eq(python(junit_py, xml), 10, "JUnit XML invalid, or a check failed");
    unlink(xml);
    free_run(&r);
}

Test(cli, one_check_by_name)
{
    struct run r = grade((const char *[]){ "--impl", "solutions", "--check",
                                           "02-echo/binary-safe", NULL });
    cr_expect_eq(r.status, 0);
    cr_expect_not_null(strstr(r.out.data, "binary-safe"));
    cr_expect_null(strstr(r.out.data, "line-echo"), "only one check was asked for");
    cr_expect_not_null(strstr(r.out.data, "Score: 2/2"), "%s", r.out.data);
    free_run(&r);
}

Test(cli, transcripts_are_kept_for_every_check)
{
    char *dir = temp_path("transcripts");
    struct run r = grade((const char *[]){ "--impl", "solutions", "--lab", "01",
                                           "--transcripts", dir, NULL });
    cr_expect_eq(r.status, 0);
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/01-hello/server-pieces.txt", dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    char line[512];
    bool sent = false;
    while (fgets(line, sizeof line, f) != NULL)
        sent |= strstr(line, "grader -> server") != NULL;
    fclose(f);
    cr_expect(sent, "the transcript records no byte sent to the server");
    remove_tree(dir);
    free_run(&r);
}

/* A tree whose lab 01 server is the variant that answers with garbage. */
static void garbage_tree(char tree[PATH_MAX])
{
    snprintf(tree, PATH_MAX, "%s", temp_path("garbage"));
    char lab[PATH_MAX + 16], to[PATH_MAX + 32];
    snprintf(lab, sizeof lab, "%s/01-hello", tree);
    cr_assert_eq(mkdir(tree, 0755), 0);
    cr_assert_eq(mkdir(lab, 0755), 0);
    snprintf(to, sizeof to, "%s/server", lab);
    copy_file("build/variants/01-hello/server-garbage/server", to);
    snprintf(to, sizeof to, "%s/client", lab);
    copy_file("solutions/01-hello/client", to);
}

Test(cli, garbage_output_keeps_every_report_valid)
{
    char tree[PATH_MAX];
    garbage_tree(tree);

    char *xml = temp_path("garbage.xml"), *json = temp_path("garbage.json");
    struct run r = grade((const char *[]){ "--impl", tree, "--format", "junit", "--out", xml,
                                           NULL });
    cr_expect_eq(r.status, 1, "a failed check must give exit status 1");
    cr_expect_eq(python(junit_py, xml), 16, "JUnit XML invalid, or not 6 failures");
    free_run(&r);

    r = grade((const char *[]){ "--impl", tree, "--format", "gradescope", "--out", json,
                                NULL });
    cr_expect_eq(r.status, 1);
    cr_expect_eq(python(gradescope_py, json), 3, "results.json invalid (or full marks)");
    free_run(&r);

    r = grade((const char *[]){ "--impl", tree, NULL });
    cr_expect_eq(r.status, 1);
    for (size_t i = 0; i < r.out.len; i++) {
        unsigned char ch = (unsigned char)r.out.data[i];
        cr_expect(ch == '\n' || (ch >= 0x20 && ch < 0x7f),
                  "byte 0x%02x at %zu of the text report", ch, i);
        if (!(ch == '\n' || (ch >= 0x20 && ch < 0x7f)))
            break;
    }
    free_run(&r);
    unlink(xml);
    unlink(json);
    remove_tree(tree);
}

Test(cli, bad_usage_gives_exit_2)
{
    static const char *const cases[][6] = {
        { "--lab", "99", NULL },
        { "--format", "xml", NULL },
        { "--impl", "/nonexistent/tree", NULL },
        { "--jobs", "0", NULL },
        { "stray-argument", NULL },
        { "--check", "01-hello/no-such-check", "--impl", "solutions", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct run r = grade(cases[i]);
        cr_expect_eq(r.status, 2, "case %zu (%s %s): exit %d", i, cases[i][0],
                     cases[i][1] ? cases[i][1] : "", r.status);
        free_run(&r);
    }
}

Test(cli, list_shows_the_rubric)
{
    struct run r = grade((const char *[]){ "--list", NULL });
    cr_expect_eq(r.status, 0);
    cr_expect_not_null(strstr(r.out.data, "01-hello  hello (one shot) (18 points)"), "%s",
                       r.out.data);
    cr_expect_not_null(strstr(r.out.data, "survives-reset"));
    free_run(&r);
}

/* The names of the hidden checks the rubric lists to an instructor, as
 * "LAB-less" check names, one per line; "" when the kit has none (the
 * students' copy). */
static char *hidden_check_names(void)
{
    struct run r = grade((const char *[]){ "--list", "--instructor", NULL });
    cr_assert_eq(r.status, 0);
    struct buf names = { 0 };
    buf_puts(&names, "");
    for (char *line = strtok(r.out.data, "\n"); line; line = strtok(NULL, "\n")) {
        char name[128];
        if (strstr(line, "(hidden)") != NULL && sscanf(line, " %127s", name) == 1)
            buf_printf(&names, "%s\n", name);
    }
    free_run(&r);
    return names.data;
}

/* Hidden checks: students' runs skip them and say how many points are held
 * back; --instructor runs them; Gradescope shows them once published. */
Test(cli, hidden_checks_run_for_instructors_only)
{
    char *names = hidden_check_names();
    if (*names == '\0')
        cr_skip_test("this copy of the kit has no hidden check");
    char first[128];
    cr_assert_eq(sscanf(names, "%127s", first), 1);

    struct run r = grade((const char *[]){ "--list", NULL });
    cr_expect_null(strstr(r.out.data, first), "the students' rubric names %s", first);
    cr_expect_not_null(strstr(r.out.data, "in hidden checks"));
    free_run(&r);

    r = grade((const char *[]){ "--impl", "solutions", NULL });
    cr_expect_eq(r.status, 0);
    cr_expect_null(strstr(r.out.data, first), "a student's run ran %s", first);
    cr_expect_not_null(strstr(r.out.data, "held back"), "no word of the points held back");
    free_run(&r);

    r = grade((const char *[]){ "--impl", "solutions", "--instructor", NULL });
    cr_expect_eq(r.status, 0);
    cr_expect_not_null(strstr(r.out.data, first), "an instructor's run skipped %s", first);
    cr_expect_null(strstr(r.out.data, "held back"));
    free_run(&r);

    char *json = temp_path("hidden.json"), script[1024];
    r = grade((const char *[]){ "--impl", "solutions", "--format", "gradescope", "--out", json,
                                NULL });
    snprintf(script, sizeof script,
             "import json, sys\n"
             "tests = {t[\"name\"]: t for t in json.load(open(sys.argv[1]))[\"tests\"]}\n"
             "hidden = [n for n in tests if n.endswith(\"/%s\")]\n"
             "assert len(hidden) == 1, hidden\n"
             "assert tests[hidden[0]][\"visibility\"] == \"after_published\"\n"
             "assert sum(t[\"visibility\"] == \"visible\" for t in tests.values()) > 50\n",
             first);
    cr_expect_eq(python(script, json), 0, "Gradescope JSON does not hide %s until published",
                 first);
    unlink(json);
    free_run(&r);
    free(names);
}

/* --time-scale stretches every time limit (for valgrind): a server that
 * never listens is given twice the lab's 3000 ms. */
Test(cli, time_scale_stretches_the_time_limits)
{
    if (access("build/hostile/never-listens", F_OK) != 0)
        cr_skip_test("no hostile submissions in this copy of the kit");
    struct run r = grade((const char *[]){ "--impl", "build/hostile/never-listens", "--check",
                                           "02-echo/line-echo", "--time-scale", "2", NULL });
    cr_expect_eq(r.status, 1);
    cr_expect_not_null(strstr(r.out.data, "within 6000 ms"), "%s", r.out.data);
    free_run(&r);
}

/* ---- Wherever the kit and the submission sit ------------------------------ */

/* As root, programs run as a user of their own, who must reach them. */
static void skip_unless_root(void)
{
    if (geteuid() != 0)
        cr_skip_test("as root only: programs run as the grader's own user otherwise");
}

/* How many times NEEDLE occurs in HAYSTACK. */
static size_t occurrences(const char *haystack, const char *needle)
{
    size_t n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* A folder of PARENT for this test run only, made afresh with MODE; its
 * absolute path. */
static char *fresh_folder(const char *parent, const char *name, mode_t mode)
{
    char real[PATH_MAX];
    cr_assert_not_null(realpath(parent, real), "%s: %s", parent, strerror(errno));
    struct buf dir = { 0 };
    buf_printf(&dir, "%s/netlab-cli-%d-%s", real, (int)getpid(), name);
    remove_tree(dir.data);
    cr_assert_eq(mkdir(dir.data, 0700), 0, "%s: %s", dir.data, strerror(errno));
    cr_assert_eq(chmod(dir.data, mode), 0);
    return dir.data;
}

/* A copy of the built programs of the solutions' LAB in TREE/LAB. */
static void copy_solution(const char *tree, const char *lab)
{
    cr_assert_eq(shell("mkdir -p '%s/%s' && cp solutions/%s/server solutions/%s/client "
                       "'%s/%s/'",
                       tree, lab, lab, lab, tree, lab),
                 0);
}

/* A grader that the system gives no mount namespace, as in a plain chroot
 * or a container without CAP_SYS_ADMIN: setpriv (util-linux) takes the
 * capability out of the bounding and inheritable sets, so the grader it
 * runs has none (unshare(CLONE_NEWNS) fails with EPERM).  The grader's own
 * warning, checked below, says it found none. */
#define WITHOUT_MOUNT_NAMESPACES                                                              \
    "setpriv", "--bounding-set", "-sys_admin", "--inh-caps", "-sys_admin", "harness/grade"

Test(cli, without_mount_namespaces_an_open_tree_is_graded)
{
    skip_unless_root();
    char *tree = fresh_folder("/tmp", "open", 0755);
    copy_solution(tree, "01-hello");
    struct run r = grade_with((const char *[]){ WITHOUT_MOUNT_NAMESPACES, NULL },
                              (const char *[]){ "--impl", tree, NULL });
    cr_assert_neq(r.status, 127, "setpriv did not run: %s", r.err.data);
    cr_expect_eq(r.status, 0, "exit %d: %s%s", r.status, r.out.data, r.err.data);
    cr_expect_null(strstr(r.out.data, "not testable"), "shortio.so was not preloaded:\n%s",
                   r.out.data);
    cr_expect_eq(occurrences(r.err.data, "grade:"), 1, "one warning, nothing else:\n%s",
                 r.err.data);
    cr_expect_not_null(strstr(r.err.data, "grade: warning: no mount namespace for checks "
                                          "(Operation not permitted)"),
                       "%s", r.err.data);
    free_run(&r);
    remove_tree(tree);
    free(tree);
}

/* Exactly one message, that says where the way is closed, exit status 3,
 * and nothing graded, built or written. */
static void expect_cannot_grade(struct run *r, const char *closed, const char *how)
{
    cr_assert_neq(r->status, 127, "setpriv did not run: %s", r->err.data);
    cr_expect_eq(r->status, 3, "%s: exit %d, not 3 (cannot grade here): %s", how, r->status,
                 r->err.data);
    cr_expect_eq(r->out.len, 0, "%s graded something:\n%s", how, r->out.data);
    cr_expect_eq(strncmp(r->err.data, "grade: cannot grade here: ", 26), 0, "%s: %s", how,
                 r->err.data);
    cr_expect_eq(occurrences(r->err.data, "grade:"), 1, "%s: more than one message:\n%s", how,
                 r->err.data);
    char through[PATH_MAX + 32];
    snprintf(through, sizeof through, "cannot get through %s ", closed);
    cr_expect_not_null(strstr(r->err.data, through), "%s: the message names no folder:\n%s",
                       how, r->err.data);
    free_run(r);
}

Test(cli, without_mount_namespaces_a_closed_tree_stops_before_grading)
{
    skip_unless_root();
    char *closed = fresh_folder("/tmp", "closed", 0700);
    char tree[PATH_MAX + 16], class[PATH_MAX + 16], out[PATH_MAX + 16], csv[PATH_MAX + 32];
    snprintf(tree, sizeof tree, "%s/tree", closed);
    copy_solution(tree, "01-hello");
    struct run r = grade_with((const char *[]){ WITHOUT_MOUNT_NAMESPACES, NULL },
                              (const char *[]){ "--impl", tree, NULL });
    expect_cannot_grade(&r, closed, "--impl");

    /* A class whose copies would be built under it; --build copies into
     * TMPDIR: both stop before building. */
    snprintf(class, sizeof class, "%s/class", closed);
    snprintf(out, sizeof out, "%s/out", closed);
    cr_assert_eq(shell("mkdir -p '%s/alice' && cp -r labs/01-hello '%s/alice/'", class, class),
                 0);
    r = grade_with((const char *[]){ WITHOUT_MOUNT_NAMESPACES, NULL },
                   (const char *[]){ "--batch", class, "--out", out, NULL });
    expect_cannot_grade(&r, closed, "--batch");
    snprintf(csv, sizeof csv, "%s/gradebook.csv", out);
    cr_expect_neq(access(csv, F_OK), 0, "--batch wrote %s", csv);

    char tmpdir[PATH_MAX + 16];
    snprintf(tmpdir, sizeof tmpdir, "TMPDIR=%s", closed);
    r = grade_with((const char *[]){ "env", tmpdir, WITHOUT_MOUNT_NAMESPACES, NULL },
                   (const char *[]){ "--impl", tree, "--build", NULL });
    expect_cannot_grade(&r, closed, "--build");
    remove_tree(closed);
    free(closed);
}

/*
 * A kit under a folder closed to other users (as /root is), in a path with
 * spaces ("/root/my kit"): its grader grades its lab folders, and a tree in
 * another closed folder with a space in its name, at full marks, shortio.so
 * preloaded (ld.so splits LD_PRELOAD at spaces).  The sandbox covers the
 * closed folders and mounts back what the programs need.
 */
Test(cli, a_kit_in_a_closed_folder_with_a_space_is_graded_fully)
{
    skip_unless_root();
    if (!namespaces_allowed())
        cr_skip_test("no mount namespaces here: such a kit cannot be graded (the "
                     "without_mount_namespaces tests cover that)");
    /* Not in /tmp: a check's private /tmp would open the way by itself. */
    char *closed = fresh_folder("build", "closed folder", 0700);
    char kit[PATH_MAX + 16], grader[PATH_MAX + 32], solutions[PATH_MAX + 32];
    snprintf(kit, sizeof kit, "%s/my kit", closed);
    snprintf(grader, sizeof grader, "%s/harness/grade", kit);
    snprintf(solutions, sizeof solutions, "%s/solutions", kit);
    cr_assert_eq(shell("mkdir -p '%s/harness' && cp harness/grade harness/shortio.so "
                       "'%s/harness/'",
                       kit, kit),
                 0);
    copy_solution(solutions, "01-hello");
    copy_solution(solutions, "02-echo");

    char *elsewhere = fresh_folder("build", "other closed folder", 0700);
    copy_solution(elsewhere, "01-hello");
    const char *trees[] = { solutions, elsewhere };
    for (size_t i = 0; i < COUNT_OF(trees); i++) {
        struct run r = grade_with((const char *[]){ grader, NULL },
                                  (const char *[]){ "--impl", trees[i], NULL });
        cr_expect_eq(r.status, 0, "%s: exit %d:\n%s%s", trees[i], r.status, r.out.data,
                     r.err.data);
        cr_expect_null(strstr(r.out.data, "not testable"),
                       "%s: shortio.so was not "
                       "preloaded:\n%s",
                       trees[i], r.out.data);
        cr_expect_not_null(strstr(r.out.data, "short-counts"), "%s", r.out.data);
        free_run(&r);
    }
    remove_tree(elsewhere);
    remove_tree(closed);
    free(elsewhere);
    free(closed);
}

/* ---- Which isolation held ------------------------------------------------- */

/* results.json (argv 1) is valid and its output has the line of argv 2's
 * file, once. */
static const char isolation_json_py[] =
    "import json, sys\n"
    "r = json.load(open(sys.argv[1]))\n"
    "want = open(sys.argv[2]).read()\n"
    "lines = [l for l in r[\"output\"].split(\"\\n\") if l.startswith(\"Isolation: \")]\n"
    "assert lines == [want], (lines, want)\n";

/* Every testsuite of the JUnit XML (argv 1) has the line of argv 2's file
 * as its property "isolation". */
static const char isolation_junit_py[] =
    "import sys, xml.etree.ElementTree as ET\n"
    "root = ET.parse(sys.argv[1]).getroot()\n"
    "want = open(sys.argv[2]).read()\n"
    "suites = root.findall(\"testsuite\")\n"
    "assert suites\n"
    "for s in suites:\n"
    "    got = [p.get(\"value\") for p in s.findall(\"properties/property\")\n"
    "           if p.get(\"name\") == \"isolation\"]\n"
    "    assert got == [want], (got, want)\n";

/* Writes TEXT to the file PATH. */
static void write_text_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

/* The paragraph starting "Isolation: " in the text report TEXT, which must
 * have exactly one, right after the Score paragraph, as one line (to free):
 * the report wraps it at 80 columns, each continuation indented. */
static char *isolation_line_of(const char *text)
{
    cr_assert_eq(occurrences(text, "Isolation: "), 1, "not one isolation line:\n%s", text);
    const char *line = strstr(text, "\nIsolation: ");
    cr_assert_not_null(line, "%s", text);
    const char *score = strstr(text, "\nScore: ");
    cr_assert_not_null(score, "%s", text);
    const char *after = strchr(score + 1, '\n');
    while (after != NULL && strncmp(after, "\n  ", 3) == 0)
        after = strchr(after + 1, '\n');
    cr_expect_eq(after, line, "not right after the Score paragraph:\n%s", text);
    struct buf joined = { 0 };
    for (const char *p = line + 1;;) {
        size_t n = strcspn(p, "\n");
        buf_append(&joined, p, n);
        if (strncmp(p + n, "\n  ", 3) != 0)
            break;
        buf_puts(&joined, " ");
        p += n + 3;
    }
    return joined.data;
}

/*
 * Grades lab 01 of TREE (the solutions) with the grader run by BEFORE
 * (NULL-terminated, the grader last), at full marks, in each format: the
 * text report's isolation line (to free), which the Gradescope JSON and the
 * JUnit XML, both valid, give the same.  Reports go to stdout: the grader
 * may be a user who can write nowhere.
 */
static char *isolation_in_every_report(const char *const *before, const char *tree)
{
    struct run r = grade_with(before, (const char *[]){ "--impl", tree, "--lab", "01", NULL });
    cr_assert_neq(r.status, 127, "setpriv did not run: %s", r.err.data);
    cr_expect_eq(r.status, 0, "exit %d:\n%s%s", r.status, r.out.data, r.err.data);
    cr_expect_not_null(strstr(r.out.data, "\nScore: 18/18 (every check passed)"), "%s",
                       r.out.data);
    char *line = isolation_line_of(r.out.data);
    free_run(&r);

    char *want = xstrdup(temp_path("isolation.txt"));
    write_text_file(want, line);
    const struct {
        const char *format, *valid, *isolation;
        int full_marks;
    } formats[] = {
        { "gradescope", gradescope_py, isolation_json_py, 0 },
        { "junit", junit_py, isolation_junit_py, 10 },
    };
    for (size_t i = 0; i < COUNT_OF(formats); i++) {
        r = grade_with(before, (const char *[]){ "--impl", tree, "--lab", "01", "--format",
                                                 formats[i].format, NULL });
        cr_expect_eq(r.status, 0, "%s: exit %d: %s", formats[i].format, r.status, r.err.data);
        char *report = temp_path("isolation.report");
        write_text_file(report, r.out.data);
        cr_expect_eq(python(formats[i].valid, report), formats[i].full_marks,
                     "%s: invalid, or not full marks:\n%s", formats[i].format, r.out.data);
        cr_expect_eq(shell("python3 -c '%s' '%s' '%s'", formats[i].isolation, report, want), 0,
                     "%s: not the text report's line (%s):\n%s", formats[i].format, line,
                     r.out.data);
        unlink(report);
        free_run(&r);
    }
    unlink(want);
    free(want);
    return line;
}

/* The memory limit the check's transcript says held, as the isolation line
 * says it: "memory by cgroup v1", "... cgroup v2", "... RLIMITS_ONLY", or
 * "no memory limit" (a grader built with a sanitizer sets none). */
static const char *memory_limit_in_transcript(const char *transcripts)
{
    static const char *const kinds[] = { "cgroup v1", "cgroup v2", RLIMITS_ONLY };
    static const char *const phrases[] = { "memory by cgroup v1", "memory by cgroup v2",
                                           "memory by " RLIMITS_ONLY };
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/01-hello/server-replies.txt", transcripts);
    int fd = open(path, O_RDONLY);
    cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
    struct buf text = { 0 };
    take_file(fd, &text);
    const char *note = strstr(text.data, "memory limit: ");
    cr_assert_not_null(note, "no memory limit in the transcript:\n%s", text.data);
    note += strlen("memory limit: ");
    const char *phrase = NULL;
    for (size_t i = 0; i < COUNT_OF(kinds) && phrase == NULL; i++)
        if (strncmp(note, kinds[i], strlen(kinds[i])) == 0)
            phrase = strncmp(note + strlen(kinds[i]), ": none ", 7) == 0 ? "no memory limit"
                                                                         : phrases[i];
    cr_assert_not_null(phrase, "%s", note);
    buf_free(&text);
    return phrase;
}

/* As root where namespaces are allowed (here: cgroup v1), every layer
 * holds, a root file system of the check's own included, and the line says
 * so. */
Test(cli, isolation_line_as_root)
{
    skip_unless_root();
    if (!namespaces_allowed())
        cr_skip_test("no namespaces here: isolation_line_without_namespaces covers it");
    char *line = isolation_in_every_report((const char *[]){ "harness/grade", NULL },
                                           "solutions");
    char *dir = temp_path("isolation-transcripts");
    struct run r = grade((const char *[]){ "--impl", "solutions", "--check",
                                           "01-hello/server-replies", "--transcripts", dir,
                                           NULL });
    cr_expect_eq(r.status, 0, "%s", r.err.data);
    struct buf want = { 0 };
    buf_printf(&want,
               "Isolation: PID, network, IPC and mount namespaces; a root file system "
               "per check; a user per check; %s.",
               memory_limit_in_transcript(dir));
    cr_expect_eq(strncmp(line, want.data, want.len), 0, "%s\nnot: %s", line, want.data);
    buf_free(&want);
    free_run(&r);
    remove_tree(dir);
    free(line);
}

/* Where the system refuses namespaces (a container without CAP_SYS_ADMIN),
 * the grade is the same, and the line says what was missing. */
Test(cli, isolation_line_without_namespaces)
{
    skip_unless_root();
    /* A tree every user gets through: without namespaces nothing opens the
     * way through a kit under /root, and the grader would (rightly) refuse. */
    char *open_tree = fresh_folder("/tmp", "open tree", 0755);
    copy_solution(open_tree, "01-hello");
    char *line = isolation_in_every_report((const char *[]){ WITHOUT_MOUNT_NAMESPACES, NULL },
                                           open_tree);
    cr_expect_eq(strncmp(line, "Isolation: a user per check; ", 29), 0, "%s", line);
    cr_expect_not_null(strstr(line, "; no PID, network, IPC or mount namespace (the system "
                                    "refused them), no root file system of their own, so "
                                    "programs see the kit and share the machine's processes, "
                                    "network, IPC objects, /tmp and system files."),
                       "%s", line);
    free(line);
    remove_tree(open_tree);
    free(open_tree);
}

/*
 * Not as root (as nobody, from a copy of the kit in /tmp that nobody
 * reads): where the kernel allows user namespaces (Debian's does), every
 * layer but a user per check and a memory cgroup holds, and the line says
 * so; under a filter that refuses namespaces, as a default container does
 * (build/deny_namespaces), limits alone hold, and the line says what that
 * leaves open.  The grade is full marks either way.
 */
Test(cli, isolation_line_as_an_ordinary_user)
{
    char *kit = fresh_folder("/tmp", "kit for nobody", 0755);
    char grader[PATH_MAX + 32], solutions[PATH_MAX + 32], deny[PATH_MAX + 32];
    snprintf(grader, sizeof grader, "%s/harness/grade", kit);
    snprintf(solutions, sizeof solutions, "%s/solutions", kit);
    snprintf(deny, sizeof deny, "%s/deny_namespaces", kit);
    cr_assert_eq(shell("mkdir -p '%s/harness' && cp harness/grade harness/shortio.so "
                       "'%s/harness/' && cp build/deny_namespaces '%s/'",
                       kit, kit, kit),
                 0, "make test builds build/deny_namespaces");
    copy_solution(solutions, "01-hello");
    const char *as_nobody[] = { "setpriv",        "--reuid=nobody", "--regid=nogroup",
                                "--clear-groups", grader,           NULL };
    const char *as_myself[] = { grader, NULL };
    bool root = geteuid() == 0;
    char *line = isolation_in_every_report(root ? as_nobody : as_myself, solutions);
    bool user_namespaces = strncmp(line, "Isolation: user, ", 17) == 0;
    cr_expect_eq(user_namespaces, ordinary_user_namespaces_allowed(),
                 "the line is not what the system allows: %s", line);
    /* A grader built with a sanitizer sets no memory limit. */
    const char *memory = DEFAULT_MEMORY_LIMIT_MB < 0 ? "no memory limit"
                                                     : "memory by " RLIMITS_ONLY;
    struct buf want = { 0 };
    buf_printf(&want,
               "Isolation: user, PID, network, IPC and mount namespaces; a root file "
               "system per check; %s; no user of their own (not root), so programs run as "
               "your user.",
               memory);
    if (user_namespaces)
        cr_expect_str_eq(line, want.data);
    free(line);
    buf_free(&want);

    const char *refused_as_nobody[] = {
        "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", deny, grader, NULL
    };
    const char *refused_as_myself[] = { deny, grader, NULL };
    line = isolation_in_every_report(root ? refused_as_nobody : refused_as_myself, solutions);
    buf_printf(&want,
               "Isolation: limits only, %s: not root, and no user namespace allowed, "
               "so programs run as your user, see your files and share the machine's "
               "processes and network.",
               memory);
    cr_expect_str_eq(line, want.data);
    free(line);
    buf_free(&want);
    remove_tree(kit);
    free(kit);
}

/* ---- Grader errors ---------------------------------------------------------- */

/* The whole file PATH, appended to B. */
static void read_whole(const char *path, struct buf *b)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
    take_file(fd, b);
}

/* Checks that grade with NETLAB_TEST_NO_FREE_PORT set: every check that
 * needs a port meets a real grader error ("no free port"). */
static struct run grade_without_ports(const char *const *args)
{
    setenv("NETLAB_TEST_NO_FREE_PORT", "1", 1);
    struct run r = grade(args);
    unsetenv("NETLAB_TEST_NO_FREE_PORT");
    return r;
}

/* The Gradescope report of a run with a grader error: the test not graded
 * says so first; the score is 0 of the 0 points graded; the output above
 * the tests says why. */
static const char grader_error_json_py[] =
    "import json, sys\n"
    "r = json.load(open(sys.argv[1]))\n"
    "t = [t for t in r[\"tests\"] if t[\"name\"] == \"01-hello/server-replies\"]\n"
    "assert len(t) == 1, r\n"
    "assert t[0][\"output\"].startswith(\"GRADER ERROR: not graded\"), t[0]\n"
    "assert \"no free port\" in t[0][\"output\"], t[0]\n"
    "assert t[0][\"extra_data\"][\"grader_error\"] is True, t[0]\n"
    "assert \"GRADER ERROR: 1 check (2 points) not graded\" in r[\"output\"], r[\"output\"]\n"
    "assert r[\"max_score\"] == 2, r\n";

/* JUnit: the check is an <error type="grader">, counted in errors, not in
 * failures. */
static const char grader_error_junit_py[] =
    "import sys, xml.etree.ElementTree as ET\n"
    "root = ET.parse(sys.argv[1]).getroot()\n"
    "assert root.get(\"errors\") == \"1\" and root.get(\"failures\") == \"0\", root.attrib\n"
    "c = root.find(\"testsuite/testcase\")\n"
    "assert c.find(\"failure\") is None, c\n"
    "e = c.find(\"error\")\n"
    "assert e is not None and e.get(\"type\") == \"grader\", c\n"
    "assert \"no free port\" in e.get(\"message\"), e.attrib\n";

/* What points.py hands GitHub Classroom (base64 JSON after "result="). */
static const char classroom_py[] =
    "import base64, json, sys\n"
    "line = open(sys.argv[1]).read().strip()\n"
    "r = json.loads(base64.b64decode(line[len(\"result=\"):]))\n"
    "assert r[\"max_score\"] == 0 and r[\"status\"] == \"error\", r\n"
    "assert [t[\"status\"] for t in r[\"tests\"]] == [\"error\"], r\n";

/*
 * A real grader error, in every format of one run: not charged to the
 * student, shown apart, and the exit status (4) says so.
 */
Test(cli, a_grader_error_is_shown_apart_and_not_charged)
{
    const char *check[] = { "--impl",
                            "solutions",
                            "--check",
                            "01-hello/server-replies",
                            "--transcripts",
                            temp_path("error-transcripts"),
                            NULL };
    struct run r = grade_without_ports(check);
    cr_expect_eq(r.status, EXIT_GRADER_ERROR, "exit %d:\n%s%s", r.status, r.out.data,
                 r.err.data);
    cr_expect_not_null(strstr(r.out.data, "\nScore: 0/0, 1 check not graded: grader error "
                                          "(every graded check passed)"),
                       "%s", r.out.data);
    cr_expect_not_null(strstr(r.out.data, "  ERROR server-replies"), "%s", r.out.data);
    cr_expect_not_null(strstr(r.out.data, "grader error: no free port"), "%s", r.out.data);
    cr_expect_null(strstr(r.out.data, "FAIL"), "%s", r.out.data);
    free_run(&r);
    remove_tree(temp_path("error-transcripts"));

    char *json = temp_path("error.json");
    r = grade_without_ports((const char *[]){ "--impl", "solutions", "--check",
                                              "01-hello/server-replies", "--format",
                                              "gradescope", "--out", json, NULL });
    cr_expect_eq(r.status, EXIT_GRADER_ERROR);
    cr_expect_eq(python(grader_error_json_py, json), 0, "results.json");
    /* GitHub Classroom's points, from the same report: the check is an
     * error, out of the points graded. */
    char *output = temp_path("github-output");
    cr_expect_eq(shell("GITHUB_OUTPUT='%s' python3 handouts/classroom/points.py '%s' "
                       ">/dev/null && python3 -c '%s' '%s'",
                       output, json, classroom_py, output),
                 0, "points.py");
    unlink(output);
    unlink(json);
    free_run(&r);

    char *xml = temp_path("error.xml");
    r = grade_without_ports((const char *[]){ "--impl", "solutions", "--check",
                                              "01-hello/server-replies", "--format", "junit",
                                              "--out", xml, NULL });
    cr_expect_eq(r.status, EXIT_GRADER_ERROR);
    cr_expect_eq(python(grader_error_junit_py, xml), 0, "JUnit XML");
    unlink(xml);
    free_run(&r);
}

/* The class page and the gradebook show the check not graded apart. */
Test(cli, a_grader_error_is_apart_in_the_class_reports, .timeout = 120)
{
    char *class = fresh_folder("/tmp", "error-class", 0755);
    char lab[PATH_MAX + 32], out[PATH_MAX + 32], path[PATH_MAX + 64];
    snprintf(lab, sizeof lab, "%s/alice/01-hello", class);
    cr_assert_eq(shell("mkdir -p '%s'", lab), 0);
    copy_sources("solutions/01-hello", lab);
    snprintf(out, sizeof out, "%s/out", class);
    struct run r = grade_without_ports((const char *[]){
        "--batch", class, "--out", out, "--check", "01-hello/server-replies", NULL });
    cr_expect_eq(r.status, 0, "every file written: exit %d\n%s", r.status, r.err.data);
    cr_expect_not_null(strstr(r.err.data, "1 check not graded: grader error"), "%s",
                       r.err.data);
    free_run(&r);

    snprintf(path, sizeof path, "%s/gradebook.csv", out);
    struct buf csv = { 0 };
    read_whole(path, &csv);
    cr_expect_not_null(strstr(csv.data,
                              "\"total\",\"not graded (grader error)\",\"rubric\"\r\n"),
                       "%s", csv.data);
    cr_expect_not_null(strstr(csv.data, "\"alice\",0,0,\"01-hello/server-replies\","), "%s",
                       csv.data);
    buf_free(&csv);
    snprintf(path, sizeof path, "%s/class.html", out);
    struct buf html = { 0 };
    read_whole(path, &html);
    cr_expect_not_null(strstr(html.data, "alice: 0 of 0 points, 1 check not graded: grader "
                                         "error</summary>"),
                       "%s", html.data);
    cr_expect_not_null(strstr(html.data, "server-replies <small>not graded (2 points): grader "
                                         "error</small>"),
                       "%s", html.data);
    cr_expect_not_null(strstr(html.data, "no free port"), "%s", html.data);
    cr_expect_not_null(strstr(html.data, "<td>2</td><td>0 of 0 attempted</td>"),
                       "the pass rate counts the check not graded: %s", html.data);
    buf_free(&html);
    remove_tree(class);
    free(class);
}

/* ---- Stale programs ----------------------------------------------------------- */

/* A tree with lab 01's solution, sources and programs, the programs newer. */
static char *built_tree(void)
{
    char *tree = fresh_folder("/tmp", "stale", 0755);
    cr_assert_eq(shell("mkdir -p '%s/01-hello' && cp solutions/01-hello/*.c '%s/01-hello/' && "
                       "cp solutions/01-hello/server solutions/01-hello/client "
                       "'%s/01-hello/' && touch -d '1 hour ago' '%s/01-hello/'*.c",
                       tree, tree, tree, tree),
                 0);
    return tree;
}

/* A program older than a source of its folder, or of the tree's common/,
 * is not graded: the grader says which and that make comes first. */
Test(cli, a_program_older_than_its_sources_is_not_graded)
{
    char *tree = built_tree();
    const char *args[] = { "--impl",
                           tree,
                           "--check",
                           "01-hello/client-sends",
                           "--transcripts",
                           temp_path("stale-transcripts"),
                           NULL };
    struct run r = grade(args);
    cr_expect_eq(r.status, 0, "the fresh programs are graded: %s%s", r.out.data, r.err.data);
    free_run(&r);

    cr_assert_eq(shell("touch '%s/01-hello/server.c'", tree), 0);
    r = grade(args);
    cr_expect_eq(r.status, 5, "exit %d:\n%s%s", r.status, r.out.data, r.err.data);
    cr_expect_not_null(strstr(r.err.data, "grade: 01-hello/server is older than "
                                          "01-hello/server.c: run make first"),
                       "%s", r.err.data);
    cr_expect_null(strstr(r.out.data, "Score:"), "graded anyway:\n%s", r.out.data);
    free_run(&r);

    /* A plain run (every lab of the tree) refuses as well. */
    r = grade((const char *[]){ "--impl", tree, NULL });
    cr_expect_eq(r.status, 5, "exit %d:\n%s%s", r.status, r.out.data, r.err.data);
    free_run(&r);

    /* Each program is judged by what it is built from, as make builds it:
     * the client's source makes the client stale, never the server. */
    cr_assert_eq(shell("touch -d '1 hour ago' '%s/01-hello/server.c' && touch "
                       "'%s/01-hello/client.c'",
                       tree, tree),
                 0);
    r = grade(args);
    cr_expect_not_null(strstr(r.err.data, "grade: 01-hello/client is older than "
                                          "01-hello/client.c"),
                       "%s", r.err.data);
    cr_expect_null(strstr(r.err.data, "01-hello/server is older"), "%s", r.err.data);
    free_run(&r);
    cr_assert_eq(shell("touch -d '1 hour ago' '%s/01-hello/client.c'", tree), 0);

    cr_assert_eq(shell("touch -d '1 hour ago' '%s/01-hello/server.c' && mkdir '%s/common' && "
                       "touch '%s/common/netlab.h'",
                       tree, tree, tree),
                 0);
    r = grade(args);
    cr_expect_eq(r.status, 5, "exit %d:\n%s%s", r.status, r.out.data, r.err.data);
    cr_expect_not_null(strstr(r.err.data, "is older than common/netlab.h: run make first"),
                       "%s", r.err.data);
    free_run(&r);
    remove_tree(temp_path("stale-transcripts"));
    remove_tree(tree);
    free(tree);
}

/* --check without --transcripts keeps its transcript where make grade
 * does, in the kit's build/transcripts. */
Test(cli, one_check_keeps_its_transcript_like_make_grade)
{
    const char *path = "build/transcripts/01-hello/client-default-message.txt";
    unlink(path);
    struct run r = grade((const char *[]){ "--impl", "solutions", "--check",
                                           "01-hello/client-default-message", NULL });
    cr_expect_eq(r.status, 0, "%s%s", r.out.data, r.err.data);
    cr_expect_eq(access(path, R_OK), 0, "no %s: %s", path, strerror(errno));
    free_run(&r);
}

/*
 * make grade never grades the program that a build which just failed left
 * behind: make stops at the failed build; and even run on past it (make
 * -i), the grader refuses the program older than its source.  In a copy
 * of the kit's built files, times kept, so that only the broken program
 * is made again.
 */
Test(cli, make_grade_after_a_failed_build_grades_nothing, .timeout = 240)
{
    char *kit = fresh_folder("/tmp", "make-kit", 0755);
    cr_assert_eq(shell("cp -a Makefile mk harness labs solutions '%s/' && mkdir '%s/build' && "
                       "cp -a build/harness build/labs build/libgrader.a build/libnetlab.a "
                       "'%s/build/' && "
                       "printf 'this does not compile\\n' >> '%s/labs/01-hello/server.c'",
                       kit, kit, kit, kit),
                 0);
    struct cmd m = run_command(kit, "make grade LAB=01", "200");
    cr_expect_neq(m.status, 0, "%s", m.out.data);
    cr_expect_null(strstr(m.out.data, "Score:"), "graded after a failed build:\n%s",
                   m.out.data);
    buf_free(&m.out);

    m = run_command(kit, "make -i grade LAB=01", "200");
    cr_expect_not_null(strstr(m.out.data, "grade: 01-hello/server is older than "
                                          "01-hello/server.c: run make first"),
                       "%s", m.out.data);
    cr_expect_null(strstr(m.out.data, "Score:"), "graded the old program:\n%s", m.out.data);
    buf_free(&m.out);
    remove_tree(kit);
    free(kit);
}
