/* common.c - checks of the conventions every lab shares. */
#include "common.h"
#include "lab.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool contains_nocase(const struct buf *b, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= b->len; i++)
        if (strncasecmp(b->data + i, word, n) == 0)
            return true;
    return false;
}

static size_t nonblank_lines(const struct buf *b)
{
    size_t lines = 0;
    bool text = false;
    for (size_t i = 0; i < b->len; i++) {
        if (b->data[i] == '\n') {
            lines += text;
            text = false;
        } else if (b->data[i] != ' ' && b->data[i] != '\t' && b->data[i] != '\r') {
            text = true;
        }
    }
    return lines + text;
}

void expect_usage(struct check *c, const char *name, const char *const *args,
                  size_t nargs, const char *shown)
{
    struct program *p = start_program_args(c, name, args, nargs);
    expect_exit(c, p, 2);
    if (!contains_nocase(program_stderr(p), "usage"))
        fail(c, "`%s` exited with status 2 but printed no usage line on stderr "
             "(a line starting \"usage:\" that shows the arguments).", shown);
}

void check_bad_arguments(struct check *c)
{
    expect_usage(c, "server", NULL, 0, "./server");
    expect_usage(c, "client", NULL, 0, "./client");
    const char *host_only[] = { "localhost" };
    expect_usage(c, "client", host_only, 1, "./client localhost");
}

void check_bad_arguments_server_port_only(struct check *c)
{
    check_bad_arguments(c);
    char port[16], shown[64];
    snprintf(port, sizeof port, "%d", reserve_port(c));
    snprintf(shown, sizeof shown, "./server %s", port);
    const char *port_only[] = { port };
    expect_usage(c, "server", port_only, 1, shown);
}

void check_client_refused(struct check *c)
{
    int refused = refused_port(c);
    struct program *p = start_client(c, refused, NULL);
    expect_exit(c, p, 1);
    const struct buf *err = program_stderr(p);
    if (nonblank_lines(err) != 1)
        fail(c, "the client should print exactly one line on stderr when it cannot "
             "connect; it printed %zu.", nonblank_lines(err));
    if (!contains_nocase(err, "refused"))
        fail(c, "the client's error line does not give the cause (\"Connection "
             "refused\", from strerror(errno)).");
    char port[16];
    snprintf(port, sizeof port, "%d", refused);
    if (strstr(err->data, port) == NULL)
        fail(c, "the client's error line does not name the endpoint: it should "
             "mention the port, %s.", port);
}

void expect_one_error_line(struct check *c, struct program *p, int status, const char *when)
{
    expect_exit(c, p, status);
    size_t lines = nonblank_lines(program_stderr(p));
    if (lines != 1)
        fail(c, "%s, the program exited with status %d as it should, but printed %zu "
             "line%s on stderr: exactly one line says what failed, against which "
             "endpoint, and why.", when, status, lines, lines == 1 ? "" : "s");
}

/*
 * The server on a port the grader holds: one line on stderr, status 1,
 * and the line names the port and the cause ("Address already in use"),
 * as every lab's error lines say what failed, where and why.
 */
void check_port_taken(struct check *c, bool udp, const char *const *args, size_t nargs)
{
    int port = udp ? udp_port(udp_listen(c)) : listener_port(listen_for_client(c));
    char number[16], when[128];
    snprintf(number, sizeof number, "%d", port);
    const char *argv[8] = { number };
    size_t n = 1;
    for (size_t i = 0; i < nargs && n < COUNT_OF(argv); i++)
        argv[n++] = args[i];
    snprintf(when, sizeof when, "the grader already had %s port %d (on 127.0.0.1 and ::1), "
             "so the server could not %s there", udp ? "UDP" : "TCP", port,
             udp ? "bind" : "listen");
    note(c, "%s", when);
    struct program *p = start_program_args(c, "server", argv, n);
    expect_one_error_line(c, p, 1, when);
    const struct buf *err = program_stderr(p);
    if (strstr(err->data, number) == NULL || strstr(err->data, "in use") == NULL)
        fail(c, "with port %s taken, the server's error line should name the port "
             "(%s) and the cause (\"Address already in use\", from strerror(errno)).",
             number, number);
}

void check_port_taken_named(struct check *c)
{
    check_port_taken(c, false, NULL, 0);
}

static size_t output_lines(const struct buf *b)
{
    size_t lines = 0;
    for (size_t i = 0; i < b->len; i++)
        lines += b->data[i] == '\n';
    return lines;
}

struct log_wait {
    struct program *p;
    size_t n;
};

static bool logged(struct check *c, void *arg)
{
    (void)c;
    struct log_wait *w = arg;
    return output_lines(program_stdout(w->p)) >= w->n || !program_running(w->p);
}

/* Time kept back from the wait for lines, to stop the server and read what
 * it flushes as it exits. */
#define EXIT_MARGIN_MS 1000

void expect_log_lines(struct check *c, struct program *p, size_t n, const char *what,
                      const char *section)
{
    struct log_wait w = { p, n };
    int64_t ms = time_left_ms(c) - EXIT_MARGIN_MS;
    if (wait_until(c, logged, &w, ms > 0 ? (int)ms : 0) &&
        output_lines(program_stdout(p)) >= n)
        return;
    size_t before = output_lines(program_stdout(p));
    if (!program_running(p))
        fail(c, "expected %s on the server's stdout (a pipe here, not a terminal); it "
             "printed %zu line%s and ended.", what, before, before == 1 ? "" : "s");
    signal_program(c, p, SIGTERM);
    wait_exit(c, p);
    size_t after = output_lines(program_stdout(p));
    if (after >= n && after > before)
        fail(c, "expected %s on the server's stdout, a pipe here, not a terminal; %zu "
             "line%s came while it ran, the others only when SIGTERM stopped it: on a "
             "pipe stdio flushes stdout only when its buffer is full or at exit.  Make "
             "it line-buffered (see section \"%s\").", what, before,
             before == 1 ? "" : "s", section);
    fail(c, "expected %s on the server's stdout (a pipe here, not a terminal); it "
         "printed %zu line%s.", what, after, after == 1 ? "" : "s");
}

static bool has_ended(struct check *c, void *arg)
{
    (void)c;
    return !program_running(arg);
}

_Noreturn void fail_unmeasured(struct check *c, struct program *p, const char *what)
{
    /* The kernel removes a process's /proc files as it exits: let the
     * check see the exit, if that is why. */
    if (wait_until(c, has_ended, p, 200))
        fail(c, "the server ended while the grader was reading %s: a server serves "
             "until it is stopped.", what);
    fail(c, "grader error: cannot read %s of the server under /proc.", what);
}
