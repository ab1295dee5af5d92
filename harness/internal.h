/*
 * internal.h - the check process's own state, shared by check.c,
 * programs.c and peers.c.  Lab files see only check.h.
 */
#ifndef NETLAB_INTERNAL_H
#define NETLAB_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <poll.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "buf.h"
#include "check.h"
#include "events.h"
#include "lab.h"
#include "runner.h"

/* How many bytes of each stream the transcript shows before summarising. */
#define TRANSCRIPT_DETAIL (2 * 1024)
/* ...and of one read or write. */
#define TRANSCRIPT_ENTRY 256

struct stream_log {
    size_t logged;          /* bytes shown in detail so far */
    size_t skipped;         /* bytes moved but not shown */
    size_t skipped_chunks;
};

struct program {
    char name[16];          /* "server", "client" */
    char *command;          /* its command line, for messages */
    pid_t pid;              /* also its process group and session */
    pid_t outside_pid;      /* the same as /proc and the runner number it */
    int pty;                /* master side: its stdin and stdout (or the
                               read end of its stdout pipe, without one) */
    int in_pipe;            /* write end of its stdin pipe; -1 with a
                               terminal, -2 once the pipe is closed */
    int err;                /* read end of its stderr */
    int port;               /* for a server: where it listens */
    const struct readiness *readiness;  /* for a server: how it shows it */
    bool main_ran;          /* it listened or connected: its main has run */
    int announce;           /* where shortio.so says it loaded, or -1 */
    bool shortio_loaded;    /* what that pipe said */
    bool exited;
    int status;             /* waitpid status once exited */
    int64_t exited_ms;      /* when the check noticed it had exited */
    int sent_signal;        /* the last signal a check sent it (not SIGSTOP or
                               SIGCONT), or 0: messages say when */
    int64_t sent_ms;        /* ...and when */
    struct buf in;          /* typed, not yet taken by the terminal */
    long long read_before_typed; /* type_at_prompt: bytes_read_by before it */
    size_t typed_at_prompt;     /* typed then, which it must read: or 0 */
    struct buf out, errout;
    struct stream_log out_log, err_log, in_log;
};

struct peer {
    int fd;                 /* -1 once closed */
    char label[48];         /* "grader -> server #2" for the transcript */
    const char *self;       /* "grader", or "relay" for a relay's sockets */
    const char *other;      /* name of the program at the other end */
    struct buf in, out;
    struct buf sent;        /* escaped summary of what was sent, for messages */
    bool reading;
    bool eof;               /* the other end closed */
    int error;              /* errno of a failed send or recv, or 0 */
    struct stream_log in_log, out_log;
};

struct listener {
    int fds[2];             /* 127.0.0.1 and ::1 (-1 where unavailable) */
    int port;
};

/* What a check's programs may do: see sandbox.c.  As root they run as the
 * user SANDBOX_UID_BASE + the check's process ID (< 2^22), numbers that no
 * system gives out. */
#define SANDBOX_UID_BASE 1800000000u
/* Tasks (processes and threads) a check's or build's programs may have:
 * generous for any honest lab program (lab 04 runs a thread per client). */
#define SANDBOX_MAX_TASKS 256

/* A check's or build's cgroup (cgroup.c): limits that count all of its
 * programs' memory, shared memory and tmpfs files included. */
#define CGROUP_DIRS 2
struct cgroup {
    int version;            /* 1 or 2; 0: none, the rlimits alone hold */
    char *dirs[CGROUP_DIRS];    /* v1: its memory and pids cgroups; v2: dirs[0] */
    int procs[CGROUP_DIRS];     /* their cgroup.procs, open for cgroup_join */
};

struct sandbox {
    uid_t uid;              /* the user programs run as; 0: the grader's */
    bool private_mounts;    /* the check has its own /tmp; the kit is hidden */
    bool own_root;          /* its programs have a root of their own (sandbox.c) */
    long memory_mb;         /* each program's data limit, and in a cgroup all
                               programs' memory together; 0 or less: none */
    struct cgroup cgroup;   /* joined by sandbox_enter where version != 0 */
};

#define SANDBOX_LIMITS 6
struct sandbox_limits {     /* worked out before fork, applied after */
    int resource[SANDBOX_LIMITS];
    rlim_t value[SANDBOX_LIMITS];
};

