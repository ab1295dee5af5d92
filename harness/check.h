/*
 * check.h - what a lab's checks are written with.
 *
 * A lab is a table of checks (lab.h); each check is a function that starts the
 * student's programs, acts as their peer and states what it expects.  Every
 * helper here records the bytes it moves in the check's transcript and, when
 * an expectation is not met by the check's deadline, fails the check with a
 * message that says what was sent, what was expected and what came back.
 * A failing helper does not return: the check ends there.
 *
 * Each check runs in a process of its own (runner.c), so a check may use
 * blocking logic freely; every wait is bounded by the check's deadline.
 */
#ifndef NETLAB_CHECK_H
#define NETLAB_CHECK_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

struct check;    /* the running check: deadline, transcript, what it owns */
struct program;  /* a student program the check started */
struct peer;     /* one TCP connection of the grader's */
struct listener; /* the grader listening for a student client */

/* ---- Failing and noting ------------------------------------------------ */

/* Fails the check with a message (printf-style); adds the state of every
 * program the check started.  Does not return. */
_Noreturn void fail(struct check *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Adds a line to the transcript (printf-style). */
void note(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Says why the check is failing, where the grader can tell the cause and
 * not only the symptom: CAUSE is its short name ("sa-restart"), which the
 * known-buggy variant that makes this mistake lists in its expect file
 * ("cause: sa-restart"); HINT, a HINT("section") of the lab's handout,
 * replaces the check's own hint in every report, or NULL to keep it.  The
 * failure message itself must name the cause too.  The last diagnosis
 * before fail() is the one reported; a check that passes reports none. */
void diagnose(struct check *c, const char *cause, const char *hint);

/* Adds a sentence (printf-style) to the message of the check's failure,
 * after the failing helper's own: why, when the check can tell more than
 * the helper (with diagnose). */
void explain(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A private folder for this check, created on first use and removed with
 * everything in it when the check ends.  Programs run in it. */
const char *check_folder(struct check *c);

/* What the programs left in the check's folder, as root may read it:
 * never through a symbolic link, nor through the folder's path (a program
 * may have put a link in the place of either).  open_in_check_folder opens
 * NAME for reading if it is a regular file there; else -1, with what NAME
 * is instead in WHY (unless NULL).  list_check_folder lists the folder
 * (closedir it). */
int open_in_check_folder(struct check *c, const char *name, struct buf *why);
DIR *list_check_folder(struct check *c);

/* Ends the check as passed but not testable, with the reason shown: for a
 * program the check cannot examine this way, which must not cost points. */
_Noreturn void not_testable(struct check *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Has fail() call HOOK first, once, with the failure's message: HOOK may
 * end the check its own way (fail, not_testable) or return to let the
 * failure stand.  NULL: none. */
void on_failure(struct check *c, void (*hook)(struct check *c, const char *message));

/* Milliseconds left before the check's deadline (never negative). */
int64_t time_left_ms(const struct check *c);

/* Whether the check's programs have a network of their own, the loopback
 * alone: no packet leaves it, so a DNS query fails at once. */
bool check_has_own_network(const struct check *c);

/* ---- Student programs -------------------------------------------------- */

/*
 * Starts the lab's program NAME ("server" or "client") with the given
 * arguments (NULL-terminated).  Its stdin and stdout are a pseudo-terminal,
 * so stdio buffers as it would for a person; stderr is a pipe of its own.
 * It runs in its own session and process group, in the check's folder.
 */
struct program *start_program(struct check *c, const char *name, ...)
    __attribute__((sentinel));

/*
 * Programs started from now on run as from a script, with pipes where a
 * person has a terminal: their stdin and stdout are pipes, so stdio
 * buffers stdout fully and one read of stdin may bring many lines.
 * type_line then writes into the stdin pipe at once (all that is typed
 * must fit its 64 KiB) and type_eof closes it.  (Checks of what a
 * terminal hides: a log never flushed, input read one line per read.)
 */
void run_without_terminal(struct check *c);

/* Programs started from now on get VAR, "NAME=value" (kept, not copied),
 * in their environment as well: "TZ=..." for a time zone other than
 * UTC.  At most four per check. */
void add_program_env(struct check *c, const char *var);

/* The same with the arguments in an array. */
struct program *start_program_args(struct check *c, const char *name, const char *const *args,
                                   size_t nargs);

/* Starts the system's program at PATH ("/usr/bin/cc") as the lab's programs
 * run: in the check's folder, in their sandbox, under their limits. */
struct program *start_system_program(struct check *c, const char *path,
                                     const char *const *args, size_t nargs);

/* Servers started from now on run PATH, a program the grader built in the
 * check's folder, instead of the lab folder's server, and without a data
 * limit (ThreadSanitizer reserves terabytes of address space; the
 * cgroup's memory limit still holds). */
void use_built_server(struct check *c, const char *path);

/*
 * Reserves a free port, starts the lab's "server" with that port as its first
 * argument followed by ARGS, and waits until it listens on TCP.
 */
struct program *start_server(struct check *c, ...) __attribute__((sentinel));

/* Starts the lab's "client" with the host "localhost" (or the run's
 * client_host), PORT, then ARGS
 * (NULL-terminated): the port of a grader's listener, or of a server the
 * check started. */
struct program *start_client(struct check *c, int port, ...) __attribute__((sentinel));

/* The port a program started by start_server listens on. */
int program_port(const struct program *p);

/* Whether a socket of SERVER's port listens over IPv6 (bound to :: or
 * ::1; a dual-stack socket counts), or only over IPv4. */
bool listens_over_ipv6(const struct program *server);

/* Types LINE and a newline on the program's terminal. */
void type_line(struct check *c, struct program *p, const char *line);

/* Types TEXT as it is, no newline added (a last line without one). */
void type_text(struct check *c, struct program *p, const char *text);

/* Types end-of-file (Ctrl-D at the start of a line). */
void type_eof(struct check *c, struct program *p);

/* Types LINE and a newline as a person at a prompt does: once the program
 * has read everything typed so far and sleeps, waiting for more (a second
 * at most, then typed anyway).  type_line types ahead, as a person who
 * does not wait for the prompt does. */
void type_at_prompt(struct check *c, struct program *p, const char *line);

/* Bytes typed on the program's terminal that it has not read yet, or -1
 * where the terminal cannot be asked (no terminal, or its end). */
long typed_unread(const struct program *p);

/* Bytes the program has read from files, pipes and terminals since it
 * started (the kernel's rchar: never fewer than it read), or -1 where
 * /proc does not say. */
long long bytes_read_by(const struct program *p);

/* Waits until the program's stdout shows TEXT within one line.  A prompt or
 * a prefix around it is fine: checks never depend on a program's wording
 * beyond the contract's. */
void expect_output_line(struct check *c, struct program *p, const char *text);

/* Waits until the program's stdout has at least N complete lines. */
void expect_output_lines(struct check *c, struct program *p, size_t n, const char *what);

/* Waits until the program exits with STATUS; fails if it is still running
 * at the deadline, is killed by a signal, or exits with another status. */
void expect_exit(struct check *c, struct program *p, int status);

/* Waits until the program has exited or the deadline passes; returns
 * whether it exited. */
bool wait_exit(struct check *c, struct program *p);

/* The status the program exited with (0 to 255), or -1 while it runs or
 * when a signal killed it: for a check that explains a wrong status in
 * its own words rather than expect_exit's. */
int exit_status(const struct program *p);

/* Waits (a second at most) until the program sleeps in a blocking call,
 * such as accept or recv: a signal then finds it there, not between the
 * check of a flag and the call that blocks. */
void wait_until_blocked(struct check *c, struct program *p);

/* Waits, moving the check's I/O, until COND(c, ARG) holds, at most MS ms
 * and never past the deadline, looking again every few milliseconds: for
 * what no event announces, such as a count under /proc settling.
 * Returns whether COND held. */
bool wait_until(struct check *c, bool (*cond)(struct check *c, void *arg), void *arg, int ms);

/*
 * Programs started from now on get shortio.so preloaded: on stream
 * sockets their send/write take fewer bytes than asked and recv/read
 * return a few bytes at a time (and EINTR comes where a real run could
 * bring it).  require_short_counts ends the check as not testable unless
 * the library is loaded in P (a statically linked program ignores it); call
 * it once P has listened (start_server) or connected (accept_client), and
 * the answer does not depend on whether P is still running.
 */
void inject_short_counts(struct check *c);
void require_short_counts(struct check *c, struct program *p);

/* Sends SIG to the program's process group. */
void signal_program(struct check *c, struct program *p, int sig);

/* Whether the program is still running (reaped or not). */
bool program_running(struct program *p);

/* What the program wrote so far. */
const struct buf *program_stdout(const struct program *p);
const struct buf *program_stderr(const struct program *p);

/* Open descriptors, and threads, of every process in the program's process
 * group, read from /proc; -1 when they cannot be read. */
int count_open_fds(struct program *p);
int count_threads(struct program *p);

/* Memory mappings (lines of /proc/PID/maps) of every process in the
 * program's group; -1 when they cannot be read.  A thread that ended but
 * was neither joined nor detached leaves its stack mapped. */
int count_mappings(struct program *p);

/* ---- The grader as a peer --------------------------------------------- */

/* A port no other check or grader on this machine is using: reserved for
 * the rest of the check. */
int reserve_port(struct check *c);

/* Connects to the server at 127.0.0.1 on its port. */
struct peer *connect_to(struct check *c, struct program *server);
/* The same over IPv6, to ::1; not testable where the machine has no ::1. */
struct peer *connect_over_ipv6(struct check *c, struct program *server);

/* A reserved port on which every TCP connection attempt is refused. */
int refused_port(struct check *c);

/* Listens on 127.0.0.1 and ::1 (both) on a reserved port, for a client. */
struct listener *listen_for_client(struct check *c);

/* Listens on 127.0.0.1 only, ::1 refusing: in a check's root localhost is
 * ::1 first, so a client given localhost must try its second address. */
struct listener *listen_for_client_on_ipv4(struct check *c);
int listener_port(const struct listener *l);

/* Waits for CLIENT to connect to L. */
struct peer *accept_client(struct check *c, struct listener *l, struct program *client);

/* Queues bytes and waits until the kernel has taken all of them, reading
 * whatever arrives meanwhile (so an echo never deadlocks). */
void send_bytes(struct check *c, struct peer *p, const void *data, size_t len);
void send_text(struct check *c, struct peer *p, const char *text);

/*
 * Sends DATA in pieces of PIECE bytes; after each piece it waits until the
 * program at the other end has read it (its socket's receive queue is
 * empty), so that every piece reaches it as a separate read.
 */
void send_in_pieces(struct check *c, struct peer *p, const void *data, size_t len,
                    size_t piece);

/* Connects like connect_to, with a receive buffer so small and a reader so
 * slow (none) that the server soon blocks in send. */
struct peer *connect_without_reading(struct check *c, struct program *server);

/* Stops reading the connection (the peer's sends then block). */
void pause_reading(struct peer *p);

/* Waits for exactly these bytes next; on a mismatch shows the first
 * difference. */
void expect_bytes(struct check *c, struct peer *p, const void *data, size_t len,
                  const char *what);

/* Waits as expect_bytes does, but neither fails nor consumes on a
 * mismatch: returns how many leading bytes came as DATA's (LEN: all of
 * them, then consumed).  *GOT (unless NULL) points at what came, *HAVE
 * bytes, valid until the next call on P.  For a check that tells why
 * (explain, diagnose) before expect_bytes fails it. */
size_t bytes_as_expected(struct check *c, struct peer *p, const void *data, size_t len,
                         const unsigned char **got, size_t *have);

/* Waits for the next line and compares it with LINE ("\r\n" tolerated). */
void expect_line(struct check *c, struct peer *p, const char *line);

/* Waits for the next line and returns it (without "\n", NUL-terminated,
 * caller frees). */
char *read_line_from(struct check *c, struct peer *p, const char *what);

/* Whether a whole line from the other end of P has arrived and waits to be
 * read (read_line_from then returns it at once).  Does not wait and moves
 * no I/O: test it in a wait_until condition, to wait for the first of
 * several peers to answer, or to read only what came before a crash. */
bool line_waiting(const struct peer *p);

/* Waits until the other end closes the connection (after any bytes). */
void expect_closed(struct check *c, struct peer *p, const char *what);

/* Half-closes (shutdown SHUT_WR), closes, or resets (RST) the connection. */
void half_close(struct check *c, struct peer *p);
void close_peer(struct check *c, struct peer *p);
void reset_peer(struct check *c, struct peer *p);

/* Waits until the other end has received our FIN (it is in CLOSE_WAIT). */
void wait_fin_acked(struct check *c, struct peer *p);

/* Waits until at least one byte waits unread on our side. */
void wait_unread_bytes(struct check *c, struct peer *p);

/* ---- UDP ---------------------------------------------------------------- */

struct udp; /* a UDP socket of the grader's */

/* Reserves a port, starts the lab's "server" with it first and then ARGS
 * (NULL-terminated), and waits until the server has a UDP socket bound to
 * that port. */
struct program *start_udp_server(struct check *c, ...) __attribute__((sentinel));

/* A UDP socket of the grader's that sends to the server at 127.0.0.1 on
 * its port and receives its replies. */
struct udp *udp_to(struct check *c, struct program *server);

/* A UDP socket bound on 127.0.0.1 and ::1 (both) on a reserved port: the
 * grader as the server of a student client, given host "localhost". */
struct udp *udp_listen(struct check *c);
int udp_port(const struct udp *u);

/* Sends one datagram: to the server for udp_to's sockets; for udp_listen's,
 * to the sender of the last datagram received. */
void udp_send(struct check *c, struct udp *u, const void *data, size_t len);

/* The same DELAY_MS from now, sent from the pump while the check goes on
 * (replies late, out of order or twice are made of these). */
void udp_send_later(struct check *c, struct udp *u, const void *data, size_t len,
                    int delay_ms);

/* Waits until UNTIL_MS (an absolute now_ms() time, capped at the deadline)
 * for the next datagram; copies it into BUF (at most SIZE bytes) and
 * returns its length, or -1 if none came.  A datagram's sender becomes the
 * destination of udp_send for udp_listen's sockets. */
ssize_t udp_receive(struct check *c, struct udp *u, void *buf, size_t size, int64_t until_ms);

/* When the datagram udp_receive returned last reached the grader's socket,
 * as the kernel stamped it (a now_ms() time): on a busy machine, possibly
 * long before the check got to read it. */
int64_t udp_arrival_ms(const struct udp *u);
/* Shows in the check's sequence diagram that the grader drops what U
 * received last, WHAT it was ("ping 2"): it never answers it. */
void udp_dropped(struct check *c, struct udp *u, const char *what);

/* Like udp_receive, but gives up as soon as program P has ended with no
 * datagram left to read: a client that exits (or crashes) before it sends
 * what the check waits for fails the check at once, not at its deadline. */
ssize_t udp_receive_while_running(struct check *c, struct udp *u, struct program *p, void *buf,
                                  size_t size, int64_t until_ms);

/* ---- ThreadSanitizer ---------------------------------------------------- */

/*
 * Builds the lab's server with
 * -fsanitize=thread in the check's folder, from the lab folder's server.c
 * and its other C files but client.c, with the kit's helper library, as a
 * program of the check (its sandbox, its user, its limits), and has the
 * servers started from then on be that build, its reports written to the
 * check's folder.  A lab folder without server.c, or sources that do not
 * build this way, end the check as not testable; so does a failure of the
 * lab's checks run after this, unless a data race was reported by then.
 */
void start_thread_sanitizer(struct check *c);

/* Stops the servers and fails the check if ThreadSanitizer reported a data
 * race, quoting the two accesses. */
void expect_no_data_race(struct check *c);

/* ---- A relay between two programs ------------------------------------ */

struct relay;

/* How the relay passes bytes on in one direction: in pieces of PIECE bytes
 * (each read separately by the receiver), coalesced (held until nothing
 * came for COALESCE_MS, then sent at once), delayed by DELAY_MS; all zero
 * passes them on as they come. */
struct relay_mode {
    size_t piece;
    int coalesce_ms;
    int delay_ms;
};

/* A relay to SERVER: give the client relay_port(r) instead of the server's
 * port.  UP is the client-to-server direction, DOWN the other. */
struct relay *start_relay(struct check *c, struct program *server, struct relay_mode up,
                          struct relay_mode down);
int relay_port(const struct relay *r);

/* Cuts both of the relay's connections with a reset. */
void relay_reset(struct check *c, struct relay *r);

#endif
