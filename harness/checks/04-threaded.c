/*
 * 04-threaded.c - the checks of lab 04, the multi-client threaded server
 * and its client.  The rubric is the table at the end of this file.
 */
#define LAB_ID "04-threaded"

#include "check.h"
#include "checks/common.h"
#include "lab.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- Files and the server ----------------------------------------------- */

/* Bytes that look random and hold every value, NUL and "\n" included:
 * the same for a given SEED every run. */
static unsigned char *varied_bytes(size_t len, uint32_t seed)
{
    unsigned char *data = xmalloc(len);
    uint32_t x = seed;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[i] = (unsigned char)(x >> 7);
    }
    return data;
}

/* Path of NAME in the check's folder (static: valid until the next call). */
static const char *in_folder(struct check *c, const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", check_folder(c), name);
    return path;
}

static void write_file(struct check *c, const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) < 0)
        fail(c, "grader error: cannot write %s: %s", path, strerror(errno));
}

/* The server's DIR, "files" in the check's folder, where the server runs. */
static const char *files_dir(struct check *c)
{
    const char *dir = in_folder(c, "files");
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        fail(c, "grader error: cannot create %s: %s", dir, strerror(errno));
    return "files";
}

/* Starts the server as `server PORT files`. */
static struct program *start_threaded(struct check *c)
{
    return start_server(c, files_dir(c), NULL);
}

/* ---- Lines ---------------------------------------------------------------- */

/* The next line from the server that is not a broadcast: MSG lines of other
 * clients may come at any time, before a reply.  They are skipped, and kept
 * in MSGS (one per line) when MSGS is not NULL.  The caller frees. */
static char *read_reply(struct check *c, struct peer *p, const char *what, struct buf *msgs)
{
    for (;;) {
        char *line = read_line_from(c, p, what);
        if (!starts_with(line, "MSG "))
            return line;
        if (msgs != NULL)
            buf_printf(msgs, "%s\n", line);
        free(line);
    }
}

/* Fails unless LINE, the reply to COMMAND, is exactly WANT. */
/* When LINE is WANT but for a doubled space, says so (diagnose, explain). */
static void explain_doubled_space(struct check *c, const char *want, const char *line)
{
    if (!differs_by_doubled_space(want, line))
        return;
    diagnose(c, "double-space", HINT("The contract"));
    explain(c, "The line differs from the expected one only by a doubled space: the contract "
               "separates the words of a line by exactly one space (look for \"  \" in the "
               "format string).");
}

static void reply_is(struct check *c, const char *command, const char *line, const char *want)
{
    if (strcmp(line, want) == 0)
        return;
    char got[ESCAPED_SIZE(200)];
    escape_text(got, sizeof got, line);
    explain_doubled_space(c, want, line);
    fail(c, "sent \"%s\": expected the reply \"%s\", got %s.", command, want, got);
}

/* Sends COMMAND and expects exactly the reply WANT. */
static void command_expect(struct check *c, struct peer *p, const char *command,
                           const char *want)
{
    char line[512];
    snprintf(line, sizeof line, "%s\n", command);
    send_text(c, p, line);
    char what[600];
    snprintf(what, sizeof what, "the reply to \"%s\"", command);
    char *got = read_reply(c, p, what, NULL);
    reply_is(c, command, got, want);
    free(got);
}

/* Sends TIME and expects a reply starting "OK ": the server is serving
 * this client (the format is the `time` check's business). */
static void time_round_trip(struct check *c, struct peer *p, const char *who)
{
    send_text(c, p, "TIME\n");
    char what[200];
    snprintf(what, sizeof what, "the reply to TIME (%s)", who);
    char *got = read_reply(c, p, what, NULL);
    if (!starts_with(got, "OK ")) {
        char shown[ESCAPED_SIZE(200)];
        escape_text(shown, sizeof shown, got);
        fail(c, "sent \"TIME\" (%s): expected a reply starting \"OK \", got %s.", who, shown);
    }
    free(got);
}

/* ---- The server ------------------------------------------------------------ */

/* Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS" with an optional
 * fraction, then "Z" or "+00:00"; -1 if LINE is not that. */
static time_t parse_utc(const char *s)
{
    struct tm tm = { 0 };
    int len = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &len) != 6 ||
        len != 19)
        return -1;
    for (int i = 0; i < 19; i++)
        if ((i == 4 || i == 7)     ? s[i] != '-'
            : i == 10              ? s[i] != 'T'
            : (i == 13 || i == 16) ? s[i] != ':'
                                   : (s[i] < '0' || s[i] > '9'))
            return -1;
    s += 19;
    if (*s == '.' && s[1] >= '0' && s[1] <= '9')
        for (s++; *s >= '0' && *s <= '9'; s++)
            ;
    if (strcmp(s, "Z") != 0 && strcmp(s, "+00:00") != 0)
        return -1;
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

/* A time zone 5 h 45 min east of UTC (Nepal's), in POSIX form so that no
 * time zone database is needed: local time is then never UTC's. */
#define NOT_UTC "TZ=NPT-5:45"

