/*
 * Lab 06 - login: the server.  Usage: server PORT DBFILE
 * Lab 04's server, a thread per client, with a new protocol (protocol.h:
 * REGISTER, LOGIN, WHOAMI, PASSWD, LOGOUT, QUIT) and one new idea: users
 * kept in a database, their passwords as slow hashes.  The thread
 * scaffolding that lab 04 wrote out (the accept loop, a detached thread
 * per client started with the stop signals blocked, at the stop every
 * connection shut down and every thread waited for) is the helper
 * library's serve_in_threads now, as lab 02's stop signals are its
 * catch_stop_signals.
 * The users live in the SQLite database DBFILE (created if missing):
 *   - each client thread opens a connection of its own (SQLite connections
 *     are not shared between threads here), with a busy timeout, since
 *     other threads write to the same file;
 *   - every statement is prepared once per connection and run with bound
 *     parameters: what a client sends is never part of SQL text;
 *   - the database is in WAL mode with synchronous=FULL: an "OK registered"
 *     is sent only once the INSERT has committed, and a commit is on disk
 *     (fsync) before sqlite3_step returns, so it survives a kill -9 of the
 *     server and a power cut alike.
 * Passwords are stored only as yescrypt hashes ("$y$", libxcrypt's
 * crypt_rn, a fresh random salt for each).  yescrypt costs about 15 ms and
 * 16 MiB per hash on purpose, which is what makes guessing slow for whoever
 * steals the file; so at most one hash per CPU runs at a time, and the
 * other threads wait for a slot.  "$6$" (SHA-512-crypt) would be ten times
 * faster, and ten times faster to attack: yescrypt keeps the grader's 30
 * concurrent registrations well under a second, so there is no reason to
 * give that up.
 * Stops on Ctrl-C or SIGTERM as lab 04's server does: no new clients,
 * every connection shut down, every thread waited for, status 0.
 */
#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netlab.h"
#include "protocol.h"

#define BUSY_TIMEOUT_MS 5000 /* longest wait for another writer */
#define HASH_PREFIX "$y$"    /* yescrypt */
#define MAX_REPLY 128

/* One connected client, and everything its thread alone uses: the login
 * belongs to the connection, not to the server. */
struct session {
    int fd;
    unsigned id;
    char addr[NET_ADDRLEN];
    sqlite3 *db; /* this thread's own connection */
    sqlite3_stmt *insert_user, *find_hash, *change_hash;
    struct crypt_data *crypt; /* 32 KiB: on the heap, not the stack */
    char user[MAX_NAME + 1];  /* logged in as; "" when not */
};

/* ---- Shared state: the hash slots, how many hashes may run at once,
 * under `hash_lock`.  (The list of clients is the library's.) */
static pthread_mutex_t hash_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hash_slot_free = PTHREAD_COND_INITIALIZER;
static int hash_slots;

/* Set once in main before any thread starts, then only read. */
static const char *db_path;
static char dummy_hash[CRYPT_OUTPUT_SIZE]; /* checked for unknown users */

static volatile sig_atomic_t stop_requested;

/* ---- Passwords ---------------------------------------------------------- */

/* Overwrites N bytes at P in a way the compiler may not skip: passwords
 * should not linger in memory longer than needed. */
static void
wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n-- > 0)
        *v++ = 0;
}

static void
take_hash_slot(void)
{
    pthread_mutex_lock(&hash_lock);
    while (hash_slots == 0)
        pthread_cond_wait(&hash_slot_free, &hash_lock);
    hash_slots--;
    pthread_mutex_unlock(&hash_lock);
}

static void
give_hash_slot(void)
{
    pthread_mutex_lock(&hash_lock);
    hash_slots++;
    pthread_cond_signal(&hash_slot_free);
    pthread_mutex_unlock(&hash_lock);
}

/* crypt_rn in a hash slot.  Returns the hash (in DATA), or NULL. */
static const char *
slow_hash(const char *password, const char *setting, struct crypt_data *data)
{
    take_hash_slot();
    const char *h = crypt_rn(password, setting, data, (int)sizeof *data);
    give_hash_slot();
    /* Failures give NULL, or a string starting with '*' (never a hash). */
    return h == NULL || h[0] == '*' ? NULL : h;
}

