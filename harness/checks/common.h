/*
 * common.h - checks of the conventions every lab shares (LABS.md,
 * "Conventions shared by every lab"), written once for all labs.
 */
#ifndef NETLAB_LABS_COMMON_H
#define NETLAB_LABS_COMMON_H

#include "check.h"

/* Bad arguments: a usage line on stderr and exit status 2, for the server
 * and the client started without their arguments (and the client with HOST
 * but no PORT), and for each given a bad PORT (check_bad_ports). */
void check_bad_arguments(struct check *c);

/* The program NAME started with ARGS exits with status 2 and prints a usage
 * line on stderr; SHOWN is its command line for the message. */
void expect_usage(struct check *c, const char *name, const char *const *args, size_t nargs,
                  const char *shown);

/* A PORT that is no decimal number from 1 to 65535 ("abc", "0", "65536",
 * "-1", "80x", ""): the server (given SERVER_REST after it, if not NULL)
 * and the client (after HOST) print a usage line and exit with status 2. */
void check_bad_ports(struct check *c, const char *server_rest);

/* As check_bad_arguments, and the server given its PORT but not the
 * second argument it needs (lab 04's DIR, lab 06's DBFILE); SECOND is
 * such an argument, given after each bad PORT. */
void check_bad_arguments_server_port_only(struct check *c, const char *second);

/* A refused connection: the client prints one line on stderr naming the
 * cause and the port, and exits with status 1; so it does for a host name
 * that cannot resolve (check_client_unresolvable). */
void check_client_refused(struct check *c);

/* The client, told to reach a host name that cannot resolve (and PORT):
 * one line on stderr, exit status 1.  check_client_refused runs it too.
 * Not tried where the check has no network of its own. */
void check_client_unresolvable(struct check *c, int port);

/* Fails if P printed anything but blanks on stderr; WHAT says what ended
 * it ("the client exited with status 0 after the end of its input"). */
void expect_nothing_on_stderr(struct check *c, struct program *p, const char *what);

/* Waits until the server P, sent SIG (SIGTERM or SIGINT) WHEN ("while it
 * waited for a client"), exits with status 0 (expect_exit) and nothing on
 * stderr. */
void expect_stopped_cleanly(struct check *c, struct program *p, int sig, const char *when);

/* Waits until P exits with STATUS and has printed exactly one line on
 * stderr; WHEN says what the grader did, for messages ("its port was
 * taken"). */
void expect_one_error_line(struct check *c, struct program *p, int status, const char *when);

/* The server, started on a port where the grader already listens (TCP, or
 * UDP when UDP is true), with ARGS after the port: it cannot listen, so it
 * prints one line on stderr, naming the port and the cause ("Address
 * already in use"), and exits with status 1. */
void check_port_taken(struct check *c, bool udp, const char *const *args, size_t nargs);

/* Lines of B that hold more than blanks (a stderr's lines, say). */
size_t nonblank_lines(const struct buf *b);

/* Whether S starts with PREFIX. */
bool starts_with(const char *s, const char *prefix);

/* Lines P has printed on its stdout so far. */
size_t stdout_lines(const struct program *p);

/* Waits (MS at most) until P has printed N lines on its stdout, a log
 * line each: whether it did (false too if it ended short of them). */
bool wait_for_log_lines(struct check *c, struct program *p, size_t n, int ms);

/*
 * Waits until the server P, started under run_without_terminal (its stdout
 * a pipe), has logged N lines; WHAT says which.  Lines that do not come are
 * told apart: if SIGTERM brings them, they waited in stdio's buffer, which
 * on a pipe is flushed only when full; SECTION of HANDOUT explains it.
 */
void expect_log_lines(struct check *c, struct program *p, size_t n, const char *what,
                      const char *section);

/* Whether GOT is WANT with one space too many, next to one of WANT's
 * spaces ("MSG alice  hi" for "MSG alice hi"): a format string with a
 * doubled space, not another wording. */
bool differs_by_doubled_space(const char *want, const char *got);

/* Fails the check where the grader could not read WHAT of the program P
 * under /proc ("its open descriptors"): P's own doing if it has ended
 * meanwhile (a server that exits after its last reply must not go
 * ungraded), a grader error otherwise.  Does not return. */
_Noreturn void fail_unmeasured(struct check *c, struct program *p, const char *what);

#endif
