/*
 * 03-chat.c - the checks of lab 03, the two-way chat.  Server and client
 * chat alike once connected, so most checks run against both: the grader
 * is the client of the student's server, then the server of the student's
 * client.  The rubric is the table at the end of this file.
 */
#define LAB_ID "03-chat"

#include "check.h"
#include "checks/common.h"
#include "lab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* One of the two programs, connected to the grader. */
struct chat {
    struct program *prog;
    struct peer *peer;
};

enum role { SERVER, CLIENT };
static const enum role both[] = { SERVER, CLIENT };

static struct chat open_chat(struct check *c, enum role role)
{
    struct chat chat;
    if (role == SERVER) {
        chat.prog = start_server(c, NULL);
        chat.peer = connect_to(c, chat.prog);
    } else {
        struct listener *l = listen_for_client(c);
        chat.prog = start_client(c, listener_port(l), NULL);
        chat.peer = accept_client(c, l, chat.prog);
    }
    return chat;
}

/* Expects the program to print LINE as received from its peer. */
static void expect_printed(struct check *c, struct program *p, const char *line)
{
    char *shown = malloc(strlen(line) + 8);
    sprintf(shown, "peer: %s", line);
    expect_output_line(c, p, shown);
    free(shown);
}

static const char *const role_name[] = { [SERVER] = "server", [CLIENT] = "client" };

/* The grader's end of a chat, and how often a condition looked at it. */
struct watch {
    struct chat *chat;
    int looks;
};

static bool line_or_exit(struct check *c, void *arg)
{
    (void)c;
    struct watch *w = arg;
    return line_waiting(w->chat->peer) || !program_running(w->chat->prog);
}

/* True once a line came, or after two rounds of I/O have moved whatever
 * the program sent before it exited (on loopback, its bytes are in the
 * grader's socket by then). */
static bool line_or_settled(struct check *c, void *arg)
{
    (void)c;
    struct watch *w = arg;
    return line_waiting(w->chat->peer) || ++w->looks > 3;
}

/*
 * Expects the program to close the connection, having sent nothing more.
 * expect_closed drops what comes before the close, so first wait for a
 * line or the program's exit, and once it exited, look for a line again.
 */
static void expect_closed_silently(struct check *c, struct chat *chat, const char *what)
{
    struct watch w = { .chat = chat };
    wait_until(c, line_or_exit, &w, (int)time_left_ms(c));
    if (!program_running(chat->prog))
        wait_until(c, line_or_settled, &w, (int)time_left_ms(c));
    if (line_waiting(chat->peer)) {
        char *line = read_line_from(c, chat->peer, "the line sent before the close");
        fail(c,
             "the program sent the line \"%s\" %s, before it closed the connection; "
             "the contract says it sends nothing then.",
             line, what);
    }
    expect_closed(c, chat->peer, what);
}

/* A line typed on either program reaches its peer; the client's HOST may
 * be an IPv4 or IPv6 literal as well as a name. */
static void typed_line_sent(struct check *c)
{
    for (size_t i = 0; i < 2; i++) {
        struct chat chat = open_chat(c, both[i]);
        type_line(c, chat.prog, "hello from the keyboard");
        expect_line(c, chat.peer, "hello from the keyboard");
    }
    static const char *const literals[] = { "127.0.0.1", "::1" };
    for (size_t i = 0; i < COUNT_OF(literals); i++) {
        char port[16], line[64];
        struct listener *l = listen_for_client(c);
        snprintf(port, sizeof port, "%d", listener_port(l));
        const char *args[] = { literals[i], port };
        struct program *cl = start_program_args(c, "client", args, 2);
        struct peer *p = accept_client(c, l, cl);
        snprintf(line, sizeof line, "typed to a client of %s", literals[i]);
        type_line(c, cl, line);
        expect_line(c, p, line);
    }
}

/* A line from the peer is printed as "peer: LINE". */
static void received_line_printed(struct check *c)
{
    for (size_t i = 0; i < 2; i++) {
        struct chat chat = open_chat(c, both[i]);
        send_text(c, chat.peer, "hello from the network\n");
        expect_printed(c, chat.prog, "hello from the network");
    }
}

/*
 * Lines from the peer are printed while nothing is typed: first three sent
 * one by one, each awaited on stdout (a lock-step chat waits for the
 * keyboard after the first), then three in a single write (a program that
 * reads the socket through stdio finds them all in its buffer after the
 * first, where poll cannot see them).
 */