/* Hashes PASSWORD with a fresh random salt into OUT.  Returns 0, or -1. */
static int
hash_password(const char *password, struct crypt_data *data, char out[CRYPT_OUTPUT_SIZE])
{
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];

    /* NULL random bytes: libxcrypt reads them from the system.  Count 0:
     * the algorithm's recommended cost. */
    if (crypt_gensalt_rn(HASH_PREFIX, 0, NULL, 0, salt, sizeof salt) == NULL)
        return -1;
    const char *h = slow_hash(password, salt, data);
    if (h == NULL || strlen(h) >= CRYPT_OUTPUT_SIZE)
        return -1;
    strcpy(out, h);
    return 0;
}

/* Whether PASSWORD hashes to STORED (whose prefix holds the algorithm, its
 * cost and the salt).  The comparison takes the same time whatever bytes
 * differ, so its timing tells nothing about the right hash. */
static int
password_matches(const char *password, const char *stored, struct crypt_data *data)
{
    const char *h = slow_hash(password, stored, data);
    if (h == NULL)
        return 0;
    size_t len = strlen(stored);
    if (strlen(h) != len)
        return 0;
    unsigned char diff = 0;
    for (size_t i = 0; i < len; i++)
        diff |= (unsigned char)(h[i] ^ stored[i]);
    return diff == 0;
}

/* The hash that unknown users' passwords are checked against, so that a
 * LOGIN for a name that does not exist costs a hash too.  Returns 0, or -1. */
static int
make_dummy_hash(void)
{
    struct crypt_data *cd = calloc(1, sizeof *cd);
    int rc = cd != NULL ? hash_password("no-such-user-password", cd, dummy_hash) : -1;
    free(cd);
    return rc;
}

/* One hash per CPU at a time: more would only make each one slower, and
 * each needs 16 MiB while it runs. */
static int
cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* ---- The database ------------------------------------------------------- */

/* Runs SQL, a statement without parameters, to its end (rows ignored).
 * Returns an SQLite result code. */
static int
run_sql(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Opens a connection to the database for the calling thread alone
 * (NOMUTEX: SQLite need not lock it), with extended result codes, a busy
 * timeout and synchronous=FULL.  Returns it, or NULL with a message in ERR. */
static sqlite3 *
open_db(char err[NET_ERRLEN])
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(db_path, &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc == SQLITE_OK) {
        sqlite3_extended_result_codes(db, 1);
        rc = sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    }
    if (rc == SQLITE_OK)
        rc = run_sql(db, "PRAGMA synchronous=FULL");
    if (rc != SQLITE_OK) {
        snprintf(err, NET_ERRLEN, "open database %s: %s", db_path,
                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

/* Once, before any thread: WAL mode (a property of the file: it stays) and
 * the table.  Returns 0, or -1 with a message in ERR. */
static int
set_up_db(char err[NET_ERRLEN])
{
    sqlite3 *db = open_db(err);
    if (db == NULL)
        return -1;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        if (mode == NULL || strcmp(mode, "wal") != 0)
            printf("warning: %s stays in journal mode %s, not WAL\n", db_path,
                   mode ? mode : "?");
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_OK)
        rc = run_sql(db, "CREATE TABLE IF NOT EXISTS users ("
                         " name TEXT PRIMARY KEY NOT NULL,"
                         " hash TEXT NOT NULL)");
    if (rc != SQLITE_OK)
        snprintf(err, NET_ERRLEN, "set up database %s: %s", db_path, sqlite3_errmsg(db));
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

/* Opens the session's connection and prepares its statements: the SQL is
 * fixed text; names and hashes only ever go in through sqlite3_bind_*.
 * Returns 0, or -1 with a message in ERR. */
static int
open_session_db(struct session *s, char err[NET_ERRLEN])
{
    if ((s->db = open_db(err)) == NULL)
        return -1;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO users (name, hash) VALUES (?1, ?2)", -1,
                           &s->insert_user, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "SELECT hash FROM users WHERE name = ?1", -1, &s->find_hash,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "UPDATE users SET hash = ?1 WHERE name = ?2 AND hash = ?3",
                           -1, &s->change_hash, NULL) != SQLITE_OK) {
        snprintf(err, NET_ERRLEN, "prepare statements: %s", sqlite3_errmsg(s->db));
        return -1;
    }
    return 0;
}

static void
close_session_db(struct session *s)
{
    sqlite3_finalize(s->insert_user);
    sqlite3_finalize(s->find_hash);
    sqlite3_finalize(s->change_hash);
    sqlite3_close(s->db);
}

/* Binds TEXT to parameter I of ST (SQLITE_TRANSIENT: SQLite copies it). */
static int
bind_text(sqlite3_stmt *st, int i, const char *text)
{
    return sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT);
}

