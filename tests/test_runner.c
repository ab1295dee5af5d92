/*
 * test_runner.c - unit tests of the runner (harness/runner.c): checks that
 * pass, fail, crash, abort, raise a signal or hang, each judged as such;
 * no process outlives its check; a scaled check is not cut while it stops
 * its programs; the grader works without pidfd_open; a grader error is not
 * a failure.  On the self-test lab (selftest.h).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "selftest.h"

TestSuite(runner, .init = selftest_init, .fini = selftest_fini, .timeout = 30);

/* ---- Checks that pass, fail, crash and hang ------------------------------ */

/* A real invalid memory access, as a bug in a check would make. */
static _Noreturn void crash_now(void)
{
    struct rlimit none = { 0, 0 };
    setrlimit(RLIMIT_CORE, &none);
    signal(SIGSEGV, SIG_DFL);
    volatile uintptr_t address = 8; /* opaque to the compiler */
    *(volatile int *)address = 1;
    _exit(99);
}

static _Noreturn void hang_forever(void)
{
    for (;;)
        poll(NULL, 0, 100);
}

static void passes(struct check *c)
{
    note(c, "nothing to do");
}

static void fails(struct check *c)
{
    fail(c, "failed on purpose");
}

static void crashes(struct check *c)
{
    (void)c;
    crash_now();
}

/* A check that sends itself a fatal signal and, should it survive, would
 * go on to pass. */
static void raises(struct check *c)
{
    struct rlimit none = { 0, 0 };
    setrlimit(RLIMIT_CORE, &none);
    signal(SIGSEGV, SIG_DFL);
    raise(SIGSEGV);
    note(c, "survived raise(SIGSEGV)");
}

/* A check whose own assert() fails. */
static void aborts(struct check *c)
{
    struct rlimit none = { 0, 0 };
    setrlimit(RLIMIT_CORE, &none);
    note(c, "about to abort");
    abort();
}

static void hangs(struct check *c)
{
    (void)c;
    hang_forever();
}

static const struct check_def basic_checks[] = {
    { "passes", 1, 1000, "passes", "handouts/97-selftest.md, section \"A\"", passes },
    { "fails", 2, 1000, "fails", "handouts/97-selftest.md, section \"A\"", fails },
    { "crashes", 3, 1000, "crashes", "handouts/97-selftest.md, section \"A\"", crashes },
    { "hangs", 4, 300, "hangs", "handouts/97-selftest.md, section \"A\"", hangs },
};
static const struct lab_def basic_lab = { SELF_LAB, "self-test", basic_checks,
                                          COUNT_OF(basic_checks), 0 };

Test(runner, pass_fail_crash_and_hang)
{
    double seconds;
    struct check_result *r = grade(&tree, &basic_lab, 4, &seconds);
    size_t n = basic_lab.nchecks;

    const struct check_result *ok = result_of(r, n, "passes");
    cr_expect(ok->passed, "%s", ok->message ? ok->message : "");
    cr_expect_null(ok->message);
    cr_expect_not_null(strstr(ok->transcript, "nothing to do"), "%s", ok->transcript);

    const struct check_result *f = result_of(r, n, "fails");
    cr_expect_not(f->passed);
    cr_expect_not_null(f->message);
    cr_expect_str_eq(f->message, "failed on purpose\n");

    const struct check_result *crash = result_of(r, n, "crashes");
    cr_expect_not(crash->passed);
    cr_assert_not_null(crash->message);
    cr_expect(strstr(crash->message, "Segmentation fault") != NULL ||
                  strstr(crash->message, "SIGSEGV") != NULL,
              "the message should name the crash: %s", crash->message);
    cr_expect_lt(crash->seconds, 1.0, "a crash is noticed at once: %.2f s", crash->seconds);

    const struct check_result *hang = result_of(r, n, "hangs");
    cr_expect_not(hang->passed);
    cr_assert_not_null(hang->message);
    cr_expect_not_null(strstr(hang->message, "did not finish within 2300 ms"),
                       "the message should say it overran: %s", hang->message);
    cr_expect(hang->seconds >= 2.2 && hang->seconds < 4.0, "stopped after %.2f s",
              hang->seconds);
    cr_expect_lt(seconds, 5.0, "the whole run took %.1f s", seconds);
    expect_nothing_left();
}

static const struct check_def raise_checks[] = {
    { "raises", 1, 1000, "raises SIGSEGV", "handouts/97-selftest.md, section \"A\"", raises },
};
static const struct lab_def raise_lab = { SELF_LAB, "self-test", raise_checks, 1, 0 };

