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

size_t nonblank_lines(const struct buf *b)
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

void expect_usage(struct check *c, const char *name, const char *const *args, size_t nargs,
                  const char *shown)
{
    struct program *p = start_program_args(c, name, args, nargs);
    expect_exit(c, p, 2);
    if (!contains_nocase(program_stderr(p), "usage"))
        fail(c,
             "`%s` exited with status 2 but printed no usage line on stderr "
             "(a line starting \"usage:\" that shows the arguments).",
             shown);
}

/* Missing arguments: the server without any, the client without any and
 * with HOST alone. */
static void missing_arguments(struct check *c)
{
    expect_usage(c, "server", NULL, 0, "./server");
    expect_usage(c, "client", NULL, 0, "./client");
    const char *host_only[] = { "localhost" };
    expect_usage(c, "client", host_only, 1, "./client localhost");
}

/* PORTs that are no decimal number from 1 to 65535.  "abc" first: a
 * program that does not check would fail to listen on it at once, where
 * on "0" it would listen on a port of the kernel's choosing and run on. */
static const char *const bad_ports[] = { "abc", "0", "65536", "-1", "80x", "" };

void check_bad_ports(struct check *c, const char *server_rest)
{
    for (size_t i = 0; i < COUNT_OF(bad_ports); i++) {
        char shown[96];
        const char *server[] = { bad_ports[i], server_rest };
        snprintf(shown, sizeof shown, "./server '%s'%s%s", bad_ports[i],
                 server_rest != NULL ? " " : "", server_rest != NULL ? server_rest : "");
        expect_usage(c, "server", server, server_rest != NULL ? 2 : 1, shown);
        const char *client[] = { "localhost", bad_ports[i] };
        snprintf(shown, sizeof shown, "./client localhost '%s'", bad_ports[i]);
        expect_usage(c, "client", client, 2, shown);
    }
}

void check_bad_arguments(struct check *c)
{
    missing_arguments(c);
    check_bad_ports(c, NULL);
}

void check_bad_arguments_server_port_only(struct check *c, const char *second)
{
    missing_arguments(c);
    char port[16], shown[64];
    snprintf(port, sizeof port, "%d", reserve_port(c));
    snprintf(shown, sizeof shown, "./server %s", port);
    const char *port_only[] = { port };
    expect_usage(c, "server", port_only, 1, shown);
    check_bad_ports(c, second);
}

/* A name under .invalid, which RFC 6761 reserves never to resolve: the
 * grader's /etc/hosts does not have it, and in the check's network
 * namespace, with no route out, the DNS query fails at once (3 ms). */
#define UNRESOLVABLE "no-such-host.invalid"

void check_client_unresolvable(struct check *c, int port)
{
    if (!check_has_own_network(c)) {
        /* The machine's resolver might take seconds to say no. */
        note(c, "no network of the check's own: a HOST that does not resolve is not tried");
        return;
    }
    char number[16], when[128];
    snprintf(number, sizeof number, "%d", port);
    const char *args[] = { UNRESOLVABLE, number };
    snprintf(when, sizeof when,
             "when the grader started it as `./client %s %s`, a name "
             "that does not resolve",
             UNRESOLVABLE, number);
    note(c, "%s", when);
    expect_one_error_line(c, start_program_args(c, "client", args, 2), 1, when);
}

void expect_nothing_on_stderr(struct check *c, struct program *p, const char *what)
{
    const struct buf *err = program_stderr(p);
    if (nonblank_lines(err) == 0)
        return;
    size_t skip = strspn(err->data, " \t\r\n");
    fail(c,
         "%s, but printed on stderr (\"%.*s\"); a clean ending prints nothing "
         "there: a line on stderr reads as an error to whoever runs it from a script.",
         what, (int)strcspn(err->data + skip, "\n"), err->data + skip);
}

void expect_stopped_cleanly(struct check *c, struct program *p, int sig, const char *when)
{
    /* expect_exit says what the grader sent and, if the server did not
     * stop, why as far as the kernel shows it. */
    expect_exit(c, p, 0);
    char what[160];
    snprintf(what, sizeof what, "%s stopped the server %s with status 0",
             sig == SIGTERM ? "SIGTERM" : "SIGINT", when);
    expect_nothing_on_stderr(c, p, what);
}

