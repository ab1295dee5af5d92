/*
 * 01-hello.c - the checks of lab 01, the one-shot hello.
 * The rubric is the table at the end of this file.
 */
#define LAB_ID "01-hello"

#include "check.h"
#include "checks/common.h"
#include "lab.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char greeting[] = "hello from the server";

/* The server answers a line with its greeting. */
static void server_replies(struct check *c)
{
    struct program *srv = start_server(c, NULL);
    struct peer *p = connect_to(c, srv);
    send_text(c, p, "hi from the grader\n");
    expect_line(c, p, greeting);
}

/* The server prints the line it received: without its "\r\n", and only
 * the first line of what arrives. */
static void server_prints_line(struct check *c)
{
    struct program *srv = start_server(c, NULL);
    struct peer *p = connect_to(c, srv);
    send_text(c, p, "a line to print, 4711\n");
    expect_line(c, p, greeting);
    expect_output_line(c, srv, "received: a line to print, 4711");

    /* A line ended by "\r\n", as nc -C and telnet send, then a second
     * line in the same segment: LINE is printed without its "\r", and the
     * second is ignored. */
    static const char telnet_line[] = "a line from telnet";
    srv = start_server(c, NULL);
    p = connect_to(c, srv);
    send_text(c, p, "a line from telnet\r\nand a second line, to be ignored\n");
    expect_line(c, p, greeting);
    expect_output_line(c, srv, "received: a line from telnet");
    /* Whatever it prints, it has printed once it waits or has ended. */
    wait_until_blocked(c, srv);
    const struct buf *out = program_stdout(srv);
    const char *at = memmem(out->data, out->len, telnet_line, strlen(telnet_line));
    if (at != NULL && (size_t)(at - out->data) + sizeof telnet_line - 1 < out->len &&
        at[sizeof telnet_line - 1] == '\r')
        fail(c, "sent \"a line from telnet\\r\\n\" (the end of a line as nc -C and telnet "
                "send it); the server printed the \"\\r\" with the line: drop a \"\\r\" "
                "before the \"\\n\".");
    if (memmem(out->data, out->len, "second line", 11) != NULL)
        fail(c, "sent two lines in one segment; the server printed the second one too, "
                "where only the first counts: cut what arrived at its first \"\\n\".");
}

/* A clean ending leaves stderr empty.  WHEN says what ended it. */
static void expect_quiet_stderr(struct check *c, struct program *p, const char *who,
                                const char *when)
{
    char what[160];
    snprintf(what, sizeof what, "the %s exited with status 0 %s", who, when);
    expect_nothing_on_stderr(c, p, what);
}

/* After its one client, the server exits with status 0 and a quiet stderr,
 * without waiting for the client to hang up first. */
static void server_exits(struct check *c)
{
    struct program *srv = start_server(c, NULL);
    struct peer *p = connect_to(c, srv);
    send_text(c, p, "goodbye soon\n");
    expect_line(c, p, greeting);
    expect_closed(c, p, "after its reply (the grader's end stays open)");
    expect_exit(c, srv, 0);
    expect_quiet_stderr(c, srv, "server", "after its client");
    close_peer(c, p);
}

/* Sends SIG to the server, asleep in a blocking call, and expects it to exit
 * 0 with nothing on stderr.  WHERE says where it slept. */
static void expect_stop(struct check *c, struct program *srv, int sig, const char *where)
{
    const char *name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
    wait_until_blocked(c, srv);
    signal_program(c, srv, sig);
    if (!wait_exit(c, srv))
        fail(c,
             "%s was sent to the server while it waited %s; it was still running "
             "at the check's deadline.",
             name, where);
    int status = exit_status(srv);
    if (status == -1)
        fail(c,
             "%s was sent to the server while it waited %s; the signal killed it "
             "(no handler), where the contract asks for exit status 0.",
             name, where);
    if (status != 0)
        fail(c,
             "%s was sent to the server while it waited %s; it exited with status "
             "%d, where the contract asks for 0.",
             name, where, status);
    char when[96];
    snprintf(when, sizeof when, "on %s", name);
    expect_quiet_stderr(c, srv, "server", when);
}

/* SIGTERM while the server waits for a client, SIGINT while it waits for
 * the client's line: both stop it with status 0 and nothing on stderr. */
static void server_stops(struct check *c)
{
    struct program *idle = start_server(c, NULL);
    expect_stop(c, idle, SIGTERM, "for a client (in accept)");

    struct program *busy = start_server(c, NULL);
    struct peer *p = connect_to(c, busy);
    send_text(c, p, "half a li");
    expect_stop(c, busy, SIGINT, "for the rest of a line (in recv)");
}

/* A port that is taken: the server gives one line on stderr, naming the
 * port and the cause, and exits with status 1. */
