/*
 * 01-hello.c - the checks of lab 01, the one-shot hello.
 * The rubric is the table at the end of this file.
 */
#include "check.h"
#include "lab.h"
#include "labs/common.h"

#include <stdio.h>

#define HINT(section) "handouts/01-hello.md, section \"" section "\""

static const char greeting[] = "hello from the server";

/* The server answers a line with its greeting. */
static void server_replies(struct check *c)
{
    struct program *srv = start_server(c, NULL);
    struct peer *p = connect_to(c, srv);
    send_text(c, p, "hi from the grader\n");
    expect_line(c, p, greeting);
}

/* The server prints the line it received. */
static void server_prints_line(struct check *c)
{
    struct program *srv = start_server(c, NULL);
    struct peer *p = connect_to(c, srv);
    send_text(c, p, "a line to print, 4711\n");
    expect_line(c, p, greeting);
    expect_output_line(c, srv, "received: a line to print, 4711");
}

/* After its one client, the server exits with status 0. */
static void server_exits(struct check *c)
{
    struct program *srv = start_server(c, NULL);
    struct peer *p = connect_to(c, srv);
    send_text(c, p, "goodbye soon\n");
    expect_line(c, p, greeting);
    close_peer(c, p);
    expect_exit(c, srv, 0);
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

/* The client sends its MESSAGE argument as a line. */
static void client_sends(struct check *c)
{
    struct listener *l = listen_for_client(c);
    struct program *cl = start_client(c, listener_port(l), "a message for the grader", NULL);
    struct peer *p = accept_client(c, l, cl);
    expect_line(c, p, "a message for the grader");
}

/* Without MESSAGE, the client sends "hello from the client". */
static void client_default_message(struct check *c)
{
    struct listener *l = listen_for_client(c);
    struct program *cl = start_client(c, listener_port(l), NULL);
    struct peer *p = accept_client(c, l, cl);
    expect_line(c, p, "hello from the client");
}

/* The client prints the reply, even when it arrives in pieces, and exits 0.
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
    struct program *cl = start_client(c, listener_port(l), "a message sent in short writes", NULL);
    struct peer *q = accept_client(c, l, cl);
    require_short_counts(c, cl);
    expect_line(c, q, "a message sent in short writes");
    send_text(c, q, "a reply the client reads a few bytes at a time\n");
    close_peer(c, q);
    expect_output_line(c, cl, "a reply the client reads a few bytes at a time");
    expect_exit(c, cl, 0);
}

/* The student's client and server talk to each other. */
static void pair(struct check *c)
{
    struct program *srv = start_server(c, NULL);
    struct program *cl = start_client(c, program_port(srv), "from the pair check", NULL);
    expect_output_line(c, cl, greeting);
    expect_output_line(c, srv, "received: from the pair check");
    expect_exit(c, cl, 0);
    expect_exit(c, srv, 0);
}

static const struct check_def checks[] = {
    { "server-replies", 2, 3000,
      "the server answers a line with \"hello from the server\"",
      HINT("The server, step by step"), server_replies },
    { "server-prints-line", 1, 3000,
      "the server prints \"received: LINE\"",
      HINT("The contract"), server_prints_line },
    { "server-exits", 1, 3000,
      "the server exits with status 0 after its one client",
      HINT("The contract"), server_exits },
    { "server-pieces", 2, 3000,
      "a line that arrives in pieces is read whole",
      HINT("Pitfall: one recv is not one line"), server_pieces },
    { "client-sends", 1, 3000,
      "the client sends its MESSAGE as a line",
      HINT("The client, step by step"), client_sends },
    { "client-default-message", 1, 3000,
      "without MESSAGE the client sends \"hello from the client\"",
      HINT("The contract"), client_default_message },
    { "client-prints-reply", 2, 3000,
      "the client prints the reply line, even in pieces, and exits 0",
      HINT("Pitfall: one recv is not one line"), client_prints_reply },
    { "client-refused", 1, 3000,
      "a refused connection gives one error line and exit status 1",
      HINT("Pitfall: errors a person can act on"), check_client_refused },
    { "bad-arguments", 1, 3000,
      "missing arguments give a usage line and exit status 2",
      HINT("Pitfall: errors a person can act on"), check_bad_arguments },
    { "short-counts", 1, 3000,
      "both programs survive short reads and short writes",
      HINT("Pitfall: one recv is not one line"), short_counts },
    { "pair", 2, 3000,
      "the client and the server work together",
      HINT("The conversation"), pair },
};

struct lab_def lab_01_hello = { .id = "01-hello", .title = "hello (one shot)", .checks = checks,
                                .nchecks = COUNT_OF(checks) };
