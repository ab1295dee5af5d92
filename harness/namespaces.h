/*
 * namespaces.h - the namespaces that checks and builds are forked into
 * (namespaces.c): what the runner, the build and the sandbox share.
 */
#ifndef NETLAB_NAMESPACES_H
#define NETLAB_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

/* fork_isolated forks into a PID namespace of its own (with network and
 * IPC namespaces) where allowed. */
pid_t fork_isolated(bool *in_namespace);
/* In a process fork_isolated made: the CLONE_NEW* namespaces it got. */
unsigned long isolated_namespaces(void);
/* Whether this process may mount, and bring up its loopback: as root, or
 * in a user namespace of its own (where it has every capability within). */
bool privileged_in_namespaces(void);
/* In a check's or build's process, in a user namespace of its own, whose
 * programs run as the same user: hides from them what it can (its command
 * line, its /proc files). */
void guard_against_programs(void);
/* The errno of the system's first refusal of a PID namespace; 0 until. */
int namespace_refusal(void);

/* The caller's process ID as the grader's /proc numbers it: for init of a
 * PID namespace, the number its parent got from fork.  Only until the
 * caller mounts a /proc of its namespace's own. */
pid_t outside_pid_of_self(void);

#endif
