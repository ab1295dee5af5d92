/*
 * core.h - the check process's own state: the check, the programs and
 * peers it holds, and the pump that moves their bytes (check.c), with the
 * event sources the pump drives (programs.c, relay.c, udp.c) and the
 * grader as a peer (peers.c).  Lab files see only check.h.
 */
#ifndef NETLAB_CORE_H
#define NETLAB_CORE_H

#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "confinement.h"
#include "events.h"
#include "lab.h"

struct readiness;   /* check.h's */
struct result_slot; /* slot.h's: where the check's result goes */

/* How many bytes of each stream the transcript shows before summarising. */
#define TRANSCRIPT_DETAIL (2 * 1024)
/* ...and of one read or write. */
#define TRANSCRIPT_ENTRY 256

struct stream_log {
    size_t logged;  /* bytes shown in detail so far */
    size_t skipped; /* bytes moved but not shown */
    size_t skipped_chunks;
};

struct program {
    char name[16];                     /* "server", "client" */
    char *command;                     /* its command line, for messages */
    pid_t pid;                         /* also its process group and session */
    pid_t outside_pid;                 /* the same as /proc and the runner number it */
    int pty;                           /* master side: its stdin and stdout (or the
                               read end of its stdout pipe, without one) */
    int in_pipe;                       /* write end of its stdin pipe; -1 with a
                               terminal, -2 once the pipe is closed */
    int err;                           /* read end of its stderr */
    int port;                          /* for a server: where it listens */
    const struct readiness *readiness; /* for a server: how it shows it */
    bool main_ran;                     /* it listened or connected: its main has run */
    int announce;                      /* where shortio.so says it loaded, or -1 */
    bool shortio_loaded;               /* what that pipe said */
    bool exited;
    int status;                  /* waitpid status once exited */
    int64_t exited_ms;           /* when the check noticed it had exited */
    int sent_signal;             /* the last signal a check sent it (not SIGSTOP or
                               SIGCONT), or 0: messages say when */
    int64_t sent_ms;             /* ...and when */
    struct buf in;               /* typed, not yet taken by the terminal */
    long long read_before_typed; /* type_at_prompt: bytes_read_by before it */
    size_t typed_at_prompt;      /* typed then, which it must read: or 0 */
    struct buf out, errout;
    struct stream_log out_log, err_log, in_log;
    char actor[24]; /* its name in the event log: "client", "client #2" */
};

struct peer {
    int fd;            /* -1 once closed */
    char label[48];    /* "grader -> server #2" for the transcript */
    const char *self;  /* "grader", or "relay" for a relay's sockets */
    const char *other; /* name of the program at the other end */
    const char *actor; /* ...and as the event log names it */
    int number;        /* the check's connections counted from 1, as LABEL's */
    struct buf in, out;
    struct buf sent; /* escaped summary of what was sent, for messages */
    bool reading;
    bool eof;  /* the other end closed */
    int error; /* errno of a failed send or recv, or 0 */
    struct stream_log in_log, out_log;
};

struct listener {
    int fds[2]; /* 127.0.0.1 and ::1 (-1 where unavailable) */
    int port;
};

