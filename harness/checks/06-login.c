/*
 * 06-login.c - the checks of lab 06, login with a database: the server
 * (SQLite, hashed passwords, a thread per client) and its menu client.
 * The rubric is the table at the end of this file.
 */
#define LAB_ID "06-login"

#include "check.h"
#include "checks/common.h"
#include "core.h" /* a program's terminal (client-hides-password) */
#include "lab.h"

#include <crypt.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#define DBFILE "users.db" /* the server's DBFILE, in the check's folder */

/* ---- The server and its replies ------------------------------------------- */

/* Starts the server as `server PORT users.db`, in the check's folder. */
static struct program *start_login_server(struct check *c)
{
    return start_server(c, DBFILE, NULL);
}

/* Missing arguments, and bad PORTs before a DBFILE. */
static void bad_arguments(struct check *c)
{
    check_bad_arguments_server_port_only(c, DBFILE);
}

/* Room for a command or a reply, escaped for a message (escape_text). */
#define SHOWN_SIZE ESCAPED_SIZE(160)

/* Sends COMMAND and a newline; returns the reply line (caller frees). */
static char *ask(struct check *c, struct peer *p, const char *command)
{
    struct buf line = { 0 };
    buf_printf(&line, "%s\n", command);
    send_bytes(c, p, line.data, line.len);
    buf_free(&line);
    struct buf what = { 0 };
    char sent[SHOWN_SIZE];
    buf_printf(&what, "the reply to %s", escape_text(sent, sizeof sent, command));
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
        char sent[SHOWN_SIZE], reply[SHOWN_SIZE];
        fail(c, "sent %s: expected the reply \"%s\", got %s.%s%s",
             escape_text(sent, sizeof sent, command), want,
             escape_text(reply, sizeof reply, got), why ? "  " : "", why ? why : "");
    }
    free(got);
}

