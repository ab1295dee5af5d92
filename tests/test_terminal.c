/*
 * test_terminal.c - the grader's text report as a terminal shows it, and
 * reports that survive a kill: every line fits 80 display cells whatever
 * the messages (variants with long ones, a tree with a long path), colour
 * only on a terminal (a pseudo-terminal, made by Python's pty) and never
 * with NO_COLOR, the words PASS and FAIL always, the failed checks last;
 * one line for a bad option; the rubric's version in every report; and a
 * run killed midway (SIGKILL) or interrupted (SIGTERM) leaves results.json,
 * the JSON lines and the text whole, with the checks that ended counted.
 *
 * Run from the top of the kit (make test does), after make.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "command.h"
#include "files.h"
#include "lab.h"

TestSuite(terminal, .timeout = 180);

/* Runs the shell command made of FMT; its exit status. */
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

static char *temp_path(const char *name)
{
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "/tmp/netlab-terminal-%d-%s", (int)getpid(), name);
    return path;
}

/* Runs the grader (command.h) with ARGS, stdout into OUT and stderr into
 * ERR; its exit status. */
static int grade(const char *const *args, struct buf *out, struct buf *err)
{
    const char *argv[32] = { "harness/grade" };
    size_t argc = 1;
    for (size_t i = 0; args[i] != NULL && argc < COUNT_OF(argv) - 1; i++)
        argv[argc++] = args[i];
    int o = temp_fd(), e = temp_fd();
    int status = run_program(argv, NULL, NULL, o, e);
    take_file(o, out);
    take_file(e, err);
    return status;
}

/* Lines wider than 80 display cells (East Asian wide characters count 2,
 * combining marks 0), as Python's unicodedata measures them: exits 1 and
 * prints them. */
static const char widths_py[] =
    "import sys, unicodedata\n"
    "def cells(line):\n"
    "    return sum(0 if unicodedata.combining(c) else\n"
    "               2 if unicodedata.east_asian_width(c) in 'WF' else 1 for c in line)\n"
    "text = open(sys.argv[1], encoding='utf-8', errors='strict').read()\n"
    "wide = [(cells(l), l) for l in text.split('\\n') if cells(l) > 80]\n"
    "for w, l in wide:\n"
    "    print(w, repr(l))\n"
    "sys.exit(1 if wide else 0)\n";

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

/* A tree whose only lab folder is the built variant LAB/BUG, at a long
 * path (the Score line and the transcripts' paths must wrap). */
static void variant_tree(const char *lab, const char *bug, char *tree, size_t size)
{
    snprintf(tree, size, "%s",
             temp_path("a-tree-with-a-rather-long-name-that-the-"
                       "score-line-must-wrap-around"));
    cr_assert_eq(shell("rm -rf '%s' && mkdir -p '%s' && cp -a build/variants/%s/%s '%s/%s'",
                       tree, tree, lab, bug, tree, lab),
                 0, "build/variants/%s/%s (make test builds it)", lab, bug);
}

/* TEXT with its wrapped lines joined again (a newline and the two spaces
 * of a continuation become one space), to free. */
static char *unwrapped(const char *text)
{
    struct buf b = { 0 };
    for (const char *p = text;;) {
        const char *cont = strstr(p, "\n  ");
        if (cont == NULL) {
            buf_puts(&b, p);
            return b.data;
        }
        buf_append(&b, p, (size_t)(cont - p));
        buf_puts(&b, " ");
        p = cont + 3;
    }
}

/* The last paragraph of TEXT ("Failed: ..."), its lines joined. */
static char *last_paragraph(const char *text)
{
    const char *start = strstr(text, "\nFailed: ");
    cr_assert_not_null(start, "no summary of the failed checks:\n%s", text);
    struct buf joined = { 0 };
    for (const char *p = start + 1;;) {
        size_t n = strcspn(p, "\n");
        buf_append(&joined, p, n);
        if (strncmp(p + n, "\n  ", 3) != 0) {
            cr_expect_eq(p[n] == '\0' ? p[n] : p[n + 1], '\0',
                         "the summary of the failed checks is not last:\n%s", text);
            break;
        }
        buf_puts(&joined, " ");
        p += n + 3;
    }
    return joined.data;
}

