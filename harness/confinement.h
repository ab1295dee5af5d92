/*
 * confinement.h - what confines a check's or a build's programs: the
 * sandbox (sandbox.c) and the cgroup (cgroup.c) a check holds, as types
 * that the check's state (core.h) and the build (build.c) embed.
 */
#ifndef NETLAB_CONFINEMENT_H
#define NETLAB_CONFINEMENT_H

#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

/* What a check's programs may do: see sandbox.c.  As root they run as the
 * user SANDBOX_UID_BASE + the check's process ID (< 2^22), numbers that no
 * system gives out. */
#define SANDBOX_UID_BASE 1800000000u
/* An interop check's client (interop.h) runs as its check's user plus
 * this: above every PID, so no other check's user. */
#define SANDBOX_CLIENT_UID_STEP (1u << 22)
/* Tasks (processes and threads) a check's or build's programs may have:
 * generous for any honest lab program (lab 04 runs a thread per client). */
#define SANDBOX_MAX_TASKS 256

/* A check's or build's cgroup (cgroup.c): limits that count all of its
 * programs' memory, shared memory and tmpfs files included. */
#define CGROUP_DIRS 2
struct cgroup {
    int version;             /* 1 or 2; 0: none, the rlimits alone hold */
    char *dirs[CGROUP_DIRS]; /* v1: its memory and pids cgroups; v2: dirs[0] */
    int procs[CGROUP_DIRS];  /* their cgroup.procs, open for cgroup_join */
};

struct sandbox {
    uid_t uid;            /* the user programs run as; 0: the grader's */
    uid_t client_uid;     /* an interop check's client's user, or 0 */
    bool private_mounts;  /* the check has its own /tmp; the kit is hidden */
    bool own_root;        /* its programs have a root of their own (sandbox.c) */
    long memory_mb;       /* each program's data limit, and in a cgroup all
                               programs' memory together; 0 or less: none */
    struct cgroup cgroup; /* joined by sandbox_enter where version != 0 */
};

#define SANDBOX_LIMITS 6
struct sandbox_limits { /* worked out before fork, applied after */
    int resource[SANDBOX_LIMITS];
    rlim_t value[SANDBOX_LIMITS];
};

#endif