/* TIME: "OK " and the UTC time in ISO 8601, close to the grader's clock,
 * from a server whose local time zone is not UTC. */
static void time_reply(struct check *c)
{
    add_program_env(c, NOT_UTC);
    struct program *srv = start_threaded(c);
    struct peer *p = connect_to(c, srv);
    send_text(c, p, "TIME\n");
    char *line = read_reply(c, p, "the reply to TIME", NULL);
    time_t now = time(NULL);
    char shown[ESCAPED_SIZE(200)];
    escape_text(shown, sizeof shown, line);
    if (!starts_with(line, "OK "))
        fail(c,
             "sent \"TIME\": expected \"OK \" and the time, such as "
             "\"OK 2026-11-20T22:41:07Z\"; got %s.",
             shown);
    time_t t = parse_utc(line + 3);
    if (t == -1)
        fail(c,
             "sent \"TIME\": the reply %s does not give the time in ISO 8601 UTC, "
             "YYYY-MM-DDTHH:MM:SSZ, such as \"OK 2026-11-20T22:41:07Z\".",
             shown);
    double off = difftime(t, now);
    note(c, "the server's time is %+.0f s from the grader's", off);
    if (off < -5 || off > 5)
        fail(c,
             "sent \"TIME\": the reply %s is %.0f s %s the grader's clock (UTC); "
             "at most 5 s are allowed.%s",
             shown, off < 0 ? -off : off, off < 0 ? "behind" : "ahead of",
             off > 5 * 3600 && off < 6 * 3600
                 ? "  The server ran with " NOT_UTC ", 5 h 45 "
                   "min east of UTC: it gave local time (localtime), not UTC (gmtime)."
                 : "");
}

/* An idle client holds its connection; 50 more connect, and send TIME in
 * the reverse order of their arrival: each is answered. */
static void concurrent_clients(struct check *c)
{
    enum { CLIENTS = 50 };
    struct program *srv = start_threaded(c);
    struct peer *idle = connect_to(c, srv);
    note(c, "the first client stays connected and sends nothing");
    struct peer *p[CLIENTS];
    for (int i = 0; i < CLIENTS; i++)
        p[i] = connect_to(c, srv);
    for (int i = CLIENTS - 1; i >= 0; i--) {
        char who[64];
        snprintf(who, sizeof who, "client %d of %d, while the first one idles", i + 2,
                 CLIENTS + 1);
        time_round_trip(c, p[i], who);
    }
    time_round_trip(c, idle, "the idle first client, at last");
}

/* A client is guestN until NICK; WHO lists every nick, in any order. */
static void expect_who(struct check *c, struct peer *p, const char *a, const char *b)
{
    send_text(c, p, "WHO\n");
    char *line = read_reply(c, p, "the reply to WHO", NULL);
    char want1[128], want2[128];
    snprintf(want1, sizeof want1, "OK %s,%s", a, b);
    snprintf(want2, sizeof want2, "OK %s,%s", b, a);
    if (strcmp(line, want1) != 0 && strcmp(line, want2) != 0) {
        char shown[ESCAPED_SIZE(200)];
        escape_text(shown, sizeof shown, line);
        fail(c,
             "sent \"WHO\" with two clients connected, %s and %s: expected \"%s\" "
             "(in any order), got %s.",
             a, b, want1, shown);
    }
    free(line);
}

static void nick_and_who(struct check *c)
{
    struct program *srv = start_threaded(c);
    struct peer *first = connect_to(c, srv);
    time_round_trip(c, first, "client 1");
    struct peer *second = connect_to(c, srv);
    time_round_trip(c, second, "client 2");
    expect_who(c, second, "guest1", "guest2");
    /* Ended by "\r\n", as nc -C and telnet send it: the nick is "alice". */
    command_expect(c, first, "NICK alice\r", "OK");
    expect_who(c, second, "alice", "guest2");
    command_expect(c, second, "NICK bob.the-2nd_", "OK");
    expect_who(c, first, "alice", "bob.the-2nd_");
    command_expect(c, first, "NICK two words", "ERR invalid nick");
    command_expect(c, first, "NICK a,b", "ERR invalid nick");
    command_expect(c, first, "NICK abcdefghijklmnopqrstuvwxyz0123456", "ERR invalid nick");
    expect_who(c, second, "alice", "bob.the-2nd_");
    /* Two clients never share a nick, in any case; one's own is fine. */
    command_expect(c, second, "NICK alice", "ERR nick taken");
    command_expect(c, second, "NICK ALICE", "ERR nick taken");
    command_expect(c, first, "NICK Alice", "OK");
    expect_who(c, second, "Alice", "bob.the-2nd_");
}

/* Sends "NICK NAME" from the only client, client 1, and expects it
 * refused: NAME is WHOSE default nick. */