static void three_received(struct check *c)
{
    static const char *const lines[] = { "one", "two", "three" };
    for (size_t i = 0; i < 2; i++) {
        struct chat chat = open_chat(c, both[i]);
        for (size_t k = 0; k < 3; k++) {
            char line[32];
            snprintf(line, sizeof line, "%s, one at a time\n", lines[k]);
            send_text(c, chat.peer, line);
            line[strlen(line) - 1] = '\0';
            expect_printed(c, chat.prog, line);
        }
        send_text(c, chat.peer, "four, together\nfive, together\nsix, together\n");
        expect_printed(c, chat.prog, "four, together");
        expect_printed(c, chat.prog, "five, together");
        expect_printed(c, chat.prog, "six, together");
    }
}

/* Three lines typed in a row all reach the peer, which answers nothing. */
static void three_typed(struct check *c)
{
    static const char *const lines[] = { "first typed", "second typed", "third typed" };
    for (size_t i = 0; i < 2; i++) {
        struct chat chat = open_chat(c, both[i]);
        for (size_t k = 0; k < 3; k++)
            type_line(c, chat.prog, lines[k]);
        for (size_t k = 0; k < 3; k++)
            expect_line(c, chat.peer, lines[k]);
    }
}

/* Typing bye sends it, closes the connection and exits 0. */
static void bye_typed(struct check *c)
{
    for (size_t i = 0; i < 2; i++) {
        struct chat chat = open_chat(c, both[i]);
        type_line(c, chat.prog, "bye");
        expect_line(c, chat.peer, "bye");
        expect_closed(c, chat.peer, "after sending bye");
        expect_exit(c, chat.prog, 0);
    }
}

/* A bye from the peer ends the chat with exit 0. */
static void bye_received(struct check *c)
{
    for (size_t i = 0; i < 2; i++) {
        struct chat chat = open_chat(c, both[i]);
        send_text(c, chat.peer, "bye\n");
        expect_printed(c, chat.prog, "bye");
        expect_closed(c, chat.peer, "after receiving bye");
        expect_exit(c, chat.prog, 0);
    }
}

/* End of input (Ctrl-D) closes the connection and exits 0. */
static void eof_ends_chat(struct check *c)
{
    for (size_t i = 0; i < 2; i++) {
        struct chat chat = open_chat(c, both[i]);
        type_eof(c, chat.prog);
        expect_closed_silently(c, &chat, "when its input ends");
        expect_exit(c, chat.prog, 0);
    }
}

/*
 * Stdin from a pipe, as from a script: four lines come in one write, and
 * the pipe stays open, so each must be sent without waiting for more
 * input (fgets next to poll leaves the last three in stdio's buffer, where
 * poll cannot see them).  stdout is a pipe as well: a received line must
 * show at once all the same.  A typed line of 64 KiB is sent whole.  Then
 * a last line without a newline and the end of input: it is sent with
 * one, and the program closes without a bye.
 */
static void piped_input(struct check *c)
{
    static const char *const lines[] = { "first piped line", "second", "third", "fourth" };
    static char long_piped_line[64 * 1024 + 2];
    for (size_t i = 0; i < sizeof long_piped_line - 2; i++)
        long_piped_line[i] = (char)('A' + (i * 11 + i / 26) % 26);
    long_piped_line[sizeof long_piped_line - 2] = '\n';
    run_without_terminal(c);
    for (size_t i = 0; i < 2; i++) {
        struct chat chat = open_chat(c, both[i]);
        type_text(c, chat.prog, "first piped line\nsecond\nthird\nfourth\n");
        for (size_t k = 0; k < COUNT_OF(lines); k++) {
            char line[32];
            int n = snprintf(line, sizeof line, "%s\n", lines[k]);
            expect_bytes(c, chat.peer, line, (size_t)n,
                         k == 0 ? "the first of four lines written into its stdin pipe at once"
                                : "the next of the four lines written into its stdin pipe at "
                                  "once; the pipe stays open, so no more input comes to wake "
                                  "poll up");
        }
        /* stdout is a pipe too, fully buffered by stdio until a flush. */
        send_text(c, chat.peer, "a line for a piped stdout\n");
        expect_printed(c, chat.prog, "a line for a piped stdout");
        /* A terminal takes at most 4096 bytes a line; a pipe, any. */
        type_text(c, chat.prog, long_piped_line);
        expect_bytes(c, chat.peer, long_piped_line, strlen(long_piped_line),
                     "a line of 64 KiB written into its stdin pipe");
        type_text(c, chat.prog, "a last line without a newline");
        type_eof(c, chat.prog);
        expect_bytes(c, chat.peer, "a last line without a newline\n", 30 /* bytes */,
                     "the last line of its input, which has no newline, sent with one "
                     "at the end of input");
        expect_closed_silently(c, &chat, "when its input ended");
        expect_exit(c, chat.prog, 0);
    }
}

