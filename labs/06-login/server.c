/*
 * Lab 06 - login: the server.  Usage: server PORT DBFILE
 *
 * Your task: register users and log them in, a thread per client, with
 * the line protocol of the handout (REGISTER, LOGIN, WHOAMI, PASSWD,
 * LOGOUT, QUIT); keep the users in the SQLite database DBFILE, every
 * statement prepared with bound parameters; store each password only as a
 * salted slow hash (crypt_rn, "$y$"); answer "OK registered" only once the
 * row is committed; stop with status 0 on Ctrl-C and SIGTERM.
 * Read handouts/06-login.md first.  Checking the arguments is done for
 * you; the numbered TODOs walk you through the rest (TODO 5 is in
 * protocol.c).  `make` links this lab with -lsqlite3 -lcrypt (the file
 * `libs` says so) and -pthread.
 */
#include <stdio.h>
#include <stdlib.h>

#include "netlab.h"
#include "protocol.h"

/*
 * TODO 1. The state:
 *    - struct session { int fd; unsigned id; sqlite3 *db; three
 *      sqlite3_stmt *; struct crypt_data *crypt; char user[MAX_NAME + 1];
 *      } - one per client, its thread's alone (no list: the library's
 *      serve_in_threads keeps lab 04's list of clients, see TODO 9);
 *    - shared, at file scope: the hash slots, an int (how many hashes may
 *      start now, the number of CPUs), a mutex and a condition variable
 *      (or a sem_t).
 *
 * TODO 2. The database, once, in main: sqlite3_open_v2(DBFILE, &db,
 *    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
 *    NULL); sqlite3_extended_result_codes(db, 1);
 *    sqlite3_busy_timeout(db, 5000); then "PRAGMA journal_mode=WAL" and
 *    "CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY NOT NULL,
 *    hash TEXT NOT NULL)", each with sqlite3_prepare_v2 and sqlite3_step
 *    (no sqlite3_exec: this lab prepares everything).  Close it.  On
 *    failure one line on stderr ("server: open database DBFILE: cause",
 *    sqlite3_errmsg) and return 1.
 *
 * TODO 3. Passwords (#include <crypt.h>):
 *    - hash: crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof salt), then
 *      crypt_rn(password, salt, s->crypt, sizeof *s->crypt), with a hash
 *      slot taken around crypt_rn; NULL or a result starting with '*' is
 *      a failure;
 *    - check: crypt_rn(password, stored_hash, ...) in a slot, then compare
 *      the result with the stored hash in constant time (XOR every byte,
 *      OR the results: no early exit);
 *    - once in main: a dummy hash, that LOGIN checks unknown users'
 *      passwords against (same time, same answer as a wrong password).
 *
 * TODO 4. Each thread opens its own connection (as in TODO 2, plus
 *    "PRAGMA synchronous=FULL") and prepares its statements once:
 *      INSERT INTO users (name, hash) VALUES (?1, ?2)
 *      SELECT hash FROM users WHERE name = ?1
 *      UPDATE users SET hash = ?1 WHERE name = ?2 AND hash = ?3
 *    Run one: sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT) for
 *    each parameter, sqlite3_step, then sqlite3_reset and
 *    sqlite3_clear_bindings.  Never put a name or a password into SQL
 *    text.  At the end: sqlite3_finalize each, sqlite3_close.
 *
 * TODO 6. The commands (after parse_command of protocol.c):
 *    - REGISTER: valid_name, else "ERR invalid name"; valid_password, else
 *      "ERR invalid password"; hash; INSERT: SQLITE_DONE -> "OK registered"
 *      (committed: autocommit); SQLITE_CONSTRAINT_PRIMARYKEY or _UNIQUE ->
 *      "ERR user exists"; anything else: log it, "ERR server error";
 *    - LOGIN: forget the current login; SELECT the hash; check the
 *      password against it, or against the dummy hash for an unknown
 *      name; "OK welcome NAME", else "ERR invalid credentials" - the same
 *      for an unknown name and a wrong password;
 *    - WHOAMI, PASSWD, LOGOUT: "ERR not logged in" before a LOGIN;
 *      WHOAMI -> "OK NAME"; PASSWD old new: new valid, old checked, then
 *      the UPDATE (with the old hash in its WHERE) -> "OK"; LOGOUT -> "OK";
 *    - QUIT: "OK bye", then end the thread's loop.
 *
 * TODO 7. The thread function, as lab 04's, in the form serve_in_threads
 *    calls: void serve(int fd, unsigned number, void *arg).  Log "client N
 *    connected from ADDR:PORT" (peer_name); open the connection (TODO 4);
 *    a line_reader of MAX_LINE bytes; read_line in a loop: -1 with errno
 *    EMSGSIZE -> "ERR line too long" and go on; 0 or another -1 ends the
 *    loop.  Then log, finalize, close the database, free.  Not the
 *    socket: the library closes it once serve returns.
 */

int
main(int argc, char *argv[])
{
    if (argc != 3 || parse_port(argv[1]) == -1) {
        fprintf(stderr, "usage: server PORT DBFILE\n");
        return 2;
    }
    const char *port = argv[1], *dbfile = argv[2];

    /*
     * TODO 8. Signals as in lab 04, with the library's
     *    catch_stop_signals(&flag) (a static volatile sig_atomic_t flag);
     *    setvbuf(stdout, NULL, _IOLBF, 0); the database (TODO 2) and the
     *    dummy hash (TODO 3).
     *
     * TODO 9. listen_tcp(port, err); on -1 print "server: " and err on
     *    stderr and return 1.  Then lab 04's accept loop, its detached
     *    threads and its stop, from netlab.h:
     *    serve_in_threads(listener, &flag, serve, NULL).
     *
     * TODO 10. It returns once the flag is set, every client's connection
     *    shut down and every thread finished: close the listener; return 0.
     */
    (void)port;
    (void)dbfile;
    fprintf(stderr, "server: not implemented yet — see the TODOs in server.c\n");
    return 1;
}