/* Every line of the text report fits 80 columns, in each of its three
 * details, for variants whose messages are long (bytes shown as \xNN,
 * long hints); and the failed checks, with their points, come last. */
Test(terminal, every_line_fits_80_columns_and_the_failures_come_last)
{
    static const char *const variants[][2] = {
        { "01-hello", "server-garbage" },
        { "01-hello", "server-keeps-cr" },
        { "02-echo", "client-no-half-close" },
        { "02-echo", "client-noisy-exit" },
        { "03-chat", NULL },
        { "04-threaded", NULL },
        { "05-pinger", NULL },
        { "06-login", NULL },
    };
    static const char *const details[] = { NULL, "--quiet", "--verbose" };
    char tree[PATH_MAX], *report = xstrdup(temp_path("report.txt"));
    for (size_t i = 0; i < COUNT_OF(variants); i++) {
        char bug[256];
        if (variants[i][1] != NULL) {
            snprintf(bug, sizeof bug, "%s", variants[i][1]);
        } else { /* the lab's first variant */
            struct buf ls = { 0 };
            buf_printf(&ls, "ls tests/variants/%s | head -n 1", variants[i][0]);
            struct cmd c = run_command(".", ls.data, "10");
            c.out.data[strcspn(c.out.data, "\n")] = '\0';
            snprintf(bug, sizeof bug, "%s", c.out.data);
            buf_free(&c.out);
            buf_free(&ls);
        }
        variant_tree(variants[i][0], bug, tree, sizeof tree);
        const char *detail = details[i % COUNT_OF(details)];
        const char *args[] = { "--impl",        tree,           "--lab", variants[i][0],
                               "--transcripts", temp_path("t"), detail,  NULL };
        struct buf out = { 0 }, err = { 0 };
        int status = grade(args, &out, &err);
        cr_expect_eq(status, 1, "%s/%s %s: exit %d\n%s%s", variants[i][0], bug,
                     detail ? detail : "", status, out.data, err.data);
        write_file(report, out.data);
        cr_expect_eq(shell("python3 - '%s' <<'EOF'\n%sEOF\n", report, widths_py), 0,
                     "%s/%s %s: lines wider than 80 cells:\n%s", variants[i][0], bug,
                     detail ? detail : "", out.data);
        cr_expect_null(strchr(out.data, '\033'), "colour into a file:\n%s", out.data);
        cr_expect_not_null(strstr(out.data, "  FAIL  "), "no FAIL:\n%s", out.data);
        char *failed = last_paragraph(out.data);
        cr_expect(strncmp(failed, "Failed: ", 8) == 0 && strstr(failed, " point") &&
                      strstr(failed, variants[i][0]),
                  "%s", failed);
        free(failed);
        buf_free(&out);
        buf_free(&err);
    }
    shell("rm -rf '%s' '%s'", tree, temp_path("t"));
    unlink(report);
    free(report);
}

/* Runs the grader on a pseudo-terminal (Python's pty), with the ENV
 * assignments (a shell's words) and ARGS (shell words); what it wrote. */
static char *graded_on_a_terminal(const char *env, const char *args)
{
    static const char pty_py[] = "import os, pty, sys\n"
                                 "out = bytearray()\n"
                                 "def read(fd):\n"
                                 "    data = os.read(fd, 65536)\n"
                                 "    out.extend(data)\n"
                                 "    return data\n"
                                 "status = pty.spawn(sys.argv[1:], read)\n"
                                 "sys.stderr.buffer.write(bytes(out))\n"
                                 "sys.exit(os.waitstatus_to_exitcode(status))\n";
    struct buf cmd = { 0 };
    buf_printf(&cmd,
               "env %s python3 -c '%s' harness/grade --impl solutions --check "
               "01-hello/pair %s 2>&1 >/dev/null",
               env, pty_py, args);
    struct cmd r = run_command(".", cmd.data, "60");
    cr_expect_eq(r.status, 0, "%s:\n%s", cmd.data, r.out.data);
    buf_free(&cmd);
    return r.out.data;
}

