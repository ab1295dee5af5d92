/*
 * 06-login.c - the checks of lab 06, login with a database: the server
 * (SQLite, hashed passwords, a thread per client) and its menu client.
 * The rubric is the table at the end of this file.
 */
#include "check.h"
#include "lab.h"
#include "labs/common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HINT(section) "handouts/06-login.md, section \"" section "\""

#define DBFILE "users.db"   /* the server's DBFILE, in the check's folder */

/* ---- The server and its replies ------------------------------------------- */

/* Starts the server as `server PORT users.db`, in the check's folder. */
static struct program *start_login_server(struct check *c)
{
    return start_server(c, DBFILE, NULL);
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* COMMAND, escaped for a message (static: valid until the next call). */
static const char *shown(const char *text)
{
    static struct buf b;
    buf_reset(&b);
    buf_escape(&b, text, strlen(text), 160);
    return b.data;
}

/* Sends COMMAND and a newline; returns the reply line (caller frees). */
static char *ask(struct check *c, struct peer *p, const char *command)
{
    struct buf line = {0};
    buf_printf(&line, "%s\n", command);
    send_bytes(c, p, line.data, line.len);
    buf_free(&line);
    struct buf what = {0};
    buf_printf(&what, "the reply to %s", shown(command));
    char *reply = read_line_from(c, p, what.data);
    buf_free(&what);
    return reply;
}

/* Sends COMMAND and expects exactly the reply WANT; WHY, if not NULL,
 * says what it means when it differs. */
static void expect_reply(struct check *c, struct peer *p, const char *command,
                         const char *want, const char *why)
{
    char *got = ask(c, p, command);
    if (strcmp(got, want) != 0) {
        struct buf cmd = {0};
        buf_puts(&cmd, shown(command));
        fail(c, "sent %s: expected the reply \"%s\", got %s.%s%s", cmd.data, want, shown(got),
             why ? "  " : "", why ? why : "");
    }
    free(got);
}

/* Sends COMMAND and expects a reply that starts with "ERR ". */
static void expect_refusal(struct check *c, struct peer *p, const char *command,
                           const char *why)
{
    char *got = ask(c, p, command);
    if (!starts_with(got, "ERR ")) {
        struct buf cmd = {0};
        buf_puts(&cmd, shown(command));
        fail(c, "sent %s: expected a refusal, a reply starting \"ERR \", got %s.  %s",
             cmd.data, shown(got), why);
    }
    free(got);
}

static void register_user(struct check *c, struct peer *p, const char *name,
                          const char *password)
{
    char command[512];
    snprintf(command, sizeof command, "REGISTER %s %s", name, password);
    expect_reply(c, p, command, "OK registered", NULL);
}

static void login_ok(struct check *c, struct peer *p, const char *name, const char *password,
                     const char *why)
{
    char command[512], want[128];
    snprintf(command, sizeof command, "LOGIN %s %s", name, password);
    snprintf(want, sizeof want, "OK welcome %s", name);
    expect_reply(c, p, command, want, why);
}

static void login_refused(struct check *c, struct peer *p, const char *name,
                          const char *password, const char *why)
{
    char command[512];
    snprintf(command, sizeof command, "LOGIN %s %s", name, password);
    expect_refusal(c, p, command, why);
}

/* ---- Checks of the server ------------------------------------------------- */

/* REGISTER, then LOGIN on the same connection and on another one. */
static void register_login(struct check *c)
{
    struct program *srv = start_login_server(c);
    struct peer *p = connect_to(c, srv);
    register_user(c, p, "alice", "Wonderland-42");
    login_ok(c, p, "alice", "Wonderland-42", NULL);
    expect_reply(c, p, "WHOAMI", "OK alice", NULL);
    struct peer *q = connect_to(c, srv);
    login_ok(c, q, "alice", "Wonderland-42", "A second client logs in with the name and "
             "password the first one registered: every thread must see the committed row.");
    login_refused(c, q, "alice", "Wonderland-43", "That is not alice's password.");
    register_user(c, q, "bob", "Builder-Bob-7");
    login_ok(c, q, "bob", "Builder-Bob-7", NULL);
    expect_reply(c, q, "WHOAMI", "OK bob", NULL);
    expect_reply(c, p, "WHOAMI", "OK alice", "alice logged in on this connection; bob on "
                 "another one: each connection has a login of its own (in its session, "
                 "not in a global variable).");
}

/* A second REGISTER of a name is refused and changes nothing. */
static void duplicate_name(struct check *c)
{
    struct program *srv = start_login_server(c);
    struct peer *p = connect_to(c, srv);
    struct peer *q = connect_to(c, srv);
    register_user(c, p, "carol", "First-Password-1");
    expect_reply(c, q, "REGISTER carol Second-Password-2", "ERR user exists",
                 "carol is taken: a second registration must be refused.");
    expect_reply(c, p, "REGISTER carol First-Password-1", "ERR user exists",
                 "carol is taken, even with the same password.");
    login_refused(c, q, "carol", "Second-Password-2", "The refused registration must not "
                  "have replaced carol's password.");
    login_ok(c, q, "carol", "First-Password-1", "carol keeps the password she registered "
             "with.");
}

/* A wrong password and an unknown user get byte-identical replies. */
static void same_answer(struct check *c)
{
    struct program *srv = start_login_server(c);
    struct peer *p = connect_to(c, srv);
    register_user(c, p, "dave", "Davids-Password-9");
    char *wrong = ask(c, p, "LOGIN dave Not-His-Password");
    char *unknown = ask(c, p, "LOGIN nobody_here Not-His-Password");
    if (!starts_with(wrong, "ERR "))
        fail(c, "sent \"LOGIN dave Not-His-Password\" (a wrong password): expected "
             "\"ERR invalid credentials\", got %s.", shown(wrong));
    if (strcmp(wrong, unknown) != 0) {
        struct buf a = {0};
        buf_puts(&a, shown(wrong));
        fail(c, "a wrong password got %s and an unknown user got %s: whoever tries names "
             "learns which ones exist.  Both must get the same reply, \"ERR invalid "
             "credentials\".", a.data, shown(unknown));
    }
    free(wrong);
    free(unknown);
}

/* Injection payloads in names and passwords log nobody in and change
 * nothing: the honest users still log in, wrong passwords still fail. */
static void injection(struct check *c)
{
    /* Without spaces: the protocol splits lines on spaces. */
    static const char *const names[] = {
        "'OR'1'='1", "'OR''='", "alice'--", "alice'/*", "alice'#", "\"OR\"\"=\"",
        "'||'", "%", "a%", "_____", "*", "\\", "x');DROP/**/TABLE/**/users;--",
        "x';DROP/**/TABLE/**/users;--", "x';UPDATE/**/users/**/SET/**/name='y';--",
    };
    static const char *const passwords[] = {
        "'OR'1'='1", "x'OR'1'='1", "'OR''='--", "\"OR\"\"=\"", "%%%%%%%%", "________",
        "');DROP/**/TABLE/**/users;--",
    };
    static const char alice_pw[] = "Alices-Secret-1", bob_pw[] = "Bobs-Secret-22";
    struct program *srv = start_login_server(c);
    struct peer *p = connect_to(c, srv);
    register_user(c, p, "alice", alice_pw);
    register_user(c, p, "bob", bob_pw);
    note(c, "alice and bob are registered; now the payloads");

    char command[512];
    for (size_t i = 0; i < COUNT_OF(names); i++) {
        /* Registering a payload: refused as a name, or a harmless name. */
        snprintf(command, sizeof command, "REGISTER %s Payload-Pass-1", names[i]);
        free(ask(c, p, command));
        const char *const tries[] = { alice_pw, bob_pw, "Payload-Pass-1", names[i] };
        for (size_t k = 0; k < COUNT_OF(tries); k++) {
            if (strcmp(names[i], "_____") == 0 && k == 2)
                continue;           /* a valid name: it may have registered */
            snprintf(command, sizeof command, "LOGIN %s %s", names[i], tries[k]);
            char *got = ask(c, p, command);
            if (starts_with(got, "OK")) {
                struct buf cmd = {0};
                buf_puts(&cmd, shown(command));
                fail(c, "sent %s: got %s.  The name is an SQL injection payload and no "
                     "such user has that password: the name must go into a prepared "
                     "statement as a bound parameter (sqlite3_bind_text), never into the "
                     "SQL text, and be compared with = (LIKE treats %% and _ as "
                     "wildcards).", cmd.data, shown(got));
            }
            free(got);
        }
    }
    for (size_t i = 0; i < COUNT_OF(passwords); i++) {
        snprintf(command, sizeof command, "LOGIN alice %s", passwords[i]);
        char *got = ask(c, p, command);
        if (starts_with(got, "OK")) {
            struct buf cmd = {0};
            buf_puts(&cmd, shown(command));
            fail(c, "sent %s: got %s.  That is not alice's password, only an SQL injection "
                 "payload.", cmd.data, shown(got));
        }
        free(got);
    }
    /* A password full of quotes is a password like any other. */
    register_user(c, p, "quoted", "'OR'1'='1");
    login_ok(c, p, "quoted", "'OR'1'='1", "A password with quotes must be stored and "
             "checked as it is.");
    login_refused(c, p, "quoted", "\"OR\"\"=\"", "That is not quoted's password.");
    note(c, "after the payloads: the honest users");
    struct peer *q = connect_to(c, srv);
    const char *changed = "After the payloads above, the data must be unchanged: a payload "
                          "ran as SQL.";
    login_ok(c, q, "alice", alice_pw, changed);
    login_ok(c, q, "bob", bob_pw, changed);
    login_refused(c, q, "alice", bob_pw, "That is bob's password, not alice's.");
    login_refused(c, q, "bob", "Payload-Pass-1", "That is not bob's password.");
}

/* Reads the regular file NAME of the check's folder whole into B; false
 * if it is none (a link, a fifo: never followed) or cannot be read. */
static bool read_file(struct check *c, const char *name, struct buf *b)
{
    int fd = open_in_check_folder(c, name, NULL);
    if (fd < 0)
        return false;
    char chunk[65536];
    for (ssize_t n; (n = read(fd, chunk, sizeof chunk)) > 0;)
        buf_append(b, chunk, (size_t)n);
    close(fd);
    return true;
}

/* Looks for every password of PASSWORDS in every file of the check's
 * folder (the database, its -wal, -shm or -journal, whatever is there);
 * fails at the first found.  Returns the bytes the database and its WAL
 * hold. */
static size_t search_files(struct check *c, const char *const *passwords, size_t n,
                           const char *when)
{
    DIR *d = list_check_folder(c);
    if (d == NULL)
        fail(c, "grader error: cannot read %s: %s", check_folder(c), strerror(errno));
    size_t db_bytes = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        struct buf data = {0};
        if (e->d_name[0] == '.' || !read_file(c, e->d_name, &data))
            continue;
        note(c, "%s: %s holds %zu bytes", when, e->d_name, data.len);
        if (strcmp(e->d_name, DBFILE) == 0 || strcmp(e->d_name, DBFILE "-wal") == 0)
            db_bytes += data.len;
        for (size_t i = 0; i < n; i++) {
            const char *at = memmem(data.data ? data.data : "", data.len, passwords[i],
                                    strlen(passwords[i]));
            if (at != NULL)
                fail(c, "%s, the file %s holds the password \"%s\" in plain text (at byte "
                     "%zu).  Store only a salted slow hash of each password (crypt_rn with "
                     "a \"$y$\" salt from crypt_gensalt_rn): whoever copies the file must "
                     "not learn the passwords.", when, e->d_name, passwords[i],
                     (size_t)(at - data.data));
        }
        buf_free(&data);
    }
    closedir(d);
    return db_bytes;
}