struct check {
    const struct lab_def *lab;
    const struct check_def *def;
    const char *cause;        /* diagnose()'s, or NULL */
    const char *cause_hint;   /* its hint, or NULL: the check's own */
    struct buf because;       /* explain()'s sentences, for the failure message */
    const char *lab_dir;      /* IMPL/NN-name, as messages name it */
    const char *programs_dir; /* where programs are run from: lab_dir, or its
                                   copy in a root of their own (sandbox.c) */
    int lab_fd;               /* it, opened without following a link; or -1 */
    char *lab_refused;        /* why it is -1 */
    int time_limit_ms;        /* the check's, times run_options' time_scale */
    int time_scale;
    int64_t start_us;
    int64_t deadline_ms;
    struct buf transcript;
    struct buf events;     /* the event log (log_event), for the diagram */
    size_t events_skipped; /* events past its room, counted */
    bool events_closed;    /* the verdict is in: nothing more is logged */
    struct buf replay;     /* the replay log (log_replay), for repro scripts */
    bool replay_cut;       /* an event did not fit: the log stops before it */
    struct result_slot *slot;
    struct program *programs[MAX_PROGRAMS];
    size_t nprograms;
    struct listener *listeners[4];
    size_t nlisteners;
    int port_locks[8];
    size_t nport_locks;
    bool in_namespace;       /* init of its PID namespace is its parent */
    pid_t outside_pid;       /* the check's process (its namespace's init) as
                               the runner numbers it: names its cgroup */
    bool own_network;        /* in a network namespace of its own */
    char *folder;            /* check_folder's, or NULL */
    int folder_fd;           /* it, opened as it was made (if not NULL) */
    struct sources sources;  /* what the pump moves (events.h) */
    const char *client_host; /* what start_client gives as HOST */
    const char *shortio;     /* where shortio.so is, or NULL */
    bool short_counts;       /* preload it under new programs */
    struct sandbox sandbox;
    const char *hidden[3];    /* folders programs must not see: the kit, the
                               folder holding every submission, the originals
                               of copies */
    const char *built_server; /* use_built_server's, or NULL */
    /* An interop check (interop.h): its client comes from this other lab
     * folder, and runs in a root of its own as a user of its own; NULL in
     * every other check. */
    const char *client_lab_dir;
    int client_lab_fd;                                     /* it, opened as lab_fd is; or -1 */
    char *client_lab_refused;                              /* why it is -1 */
    char *client_folder;                                   /* the client's HOME, its user's */
    void (*on_fail)(struct check *c, const char *message); /* on_failure's */
    /* Ends the check with its verdict (checkrun.c's finish): fail and
     * not_testable call it, so that check.c calls nothing above it.  It
     * never returns. */
    void (*end)(struct check *c, bool passed, bool untestable, const struct buf *msg);
    struct buf helper_library[2]; /* the kit's netlab.c and netlab.h, read
                                       for a check that builds (tsan.c) */
};

/* check.c */
void record(struct check *c, struct stream_log *log, const char *who, const void *data,
            size_t len);
void pump(struct check *c, int timeout_ms);
bool pump_until(struct check *c, bool (*done)(struct check *, void *), void *arg,
                int64_t until_ms, bool poll_slowly);
void flush_stream_log(struct check *c, struct stream_log *log, const char *who);
/*
 * Adds an event to the check's event log (diagram.h gives its form): KIND
 * between the actors FROM and TO ("" for none), with the LEN bytes at DATA
 * (a payload, or a text such as a command line), of which a short escaped
 * head is kept.  Bounded: past the log's room, events are only counted.
 * Nothing is logged once the verdict is in (log_verdict).
 */
void log_event(struct check *c, const char *kind, const char *from, const char *to,
               const void *data, size_t len);
/* The same on the grader's connection number CONN (a peer's `number`). */
void log_event_on(struct check *c, int conn, const char *kind, const char *from,
                  const char *to, const void *data, size_t len);
/*
 * Adds a record to the replay log only (repro.h gives its form): the full
 * LEN bytes at DATA, not a head, with the program's arguments, ports and
 * the like that a script needs to start the programs as the check did.
 * log_event_on adds each of its events too.  Bounded (SLOT_REPLAY): the
 * first record that does not fit ends the log, marked cut.
 */
void log_replay(struct check *c, int conn, const char *kind, const char *from, const char *to,
                const void *data, size_t len);
/* A record of the grader's PORT: KIND "udp-listen" (it waits there for
 * ACTOR's datagrams), "udp-to" (it sends to ACTOR there), "listen" or
 * "refuse" (it listens, or only binds, there). */
void log_replay_port(struct check *c, const char *kind, const char *actor, int port);
/* Ends the log with the verdict, KIND "fail" (TEXT its message), "pass"
 * or "untestable", after a count of the events left out; once. */
void log_verdict(struct check *c, const char *kind, const char *text);
/* At the end of the check: each source's finish (events.h). */
void finish_sources(struct check *c);

/* folder.c: an interop check's client's folder, as check_folder is the
 * other programs' (its HOME and TMPDIR, its user's). */
const char *client_folder(struct check *c);

/* programs.c */
void reap_all_descendants(bool in_namespace);

/* peers.c */
bool port_is_listening(int port);
bool port_is_bound_udp(int port);
struct peer *new_peer(struct check *c, int fd, const char *other);
/* Logs P opened from FROM's port to TO's (log_event). */
void log_open(struct check *c, const struct peer *p, const char *from, const char *to,
              int from_port, int to_port);
/* The port of FD's own address (of its peer's if PEER_SIDE); 0 if not yet
 * bound; -1 if FD is no IP socket. */
int local_port_of(int fd, bool peer_side);
/* Whether all P sent has left and the other end's program has read it
 * (or is gone).  Fails the check with a grader error if the kernel cannot
 * tell. */
bool peer_consumed(struct check *c, struct peer *p);

#endif
