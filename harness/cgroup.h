/*
 * cgroup.h - a cgroup for each check and each build (cgroup.c).
 */
#ifndef NETLAB_CGROUP_H
#define NETLAB_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "buf.h"
#include "confinement.h"

struct check;
struct program;

/* cgroup.c: a cgroup per check and per build, where the system allows it.
 * cgroup_limits_in_force says what holds: "cgroup v1", "cgroup v2" or
 * "rlimits only (RLIMIT_DATA does not count shared memory)".  The grader
 * brackets its checks and builds with cgroups_open and cgroups_close, and
 * discards the cgroup of each that ended (KIND "check" or "build", PID its
 * process): what a killed one left.  Inside: cgroup_create makes one (false,
 * with why in WHY, where it cannot); cgroup_join, between fork and exec
 * (async-signal-safe), puts the calling process in it (0 or an errno);
 * cgroup_oom_kills counts the processes the kernel killed for its memory
 * limit (-1: unknown); cgroup_remove kills what is left in it and removes
 * it. */
const char *cgroup_limits_in_force(void);
void cgroups_open(void);
void cgroups_close(void);
void cgroup_discard(const char *kind, pid_t pid);
bool cgroup_create(struct cgroup *cg, const char *kind, pid_t pid, long memory_mb, long tasks,
                   struct buf *why);
int cgroup_join(const struct cgroup *cg);
long cgroup_oom_kills(const struct cgroup *cg);
void cgroup_remove(struct cgroup *cg);
/* In a process about to leave the machine's root for one of its own
 * (sandbox.c), which has a /proc of its own there: makes the grader's
 * cgroups reachable from the new root, through descriptors held open. */
void cgroups_keep_reach(void);
/* A check's: made at its start, with a note saying which limits hold;
 * removed at its end, with a note if the memory limit killed anything. */
void cgroup_start_check(struct check *c);
void cgroup_end_check(struct check *c);
/* Whether P, which ended, was killed for the check's memory limit. */
bool killed_by_memory_limit(const struct check *c, const struct program *p);

#endif
