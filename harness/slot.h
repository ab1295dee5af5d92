/*
 * slot.h - what a check's process hands the runner (runner.c): its result
 * slot, in memory they share, and the words for what held while it ran.
 * Below every file of the check's process, which writes into it.
 */
#ifndef NETLAB_SLOT_H
#define NETLAB_SLOT_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include "lab.h"

#define SLOT_MESSAGE (16 * 1024)
#define SLOT_TRANSCRIPT (256 * 1024)
/* The check's event log (diagram.h's form): a few thousand events, enough
 * for every check's exchange, bounded like the transcript. */
#define SLOT_EVENTS (64 * 1024)
/* The check's replay log (repro.h's form): the full bytes of its exchange,
 * for a script that reproduces a failure; an exchange past it is cut. */
#define SLOT_REPLAY (256 * 1024)

/*
 * The layers of isolation that held for one check (its `isolation`): which
 * depend on where the grader runs (as root or not, in a container that
 * refuses namespaces, with or without cgroups).  ISOLATION_RECORDED says
 * the check said which: a check that never ran (its lab missing or not
 * built) has none to say.  No ISOLATION_CGROUP_V* bit: memory limited by
 * rlimits only.
 */
enum isolation_layer {
    ISOLATION_PID_NAMESPACE = 1u << 0,
    ISOLATION_NETWORK_NAMESPACE = 1u << 1,
    ISOLATION_IPC_NAMESPACE = 1u << 2,
    ISOLATION_PRIVATE_MOUNTS = 1u << 3, /* private /tmp, the kit hidden */
    ISOLATION_OWN_ROOT = 1u << 4,       /* a root file system of its own */
    ISOLATION_OWN_USER = 1u << 5,
    ISOLATION_CGROUP_V1 = 1u << 6,
    ISOLATION_CGROUP_V2 = 1u << 7,
    ISOLATION_AS_ROOT = 1u << 8,      /* the grader ran as root */
    ISOLATION_MEMORY_LIMIT = 1u << 9, /* not --memory-limit 0 */
    ISOLATION_RECORDED = 1u << 10,
    ISOLATION_USER_NAMESPACE = 1u << 11, /* not root: the namespaces are in one */
};
#define ISOLATION_LAYERS 12 /* bits above */

/* How memory is limited without a cgroup, as transcripts and reports say. */
#define RLIMITS_ONLY "rlimits only (RLIMIT_DATA does not count shared memory)"

/*
 * Shared memory between the runner and one check process: the check
 * registers the process groups it starts (so that the runner can kill them
 * if the check dies) and writes its result here before it exits.
 */
struct result_slot {
    volatile sig_atomic_t finished;
    int passed;
    int untestable;            /* passed, but could not be examined */
    int grader_error;          /* failed by the grader's own fault */
    unsigned isolation;        /* enum isolation_layer bits, once set up */
    pid_t pgids[MAX_PROGRAMS]; /* 0 once the check has cleaned it up */
    char cause[64];            /* diagnose()'s cause of a failure, or "" */
    char hint[512];            /* its hint, or "": the check's own */
    char folder[512];          /* the check's folder; "" once removed */
    size_t message_len;
    size_t transcript_len;
    size_t events_len;
    size_t replay_len;
    int replay_cut; /* the exchange did not fit: the log stops short */
    char message[SLOT_MESSAGE];
    char transcript[SLOT_TRANSCRIPT];
    char events[SLOT_EVENTS];
    char replay[SLOT_REPLAY];
};

/*
 * How a check's message starts when the grader itself failed (no free port,
 * a setup error, the check's own process ended abnormally): the check is
 * then not graded rather than failed (check_result's grader_error).
 */
#define GRADER_ERROR "grader error:"

#endif
