/*
 * Lab 04 - threaded: the server.  Usage: server PORT DIR
 * Serves many clients at once, a thread each, with a line protocol:
 * TIME, NICK name, SAY text, WHO, GET name (a file of DIR), QUIT.  What the
 * threads share (the list of clients, their nicks, the client counter) is
 * guarded by one mutex; each client's socket has a lock of its own, so that
 * the lines several threads send it never interleave.  Stops on Ctrl-C or
 * SIGTERM: no new clients, every client's connection shut down, every
 * thread waited for, status 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "netlab.h"
#include "protocol.h"

#define MAX_LINE 4096    /* longest command accepted, without its "\n" */
#define CHUNK 65536      /* bytes of a file read and sent at a time */
#define DELIVERY_MS 1000 /* the longest a MSG waits for a client that does not read */

/* One connected client.  The list links and the nick belong to the shared
 * state (under `lock`); fd, id and addr never change once it is listed. */
struct client {
    int fd;
    unsigned id;
    char addr[NET_ADDRLEN];
    char nick[MAX_NICK + 1];
    pthread_mutex_t send_lock; /* held for every write to fd */
    struct client *next;
};

/* ---- Shared state: everything below is read and written under `lock`. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_gone = PTHREAD_COND_INITIALIZER;
static struct client *clients; /* every connected client */
static unsigned next_id;       /* the number of the last client */
static int running;            /* client threads not yet finished */

/* Set once in main before any thread starts, then only read. */
static int dir_fd = -1; /* the folder GET serves files from */

/* Set by SIGINT and SIGTERM through catch_stop_signals (netlab.h), which
 * installs the handler without SA_RESTART: main's blocked accept then fails
 * with EINTR and main sees the flag.  It also ignores SIGPIPE, so a client
 * that vanishes gives a failed send, not a dead server. */
static volatile sig_atomic_t stop_requested;

/* ---- Sending ------------------------------------------------------------ */

/* Sends LEN bytes to CL as one piece: no other thread's line can land in
 * the middle.  Returns 0, or -1 with errno set. */
static int
send_locked(struct client *cl, const char *data, size_t len)
{
    pthread_mutex_lock(&cl->send_lock);
    int rc = send_all(cl->fd, data, len);
    pthread_mutex_unlock(&cl->send_lock);
    return rc;
}

/* The time MS milliseconds from now on CLOCK. */
static struct timespec
ms_from_now(clockid_t clock, int ms)
{
    struct timespec t;
    clock_gettime(clock, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000;
    if (t.tv_nsec >= 1000000000) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000;
    }
    return t;
}

/* Milliseconds from now until UNTIL (CLOCK_MONOTONIC), rounded up; 0 once
 * it has passed. */
static int
ms_until(const struct timespec *until)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long ms = (until->tv_sec - now.tv_sec) * 1000LL +
                   (until->tv_nsec - now.tv_nsec + 999999) / 1000000;
    return ms > 0 ? (int)ms : 0;
}

/*
 * Sends LEN bytes to FD, but waits for room in its socket's buffer only
 * until UNTIL (CLOCK_MONOTONIC).  Returns 0, or -1 with errno set:
 * ETIMEDOUT when the receiver took too long to read.
 */
static int
send_before(int fd, const char *data, size_t len, const struct timespec *until)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            data += n;
            len -= (size_t)n;
            continue;
        }
        if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        int ms = ms_until(until);
        if (ms == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        if (poll(&p, 1, ms) == -1 && errno != EINTR)
            return -1;
    }
    return 0;
}

/*
 * Hands a MSG to OTHER for SAY, which holds the list's lock: every other
 * client waits while we do.  So we wait at most DELIVERY_MS, for OTHER's
 * send lock and for room in its socket, never for as long as OTHER likes:
 * a client that stops reading must not stop everyone.  One too slow is
 * shut down; its own thread sees its connection end and cleans up.  A
 * client that is leaving (the send fails) is skipped: its thread cleans up.
 */