static void guest_nick_refused(struct check *c, struct peer *p, const char *name,
                               const char *whose)
{
    char command[64], line[sizeof command + 1];
    snprintf(command, sizeof command, "NICK %s", name);
    snprintf(line, sizeof line, "%s\n", command);
    send_text(c, p, line);
    char *got = read_reply(c, p, "the reply to a NICK of another client's default", NULL);
    if (strcmp(got, "ERR nick taken") != 0) {
        char shown[ESCAPED_SIZE(200)];
        escape_text(shown, sizeof shown, got);
        fail(c,
             "sent \"%s\" from client 1, the only client: expected \"ERR nick "
             "taken\", got %s.  %s is %s, so two clients would share it: a nick of "
             "guest and a number is kept for the client with that number.",
             command, shown, name, whose);
    }
    free(got);
}

/*
 * Default nicks are never shared.  The only client asks for the nicks of
 * the next two to come (guest2, and GUEST3 in capitals): both refused.
 * Its own default, in any case, is fine, also after a change.  Then
 * client 2 comes, as guest2, and WHO shows two different nicks.
 */
static void guest_nicks(struct check *c)
{
    struct program *srv = start_threaded(c);
    struct peer *first = connect_to(c, srv);
    time_round_trip(c, first, "client 1");
    guest_nick_refused(c, first, "guest2", "the nick client 2 gets when it connects");
    guest_nick_refused(c, first, "GUEST3", "client 3's nick when it connects, in capitals");
    command_expect(c, first, "NICK carol", "OK");
    command_expect(c, first, "NICK Guest1", "OK");
    struct peer *second = connect_to(c, srv);
    time_round_trip(c, second, "client 2");
    expect_who(c, second, "Guest1", "guest2");
}

/* Reads lines until a MSG comes and fails unless it is exactly WANT. */
static void expect_msg(struct check *c, struct peer *p, const char *who, const char *want)
{
    char what[200];
    snprintf(what, sizeof what, "the broadcast \"%s\" (at %s)", want, who);
    char *line = read_line_from(c, p, what);
    if (strcmp(line, want) != 0) {
        char shown[ESCAPED_SIZE(200)];
        escape_text(shown, sizeof shown, line);
        explain_doubled_space(c, want, line);
        fail(c,
             "%s sent nothing since its last reply; another client said something: "
             "expected %s to receive \"%s\", got %s.",
             who, who, want, shown);
    }
    free(line);
}

/* The sender's next reply, with no broadcast of its own before it. */
static void expect_no_echo(struct check *c, struct peer *p, const char *who,
                           const char *command, const char *want)
{
    struct buf msgs = { 0 };
    char line[128];
    snprintf(line, sizeof line, "%s\n", command);
    send_text(c, p, line);
    char *got = read_reply(c, p, "the reply", &msgs);
    if (msgs.len > 0) {
        struct buf shown = { 0 };
        buf_escape(&shown, msgs.data, msgs.len, 300);
        fail(c,
             "%s said something and received its own broadcast: %s.  SAY sends the "
             "message to every client but the sender.",
             who, shown.data);
    }
    reply_is(c, command, got, want);
    free(got);
}

/* SAY: OK to the sender, MSG <nick> <text> to each other client. */
static void broadcast(struct check *c)
{
    struct program *srv = start_threaded(c);
    struct peer *alice = connect_to(c, srv);
    struct peer *bob = connect_to(c, srv);
    struct peer *carol = connect_to(c, srv);
    command_expect(c, alice, "NICK alice", "OK");
    command_expect(c, bob, "NICK bob", "OK");
    command_expect(c, carol, "NICK carol", "OK");

    expect_no_echo(c, alice, "alice", "SAY hello there", "OK");
    expect_msg(c, bob, "bob", "MSG alice hello there");
    expect_msg(c, carol, "carol", "MSG alice hello there");
    expect_no_echo(c, bob, "bob", "SAY hi alice, and   spaces  kept", "OK");
    expect_msg(c, alice, "alice", "MSG bob hi alice, and   spaces  kept");
    expect_msg(c, carol, "carol", "MSG bob hi alice, and   spaces  kept");
    expect_no_echo(c, carol, "carol", "SAY   padded on both sides  ", "OK");
    expect_msg(c, alice, "alice", "MSG carol   padded on both sides  ");
    expect_msg(c, bob, "bob", "MSG carol   padded on both sides  ");
    /* Anything still on its way to a sender arrives before these replies. */
    expect_no_echo(c, alice, "alice", "NICK alice", "OK");
    expect_no_echo(c, bob, "bob", "NICK bob", "OK");
}

/* Whether what came of DATA was right up to its first 0x00 byte exactly
 * (byte SAME, not the first), and then not that byte: the bytes were
 * handled as a C string.  Then says so (diagnose, explain) for WHO ("the
 * server's GET", "the client's data.bin").  Nothing is said when nothing
 * came right at all, which could have any cause. */
static void explain_stop_at_nul(struct check *c, const void *data, size_t len, size_t same,
                                const char *who)
{
    const unsigned char *nul = memchr(data, 0, len);
    if (same == len || nul == NULL || same == 0 ||
        same != (size_t)(nul - (const unsigned char *)data))
        return;
    diagnose(c, "echo-stops-at-nul", HINT("GET: a size, then raw bytes"));
    explain(c,
            "%s is right up to byte %zu, the first 0x00 byte of the file, and not from "
            "there on: the bytes were handled as a C string (strlen, strnlen, fputs, "
            "printf's %%s), which ends at the first 0x00.  The counts that read and recv "
            "returned are the only lengths the data has.",
            who, same);
}

