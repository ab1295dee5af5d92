/*
 * command.h - for the kit's tests that drive whole programs and commands
 * (the grader, make, Python, the Gradescope scripts): runs a program, or a
 * shell command in a folder under a time limit, and collects all it
 * prints.  Header-only, as each test program is one C file.
 */
#ifndef NETLAB_TESTS_COMMAND_H
#define NETLAB_TESTS_COMMAND_H

#include <criterion/criterion.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"

struct cmd {
    int status;     /* exit status, or -1 if killed */
    struct buf out; /* stdout and stderr */
};

/* A new temporary file, already unlinked: its descriptor. */
static inline int temp_fd(void)
{
    char path[] = "/tmp/netlab-command-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
    unlink(path);
    return fd;
}

/* The whole of the open file FD, from its start, appended to B
 * (NUL-terminated); FD is closed. */
static inline void take_file(int fd, struct buf *b)
{
    lseek(fd, 0, SEEK_SET);
    char chunk[4096];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        buf_append(b, chunk, (size_t)n);
    close(fd);
    buf_puts(b, "");
}

/*
 * Runs ARGV (its first word found on PATH) in the folder DIR (NULL: this
 * one), its stdout into the file OUT and its stderr into ERR (the same
 * descriptor for both into one), and waits for it; returns its exit
 * status, -1 if it did not exit.  It runs without the environment of an
 * outer make (a jobserver it does not share) or of Criterion, with TMPDIR
 * set to TMPDIR unless NULL, and gets SIGTERM if this test dies.
 */
static inline int run_program(const char *const *argv, const char *dir, const char *tmpdir,
                              int out, int err)
{
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (dir != NULL && chdir(dir) != 0)
            _exit(126);
        unsetenv("BXFI_MAP");
        unsetenv("MAKEFLAGS");
        unsetenv("MFLAGS");
        unsetenv("MAKELEVEL");
        if (tmpdir != NULL)
            setenv("TMPDIR", tmpdir, 1);
        if (dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0)
            _exit(126);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * Runs CMD with sh in DIR and collects its output (stdout and stderr,
 * together), as run_program does.  It runs under timeout(1) for SECONDS
 * ("300"), which takes the command's whole process group with it.
 */
static inline struct cmd run_command(const char *dir, const char *cmd, const char *seconds)
{
    const char *argv[] = { "timeout", "-k", "5", seconds, "sh", "-c", cmd, NULL };
    int out = temp_fd();
    struct cmd r = { 0 };
    r.status = run_program(argv, dir, NULL, out, out);
    take_file(out, &r.out);
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
        _exit(unshare(geteuid() == 0 ? CLONE_NEWNS : CLONE_NEWUSER | CLONE_NEWNS) == 0 ? 0
                                                                                       : 1);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Whether an ordinary user gets user namespaces here (nobody, when the
 * tests run as root): refused in a chroot, in a container, or where the
 * system restricts them. */
static inline bool ordinary_user_namespaces_allowed(void)
{
    struct cmd r = run_command(".",
                               geteuid() == 0
                                   ? "setpriv --reuid=nobody --regid=nogroup --clear-groups "
                                     "unshare --user --mount true"
                                   : "unshare --user --mount true",
                               "60");
    buf_free(&r.out);
    return r.status == 0;
}

#endif
