/*
 * 02-echo.c - the checks of lab 02, the blocking echo server and its client.
 * The rubric is the table at the end of this file.
 */
#define LAB_ID "02-echo"

#include "check.h"
#include "checks/common.h"
#include "lab.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The echo of DATA came right up to its first 0x00 byte exactly, and
 * nothing of that byte on (anything else, or nothing, came instead): the
 * server took the bytes for a C string.  Says so (diagnose, explain); not
 * when nothing came right at all, which could have any cause.  Returns
 * whether the whole echo came right (then taken). */
static bool explain_stop_at_nul(struct check *c, struct peer *p, const void *data, size_t len)
{
    const unsigned char *got, *nul = memchr(data, 0, len);
    size_t have, same = bytes_as_expected(c, p, data, len, &got, &have);
    if (same == len)
        return true;
    if (nul == NULL || same == 0 || same != (size_t)(nul - (const unsigned char *)data))
        return false;
    diagnose(c, "echo-stops-at-nul", HINT("Pitfall: bytes are not strings"));
    explain(c,
            "The echo is right up to byte %zu, the first 0x00 byte sent, and %s: the "
            "server handled the bytes as a C string (strlen, strcpy, printf's %%s, a "
            "'\\0' put after them), which ends at the first 0x00.  The count recv returned "
            "is the only length the data has.",
            same,
            have == same ? "nothing came after it"
                         : "what followed is not the rest of the data");
    return false;
}

/* Sends DATA and expects exactly the same bytes back. */
static void echo_round_trip(struct check *c, struct peer *p, const void *data, size_t len,
                            const char *what)
{
    send_bytes(c, p, data, len);
    if (!explain_stop_at_nul(c, p, data, len))
        expect_bytes(c, p, data, len, what);
}

/* A line comes back unchanged. */
static void line_echo(struct check *c)
{
    static const char line[] = "echo this line, please\n";
    struct program *srv = start_server(c, NULL);
    struct peer *p = connect_to(c, srv);
    echo_round_trip(c, p, line, sizeof line - 1, "the echo of the line");
}

/* All 256 byte values, NUL and newline included, come back unchanged.
 * 0x00 comes last: a server that stops at it echoes all the others first,
 * which shows where it stopped. */
static void binary_safe(struct check *c)
{
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)(i + 1);
    struct program *srv = start_server(c, NULL);
    struct peer *p = connect_to(c, srv);
    echo_round_trip(c, p, all, sizeof all,
                    "the echo of the 256 byte values, 0x01 to 0xff then 0x00");
}

/* 8 MiB come back byte for byte, sent and read at once (as a real peer). */
static void large_payload(struct check *c)
{
    size_t len = 8u << 20;
    unsigned char *data = malloc(len);
    uint32_t x = 2463534242u; /* xorshift: the same bytes every run */
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[i] = (unsigned char)x;
    }
    struct program *srv = start_server(c, NULL);
    struct peer *p = connect_to(c, srv);
    echo_round_trip(c, p, data, len, "the echo of 8 MiB of varied bytes");
    free(data);
}

/* Bytes sent one at a time, each read on its own, come back. */
static void one_byte_at_a_time(struct check *c)
{
    static const char slow[] = "one byte at a time\n";
    struct program *srv = start_server(c, NULL);
    struct peer *p = connect_to(c, srv);
    send_in_pieces(c, p, slow, sizeof slow - 1, 1);
    expect_bytes(c, p, slow, sizeof slow - 1, "the echo of the bytes sent one by one");
}

/* Twenty clients, one after another, are all served. */
static void clients_in_a_row(struct check *c)
{
    struct program *srv = start_server(c, NULL);
    for (int i = 1; i <= 20; i++) {
        char line[64];
        int n = snprintf(line, sizeof line, "client %d of 20\n", i);
        struct peer *p = connect_to(c, srv);
        echo_round_trip(c, p, line, (size_t)n, "the echo of this client's line");
        close_peer(c, p);
    }
}

/*
 * A client that resets the connection while the server still has its bytes
 * to echo must not kill the server.  The server is paused (SIGSTOP) while
 * the bytes, a FIN and then a reset reach its socket, so that when it goes
 * on, its next send fails with EPIPE for certain: that raises SIGPIPE,
 * which kills the server unless it ignores the signal (or uses MSG_NOSIGNAL).
 */
