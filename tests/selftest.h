/*
 * selftest.h - for the unit tests of the runner and the check helpers
 * (test_runner, test_ports, test_programs, test_udp): a small lab of their
 * own, "97-selftest", whose programs are scripts written into a temporary
 * folder; memory the test shares with the checks it runs (its forks); the
 * grading of a lab_def there; and the search for processes a check left.
 * The fixture (selftest_init, selftest_fini) makes the tree and the shared
 * memory before each test, and frees the results and removes the tree
 * after it.
 * Header-only, as each test program is one C file.
 */
#ifndef NETLAB_TESTS_SELFTEST_H
#define NETLAB_TESTS_SELFTEST_H

#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "internal.h"
#include "lab.h"
#include "runner.h"
#include "unit.h"

#define SELF_LAB "97-selftest"

/* Ignores SIGTERM, forks a grandchild that leaves the session, and sleeps;
 * every process of it carries its first argument in its command line. */
static const char stubborn_py[] = "#!/usr/bin/env python3\n"
                                  "import os, signal, sys, time\n"
                                  "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                                  "child = os.fork()\n"
                                  "if child == 0:\n"
                                  "    if os.fork() == 0:\n"
                                  "        os.setsid()\n"
                                  "        print('grandchild ready', flush=True)\n"
                                  "        time.sleep(1000)\n"
                                  "    os._exit(0)\n"
                                  "os.waitpid(child, 0)\n"
                                  "print('server ready', flush=True)\n"
                                  "time.sleep(1000)\n";

static const char ttyecho_sh[] =
    "#!/bin/sh\n"
    "if [ -t 0 ]; then echo 'stdin: tty'; else echo 'stdin: not a tty'; fi\n"
    "if [ -t 1 ]; then echo 'stdout: tty'; else echo 'stdout: not a tty'; fi\n"
    "while IFS= read -r line; do\n"
    "    printf 'got: %s\\n' \"$line\"\n"
    "done\n"
    "echo EOF\n";

static const char garbage_sh[] =
    "#!/bin/sh\n"
    "printf 'junk \\033[2J\\377\\001\\033]0;title\\007 no newline'\n"
    "printf 'junk on stderr \\033[31m\\376\\n' >&2\n";

/* Stops on SIGTERM as a C server does: its handler sets a flag, which it
 * looks at only before it blocks.  After "ready" it is busy for 100 ms
 * between that look and its read, where a SIGTERM is seen only once the
 * read returns; a SIGTERM that comes during the read ends it (dash's read
 * returns when a trapped signal comes). */
static const char late_sh[] = "#!/bin/sh\n"
                              "stopping=\n"
                              "trap 'stopping=1' TERM\n"
                              "echo ready\n"
                              "while [ -z \"$stopping\" ]; do\n"
                              "    read -r up _ < /proc/uptime\n"
                              "    end=$(( ${up%.*}${up#*.} + 10 ))\n"
                              "    now=0\n"
                              "    while [ \"$now\" -lt \"$end\" ]; do\n"
                              "        read -r up _ < /proc/uptime\n"
                              "        now=${up%.*}${up#*.}\n"
                              "    done\n"
                              "    read -r line\n"
                              "done\n"
                              "exit 0\n";

static const char exit3_sh[] = "#!/bin/sh\nexit 3\n";
/* Ignores SIGTERM (sleep inherits that) once it has said so. */
static const char deaf_sh[] =
    "#!/bin/sh\ntrap '' TERM\necho deaf and ready\nexec sleep 1000\n";
/* Exits with status 1 on SIGTERM; dies of it once it has execed sleep. */
static const char term1_sh[] =
    "#!/bin/sh\ntrap 'exit 1' TERM\necho term1 ready\nsleep 1000 &\nwait\n";
static const char plain_sh[] = "#!/bin/sh\necho plain ready\nexec sleep 1000\n";
/* Prints one long line and waits. */
static const char chatty_sh[] =
    "#!/bin/sh\necho 'a long line of output that a failure message should show once'\n"
    "exec sleep 1000\n";
static const char killed_sh[] = "#!/bin/sh\nkill -KILL $$\n";

struct tree {
    char dir[64];
    char lab[128];
};

static inline void write_program(const struct tree *t, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", t->lab, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(chmod(path, 0755), 0);
}

/* A tree to grade: /tmp/netlab-harness-XXXXXX/97-selftest/ with every
 * program of this file. */
static inline void make_tree(struct tree *t)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/netlab-harness-XXXXXX");
    cr_assert_not_null(mkdtemp(t->dir), "mkdtemp: %s", strerror(errno));
    snprintf(t->lab, sizeof t->lab, "%s/%s", t->dir, SELF_LAB);
    cr_assert_eq(mkdir(t->lab, 0755), 0);
    write_program(t, "stubborn", stubborn_py);
    write_program(t, "ttyecho", ttyecho_sh);
    write_program(t, "garbage", garbage_sh);
    write_program(t, "exit3", exit3_sh);
    write_program(t, "late", late_sh);
    write_program(t, "killed", killed_sh);
    write_program(t, "deaf", deaf_sh);
    write_program(t, "chatty", chatty_sh);
    write_program(t, "term1", term1_sh);
    write_program(t, "plain", plain_sh);
}