/* GET: "OK <size>" and exactly the bytes of a 5 MiB file. */
static void get_file(struct check *c)
{
    size_t len = 5u << 20;
    unsigned char *data = varied_bytes(len, 2463534242u);
    files_dir(c);
    write_file(c, in_folder(c, "files/big.bin"), data, len);
    struct program *srv = start_threaded(c);
    struct peer *p = connect_to(c, srv);
    char want[64];
    snprintf(want, sizeof want, "OK %zu", len);
    command_expect(c, p, "GET big.bin", want);
    size_t same = bytes_as_expected(c, p, data, len, NULL, NULL);
    if (same < len) {
        explain_stop_at_nul(c, data, len, same, "What came after \"OK <size>\"");
        expect_bytes(c, p, data, len,
                     "the 5 MiB of the file, exactly as on disk, after "
                     "its \"OK <size>\" line");
    }
    time_round_trip(c, p, "after the file");
    free(data);
}

/* GET of a file that does not exist: ERR not found, and the server goes on. */
static void get_missing(struct check *c)
{
    files_dir(c);
    write_file(c, in_folder(c, "files/here.txt"), "here\n", 5);
    struct program *srv = start_threaded(c);
    struct peer *p = connect_to(c, srv);
    command_expect(c, p, "GET not-here.txt", "ERR not found");
    command_expect(c, p, "GET here.txt", "OK 5");
    expect_bytes(c, p, "here\n", 5, "the 5 bytes of here.txt");
    time_round_trip(c, p, "after a missing file");
}

/* Names that lead out of DIR are refused, and nothing of the file there
 * arrives. */
static void path_traversal(struct check *c)
{
    static const char secret[] = "the secret next to the server's folder\n";
    files_dir(c);
    write_file(c, in_folder(c, "secret"), secret, sizeof secret - 1);
    if (mkdir(in_folder(c, "files/sub"), 0755) < 0)
        fail(c, "grader error: mkdir files/sub: %s", strerror(errno));
    write_file(c, in_folder(c, "files/sub/inside.txt"), "inside\n", 7);
    if (symlink("../secret", in_folder(c, "files/escape")) < 0)
        fail(c, "grader error: symlink files/escape: %s", strerror(errno));
    note(c, "the server's folder is files/; files/sub/ exists; ./secret is outside, and "
            "files/escape is a symbolic link to it");
    struct program *srv = start_threaded(c);
    struct peer *p = connect_to(c, srv);
    static const char *const names[] = { "../secret", "/etc/passwd",    "sub/../../secret",
                                         "..",        "sub/inside.txt", "escape" };
    for (size_t i = 0; i < COUNT_OF(names); i++) {
        char command[128];
        snprintf(command, sizeof command, "GET %s", names[i]);
        command_expect(c, p, command, "ERR forbidden");
    }
    /* Whatever came after a reply must be the next reply, not file bytes. */
    time_round_trip(c, p, "after the refused names");
}

/* Anything that is not a command gets ERR unknown command, an over-long
 * line ERR line too long, and the server goes on. */
static void unknown_command(struct check *c)
{
    struct program *srv = start_threaded(c);
    struct peer *p = connect_to(c, srv);
    command_expect(c, p, "HELLO server", "ERR unknown command");
    command_expect(c, p, "TIMEX", "ERR unknown command");
    size_t len = 5000;
    char *longline = xmalloc(len + 2);
    memset(longline, 'L', len);
    memcpy(longline, "SAY ", 4);
    longline[len] = '\n';
    longline[len + 1] = '\0';
    send_text(c, p, longline);
    char *got = read_reply(c, p, "the reply to a line of 5000 bytes", NULL);
    reply_is(c, "SAY LLLL... (a line of 5000 bytes)", got, "ERR line too long");
    free(got);
    free(longline);
    time_round_trip(c, p, "after the refused lines");
}

/* QUIT: OK bye, then the server closes the connection. */
static void quit(struct check *c)
{
    struct program *srv = start_threaded(c);
    struct peer *p = connect_to(c, srv);
    command_expect(c, p, "QUIT", "OK bye");
    expect_closed(c, p, "after \"OK bye\"");
}

/* ---- Vanishing clients ------------------------------------------------------ */

struct usage {
    struct program *srv;
    int fds, threads, maps;
    int max_fds, max_threads; /* what counts as settled */
};

static void measure(struct usage *u)
{
    u->fds = count_open_fds(u->srv);
    u->threads = count_threads(u->srv);
    u->maps = count_mappings(u->srv);
}

static bool settled(struct check *c, void *arg)
{
    (void)c;
    struct usage *u = arg;
    measure(u);
    return u->fds <= u->max_fds && u->threads <= u->max_threads;
}