static void survives_reset(struct check *c)
{
    static char burst[32 * 1024];
    memset(burst, 'r', sizeof burst);
    struct program *srv = start_server(c, NULL);
    struct peer *p = connect_to(c, srv);
    echo_round_trip(c, p, "first\n", 6, "the echo");
    signal_program(c, srv, SIGSTOP);
    send_bytes(c, p, burst, sizeof burst);
    half_close(c, p);
    wait_fin_acked(c, p);
    reset_peer(c, p);
    signal_program(c, srv, SIGCONT);

    static const char line[] = "are you still there?\n";
    struct peer *next = connect_to(c, srv);
    echo_round_trip(c, next, line, sizeof line - 1, "the echo for the next client");
}

/* 200 clients come and go; the server holds no more descriptors after. */
static void no_descriptor_leak(struct check *c)
{
    static const char line[] = "count my descriptors\n";
    struct program *srv = start_server(c, NULL);

    /* Measure while a client is being served, before and after: the same
     * state, and the round trip proves the previous closes were handled. */
    struct peer *probe = connect_to(c, srv);
    echo_round_trip(c, probe, line, sizeof line - 1, "the echo");
    int before = count_open_fds(srv);
    close_peer(c, probe);
    for (int i = 0; i < 200; i++) {
        struct peer *p = connect_to(c, srv);
        echo_round_trip(c, p, line, sizeof line - 1, "the echo");
        close_peer(c, p);
    }
    probe = connect_to(c, srv);
    echo_round_trip(c, probe, line, sizeof line - 1, "the echo");
    int after = count_open_fds(srv);
    note(c, "open descriptors of the server: %d before, %d after 200 clients", before, after);
    if (before < 0 || after < 0)
        fail_unmeasured(c, srv, "its open descriptors");
    if (after > before + 2)
        fail(c,
             "the server had %d %s open while serving a client, and %d while serving "
             "one after 200 more clients came and went: it does not close each client's "
             "socket when the client leaves.",
             before, plural_of(before, "descriptor", "descriptors"), after);
}

/* One log line per connect and per disconnect. */
static void logs_connections(struct check *c)
{
    /* A pipe, not a terminal: a log never flushed shows no line. */
    run_without_terminal(c);
    struct program *srv = start_server(c, NULL);
    for (int i = 0; i < 5; i++) {
        struct peer *p = connect_to(c, srv);
        echo_round_trip(c, p, "log me\n", 7, "the echo");
        close_peer(c, p);
    }
    expect_log_lines(c, srv, 10,
                     "a log line for each connect and each disconnect of 5 "
                     "clients",
                     "The server, step by step");
}

/* SIGTERM while blocked reading from a client and SIGINT while blocked
 * waiting for one: the server exits with status 0 and nothing on stderr. */
static void clean_shutdown(struct check *c)
{
    struct program *busy = start_server(c, NULL);
    struct peer *p = connect_to(c, busy);
    echo_round_trip(c, p, "busy\n", 5, "the echo");
    wait_until_blocked(c, busy);
    signal_program(c, busy, SIGTERM);
    expect_stopped_cleanly(c, busy, SIGTERM, "while it waited for its client's next bytes");

    struct program *idle = start_server(c, NULL);
    wait_until_blocked(c, idle);
    signal_program(c, idle, SIGINT);
    expect_stopped_cleanly(c, idle, SIGINT, "while it waited for a client");
}

/* The client, given HOST (a literal, 127.0.0.1 or ::1, or localhost where
 * the grader listens on 127.0.0.1 alone), sends a typed line and prints
 * its echo. */
static void client_at(struct check *c, const char *host, bool ipv4_only)
{
    struct listener *l = ipv4_only ? listen_for_client_on_ipv4(c) : listen_for_client(c);
    char port[16], line[64], sent[64];
    snprintf(port, sizeof port, "%d", listener_port(l));
    const char *args[] = { host, port };
    struct program *cl = start_program_args(c, "client", args, 2);
    struct peer *p = accept_client(c, l, cl);
    snprintf(line, sizeof line, "a line by way of %s", host);
    int n = snprintf(sent, sizeof sent, "%s\n", line);
    type_line(c, cl, line);
    expect_bytes(c, p, sent, (size_t)n, "the typed line");
    send_bytes(c, p, sent, (size_t)n);
    expect_output_line(c, cl, line);
}

/* The client prints each echo, even when it comes back in fragments,
 * before the next line is typed; HOST may be an IPv4 or IPv6 literal, and
 * a name whose first address refuses. */
