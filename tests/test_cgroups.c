/*
 * test_cgroups.c - unit tests of the grader's cgroups (harness/cgroup.c):
 * a grader removes the folders that gone graders left, but only those of
 * its own PID namespace.  As root only.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static struct {
    char prefix[32];
    char found[PATH_MAX];
} own_cgroup;

static int note_own_cgroup(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    if (type == FTW_D &&
        strncmp(path + ftw->base, own_cgroup.prefix, strlen(own_cgroup.prefix)) == 0) {
        snprintf(own_cgroup.found, sizeof own_cgroup.found, "%s", path);
        return 1;
    }
    return 0;
}

/*
 * A grader removes the folders of graders that are gone, but only those of
 * its own PID namespace: there a PID names a process; in another (CI's
 * fresh root, a container), the same number is someone else, and removing
 * a live grader's folders made its checks fall back to rlimits.
 */
Test(cgroups, a_grader_removes_stale_folders_of_its_own_pid_namespace_only)
{
    if (geteuid() != 0)
        cr_skip_test("only root makes cgroups here");
    cgroups_open();
    snprintf(own_cgroup.prefix, sizeof own_cgroup.prefix, "netlab-%ld-", (long)getpid());
    own_cgroup.found[0] = '\0';
    nftw("/sys/fs/cgroup", note_own_cgroup, 16, FTW_PHYS);
    if (own_cgroup.found[0] == '\0') {
        cgroups_close();
        cr_skip_test("this system gives the grader no cgroup");
    }
    char base[PATH_MAX], ours[PATH_MAX + 64], theirs[PATH_MAX + 64];
    snprintf(base, sizeof base, "%.*s",
             (int)(strrchr(own_cgroup.found, '/') - own_cgroup.found), own_cgroup.found);
    const char *ns = strrchr(own_cgroup.found, '-') + 1;
    int gone = 4000000; /* a PID no process has, here */
    while (kill(gone, 0) == 0 || errno != ESRCH)
        gone--;
    snprintf(ours, sizeof ours, "%s/netlab-%d-%s", base, gone, ns);
    snprintf(theirs, sizeof theirs, "%s/netlab-%d-1", base, gone);
    cr_assert_eq(mkdir(ours, 0755), 0, "%s: %s", ours, strerror(errno));
    cr_assert_eq(mkdir(theirs, 0755), 0, "%s: %s", theirs, strerror(errno));
    cgroups_close();
    cgroups_open(); /* removes what gone graders left */
    cgroups_close();
    struct stat st;
    bool ours_left = stat(ours, &st) == 0, theirs_left = stat(theirs, &st) == 0;
    rmdir(ours);
    rmdir(theirs);
    cr_expect(!ours_left, "%s, of a gone grader of this PID namespace, was kept", ours);
    cr_expect(theirs_left, "%s, of another PID namespace, was removed", theirs);
}