/* Ends a run of ST: ready for the next, no parameter kept. */
static void
done_with(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

enum found { FOUND, NOT_FOUND, DB_ERROR };

/* The stored hash of user NAME, into HASH. */
static enum found
find_hash(struct session *s, const char *name, char hash[CRYPT_OUTPUT_SIZE])
{
    enum found result = DB_ERROR;
    if (bind_text(s->find_hash, 1, name) == SQLITE_OK) {
        int rc = sqlite3_step(s->find_hash);
        if (rc == SQLITE_ROW) {
            const char *h = (const char *)sqlite3_column_text(s->find_hash, 0);
            if (h != NULL && strlen(h) < CRYPT_OUTPUT_SIZE) {
                strcpy(hash, h);
                result = FOUND;
            }
        } else if (rc == SQLITE_DONE) {
            result = NOT_FOUND;
        }
    }
    done_with(s->find_hash);
    return result;
}

/* Logs a database failure of the session; returns the reply to send. */
static const char *
db_failure(struct session *s, const char *what)
{
    printf("client %u: %s: %s (%d)\n", s->id, what, sqlite3_errmsg(s->db),
           sqlite3_extended_errcode(s->db));
    return "ERR server error";
}

/* ---- The commands ------------------------------------------------------- */

/* Copies an argument known to be valid (no NUL, short) into a C string. */
static void
copy_arg(char *to, const struct arg *a)
{
    memcpy(to, a->text, a->len);
    to[a->len] = '\0';
}

/*
 * REGISTER name password.  The INSERT runs in autocommit mode: when
 * sqlite3_step returns SQLITE_DONE the row is committed (and synced), and
 * only then is "OK registered" sent.  A taken name is found by the INSERT
 * itself (the primary key), not by a SELECT before it, which another
 * thread could make stale before the INSERT.
 */
static const char *
cmd_register(struct session *s, const struct command *cmd)
{
    const struct arg *name = &cmd->args[0], *password = &cmd->args[1];
    if (!valid_name(name->text, name->len))
        return "ERR invalid name";
    if (!valid_password(password->text, password->len))
        return "ERR invalid password";

    char user[MAX_NAME + 1], secret[MAX_PASSWORD + 1], hash[CRYPT_OUTPUT_SIZE];
    copy_arg(user, name);
    copy_arg(secret, password);
    int hashed = hash_password(secret, s->crypt, hash);
    wipe(secret, sizeof secret);
    if (hashed == -1) {
        printf("client %u: cannot hash a password: %s\n", s->id, strerror(errno));
        return "ERR server error";
    }

    const char *reply;
    int rc = bind_text(s->insert_user, 1, user);
    if (rc == SQLITE_OK)
        rc = bind_text(s->insert_user, 2, hash);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s->insert_user);
    if (rc == SQLITE_DONE) {
        printf("client %u registered %s\n", s->id, user);
        reply = "OK registered";
    } else if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
        reply = "ERR user exists";
    } else {
        reply = db_failure(s, "register");
    }
    done_with(s->insert_user);
    return reply;
}