static void client_fragments(struct check *c)
{
    static const char *const lines[] = { "first line to echo", "second, longer line to echo" };
    struct listener *l = listen_for_client(c);
    struct program *cl = start_client(c, listener_port(l), NULL);
    struct peer *p = accept_client(c, l, cl);
    for (size_t i = 0; i < 2; i++) {
        char line[64];
        int n = snprintf(line, sizeof line, "%s\n", lines[i]);
        type_line(c, cl, lines[i]);
        expect_bytes(c, p, line, (size_t)n, "the typed line");
        send_in_pieces(c, p, line, (size_t)n, 3);
        expect_output_line(c, cl, lines[i]);
    }
    client_at(c, "127.0.0.1", false);
    client_at(c, "::1", false);
    /* localhost is ::1, then 127.0.0.1: every address is tried in turn. */
    client_at(c, "localhost", true);
}

/* At the end of its input the client half-closes, prints what still
 * arrives, and exits 0, nothing on stderr, when the server closes. */
static void client_eof(struct check *c)
{
    struct listener *l = listen_for_client(c);
    struct program *cl = start_client(c, listener_port(l), NULL);
    struct peer *p = accept_client(c, l, cl);
    type_line(c, cl, "the only line");
    expect_bytes(c, p, "the only line\n", 14, "the typed line");
    send_text(c, p, "the only line\n");
    expect_output_line(c, cl, "the only line");
    type_eof(c, cl);
    expect_closed(c, p, "with a half-close (shutdown SHUT_WR) when its input ends");
    send_text(c, p, "words that arrive after the end of input\n");
    close_peer(c, p);
    expect_output_line(c, cl, "words that arrive after the end of input");
    expect_exit(c, cl, 0);
    expect_nothing_on_stderr(c, cl,
                             "the client exited with status 0 when the server "
                             "closed after the end of its input");
}

/* Bytes that are no text: a NUL, control and high bytes.  A client that
 * prints with fputs or printf("%s") stops at the NUL. */
static const char binary[] = "\0 after a NUL, \x01\x7f\x80\xfe\xff: every byte is printed\n";

/* Fails unless the client's stdout holds the LEN bytes of DATA, in a row. */
static void expect_printed_bytes(struct check *c, struct program *cl, const char *data,
                                 size_t len)
{
    const struct buf *out = program_stdout(cl);
    if (out->len >= len && memmem(out->data, out->len, data, len) != NULL)
        return;
    struct buf sent = { 0 }, got = { 0 };
    buf_escape(&sent, data, len, 200);
    buf_escape(&got, out->data, out->len, 400);
    fail(c,
         "after the echo of the last line the grader sent %zu more bytes, %s, then "
         "closed; the client's stdout (a pipe here) should hold exactly those bytes, but "
         "it holds %s.  The client prints the bytes that come back, as many as recv "
         "returned (write or fwrite), not a string: a NUL ends a string.",
         len, sent.data, got.data);
}

/* Input from a pipe, as from a script: several lines come in one read,
 * and the last has no newline.  Each is sent, echoed and printed, and the
 * end of input ends the client with status 0.  Stdout is a pipe too, and
 * holds bytes that are no text, exactly as they came back. */
static void client_piped_input(struct check *c)
{
    static const char *const lines[] = { "first piped line\n", "second\n", "third\n",
                                         "a last line without a newline" };
    run_without_terminal(c);
    struct listener *l = listen_for_client(c);
    struct program *cl = start_client(c, listener_port(l), NULL);
    struct peer *p = accept_client(c, l, cl);
    type_text(c, cl, "first piped line\nsecond\nthird\na last line without a newline");
    type_eof(c, cl);
    for (size_t i = 0; i < COUNT_OF(lines); i++) {
        expect_bytes(c, p, lines[i], strlen(lines[i]),
                     i == 0 ? "the first line of its "
                              "input, which came in one read with three more"
                            : "the next line of "
                              "its input, all of which came in one read");
        send_text(c, p, lines[i]);
    }
    /* How the client ends its side is client-eof's business: the grader
     * closes once every line is echoed, and bytes that are no text. */
    send_bytes(c, p, binary, sizeof binary - 1);
    close_peer(c, p);
    for (size_t i = 0; i < COUNT_OF(lines); i++) {
        char shown[64];
        snprintf(shown, sizeof shown, "%.*s", (int)strcspn(lines[i], "\n"), lines[i]);
        expect_output_line(c, cl, shown);
    }
    expect_exit(c, cl, 0);
    expect_printed_bytes(c, cl, binary, sizeof binary - 1);
}

/* The server closes before it echoes the line: one line on stderr, and
 * status 1. */