/* The database file holds no password as it was typed: neither while the
 * server runs (the WAL holds the latest rows) nor after it stopped. */
static void no_plaintext(struct check *c)
{
    static const char *const passwords[] = {
        "Plain-Secret-0001-xyzzy", "Swordfish!Tr0ub4dor&3", "correct-horse-battery-7",
        "Changed-Secret-2nd-qwv",
    };
    struct program *srv = start_login_server(c);
    struct peer *p = connect_to(c, srv);
    register_user(c, p, "frodo", passwords[0]);
    register_user(c, p, "sam", passwords[1]);
    register_user(c, p, "pippin", passwords[2]);
    login_ok(c, p, "pippin", passwords[2], NULL);
    char command[256];
    snprintf(command, sizeof command, "PASSWD %s %s", passwords[2], passwords[3]);
    expect_reply(c, p, command, "OK", NULL);
    size_t bytes = search_files(c, passwords, COUNT_OF(passwords), "while the server runs");
    if (bytes == 0)
        fail(c, "three users are registered, but the server's DBFILE (%s, in its current "
             "folder) and its -wal file are empty or missing: the users must be stored in "
             "the database file named on the command line.", DBFILE);
    signal_program(c, srv, SIGTERM);
    wait_exit(c, srv);
    search_files(c, passwords, COUNT_OF(passwords), "after the server stopped");
}