static inline int remove_entry(const char *path, const struct stat *st, int type,
                               struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return type == FTW_DP ? rmdir(path) : unlink(path);
}

static inline void remove_tree(const struct tree *t)
{
    nftw(t->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Memory shared by the test and the checks it runs (they are its forks). */
struct shared {
    int reached[32]; /* a check got this far */
    int reserved;    /* checks that hold their ports */
    int ports[16][8];
    bool own_network[16]; /* the check had a network of its own */
};

static struct shared *shared;
static char marker[64]; /* in the command line of every stubborn process */

static inline void share(void)
{
    shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
                  0);
    cr_assert_neq(shared, MAP_FAILED);
    memset(shared, 0, sizeof *shared);
    snprintf(marker, sizeof marker, "netlab-marker-%d-%lld", (int)getpid(),
             (long long)now_us());
}

/* The results of the test's grading, which the fixture frees. */
static struct check_result *graded;
static size_t ngraded;

static inline void free_graded(void)
{
    if (graded != NULL)
        free_results(graded, ngraded);
    free(graded);
    graded = NULL;
}

/* Grades LAB in TREE: every check, JOBS at once, time limits times SCALE.
 * Returns the results (the fixture frees them) and the wall time in
 * *SECONDS. */
static inline struct check_result *grade_scaled(const struct tree *t,
                                                const struct lab_def *lab, int jobs, int scale,
                                                double *seconds)
{
    struct check_result *r = xcalloc(lab->nchecks, sizeof *r);
    for (size_t i = 0; i < lab->nchecks; i++)
        r[i] = (struct check_result){ .lab = lab, .def = &lab->checks[i] };
    struct run_options opts = { .impl_dir = t->dir, .jobs = jobs, .time_scale = scale };
    int64_t start = now_us();
    int rc = run_checks(&opts, r, lab->nchecks);
    *seconds = (double)(now_us() - start) / 1e6;
    free_graded();
    graded = r;
    ngraded = lab->nchecks;
    cr_assert_eq(rc, 0, "run_checks returned %d", rc);
    return r;
}

static inline struct check_result *grade(const struct tree *t, const struct lab_def *lab,
                                         int jobs, double *seconds)
{
    return grade_scaled(t, lab, jobs, 1, seconds);
}

static inline const struct check_result *result_of(const struct check_result *r, size_t n,
                                                   const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(r[i].def->name, name) == 0)
            return &r[i];
    cr_assert_fail("no result for %s", name);
    return NULL;
}

/* Every process whose command line holds MARKER, described in *WHICH. */
static inline size_t processes_with(const char *mark, struct buf *which)
{
    size_t n = 0;
    DIR *d = opendir("/proc");
    cr_assert_not_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300], cmd[4096];
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            continue;
        ssize_t len = read(fd, cmd, sizeof cmd - 1);
        close(fd);
        if (len <= 0 || memmem(cmd, (size_t)len, mark, strlen(mark)) == NULL)
            continue;
        for (ssize_t i = 0; i < len; i++)
            if (cmd[i] == '\0')
                cmd[i] = ' ';
        cmd[len] = '\0';
        buf_printf(which, "\n  pid %s: %s", e->d_name, cmd);
        n++;
    }
    closedir(d);
    return n;
}

/* The children this process still has (zombies too), described in *WHICH. */
static inline size_t children_left(struct buf *which)
{
    size_t n = 0;
    DIR *d = opendir("/proc/self/task");
    cr_assert_not_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/self/task/%s/children", e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        int pid;
        while (fscanf(f, "%d", &pid) == 1) {
            buf_printf(which, "\n  child %d", pid);
            n++;
        }
        fclose(f);
    }
    closedir(d);
    return n;
}

/* Kills what processes_with found (by process ID), not to leave it behind. */
static inline void kill_listed(const char *which)
{
    for (const char *p = which; (p = strstr(p, "pid ")) != NULL; p += 4)
        kill((pid_t)atoi(p + 4), SIGKILL);
}

static inline void expect_nothing_left(void)
{
    struct buf which = { 0 };
    buf_puts(&which, "");
    size_t n = processes_with(marker, &which);
    cr_expect_eq(n, 0, "%zu processes outlived their check:%s", n, which.data);
    kill_listed(which.data);
    buf_reset(&which);
    n = children_left(&which);
    cr_expect_eq(n, 0, "run_checks left %zu children:%s", n, which.data);
    buf_free(&which);
}

/* The tree of the test that runs (the fixture's). */
static struct tree tree;

static inline void selftest_init(void)
{
    ignore_sigpipe();
    make_tree(&tree);
    share();
}

static inline void selftest_fini(void)
{
    free_graded();
    remove_tree(&tree);
}

#endif