/* Client P sends half a command, or whole ones, and leaves at once with a
 * close or a reset. */
static void vanish(struct check *c, struct peer *p, int i)
{
    switch (i % 5) {
    case 0:
        send_text(c, p, "TIM"); /* half a command */
        close_peer(c, p);
        break;
    case 1:
        send_text(c, p, "TIME\nWHO\nTIME\n"); /* replies nobody reads */
        close_peer(c, p);
        break;
    case 2: {
        /* Leaves in the middle of a file: the reply has begun, the grader
         * stops reading (the file is much larger than what the sockets
         * hold), and resets: the server's next send fails. */
        send_text(c, p, "GET big.bin\n");
        free(read_reply(c, p, "the reply to GET big.bin", NULL));
        pause_reading(p);
        reset_peer(c, p);
        break;
    }
    case 3:
        send_text(c, p, "SAY I am leaving\nWH");
        reset_peer(c, p);
        break;
    default:
        reset_peer(c, p);
        break;
    }
}

/*
 * A client that has sent a command and vanished while the server was not
 * looking: the server, paused, gets the command, a FIN and a reset; when
 * it goes on and replies, its send fails with EPIPE for certain, which
 * raises SIGPIPE unless the server ignores it (or uses MSG_NOSIGNAL).
 */
static void vanish_unseen(struct check *c, struct program *srv)
{
    struct peer *p = connect_to(c, srv);
    time_round_trip(c, p, "a client about to vanish");
    signal_program(c, srv, SIGSTOP);
    send_text(c, p, "WHO\n");
    half_close(c, p);
    wait_fin_acked(c, p);
    reset_peer(c, p);
    signal_program(c, srv, SIGCONT);
}

/* Measures while PROBE is served, letting threads of clients that just
 * left finish first (a second at most). */
static void measure_settled(struct check *c, struct usage *u, const struct usage *before,
                            struct peer *probe, const char *when)
{
    time_round_trip(c, probe, when);
    u->max_fds = before->fds + 2;
    u->max_threads = before->threads + 2;
    wait_until(c, settled, u, 1000);
    note(c, "%s: %d descriptors, %d threads, %d memory mappings", when, u->fds, u->threads,
         u->maps);
    if (u->fds < 0 || u->threads < 0 || u->maps < 0)
        fail_unmeasured(c, u->srv, "its descriptors, threads or memory mappings");
}

static void vanishing_clients(struct check *c)
{
    enum { HALF = 50 };
    files_dir(c);
    unsigned char *big = varied_bytes(4u << 20, 88172645u);
    write_file(c, in_folder(c, "files/big.bin"), big, 4u << 20);
    free(big);
    struct program *srv = start_threaded(c);
    struct peer *probe = connect_to(c, srv);
    struct usage before = { .srv = srv }, middle = { .srv = srv }, after = { .srv = srv };
    time_round_trip(c, probe, "the probe");
    measure(&before);
    note(c, "while one client is served: %d descriptors, %d threads, %d memory mappings",
         before.fds, before.threads, before.maps);
    if (before.fds < 0 || before.threads < 0 || before.maps < 0)
        fail_unmeasured(c, srv, "its descriptors, threads or memory mappings");

    /* First 50 clients at once, each served, then all vanish: the C library
     * keeps some of what their threads used for reuse (malloc arenas, a few
     * stacks), up to what 50 threads at once need... */
    struct peer *p[HALF];
    for (int i = 0; i < HALF; i++) {
        p[i] = connect_to(c, srv);
        time_round_trip(c, p[i], "one of 50 clients connected at once");
    }
    for (int i = 0; i < HALF; i++)
        vanish(c, p[i], i);
    vanish_unseen(c, srv);
    measure_settled(c, &middle, &before, probe, "after 51 clients vanished");
    /* ...so 50 more, one after another, need nothing new: unless each
     * thread leaves its stack behind. */
    for (int i = 0; i < HALF; i++)
        vanish(c, connect_to(c, srv), i);
    vanish_unseen(c, srv);
    close_peer(c, probe);
    probe = connect_to(c, srv);
    measure_settled(c, &after, &before, probe, "after 102 clients vanished, a new probe");

    if (after.fds > before.fds + 2)
        fail(c,
             "the server had %d descriptors open while serving one client, and %d "
             "while serving one after 102 clients came, sent a part of a command or a "
             "whole one and vanished: it does not close each client's socket (or a "
             "file it was sending) on every way out.",
             before.fds, after.fds);
    if (after.threads > before.threads + 2)
        fail(c,
             "the server had %d threads while serving one client, and %d while "
             "serving one after 102 clients came and vanished: the threads of clients "
             "that left are still there.",
             before.threads, after.threads);
    if (after.maps > middle.maps + 30)
        fail(c,
             "the server's memory mappings: %d while serving one client, %d after 51 "
             "clients at once came and vanished, %d after 51 more, one after another: "
             "the threads of clients that left were neither joined nor detached, and "
             "each keeps its stack.",
             before.maps, middle.maps, after.maps);
}