static const struct check_def abort_checks[] = {
    { "aborts", 1, 1000, "aborts", "handouts/97-selftest.md, section \"A\"", aborts },
};
static const struct lab_def abort_lab = { SELF_LAB, "self-test", abort_checks, 1, 0 };

/* abort() in the check (a failed assert()): the check failed, and says so. */
Test(runner, check_that_aborts_fails)
{
    double seconds;
    struct check_result *r = grade(&tree, &abort_lab, 1, &seconds);
    cr_expect_not(r[0].passed, "a check that called abort() passed");
    cr_expect(r[0].message != NULL && strstr(r[0].message, "ended abnormally") != NULL,
              "the message should say the check's process died: %s", r[0].message);
    cr_expect(r[0].grader_error, "the check's own crash is the grader's fault");
    cr_log_info("abort() in a check gives: %s", r[0].message);
    expect_nothing_left();
}

/*
 * A check that dies of a signal it raised itself must fail.  As root each
 * check runs in a PID namespace of its own; had the check been that
 * namespace's init, the kernel would drop every signal init installed no
 * handler for, and this check would pass.  Init only reaps; the check is
 * its child.
 */
Test(runner, check_that_raises_a_fatal_signal_fails)
{
    double seconds;
    struct check_result *r = grade(&tree, &raise_lab, 1, &seconds);
    cr_expect_not(r[0].passed, "a check that raised SIGSEGV passed; transcript:\n%s",
                  r[0].transcript);
    cr_expect(r[0].message != NULL && strstr(r[0].message, "Segmentation fault") != NULL,
              "the message should name the crash: %s", r[0].message);
    expect_nothing_left();
}

/* Makes pidfd_open fail with ENOSYS in this process and its children, as on
 * a kernel before 5.3, under valgrind 3.19, or under a container's seccomp
 * profile that predates the call. */
static void forbid_pidfd_open(void)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_open, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { .len = COUNT_OF(code), .filter = code };
    cr_assert_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
    cr_assert_eq(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), 0, "seccomp: %s",
                 strerror(errno));
    cr_assert_eq(syscall(SYS_pidfd_open, getpid(), 0), -1);
}

static const struct check_def one_pass[] = {
    { "passes", 1, 500, "passes", "handouts/97-selftest.md, section \"A\"", passes },
};
static const struct lab_def one_pass_lab = { SELF_LAB, "self-test", one_pass, 1, 0 };

/*
 * The grader must work without pidfd_open, which valgrind 3.19 (Debian
 * 12's), kernels before 5.3 and older Docker seccomp profiles lack: a
 * grader that waited for checks through pidfds alone never collected them
 * and spun forever.  Child exits come through a SIGCHLD self-pipe instead.
 */
Test(runner, runs_without_pidfd_open, .timeout = 15)
{
    forbid_pidfd_open();
    double seconds;
    struct check_result *r = grade(&tree, &one_pass_lab, 1, &seconds);
    cr_expect(r[0].passed, "%s", r[0].message);
    cr_expect_lt(seconds, 5.0);
}

/* ---- Whatever a check started ends with it ------------------------------ */

static void start_stubborn(struct check *c, int step)
{
    struct program *p = start_program(c, "stubborn", marker, NULL);
    expect_output_line(c, p, "grandchild ready");
    expect_output_line(c, p, "server ready");
    shared->reached[step] = 1;
}

static void stubborn_passes(struct check *c)
{
    start_stubborn(c, 0);
}

static void stubborn_fails(struct check *c)
{
    start_stubborn(c, 1);
    fail(c, "failed with the stubborn server running");
}

static void stubborn_crashes(struct check *c)
{
    start_stubborn(c, 2);
    crash_now();
}

static void stubborn_hangs(struct check *c)
{
    start_stubborn(c, 3);
    hang_forever();
}

static const struct check_def stubborn_checks[] = {
    { "stubborn-passes", 1, 5000, "passes", "handouts/97-selftest.md, section \"A\"",
      stubborn_passes },
    { "stubborn-fails", 1, 5000, "fails", "handouts/97-selftest.md, section \"A\"",
      stubborn_fails },
    { "stubborn-crashes", 1, 5000, "crashes", "handouts/97-selftest.md, section \"A\"",
      stubborn_crashes },
    { "stubborn-hangs", 1, 1500, "hangs", "handouts/97-selftest.md, section \"A\"",
      stubborn_hangs },
};
static const struct lab_def stubborn_lab = { SELF_LAB, "self-test", stubborn_checks,
                                             COUNT_OF(stubborn_checks), 0 };