static void server_port_taken(struct check *c)
{
    check_port_taken(c, false, NULL, 0);
}

/* Expects WHO to give up after the grader reset the connection WHEN: exit
 * status 1 and one line on stderr.  Its cause is not judged: a program may
 * learn of the reset from recv (ECONNRESET) or from a later send (EPIPE). */
static void expect_reset_reported(struct check *c, struct program *p, const char *who,
                                  const char *when)
{
    if (!wait_exit(c, p))
        fail(c,
             "the grader reset the connection %s; the %s was still running at the "
             "check's deadline.",
             when, who);
    if (exit_status(p) != 1)
        fail(c,
             "the grader reset the connection %s; the %s exited with status %d (or "
             "was killed), where a network failure gives status 1.",
             when, who, exit_status(p));
    size_t lines = nonblank_lines(program_stderr(p));
    if (lines != 1)
        fail(c,
             "the grader reset the connection %s; the %s should print exactly one "
             "line on stderr, and it printed %zu.",
             when, who, lines);
}

/* A connection reset in the middle of the conversation is a network
 * failure: the server reset before the end of its line, the client before
 * the reply ends, each gives one line on stderr and status 1. */
static void peer_resets(struct check *c)
{
    struct program *srv = start_server(c, NULL);
    struct peer *p = connect_to(c, srv);
    send_text(c, p, "half a li");
    wait_until_blocked(c, srv);
    reset_peer(c, p);
    expect_reset_reported(c, srv, "server", "after half a line");

    struct listener *l = listen_for_client(c);
    struct program *cl = start_client(c, listener_port(l), "reset me", NULL);
    struct peer *q = accept_client(c, l, cl);
    send_text(c, q, "half a rep");
    wait_until_blocked(c, cl);
    reset_peer(c, q);
    expect_reset_reported(c, cl, "client", "after half a reply");
}

/* A line that arrives in pieces is still read whole. */
static void server_pieces(struct check *c)
{
    static const char line[] = "this line arrives in pieces\n";
    struct program *srv = start_server(c, NULL);
    struct peer *p = connect_to(c, srv);
    send_in_pieces(c, p, line, sizeof line - 1, 4);
    expect_line(c, p, greeting);
    expect_output_line(c, srv, "received: this line arrives in pieces");
}

/* The client sends its MESSAGE argument as a line, HOST being a name, an
 * IPv4 literal or an IPv6 literal. */
static void client_sends(struct check *c)
{
    struct listener *l = listen_for_client(c);
    struct program *cl = start_client(c, listener_port(l), "a message for the grader", NULL);
    struct peer *p = accept_client(c, l, cl);
    expect_line(c, p, "a message for the grader");

    /* HOST may also be an address literal of either family: a client that
     * asks getaddrinfo for AF_INET only cannot resolve ::1. */
    static const char *const literals[] = { "127.0.0.1", "::1" };
    for (size_t i = 0; i < COUNT_OF(literals); i++) {
        char port[16], message[64];
        l = listen_for_client(c);
        snprintf(port, sizeof port, "%d", listener_port(l));
        snprintf(message, sizeof message, "a message by way of %s", literals[i]);
        const char *args[] = { literals[i], port, message };
        cl = start_program_args(c, "client", args, 3);
        p = accept_client(c, l, cl);
        expect_line(c, p, message);
    }
}

/* Without MESSAGE, the client sends "hello from the client". */
static void client_default_message(struct check *c)
{
    struct listener *l = listen_for_client(c);
    struct program *cl = start_client(c, listener_port(l), NULL);
    struct peer *p = accept_client(c, l, cl);
    expect_line(c, p, "hello from the client");
}

/* The client prints the reply, even when it arrives in pieces, and exits 0
 * with nothing on stderr.
 * The grader then closes, as the contract's server does. */
static void client_prints_reply(struct check *c)
{
    static const char reply[] = "greetings from the grader, in pieces\n";
    struct listener *l = listen_for_client(c);
    struct program *cl = start_client(c, listener_port(l), "hi", NULL);
    struct peer *p = accept_client(c, l, cl);
    expect_line(c, p, "hi");
    send_in_pieces(c, p, reply, sizeof reply - 1, 5);
    close_peer(c, p);
    expect_output_line(c, cl, "greetings from the grader, in pieces");
    expect_exit(c, cl, 0);
    expect_quiet_stderr(c, cl, "client", "after the reply");
}

/* Both programs work when every send takes fewer bytes than asked and every
 * recv returns only a few (shortio.so, preloaded under them). */