/* SIGTERM stops the server with status 0, and a new server on the same
 * file knows every user. */
static void restart(struct check *c)
{
    struct program *first = start_login_server(c);
    struct peer *p = connect_to(c, first);
    register_user(c, p, "erin", "Erins-Password-5");
    register_user(c, p, "frank", "Franks-Password-6");
    note(c, "this client stays connected while the server is stopped");
    wait_until_blocked(c, first);
    signal_program(c, first, SIGTERM);
    expect_exit(c, first, 0);

    struct program *second = start_login_server(c);
    struct peer *q = connect_to(c, second);
    const char *why = "The server was stopped with SIGTERM and started again on the same "
                      "database file: the users registered before must still be there.";
    login_ok(c, q, "erin", "Erins-Password-5", why);
    login_ok(c, q, "frank", "Franks-Password-6", why);
    login_refused(c, q, "frank", "Erins-Password-5", "That is erin's password, not frank's.");
    expect_reply(c, q, "REGISTER erin Another-Password-7", "ERR user exists", why);
}

/*
 * The crowds that register at once.  Each registration and each login is
 * a slow hash (yescrypt: 15 ms, 400 ms or more under valgrind), and the
 * server runs only one per CPU at a time.  To show that every client is
 * served at once and every write waits its turn, WRITERS is enough: all
 * are in the server at once, several times more than it hashes at once,
 * so their commits queue.  Thirty (and thirty logins) only made the check
 * slow, near its limit under load and under valgrind.  durability wants
 * registrations still under way when about half are acknowledged, and
 * logs in only the acknowledged ones: CROWD.
 */