/* A peer that vanishes without a bye (a close, then a reset) is reported
 * as "peer left", and the program exits 0. */
static void peer_left(struct check *c)
{
    for (size_t i = 0; i < 2; i++) {
        struct chat chat = open_chat(c, both[i]);
        send_text(c, chat.peer, "about to vanish\n");
        expect_printed(c, chat.prog, "about to vanish");
        if (both[i] == SERVER)
            close_peer(c, chat.peer);
        else
            reset_peer(c, chat.peer);
        expect_output_line(c, chat.prog, "peer left");
        expect_exit(c, chat.prog, 0);
    }
}

/*
 * Only the line "bye" itself ends a chat: "Bye", "bye now" and "bye" with
 * spaces around it are ordinary lines, printed (received) or sent (typed),
 * and the chat goes on.  "bye\r\n" is the line "bye" (the "\r" is dropped):
 * it ends the chat.
 */
static void bye_exact(struct check *c)
{
    static const char *const not_bye[] = { "Bye", "bye now", " bye", "bye ", "BYE" };
    for (size_t i = 0; i < 2; i++) {
        struct chat chat = open_chat(c, both[i]);
        send_text(c, chat.peer, "Bye\nbye now\n bye\nbye \nBYE\n");
        for (size_t k = 0; k < COUNT_OF(not_bye); k++)
            expect_printed(c, chat.prog, not_bye[k]);
        type_line(c, chat.prog, "Bye");
        expect_line(c, chat.peer, "Bye");
        type_line(c, chat.prog, "bye now");
        expect_line(c, chat.peer, "bye now");
        type_line(c, chat.prog, "still chatting");
        expect_line(c, chat.peer, "still chatting");
        send_text(c, chat.peer, "bye\r\n");
        expect_closed(c, chat.peer, "after receiving bye (as \"bye\\r\\n\")");
        expect_exit(c, chat.prog, 0);
    }
}

/* Spaces at either end of a line are part of it: sent and printed as
 * they are. */
static void spaces_kept(struct check *c)
{
    for (size_t i = 0; i < 2; i++) {
        struct chat chat = open_chat(c, both[i]);
        type_line(c, chat.prog, "  two spaces on each side  ");
        expect_line(c, chat.peer, "  two spaces on each side  ");
        send_text(c, chat.peer, "   three spaces on each side   \n");
        expect_printed(c, chat.prog, "   three spaces on each side   ");
    }
}

/* Expects P to exit 0 with nothing on stderr, SIG having been sent to it
 * while it waited WHERE. */
static void expect_stopped(struct check *c, struct program *p, const char *who, int sig,
                           const char *where)
{
    const char *name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
    if (!wait_exit(c, p))
        fail(c,
             "%s was sent to the %s while it waited %s; it was still running at "
             "the check's deadline.",
             name, who, where);
    if (exit_status(p) == -1)
        fail(c,
             "%s was sent to the %s while it waited %s; the signal killed it (no "
             "handler), where the contract asks for exit status 0.",
             name, who, where);
    if (exit_status(p) != 0)
        fail(c,
             "%s was sent to the %s while it waited %s; it exited with status %d, "
             "where the contract asks for 0.",
             name, who, where, exit_status(p));
    char what[160];
    snprintf(what, sizeof what, "%s stopped the %s with status 0", name, who);
    expect_nothing_on_stderr(c, p, what);
}

/*
 * SIGTERM and SIGINT stop either program with status 0 and nothing on
 * stderr: the server while it waits for its peer (SIGTERM), each while
 * it chats (SIGTERM to the server, SIGINT to the client), closing the
 * connection.
 */
