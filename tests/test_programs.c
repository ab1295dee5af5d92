/*
 * test_programs.c - unit tests of the student's programs as the grader
 * runs them (harness/programs.c): a conversation over a pseudo-terminal,
 * a program stopped only once it blocks, failures that say what the
 * grader did and what the program did, and only a regular file inside the
 * lab folder run.  On the self-test lab (selftest.h).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "selftest.h"
#include "unit.h"

TestSuite(programs, .init = selftest_init, .fini = selftest_fini, .timeout = 30);

static void tty_conversation(struct check *c)
{
    struct program *p = start_program(c, "ttyecho", NULL);
    expect_output_line(c, p, "stdin: tty");
    expect_output_line(c, p, "stdout: tty");
    type_line(c, p, "first line");
    expect_output_line(c, p, "got: first line");
    type_line(c, p, "second, with \"quotes\" and a \\ backslash");
    expect_output_line(c, p, "got: second, with \"quotes\" and a \\ backslash");
    type_eof(c, p);
    expect_output_line(c, p, "EOF");
    expect_exit(c, p, 0);
    static const char want[] = "stdin: tty\nstdout: tty\ngot: first line\n"
                               "got: second, with \"quotes\" and a \\ backslash\nEOF\n";
    const struct buf *out = program_stdout(p);
    if (out->len != strlen(want) || memcmp(out->data, want, out->len) != 0) {
        struct buf msg = { 0 };
        describe_difference(&msg, want, strlen(want), out->data, out->len);
        fail(c, "stdout is not exactly what was printed (no echo, no \"\\r\"):\n%s", msg.data);
    }
}

static const struct check_def tty_checks[] = {
    { "tty", 1, 5000, "talks over a terminal", "handouts/97-selftest.md, section \"T\"",
      tty_conversation },
};
static const struct lab_def tty_lab = { SELF_LAB, "self-test", tty_checks, 1, 0 };

Test(programs, terminal_input_output_and_eof)
{
    double seconds;
    struct check_result *r = grade(&tree, &tty_lab, 1, &seconds);
    cr_expect(r[0].passed, "%s\n--- transcript:\n%s", r[0].message, r[0].transcript);
    expect_nothing_left();
}

/* Passes once the program is ready; the end of the check stops it while
 * it is busy, before its read. */
static void late_blocker(struct check *c)
{
    expect_output_line(c, start_program(c, "late", NULL), "ready");
}

static const struct check_def late_checks[] = {
    { "late", 1, 5000, "stops a program that blocks late",
      "handouts/97-selftest.md, section \"S\"", late_blocker },
};
static const struct lab_def late_lab = { SELF_LAB, "self-test", late_checks, 1, 0 };

/* A SIGTERM that comes between a program's look at its flag and its
 * blocking call is lost until that call returns: the end of a check waits
 * until the program blocks before it sends one, so the program exits by
 * itself instead of being killed (under valgrind, whose leak check then
 * runs to its end). */
Test(programs, stop_waits_until_the_program_blocks)
{
    double seconds;
    struct check_result *r = grade(&tree, &late_lab, 1, &seconds);
    cr_expect(r[0].passed, "%s", r[0].message);
    cr_expect_not_null(strstr(r[0].transcript, "late exited with status 0"),
                       "the program should have stopped on SIGTERM:\n%s", r[0].transcript);
    cr_expect_null(strstr(r[0].transcript, "SIGKILL"), "%s", r[0].transcript);
}

static void wrong_status(struct check *c)
{
    expect_exit(c, start_program(c, "exit3", NULL), 0);
}

static void killed_by_signal(struct check *c)
{
    expect_exit(c, start_program(c, "killed", NULL), 0);
}

static void garbage_output(struct check *c)
{
    expect_output_line(c, start_program(c, "garbage", NULL), "a line never printed");
}

static void missing_program(struct check *c)
{
    start_program(c, "nosuch", NULL);
}