/* Missing arguments, and bad PORTs before a DIR that exists. */
static void bad_arguments(struct check *c)
{
    check_bad_arguments_server_port_only(c, files_dir(c));
}

/* SIGTERM with two clients connected, one of them idle, and SIGINT with
 * none: exit 0, nothing on stderr, each. */
static void clean_shutdown(struct check *c)
{
    struct program *srv = start_threaded(c);
    struct peer *idle = connect_to(c, srv);
    struct peer *busy = connect_to(c, srv);
    time_round_trip(c, busy, "a second client");
    note(c, "the first client is connected and idle");
    (void)idle;
    wait_until_blocked(c, srv);
    signal_program(c, srv, SIGTERM);
    expect_stopped_cleanly(c, srv, SIGTERM, "with two clients connected, one idle");

    struct program *alone = start_threaded(c);
    wait_until_blocked(c, alone);
    signal_program(c, alone, SIGINT);
    expect_stopped_cleanly(c, alone, SIGINT, "with no client connected");
}

/* The server logs a line as each client connects and one as it leaves (it
 * closes its connection), at once though its stdout is a pipe. */
static void logs_clients(struct check *c)
{
    run_without_terminal(c);
    struct program *srv = start_threaded(c);
    for (int i = 0; i < 3; i++) {
        struct peer *p = connect_to(c, srv);
        time_round_trip(c, p, "a client that then closes its connection");
        close_peer(c, p);
    }
    expect_log_lines(c, srv, 6,
                     "a log line for each connect and each departure of 3 "
                     "clients",
                     "The server, step by step");
}

/* A port already in use, and a DIR that does not exist: one error line,
 * status 1. */
static void server_errors(struct check *c)
{
    const char *dir[] = { files_dir(c) };
    check_port_taken(c, false, dir, 1);
    char port[16];
    snprintf(port, sizeof port, "%d", reserve_port(c));
    const char *args[] = { port, "no-such-folder" };
    note(c, "the server's DIR, no-such-folder, does not exist");
    struct program *p = start_program_args(c, "server", args, 2);
    expect_one_error_line(c, p, 1, "started with a DIR that does not exist");
}

/* How long a SAY may take to be answered while another client stalls: the
 * server may wait a second for the stalled one (the contract's limit),
 * and a busy machine adds its own delays. */
#define STALL_REPLY_MS 4000

struct reply_wait {
    struct peer *p;
};

static bool reply_waiting(struct check *c, void *arg)
{
    (void)c;
    return line_waiting(((struct reply_wait *)arg)->p);
}

/* Waits for the OK to the talker's SAY number I of N (of TEXT bytes each). */
static void expect_say_answered(struct check *c, struct peer *talker, int i, int n, int text)
{
    struct reply_wait w = { talker };
    int ms = time_left_ms(c) < STALL_REPLY_MS ? (int)time_left_ms(c) : STALL_REPLY_MS;
    if (!wait_until(c, reply_waiting, &w, ms))
        fail(c,
             "three clients: one connected with a small receive buffer and never "
             "reads; \"talker\" sent SAY number %d of %d lines of %d bytes and got no "
             "reply within %d ms.  The stalled client's buffers are full by now, and "
             "a server that waits to send it a MSG (holding the list's lock) stops "
             "every other client with it.",
             i, n, text, ms);
    char *reply = read_reply(c, talker, "the reply to SAY", NULL);
    reply_is(c, "SAY <number> 000...", reply, "OK");
    free(reply);
}

/* The most Linux lets a TCP socket's send buffer grow to (the third number
 * of tcp_wmem): the server's socket to a client that reads nothing may
 * hold that much before a send blocks. */
static long send_buffer_max(void)
{
    long lo, def, max = 0;
    FILE *f = fopen("/proc/sys/net/ipv4/tcp_wmem", "r");
    if (f == NULL || fscanf(f, "%ld %ld %ld", &lo, &def, &max) != 3)
        max = 4L << 20; /* Linux's default */
    if (f != NULL)
        fclose(f);
    return max < (32L << 20) ? max : 32L << 20;
}

/*
 * A client connects with a tiny receive buffer and never reads; another
 * says long lines, one at a time, and a third listens.  The lines add up
 * to more than the stalled client's buffers can ever hold (its socket's
 * and the server's send buffer at its largest), so the server cannot hand
 * it all of them; the talker must still get every OK and the listener
 * every MSG.
 */
static void slow_reader(struct check *c)
{
    enum { TEXT = 4000 };
    int says = (int)((send_buffer_max() + (1L << 20)) / TEXT);
    note(c,
         "%d SAYs of %d bytes: more than the server's send buffer to a client may "
         "hold (tcp_wmem)",
         says, TEXT);
    struct program *srv = start_threaded(c);
    struct peer *stalled = connect_without_reading(c, srv);
    struct peer *talker = connect_to(c, srv);
    struct peer *listener = connect_to(c, srv);
    command_expect(c, talker, "NICK talker", "OK");
    command_expect(c, listener, "NICK listener", "OK");
    (void)stalled;
    /* One at a time: never more than one MSG waits for the listener, who
     * reads all the time.  (Not in batches: a server's OKs, small writes in
     * a row, would wait for the grader's delayed ACKs.) */
    char line[TEXT + 64], want[TEXT + 64];
    for (int i = 1; i <= says; i++) {
        int n = snprintf(line, sizeof line, "SAY %d %0*d\n", i, TEXT, 0);
        send_bytes(c, talker, line, (size_t)n);
        expect_say_answered(c, talker, i, says, TEXT);
        snprintf(want, sizeof want, "MSG talker %d %0*d", i, TEXT, 0);
        expect_msg(c, listener, "listener", want);
    }
    time_round_trip(c, listener, "the listener, after all the SAYs");
}