enum { WRITERS = 12, CROWD = 30 };

/* N (at most CROWD) connections that each send a REGISTER at once;
 * returns the names in NAMES and passwords in PASSWORDS. */
static void crowd_registers(struct check *c, struct program *srv, int n, struct peer *p[CROWD],
                            char names[CROWD][32], char passwords[CROWD][32])
{
    for (int i = 0; i < n; i++) {
        p[i] = connect_to(c, srv);
        snprintf(names[i], sizeof names[i], "user%02d", i);
        snprintf(passwords[i], sizeof passwords[i], "Crowd-Password-%02d", i);
    }
    note(c, "%d clients each send a REGISTER, all before any reply is read", n);
    for (int i = 0; i < n; i++) {
        char command[128];
        snprintf(command, sizeof command, "REGISTER %.31s %.31s\n", names[i], passwords[i]);
        send_text(c, p[i], command);
    }
}

/* WRITERS clients register at once: all get OK registered; all log in. */
static void concurrent_registrations(struct check *c)
{
    struct peer *p[CROWD];
    char names[CROWD][32], passwords[CROWD][32];
    struct program *srv = start_login_server(c);
    crowd_registers(c, srv, WRITERS, p, names, passwords);
    for (int i = 0; i < WRITERS; i++) {
        char *got = read_line_from(c, p[i], "the reply to REGISTER");
        if (strcmp(got, "OK registered") != 0)
            fail(c, "%d clients sent REGISTER at once, each a new name; %s got %s instead of "
                 "\"OK registered\".  Every client is served at once, and every write "
                 "waits its turn: with a connection per thread, other threads write too, "
                 "so give every connection a busy timeout (sqlite3_busy_timeout) and use "
                 "WAL mode.", WRITERS, names[i], shown(got));
        free(got);
    }
    note(c, "all registered; now all log in at once");
    for (int i = 0; i < WRITERS; i++) {
        char command[128];
        snprintf(command, sizeof command, "LOGIN %.31s %.31s\n", names[i], passwords[i]);
        send_text(c, p[i], command);
    }
    for (int i = 0; i < WRITERS; i++) {
        char want[64];
        snprintf(want, sizeof want, "OK welcome %.31s", names[i]);
        char *got = read_line_from(c, p[i], "the reply to LOGIN");
        if (strcmp(got, want) != 0)
            fail(c, "%d clients registered at once and all got \"OK registered\"; then they "
                 "logged in at once, and %s got %s instead of \"%s\".", WRITERS, names[i],
                 shown(got), want);
        free(got);
    }
}