/* Colour on a terminal, unless NO_COLOR is set to something; never into a
 * pipe or a file, unless asked; the word PASS either way. */
Test(terminal, colour_on_a_terminal_only)
{
    char *tty = graded_on_a_terminal("-u NO_COLOR", "");
    cr_expect_not_null(strstr(tty, "\033[1;32mPASS\033[0m"), "no colour on a terminal:\n%s",
                       tty);
    free(tty);
    tty = graded_on_a_terminal("NO_COLOR=", "");
    cr_expect_not_null(strstr(tty, "\033["), "an empty NO_COLOR turned colour off:\n%s", tty);
    free(tty);
    tty = graded_on_a_terminal("NO_COLOR=1", "");
    cr_expect_null(strchr(tty, '\033'), "colour with NO_COLOR:\n%s", tty);
    cr_expect_not_null(strstr(tty, "PASS"), "%s", tty);
    free(tty);
    tty = graded_on_a_terminal("-u NO_COLOR", "--color=never");
    cr_expect_null(strchr(tty, '\033'), "colour with --color=never:\n%s", tty);
    free(tty);

    struct buf out = { 0 }, err = { 0 };
    const char *args[] = { "--impl", "solutions", "--check", "01-hello/pair", NULL };
    cr_expect_eq(grade(args, &out, &err), 0);
    cr_expect_null(strchr(out.data, '\033'), "colour into a file:\n%s", out.data);
    cr_expect_not_null(strstr(out.data, "  PASS  pair "), "%s", out.data);
    buf_free(&out);
    buf_free(&err);
    const char *always[] = {
        "--impl", "solutions", "--check", "01-hello/pair", "--color", NULL
    };
    cr_expect_eq(grade(always, &out, &err), 0);
    cr_expect_not_null(strstr(out.data, "\033[1;32mPASS"), "--color: %s", out.data);
    buf_free(&out);
    buf_free(&err);
}

/* A bad option: one line that names it and points at --help; --version:
 * the kit's and the rubric's. */
Test(terminal, a_bad_option_is_one_line_and_version_names_the_rubric)
{
    static const char *const cases[][3] = {
        { "--frobnicate", NULL },
        { "--lab", NULL },
        { "--color=sometimes", NULL },
    };
    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        struct buf out = { 0 }, err = { 0 };
        cr_expect_eq(grade(cases[i], &out, &err), 2, "%s", cases[i][0]);
        const char *nl = strchr(err.data, '\n');
        cr_expect(nl != NULL && nl[1] == '\0', "not one line: %s", err.data);
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(cases[i][0], "="), cases[i][0]);
        cr_expect_not_null(strstr(err.data, name), "%s does not name %s", err.data, name);
        cr_expect_eq(out.len, 0, "%s", out.data);
        buf_free(&out);
        buf_free(&err);
    }
    struct buf out = { 0 }, err = { 0 };
    cr_expect_eq(grade((const char *[]){ "--frobnicate", NULL }, &out, &err), 2);
    cr_expect_not_null(strstr(err.data, "try 'grade --help'"), "%s", err.data);
    buf_free(&out);
    buf_free(&err);

    cr_expect_eq(grade((const char *[]){ "--version", NULL }, &out, &err), 0);
    char rubric[RUBRIC_VERSION_SIZE];
    rubric_version(false, rubric);
    cr_expect(strncmp(out.data, "grade (netlab) ", 15) == 0 && strstr(out.data, rubric),
              "%s (rubric %s)", out.data, rubric);
    buf_free(&out);
    buf_free(&err);
}