static void clean_shutdown(struct check *c)
{
    struct program *idle = start_server(c, NULL);
    wait_until_blocked(c, idle);
    signal_program(c, idle, SIGTERM);
    expect_stopped(c, idle, "server", SIGTERM, "for its peer (in accept)");

    for (size_t i = 0; i < 2; i++) {
        int sig = both[i] == SERVER ? SIGTERM : SIGINT;
        struct chat chat = open_chat(c, both[i]);
        send_text(c, chat.peer, "stop soon\n");
        expect_printed(c, chat.prog, "stop soon");
        wait_until_blocked(c, chat.prog);
        signal_program(c, chat.prog, sig);
        expect_closed(c, chat.peer, sig == SIGTERM ? "on SIGTERM" : "on SIGINT");
        expect_stopped(c, chat.prog, role_name[both[i]], sig, "in the chat (in poll)");
    }
}

/* A port that is taken: the server gives one line on stderr, naming the
 * port and the cause, and exits with status 1. */
static void port_taken(struct check *c)
{
    check_port_taken(c, false, NULL, 0);
}

/* Tries a TCP connection to 127.0.0.1 on PORT: returns 0 if it was
 * established (then closes it), else the errno of connect. */
static int try_connect(struct check *c, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1)
        fail(c, "the grader could not make a socket: %s", strerror(errno));
    struct sockaddr_in sin = { .sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    /* On loopback, connect answers at once: a listening socket completes
     * the handshake in the kernel, a closed port refuses it. */
    int rc = connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0 ? 0 : errno;
    close(fd);
    return rc;
}

/* Once the server chats with its peer, a second client is refused (the
 * server no longer listens), and the first chat goes on. */
static void second_client_refused(struct check *c)
{
    struct chat chat = open_chat(c, SERVER);
    send_text(c, chat.peer, "I am your peer\n");
    expect_printed(c, chat.prog, "I am your peer");
    int port = program_port(chat.prog);
    note(c, "a second client connects to 127.0.0.1 port %d", port);
    int rc = try_connect(c, port);
    if (rc == 0)
        fail(c,
             "while the server chatted with its peer, a second client could connect "
             "to port %d: the server still listens, so the client waits unanswered "
             "instead of being refused.",
             port);
    if (rc != ECONNREFUSED)
        fail(c,
             "a second client's connect to port %d failed with \"%s\", where a "
             "server that no longer listens refuses it.",
             port, strerror(rc));
    type_line(c, chat.prog, "still with my first peer");
    expect_line(c, chat.peer, "still with my first peer");
}

/* A 64 KiB line from the peer is printed whole. */
static void long_line(struct check *c)
{
    size_t len = 64 * 1024;
    char *line = malloc(len + 2);
    for (size_t i = 0; i < len; i++)
        line[i] = (char)('a' + (i * 7 + i / 26) % 26);
    memcpy(line + len - 8, "THE-END.", 8);
    line[len] = '\n';
    line[len + 1] = '\0';
    for (size_t i = 0; i < 2; i++) {
        struct chat chat = open_chat(c, both[i]);
        send_bytes(c, chat.peer, line, len + 1);
        line[len] = '\0';
        expect_printed(c, chat.prog, line);
        line[len] = '\n';
    }
    free(line);
}

/* Both programs chat with every send and recv cut short (shortio.so). */
static void short_counts(struct check *c)
{
    inject_short_counts(c);
    for (size_t i = 0; i < 2; i++) {
        struct chat chat = open_chat(c, both[i]);
        require_short_counts(c, chat.prog);
        type_line(c, chat.prog, "typed, and sent in short writes");
        expect_line(c, chat.peer, "typed, and sent in short writes");
        send_text(c, chat.peer, "received in short reads\n");
        expect_printed(c, chat.prog, "received in short reads");
    }
}

/*
 * The student's server and client chat; the server says three things in a
 * row.  With BURST it types them at once, so that they travel together
 * (the relay merges them into one write); without, it types each once the
 * last is printed, so that what is checked does not depend on timing.
 */
