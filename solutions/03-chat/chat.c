/*
 * chat.c - the chat loop of lab 03, shared by the server and the client.
 *
 * A chat has two sources of lines, the keyboard and the peer, and either
 * may speak at any time.  Blocking on one of them (fgets, then recv, then
 * fgets...) makes the program deaf to the other: that is lock-step.  So the
 * loop sleeps in poll() on both descriptors at once and serves whichever is
 * ready.
 */
#include "chat.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * The longest line accepted in each direction.  The contract asks for
 * 64 KiB; a bigger buffer costs only memory.  A longer line is skipped
 * with a note on stderr, and the chat goes on.
 */
#define MAX_LINE (1024 * 1024)

/* What the loop does after handling one line. */
enum state { CHATTING, ENDED, FAILED };

/* Writes "WHAT: CAUSE" into ERR, CAUSE being errno in words. */
static enum state
fail(char err[NET_ERRLEN], const char *what)
{
    snprintf(err, NET_ERRLEN, "%s: %s", what, strerror(errno));
    return FAILED;
}

/* Sends stdout's buffer now: a line of the chat must show at once, and
 * stdout is fully buffered when it is not a terminal. */
static enum state
flush(enum state next, char err[NET_ERRLEN])
{
    return fflush(stdout) == EOF ? fail(err, "write to stdout") : next;
}

/* Only the line "bye" itself ends a chat: not "bye now", not "Bye". */
static int
is_bye(const char *line, size_t len)
{
    return len == 3 && memcmp(line, "bye", 3) == 0;
}

/* The peer has gone without a bye: a close, a reset, a failed send. */
static enum state
peer_left(char err[NET_ERRLEN])
{
    printf("peer left\n");
    return flush(ENDED, err);
}

/*
 * Reads one line from the peer and prints it as "peer: LINE".  The line
 * may hold NUL bytes: fwrite with its length, not printf("%s").
 * read_line may wait for the rest of a line the peer has begun; the peer
 * sends whole lines, so the rest is already on its way.
 */
static enum state
show_received_line(struct line_reader *peer, char err[NET_ERRLEN])
{
    char *line;
    size_t len;
    int rc = read_line(peer, &line, &len);

    if (rc == -1 && errno == EMSGSIZE) {
        fprintf(stderr, "chat: skipped a line of more than %d bytes from the peer\n",
                MAX_LINE);
        return CHATTING;
    }
    if (rc != 1) /* 0: the peer closed; -1: a reset, say */
        return peer_left(err);
    printf("peer: ");
    fwrite(line, 1, len, stdout);
    putchar('\n');
    return flush(is_bye(line, len) ? ENDED : CHATTING, err);
}

/*
 * Reads one line from the keyboard and sends it to the peer.  read_line
 * put a NUL where the line's "\n" was (netlab.h promises that byte):
 * putting a "\n" back sends line and newline in one piece.
 */
static enum state
send_typed_line(struct line_reader *keyboard, int sock, char err[NET_ERRLEN])
{
    char *line;
    size_t len;
    int rc = read_line(keyboard, &line, &len);

    if (rc == 0)
        return ENDED; /* Ctrl-D: main's close tells the peer */
    if (rc == -1 && errno == EMSGSIZE) {
        fprintf(stderr, "chat: a line of more than %d bytes was not sent\n", MAX_LINE);
        return CHATTING;
    }
    if (rc == -1)
        return fail(err, "read stdin");
    line[len] = '\n';
    if (send_all(sock, line, len + 1) == -1)
        return peer_left(err); /* EPIPE or ECONNRESET: nobody to talk to */
    return is_bye(line, len) ? ENDED : CHATTING;
}

int
chat(int sock, const volatile sig_atomic_t *stop, char err[NET_ERRLEN])
{
    /*
     * The keyboard goes through a line reader too, not through stdio:
     * fgets and getline also read ahead into a buffer of their own, which
     * poll() cannot see, and line_buffered() can see into ours.
     */
    struct line_reader keyboard = { .buf = NULL }, peer = { .buf = NULL };
    struct pollfd fds[2] = {
        { .fd = STDIN_FILENO, .events = POLLIN },
        { .fd = sock, .events = POLLIN },
    };
    enum state state;
    char name[NET_ADDRLEN];

    if (line_reader_init(&keyboard, STDIN_FILENO, MAX_LINE) == -1 ||
        line_reader_init(&peer, sock, MAX_LINE) == -1) {
        state = fail(err, "line reader");
    } else {
        printf("connected to %s; type bye or Ctrl-D to leave\n",
               peer_name(sock, name, sizeof name));
        state = flush(CHATTING, err);
    }

    /* A stop signal makes poll fail with EINTR, and the loop test sees the
     * flag.  (One that comes between that test and poll waits for the next
     * event; ppoll closes that window, but it is not in POSIX 2008.) */
    while (state == CHATTING && !*stop) {
        /*
         * The crux of the loop.  One read() may bring several lines (three
         * typed into a pipe, three sent by the peer in one segment);
         * read_line returns the first and keeps the rest in its buffer,
         * where poll() cannot see them.  A line already in a reader must
         * not wait for poll, but the other source must still be looked
         * at: a timeout of 0 only looks.  Otherwise sleep until one of the
         * two has something.
         */
        int keyboard_ready = line_buffered(&keyboard);
        int peer_ready = line_buffered(&peer);
        int timeout = keyboard_ready || peer_ready ? 0 : -1;

        if (poll(fds, 2, timeout) == -1) {
            if (errno != EINTR) /* EINTR: a stop, or go round */
                state = fail(err, "poll");
            continue;
        }
        /* POLLHUP and POLLERR count as ready: read_line then reports the
         * end of the stream or the error. */
        keyboard_ready |= fds[0].revents != 0;
        peer_ready |= fds[1].revents != 0;

        /* One line from each at most per turn, so that neither side can
         * keep the other waiting. */
        if (peer_ready)
            state = show_received_line(&peer, err);
        if (state == CHATTING && keyboard_ready)
            state = send_typed_line(&keyboard, sock, err);
    }
    line_reader_free(&keyboard); /* a NULL buf is fine */
    line_reader_free(&peer);
    return state == FAILED ? -1 : 0;
}