static void client_early_close(struct check *c)
{
    struct listener *l = listen_for_client(c);
    struct program *cl = start_client(c, listener_port(l), NULL);
    struct peer *p = accept_client(c, l, cl);
    type_line(c, cl, "a line never echoed");
    expect_bytes(c, p, "a line never echoed\n", 20, "the typed line");
    close_peer(c, p);
    expect_one_error_line(c, cl, 1,
                          "when the grader, as the server, closed the "
                          "connection without echoing the typed line");
}

static void port_taken(struct check *c)
{
    check_port_taken(c, false, NULL, 0);
}

/* Both programs work when every send takes fewer bytes than asked and every
 * recv returns only a few (shortio.so, preloaded under them). */
static void short_counts(struct check *c)
{
    unsigned char data[64 * 1024];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 7 + i / 251);
    inject_short_counts(c);
    struct program *srv = start_server(c, NULL);
    require_short_counts(c, srv);
    struct peer *p = connect_to(c, srv);
    echo_round_trip(c, p, data, sizeof data, "the echo of 64 KiB, sent back in short writes");

    struct listener *l = listen_for_client(c);
    struct program *cl = start_client(c, listener_port(l), NULL);
    struct peer *q = accept_client(c, l, cl);
    require_short_counts(c, cl);
    static const char line[] = "a line the client sends and reads back in short pieces";
    type_line(c, cl, line);
    char sent[sizeof line + 1];
    snprintf(sent, sizeof sent, "%s\n", line);
    expect_bytes(c, q, sent, sizeof line, "the typed line");
    send_text(c, q, sent);
    expect_output_line(c, cl, line);
}

/* The student's client and server together. */
static void pair(struct check *c)
{
    struct program *srv = start_server(c, NULL);
    struct program *cl = start_client(c, program_port(srv), NULL);
    type_line(c, cl, "the pair's first line");
    expect_output_line(c, cl, "the pair's first line");
    type_line(c, cl, "and its second");
    expect_output_line(c, cl, "and its second");
    type_eof(c, cl);
    expect_exit(c, cl, 0);
}

static const struct check_def checks[] = {
    { "line-echo", 1, 3000, "a line comes back unchanged", HINT("The server, step by step"),
      line_echo },
    { "binary-safe", 2, 3000, "all 256 byte values come back unchanged",
      HINT("Pitfall: bytes are not strings"), binary_safe },
    { "large-payload", 2, 10000, "8 MiB come back byte for byte",
      HINT("Pitfall: short reads and short writes"), large_payload },
    { "one-byte-at-a-time", 1, 3000, "bytes sent one at a time come back",
      HINT("Pitfall: short reads and short writes"), one_byte_at_a_time },
    { "clients-in-a-row", 1, 3000, "20 clients in a row are all served",
      HINT("The server, step by step"), clients_in_a_row },
    { "survives-reset", 2, 3000, "a client that resets mid-stream does not kill the server",
      HINT("Pitfall: SIGPIPE"), survives_reset },
    { "no-descriptor-leak", 2, 10000, "no descriptor is leaked over 200 clients",
      HINT("Pitfall: closing what you open"), no_descriptor_leak },
    { "logs-connections", 1, 3000, "the server logs each connect and disconnect at once",
      HINT("The server, step by step"), logs_connections },
    { "port-taken", 1, 3000, "a port already in use gives one error line and exit status 1",
      HINT("The server, step by step"), port_taken },
    { "clean-shutdown", 1, 3000,
      "SIGTERM and SIGINT stop the server with status 0, stderr empty",
      HINT("Pitfall: stopping cleanly"), clean_shutdown },
    { "client-fragments", 2, 3000, "the client prints each echo, even in fragments",
      HINT("The client, step by step"), client_fragments },
    { "client-eof", 2, 3000,
      "at end of input the client half-closes, prints the rest, exits 0",
      HINT("Half-close: the end of input is not the end of the echo"), client_eof },
    { "client-piped-input", 1, 3000, "lines piped in, many in one read, are all echoed",
      HINT("The client, step by step"), client_piped_input },
    { "client-early-close", 1, 3000,
      "a server that closes before the echo gives one error line and exit status 1",
      HINT("The client, step by step"), client_early_close },
    { "client-refused", 1, 3000, "a refused connection gives one error line and exit status 1",
      HINT("The contract"), check_client_refused },
    { "bad-arguments", 1, 3000, "missing arguments or a bad PORT give usage and status 2",
      HINT("The contract"), check_bad_arguments },
    { "short-counts", 1, 3000, "both programs survive short reads and short writes",
      HINT("Pitfall: short reads and short writes"), short_counts },
    { "pair", 1, 3000, "the client and the server work together", HINT("The conversation"),
      pair },
};

LAB_CHECKS("blocking echo", checks);