/* The rubric's version in every report: the text's Score paragraph, the
 * Gradescope output, a JUnit property; with the hidden checks' digest
 * only where one ran (lab 01 has none; lab 02 has, and Gradescope runs
 * them). */
Test(terminal, every_report_names_the_rubric_and_what_was_graded)
{
    char pub[RUBRIC_VERSION_SIZE], all[RUBRIC_VERSION_SIZE];
    rubric_version(false, pub);
    rubric_version(true, all);
    struct buf out = { 0 }, err = { 0 };
    const char *text[] = { "--impl", "solutions", "--lab", "01", NULL };
    cr_expect_eq(grade(text, &out, &err), 0, "%s", err.data);
    struct buf want = { 0 };
    buf_printf(&want, " by rubric %s, ", pub);
    char *report = unwrapped(out.data);
    cr_expect_not_null(strstr(report, want.data), "%s: %s", want.data, out.data);
    cr_expect_not_null(strstr(report, "\nScore: 18/18 (every check passed) for solutions: "
                                      "01-hello, graded 20"),
                       "%s", out.data);
    free(report);
    buf_free(&out);
    buf_free(&want);
    buf_free(&err);

    char *json = xstrdup(temp_path("rubric.json")), *xml = xstrdup(temp_path("rubric.xml"));
    const char *gs[] = { "--impl",     "solutions", "--lab", "01", "--format",
                         "gradescope", "--out",     json,    NULL };
    cr_expect_eq(grade(gs, &out, &err), 0, "%s", err.data);
    cr_expect_eq(shell("python3 -c 'import json, sys; "
                       "assert \"(rubric %s)\" in json.load(open(sys.argv[1]))[\"output\"]' "
                       "'%s'",
                       pub, json),
                 0, "results.json of lab 01 does not name the rubric %s", pub);
    buf_free(&out);
    buf_free(&err);
    const char *gs02[] = { "--impl", "solutions", "--lab",  "02", "--format", "gradescope",
                           "--out",  json,        "--jobs", "2",  NULL };
    cr_expect_eq(grade(gs02, &out, &err), 0, "%s", err.data);
    cr_expect_eq(shell("python3 -c 'import json, sys; "
                       "assert \"(rubric %s)\" in json.load(open(sys.argv[1]))[\"output\"]' "
                       "'%s'",
                       all, json),
                 0,
                 "results.json of lab 02, its hidden checks run, does not name the rubric %s",
                 all);
    buf_free(&out);
    buf_free(&err);
    const char *junit[] = { "--impl", "solutions", "--lab", "01", "--format",
                            "junit",  "--out",     xml,     NULL };
    cr_expect_eq(grade(junit, &out, &err), 0, "%s", err.data);
    cr_expect_eq(shell("python3 -c 'import sys, xml.etree.ElementTree as ET; "
                       "p = ET.parse(sys.argv[1]).getroot().find(\"testsuite/properties/"
                       "property[@name=\\\"rubric\\\"]\"); "
                       "assert p is not None and p.get(\"value\") == \"%s\"' '%s'",
                       pub, xml),
                 0, "the JUnit report does not name the rubric %s", pub);
    buf_free(&out);
    buf_free(&err);
    /* --format jsonl: a line per check, each with the rubric. */
    const char *jsonl[] = { "--impl", "solutions", "--lab", "01", "--format", "jsonl", NULL };
    cr_expect_eq(grade(jsonl, &out, &err), 0, "%s", err.data);
    write_file(json, out.data);
    cr_expect_eq(shell("python3 -c 'import json, sys\n"
                       "lines = [json.loads(l) for l in open(sys.argv[1])]\n"
                       "assert len(lines) == %zu, len(lines)\n"
                       "assert all(l[\"rubric\"] == \"%s\" and l[\"status\"] == \"passed\" "
                       "for l in lines)' '%s'",
                       find_lab("01")->nchecks, pub, json),
                 0, "--format jsonl:\n%s", out.data);
    buf_free(&out);
    buf_free(&err);
    unlink(json);
    unlink(xml);
    free(json);
    free(xml);
}