void check_client_refused(struct check *c)
{
    int refused = refused_port(c);
    struct program *p = start_client(c, refused, NULL);
    expect_exit(c, p, 1);
    const struct buf *err = program_stderr(p);
    if (nonblank_lines(err) != 1)
        fail(c,
             "the client should print exactly one line on stderr when it cannot "
             "connect; it printed %zu.",
             nonblank_lines(err));
    if (!contains_nocase(err, "refused"))
        fail(c, "the client's error line does not give the cause (\"Connection "
                "refused\", from strerror(errno)).");
    char port[16];
    snprintf(port, sizeof port, "%d", refused);
    if (strstr(err->data, port) == NULL)
        fail(c,
             "the client's error line does not name the endpoint: it should "
             "mention the port, %s.",
             port);
    check_client_unresolvable(c, refused);
}

void expect_one_error_line(struct check *c, struct program *p, int status, const char *when)
{
    expect_exit(c, p, status);
    size_t lines = nonblank_lines(program_stderr(p));
    if (lines != 1)
        fail(c,
             "%s, the program exited with status %d as it should, but printed %zu "
             "%s on stderr: exactly one line says what failed, against which "
             "endpoint, and why.",
             when, status, lines, plural_of((long long)lines, "line", "lines"));
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
    snprintf(when, sizeof when,
             "the grader already had %s port %d (on 127.0.0.1 and ::1), "
             "so the server could not %s there",
             udp ? "UDP" : "TCP", port, udp ? "bind" : "listen");
    note(c, "%s", when);
    struct program *p = start_program_args(c, "server", argv, n);
    expect_one_error_line(c, p, 1, when);
    const struct buf *err = program_stderr(p);
    if (strstr(err->data, number) == NULL || strstr(err->data, "in use") == NULL)
        fail(c,
             "with port %s taken, the server's error line should name the port "
             "(%s) and the cause (\"Address already in use\", from strerror(errno)).",
             number, number);
}

size_t stdout_lines(const struct program *p)
{
    const struct buf *out = program_stdout(p);
    return count_lines(out->data, out->len);
}

bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

struct log_wait {
    struct program *p;
    size_t n;
};

static bool logged(struct check *c, void *arg)
{
    (void)c;
    struct log_wait *w = arg;
    return stdout_lines(w->p) >= w->n || !program_running(w->p);
}

bool wait_for_log_lines(struct check *c, struct program *p, size_t n, int ms)
{
    struct log_wait w = { p, n };
    return wait_until(c, logged, &w, ms) && stdout_lines(p) >= n;
}

/* Time kept back from the wait for lines, to stop the server and read what
 * it flushes as it exits. */
#define EXIT_MARGIN_MS 1000

void expect_log_lines(struct check *c, struct program *p, size_t n, const char *what,
                      const char *section)
{
    int64_t ms = time_left_ms(c) - EXIT_MARGIN_MS;
    if (wait_for_log_lines(c, p, n, ms > 0 ? (int)ms : 0))
        return;
    size_t before = stdout_lines(p);
    if (!program_running(p))
        fail(c,
             "expected %s on the server's stdout (a pipe here, not a terminal); it "
             "printed %zu %s and ended.",
             what, before, plural_of((long long)before, "line", "lines"));
    signal_program(c, p, SIGTERM);
    wait_exit(c, p);
    size_t after = stdout_lines(p);
    if (after >= n && after > before)
        fail(c,
             "expected %s on the server's stdout, a pipe here, not a terminal; %zu "
             "%s came while it ran, the others only when SIGTERM stopped it: on a "
             "pipe stdio flushes stdout only when its buffer is full or at exit.  Make "
             "it line-buffered (see section \"%s\").",
             what, before, plural_of((long long)before, "line", "lines"), section);
    fail(c,
         "expected %s on the server's stdout (a pipe here, not a terminal); it "
         "printed %zu %s.",
         what, after, plural_of((long long)after, "line", "lines"));
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
        fail(c,
             "the server ended while the grader was reading %s: a server serves "
             "until it is stopped.",
             what);
    fail(c, "grader error: cannot read %s of the server under /proc.", what);
}

bool differs_by_doubled_space(const char *want, const char *got)
{
    size_t d = 0;
    while (want[d] != '\0' && want[d] == got[d])
        d++;
    if (strlen(got) != strlen(want) + 1 || got[d] != ' ')
        return false;
    bool beside_space = want[d] == ' ' || (d > 0 && want[d - 1] == ' ');
    return beside_space && strcmp(got + d + 1, want + d) == 0;
}