struct check {
    const struct lab_def *lab;
    const struct check_def *def;
    const char *cause;      /* diagnose()'s, or NULL */
    const char *cause_hint; /* its hint, or NULL: the check's own */
    struct buf because;     /* explain()'s sentences, for the failure message */
    const char *lab_dir;    /* IMPL/NN-name, as messages name it */
    const char *programs_dir;   /* where programs are run from: lab_dir, or its
                                   copy in a root of their own (sandbox.c) */
    int lab_fd;             /* it, opened without following a link; or -1 */
    char *lab_refused;      /* why it is -1 */
    int time_limit_ms;      /* the check's, times run_options' time_scale */
    int time_scale;
    int64_t start_us;
    int64_t deadline_ms;
    struct buf transcript;
    struct result_slot *slot;
    struct program *programs[MAX_PROGRAMS];
    size_t nprograms;
    struct listener *listeners[4];
    size_t nlisteners;
    int port_locks[8];
    size_t nport_locks;
    bool in_namespace;      /* init of its PID namespace is its parent */
    pid_t outside_pid;      /* the check's process (its namespace's init) as
                               the runner numbers it: names its cgroup */
    bool own_network;       /* in a network namespace of its own */
    char *folder;           /* check_folder's, or NULL */
    int folder_fd;          /* it, opened as it was made (if not NULL) */
    struct sources sources;     /* what the pump moves (events.h) */
    const char *client_host;    /* what start_client gives as HOST */
    const char *shortio;    /* where shortio.so is, or NULL */
    bool short_counts;      /* preload it under new programs */
    struct sandbox sandbox;
    const char *hidden[3];  /* folders programs must not see: the kit, the
                               folder holding every submission, the originals
                               of copies */
    const char *built_server;   /* use_built_server's, or NULL */
    void (*on_fail)(struct check *c, const char *message);  /* on_failure's */
    struct buf helper_library[2];   /* the kit's netlab.c and netlab.h, read
                                       for a check that builds (tsan.c) */
};

/* check.c (and the pump's sources: events.h) */
_Noreturn void run_check(struct check *c);
void record(struct check *c, struct stream_log *log, const char *who,
            const void *data, size_t len);
void pump(struct check *c, int timeout_ms);
bool pump_until(struct check *c, bool (*done)(struct check *, void *),
                void *arg, int64_t until_ms, bool poll_slowly);
void describe_difference(struct buf *msg, const void *expected, size_t elen,
                         const void *got, size_t glen);
void flush_stream_log(struct check *c, struct stream_log *log, const char *who);
/* At the end of the check: each source's finish (events.h). */
void finish_sources(struct check *c);
void remove_folder(const char *path);       /* and everything in it */


/* tsan.c: reads the kit's helper library, for a check that builds the
 * lab's sources, before the check's mounts hide the kit. */
void keep_helper_library(struct check *c);

/* programs.c */
void reap_all_descendants(bool in_namespace);

/* sandbox.c */
void sandbox_prepare(struct check *c);      /* at the start of the check */
/* The user programs started by the caller run as, as root:
 * SANDBOX_UID_BASE + the caller's process ID. */
uid_t sandbox_uid_of_self(void);
/* For a build (build.c), in a mount namespace of its own, before it drops
 * privileges: a root of the build's own (the system's files, a private
 * /tmp...) where the folder open as SUBMISSION is BUILD_SUBMISSION,
 * writable.  False, with why in NOTES, where it cannot be made: then
 * sandbox_hide_from_build covers HIDDEN instead, and FOLDER stays
 * visible and writable. */
#define BUILD_SUBMISSION "/run/netlab/submission"
bool sandbox_build_root(int submission, struct buf *notes);
void sandbox_hide_from_build(const char *folder, const char *const hidden[3], struct buf *notes);
/* Makes the caller a mount namespace of its own, its mounts private.
 * 0, or the errno of the system's refusal. */
int sandbox_own_mounts(void);
/* What stays visible to a check's programs, which must reach it: as real
 * paths, "" where there is none, the lab folder LAB_DIR (the programs run
 * are inside it) and the library PRELOAD. */
enum { SANDBOX_KEPT_LAB, SANDBOX_KEPT_PRELOAD, SANDBOX_KEPT };
void sandbox_kept(const char *lab_dir, const char *preload, char kept[SANDBOX_KEPT][PATH_MAX]);
/* As root: whether a user of the programs' own gets through every folder
 * on the way to each of the N PATHS (not into the paths themselves: a
 * folder or a program closed by its owner is the submission's doing).
 * False, with the first folder that stops it and why, in BLOCKED. */
bool sandbox_way_is_open(const char *const *paths, size_t n, struct buf *blocked);
/* A copy of the library LIB that programs can preload wherever the kit
 * sits (no space or colon in its path, open to every user, read-only):
 * its path, to be given to sandbox_unstage_preload, or NULL with why in
 * ERR. */
char *sandbox_stage_preload(const char *lib, struct buf *err);
void sandbox_unstage_preload(char *copy);
void sandbox_claim_folder(const struct check *c, const char *folder);
void sandbox_limits(const struct sandbox *s, struct sandbox_limits *l);
int sandbox_enter(const struct sandbox *s, const struct sandbox_limits *l);
bool sandbox_find_strays(const struct check *c, struct buf *msg);

/* walk.c: a student's files, reached from descriptors, never through a
 * link that leads out (see walk.c). */
/* Opens PATH (openat2) from the folder ROOT, following links only while
 * they stay inside ROOT: EXDEV when one leads out.  FLAGS as open's. */
