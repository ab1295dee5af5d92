/*
 * Linked into every program of the AddressSanitizer build of the kit
 * (mk/test-asan.sh): the grader gives a student's program a fixed
 * environment, so ASAN_OPTIONS cannot reach it; the options are compiled in.
 */
#include <stdlib.h>
#include <unistd.h>

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
const char *__lsan_default_options(void);
const char *__lsan_default_suppressions(void);
int __lsan_is_turned_off(void);

const char *__asan_default_options(void)
{
    /* The short-counts checks preload shortio.so, which then comes before
     * the ASan runtime: harmless (it only wraps send and recv), but ASan
     * refuses to start unless told.  A malloc too large to serve returns
     * NULL, as it does without ASan: the tests check that the helper
     * library copes with that. */
    return "verify_asan_link_order=0:allocator_may_return_null=1";
}

const char *__ubsan_default_options(void)
{
    return "print_stacktrace=1";
}

/* Criterion itself leaks a few small blocks per test run: suppressed,
 * and without a table of the suppressions used after every test. */
const char *__lsan_default_suppressions(void)
{
    return "leak:libcriterion.so\n";
}

const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}

/*
 * LeakSanitizer stops the program's threads by reading /proc/PID/task.
 * A check in a PID namespace of its own mounts a /proc of its own too; where
 * it could not (no mount namespace), /proc is the machine's, where our PID
 * names another process or none, and LSan would fail the program.  Leaks
 * there are make valgrind's to find.
 */
int __lsan_is_turned_off(void)
{
    char self[32] = "";
    ssize_t n = readlink("/proc/self", self, sizeof self - 1);
    return n <= 0 || atoi(self) != (int)getpid();
}
