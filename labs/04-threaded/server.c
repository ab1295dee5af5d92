/*
 * Lab 04 - threaded: the server.  Usage: server PORT DIR
 *
 * Your task: serve many clients at once, one thread each, with the line
 * protocol of the handout (TIME, NICK, SAY, WHO, GET, QUIT); keep what the
 * threads share (the list of clients and their nicks, the client counter)
 * under a mutex; serve the files of DIR, and nothing outside it; stop with
 * status 0 on Ctrl-C and SIGTERM, after every thread has finished.
 * Read handouts/04-threaded.md first.  Checking the arguments is done for
 * you; the numbered TODOs walk you through the rest.  Compile with
 * `make`: the Makefile already links with -pthread.
 */
#include <stdio.h>
#include <stdlib.h>

#include "netlab.h"

/*
 * TODO 1. The shared state, at file scope:
 *    - struct client { int fd; unsigned id; char nick[33];
 *      pthread_mutex_t send_lock; struct client *next; } - one per
 *      connected client, in a linked list;
 *    - one pthread_mutex_t (PTHREAD_MUTEX_INITIALIZER) that guards the
 *      list, every nick, the client counter and the number of running
 *      threads: take it for every read and every write of those;
 *    - a pthread_cond_t that main waits on at shutdown until the number
 *      of running threads is 0.
 *
 * TODO 2. A reply helper: take the client's send_lock, send_all the line
 *    and its "\n", unlock.  Every write to a client goes through its
 *    send_lock: a SAY of another thread may be writing to it right now.
 *
 * TODO 3. The commands, one function each (line and length from
 *    read_line; the line may hold '\0', so trust the length):
 *    - TIME: gmtime_r(time(NULL)) and strftime "%Y-%m-%dT%H:%M:%SZ";
 *    - NICK name: 1-32 of [A-Za-z0-9_.-], else "ERR invalid nick";
 *      change the nick under the mutex;
 *    - SAY text: under the mutex, for every client but the sender, under
 *      ITS send_lock, send "MSG <nick> <text>\n"; then "OK" to the sender;
 *    - WHO: under the mutex, build "OK nick1,nick2,...";
 *    - GET name: "ERR forbidden" at once for a name with a '/', or "."
 *      or "..", before any open; open DIR/name (openat on a descriptor of
 *      DIR is neat), fstat it (a regular file?), else "ERR not found";
 *      then under the send_lock: "OK <size>\n" and the file in chunks of
 *      64 KiB (never the whole file in memory); close the file on EVERY
 *      path, errors included;
 *    - QUIT: "OK bye", then end the thread's loop;
 *    - anything else: "ERR unknown command".
 *
 * TODO 4. The thread function, void *serve(void *arg): log
 *    "client N connected from ADDR:PORT" (peer_name); a line_reader of
 *    4096 bytes on the socket; read_line in a loop: -1 with errno EMSGSIZE
 *    means "ERR line too long" and go on; 0 or another -1 ends the loop;
 *    a failed send ends it too.  Then log the disconnect, take the client
 *    off the list (under the mutex), close its socket, free it, and as the
 *    last thing, under the mutex, count one running thread less and
 *    signal the condition variable.
 */

int
main(int argc, char *argv[])
{
    if (argc != 3 || parse_port(argv[1]) == -1) {
        fprintf(stderr, "usage: server PORT DIR\n");
        return 2;
    }
    const char *port = argv[1], *dir = argv[2];

    /*
     * TODO 5. Open DIR (open with O_RDONLY | O_DIRECTORY); on failure one
     *    line on stderr ("server: open folder DIR: cause") and return 1.
     *
     * TODO 6. Signals: catch_stop_signals(&flag) (netlab.h), with a
     *    `static volatile sig_atomic_t` flag at file scope.  It does what
     *    your sigaction code of lab 02 did: SIGPIPE ignored; SIGINT and
     *    SIGTERM set the flag, without SA_RESTART.  On -1, one line on
     *    stderr and return 1.  setvbuf(stdout, NULL, _IOLBF, 0).
     *
     * TODO 7. listen_tcp(port, err); on -1 print "server: " and err on
     *    stderr and return 1.
     *
     * TODO 8. The accept loop, until the flag is set (EINTR: go round).
     *    For each client: allocate its struct client, and under the mutex
     *    give it the next number, the nick "guestN", put it on the list
     *    and count one more running thread.  Start its thread DETACHED
     *    (pthread_attr_setdetachstate): nobody joins it, so it frees its
     *    resources when it returns.  Block SIGINT and SIGTERM
     *    (pthread_sigmask) around pthread_create, so that the new thread
     *    inherits them blocked and those signals always reach main.
     *
     * TODO 9. After the loop: close the listening socket; under the mutex,
     *    shutdown(fd, SHUT_RDWR) every listed client (its thread's read
     *    returns 0 and the thread ends), then pthread_cond_wait until no
     *    thread runs; return 0.
     */
    (void)port;
    (void)dir;
    fprintf(stderr, "server: not implemented yet — see the TODOs in server.c\n");
    return 1;
}
