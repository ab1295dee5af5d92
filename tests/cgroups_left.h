/*
 * cgroups_left.h - for the kit's tests that grade or build as the grader
 * would: the cgroups such a grader left anywhere under /sys/fs/cgroup.
 * harness/cgroup.c names a grader's netlab-PID-NS (its process ID and PID
 * namespace), and the test's own process is that grader.  Header-only, as
 * each test program is one C file.
 */
#ifndef NETLAB_TESTS_CGROUPS_LEFT_H
#define NETLAB_TESTS_CGROUPS_LEFT_H

#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

static struct {
    char prefix[32]; /* netlab-PID- */
    struct buf *found;
    size_t n;
} cgroups_left_search;

static int cgroups_left_note(const char *path, const struct stat *st, int type,
                             struct FTW *ftw)
{
    (void)st;
    const char *prefix = cgroups_left_search.prefix;
    if (type == FTW_D && strncmp(path + ftw->base, prefix, strlen(prefix)) == 0) {
        buf_printf(cgroups_left_search.found, " %s", path);
        cgroups_left_search.n++;
    }
    return 0;
}

/* How many cgroups this process, as a grader, left; their paths go to
 * WHICH. */
static inline size_t count_cgroups_left(struct buf *which)
{
    /* netlab-PID-NS: the "-" keeps netlab-12 from matching netlab-123-... */
    snprintf(cgroups_left_search.prefix, sizeof cgroups_left_search.prefix, "netlab-%ld-",
             (long)getpid());
    cgroups_left_search.found = which;
    cgroups_left_search.n = 0;
    nftw("/sys/fs/cgroup", cgroups_left_note, 16, FTW_PHYS);
    return cgroups_left_search.n;
}

#endif