/*
 * LOGIN name password.  A LOGIN first ends the session's login, whatever
 * its outcome.  An unknown user and a wrong password get the same reply,
 * and take the same time: for an unknown user the password is checked
 * against a dummy hash, so that no one can tell which names exist.
 */
static const char *
cmd_login(struct session *s, const struct command *cmd, char reply[MAX_REPLY])
{
    const struct arg *name = &cmd->args[0], *password = &cmd->args[1];
    s->user[0] = '\0';
    if (!valid_name(name->text, name->len) || !valid_password(password->text, password->len))
        return "ERR invalid credentials";

    char user[MAX_NAME + 1], secret[MAX_PASSWORD + 1], stored[CRYPT_OUTPUT_SIZE];
    copy_arg(user, name);
    copy_arg(secret, password);
    enum found f = find_hash(s, user, stored);
    if (f == DB_ERROR) {
        wipe(secret, sizeof secret);
        return db_failure(s, "login");
    }
    int ok = password_matches(secret, f == FOUND ? stored : dummy_hash, s->crypt);
    wipe(secret, sizeof secret);
    if (f != FOUND || !ok)
        return "ERR invalid credentials";
    strcpy(s->user, user);
    printf("client %u logged in as %s\n", s->id, user);
    snprintf(reply, MAX_REPLY, "OK welcome %s", user);
    return reply;
}

/*
 * PASSWD old new.  The UPDATE changes the hash only if it is still the one
 * the old password was checked against: two sessions changing the same
 * password at once cannot both win with a stale check.
 */
static const char *
cmd_passwd(struct session *s, const struct command *cmd)
{
    const struct arg *old = &cmd->args[0], *new = &cmd->args[1];
    if (!valid_password(new->text, new->len))
        return "ERR invalid password";
    if (!valid_password(old->text, old->len))
        return "ERR invalid credentials";

    char secret[MAX_PASSWORD + 1], stored[CRYPT_OUTPUT_SIZE], hash[CRYPT_OUTPUT_SIZE];
    enum found f = find_hash(s, s->user, stored);
    if (f == DB_ERROR)
        return db_failure(s, "passwd");
    copy_arg(secret, old);
    int ok = f == FOUND && password_matches(secret, stored, s->crypt);
    copy_arg(secret, new);
    int hashed = ok ? hash_password(secret, s->crypt, hash) : 0;
    wipe(secret, sizeof secret);
    if (!ok)
        return "ERR invalid credentials";
    if (hashed == -1)
        return "ERR server error";

    const char *reply;
    int rc = bind_text(s->change_hash, 1, hash);
    if (rc == SQLITE_OK)
        rc = bind_text(s->change_hash, 2, s->user);
    if (rc == SQLITE_OK)
        rc = bind_text(s->change_hash, 3, stored);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s->change_hash);
    if (rc != SQLITE_DONE)
        reply = db_failure(s, "passwd");
    else if (sqlite3_changes(s->db) != 1)
        reply = "ERR invalid credentials"; /* changed meanwhile */
    else
        reply = "OK";
    done_with(s->change_hash);
    if (strcmp(reply, "OK") == 0)
        printf("client %u changed the password of %s\n", s->id, s->user);
    return reply;
}

/* Sends TEXT and "\n".  Only this session's thread writes to its socket:
 * no send lock.  Returns 0, or -1 with errno set. */