static void short_counts(struct check *c)
{
    inject_short_counts(c);
    struct program *srv = start_server(c, NULL);
    require_short_counts(c, srv);
    struct peer *p = connect_to(c, srv);
    send_text(c, p, "a line the server reads a few bytes at a time\n");
    expect_line(c, p, greeting);
    expect_output_line(c, srv, "received: a line the server reads a few bytes at a time");

    struct listener *l = listen_for_client(c);
    struct program *cl = start_client(c, listener_port(l), "a message sent in short writes",
                                      NULL);
    struct peer *q = accept_client(c, l, cl);
    require_short_counts(c, cl);
    expect_line(c, q, "a message sent in short writes");
    send_text(c, q, "a reply the client reads a few bytes at a time\n");
    close_peer(c, q);
    expect_output_line(c, cl, "a reply the client reads a few bytes at a time");
    expect_exit(c, cl, 0);
}

/* The student's client and server talk to each other. */
/* The programs of the pair check, for its failure hook (which gets only
 * the check): a check runs in a process of its own, so these are its. */
static struct program *pair_server, *pair_client;

/*
 * When pair fails: a client that gave up, refused, while the server
 * listened over IPv4 alone, never tried 127.0.0.1, where the server
 * waited; it stopped at ::1, localhost's first address in the check's
 * root, where nothing listened.  Each shortcut passes its own checks (the
 * grader listens on both addresses, and reaches servers by 127.0.0.1): the
 * pair alone shows them, and the grader can say so for certain.
 */
static void blame_address_families(struct check *c, const char *message)
{
    (void)message;
    struct program *srv = pair_server, *cl = pair_client;
    if (srv == NULL || cl == NULL || program_running(cl) || exit_status(cl) != 1 ||
        !program_running(srv) || listens_over_ipv6(srv))
        return;
    const struct buf *err = program_stderr(cl);
    if (err->len == 0 || memmem(err->data, err->len, "refused", 7) == NULL)
        return;
    diagnose(c, "first-address-only", HINT("IPv6 and localhost"));
    explain(c, "Both programs are at fault together: the server listens over IPv4 alone "
               "(127.0.0.1), and the client gave up when ::1, the first address of "
               "localhost, refused, without trying 127.0.0.1.  Try every address getaddrinfo "
               "gives, and listen on a dual-stack IPv6 socket.");
}

static void pair(struct check *c)
{
    struct program *srv = start_server(c, NULL);
    struct program *cl = start_client(c, program_port(srv), "from the pair check", NULL);
    pair_server = srv;
    pair_client = cl;
    on_failure(c, blame_address_families);
    expect_output_line(c, cl, greeting);
    expect_output_line(c, srv, "received: from the pair check");
    expect_exit(c, cl, 0);
    expect_exit(c, srv, 0);
}

static const struct check_def checks[] = {
    { "server-replies", 2, 3000, "the server answers a line with \"hello from the server\"",
      HINT("The server, step by step"), server_replies },
    { "server-prints-line", 1, 3000,
      "the server prints \"received: LINE\", without a \"\\r\", for the first line only",
      HINT("The contract"), server_prints_line },
    { "server-exits", 1, 3000,
      "the server closes and exits with status 0 after its one client, quietly",
      HINT("The contract"), server_exits },
    { "server-stops", 1, 3000,
      "SIGTERM and SIGINT stop the server with status 0 and nothing on stderr",
      HINT("The server, step by step"), server_stops },
    { "server-port-taken", 1, 3000, "a port in use gives one error line and exit status 1",
      HINT("Pitfall: errors a person can act on"), server_port_taken },
    { "server-pieces", 2, 3000, "a line that arrives in pieces is read whole",
      HINT("Pitfall: one recv is not one line"), server_pieces },
    { "client-sends", 1, 3000,
      "the client sends its MESSAGE as a line, to localhost, 127.0.0.1 and ::1",
      HINT("The client, step by step"), client_sends },
    { "client-default-message", 1, 3000,
      "without MESSAGE the client sends \"hello from the client\"", HINT("The contract"),
      client_default_message },
    { "client-prints-reply", 2, 3000,
      "the client prints the reply line, even in pieces, and exits 0 quietly",
      HINT("Pitfall: one recv is not one line"), client_prints_reply },
    { "client-refused", 1, 3000, "a refused connection gives one error line and exit status 1",
      HINT("Pitfall: errors a person can act on"), check_client_refused },
    { "bad-arguments", 1, 3000, "missing arguments or a bad PORT give usage and status 2",
      HINT("Pitfall: errors a person can act on"), check_bad_arguments },
    { "short-counts", 1, 3000, "both programs survive short reads and short writes",
      HINT("Pitfall: one recv is not one line"), short_counts },
    { "peer-resets", 1, 3000,
      "a connection reset mid-conversation gives one error line and exit status 1",
      HINT("Pitfall: errors a person can act on"), peer_resets },
    { "pair", 2, 3000, "the client and the server work together", HINT("The conversation"),
      pair },
};

LAB_CHECKS("hello (one shot)", checks);
