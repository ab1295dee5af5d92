/*
 * command.h - for the kit's tests that drive whole commands (make, the
 * Gradescope scripts): runs a shell command in a folder under a time
 * limit and collects all it prints.  Header-only, as each test program is
 * one C file.
 */
#ifndef NETLAB_TESTS_COMMAND_H
#define NETLAB_TESTS_COMMAND_H

#include <criterion/criterion.h>

#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"

struct cmd {
    int status;             /* exit status, or -1 if killed */
    struct buf out;         /* stdout and stderr */
};

/*
 * Runs CMD with sh in DIR and collects its output, without the environment
 * of an outer make (a jobserver it does not share) or of Criterion.  It
 * runs under timeout(1) for SECONDS ("300"), which dies with this test
 * (SIGTERM on its parent's death) and takes the command's whole process
 * group with it.
 */
static inline struct cmd run_command(const char *dir, const char *cmd, const char *seconds)
{
    char path[] = "/tmp/netlab-command-XXXXXX";
    int out = mkstemp(path);
    cr_assert_geq(out, 0);
    unlink(path);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (chdir(dir) != 0)
            _exit(126);
        unsetenv("BXFI_MAP");
        unsetenv("MAKEFLAGS");
        unsetenv("MFLAGS");
        unsetenv("MAKELEVEL");
        dup2(out, STDOUT_FILENO);
        dup2(out, STDERR_FILENO);
        execlp("timeout", "timeout", "-k", "5", seconds, "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    struct cmd r = {0};
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

/* Whether the grader gets namespaces here: as root, a mount namespace;
 * as an ordinary user, one inside a user namespace, as the grader makes
 * (Debian allows them; Ubuntu or a container may not). */
static inline bool namespaces_allowed(void)
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0)
        _exit(unshare(geteuid() == 0 ? CLONE_NEWNS : CLONE_NEWUSER | CLONE_NEWNS) == 0 ? 0 : 1);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Whether an ordinary user gets user namespaces here (nobody, when the
 * tests run as root): refused in a chroot, in a container, or where the
 * system restricts them. */
static inline bool ordinary_user_namespaces_allowed(void)
{
    struct cmd r = run_command(".", geteuid() == 0
                               ? "setpriv --reuid=nobody --regid=nogroup --clear-groups "
                                 "unshare --user --mount true"
                               : "unshare --user --mount true", "60");
    buf_free(&r.out);
    return r.status == 0;
}

#endif