static int
reply(struct session *s, const char *text)
{
    char line[MAX_REPLY + 2];
    int n = snprintf(line, sizeof line, "%s\n", text);
    return send_all(s->fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

enum outcome { GO_ON, QUIT, BROKEN };

/* Answers one command line.  QUIT after "OK bye"; BROKEN when the
 * connection failed. */
static enum outcome
handle(struct session *s, const char *line, size_t len)
{
    struct command cmd;
    char buf[MAX_REPLY];
    const char *answer = parse_command(line, len, &cmd);

    if (answer == NULL) {
        int needs_login = cmd.kind == CMD_WHOAMI || cmd.kind == CMD_PASSWD ||
                          cmd.kind == CMD_LOGOUT;
        if (needs_login && s->user[0] == '\0') {
            answer = "ERR not logged in";
        } else {
            switch (cmd.kind) {
            case CMD_REGISTER:
                answer = cmd_register(s, &cmd);
                break;
            case CMD_LOGIN:
                answer = cmd_login(s, &cmd, buf);
                break;
            case CMD_WHOAMI:
                snprintf(buf, sizeof buf, "OK %s", s->user);
                answer = buf;
                break;
            case CMD_PASSWD:
                answer = cmd_passwd(s, &cmd);
                break;
            case CMD_LOGOUT:
                s->user[0] = '\0';
                answer = "OK";
                break;
            case CMD_QUIT:
                return reply(s, "OK bye") == 0 ? QUIT : BROKEN;
            }
        }
    }
    return reply(s, answer) == 0 ? GO_ON : BROKEN;
}

/* ---- A client's thread -------------------------------------------------- */

/*
 * Reads command lines and answers them, one by one, until the client
 * leaves, QUITs, or the server shuts the connection down at the stop
 * (serve_in_threads).  A line too long is answered and skipped, as lab
 * 04's server does.  Returns NULL, or why the connection failed.
 */
static const char *
converse(struct session *s)
{
    struct line_reader r;
    if (line_reader_init(&r, s->fd, MAX_LINE) == -1)
        return strerror(errno);

    enum outcome o = GO_ON;
    while (o == GO_ON) {
        char *line;
        size_t len;
        int got = read_line(&r, &line, &len);
        if (got == 1) {
            o = handle(s, line, len);
            wipe(line, len); /* it may hold a password */
        } else if (got == -1 && errno == EMSGSIZE) {
            o = reply(s, "ERR line too long") == 0 ? GO_ON : BROKEN;
        } else {
            o = got == 0 ? QUIT : BROKEN;
        }
    }
    const char *why = o == BROKEN ? strerror(errno) : NULL;
    line_reader_free(&r);
    return why;
}

/*
 * The thread of one client (serve_in_threads calls it with the client's
 * socket and number, and closes the socket once it returns): opens its own
 * database connection, converses, then closes the statements and the
 * connection.
 */
static void
serve(int fd, unsigned id, void *arg)
{
    (void)arg;
    struct session session = { .fd = fd, .id = id }, *s = &session;
    char err[NET_ERRLEN];
    const char *why = err;

    peer_name(fd, s->addr, sizeof s->addr);
    printf("client %u connected from %s\n", s->id, s->addr);
    s->crypt = calloc(1, sizeof *s->crypt); /* zeroed, as crypt_rn needs */
    if (s->crypt == NULL)
        why = strerror(ENOMEM);
    else if (open_session_db(s, err) == 0)
        why = converse(s);
    printf("client %u disconnected%s%s\n", s->id, why != NULL ? ": " : "",
           why != NULL ? why : "");
    close_session_db(s);
    free(s->crypt);
}

int
main(int argc, char *argv[])
{
    if (argc != 3 || parse_port(argv[1]) == -1) {
        fprintf(stderr, "usage: server PORT DBFILE\n");
        return 2;
    }
    char err[NET_ERRLEN];

    db_path = argv[2];
    hash_slots = cpus();
    if (catch_stop_signals(&stop_requested) == -1) {
        fprintf(stderr, "server: sigaction: %s\n", strerror(errno));
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (set_up_db(err) == -1) {
        fprintf(stderr, "server: %s\n", err);
        return 1;
    }
    if (make_dummy_hash() == -1) {
        fprintf(stderr, "server: crypt %s: %s\n", HASH_PREFIX, strerror(errno));
        return 1;
    }

    int listener = listen_tcp(argv[1], err);
    if (listener == -1) {
        fprintf(stderr, "server: %s\n", err);
        return 1;
    }
    /* Lab 04's accept loop, its threads and its stop, now the library's. */
    if (serve_in_threads(listener, &stop_requested, serve, NULL) == -1) {
        fprintf(stderr, "server: accept: %s\n", strerror(errno));
        return 1;
    }
    close(listener);
    return 0;
}
