/*
 * Lab 04 - threaded: the client.  Usage: client HOST PORT
 * Sends each line of stdin to the server as a command and prints every
 * line the server sends, as it arrives: the replies, and the MSG lines of
 * other clients, which come at any time, also while the user types
 * nothing.  So it never blocks on one input: poll() waits for the
 * keyboard and the socket at once.  After "GET name", the "OK <size>"
 * reply is followed by size raw bytes, saved in the file NAME here.
 * At the end of stdin it sends QUIT, half-closes, and exits 0 once the
 * server closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlab.h"
#include "protocol.h"

#define CHUNK 65536               /* bytes read per call */
#define MAX_SERVER_LINE (1 << 20) /* a server line longer than this is an error */
#define MAX_PENDING 256           /* commands sent and not yet answered */

/* Writes "client: WHAT: CAUSE" on stderr; returns -1. */
static int
complain(const char *what)
{
    fprintf(stderr, "client: %s: %s\n", what, strerror(errno));
    return -1;
}

/* Bytes read but not used yet, always with room for a NUL after them. */
struct inbuf {
    char *data;
    size_t len, cap;
};

static int
inbuf_add(struct inbuf *b, const char *data, size_t len)
{
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : CHUNK;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *bigger = realloc(b->data, cap);
        if (bigger == NULL)
            return complain("keep what was read");
        b->data = bigger;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

static void
inbuf_drop(struct inbuf *b, size_t n)
{
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

/*
 * The commands sent and not yet answered, oldest first.  The server
 * answers in order, one line each, so the next reply line belongs to the
 * oldest: it tells which replies announce a file.  MSG lines are no
 * replies.
 */
struct pending {
    char *get_name; /* for a GET: the name; else NULL */
};

struct session {
    int fd;
    struct inbuf from_server, from_user;
    struct pending pending[MAX_PENDING];
    size_t first, count; /* a ring of pending commands */
    /* The file being received after "OK <size>": */
    int receiving;
    int file; /* -1: the bytes are read and dropped */
    char *file_name;
    long long size, left;
};

/* Prints LEN bytes and a newline on stdout, as they are. */
static int
print_line(const char *line, size_t len)
{
    if (write_all(STDOUT_FILENO, line, len) == -1 || write_all(STDOUT_FILENO, "\n", 1) == -1)
        return complain("write to stdout");
    return 0;
}

/* Whether NAME may be created here: a plain file name, nothing that
 * leads to another folder. */
static int
plain_file_name(const char *name)
{
    return name[0] != '\0' && strchr(name, '/') == NULL && strcmp(name, ".") != 0 &&
           strcmp(name, "..") != 0;
}

/* The reply "OK <size>" to GET NAME: start receiving size bytes into the
 * file NAME (or drop them, if NAME cannot be saved). */
static void
start_file(struct session *s, char *name, long long size)
{
    s->receiving = 1;
    s->file_name = name;
    s->size = s->left = size;
    s->file = -1;
    if (!plain_file_name(name))
        fprintf(stderr, "client: not saving \"%s\": not a plain file name\n", name);
    else if ((s->file = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
        fprintf(stderr, "client: cannot save %s: %s\n", name, strerror(errno));
}

/* The last byte of the file has come: close it and say so. */
static int
end_file(struct session *s)
{
    int rc = 0;
    if (s->file != -1) {
        char line[NET_ERRLEN + 64];
        int n = snprintf(line, sizeof line, "saved %s (%lld bytes)", s->file_name, s->size);
        if (close(s->file) == -1)
            rc = complain("close the received file");
        else
            rc = print_line(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        s->file = -1;
    }
    free(s->file_name);
    s->file_name = NULL;
    s->receiving = 0;
    return rc;
}

/* One line from the server: print it; if it answers a GET with
 * "OK <size>", the bytes of the file follow. */
static int
server_line(struct session *s, char *line, size_t len)
{
    if (print_line(line, len) == -1)
        return -1;
    if (strncmp(line, "MSG ", 4) == 0 || s->count == 0)
        return 0; /* a broadcast, or nothing was asked */
    struct pending p = s->pending[s->first];
    s->first = (s->first + 1) % MAX_PENDING;
    s->count--;
    if (p.get_name == NULL)
        return 0;
    char *end;
    long long size = -1;
    if (strncmp(line, "OK ", 3) == 0) {
        errno = 0;
        size = strtoll(line + 3, &end, 10);
        if (errno != 0 || end == line + 3 || *end != '\0' || size < 0)
            size = -1;
    }
    if (size < 0) {
        free(p.get_name); /* ERR not found, forbidden... */
        return 0;
    }
    start_file(s, p.get_name, size);
    return s->left == 0 ? end_file(s) : 0;
}

/* Uses what came from the server: file bytes while a file is being
 * received, else complete lines. */
static int
from_server(struct session *s)
{
    struct inbuf *b = &s->from_server;
    for (;;) {
        if (s->receiving) {
            size_t n = (long long)b->len < s->left ? b->len : (size_t)s->left;
            if (n == 0)
                return 0;
            if (s->file != -1 && write_all(s->file, b->data, n) == -1)
                return complain("write the received file");
            inbuf_drop(b, n);
            s->left -= (long long)n;
            if (s->left == 0 && end_file(s) == -1)
                return -1;
            continue;
        }
        char *nl = memchr(b->data, '\n', b->len);
        if (nl == NULL) {
            if (b->len > MAX_SERVER_LINE) {
                fprintf(stderr, "client: the server sent a line of over %d bytes\n",
                        MAX_SERVER_LINE);
                return -1;
            }
            return 0;
        }
        size_t len = (size_t)(nl - b->data);
        *nl = '\0';
        if (len > 0 && b->data[len - 1] == '\r')
            b->data[--len] = '\0';
        int rc = server_line(s, b->data, len);
        inbuf_drop(b, (size_t)(nl - b->data) + 1);
        if (rc == -1)
            return -1;
    }
}

/* Sends one command typed by the user, and notes that a reply is owed. */
static int
send_command(struct session *s, const char *line, size_t len)
{
    if (s->count == MAX_PENDING) {
        fprintf(stderr, "client: %d commands wait for a reply; wait for them\n", MAX_PENDING);
        return 0;
    }
    /* Parsed as the server parses it: the reply to a GET is a file. */
    struct command cmd = parse_command(line, len);
    char *get_name = NULL;
    if (cmd.kind == CMD_GET && cmd.arglen > 0 &&
        (get_name = strndup(cmd.arg, cmd.arglen)) == NULL)
        return complain("strndup");
    if (send_all(s->fd, line, len) == -1 || send_all(s->fd, "\n", 1) == -1) {
        free(get_name);
        return complain("send to the server");
    }
    s->pending[(s->first + s->count) % MAX_PENDING].get_name = get_name;
    s->count++;
    return 0;
}

/* Sends every complete line the user typed; at END of input, also the
 * last one if it lacks its "\n". */
static int
from_user(struct session *s, int end)
{
    struct inbuf *b = &s->from_user;
    char *nl;
    while (b->len > 0 && ((nl = memchr(b->data, '\n', b->len)) != NULL || end)) {
        size_t len = nl ? (size_t)(nl - b->data) : b->len;
        size_t used = nl ? len + 1 : len;
        if (len > 0 && b->data[len - 1] == '\r')
            len--;
        b->data[len] = '\0'; /* over the '\r' or '\n', or in the spare byte */
        int rc = len > 0 ? send_command(s, b->data, len) : 0;
        inbuf_drop(b, used);
        if (rc == -1)
            return -1;
    }
    return 0;
}

/*
 * The conversation: poll waits for the keyboard and the server at once.
 * At the end of stdin: QUIT, then only the server is read, until it
 * closes.  Returns 0 when the server closed, -1 on an error.
 */
static int
converse(struct session *s)
{
    char chunk[CHUNK];
    int user_done = 0;

    for (;;) {
        struct pollfd fds[2] = {
            { .fd = s->fd, .events = POLLIN },
            { .fd = user_done ? -1 : STDIN_FILENO, .events = POLLIN },
        };
        if (poll(fds, 2, -1) == -1) {
            if (errno == EINTR)
                continue;
            return complain("poll");
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read_some(s->fd, chunk, sizeof chunk);
            if (n == -1)
                return complain("recv from the server");
            if (n == 0) {
                if (s->receiving) {
                    fprintf(stderr,
                            "client: the server closed the connection with "
                            "%lld bytes of %s still to come\n",
                            s->left, s->file_name);
                    return -1;
                }
                return 0;
            }
            if (inbuf_add(&s->from_server, chunk, (size_t)n) == -1 || from_server(s) == -1)
                return -1;
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read_some(STDIN_FILENO, chunk, sizeof chunk);
            if (n == -1)
                return complain("read stdin");
            if (n > 0 &&
                (inbuf_add(&s->from_user, chunk, (size_t)n) == -1 || from_user(s, 0) == -1))
                return -1;
            if (n == 0) {
                /* QUIT, and a half-close: nothing more comes from us, but
                 * what the server still sends (a file, say) is read. */
                user_done = 1;
                if (from_user(s, 1) == -1 || send_command(s, "QUIT", 4) == -1)
                    return -1;
                if (shutdown(s->fd, SHUT_WR) == -1)
                    return complain("shutdown");
            }
        }
    }
}

/* Closes and frees what the session holds.  The system would take it all
 * back at exit anyway; freeing it keeps valgrind's report to real leaks. */
static void
end_session(struct session *s)
{
    if (s->file != -1)
        close(s->file);
    close(s->fd);
    free(s->file_name);
    for (size_t i = 0; i < s->count; i++)
        free(s->pending[(s->first + i) % MAX_PENDING].get_name);
    free(s->from_server.data);
    free(s->from_user.data);
}

int
main(int argc, char *argv[])
{
    if (argc != 3 || parse_port(argv[2]) == -1) {
        fprintf(stderr, "usage: client HOST PORT\n");
        return 2;
    }
    char err[NET_ERRLEN];

    /* A server that vanishes must make send fail, not kill us. */
    signal(SIGPIPE, SIG_IGN);

    struct session s = { .file = -1 };
    s.fd = connect_tcp(argv[1], argv[2], err);
    if (s.fd == -1) {
        fprintf(stderr, "client: %s\n", err);
        return 1;
    }
    int rc = converse(&s);
    end_session(&s);
    return rc == 0 ? 0 : 1;
}
