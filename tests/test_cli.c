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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "files.h"

TestSuite(cli, .timeout = 60);

struct run {
    int status;             /* exit status, or -1 if killed */
    struct buf out;         /* what it wrote on stdout */
};

/* Runs harness/grade with ARGS (NULL-terminated) and collects its stdout. */
static struct run grade(const char *const *args)
{
    char out_path[] = "/tmp/netlab-cli-XXXXXX";
    int out = mkstemp(out_path);
    cr_assert_geq(out, 0);
    unlink(out_path);
    const char *argv[32] = { "harness/grade" };
    size_t argc = 1;
    while (args[argc - 1] != NULL && argc < 31) {
        argv[argc] = args[argc - 1];
        argc++;
    }
    argv[argc] = NULL;
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        unsetenv("BXFI_MAP");   /* Criterion's, not the grader's */
        dup2(out, STDOUT_FILENO);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    struct run r = {0};
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    lseek(out, 0, SEEK_SET);
    char chunk[4096];
    ssize_t n;
    while ((n = read(out, chunk, sizeof chunk)) > 0)
        buf_append(&r.out, chunk, (size_t)n);
    close(out);
    buf_puts(&r.out, "");
    return r;
}

/* Runs a Python SCRIPT that reads FILE; returns its exit status. */
static int python(const char *script, const char *file)
{
    struct buf cmd = {0};
    buf_printf(&cmd, "python3 -c '%s' '%s'", script, file);
    int status = system(cmd.data);
    buf_free(&cmd);
    return WEXITSTATUS(status);
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
    buf_free(&r.out);
}

Test(cli, lab_selection_by_number_id_and_name)
{
    struct run r = grade((const char *[]){ "--impl", "solutions", "--lab", "hello", NULL });
    cr_expect_eq(r.status, 0);
    cr_expect_not_null(strstr(r.out.data, "01-hello"));
    cr_expect_null(strstr(r.out.data, "02-echo"), "only lab 01 was asked for");
    buf_free(&r.out);

    char *xml = temp_path("both.xml");
    r = grade((const char *[]){ "--impl", "solutions", "--lab", "02", "--lab", "01-hello",
                                "--format", "junit", "--out", xml, NULL });
    cr_expect_eq(r.status, 0);
    cr_expect_eq(python(junit_py, xml), 10, "JUnit XML invalid, or a check failed");
    unlink(xml);
    buf_free(&r.out);
}

Test(cli, one_check_by_name)
{
    struct run r = grade((const char *[]){ "--impl", "solutions", "--check",
                                           "02-echo/binary-safe", NULL });
    cr_expect_eq(r.status, 0);
    cr_expect_not_null(strstr(r.out.data, "binary-safe"));
    cr_expect_null(strstr(r.out.data, "line-echo"), "only one check was asked for");
    cr_expect_not_null(strstr(r.out.data, "Score: 2/2"), "%s", r.out.data);
    buf_free(&r.out);
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
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
    buf_free(&r.out);
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

static void remove_tree(const char *tree)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tree);
    cr_expect_eq(system(cmd), 0);
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
    buf_free(&r.out);

    r = grade((const char *[]){ "--impl", tree, "--format", "gradescope", "--out", json, NULL });
    cr_expect_eq(r.status, 1);
    cr_expect_eq(python(gradescope_py, json), 3, "results.json invalid (or full marks)");
    buf_free(&r.out);

    r = grade((const char *[]){ "--impl", tree, NULL });
    cr_expect_eq(r.status, 1);
    for (size_t i = 0; i < r.out.len; i++) {
        unsigned char ch = (unsigned char)r.out.data[i];
        cr_expect(ch == '\n' || (ch >= 0x20 && ch < 0x7f),
                  "byte 0x%02x at %zu of the text report", ch, i);
        if (!(ch == '\n' || (ch >= 0x20 && ch < 0x7f)))
            break;
    }
    buf_free(&r.out);
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
        buf_free(&r.out);
    }
}

Test(cli, list_shows_the_rubric)
{
    struct run r = grade((const char *[]){ "--list", NULL });
    cr_expect_eq(r.status, 0);
    cr_expect_not_null(strstr(r.out.data, "01-hello  hello (one shot) (15 points)"), "%s",
                       r.out.data);
    cr_expect_not_null(strstr(r.out.data, "survives-reset"));
    buf_free(&r.out);
}

/* The names of the hidden checks the rubric lists to an instructor, as
 * "LAB-less" check names, one per line; "" when the kit has none (the
 * students' copy). */
static char *hidden_check_names(void)
{
    struct run r = grade((const char *[]){ "--list", "--instructor", NULL });
    cr_assert_eq(r.status, 0);
    struct buf names = {0};
    buf_puts(&names, "");
    for (char *line = strtok(r.out.data, "\n"); line; line = strtok(NULL, "\n")) {
        char name[128];
        if (strstr(line, "(hidden)") != NULL && sscanf(line, " %127s", name) == 1)
            buf_printf(&names, "%s\n", name);
    }
    buf_free(&r.out);
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
    buf_free(&r.out);

    r = grade((const char *[]){ "--impl", "solutions", NULL });
    cr_expect_eq(r.status, 0);
    cr_expect_null(strstr(r.out.data, first), "a student's run ran %s", first);
    cr_expect_not_null(strstr(r.out.data, "held back"), "no word of the points held back");
    buf_free(&r.out);

    r = grade((const char *[]){ "--impl", "solutions", "--instructor", NULL });
    cr_expect_eq(r.status, 0);
    cr_expect_not_null(strstr(r.out.data, first), "an instructor's run skipped %s", first);
    cr_expect_null(strstr(r.out.data, "held back"));
    buf_free(&r.out);

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
    buf_free(&r.out);
    free(names);
}

/* --time-scale stretches every time limit (for valgrind): a server that
 * never listens is given twice the lab's 3000 ms. */
Test(cli, time_scale_stretches_the_time_limits)
{
    if (access("build/hostile/never-listens", F_OK) != 0)
        cr_skip_test("no hostile submissions in this copy of the kit");
    struct run r = grade((const char *[]){ "--impl", "build/hostile/never-listens",
                                           "--check", "02-echo/line-echo", "--time-scale", "2",
                                           NULL });
    cr_expect_eq(r.status, 1);
    cr_expect_not_null(strstr(r.out.data, "within 6000 ms"), "%s", r.out.data);
    buf_free(&r.out);
}