/* ---- Killed midway ------------------------------------------------------ */

struct grader {
    pid_t pid;
    char *out;   /* its stdout, a file */
    char *jsonl; /* its --jsonl file */
};

/* Starts the grader on every lab of the solutions, one check at a time
 * (so that most are still to run when it is stopped), with ARGS, stdout
 * into a file, --jsonl into another. */
static struct grader start_grader(const char *name, const char *const *args)
{
    struct grader g = { 0 };
    struct buf path = { 0 };
    buf_printf(&path, "%s.out", temp_path(name));
    g.out = path.data;
    path = (struct buf){ 0 };
    buf_printf(&path, "%s.jsonl", temp_path(name));
    g.jsonl = path.data;
    int fd = open(g.jsonl, O_WRONLY | O_CREAT | O_TRUNC, 0644); /* to watch */
    cr_assert_geq(fd, 0);
    close(fd);
    const char *argv[32] = { "harness/grade", "--impl", "solutions", "--jobs", "1",
                             "--jsonl",       g.jsonl };
    size_t argc = 7;
    for (size_t i = 0; args[i] != NULL && argc < COUNT_OF(argv) - 1; i++)
        argv[argc++] = args[i];
    int out = open(g.out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert_geq(out, 0);
    fflush(NULL);
    g.pid = fork();
    cr_assert_geq(g.pid, 0);
    if (g.pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        unsetenv("BXFI_MAP");
        dup2(out, STDOUT_FILENO);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(out);
    return g;
}

static size_t lines_in(const char *path)
{
    char *text = read_text_file(path);
    size_t n = 0;
    for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++)
        n++;
    free(text);
    return n;
}

/* Waits until G's JSON lines hold at least N checks: inotify tells each
 * write, under a deadline of 60 s. */
static void wait_for_checks(const struct grader *g, size_t n)
{
    int in = inotify_init1(IN_CLOEXEC);
    cr_assert_geq(in, 0);
    cr_assert_geq(inotify_add_watch(in, g->jsonl, IN_MODIFY), 0);
    int64_t deadline = now_us() + 60 * 1000000LL;
    while (lines_in(g->jsonl) < n) {
        int64_t left = (deadline - now_us()) / 1000;
        cr_assert_gt(left, 0, "the grader wrote fewer than %zu JSON lines in 60 s", n);
        struct pollfd p = { .fd = in, .events = POLLIN };
        if (poll(&p, 1, (int)left) > 0) {
            char events[4096];
            (void)!read(in, events, sizeof events);
        }
    }
    close(in);
}

static int stop(struct grader *g, int sig)
{
    kill(g->pid, sig);
    int status;
    cr_assert_eq(waitpid(g->pid, &status, 0), g->pid);
    return status;
}

static void free_grader(struct grader *g)
{
    unlink(g->out);
    unlink(g->jsonl);
    free(g->out);
    free(g->jsonl);
}

/* Checks a results.json left by a stopped run against its JSON lines: it
 * parses; each check that ended is there with the score its line gives
 * (the file is rewritten after the line is written: all lines, or all but
 * the last); the others are "not run", at 0; the total is the sum. */
static const char stopped_py[] =
    "import json, sys\n"
    "r = json.load(open(sys.argv[1]))\n"
    "lines = [json.loads(l) for l in open(sys.argv[2]).read().splitlines()]\n"
    "scores = {l['lab'] + '/' + l['check']: l['score'] for l in lines}\n"
    "stopped = lambda t: 'not run: the grading stopped' in t['output']\n"
    "ended = [t for t in r['tests'] if not stopped(t)]\n"
    "not_run = [t for t in r['tests'] if stopped(t)]\n"
    "assert len(lines) - 1 <= len(ended) <= len(lines), (len(lines), len(ended))\n"
    "assert ended and not_run, (len(ended), len(not_run))\n"
    "for t in ended:\n"
    "    assert scores[t['name']] == t['score'], t\n"
    "for t in not_run:\n"
    "    assert t['score'] == 0 and t['status'] == 'failed', t\n"
    "assert r['score'] == sum(t['score'] for t in r['tests'])\n"
    "assert r['max_score'] == sum(t['max_score'] for t in r['tests'])\n";

/* Whole lines: TEXT is empty or ends with a newline. */
static void expect_whole_lines(const char *path)
{
    char *text = read_text_file(path);
    size_t len = strlen(text);
    cr_expect(len == 0 || text[len - 1] == '\n', "a line cut short:\n%s", text);
    free(text);
}

/* SIGKILL midway: results.json holds the checks that ended, every JSON
 * line parses, and the text printed so far is whole lines of whole
 * checks. */
Test(terminal, a_run_killed_midway_leaves_valid_results)
{
    char *json = xstrdup(temp_path("killed.json"));
    struct grader g = start_grader("killed", (const char *[]){ "--format", "gradescope",
                                                               "--out", json, NULL });
    wait_for_checks(&g, 3);
    int status = stop(&g, SIGKILL);
    cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "status %d", status);
    cr_expect_eq(shell("python3 - '%s' '%s' <<'EOF'\n%sEOF\n", json, g.jsonl, stopped_py), 0,
                 "results.json after SIGKILL");
    struct stat st;
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", json);
    cr_expect(stat(json, &st) == 0 && st.st_size > 0);
    unlink(tmp);
    unlink(json);
    free(json);
    free_grader(&g);