static void
deliver(struct client *other, const char *msg, size_t len)
{
    struct timespec lock_until = ms_from_now(CLOCK_REALTIME, DELIVERY_MS);
    struct timespec until = ms_from_now(CLOCK_MONOTONIC, DELIVERY_MS);
    bool too_slow = pthread_mutex_timedlock(&other->send_lock, &lock_until) != 0;
    if (!too_slow) {
        too_slow = send_before(other->fd, msg, len, &until) == -1 && errno == ETIMEDOUT;
        pthread_mutex_unlock(&other->send_lock);
    }
    if (too_slow) {
        printf("client %u reads nothing: disconnected\n", other->id);
        shutdown(other->fd, SHUT_RDWR);
    }
}

/* Sends TEXT and "\n" to CL.  Returns 0, or -1 with errno set. */
static int
reply(struct client *cl, const char *text)
{
    char line[MAX_LINE + 64];
    int n = snprintf(line, sizeof line, "%s\n", text);
    return send_locked(cl, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* ---- The commands ------------------------------------------------------- */

/* TIME: "OK 2026-11-20T22:41:07Z", the UTC time in ISO 8601. */
static int
cmd_time(struct client *cl)
{
    char line[64];
    time_t now = time(NULL);
    struct tm tm;

    if (gmtime_r(&now, &tm) == NULL ||
        strftime(line, sizeof line, "OK %Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return reply(cl, "ERR no clock");
    return reply(cl, line);
}

/* Whether a client other than CL has the nick NAME, in any case ("Alice"
 * and "alice" are one name to the people reading).  Under the lock. */
static bool
nick_taken(const struct client *cl, const char *name)
{
    for (const struct client *c = clients; c != NULL; c = c->next)
        if (c != cl && strcasecmp(c->nick, name) == 0)
            return true;
    return false;
}

/*
 * Whether NAME is "guest" and a number, in any case, and not CL's own
 * default nick.  Those names are kept for the defaults: a client that
 * took "guest7" would share it with client 7 when it connects.  CL's id
 * never changes once its thread runs, so no lock is needed.
 */
static bool
someone_elses_guest_nick(const struct client *cl, const char *name)
{
    char own[MAX_NICK + 1];

    if (strncasecmp(name, "guest", 5) != 0 || name[5] == '\0' ||
        name[5 + strspn(name + 5, "0123456789")] != '\0')
        return false;
    snprintf(own, sizeof own, "guest%u", cl->id);
    return strcasecmp(name, own) != 0;
}

/* NICK name: another thread may be reading the nick (WHO, SAY) or taking
 * the same name: look and change it in one hold of the lock. */
static int
cmd_nick(struct client *cl, const char *name, size_t len)
{
    if (!valid_nick(name, len))
        return reply(cl, "ERR invalid nick");
    char nick[MAX_NICK + 1];
    memcpy(nick, name, len);
    nick[len] = '\0';
    if (someone_elses_guest_nick(cl, nick))
        return reply(cl, "ERR nick taken");
    pthread_mutex_lock(&lock);
    bool taken = nick_taken(cl, nick);
    if (!taken)
        memcpy(cl->nick, nick, len + 1);
    pthread_mutex_unlock(&lock);
    return reply(cl, taken ? "ERR nick taken" : "OK");
}

/*
 * SAY text: "MSG <nick> <text>" to every other client, then "OK".  The list
 * stays locked while we send, so no client leaves (and closes its socket)
 * under our feet; each send takes that client's own send lock, since its
 * thread may be writing a reply at the same moment (deliver).
 */
static int
cmd_say(struct client *cl, const char *text, size_t len)
{
    char *msg = malloc(len + MAX_NICK + 8);
    if (msg == NULL)
        return reply(cl, "ERR out of memory");
    pthread_mutex_lock(&lock);
    int n = sprintf(msg, "MSG %s ", cl->nick);
    memcpy(msg + n, text, len);
    msg[(size_t)n + len] = '\n';
    for (struct client *other = clients; other != NULL; other = other->next)
        if (other != cl)
            deliver(other, msg, (size_t)n + len + 1);
    pthread_mutex_unlock(&lock);
    free(msg);
    return reply(cl, "OK");
}

/* WHO: "OK nick,nick,...", read under the lock. */
static int
cmd_who(struct client *cl)
{
    pthread_mutex_lock(&lock);
    size_t size = 4;
    for (struct client *c = clients; c != NULL; c = c->next)
        size += strlen(c->nick) + 1;
    char *line = malloc(size);
    if (line == NULL) {
        pthread_mutex_unlock(&lock);
        return reply(cl, "ERR out of memory");
    }
    size_t n = (size_t)sprintf(line, "OK ");
    for (struct client *c = clients; c != NULL; c = c->next)
        n += (size_t)sprintf(line + n, "%s%s", c->nick, c->next ? "," : "");
    line[n++] = '\n';
    pthread_mutex_unlock(&lock);
    int rc = send_locked(cl, line, n);
    free(line);
    return rc;
}

/*
 * GET name: "OK <size>" and exactly size bytes of DIR/name, streamed in
 * chunks (a file may be larger than memory).  The client's send lock is
 * held from the "OK" line to the last byte: a MSG from another thread in
 * the middle would corrupt the file.  Returns 0, or -1 when the
 * connection is no longer usable.
 */
static int
cmd_get(struct client *cl, const char *name, size_t len)
{
    if (!safe_name(name, len))
        return reply(cl, "ERR forbidden");
    /* O_NOFOLLOW: a symbolic link in DIR could lead out of it. */
    int fd = openat(dir_fd, len > 0 ? name : ".", O_RDONLY | O_NOFOLLOW);
    if (fd == -1)
        return reply(cl, errno == ELOOP ? "ERR forbidden" : "ERR not found");
    struct stat st;
    if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
        close(fd);
        return reply(cl, "ERR not found");
    }

    char chunk[CHUNK]; /* 64 KiB: a thread's stack has megabytes */
    char head[64];
    int n = snprintf(head, sizeof head, "OK %lld\n", (long long)st.st_size);
    int rc = 0;
    off_t left = st.st_size;

    pthread_mutex_lock(&cl->send_lock);
    if (send_all(cl->fd, head, (size_t)n) == -1)
        rc = -1;
    while (rc == 0 && left > 0) {
        ssize_t got = read_some(fd, chunk, left < CHUNK ? (size_t)left : sizeof chunk);
        if (got <= 0) {
            /* The file shrank or failed while we sent it: the size we
             * announced is a promise we cannot keep, so end the
             * connection rather than let the client misread the rest. */
            rc = -1;
            errno = got == 0 ? EIO : errno;
        } else if (send_all(cl->fd, chunk, (size_t)got) == -1) {
            rc = -1;
        } else {
            left -= got;
        }
    }
    pthread_mutex_unlock(&cl->send_lock);
    close(fd);
    return rc;
}

enum outcome { GO_ON, QUIT, BROKEN };

/* Answers one command line.  QUIT after "OK bye"; BROKEN when the
 * connection failed. */
static enum outcome
handle(struct client *cl, const char *line, size_t len)
{
    struct command cmd = parse_command(line, len);
    int rc;

    switch (cmd.kind) {
    case CMD_TIME:
        rc = cmd_time(cl);
        break;
    case CMD_NICK:
        rc = cmd_nick(cl, cmd.arg, cmd.arglen);
        break;
    case CMD_SAY:
        rc = cmd_say(cl, cmd.arg, cmd.arglen);
        break;
    case CMD_WHO:
        rc = cmd_who(cl);
        break;
    case CMD_GET:
        rc = cmd_get(cl, cmd.arg, cmd.arglen);
        break;
    case CMD_QUIT:
        return reply(cl, "OK bye") == 0 ? QUIT : BROKEN;
    default:
        rc = reply(cl, "ERR unknown command");
        break;
    }
    return rc == 0 ? GO_ON : BROKEN;
}

/* ---- A client's thread -------------------------------------------------- */

/* Takes CL off the list (under the lock): from then on no other thread
 * sends to it, and its socket may be closed. */
static void
unlist(struct client *cl)
{
    pthread_mutex_lock(&lock);
    for (struct client **p = &clients; *p != NULL; p = &(*p)->next) {
        if (*p == cl) {
            *p = cl->next;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
}

/*
 * The thread of one client: reads command lines until the client leaves,
 * QUITs, or the server shuts the connection down (shutdown makes read
 * return 0).  Then takes the client off the list, closes its socket, frees
 * it, and tells main one thread fewer is running.
 */
static void *
serve(void *arg)
{
    struct client *cl = arg;
    struct line_reader r;
    const char *why = NULL;

    printf("client %u connected from %s\n", cl->id, cl->addr);
    if (line_reader_init(&r, cl->fd, MAX_LINE) == -1) {
        why = strerror(errno);
    } else {
        for (;;) {
            char *line;
            size_t len;
            int got = read_line(&r, &line, &len);
            if (got == -1 && errno == EMSGSIZE) {
                if (reply(cl, "ERR line too long") == -1) {
                    why = strerror(errno);
                    break;
                }
                continue;
            }
            if (got == -1)
                why = strerror(errno);
            if (got <= 0)
                break;
            enum outcome o = handle(cl, line, len);
            if (o == BROKEN)
                why = strerror(errno);
            if (o != GO_ON)
                break;
        }
        line_reader_free(&r);
    }
    if (why != NULL)
        printf("client %u disconnected: %s\n", cl->id, why);
    else
        printf("client %u disconnected\n", cl->id);

    unlist(cl);
    close(cl->fd);
    pthread_mutex_destroy(&cl->send_lock);
    free(cl);

    pthread_mutex_lock(&lock);
    if (--running == 0)
        pthread_cond_broadcast(&all_gone);
    pthread_mutex_unlock(&lock);
    return NULL;
}

/*
 * Lists a new client and starts its thread, detached: nobody joins it, so
 * its resources go back to the system the moment it returns.  The thread
 * is created with SIGINT and SIGTERM blocked, so that those signals are
 * always delivered to main, whose accept they must interrupt.
 * Returns 0, or -1 with errno set (the client is then closed).
 */
static int
start_client_thread(int fd)
{
    struct client *cl = calloc(1, sizeof *cl);
    if (cl == NULL) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    cl->fd = fd;
    peer_name(fd, cl->addr, sizeof cl->addr);
    pthread_mutex_init(&cl->send_lock, NULL);

    pthread_mutex_lock(&lock);
    cl->id = ++next_id;
    snprintf(cl->nick, sizeof cl->nick, "guest%u", cl->id);
    cl->next = clients;
    clients = cl;
    running++;
    pthread_mutex_unlock(&lock);

    pthread_attr_t attr;
    pthread_t tid;
    sigset_t stops, old;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_sigmask(SIG_BLOCK, &stops, &old);
    int err = pthread_create(&tid, &attr, serve, cl);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (err == 0)
        return 0;

    unlist(cl);
    pthread_mutex_lock(&lock);
    running--;
    pthread_mutex_unlock(&lock);
    close(fd);
    pthread_mutex_destroy(&cl->send_lock);
    free(cl);
    errno = err;
    return -1;
}

/*
 * The end: shut down every client's connection (its thread's read returns
 * 0 at once, and it cleans up as for a client that left), then wait until
 * every thread has finished.  Under the lock, so no thread closes a socket
 * we are about to shut down.
 */
static void
stop_all_clients(void)
{
    pthread_mutex_lock(&lock);
    for (struct client *c = clients; c != NULL; c = c->next)
        shutdown(c->fd, SHUT_RDWR);
    while (running > 0)
        pthread_cond_wait(&all_gone, &lock);
    pthread_mutex_unlock(&lock);
}

int
main(int argc, char *argv[])
{
    if (argc != 3 || parse_port(argv[1]) == -1) {
        fprintf(stderr, "usage: server PORT DIR\n");
        return 2;
    }
    char err[NET_ERRLEN];

    dir_fd = open(argv[2], O_RDONLY | O_DIRECTORY);
    if (dir_fd == -1) {
        fprintf(stderr, "server: open folder %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    if (catch_stop_signals(&stop_requested) == -1) {
        fprintf(stderr, "server: sigaction: %s\n", strerror(errno));
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);

    int listener = listen_tcp(argv[1], err);
    if (listener == -1) {
        fprintf(stderr, "server: %s\n", err);
        return 1;
    }
    while (!stop_requested) {
        int fd = accept(listener, NULL, NULL);
        if (fd != -1) {
            if (start_client_thread(fd) == -1)
                printf("cannot serve a client: %s\n", strerror(errno));
        } else if (errno != EINTR) {
            printf("accept: %s\n", strerror(errno));
        }
    }
    close(listener);
    stop_all_clients();
    close(dir_fd);
    return 0;
}