static const struct check_def failing_checks[] = {
    { "wrong-status", 1, 3000, "exit 3", "handouts/97-selftest.md, section \"F\"",
      wrong_status },
    { "killed", 1, 3000, "killed", "handouts/97-selftest.md, section \"F\"",
      killed_by_signal },
    { "garbage", 1, 3000, "garbage", "handouts/97-selftest.md, section \"F\"",
      garbage_output },
    { "missing", 1, 3000, "missing", "handouts/97-selftest.md, section \"F\"",
      missing_program },
};
static const struct lab_def failing_lab = { SELF_LAB, "self-test", failing_checks,
                                            COUNT_OF(failing_checks), 0 };

static void ignores_sigterm(struct check *c)
{
    struct program *p = start_program(c, "deaf", NULL);
    expect_output_line(c, p, "deaf and ready");
    signal_program(c, p, SIGTERM);
    expect_exit(c, p, 0);
}

/* Sends the program named as the check is (less "-on-term") SIGTERM once
 * it is ready, and expects status 0. */
static void signalled(struct check *c)
{
    char name[16], ready[32];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(c->def->name, "-"), c->def->name);
    snprintf(ready, sizeof ready, "%s ready", name);
    struct program *p = start_program(c, name, NULL);
    expect_output_line(c, p, ready);
    signal_program(c, p, SIGTERM);
    expect_exit(c, p, 0);
}

static void stdout_in_message(struct check *c)
{
    expect_output_line(c, start_program(c, "chatty", NULL), "a line never printed");
}

static const struct check_def telling_checks[] = {
    { "ignores-sigterm", 1, 3000, "SIGTERM", "handouts/97-selftest.md, section \"F\"",
      ignores_sigterm },
    { "stdout-once", 1, 1000, "stdout", "handouts/97-selftest.md, section \"F\"",
      stdout_in_message },
    { "term1-on-term", 1, 3000, "status 1", "handouts/97-selftest.md, section \"F\"",
      signalled },
    { "plain-on-term", 1, 3000, "killed", "handouts/97-selftest.md, section \"F\"",
      signalled },
};
static const struct lab_def telling_lab = { SELF_LAB, "self-test", telling_checks,
                                            COUNT_OF(telling_checks), 0 };