static void converse(struct check *c, struct program *srv, struct program *cl, bool burst)
{
    static const char *const said[] = { "hi from the server", "how are you?", "still there?" };
    type_line(c, cl, "hi from the client");
    expect_printed(c, srv, "hi from the client");
    for (size_t i = 0; i < 3; i++) {
        type_line(c, srv, said[i]);
        if (!burst)
            expect_printed(c, cl, said[i]);
    }
    for (size_t i = 0; burst && i < 3; i++)
        expect_printed(c, cl, said[i]);
    type_line(c, cl, "fine, bye soon");
    expect_printed(c, srv, "fine, bye soon");
    type_line(c, cl, "bye");
    expect_exit(c, cl, 0);
    expect_exit(c, srv, 0);
}

static void pair(struct check *c)
{
    struct program *srv = start_server(c, NULL);
    converse(c, srv, start_client(c, program_port(srv), NULL), false);
}

/* The same through a relay that splits the client's bytes into 3-byte
 * pieces, each read on its own, and merges the server's lines into single
 * writes. */
static void pair_through_relay(struct check *c)
{
    struct program *srv = start_server(c, NULL);
    struct relay *r = start_relay(c, srv, (struct relay_mode){ .piece = 3 },
                                  (struct relay_mode){ .coalesce_ms = 30 });
    converse(c, srv, start_client(c, relay_port(r), NULL), true);
}

static const struct check_def checks[] = {
    { "typed-line-sent", 1, 3000, "a line typed on either program reaches its peer",
      HINT("The chat loop, step by step"), typed_line_sent },
    { "received-line-printed", 1, 3000, "a received line is printed as peer: LINE",
      HINT("The contract"), received_line_printed },
    { "three-received", 2, 3000,
      "three lines in a row from the peer are printed with nothing typed",
      HINT("Pitfall: lock-step"), three_received },
    { "three-typed", 2, 3000,
      "three lines typed in a row all reach the peer with nothing received",
      HINT("Pitfall: lock-step"), three_typed },
    { "bye-typed", 1, 3000, "typing bye sends it, closes the connection and exits 0",
      HINT("Pitfall: the end of a conversation"), bye_typed },
    { "bye-received", 1, 3000, "receiving bye prints peer: bye and ends the chat with exit 0",
      HINT("Pitfall: the end of a conversation"), bye_received },
    { "eof-ends-chat", 1, 3000,
      "end of input closes the connection, sending nothing, and exits 0",
      HINT("Pitfall: the end of a conversation"), eof_ends_chat },
    { "bye-exact", 1, 3000, "only the line bye ends a chat; Bye, bye now, \" bye\" do not",
      HINT("Pitfall: the end of a conversation"), bye_exact },
    { "spaces-kept", 1, 3000, "spaces around a line are sent and printed as they are",
      HINT("The contract"), spaces_kept },
    { "clean-shutdown", 1, 3000,
      "SIGTERM and SIGINT stop either program with status 0 and nothing on stderr",
      HINT("Pitfall: the end of a conversation"), clean_shutdown },
    { "port-taken", 1, 3000, "a port in use gives one error line and exit status 1",
      HINT("The contract"), port_taken },
    { "second-client-refused", 1, 3000,
      "a second client is refused while the server has its peer", HINT("The contract"),
      second_client_refused },
    { "piped-input", 1, 3000,
      "lines piped in, many in one read and 64 KiB long, are each sent at once; piped "
      "stdout shows received lines at once",
      HINT("Pitfall: stdio buffers and poll"), piped_input },
    { "peer-left", 1, 3000, "a peer that vanishes is reported as peer left, exit 0",
      HINT("Pitfall: the end of a conversation"), peer_left },
    { "long-line", 1, 3000, "a 64 KiB line from the peer is printed intact",
      HINT("Pitfall: lines longer than a buffer"), long_line },
    { "short-counts", 1, 3000, "both programs survive short reads and short writes",
      HINT("The chat loop, step by step"), short_counts },
    { "client-refused", 1, 3000, "a refused connection gives one error line and exit status 1",
      HINT("The contract"), check_client_refused },
    { "bad-arguments", 1, 3000, "missing arguments or a bad PORT give usage and status 2",
      HINT("The contract"), check_bad_arguments },
    { "pair", 2, 3000, "the server and the client hold a conversation",
      HINT("The conversation"), pair },
    { "pair-through-relay", 2, 3000,
      "the same through a relay that splits and merges the bytes",
      HINT("Pitfall: stdio buffers and poll"), pair_through_relay },
};

LAB_CHECKS("two-way chat", checks);