/* The replies of the crowd, taken as they come. */
struct crowd {
    struct peer **p;
    bool answered[CROWD], acked[CROWD];
    int nanswered, nacked;
    int want;                   /* acknowledgements to wait for */
};

/* Takes every reply that has arrived (none is waited for). */
static void collect(struct check *c, struct crowd *w)
{
    for (int i = 0; i < CROWD; i++) {
        if (w->answered[i] || !line_waiting(w->p[i]))
            continue;
        char *got = read_line_from(c, w->p[i], "the reply to REGISTER");
        w->answered[i] = true;
        w->acked[i] = strcmp(got, "OK registered") == 0;
        w->nanswered++;
        w->nacked += w->acked[i];
        free(got);
    }
}

static bool enough_acked(struct check *c, void *arg)
{
    struct crowd *w = arg;
    collect(c, w);
    return w->nacked >= w->want || w->nanswered == CROWD;
}

/* kill -9 while 30 clients register, once about half have been
 * acknowledged: after a restart on the same file, every registration that
 * was acknowledged before the crash logs in.  Other replies promise
 * nothing (concurrent-registrations is about them). */
static void durability(struct check *c)
{
    struct peer *p[CROWD];
    char names[CROWD][32], passwords[CROWD][32];
    struct program *first = start_login_server(c);
    crowd_registers(c, first, CROWD, p, names, passwords);
    struct crowd w = { .p = p, .want = CROWD / 2 };
    /* Keep time for the restart and the logins. */
    int64_t wait = time_left_ms(c) - 4000;
    if (!wait_until(c, enough_acked, &w, wait > 0 ? (int)wait : 0))
        fail(c, "%d clients sent REGISTER at once, each a new name: only %d replies came "
             "within %lld ms.", CROWD, w.nanswered, (long long)wait);
    signal_program(c, first, SIGKILL);
    wait_exit(c, first);
    collect(c, &w);             /* what came just before the end */
    note(c, "killed with %d registrations acknowledged, %d refused, %d under way", w.nacked,
         w.nanswered - w.nacked, CROWD - w.nanswered);
    if (w.nacked == 0)
        fail(c, "%d clients sent REGISTER at once, each a new name: %d replies came, and "
             "not one was \"OK registered\".", CROWD, w.nanswered);

    struct program *second = start_login_server(c);
    struct peer *q = connect_to(c, second);
    for (int i = 0; i < CROWD; i++) {
        if (!w.acked[i])
            continue;
        char command[128], want[64];
        snprintf(command, sizeof command, "LOGIN %.31s %.31s", names[i], passwords[i]);
        snprintf(want, sizeof want, "OK welcome %.31s", names[i]);
        char *got = ask(c, q, command);
        if (strcmp(got, want) != 0)
            fail(c, "%s got \"OK registered\", then the server was killed (SIGKILL) with "
                 "%d registrations under way, and started again on the same file: sent "
                 "\"%s\", expected \"%s\", got %s.  The acknowledged registration was lost: "
                 "reply \"OK registered\" only once the INSERT has committed (no transaction "
                 "left open).", names[i], CROWD - w.nanswered, command, want, shown(got));
        free(got);
    }
}