    g = start_grader("killed-text", (const char *[]){ NULL });
    wait_for_checks(&g, 3);
    stop(&g, SIGKILL);
    expect_whole_lines(g.out);
    expect_whole_lines(g.jsonl);
    cr_expect_eq(shell("python3 -c 'import json, sys\n"
                       "for l in open(sys.argv[1]): json.loads(l)' '%s'",
                       g.jsonl),
                 0, "a JSON line does not parse");
    char *text = read_text_file(g.out);
    cr_expect_not_null(strstr(text, "  PASS  "), "no check printed as it ended:\n%s", text);
    free(text);
    free_grader(&g);
}

/* SIGTERM midway: the grader stops its checks and writes the final
 * reports of what ended, saying the run stopped, with status 130. */
Test(terminal, an_interrupted_run_writes_the_final_report)
{
    struct grader g = start_grader("term-text", (const char *[]){ NULL });
    wait_for_checks(&g, 3);
    int status = stop(&g, SIGTERM);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 130, "status %d", status);
    char *text = read_text_file(g.out);
    cr_expect_not_null(strstr(text, "\nScore: "), "no score:\n%s", text);
    cr_expect_not_null(strstr(text, "\nStopped: "), "no word of the stop:\n%s", text);
    cr_expect_not_null(strstr(text, "not run: the grading stopped"), "%s", text);
    cr_expect_not_null(strstr(text, "  PASS  "), "%s", text);
    free(text);
    free_grader(&g);

    char *json = xstrdup(temp_path("term.json"));
    g = start_grader("term-json",
                     (const char *[]){ "--format", "gradescope", "--out", json, NULL });
    wait_for_checks(&g, 3);
    status = stop(&g, SIGTERM);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 130, "status %d", status);
    /* The final rewrite holds every line's check. */
    cr_expect_eq(shell("python3 - '%s' '%s' <<'EOF'\n%s"
                       "assert len(ended) == len(lines), (len(ended), len(lines))\n"
                       "assert 'grading stopped' in r['output'], r['output']\nEOF\n",
                       json, g.jsonl, stopped_py),
                 0, "results.json after SIGTERM");
    unlink(json);
    free(json);
    free_grader(&g);
}