int open_beneath(int root, const char *path, int flags);
/* Opens the folder PATH, following its parents (the instructor's) but not
 * PATH itself: -1 with errno (ELOOP: a link, ENOTDIR) and, unless WHY is
 * NULL, what PATH is ("PATH is a symbolic link to /etc") in WHY. */
int open_folder(const char *path, struct buf *why);
/* Opens NAME of the folder DIR for reading if it is a regular file,
 * without following a link; else -1, with what it is in WHY (unless NULL). */
int open_regular(int dir, const char *name, struct buf *why);
/* "a folder", "a fifo (named pipe)", "a character device"... */
const char *kind_of_file(mode_t mode);
/* Appends what NAME of the folder DIR is, of MODE (lstat's): "a fifo
 * (named pipe)", or for a link "a symbolic link to TARGET". */
void describe_entry(struct buf *why, int dir, const char *name, mode_t mode);
/* Writes what remains of the open file IN into the open file OUT: 0, or
 * -1 with errno. */
int copy_file_contents(int in, int out);
/* Copies the regular file FROM (not a link) to the new file TO, with MODE.
 * 0, or -1 with why in ERR. */
int copy_regular_file(const char *from, const char *to, mode_t mode, struct buf *err);
/* Appends why open_beneath failed with ERR: ", which leads out of WHERE". */
void describe_beneath_failure(struct buf *why, int err, const char *where);
/* Opens C's lab folder as C->lab_fd, before the check's mounts hide
 * anything; if it is no folder (a link to one...), -1 and why in
 * C->lab_refused. */
void open_lab_folder(struct check *c);
/* 0 if NAME in C's lab folder is a program the grader may start: a
 * regular executable file inside the lab folder (a link to one inside it
 * will do).  Else -1 with the check's failure message in WHY. */
int check_program(const struct check *c, const char *name, struct buf *why);

/* The caller's process ID as the grader's /proc numbers it: for init of a
 * PID namespace, the number its parent got from fork.  Only until the
 * caller mounts a /proc of its namespace's own. */
pid_t outside_pid_of_self(void);

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
bool cgroup_create(struct cgroup *cg, const char *kind, pid_t pid, long memory_mb,
                   long tasks, struct buf *why);
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

/* quota.c: in a build's own mount namespace, the copy of the submission,
 * FOLDER, in a tmpfs of QUOTA_MB and QUOTA_INODES.  quota_mount mounts it
 * over FOLDER with a copy of FOLDER's contents, and keeps both open in Q
 * (0, or -1 with why in ERR); quota_full says whether the build filled
 * it; quota_copy_back copies what its lab folder NAME holds (folders and
 * regular files, links and fifos as themselves) into the folder
 * underneath, once the build's processes are gone (0, or -1 with why in
 * ERR); quota_close closes both. */
#define QUOTA_MB 256
#define QUOTA_INODES 20000
struct quota {
    int under;              /* the copy, under the tmpfs */
    int top;                /* the tmpfs */
};
int quota_mount(const char *folder, struct quota *q, struct buf *err);
bool quota_full(const struct quota *q);
int quota_copy_back(const struct quota *q, const char *name, struct buf *err);
void quota_close(struct quota *q);
/* Copies the contents of the folder open as FROM into the folder open as
 * TO: folders and regular files (executable by all if their owner could
 * execute them, readable by all), symbolic links as links if LINKS;
 * nothing else, never through a link.  0, or -1 with why in ERR (PATH
 * names FROM there). */
int copy_folder_into(int from, int to, bool links, const char *path, struct buf *err);

/* runner.c: what checks and builds share.  fork_isolated forks into a
 * PID namespace of its own (with network and IPC namespaces) where allowed; catch_interrupts makes SIGINT,
 * SIGTERM and SIGHUP set grader_interrupted. */
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
/* As root, where checks get no mounts of their own (no namespaces: a
 * plain chroot, a container without CAP_SYS_ADMIN): whether the programs'
 * user gets through every folder on the way to the N PATHS, as
 * sandbox_way_is_open; if not, false, with one message on stderr saying
 * what to do.  If so, a warning once that checks run without those mounts.
 * True wherever the checks' sandbox opens the way itself. */
bool programs_can_reach(const char *const *paths, size_t n);
void catch_interrupts(void);
bool grader_interrupted(void);

/* children.c: child exits as a pollable descriptor (a SIGCHLD self-pipe).
 * watch_children sets it up for the calling process and returns it. */
int watch_children(void);
void drain_child_events(void);
/* The pipe as one of check C's event sources: once, by its first program. */
void watch_child_exits(struct check *c);

/* peers.c */
bool port_is_listening(int port);
bool port_is_bound_udp(int port);
struct peer *new_peer(struct check *c, int fd, const char *other);
/* The port of FD's own address (of its peer's if PEER_SIDE); 0 if not yet
 * bound; -1 if FD is no IP socket. */
int local_port_of(int fd, bool peer_side);
/* Whether all P sent has left and the other end's program has read it
 * (or is gone).  Fails the check with a grader error if the kernel cannot
 * tell. */
bool peer_consumed(struct check *c, struct peer *p);

#endif