/* Malformed lines get an ERR reply and the server goes on. */
static void malformed_lines(struct check *c)
{
#define LINE(text) text, sizeof text - 1
    static const struct { const char *line; size_t len; const char *what; } bad[] = {
        { LINE(""), "an empty line" },
        { LINE("REGISTER"), "REGISTER without arguments" },
        { LINE("REGISTER gina"), "REGISTER without a password" },
        { LINE("REGISTER gina Gina-Password-8 extra"), "REGISTER with a third argument" },
        { LINE("REGISTER  gina Gina-Password-8"), "two spaces after REGISTER" },
        { LINE(" REGISTER gina Gina-Password-8"), "a space before REGISTER" },
        { LINE("REGISTER gina Gina-Password-8 "), "a space at the end" },
        { LINE("REGISTER gi\0na Gina-Password-8"), "a NUL byte in the name" },
        { LINE("register gina Gina-Password-8"), "the command in small letters" },
        { LINE("LOGIN gina"), "LOGIN without a password" },
        { LINE("HELLO"), "an unknown command" },
    };
#undef LINE
    struct program *srv = start_login_server(c);
    struct peer *p = connect_to(c, srv);
    for (size_t i = 0; i < COUNT_OF(bad); i++) {
        struct buf line = {0};
        buf_append(&line, bad[i].line, bad[i].len);
        buf_puts(&line, "\n");
        send_bytes(c, p, line.data, line.len);
        char what[128];
        snprintf(what, sizeof what, "the reply to %s", bad[i].what);
        char *got = read_line_from(c, p, what);
        if (!starts_with(got, "ERR ")) {
            struct buf sent = {0};
            buf_escape(&sent, line.data, line.len, 200);
            fail(c, "sent %s (%s): expected a reply starting \"ERR \", got %s.  A line is "
                 "the command and its arguments separated by single spaces; anything else "
                 "is refused.", sent.data, bad[i].what, shown(got));
        }
        free(got);
        buf_free(&line);
    }
    struct buf longline = {0};
    buf_puts(&longline, "REGISTER gina ");
    while (longline.len < 5000)
        buf_puts(&longline, "Long-Password-");
    buf_puts(&longline, "\n");
    send_bytes(c, p, longline.data, longline.len);
    char *got = read_line_from(c, p, "the reply to a line of 5000 bytes");
    if (strcmp(got, "ERR line too long") != 0)
        fail(c, "sent a REGISTER line of %zu bytes (over the 4096 allowed): expected \"ERR "
             "line too long\", got %s.", longline.len - 1, shown(got));
    free(got);
    buf_free(&longline);
    register_user(c, p, "gina", "Gina-Password-8");
    login_ok(c, p, "gina", "Gina-Password-8", "After the malformed lines, the server must "
             "go on serving.");
    expect_reply(c, p, "WHOAMI\r", "OK gina", "A \"\\r\" before the \"\\n\" is tolerated.");
}

/* WHOAMI, PASSWD and LOGOUT need a login first. */
static void login_required(struct check *c)
{
    static const char nli[] = "ERR not logged in";
    struct program *srv = start_login_server(c);
    struct peer *p = connect_to(c, srv);
    const char *why = "Nobody has logged in on this connection.";
    expect_reply(c, p, "WHOAMI", nli, why);
    expect_reply(c, p, "PASSWD Hanks-Password-3 Other-Password-4", nli, why);
    expect_reply(c, p, "LOGOUT", nli, why);
    register_user(c, p, "hank", "Hanks-Password-3");
    expect_reply(c, p, "WHOAMI", nli, "Registering does not log in.");
    login_refused(c, p, "hank", "Wrong-Password-3", "That is not hank's password.");
    expect_reply(c, p, "WHOAMI", nli, "The last LOGIN failed.");
    expect_reply(c, p, "PASSWD Hanks-Password-3 Other-Password-4", nli,
                 "The last LOGIN failed.");
    login_ok(c, p, "hank", "Hanks-Password-3", NULL);
}