/* ---- The client --------------------------------------------------------------- */

/* A MSG that arrives while nobody types is printed. */
static void client_prints_broadcast(struct check *c)
{
    struct listener *l = listen_for_client(c);
    struct program *cl = start_client(c, listener_port(l), NULL);
    struct peer *p = accept_client(c, l, cl);
    send_text(c, p, "MSG alice hello there\n");
    expect_output_line(c, cl, "MSG alice hello there");
    send_text(c, p, "MSG bob and a second one\n");
    expect_output_line(c, cl, "MSG bob and a second one");
}

/* GET data.bin: after a broadcast, "OK <size>" and 300 KiB in pieces, the
 * first piece in the same segment as the line: the file holds exactly them. */
static void client_get(struct check *c)
{
    size_t len = 300u * 1024;
    unsigned char *data = varied_bytes(len, 1013904223u);
    struct listener *l = listen_for_client(c);
    struct program *cl = start_client(c, listener_port(l), NULL);
    struct peer *p = accept_client(c, l, cl);
    type_line(c, cl, "GET data.bin");
    expect_line(c, p, "GET data.bin");
    send_text(c, p, "MSG bob a broadcast before the reply\n");
    struct buf first = { 0 };
    buf_printf(&first, "OK %zu\n", len);
    buf_append(&first, data, 1000);
    send_bytes(c, p, first.data, first.len);
    send_in_pieces(c, p, data + 1000, len - 1000, 16 * 1024);
    buf_free(&first);
    type_eof(c, cl);
    half_close(c, p);
    note(c, "the grader closed its side: the client should finish and exit");
    bool exited = wait_exit(c, cl);

    struct buf got = { 0 }, what = { 0 };
    int fd = open_in_check_folder(c, "data.bin", &what); /* never a link's target */
    if (fd < 0)
        fail(c,
             "typed \"GET data.bin\" and sent \"OK %zu\" and %zu bytes: the client "
             "saved no file data.bin in its current folder (%s).",
             len, len, what.data);
    char chunk[65536];
    for (ssize_t n; (n = read(fd, chunk, sizeof chunk)) > 0;)
        buf_append(&got, chunk, (size_t)n);
    close(fd);
    size_t same = first_difference(data, len, got.data, got.len);
    if (same == len && got.len == len) {
        free(data);
        buf_free(&got);
        return;
    }
    struct buf msg = { 0 };
    buf_printf(&msg,
               "typed \"GET data.bin\", sent \"OK %zu\" and %zu bytes of every value "
               "(after a MSG line; the first 1000 bytes with the OK line, the rest in "
               "pieces): data.bin holds %zu %s%s.\n",
               len, len, got.len, plural_of((long long)got.len, "byte", "bytes"),
               exited ? "" : " (and the client had not exited after the grader closed)");
    describe_difference(&msg, data, len, got.data, got.len);
    explain_stop_at_nul(c, data, len, same, "data.bin");
    free(data);
    fail(c, "%s", msg.data);
}

/* Both programs work when every send and recv moves only a few bytes
 * (shortio.so, preloaded under them). */
static void short_counts(struct check *c)
{
    size_t len = 64 * 1024;
    unsigned char *data = varied_bytes(len, 362436069u);
    files_dir(c);
    write_file(c, in_folder(c, "files/short.bin"), data, len);
    inject_short_counts(c);
    struct program *srv = start_threaded(c);
    require_short_counts(c, srv);
    struct peer *p = connect_to(c, srv);
    time_round_trip(c, p, "in short reads and writes");
    command_expect(c, p, "GET short.bin", "OK 65536");
    expect_bytes(c, p, data, len, "the 64 KiB of the file, sent in short writes");

    struct listener *l = listen_for_client(c);
    struct program *cl = start_client(c, listener_port(l), NULL);
    struct peer *q = accept_client(c, l, cl);
    require_short_counts(c, cl);
    type_line(c, cl, "WHO");
    expect_line(c, q, "WHO");
    send_text(c, q, "OK alice,bob,carol\n");
    expect_output_line(c, cl, "OK alice,bob,carol");
    free(data);
}

/* The student's client and server: TIME typed, an OK line printed. */
static void pair(struct check *c)
{
    struct program *srv = start_threaded(c);
    struct program *cl = start_client(c, program_port(srv), NULL);
    type_line(c, cl, "TIME");
    expect_output_line(c, cl, "OK ");
    type_eof(c, cl);
    expect_exit(c, cl, 0);
    expect_nothing_on_stderr(c, cl,
                             "the client exited with status 0 after the end of "
                             "its input");
}