Test(runner, no_process_outlives_its_check)
{
    double seconds;
    struct check_result *r = grade(&tree, &stubborn_lab, 4, &seconds);
    size_t n = stubborn_lab.nchecks;

    for (int i = 0; i < 4; i++)
        cr_expect(shared->reached[i], "%s did not get its program going: %s", r[i].def->name,
                  r[i].message ? r[i].message : "");
    cr_expect(result_of(r, n, "stubborn-passes")->passed, "%s",
              result_of(r, n, "stubborn-passes")->message);
    const struct check_result *f = result_of(r, n, "stubborn-fails");
    cr_expect_not(f->passed);
    cr_expect_not_null(strstr(f->message, "failed with the stubborn server running"), "%s",
                       f->message);
    cr_expect_not_null(strstr(f->message, "the stubborn was still running"),
                       "a failure says what became of each program: %s", f->message);
    cr_expect_not_null(strstr(f->transcript, "ignored SIGTERM"), "%s", f->transcript);
    const struct check_result *crash = result_of(r, n, "stubborn-crashes");
    cr_expect_not(crash->passed);
    cr_expect_not_null(strstr(crash->message, "Segmentation fault"), "%s", crash->message);
    const struct check_result *hang = result_of(r, n, "stubborn-hangs");
    cr_expect_not(hang->passed);
    cr_expect_not_null(strstr(hang->message, "did not finish within 3500 ms"), "%s",
                       hang->message);
    cr_expect_lt(seconds, 6.0, "the whole run took %.1f s", seconds);
    expect_nothing_left();
}

/* A check whose limit is scaled fails at its deadline with a program that
 * ignores SIGTERM: stopping it takes the scaled grace, and the runner must
 * wait for that (its margin scales too) to get the check's own message. */
static void stubborn_misses_a_line(struct check *c)
{
    struct program *p = start_program(c, "stubborn", marker, NULL);
    expect_output_line(c, p, "a line never printed");
}

static const struct check_def slow_stop_checks[] = {
    { "slow-stop", 1, 100, "fails, then stops slowly",
      "handouts/97-selftest.md, section \"A\"", stubborn_misses_a_line },
};
static const struct lab_def slow_stop_lab = { SELF_LAB, "self-test", slow_stop_checks, 1, 0 };

Test(runner, a_scaled_check_is_not_cut_while_it_stops_its_programs)
{
    double seconds;
    struct check_result *r = grade_scaled(&tree, &slow_stop_lab, 1, 10, &seconds);
    cr_expect_not(r[0].passed);
    cr_expect_not_null(strstr(r[0].message, "expected the stubborn to print"), "%s",
                       r[0].message);
    cr_expect_not_null(strstr(r[0].transcript, "ignored SIGTERM for 2500 ms"), "%s",
                       r[0].transcript);
    expect_nothing_left();
}

static void no_port(struct check *c)
{
    reserve_port(c);
}

static const struct check_def no_port_checks[] = {
    { "no-port", 1, 1000, "needs a port", "handouts/97-selftest.md, section \"F\"", no_port },
    { "passes", 1, 1000, "passes", "handouts/97-selftest.md, section \"F\"", passes },
};
static const struct lab_def no_port_lab = { SELF_LAB, "self-test", no_port_checks,
                                            COUNT_OF(no_port_checks), 0 };

/* A real grader error (no port to be had, which the tests provoke with
 * NETLAB_TEST_NO_FREE_PORT) is a check not graded, not a failed one. */
Test(runner, grader_error_is_not_a_failure)
{
    setenv("NETLAB_TEST_NO_FREE_PORT", "1", 1);
    double seconds;
    struct check_result *r = grade(&tree, &no_port_lab, 2, &seconds);
    unsetenv("NETLAB_TEST_NO_FREE_PORT");
    const struct check_result *e = result_of(r, 2, "no-port");
    cr_expect_not(e->passed);
    cr_expect(e->grader_error, "no free port is the grader's fault: %s", e->message);
    cr_expect_eq(strncmp(e->message, GRADER_ERROR, strlen(GRADER_ERROR)), 0, "%s", e->message);
    const struct check_result *p = result_of(r, 2, "passes");
    cr_expect(p->passed && !p->grader_error, "%s", p->message);
}