/* PASSWD checks the old password and changes it; LOGOUT ends the login. */
static void passwd_and_logout(struct check *c)
{
    struct program *srv = start_login_server(c);
    struct peer *p = connect_to(c, srv);
    register_user(c, p, "ivy", "Old-Password-1");
    login_ok(c, p, "ivy", "Old-Password-1", NULL);
    expect_refusal(c, p, "PASSWD Wrong-Password-1 New-Password-2",
                   "PASSWD must check the old password: whoever sits at a logged-in "
                   "terminal must not take the account over.");
    expect_refusal(c, p, "PASSWD Old-Password-1 short",
                   "A new password has 8 to 128 characters.");
    expect_reply(c, p, "PASSWD Old-Password-1 New-Password-2", "OK", NULL);
    expect_reply(c, p, "WHOAMI", "OK ivy", "PASSWD does not end the login.");
    expect_reply(c, p, "LOGOUT", "OK", NULL);
    expect_reply(c, p, "WHOAMI", "ERR not logged in", "LOGOUT ends the login.");
    struct peer *q = connect_to(c, srv);
    login_refused(c, q, "ivy", "Old-Password-1", "ivy changed her password: the old one "
                  "no longer works.");
    login_ok(c, q, "ivy", "New-Password-2", "ivy changed her password to this one.");
}

/* ---- The client -------------------------------------------------------- */

/* Types a menu choice and the lines it asks for, then expects the command
 * the client should send. */
static void choose(struct check *c, struct program *cl, struct peer *p, const char *choice,
                   const char *first, const char *second, const char *command)
{
    type_line(c, cl, choice);
    if (first != NULL)
        type_line(c, cl, first);
    if (second != NULL)
        type_line(c, cl, second);
    expect_line(c, p, command);
}

/* The grader as the server: the menu, typed, sends the right commands
 * and prints the replies. */
static void client_menu(struct check *c)
{
    struct listener *l = listen_for_client(c);
    struct program *cl = start_client(c, listener_port(l), NULL);
    struct peer *p = accept_client(c, l, cl);
    note(c, "main menu: 1 Login, 2 Registration, 3 Exit");
    choose(c, cl, p, "1", "menu_user", "Wrong-Pass-000", "LOGIN menu_user Wrong-Pass-000");
    send_text(c, p, "ERR invalid credentials\n");
    expect_output_line(c, cl, "ERR invalid credentials");
    choose(c, cl, p, "2", "menu_user", "Menu-Pass-1234", "REGISTER menu_user Menu-Pass-1234");
    send_text(c, p, "OK registered\n");
    expect_output_line(c, cl, "OK registered");
    choose(c, cl, p, "1", "menu_user", "Menu-Pass-1234", "LOGIN menu_user Menu-Pass-1234");
    send_text(c, p, "OK welcome menu_user\n");
    expect_output_line(c, cl, "OK welcome menu_user");
    note(c, "logged-in menu: 1 Who am I, 2 Change password, 3 Exit, 4 Log out");
    choose(c, cl, p, "1", NULL, NULL, "WHOAMI");
    send_text(c, p, "OK menu_user\n");
    expect_output_line(c, cl, "OK menu_user");
    choose(c, cl, p, "2", "Menu-Pass-1234", "New-Menu-Pass-5", "PASSWD Menu-Pass-1234 "
           "New-Menu-Pass-5");
    send_text(c, p, "ERR invalid password (a reply of the grader's)\n");
    expect_output_line(c, cl, "ERR invalid password (a reply of the grader's)");
    choose(c, cl, p, "4", NULL, NULL, "LOGOUT");
    send_text(c, p, "OK\n");
    note(c, "logged out: the main menu again");
    choose(c, cl, p, "2", "second_user", "Second-Pass-99", "REGISTER second_user "
           "Second-Pass-99");
    send_text(c, p, "ERR user exists\n");
    expect_output_line(c, cl, "ERR user exists");
    choose(c, cl, p, "3", NULL, NULL, "QUIT");
    send_text(c, p, "OK bye\n");
    expect_exit(c, cl, 0);
}

