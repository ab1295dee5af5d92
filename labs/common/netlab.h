/*
 * netlab.h - the small socket helper library shared by every lab.
 *
 * Read this header before lab 02.  Lab 01 makes every socket call by hand;
 * from lab 02 on, the labs set up their sockets with these helpers (the same
 * getaddrinfo loops you wrote in lab 01) and keep the raw calls for what each
 * lab teaches: recv and shutdown in lab 02, poll in lab 03, and so on.
 *
 * Rules every function here follows:
 *   - Addresses go through getaddrinfo, so IPv4, IPv6 and host names all work.
 *   - Short counts and EINTR are retried inside: a caller never sees them.
 *   - On failure a function returns -1 with errno set; nothing here prints or
 *     exits.  Functions that take `err` also write a one-line message there
 *     (operation, endpoint, cause), ready for `fprintf(stderr, "%s\n", err)`.
 *     Deciding to exit is main's job.
 */
#ifndef NETLAB_H
#define NETLAB_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/* Size of the `err` buffers the functions below fill in. */
#define NET_ERRLEN 256

/*
 * The port number S spells: decimal digits only, from 1 to 65535.  Returns
 * it, or -1 with errno EINVAL.  Check a command line's PORT with it before
 * anything else: getaddrinfo also takes service names ("http") and quietly
 * wraps numbers past 65535.
 */
int parse_port(const char *s);

/*
 * Opens a TCP socket listening on PORT (a number or a service name) on every
 * local address.  It prefers one IPv6 socket that also accepts IPv4 clients
 * (dual stack) and falls back to IPv4 alone.  SO_REUSEADDR is set, so a
 * restarted server does not wait for old connections to time out.
 * Returns the listening descriptor, or -1 (errno set, message in err).
 */
int listen_tcp(const char *port, char err[NET_ERRLEN]);

/*
 * Connects to HOST (a name or an IPv4/IPv6 literal) on PORT, trying every
 * address getaddrinfo returns until one accepts.
 * Returns the connected descriptor, or -1 (errno set, message in err).
 */
int connect_tcp(const char *host, const char *port, char err[NET_ERRLEN]);

/*
 * Opens a UDP socket bound to PORT on every local address (dual stack when
 * possible), for a server that answers with recvfrom/sendto.
 * Returns the descriptor, or -1 (errno set, message in err).
 */
int bind_udp(const char *port, char err[NET_ERRLEN]);

/*
 * Opens a UDP socket connected to HOST PORT, so that plain send/recv work and
 * datagrams from any other sender are filtered out by the kernel.
 * Returns the descriptor, or -1 (errno set, message in err).
 */
int connect_udp(const char *host, const char *port, char err[NET_ERRLEN]);

/*
 * Sends all LEN bytes of BUF on socket FD, looping over short counts and
 * EINTR.  Uses MSG_NOSIGNAL, so a vanished peer gives EPIPE, not a signal.
 * Returns 0, or -1 with errno set (some bytes may have been sent).
 */
int send_all(int fd, const void *buf, size_t len);

/* Like send_all, for any descriptor (files, pipes, a terminal): uses write. */
int write_all(int fd, const void *buf, size_t len);

/*
 * Reads at most LEN bytes: whatever is available, at least one byte unless
 * the peer closed.  Retries EINTR.  Returns the count, 0 at end of stream,
 * or -1 with errno set.
 */
ssize_t read_some(int fd, void *buf, size_t len);

/*
 * Reads exactly LEN bytes unless the stream ends first, looping over short
 * counts and EINTR.  Returns the count (less than LEN only at end of
 * stream), or -1 with errno set.
 */
ssize_t read_full(int fd, void *buf, size_t len);

/*
 * A buffered line reader over one descriptor.  TCP delivers a byte stream,
 * not messages: one recv may hold half a line or three lines.  The reader
 * keeps what it has read past the current line for the next call.
 */
struct line_reader {
    int fd;
    char *buf;          /* holds up to max_line bytes plus a NUL */
    size_t max_line;    /* longest line accepted, without its '\n' */
    size_t start;       /* first unconsumed byte in buf */
    size_t end;         /* one past the last byte read into buf */
    int skipping;       /* discarding the rest of a too-long line */
    int eof;            /* the peer has closed */
};

/* Prepares R to read lines of at most MAX_LINE bytes from FD.
 * Returns 0, or -1 with errno ENOMEM. */
int line_reader_init(struct line_reader *r, int fd, size_t max_line);

/* Frees R's buffer; does not close its descriptor. */
void line_reader_free(struct line_reader *r);

/*
 * Reads the next line.  Returns 1 and sets *LINE and *LEN to the line
 * without its "\n" (nor a "\r" just before it; the line is NUL-terminated,
 * but may also contain NUL bytes, so trust *LEN).  *LINE stays valid until
 * the next call.  The last line of a stream may lack its "\n".
 * Returns 0 at end of stream, or -1 with errno set.  A line longer than
 * max_line gives -1 with errno EMSGSIZE; the rest of that line is skipped,
 * and the next call returns the line after it.
 */
int read_line(struct line_reader *r, char **line, size_t *len);

/*
 * Reads exactly LEN raw bytes through the reader: first the bytes it already
 * buffered past the last line, then from the descriptor.  For protocols that
 * announce a size on a line and then send that many bytes.
 * Returns the count (less than LEN only at end of stream), or -1 with errno.
 */
ssize_t read_full_buffered(struct line_reader *r, void *buf, size_t len);

/*
 * Writes the peer's address of connected socket FD into BUF as "ADDR:PORT"
 * ("[ADDR]:PORT" for IPv6; IPv4-mapped IPv6 addresses are shown as IPv4).
 * Returns BUF, which holds "?" when the address cannot be read.
 */
char *peer_name(int fd, char *buf, size_t len);

/* Room for peer_name's longest answer. */
#define NET_ADDRLEN 64

/*
 * Makes SIGINT and SIGTERM set *FLAG to 1, and ignores SIGPIPE: what lab 02
 * wrote out by hand with sigaction, for the servers and clients after it.
 * The handler is installed without SA_RESTART, so a blocked accept, recv or
 * poll fails with EINTR and the loop around it sees the flag; a vanished
 * peer gives a failed send (EPIPE), not a dead program.  One flag per
 * process: a later call replaces the earlier one.
 * Returns 0, or -1 with errno set.
 */
int catch_stop_signals(volatile sig_atomic_t *flag);

/*
 * A thread per client: lab 04's server loop, which it wrote out by hand,
 * for the servers after it.  Accepts clients on LISTENER until *STOP is
 * set (the flag of catch_stop_signals), and serves each in a detached
 * thread of its own, which calls SERVE(FD, NUMBER, ARG): FD the client's
 * socket, NUMBER 1 for the first client accepted, 2 for the next, and so
 * on (for the log).  SERVE must not close FD: the library closes it once
 * SERVE has returned.  The threads start with SIGINT and SIGTERM blocked,
 * so that those signals reach the caller and interrupt its accept.
 * A client whose thread cannot start is closed, and the loop goes on, as
 * it does when accept fails for one connection only.
 * At the stop it shuts down every connection still open (its thread's next
 * read returns 0, as if the client had left), waits until every SERVE has
 * returned, and returns 0.  Returns -1 with errno set when LISTENER itself
 * is unusable (EBADF, EINVAL, ENOTSOCK), after the same wait.
 */
int serve_in_threads(int listener, volatile sig_atomic_t *stop,
                     void (*serve)(int fd, unsigned number, void *arg), void *arg);

#endif
