/*
 * checkrun.c - the life of one check inside its own process, around what
 * its lab's function does: its lab folder opened, its sandbox and cgroup
 * set up, and at its end every program stopped, what it left behind
 * looked for, and its result handed to the runner.  Above the checks:
 * check.c's fail and not_testable end the check through c->end, which
 * run_check sets to this file's finish.
 */
#include "checkrun.h"

#include "cgroup.h"
#include "check.h"
#include "core.h"
#include "namespaces.h"
#include "sandbox.h"
#include "slot.h"
#include "tsan.h"
#include "walk.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * Tells the runner which layers of isolation hold for the check's programs:
 * as soon as they are set up, so that it knows even of a check it must
 * kill, and again as the check ends, in case it ended while setting them up.
 */
static void record_isolation(const struct check *c)
{
    unsigned long namespaces = c->in_namespace ? isolated_namespaces() : 0;
    const struct {
        bool held;
        unsigned bit;
    } layers[] = {
        { namespaces & CLONE_NEWUSER, ISOLATION_USER_NAMESPACE },
        { namespaces & CLONE_NEWPID, ISOLATION_PID_NAMESPACE },
        { namespaces & CLONE_NEWNET, ISOLATION_NETWORK_NAMESPACE },
        { namespaces & CLONE_NEWIPC, ISOLATION_IPC_NAMESPACE },
        { c->sandbox.private_mounts, ISOLATION_PRIVATE_MOUNTS },
        { c->sandbox.own_root, ISOLATION_OWN_ROOT },
        { c->sandbox.uid != 0, ISOLATION_OWN_USER },
        { c->sandbox.cgroup.version == 1, ISOLATION_CGROUP_V1 },
        { c->sandbox.cgroup.version == 2, ISOLATION_CGROUP_V2 },
        { geteuid() == 0, ISOLATION_AS_ROOT },
        { c->sandbox.memory_mb > 0, ISOLATION_MEMORY_LIMIT },
    };
    unsigned bits = ISOLATION_RECORDED;
    for (size_t i = 0; i < COUNT_OF(layers); i++)
        if (layers[i].held)
            bits |= layers[i].bit;
    c->slot->isolation = bits;
}

/* Copies what the check found into the shared slot and ends the process. */
static _Noreturn void finish(struct check *c, bool passed, bool untestable,
                             const struct buf *msg)
{
    finish_sources(c);   /* the connections' logs, then the programs */
    record_isolation(c); /* before its cgroup goes */
    cgroup_end_check(c);
    /* The grader's own failure is not the program's (runner.h's
     * GRADER_ERROR), unless the program also left processes behind. */
    bool grader_error = !passed && msg != NULL &&
                        strncmp(msg->data, GRADER_ERROR, strlen(GRADER_ERROR)) == 0;
    struct buf strays = { 0 }, both = { 0 };
    if (sandbox_find_strays(c, &strays)) { /* a failure whatever else happened */
        grader_error = false;
        note(c, "FAIL: %s", strays.data);
        c->events_closed = false; /* this failure is the verdict now */
        log_verdict(c, "fail", strays.data);
        if (!passed && msg != NULL)
            buf_append(&both, msg->data, msg->len);
        buf_append(&both, strays.data, strays.len);
        msg = &both;
        passed = untestable = false;
    }
    if (c->folder != NULL) { /* after the programs: they may write to it */
        remove_folder(c->folder);
        c->slot->folder[0] = '\0';
    }

    struct result_slot *s = c->slot;
    s->passed = passed;
    s->untestable = untestable;
    s->grader_error = grader_error;
    if (!passed && c->cause != NULL) {
        snprintf(s->cause, sizeof s->cause, "%s", c->cause);
        snprintf(s->hint, sizeof s->hint, "%s", c->cause_hint ? c->cause_hint : "");
    }
    if (msg != NULL && msg->len > 0) {
        s->message_len = msg->len < SLOT_MESSAGE ? msg->len : SLOT_MESSAGE - 1;
        memcpy(s->message, msg->data, s->message_len);
    }
    if (c->transcript.len > 0) {
        s->transcript_len = c->transcript.len < SLOT_TRANSCRIPT ? c->transcript.len
                                                                : SLOT_TRANSCRIPT - 1;
        memcpy(s->transcript, c->transcript.data, s->transcript_len);
    }
    if (c->events.len > 0) { /* log_event kept it within SLOT_EVENTS */
        s->events_len = c->events.len < SLOT_EVENTS ? c->events.len : SLOT_EVENTS - 1;
        memcpy(s->events, c->events.data, s->events_len);
    }
    if (c->replay.len > 0) { /* log_replay kept it within SLOT_REPLAY */
        s->replay_len = c->replay.len < SLOT_REPLAY ? c->replay.len : 0;
        memcpy(s->replay, c->replay.data, s->replay_len);
    }
    s->replay_cut = c->replay_cut;
    __atomic_store_n(&s->finished, 1, __ATOMIC_RELEASE);
    _exit(0);
}

void run_check(struct check *c)
{
    c->end = finish;
    c->start_us = now_us();
    c->deadline_ms = now_ms() + c->time_limit_ms;
    c->transcript.limit = SLOT_TRANSCRIPT - 1024;
    note(c, "check %s/%s: %s (time limit %d ms)", c->lab->id, c->def->name, c->def->what,
         c->time_limit_ms);
    /* Before the check's mounts hide where it is. */
    c->lab_fd = open_lab_folder(c->lab_dir, &c->lab_refused);
    if (c->client_lab_dir != NULL)
        c->client_lab_fd = open_lab_folder(c->client_lab_dir, &c->client_lab_refused);
    keep_helper_library(c); /* a few kilobytes, for a check that builds */
    sandbox_prepare(c);
    cgroup_start_check(c);
    record_isolation(c);
    c->def->run(c);
    note(c, "PASS");
    log_verdict(c, "pass", "");
    finish(c, true, false, NULL);
}