/* The server and the client still work when every send and recv moves
 * only a few bytes (shortio.so, preloaded under them). */
static void short_counts(struct check *c)
{
    inject_short_counts(c);
    struct program *srv = start_login_server(c);
    require_short_counts(c, srv);
    struct peer *p = connect_to(c, srv);
    register_user(c, p, "jack", "Jacks-Password-77");
    login_ok(c, p, "jack", "Jacks-Password-77", NULL);
    expect_reply(c, p, "WHOAMI", "OK jack", NULL);

    struct listener *l = listen_for_client(c);
    struct program *cl = start_client(c, listener_port(l), NULL);
    struct peer *q = accept_client(c, l, cl);
    require_short_counts(c, cl);
    choose(c, cl, q, "2", "kate", "Kates-Password-88", "REGISTER kate Kates-Password-88");
    send_text(c, q, "OK registered\n");
    expect_output_line(c, cl, "OK registered");
}

/* The student's client and server: register, log in, exit. */
static void pair(struct check *c)
{
    struct program *srv = start_login_server(c);
    struct program *cl = start_client(c, program_port(srv), NULL);
    type_line(c, cl, "2");
    type_line(c, cl, "lena");
    type_line(c, cl, "Lenas-Password-1");
    expect_output_line(c, cl, "OK registered");
    type_line(c, cl, "1");
    type_line(c, cl, "lena");
    type_line(c, cl, "Lenas-Password-1");
    expect_output_line(c, cl, "OK welcome lena");
    type_line(c, cl, "3");
    expect_exit(c, cl, 0);
}

static const struct check_def checks[] = {
    { "register-login", 2, 5000, "a registered user logs in; each connection has its own login",
      HINT("The contract"), register_login },
    { "duplicate-name", 1, 5000, "a taken name is refused and keeps its password",
      HINT("The contract"), duplicate_name },
    { "same-answer", 2, 5000, "a wrong password and an unknown user get the same reply",
      HINT("Pitfall: telling which users exist"), same_answer },
    { "injection", 2, 10000, "SQL injection payloads in names and passwords do nothing",
      HINT("Pitfall: SQL built with string formatting"), injection },
    { "no-plaintext", 2, 5000, "the database and its WAL hold no password in plain text",
      HINT("Pitfall: passwords in plaintext"), no_plaintext },
    { "restart", 1, 10000, "SIGTERM stops the server with status 0; users survive a restart",
      HINT("The server, step by step"), restart },
    { "concurrent-registrations", 2, 10000, "12 clients register at once: all succeed, all log in",
      HINT("Pitfall: SQLITE_BUSY"), concurrent_registrations },
    { "durability", 2, 10000, "every acknowledged registration survives kill -9 of the server",
      HINT("Pitfall: acknowledging before the commit"), durability },
    { "malformed-lines", 1, 5000, "malformed and over-long lines get ERR and the server goes on",
      HINT("Pitfall: a line longer than the buffer"), malformed_lines },
    { "login-required", 1, 5000, "WHOAMI, PASSWD and LOGOUT are refused before a login",
      HINT("The contract"), login_required },
    { "passwd-and-logout", 1, 5000, "PASSWD checks the old password; LOGOUT ends the login",
      HINT("The contract"), passwd_and_logout },
    { "short-counts", 1, 5000, "both programs survive short reads and short writes",
      HINT("The server, step by step"), short_counts },
    { "client-menu", 2, 5000, "the client's menu sends the right commands and prints the replies",
      HINT("The client, step by step"), client_menu },
    { "client-refused", 1, 3000, "a refused connection gives one error line and exit status 1",
      HINT("The contract"), check_client_refused },
    { "bad-arguments", 1, 5000, "missing arguments give a usage line and exit status 2",
      HINT("The contract"), check_bad_arguments_server_port_only },
    { "pair", 1, 5000, "the client and the server work together",
      HINT("The conversation"), pair },
};

struct lab_def lab_06_login = { .id = "06-login", .title = "login with a database",
                                .checks = checks, .nchecks = COUNT_OF(checks) };