/* How many times NEEDLE stands in HAYSTACK. */
static size_t occurrences(const char *haystack, const char *needle)
{
    size_t n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* A failure says which signal the grader sent and how long ago, and shows
 * a program's stdout once, not in the check's message and again below. */
Test(programs, failures_say_what_the_grader_did)
{
    double seconds;
    struct check_result *r = grade(&tree, &telling_lab, 2, &seconds);
    size_t n = telling_lab.nchecks;
    const char *m = result_of(r, n, "ignores-sigterm")->message;
    cr_assert_not_null(m);
    long ms = -1;
    const char *sent = strstr(m, "SIGTERM was sent ");
    cr_assert_not_null(sent, "%s", m);
    cr_expect_eq(sscanf(sent, "SIGTERM was sent %ld ms ago; the deaf", &ms), 1, "%s", m);
    /* Sent once the program was ready, well before the check's 3000 ms
     * were up (2500 ms, even under load), and said when it failed. */
    cr_expect(ms >= 500 && ms <= 3000, "sent %ld ms before the check's end: %s", ms, m);
    cr_expect_not_null(strstr(m, "is still running; it should have exited with status 0"),
                       "%s", m);
    cr_expect_not_null(strstr(m, "  the deaf was still running; SIGTERM was sent "), "%s", m);

    m = result_of(r, n, "term1-on-term")->message;
    cr_assert_not_null(m);
    cr_expect(strstr(m, "exited with status 1, ") != NULL &&
                  strstr(m, " ms after the grader sent SIGTERM; it should have exited with "
                            "status 0") != NULL,
              "%s", m);
    m = result_of(r, n, "plain-on-term")->message;
    cr_assert_not_null(m);
    cr_expect(strstr(m, "was killed by signal SIGTERM (Terminated), ") != NULL &&
                  strstr(m, " ms after the grader sent it;") != NULL,
              "%s", m);

    m = result_of(r, n, "stdout-once")->message;
    cr_assert_not_null(m);
    cr_expect_eq(occurrences(m, "a long line of output"), 1, "stdout shown twice: %s", m);
    cr_expect_not_null(strstr(m, "its stdout so far"), "%s", m);
    expect_nothing_left();
}

Test(programs, failures_say_what_the_program_did)
{
    double seconds;
    struct check_result *r = grade(&tree, &failing_lab, 4, &seconds);
    size_t n = failing_lab.nchecks;
    for (size_t i = 0; i < n; i++) {
        cr_expect_not(r[i].passed, "%s passed", r[i].def->name);
        cr_assert_not_null(r[i].message, "%s", r[i].def->name);
        cr_expect(printable_ascii(r[i].message, strlen(r[i].message), true),
                  "%s: a message that is not printable ASCII: %s", r[i].def->name,
                  r[i].message);
        cr_expect(printable_ascii(r[i].transcript, strlen(r[i].transcript), true),
                  "%s: a transcript that is not printable ASCII", r[i].def->name);
    }
    const char *m = result_of(r, n, "wrong-status")->message;
    cr_expect_not_null(strstr(m, "exited with status 3; it should have exited with status 0"),
                       "%s", m);
    m = result_of(r, n, "killed")->message;
    cr_expect_not_null(strstr(m, "was killed by signal SIGKILL"), "%s", m);
    m = result_of(r, n, "garbage")->message;
    cr_expect_not_null(strstr(m, "\"a line never printed\""), "%s", m);
    cr_expect_not_null(strstr(m, "junk \\x1b[2J\\xff\\x01\\x1b]0;title\\x07 no newline"),
                       "the output so far, escaped: %s", m);
    cr_expect_not_null(strstr(m, "junk on stderr \\x1b[31m\\xfe\\n"),
                       "its stderr, escaped: %s", m);
    for (size_t i = 0; i < n; i++)
        cr_expect_not(r[i].grader_error, "%s: the program's failure is not the grader's",
                      r[i].def->name);
    m = result_of(r, n, "missing")->message;
    cr_expect_not_null(strstr(m, "cannot run"), "%s", m);
    cr_expect_not_null(strstr(m, "nosuch"), "%s", m);
    cr_expect_lt(seconds, 2.5, "failing programs are noticed at once: %.1f s", seconds);
    expect_nothing_left();
}

/* ---- Only a regular file inside the lab folder runs ---------------------- */

/* Runs the program named as the check, which must exit with status 3. */
static void run_check_named(struct check *c)
{
    expect_exit(c, start_program(c, c->def->name, NULL), 3);
}

#define NAMED(name)                                                                           \
    {                                                                                         \
        name, 1, 3000, name, "handouts/97-selftest.md, section \"R\"", run_check_named        \
    }
static const struct check_def named_checks[] = {
    NAMED("exit3"),        NAMED("link-inside"),    NAMED("link-outside"),   NAMED("link-up"),
    NAMED("link-to-fifo"), NAMED("link-dangling"),  NAMED("link-to-folder"), NAMED("fifo"),
    NAMED("folder"),       NAMED("not-executable"),
};
static const struct lab_def named_lab = { SELF_LAB, "self-test", named_checks,
                                          COUNT_OF(named_checks), 0 };

/* What each check of named_lab must say: NULL where it must pass. */
static const char *const named_refusals[][2] = {
    { "exit3", NULL },
    { "link-inside", NULL },
    { "link-outside", "link-outside is a symbolic link to /bin/true, which leads out of "
                      "the lab folder: the grader runs only a regular file inside the lab "
                      "folder." },
    { "link-up", "link-up is a symbolic link to ../97-selftest/exit3, which leads out of "
                 "the lab folder" },
    { "link-to-fifo", "/fifo, which leads out of the lab folder" },
    { "link-dangling", "link-dangling is a symbolic link to nothing-here, which leads to "
                       "nothing in the lab folder" },
    { "link-to-folder", "link-to-folder is a symbolic link to sub, a folder: the grader" },
    { "fifo", "fifo is a fifo (named pipe): the grader runs only a regular file" },
    { "folder", "folder is a folder: the grader runs only a regular file" },
    { "not-executable", "not-executable: it is not executable" },
};

static void make_link(const char *target, const struct tree *t, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", t->lab, name);
    cr_assert_eq(symlink(target, path), 0, "%s: %s", path, strerror(errno));
}

/* The programs of named_lab in T's lab folder; a fifo outside it. */
static void make_named_programs(const struct tree *t)
{
    char path[256];
    snprintf(path, sizeof path, "%s/fifo", t->dir); /* outside the lab folder */
    cr_assert_eq(mkfifo(path, 0644), 0, "%s: %s", path, strerror(errno));
    make_link(path, t, "link-to-fifo");
    make_link("exit3", t, "link-inside");
    make_link("/bin/true", t, "link-outside");
    make_link("../" SELF_LAB "/exit3", t, "link-up");
    make_link("nothing-here", t, "link-dangling");
    make_link("sub", t, "link-to-folder");
    snprintf(path, sizeof path, "%s/sub", t->lab);
    cr_assert_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/folder", t->lab);
    cr_assert_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/fifo", t->lab);
    cr_assert_eq(mkfifo(path, 0644), 0);
    write_program(t, "not-executable", exit3_sh);
    snprintf(path, sizeof path, "%s/not-executable", t->lab);
    cr_assert_eq(chmod(path, 0644), 0);
}

/* The grader, often root, never runs or opens what a student's link
 * points to: a link out of the lab folder, a fifo or a folder is refused
 * at once, with what it is (an open of the fifo outside would hang). */
Test(programs, only_a_regular_file_inside_the_lab_folder_runs)
{
    make_named_programs(&tree);
    double seconds;
    struct check_result *r = grade(&tree, &named_lab, 4, &seconds);
    for (size_t i = 0; i < COUNT_OF(named_refusals); i++) {
        const struct check_result *got = result_of(r, named_lab.nchecks, named_refusals[i][0]);
        const char *want = named_refusals[i][1];
        if (want == NULL)
            cr_expect(got->passed, "%s: %s", named_refusals[i][0], got->message);
        else
            cr_expect(!got->passed && strstr(got->message, want) != NULL,
                      "%s must fail with \"%s\": %s", named_refusals[i][0], want,
                      got->message ? got->message : "(passed)");
    }
    cr_expect_lt(seconds, 2.5, "refusals are at once: %.1f s", seconds);
    expect_nothing_left();
}

/* A lab folder that is a link (to a classmate's, to /etc) is not graded. */
Test(programs, a_lab_folder_that_is_a_link_is_refused)
{
    struct tree linked;
    snprintf(linked.dir, sizeof linked.dir, "/tmp/netlab-harness-XXXXXX");
    cr_assert_not_null(mkdtemp(linked.dir));
    snprintf(linked.lab, sizeof linked.lab, "%s/%s", linked.dir, SELF_LAB);
    cr_assert_eq(symlink(tree.lab, linked.lab), 0);
    double seconds;
    struct check_result *r = grade(&linked, &named_lab, 1, &seconds);
    const char *m = result_of(r, named_lab.nchecks, "exit3")->message;
    cr_expect(m != NULL && strstr(m, "is a symbolic link to /tmp/netlab-harness-") != NULL &&
                  strstr(m, "the grader grades only a real lab folder, never a link to one") !=
                      NULL,
              "%s", m ? m : "(passed)");
    expect_nothing_left();
    remove_tree(&linked);
}