/*
 * Clients at once: each sends NICK, SAY, WHO and QUIT in one write, all
 * before any reply is read, and the grader reads until each connection
 * closes.  What they receive is the other checks' business: this has the
 * threads change and read the shared list at the same time.  (Replies
 * read one at a time would order the threads: ThreadSanitizer counts
 * every send and recv on a socket as a release and an acquire.)
 */
static void crowd_talks(struct check *c)
{
    enum { CROWD = 8 };
    struct program *srv = start_threaded(c);
    struct peer *p[CROWD];
    for (int i = 0; i < CROWD; i++)
        p[i] = connect_to(c, srv);
    note(c,
         "%d clients each send NICK, SAY, WHO and QUIT in one write, all before any "
         "reply is read",
         CROWD);
    for (int i = 0; i < CROWD; i++) {
        char lines[128];
        snprintf(lines, sizeof lines, "NICK crowd%d\nSAY hello from crowd%d\nWHO\nQUIT\n", i,
                 i);
        send_text(c, p[i], lines);
    }
    for (int i = 0; i < CROWD; i++)
        expect_closed(c, p[i], "the end of the connection after QUIT");
}

/* The lab's concurrency checks again, against the server built with
 * ThreadSanitizer: many clients connecting at once, then talking at once. */
static void no_data_race(struct check *c)
{
    start_thread_sanitizer(c);
    concurrent_clients(c);
    crowd_talks(c);
    expect_no_data_race(c);
}

static const struct check_def checks[] = {
    { "time", 1, 3000, "TIME gives the UTC time in ISO 8601, within 5 s, whatever TZ says",
      HINT("The server, step by step"), time_reply },
    { "concurrent-clients", 3, 5000,
      "50 clients are served while an idle one holds its connection",
      HINT("Pitfall: an iterative server"), concurrent_clients },
    { "nick-and-who", 1, 3000, "nicks start as guestN, NICK changes them, WHO lists them",
      HINT("The contract"), nick_and_who },
    { "guest-nicks", 1, 3000, "no NICK takes another client's guestN, so defaults stay unique",
      HINT("The contract"), guest_nicks },
    { "broadcast", 2, 3000, "SAY reaches every other client, and not the sender",
      HINT("The server, step by step"), broadcast },
    { "get-file", 2, 10000, "GET sends a 5 MiB file byte for byte",
      HINT("GET: a size, then raw bytes"), get_file },
    { "get-missing", 1, 3000, "GET of a missing file gives ERR not found",
      HINT("The contract"), get_missing },
    { "path-traversal", 2, 3000, "names that lead out of DIR are refused",
      HINT("Pitfall: path traversal"), path_traversal },
    { "unknown-command", 1, 3000, "unknown commands and over-long lines are refused",
      HINT("The contract"), unknown_command },
    { "slow-reader", 2, 10000,
      "a client that stops reading holds up no other: every SAY answered, every MSG delivered",
      HINT("Pitfall: a client that stops reading"), slow_reader },
    { "quit", 1, 3000, "QUIT gives OK bye and closes the connection", HINT("The contract"),
      quit },
    { "vanishing-clients", 2, 10000,
      "102 clients that vanish mid-command leave no descriptor or thread behind",
      HINT("Pitfall: leaking a thread or a descriptor per client"), vanishing_clients },
    { "logs-clients", 1, 3000, "each connect and departure is logged at once, stdout a pipe",
      HINT("The server, step by step"), logs_clients },
    { "server-errors", 1, 3000,
      "a port in use and a missing DIR each give one error line and exit status 1",
      HINT("The server, step by step"), server_errors },
    { "clean-shutdown", 1, 3000,
      "SIGTERM with clients, SIGINT without: status 0, nothing on stderr",
      HINT("Pitfall: stopping threads cleanly"), clean_shutdown },
    { "no-data-race", 1, 15000,
      "built with ThreadSanitizer, the server shows no data race while many clients talk at "
      "once",
      HINT("Pitfall: shared state without a lock"), no_data_race },
    { "client-prints-broadcast", 2, 3000,
      "the client prints a broadcast while nothing is typed", HINT("The client, step by step"),
      client_prints_broadcast },
    { "client-get", 2, 5000, "the client saves a GET file byte for byte",
      HINT("GET: a size, then raw bytes"), client_get },
    { "short-counts", 1, 5000, "both programs survive short reads and short writes",
      HINT("The server, step by step"), short_counts },
    { "client-refused", 1, 3000, "a refused connection gives one error line and exit status 1",
      HINT("The contract"), check_client_refused },
    { "bad-arguments", 1, 5000, "missing arguments or a bad PORT give usage and status 2",
      HINT("The contract"), bad_arguments },
    { "pair", 1, 5000, "the client and the server work together", HINT("The conversation"),
      pair },
};

LAB_CHECKS("multi-client threaded server", checks);