/* Sends COMMAND and expects a reply that starts with "ERR ". */
static void expect_refusal(struct check *c, struct peer *p, const char *command,
                           const char *why)
{
    char *got = ask(c, p, command);
    if (!starts_with(got, "ERR ")) {
        char sent[SHOWN_SIZE], reply[SHOWN_SIZE];
        fail(c, "sent %s: expected a refusal, a reply starting \"ERR \", got %s.  %s",
             escape_text(sent, sizeof sent, command), escape_text(reply, sizeof reply, got),
             why);
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
    login_ok(c, q, "alice", "Wonderland-42",
             "A second client logs in with the name and "
             "password the first one registered: every thread must see the committed row.");
    login_refused(c, q, "alice", "Wonderland-43", "That is not alice's password.");
    register_user(c, q, "bob", "Builder-Bob-7");
    login_ok(c, q, "bob", "Builder-Bob-7", NULL);
    expect_reply(c, q, "WHOAMI", "OK bob", NULL);
    expect_reply(c, p, "WHOAMI", "OK alice",
                 "alice logged in on this connection; bob on "
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
    login_refused(c, q, "carol", "Second-Password-2",
                  "The refused registration must not "
                  "have replaced carol's password.");
    login_ok(c, q, "carol", "First-Password-1",
             "carol keeps the password she registered "
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
    char reply[SHOWN_SIZE], other[SHOWN_SIZE];
    if (!starts_with(wrong, "ERR "))
        fail(c,
             "sent \"LOGIN dave Not-His-Password\" (a wrong password): expected "
             "\"ERR invalid credentials\", got %s.",
             escape_text(reply, sizeof reply, wrong));
    if (strcmp(wrong, unknown) != 0)
        fail(c,
             "a wrong password got %s and an unknown user got %s: whoever tries names "
             "learns which ones exist.  Both must get the same reply, \"ERR invalid "
             "credentials\".",
             escape_text(reply, sizeof reply, wrong),
             escape_text(other, sizeof other, unknown));
    free(wrong);
    free(unknown);
}

/* Injection payloads in names and passwords log nobody in and change
 * nothing: the honest users still log in, wrong passwords still fail. */
static void injection(struct check *c)
{
    /* Without spaces: the protocol splits lines on spaces. */
    static const char *const names[] = {
        "'OR'1'='1",
        "'OR''='",
        "alice'--",
        "alice'/*",
        "alice'#",
        "\"OR\"\"=\"",
        "'||'",
        "%",
        "a%",
        "_____",
        "*",
        "\\",
        "x');DROP/**/TABLE/**/users;--",
        "x';DROP/**/TABLE/**/users;--",
        "x';UPDATE/**/users/**/SET/**/name='y';--",
    };
    static const char *const passwords[] = {
        "'OR'1'='1",
        "x'OR'1'='1",
        "'OR''='--",
        "\"OR\"\"=\"",
        "%%%%%%%%",
        "________",
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
                continue; /* a valid name: it may have registered */
            snprintf(command, sizeof command, "LOGIN %s %s", names[i], tries[k]);
            char *got = ask(c, p, command);
            char sent[SHOWN_SIZE], reply[SHOWN_SIZE];
            if (starts_with(got, "OK"))
                fail(c,
                     "sent %s: got %s.  The name is an SQL injection payload and no "
                     "such user has that password: the name must go into a prepared "
                     "statement as a bound parameter (sqlite3_bind_text), never into the "
                     "SQL text, and be compared with = (LIKE treats %% and _ as "
                     "wildcards).",
                     escape_text(sent, sizeof sent, command),
                     escape_text(reply, sizeof reply, got));
            free(got);
        }
    }
    for (size_t i = 0; i < COUNT_OF(passwords); i++) {
        snprintf(command, sizeof command, "LOGIN alice %s", passwords[i]);
        char *got = ask(c, p, command);
        char sent[SHOWN_SIZE], reply[SHOWN_SIZE];
        if (starts_with(got, "OK"))
            fail(c,
                 "sent %s: got %s.  That is not alice's password, only an SQL injection "
                 "payload.",
                 escape_text(sent, sizeof sent, command),
                 escape_text(reply, sizeof reply, got));
        free(got);
    }
    /* A password full of quotes is a password like any other. */
    register_user(c, p, "quoted", "'OR'1'='1");
    login_ok(c, p, "quoted", "'OR'1'='1",
             "A password with quotes must be stored and "
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
        struct buf data = { 0 };
        if (e->d_name[0] == '.' || !read_file(c, e->d_name, &data))
            continue;
        note(c, "%s: %s holds %zu bytes", when, e->d_name, data.len);
        if (strcmp(e->d_name, DBFILE) == 0 || strcmp(e->d_name, DBFILE "-wal") == 0)
            db_bytes += data.len;
        for (size_t i = 0; i < n; i++) {
            const char *at = memmem(data.data ? data.data : "", data.len, passwords[i],
                                    strlen(passwords[i]));
            if (at != NULL)
                fail(c,
                     "%s, the file %s holds the password \"%s\" in plain text (at byte "
                     "%zu).  Store only a salted slow hash of each password (crypt_rn with "
                     "a \"$y$\" salt from crypt_gensalt_rn): whoever copies the file must "
                     "not learn the passwords.",
                     when, e->d_name, passwords[i], (size_t)(at - data.data));
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
        "Plain-Secret-0001-xyzzy",
        "Swordfish!Tr0ub4dor&3",
        "correct-horse-battery-7",
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
        fail(c,
             "three users are registered, but the server's DBFILE (%s, in its current "
             "folder) and its -wal file are empty or missing: the users must be stored in "
             "the database file named on the command line.",
             DBFILE);
    signal_program(c, srv, SIGTERM);
    wait_exit(c, srv);
    search_files(c, passwords, COUNT_OF(passwords), "after the server stopped");
}

/* ---- How the passwords are stored ------------------------------------------ */

/* A user the check registers, and what the database holds for it. */
struct stored_hash {
    const char *name, *password;
    char *hash; /* NULL: no row holds the name */
};

/* Copies the check folder's database (DBFILE and its -wal) into DIR, a
 * folder of the grader's own: SQLite then reads what the server committed,
 * the WAL's rows included, and never follows a link the server's folder
 * may hold. */
static void copy_database(struct check *c, const char *dir)
{
    static const char *const names[] = { DBFILE, DBFILE "-wal" };
    for (size_t i = 0; i < COUNT_OF(names); i++) {
        struct buf data = { 0 };
        if (!read_file(c, names[i], &data))
            continue;
        char path[128];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        size_t done = 0;
        for (ssize_t n = 0; fd >= 0 && done < data.len; done += (size_t)n)
            if ((n = write(fd, data.data + done, data.len - done)) < 0)
                break;
        if (fd >= 0)
            close(fd);
        buf_free(&data);
    }
}

static void remove_database_copy(const char *dir)
{
    static const char *const names[] = { DBFILE, DBFILE "-wal", DBFILE "-shm",
                                         DBFILE "-journal" };
    for (size_t i = 0; i < COUNT_OF(names); i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* The value of the row's column K as a string of its own (a BLOB may hold
 * any bytes: cut at the first NUL, which no hash string holds). */
static char *column_copy(sqlite3_stmt *row, int k)
{
    const unsigned char *v = sqlite3_column_text(row, k);
    return strndup(v ? (const char *)v : "", (size_t)sqlite3_column_bytes(row, k));
}

/* The stored hash of a row whose column SKIP holds a user's name: the
 * row's other column that starts with "$" (every accepted form does), or
 * else its longest other one, to show what it holds instead. */
static char *hash_column(sqlite3_stmt *row, int skip)
{
    char *best = NULL;
    for (int k = 0; k < sqlite3_column_count(row); k++) {
        int type = sqlite3_column_type(row, k);
        if (k == skip || (type != SQLITE_TEXT && type != SQLITE_BLOB))
            continue;
        char *v = column_copy(row, k);
        if (v[0] == '$' || best == NULL || strlen(v) > strlen(best)) {
            free(best);
            best = v;
            if (v[0] == '$')
                break;
        } else {
            free(v);
        }
    }
    return best != NULL ? best : strdup("");
}

/* Finds each user's row in every table of DB: the schema is the
 * student's, only a column that holds the name exactly is assumed. */
static void collect_hashes(sqlite3 *db, struct stored_hash *users, size_t n)
{
    sqlite3_stmt *tables;
    if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table'", -1,
                           &tables, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(tables) == SQLITE_ROW) {
        char *sql = sqlite3_mprintf("SELECT * FROM \"%w\"", sqlite3_column_text(tables, 0));
        sqlite3_stmt *row = NULL;
        if (sql != NULL && sqlite3_prepare_v2(db, sql, -1, &row, NULL) == SQLITE_OK) {
            while (sqlite3_step(row) == SQLITE_ROW)
                for (int k = 0; k < sqlite3_column_count(row); k++)
                    for (size_t i = 0; i < n; i++)
                        if (users[i].hash == NULL &&
                            sqlite3_column_type(row, k) == SQLITE_TEXT &&
                            strcmp((const char *)sqlite3_column_text(row, k), users[i].name) ==
                                0)
                            users[i].hash = hash_column(row, k);
        }
        sqlite3_finalize(row);
        sqlite3_free(sql);
    }
    sqlite3_finalize(tables);
}

/* What the server's database holds for each of USERS (read from a copy,
 * while the server runs: every registration was acknowledged, so
 * committed, and nothing writes any more). */
static void read_stored_hashes(struct check *c, struct stored_hash *users, size_t n)
{
    char dir[] = "/tmp/netlab-hashes-XXXXXX";
    if (mkdtemp(dir) == NULL)
        fail(c, "grader error: mkdtemp: %s", strerror(errno));
    copy_database(c, dir);
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, DBFILE);
    sqlite3 *db = NULL;
    /* The file is the student's: no trigger, view or schema trick of its
     * runs in the grader. */
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
        sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
        sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
        collect_hashes(db, users, n);
    }
    sqlite3_close(db);
    remove_database_copy(dir);
}

/* Whether /proc/locks shows a write lock (fcntl's, or an open file
 * description's) on the check folder's file NAME that covers byte AT. */
static bool write_lock_on(struct check *c, const char *name, unsigned long long at)
{
    struct stat st;
    int fd = open_in_check_folder(c, name, NULL);
    bool ok = fd >= 0 && fstat(fd, &st) == 0;
    if (fd >= 0)
        close(fd);
    FILE *f = ok ? fopen("/proc/locks", "r") : NULL;
    if (f == NULL)
        return false;
    char line[256], kind[16], type[16], end[32];
    unsigned maj, min;
    unsigned long long ino, start;
    bool held = false;
    while (!held && fgets(line, sizeof line, f) != NULL) {
        /* "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 120 120" */
        const char *p = strchr(line, ':');
        if (p == NULL || sscanf(p + 1, "%15s %*s %15s %*s %x:%x:%llu %llu %31s", kind, type,
                                &maj, &min, &ino, &start, end) != 7)
            continue;
        held = (strcmp(kind, "POSIX") == 0 || strcmp(kind, "OFDLCK") == 0) &&
               strcmp(type, "WRITE") == 0 && maj == major(st.st_dev) &&
               min == minor(st.st_dev) && ino == (unsigned long long)st.st_ino &&
               start <= at && (strcmp(end, "EOF") == 0 || strtoull(end, NULL, 10) >= at);
    }
    fclose(f);
    return held;
}

/* Whether a connection of the server holds SQLite's write lock on DBFILE,
 * so has a write transaction open: in WAL mode the lock on byte 120 of
 * the -shm file (WAL_WRITE_LOCK), in rollback mode the RESERVED byte of
 * the database, 0x40000001 (see SQLite's os_unix.c and wal.c). */
static bool write_transaction_open(struct check *c)
{
    return write_lock_on(c, DBFILE "-shm", 120) || write_lock_on(c, DBFILE, 0x40000001ULL);
}

/* The value of the base-64 digit CH of crypt(3) strings, or -1. */
static int crypt64(char ch)
{
    static const char digits[] =
        "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const char *at = ch != '\0' ? strchr(digits, ch) : NULL;
    return at != NULL ? (int)(at - digits) : -1;
}

/* yescrypt's cost, "$y$jNR$...": N = 2^(n+1), r = r+1 (digits of
 * crypt64); it uses 128 N r bytes.  The default (cost 5, "j9T") is
 * 16 MiB: the contract's minimum. */
static bool yescrypt_cost(const char *params, struct buf *why)
{
    int n = crypt64(params[1]), r = crypt64(params[2]);
    if (params[0] != 'j' || n < 0 || n > 40 || r < 0) {
        buf_printf(why, "its yescrypt parameters cannot be read");
        return false;
    }
    uint64_t kib = ((uint64_t)1 << (n + 1)) * (uint64_t)(r + 1) / 8;
    if (kib < 16384) {
        buf_printf(why,
                   "its yescrypt cost is N = 2^%d, r = %d: %llu KiB per guess, cheaper "
                   "than the default cost (\"j9T\", 16 MiB) that crypt_gensalt_rn(\"$y$\", 0, "
                   "...) gives",
                   n + 1, r + 1, (unsigned long long)kib);
        return false;
    }
    return true;
}

/* bcrypt, "$2b$CC$...": 2^CC rounds; OWASP's minimum is 10. */
static bool bcrypt_cost(const char *h, struct buf *why)
{
    int cost = atoi(h + 4);
    if (cost < 10) {
        buf_printf(why,
                   "its bcrypt cost is %d: under the contract's minimum of 10 (each step "
                   "down halves what a guess costs)",
                   cost);
        return false;
    }
    return true;
}

/* SHA-crypt, "$6$rounds=N$..." or "$6$..." (5000 rounds): 5000, the
 * method's own default and glibc's for /etc/shadow, is the minimum; fewer
 * must be asked for on purpose. */
static bool shacrypt_cost(const char *h, struct buf *why)
{
    unsigned long rounds = 5000;
    if (strncmp(h + 3, "rounds=", 7) == 0)
        rounds = strtoul(h + 10, NULL, 10);
    if (rounds < 5000) {
        buf_printf(why,
                   "it has %lu rounds of SHA-crypt: under the contract's minimum of "
                   "5000 (the method's default)",
                   rounds);
        return false;
    }
    return true;
}

/* Whether the PHC string's salt and hash, at AT ("salt$hash"), are there:
 * a salt of 8 bytes at least (11 base-64 digits). */
static bool phc_salted(const char *at, struct buf *why)
{
    const char *end = strchr(at, '$');
    if (end == NULL || end - at < 11 || end[1] == '\0') {
        buf_printf(why, "its salt (8 bytes at least) or its hash is missing");
        return false;
    }
    return true;
}

/* "$argon2id$v=19$m=M,t=T,p=P$salt$hash": OWASP's minimum, m = 19 MiB
 * with t = 2, or m = 46 MiB with t = 1. */
static bool argon2_cost(const char *h, struct buf *why)
{
    const char *s = h + strlen("$argon2id$");
    if (strncmp(s, "v=", 2) == 0 && strchr(s, '$') != NULL)
        s = strchr(s, '$') + 1;
    unsigned long m, t, p;
    int end = 0;
    if (sscanf(s, "m=%lu,t=%lu,p=%lu$%n", &m, &t, &p, &end) != 3 || end == 0) {
        buf_printf(why, "its argon2id parameters (m=...,t=...,p=...) cannot be read");
        return false;
    }
    if (!((m >= 19456 && t >= 2) || m >= 47104)) {
        buf_printf(why,
                   "its argon2id cost is m=%lu KiB, t=%lu: under the contract's minimum "
                   "(m >= 19456 with t >= 2, or m >= 47104)",
                   m, t);
        return false;
    }
    return phc_salted(s + end, why);
}

/* "$scrypt$ln=L,r=R,p=P$salt$hash": 128 x 2^L x R bytes, 16 MiB at least,
 * as yescrypt's default. */
static bool scrypt_cost(const char *h, struct buf *why)
{
    unsigned ln, r, p;
    int end = 0;
    if (sscanf(h + strlen("$scrypt$"), "ln=%u,r=%u,p=%u$%n", &ln, &r, &p, &end) != 3 ||
        end == 0 || ln > 40) {
        buf_printf(why, "its scrypt parameters (ln=...,r=...,p=...) cannot be read");
        return false;
    }
    if (((uint64_t)1 << ln) * r < 131072) {
        buf_printf(why,
                   "its scrypt cost is N = 2^%u, r = %u: under the contract's minimum "
                   "of 2^L x r >= 131072 (16 MiB)",
                   ln, r);
        return false;
    }
    return phc_salted(h + strlen("$scrypt$") + end, why);
}

/* Whether H is what crypt_rn gives for PASSWORD with H as its setting: a
 * real hash of that password, not a string dressed as one. */
static bool crypt_verifies(const char *h, const char *password)
{
    struct crypt_data *data = calloc(1, sizeof *data);
    const char *again = data ? crypt_rn(password, h, data, (int)sizeof *data) : NULL;
    bool same = again != NULL && strcmp(again, h) == 0;
    free(data);
    return same;
}

/* Whether H, the stored hash of PASSWORD, is of a method and cost that
 * the contract accepts; if not, WHY says what it is. */
static bool acceptable_hash(const char *h, const char *password, struct buf *why)
{
    if (strncmp(h, "$argon2id$", 10) == 0)
        return argon2_cost(h, why);
    if (strncmp(h, "$scrypt$", 8) == 0)
        return scrypt_cost(h, why);
    bool ok;
    /* crypt_checksalt tells the methods libxcrypt knows; Debian 12's
     * never says "too cheap", so each cost is read here. */
    int verdict = crypt_checksalt(h);
    if (h[0] != '$') {
        buf_printf(why,
                   "it does not start with \"$\": an unsalted digest (hex SHA-256 or "
                   "MD5), DES crypt or the password itself, none of which has a salt and a "
                   "cost of its own");
        return false;
    } else if (verdict == CRYPT_SALT_INVALID || verdict == CRYPT_SALT_METHOD_DISABLED) {
        buf_printf(why, "it is no hash string libxcrypt knows, nor an $argon2id$ or $scrypt$ "
                        "PHC string");
        return false;
    } else if (strncmp(h, "$y$", 3) == 0 || strncmp(h, "$gy$", 4) == 0) {
        ok = yescrypt_cost(h + (h[1] == 'g' ? 4 : 3), why);
    } else if (strncmp(h, "$2b$", 4) == 0 || strncmp(h, "$2a$", 4) == 0 ||
               strncmp(h, "$2y$", 4) == 0) {
        ok = bcrypt_cost(h, why);
    } else if (strncmp(h, "$6$", 3) == 0 || strncmp(h, "$5$", 3) == 0) {
        ok = shacrypt_cost(h, why);
    } else {
        int method = (int)strcspn(h + 1, "$,") + 2; /* "$1$", "$sha1$", "$md5," */
        buf_printf(why,
                   "its method, \"%.*s\", is a legacy one (MD5-crypt \"$1$\", SHA-1, "
                   "NT, ...): fast to attack",
                   method, h);
        return false;
    }
    if (ok && !crypt_verifies(h, password)) {
        buf_printf(why, "crypt_rn(password, stored) does not give it back: it is no hash "
                        "of the password the user registered");
        return false;
    }
    return ok;
}

/* The stored hashes are of an accepted method and cost, and equal
 * passwords get different hashes (each its own salt). */
static void hash_method(struct check *c)
{
    struct stored_hash users[] = {
        { "hash_ann", "Same-Password-42", NULL },
        { "hash_bob", "Same-Password-42", NULL },
    };
    struct program *srv = start_login_server(c);
    struct peer *p = connect_to(c, srv);
    for (size_t i = 0; i < COUNT_OF(users); i++)
        register_user(c, p, users[i].name, users[i].password);
    read_stored_hashes(c, users, COUNT_OF(users));
    for (size_t i = 0; i < COUNT_OF(users); i++) {
        if (users[i].hash == NULL && write_transaction_open(c)) {
            diagnose(c, "uncommitted-transaction",
                     HINT("Pitfall: acknowledging before the commit"));
            fail(c,
                 "%s registered (\"OK registered\"), but no row of any table of the "
                 "server's %s (or its -wal) holds that name exactly, and the server, with no "
                 "request left to answer, holds SQLite's write lock on it: a transaction is "
                 "open, never committed, so no other connection sees the row (and a crash "
                 "loses it).  Reply only once the INSERT has committed: no BEGIN left open.",
                 users[i].name, DBFILE);
        }
        if (users[i].hash == NULL)
            fail(c,
                 "%s registered (\"OK registered\"), but no row of any table of the "
                 "server's %s (or its -wal) holds that name exactly: the users must be "
                 "stored in the database file named on the command line, and committed "
                 "before the reply.",
                 users[i].name, DBFILE);
        char hash[SHOWN_SIZE];
        note(c, "%s's row holds %s", users[i].name,
             escape_text(hash, sizeof hash, users[i].hash));
        struct buf why = { 0 };
        if (!acceptable_hash(users[i].hash, users[i].password, &why))
            fail(c,
                 "%s registered with the password \"%s\"; the database stores %s.  Not "
                 "a salted slow hash the contract accepts: %s.  Store what crypt_rn "
                 "returns with a fresh \"$y$\" setting from crypt_gensalt_rn(\"$y$\", 0, "
                 "NULL, 0, ...).",
                 users[i].name, users[i].password, hash, why.data);
    }
    char hash[SHOWN_SIZE];
    if (strcmp(users[0].hash, users[1].hash) == 0)
        fail(c,
             "%s and %s registered with the same password, and the database stores the "
             "same hash for both, %s: the salt is not random, so whoever cracks one has "
             "both, and a table of precomputed hashes works.  Make a fresh salt for every "
             "password (crypt_gensalt_rn with NULL random bytes).",
             users[0].name, users[1].name, escape_text(hash, sizeof hash, users[0].hash));
    for (size_t i = 0; i < COUNT_OF(users); i++)
        free(users[i].hash);
}

/* ---- Passwords on what the programs print ------------------------------------ */

/* Fails if the program's stdout or stderr holds one of the N PASSWORDS;
 * WHY says what it means. */
static void search_output(struct check *c, struct program *prog, const char *who,
                          const char *const *passwords, size_t n, const char *why)
{
    const struct buf *outs[] = { program_stdout(prog), program_stderr(prog) };
    static const char *const names[] = { "stdout", "stderr" };
    for (size_t k = 0; k < COUNT_OF(outs); k++)
        for (size_t i = 0; i < n; i++) {
            const char *at = memmem(outs[k]->data ? outs[k]->data : "", outs[k]->len,
                                    passwords[i], strlen(passwords[i]));
            if (at == NULL)
                continue;
            struct buf around = { 0 };
            buf_escape_window(&around, outs[k]->data, outs[k]->len,
                              (size_t)(at - outs[k]->data), 60);
            fail(c, "the %s wrote the password \"%s\" on its %s: %s.  %s", who, passwords[i],
                 names[k], around.data, why);
        }
}

static bool program_ended(struct check *c, void *arg)
{
    (void)c;
    return !program_running(arg);
}

/* The server's stdout and stderr hold no password, whatever the command
 * and its outcome. */
static void no_password_output(struct check *c)
{
    static const char *const passwords[] = {
        "Logged-Secret-1111",  "Wrong-Secret-2222", "Unknown-Secret-3333",
        "Changed-Secret-4444", "Taken-Secret-5555",
    };
    struct program *srv = start_login_server(c);
    struct peer *p = connect_to(c, srv);
    register_user(c, p, "olga", passwords[0]);
    login_refused(c, p, "olga", passwords[1], "That is not olga's password.");
    login_refused(c, p, "nobody_olga", passwords[2], "There is no such user.");
    expect_reply(c, p, "REGISTER olga Taken-Secret-5555", "ERR user exists", "olga is taken.");
    login_ok(c, p, "olga", passwords[0], NULL);
    expect_reply(c, p, "PASSWD Logged-Secret-1111 Changed-Secret-4444", "OK", NULL);
    /* Stopped, so that whatever it logs after its replies is there too. */
    signal_program(c, srv, SIGTERM);
    wait_until(c, program_ended, srv, 2000);
    search_output(c, srv, "server", passwords, COUNT_OF(passwords),
                  "A log is read by more people than the database, and kept longer: never "
                  "log a password, whatever the command and its outcome.");
}

/* Turns the client's terminal echo on, as a person's is: the grader's
 * terminals start without it, so that echo_off tells the client's doing. */
static void echo_as_a_persons_terminal(struct program *cl)
{
    struct termios t;
    if (tcgetattr(cl->pty, &t) == 0) {
        t.c_lflag |= ECHO;
        tcsetattr(cl->pty, TCSANOW, &t);
    }
}

/* Whether the client's terminal has stopped echoing what is typed. */
static bool echo_off(struct check *c, void *arg)
{
    (void)c;
    const struct program *p = arg;
    struct termios t;
    return tcgetattr(p->pty, &t) == 0 && (t.c_lflag & ECHO) == 0;
}

/* What the client did since a password was typed: SINCE is the length of
 * its stdout then. */
struct after_password {
    struct program *cl;
    size_t since;
};

/* Whether the client has taken the password typed last and moved on: it
 * turned echo back on, or printed something (its next prompt).  Until it
 * has, its echo is still off from that password's prompt, and a password
 * typed now would meet whatever state the next prompt sets. */
static bool moved_on(struct check *c, void *arg)
{
    const struct after_password *a = arg;
    return !echo_off(c, a->cl) || a->cl->out.len > a->since;
}

/* Types PASSWORD at the client's password prompt once its terminal has
 * stopped echoing, as a client's does before it reads a password (3 s at
 * most); after a password, only once the client has moved on from it
 * (AFTER, NULL before the first).  *QUIET says whether it did so far: once
 * it has not, the check waits no more (the client never turns echo off). */
static void type_password(struct check *c, struct program *cl, const char *password,
                          bool *quiet, struct after_password *after)
{
    if (*quiet && after != NULL && after->cl != NULL)
        wait_until(c, moved_on, after, 3000);
    /* Asleep (in its read of the password), the client changes its
     * terminal no more: what echo_off sees then holds when the line is
     * typed. */
    if (*quiet)
        wait_until_blocked(c, cl);
    if (*quiet && !wait_until(c, echo_off, cl, 3000)) {
        note(c, "the terminal still echoes 3 s after the prompt's input: the password is "
                "typed anyway");
        *quiet = false;
    }
    type_line(c, cl, password);
    if (after != NULL)
        *after = (struct after_password){ .cl = cl, .since = cl->out.len };
}

/* The client echoes no password typed at its prompts, and prints none:
 * its terminal echoes, as a person's does, until the client turns echo
 * off. */
static void client_hides_password(struct check *c)
{
    static const char *const passwords[] = {
        "Hidden-Wrong-7301",
        "Hidden-Right-7302",
        "Hidden-Newer-7303",
    };
    bool quiet = true;
    struct listener *l = listen_for_client(c);
    struct program *cl = start_client(c, listener_port(l), NULL);
    struct peer *p = accept_client(c, l, cl);
    echo_as_a_persons_terminal(cl);
    note(c, "the client's terminal now echoes what is typed, as a person's does");
    type_line(c, cl, "1");
    type_line(c, cl, "hide_user");
    type_password(c, cl, passwords[0], &quiet, NULL);
    expect_line(c, p, "LOGIN hide_user Hidden-Wrong-7301");
    send_text(c, p, "ERR invalid credentials\n");
    type_line(c, cl, "2");
    type_line(c, cl, "hide_user");
    type_password(c, cl, passwords[1], &quiet, NULL);
    expect_line(c, p, "REGISTER hide_user Hidden-Right-7302");
    send_text(c, p, "OK registered\n");
    type_line(c, cl, "1");
    type_line(c, cl, "hide_user");
    type_password(c, cl, passwords[1], &quiet, NULL);
    expect_line(c, p, "LOGIN hide_user Hidden-Right-7302");
    send_text(c, p, "OK welcome hide_user\n");
    expect_output_line(c, cl, "OK welcome hide_user");
    type_line(c, cl, "2");
    struct after_password after = { 0 };
    type_password(c, cl, passwords[1], &quiet, &after);
    type_password(c, cl, passwords[2], &quiet, &after);
    expect_line(c, p, "PASSWD Hidden-Right-7302 Hidden-Newer-7303");
    send_text(c, p, "OK\n");
    type_line(c, cl, "3");
    expect_line(c, p, "QUIT");
    send_text(c, p, "OK bye\n");
    expect_exit(c, cl, 0);
    search_output(
        c, cl, "client", passwords, COUNT_OF(passwords),
        quiet ? "The terminal's echo was off when it was typed: the client printed it "
                "itself.  Never print a password."
              : "The terminal's echo was still on when it was typed: turn echo off while "
                "the password is read (tcgetattr, clear ECHO in c_lflag, tcsetattr "
                "TCSANOW, read, restore), as anyone behind the user's back can read the "
                "screen.");
}

/* ---- Timing ------------------------------------------------------------------- */

#define TIMING_PAIRS 15    /* pairs of LOGIN timed, at most */
#define TIMING_MIN_PAIRS 6 /* fewer: the server is too slow to judge */

/* How long LOGIN NAME PASSWORD takes, in microseconds, from the send to
 * the reply, which must be a refusal. */
static int64_t timed_refusal(struct check *c, struct peer *p, const char *name,
                             const char *password)
{
    char command[128];
    snprintf(command, sizeof command, "LOGIN %s %s", name, password);
    int64_t start = now_us();
    char *got = ask(c, p, command);
    int64_t took = now_us() - start;
    char sent[SHOWN_SIZE], reply[SHOWN_SIZE];
    if (!starts_with(got, "ERR "))
        fail(c, "sent %s: expected \"ERR invalid credentials\", got %s.",
             escape_text(sent, sizeof sent, command), escape_text(reply, sizeof reply, got));
    free(got);
    return took;
}

static int compare_times(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t median(const int64_t *times, int n)
{
    int64_t sorted[TIMING_PAIRS];
    memcpy(sorted, times, (size_t)n * sizeof *times);
    qsort(sorted, (size_t)n, sizeof *sorted, compare_times);
    return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/*
 * Whether FAST is faster than SLOW by far and consistently: its median a
 * third of SLOW's or less and 1 ms shorter at least, and in 3 pairs of 4
 * at least, FAST under half of SLOW.  A server that hashes for both kinds
 * gives medians within a few percent; load adds noise to single samples
 * of both kinds alike (they are interleaved), never such a gap.
 */
static bool consistently_faster(const int64_t *fast, const int64_t *slow, int n)
{
    int64_t mf = median(fast, n), ms = median(slow, n);
    int pairs = 0;
    for (int i = 0; i < n; i++)
        pairs += fast[i] * 2 < slow[i];
    return mf * 3 <= ms && ms - mf >= 1000 && pairs * 4 >= n * 3;
}

/* An unknown name and a wrong password take about the same time. */
static void login_timing(struct check *c)
{
    int64_t known[TIMING_PAIRS], unknown[TIMING_PAIRS];
    struct program *srv = start_login_server(c);
    struct peer *p = connect_to(c, srv);
    register_user(c, p, "tara", "Taras-Password-7");
    /* Not counted: the first of each kind may read the disk. */
    timed_refusal(c, p, "tara", "Wrong-Password-0");
    timed_refusal(c, p, "nobody_00", "Wrong-Password-0");
    int n = 0;
    for (; n < TIMING_PAIRS && time_left_ms(c) > 3000; n++) {
        char name[32], password[32];
        snprintf(name, sizeof name, "nobody_%02d", n + 1);
        snprintf(password, sizeof password, "Wrong-Password-%d", n + 1);
        /* Interleaved, each kind first in turn: a drift in the machine's
         * load weighs on both alike. */
        if (n % 2 == 0) {
            known[n] = timed_refusal(c, p, "tara", password);
            unknown[n] = timed_refusal(c, p, name, password);
        } else {
            unknown[n] = timed_refusal(c, p, name, password);
            known[n] = timed_refusal(c, p, "tara", password);
        }
    }
    if (n < TIMING_MIN_PAIRS)
        not_testable(c,
                     "only %d pairs of LOGIN could be timed within the time limit: too "
                     "few to compare",
                     n);
    double mk = (double)median(known, n) / 1000, mu = (double)median(unknown, n) / 1000;
    note(c, "medians of %d pairs: a wrong password %.2f ms, an unknown name %.2f ms", n, mk,
         mu);
    if (consistently_faster(unknown, known, n))
        fail(c,
             "sent %d pairs of LOGIN, interleaved: tara with a wrong password took %.2f ms "
             "(median), an unknown name %.2f ms.  The replies are the same bytes, and the "
             "clock still tells which names exist: check an unknown name's password against "
             "a dummy hash made at startup, so that both do the same slow work.",
             n, mk, mu);
    if (consistently_faster(known, unknown, n))
        fail(c,
             "sent %d pairs of LOGIN, interleaved: tara with a wrong password took %.2f ms "
             "(median), an unknown name %.2f ms.  An unknown name must cost what a known "
             "one does: make the dummy hash with the same method and cost as the users'.",
             n, mk, mu);
}

/* ---- Lengths at their bounds --------------------------------------------------- */

/* A string of LEN characters (at most 200) of PATTERN, repeated. */
static const char *repeated(char *out, const char *pattern, size_t len)
{
    size_t k = strlen(pattern);
    for (size_t i = 0; i < len; i++)
        out[i] = pattern[i % k];
    out[len] = '\0';
    return out;
}

/* Names of 1 and 32 characters and passwords of 8 and 128 register and
 * log in; one more, or one less, is refused; names differ by case. */
static void length_limits(struct check *c)
{
    char name32[40], name33[40], pw128[200], pw129[200], command[512];
    repeated(name32, "abcdefghijklmnopqrstuvwxyz012345", 32);
    repeated(name33, "abcdefghijklmnopqrstuvwxyz0123456", 33);
    repeated(pw128, "Pw!%'0123456789", 128);
    repeated(pw129, "Pw!%'0123456789", 129);
    struct program *srv = start_login_server(c);
    struct peer *p = connect_to(c, srv);
    snprintf(command, sizeof command, "REGISTER %s Long-Name-Pass-1", name32);
    expect_reply(c, p, command, "OK registered",
                 "A name has 1 to 32 characters: this one "
                 "has 32.");
    login_ok(c, p, name32, "Long-Name-Pass-1",
             "A name has 1 to 32 characters: this one "
             "has 32.");
    snprintf(command, sizeof command, "REGISTER %s Long-Name-Pass-1", name33);
    expect_reply(c, p, command, "ERR invalid name",
                 "A name has 1 to 32 characters: this one "
                 "has 33.");
    snprintf(command, sizeof command, "LOGIN %s Long-Name-Pass-1", name33);
    expect_reply(c, p, command, "ERR invalid credentials",
                 "A LOGIN with a name that breaks "
                 "the rules gets the same reply as any other failed LOGIN.");
    expect_reply(c, p, "REGISTER z Single-Letter-1", "OK registered",
                 "A name of one "
                 "character is a name.");
    login_ok(c, p, "z", "Single-Letter-1", "A name of one character is a name.");
    snprintf(command, sizeof command, "REGISTER pw_max %s", pw128);
    expect_reply(c, p, command, "OK registered",
                 "A password has 8 to 128 characters: this "
                 "one has 128.");
    login_ok(c, p, "pw_max", pw128, "A password has 8 to 128 characters: this one has 128.");
    snprintf(command, sizeof command, "REGISTER pw_over %s", pw129);
    expect_reply(c, p, command, "ERR invalid password",
                 "A password has 8 to 128 "
                 "characters: this one has 129.");
    snprintf(command, sizeof command, "LOGIN pw_max %s", pw129);
    expect_reply(c, p, command, "ERR invalid credentials",
                 "That is not pw_max's password "
                 "(one character longer), and breaks the rules.");
    expect_reply(c, p, "REGISTER pw_min Eight-8!", "OK registered",
                 "A password has 8 to "
                 "128 characters: this one has 8.");
    login_ok(c, p, "pw_min", "Eight-8!",
             "A password has 8 to 128 characters: this one "
             "has 8.");
    expect_reply(c, p, "REGISTER pw_under Seven-7", "ERR invalid password",
                 "A password has "
                 "8 to 128 characters: this one has 7.");
    register_user(c, p, "Casey", "Upper-Case-Pass-1");
    register_user(c, p, "casey", "Lower-Case-Pass-2");
    login_refused(c, p, "casey", "Upper-Case-Pass-1",
                  "Names are compared exactly: casey "
                  "and Casey are two users, and that is Casey's password.");
    login_ok(c, p, "Casey", "Upper-Case-Pass-1", NULL);
}

/* Fails if P wrote anything on stderr: WHO says when (a clean end says
 * nothing there). */
static void expect_quiet_stderr(struct check *c, struct program *p, const char *who)
{
    const struct buf *err = program_stderr(p);
    if (err->len > 0) {
        struct buf shown_err = { 0 };
        buf_escape(&shown_err, err->data, err->len, 200);
        fail(c,
             "%s wrote on stderr: %s.  A clean end prints nothing there: stderr is for "
             "errors.",
             who, shown_err.data);
    }
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
    expect_quiet_stderr(c, first, "stopped by SIGTERM, the server");

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
        char reply[SHOWN_SIZE];
        if (strcmp(got, "OK registered") != 0)
            fail(c,
                 "%d clients sent REGISTER at once, each a new name; %s got %s instead of "
                 "\"OK registered\".  Every client is served at once, and every write "
                 "waits its turn: with a connection per thread, other threads write too, "
                 "so give every connection a busy timeout (sqlite3_busy_timeout) and use "
                 "WAL mode.",
                 WRITERS, names[i], escape_text(reply, sizeof reply, got));
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
        char reply[SHOWN_SIZE];
        if (strcmp(got, want) != 0)
            fail(c,
                 "%d clients registered at once and all got \"OK registered\"; then they "
                 "logged in at once, and %s got %s instead of \"%s\".",
                 WRITERS, names[i], escape_text(reply, sizeof reply, got), want);
        free(got);
    }
}

/* The replies of the crowd, taken as they come. */
struct crowd {
    struct peer **p;
    bool answered[CROWD], acked[CROWD];
    int nanswered, nacked;
    int want; /* acknowledgements to wait for */
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
        fail(c,
             "%d clients sent REGISTER at once, each a new name: only %d %s came "
             "within %lld ms.",
             CROWD, w.nanswered, plural_of(w.nanswered, "reply", "replies"), (long long)wait);
    signal_program(c, first, SIGKILL);
    wait_exit(c, first);
    collect(c, &w); /* what came just before the end */
    note(c, "killed with %d registrations acknowledged, %d refused, %d under way", w.nacked,
         w.nanswered - w.nacked, CROWD - w.nanswered);
    if (w.nacked == 0)
        fail(c,
             "%d clients sent REGISTER at once, each a new name: %d %s came, and "
             "not one was \"OK registered\".",
             CROWD, w.nanswered, plural_of(w.nanswered, "reply", "replies"));

    struct program *second = start_login_server(c);
    struct peer *q = connect_to(c, second);
    for (int i = 0; i < CROWD; i++) {
        if (!w.acked[i])
            continue;
        char command[128], want[64];
        snprintf(command, sizeof command, "LOGIN %.31s %.31s", names[i], passwords[i]);
        snprintf(want, sizeof want, "OK welcome %.31s", names[i]);
        char *got = ask(c, q, command);
        char reply[SHOWN_SIZE];
        if (strcmp(got, want) != 0)
            fail(c,
                 "%s got \"OK registered\", then the server was killed (SIGKILL) with "
                 "%d registrations under way, and started again on the same file: sent "
                 "\"%s\", expected \"%s\", got %s.  The acknowledged registration was lost: "
                 "reply \"OK registered\" only once the INSERT has committed (no transaction "
                 "left open).",
                 names[i], CROWD - w.nanswered, command, want,
                 escape_text(reply, sizeof reply, got));
        free(got);
    }
}

/*
 * The server's own errors: its port taken, and a DBFILE it cannot open or
 * create (in a folder that does not exist).  Each gives one line on
 * stderr and status 1, before any client comes.
 */
static void server_errors(struct check *c)
{
    const char *db[] = { DBFILE };
    check_port_taken(c, false, db, 1);
    char port[16];
    snprintf(port, sizeof port, "%d", reserve_port(c));
    const char *args[] = { port, "no-such-folder/" DBFILE };
    note(c, "the server's DBFILE is no-such-folder/" DBFILE ", in a folder that does not "
            "exist: it cannot be opened or created");
    struct program *p = start_program_args(c, "server", args, 2);
    expect_one_error_line(c, p, 1, "started with a DBFILE that cannot be opened or created");
}

/* The replies the contract's table names for a malformed line. */
static const char unknown[] = "ERR unknown command";
static const char register_usage[] = "ERR usage: REGISTER name password";
static const char login_usage[] = "ERR usage: LOGIN name password";

/* Whether GOT is the reply the table names for the line (WANT), or the
 * other one it allows (ALSO); WANT NULL: any reply starting "ERR ". */
static bool err_as_named(const char *got, const char *want, const char *also)
{
    if (want == NULL)
        return starts_with(got, "ERR ");
    return strcmp(got, want) == 0 || (also != NULL && strcmp(got, also) == 0);
}

/*
 * Malformed lines get an ERR reply and the server goes on.  Where the
 * contract's table names the reply, it must be that one, byte for byte:
 * "ERR unknown command" for an empty line or a word that is no command,
 * "ERR usage: ..." for a known command with the wrong arguments.  A stray
 * space may be read either way, so either of the two is right for it.
 */
static void malformed_lines(struct check *c)
{
#define LINE(text) text, sizeof text - 1
    static const struct {
        const char *line;
        size_t len;
        const char *what, *want, *also;
    } bad[] = {
        { LINE(""), "an empty line", unknown, NULL },
        { LINE("REGISTER"), "REGISTER without arguments", register_usage, NULL },
        { LINE("REGISTER gina"), "REGISTER without a password", register_usage, NULL },
        { LINE("REGISTER gina Gina-Password-8 extra"), "REGISTER with a third argument",
          register_usage, NULL },
        { LINE("REGISTER  gina Gina-Password-8"), "two spaces after REGISTER", register_usage,
          unknown },
        { LINE(" REGISTER gina Gina-Password-8"), "a space before REGISTER", unknown,
          register_usage },
        { LINE("REGISTER gina Gina-Password-8 "), "a space at the end", register_usage,
          unknown },
        { LINE("REGISTER gi\0na Gina-Password-8"), "a NUL byte in the name", NULL, NULL },
        { LINE("register gina Gina-Password-8"), "the command in small letters", unknown,
          NULL },
        { LINE("LOGIN gina"), "LOGIN without a password", login_usage, NULL },
        { LINE("HELLO"), "an unknown command", unknown, NULL },
    };
#undef LINE
    struct program *srv = start_login_server(c);
    struct peer *p = connect_to(c, srv);
    for (size_t i = 0; i < COUNT_OF(bad); i++) {
        struct buf line = { 0 };
        buf_append(&line, bad[i].line, bad[i].len);
        buf_puts(&line, "\n");
        send_bytes(c, p, line.data, line.len);
        char what[128];
        snprintf(what, sizeof what, "the reply to %s", bad[i].what);
        char *got = read_line_from(c, p, what);
        if (!err_as_named(got, bad[i].want, bad[i].also)) {
            struct buf sent = { 0 }, expected = { 0 };
            char reply[SHOWN_SIZE];
            buf_escape(&sent, line.data, line.len, 200);
            if (bad[i].want == NULL)
                buf_puts(&expected, "a reply starting \"ERR \"");
            else
                buf_printf(&expected, "\"%s\"%s%s%s", bad[i].want, bad[i].also ? " or \"" : "",
                           bad[i].also ? bad[i].also : "", bad[i].also ? "\"" : "");
            fail(c,
                 "sent %s (%s): expected %s, got %s.  A line is the command and its "
                 "arguments separated by single spaces; anything else is refused, with "
                 "the reply the contract's table names for it.",
                 sent.data, bad[i].what, expected.data, escape_text(reply, sizeof reply, got));
        }
        free(got);
        buf_free(&line);
    }
    struct buf longline = { 0 };
    buf_puts(&longline, "REGISTER gina ");
    while (longline.len < 5000)
        buf_puts(&longline, "Long-Password-");
    buf_puts(&longline, "\n");
    send_bytes(c, p, longline.data, longline.len);
    char *got = read_line_from(c, p, "the reply to a line of 5000 bytes");
    char reply[SHOWN_SIZE];
    if (strcmp(got, "ERR line too long") != 0)
        fail(c,
             "sent a REGISTER line of %zu bytes (over the 4096 allowed): expected \"ERR "
             "line too long\", got %s.",
             longline.len - 1, escape_text(reply, sizeof reply, got));
    free(got);
    buf_free(&longline);
    register_user(c, p, "gina", "Gina-Password-8");
    login_ok(c, p, "gina", "Gina-Password-8",
             "After the malformed lines, the server must "
             "go on serving.");
    expect_reply(c, p, "WHOAMI\r", "OK gina", "A \"\\r\" before the \"\\n\" is tolerated.");
    expect_reply(c, p, "QUIT", "OK bye", NULL);
    expect_closed(c, p, "the end of the connection after \"OK bye\"");
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
    login_refused(c, p, "hank", "Wrong-Password-3", "That is not hank's password.");
    expect_reply(c, p, "WHOAMI", nli,
                 "hank was logged in, then a LOGIN failed: a LOGIN "
                 "first ends the connection's login, whatever its outcome.");
    login_ok(c, p, "hank", "Hanks-Password-3", NULL);
    login_refused(c, p, "nobody_hank", "Hanks-Password-3", "There is no such user.");
    expect_reply(c, p, "LOGOUT", nli,
                 "hank was logged in, then a LOGIN of an unknown name "
                 "failed: a LOGIN first ends the connection's login, whatever its outcome.");
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
    login_refused(c, q, "ivy", "Old-Password-1",
                  "ivy changed her password: the old one "
                  "no longer works.");
    login_ok(c, q, "ivy", "New-Password-2", "ivy changed her password to this one.");
}

/* ---- The client -------------------------------------------------------- */

/* Types a menu choice and the lines it asks for, then expects the command
 * the client should send. */
static void choose(struct check *c, struct program *cl, struct peer *p, const char *choice,
                   const char *first, const char *second, const char *command)
{
    /* At each prompt, as a person does: typing ahead has a check of its
     * own, client-type-ahead. */
    type_at_prompt(c, cl, choice);
    if (first != NULL)
        type_at_prompt(c, cl, first);
    if (second != NULL)
        type_at_prompt(c, cl, second);
    expect_line(c, p, command);
}

/* The bytes typed ahead (TYPED) that the client neither read nor still
 * has to read, although it waits at a password prompt: its tcsetattr
 * threw them away.  READ_BEFORE: bytes_read_by(cl) before they were
 * typed. */
static bool typed_ahead_flushed(struct program *cl, long long read_before, size_t typed)
{
    long long read_now = bytes_read_by(cl);
    return !cl->exited && echo_off(NULL, cl) && typed_unread(cl) == 0 && read_before >= 0 &&
           read_now >= 0 && read_now - read_before < (long long)typed;
}

/* A person may type ahead of the prompts: the choice, the name and the
 * password typed at once, before the menu is even read, all count. */
static void client_type_ahead(struct check *c)
{
    static const char typed[] = "2\nahead_user\nAhead-Pass-1234\n";
    static const char command[] = "REGISTER ahead_user Ahead-Pass-1234\n";
    struct listener *l = listen_for_client(c);
    struct program *cl = start_client(c, listener_port(l), NULL);
    struct peer *p = accept_client(c, l, cl);
    echo_as_a_persons_terminal(cl);
    note(c, "the client's terminal echoes, as a person's does; Registration, its name and "
            "its password are typed at once, ahead of the prompts");
    long long read_before = bytes_read_by(cl);
    type_text(c, cl, typed);
    size_t have = 0;
    if (bytes_as_expected(c, p, command, strlen(command), NULL, &have) < strlen(command)) {
        if (have == 0 && typed_ahead_flushed(cl, read_before, strlen(typed))) {
            diagnose(c, "type-ahead-flushed", HINT("The client, step by step"));
            explain(c, "The client waits at its password prompt with echo off, yet the "
                       "password was typed before it and is neither read nor waiting: setting "
                       "the terminal with TCSAFLUSH (as getpass does) threw it away.  Use "
                       "TCSANOW.");
        }
        expect_line(c, p, "REGISTER ahead_user Ahead-Pass-1234"); /* fails, saying why */
    }
    send_text(c, p, "OK registered\n");
    expect_output_line(c, cl, "OK registered");
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
    choose(c, cl, p, "2", "Menu-Pass-1234", "New-Menu-Pass-5",
           "PASSWD Menu-Pass-1234 "
           "New-Menu-Pass-5");
    send_text(c, p, "ERR invalid password (a reply of the grader's)\n");
    expect_output_line(c, cl, "ERR invalid password (a reply of the grader's)");
    choose(c, cl, p, "4", NULL, NULL, "LOGOUT");
    send_text(c, p, "OK\n");
    note(c, "logged out: the main menu again");
    choose(c, cl, p, "2", "second_user", "Second-Pass-99",
           "REGISTER second_user "
           "Second-Pass-99");
    send_text(c, p, "ERR user exists\n");
    expect_output_line(c, cl, "ERR user exists");
    choose(c, cl, p, "3", NULL, NULL, "QUIT");
    send_text(c, p, "OK bye\n");
    expect_exit(c, cl, 0);
    expect_quiet_stderr(c, cl, "ended by Exit, the client");
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
    type_at_prompt(c, cl, "2");
    type_at_prompt(c, cl, "lena");
    type_at_prompt(c, cl, "Lenas-Password-1");
    expect_output_line(c, cl, "OK registered");
    type_at_prompt(c, cl, "1");
    type_at_prompt(c, cl, "lena");
    type_at_prompt(c, cl, "Lenas-Password-1");
    expect_output_line(c, cl, "OK welcome lena");
    note(c, "the end of input at the logged-in menu: the client sends QUIT and ends");
    type_eof(c, cl);
    expect_exit(c, cl, 0);
}

/* The lab's concurrency check again, against the server built with
 * ThreadSanitizer: a crowd registers, then logs in, at once. */
static void no_data_race(struct check *c)
{
    start_thread_sanitizer(c);
    concurrent_registrations(c);
    expect_no_data_race(c);
}

static const struct check_def checks[] = {
    { "register-login", 2, 5000,
      "a registered user logs in; each connection has its own login", HINT("The contract"),
      register_login },
    { "duplicate-name", 1, 5000, "a taken name is refused and keeps its password",
      HINT("The contract"), duplicate_name },
    { "same-answer", 2, 5000, "a wrong password and an unknown user get the same reply",
      HINT("Pitfall: telling which users exist"), same_answer },
    { "injection", 2, 10000, "SQL injection payloads in names and passwords do nothing",
      HINT("Pitfall: SQL built with string formatting"), injection },
    { "no-plaintext", 2, 5000, "the database and its WAL hold no password in plain text",
      HINT("Pitfall: passwords in plaintext"), no_plaintext },
    { "hash-method", 2, 10000,
      "each password is stored as a salted slow hash of an accepted cost",
      HINT("Pitfall: passwords in plaintext"), hash_method },
    { "no-password-output", 1, 5000, "the server never writes a password on stdout or stderr",
      HINT("Pitfall: passwords in plaintext"), no_password_output },
    { "login-timing", 2, 10000,
      "an unknown name and a wrong password take about the same time",
      HINT("Pitfall: telling which users exist"), login_timing },
    { "length-limits", 1, 10000,
      "names of 1 to 32 and passwords of 8 to 128 characters, exactly", HINT("The contract"),
      length_limits },
    { "restart", 1, 10000, "SIGTERM stops the server with status 0; users survive a restart",
      HINT("The server, step by step"), restart },
    { "server-errors", 1, 5000,
      "a port in use and a DBFILE that cannot be opened each give one error line and status 1",
      HINT("The server, step by step"), server_errors },
    { "concurrent-registrations", 2, 10000,
      "12 clients register at once: all succeed, all log in", HINT("Pitfall: SQLITE_BUSY"),
      concurrent_registrations },
    { "no-data-race", 1, 15000,
      "built with ThreadSanitizer, the server shows no data race while a crowd registers",
      HINT("Pitfall: shared state without a lock"), no_data_race },
    { "durability", 2, 10000, "every acknowledged registration survives kill -9 of the server",
      HINT("Pitfall: acknowledging before the commit"), durability },
    { "malformed-lines", 1, 5000,
      "malformed and over-long lines get ERR and the server goes on",
      HINT("Pitfall: a line longer than the buffer"), malformed_lines },
    { "login-required", 1, 5000, "WHOAMI, PASSWD and LOGOUT are refused before a login",
      HINT("The contract"), login_required },
    { "passwd-and-logout", 1, 5000, "PASSWD checks the old password; LOGOUT ends the login",
      HINT("The contract"), passwd_and_logout },
    { "short-counts", 1, 5000, "both programs survive short reads and short writes",
      HINT("The server, step by step"), short_counts },
    { "client-menu", 2, 5000,
      "the client's menu sends the right commands and prints the replies",
      HINT("The client, step by step"), client_menu },
    { "client-hides-password", 1, 10000, "the client neither echoes nor prints a password",
      HINT("The client, step by step"), client_hides_password },
    { "client-type-ahead", 1, 5000,
      "the choice, name and password typed ahead of the prompts all count",
      HINT("The client, step by step"), client_type_ahead },
    { "client-refused", 1, 3000, "a refused connection gives one error line and exit status 1",
      HINT("The contract"), check_client_refused },
    { "bad-arguments", 1, 5000, "missing arguments or a bad PORT give usage and status 2",
      HINT("The contract"), bad_arguments },
    { "pair", 1, 5000, "the client and the server work together", HINT("The conversation"),
      pair },
};

LAB_CHECKS("login with a database", checks);
