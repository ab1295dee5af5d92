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
 *   - EINTR is retried inside: a caller never sees it.  The names say what a
 *     call waits for: send_all, write_all, read_all and read_all_buffered
 *     loop over short counts until every byte has moved (or the stream has
 *     ended, for the reads); read_some returns what one read gave.
 *   - A function that can fail returns -1 with errno set (each one below
 *     says which values matter; peer_name, line_buffered and
 *     line_reader_free cannot fail); nothing here prints or exits.  Functions
 *     that take `err` also write a one-line message there (operation,
 *     endpoint, cause), ready for `fprintf(stderr, "%s\n", err)`; err may be
 *     NULL, for a caller that looks only at errno, and means nothing after
 *     a success.  Deciding to exit is main's job.
 *   - Nothing keeps state between calls (no static buffers), so any function
 *     may run in several threads at once, on different descriptors and
 *     readers.  One descriptor or reader used by two threads at once needs
 *     the caller's lock: two send_all calls on one socket may interleave
 *     their bytes.  The exception is catch_stop_signals: signal
 *     dispositions belong to the whole process.
 *
 * Resolving errors: listen_tcp, bind_udp, connect_tcp and connect_udp turn
 * getaddrinfo's failures into errno EINVAL (a port that is no number and no
 * known service), EADDRNOTAVAIL (no such host, or no address for it), EAGAIN
 * (the name server did not answer: try again later), ENOMEM, or the system
 * call's errno when the resolver itself failed; the message in err gives
 * getaddrinfo's own words.
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
 * Returns the listening descriptor, or -1 with errno EADDRINUSE (the port is
 * taken), EACCES (a port below 1024 without the right), a resolving error,
 * or another of socket, bind or listen; message in err (which may be NULL).
 */
int listen_tcp(const char *port, char err[NET_ERRLEN]);

/*
 * Connects to HOST (a name or an IPv4/IPv6 literal) on PORT, trying every
 * address getaddrinfo returns until one accepts.  A signal does not undo a
 * connect in progress: it waits for the outcome.
 * Returns the connected descriptor, or -1 with the last address's errno
 * (ECONNREFUSED: nobody listens there; ETIMEDOUT, ENETUNREACH, ...) or a
 * resolving error; message in err (which may be NULL).
 */
int connect_tcp(const char *host, const char *port, char err[NET_ERRLEN]);

/*
 * Opens a UDP socket bound to PORT on every local address (dual stack when
 * possible), for a server that answers with recvfrom/sendto.
 * Returns the descriptor, or -1 with errno as for listen_tcp (EADDRINUSE,
 * EACCES, a resolving error, ...); message in err (which may be NULL).
 */
int bind_udp(const char *port, char err[NET_ERRLEN]);

/*
 * Opens a UDP socket connected to HOST PORT, so that plain send/recv work and
 * datagrams from any other sender are filtered out by the kernel.  Nothing
 * is sent: an unreachable server shows later, as ECONNREFUSED from recv.
 * Returns the descriptor, or -1 with errno as for connect_tcp (a resolving
 * error, most likely); message in err (which may be NULL).
 */
int connect_udp(const char *host, const char *port, char err[NET_ERRLEN]);

/*
 * Sends all LEN bytes of BUF on socket FD, looping over short counts and
 * EINTR.  Uses MSG_NOSIGNAL, so a vanished peer gives EPIPE, not a signal.
 * Returns 0, or -1 with send's errno: EPIPE or ECONNRESET (the peer has
 * gone), EAGAIN (a send timeout or a non-blocking socket), ...  After -1,
 * some of the bytes may have been sent: how many is not known.
 */
int send_all(int fd, const void *buf, size_t len);

/*
 * Like send_all, for any descriptor (files, pipes, a terminal): uses write.
 * A pipe nobody reads gives EPIPE only where SIGPIPE is ignored
 * (catch_stop_signals does); otherwise the signal ends the process.
 */
int write_all(int fd, const void *buf, size_t len);

/*
 * Reads at most LEN bytes: whatever is available, at least one byte unless
 * the peer closed.  Retries EINTR.  Returns the count, 0 at end of stream,
 * or -1 with read's errno (ECONNRESET, EAGAIN for a receive timeout or a
 * non-blocking descriptor, EBADF, ...); BUF's contents are then undefined.
 */
ssize_t read_some(int fd, void *buf, size_t len);

/*
 * Reads exactly LEN bytes unless the stream ends first, looping over short
 * counts and EINTR.  Returns the count (less than LEN only at end of
 * stream), or -1 with errno as for read_some; after -1, BUF holds an unknown
 * part of what was read, which is lost.
 */
ssize_t read_all(int fd, void *buf, size_t len);

/*
 * A buffered line reader over one descriptor.  TCP delivers a byte stream,
 * not messages: one recv may hold half a line or three lines.  The reader
 * keeps what it has read past the current line for the next call.  The
 * fields are read_line's bookkeeping: to know whether a line is already
 * buffered, ask line_buffered rather than looking at them.
 */
struct line_reader {
    int fd;
    char *buf;       /* holds up to max_line bytes plus a NUL */
    size_t max_line; /* longest line accepted, without its '\n' */
    size_t start;    /* first unconsumed byte in buf */
    size_t end;      /* one past the last byte read into buf */
    int skipping;    /* discarding the rest of a too-long line */
    int eof;         /* the peer has closed */
};

/* Prepares R to read lines of at most MAX_LINE bytes from FD.
 * Returns 0, or -1 with errno ENOMEM; R's buffer is then NULL, so
 * line_reader_free(R) is still safe. */
int line_reader_init(struct line_reader *r, int fd, size_t max_line);

/* Frees R's buffer; does not close its descriptor.  Calling it twice, or
 * after a failed line_reader_init, is safe. */
void line_reader_free(struct line_reader *r);

/*
 * Reads the next line.  Returns 1 and sets *LINE and *LEN to the line
 * without its "\n" (nor a "\r" just before it; the line is NUL-terminated,
 * but may also contain NUL bytes, so trust *LEN).  *LINE stays valid until
 * the next call.  The last line of a stream may lack its "\n".
 * Returns 0 at end of stream, or -1 with errno set; *LINE and *LEN are then
 * left as they were.  A line longer than max_line gives -1 with errno
 * EMSGSIZE; the rest of that line is skipped, and the next call returns the
 * line after it.  Any other errno is read's (see read_some): the bytes
 * already buffered stay, so a call after EAGAIN goes on where it stopped.
 * One reader belongs to one thread at a time.
 */
int read_line(struct line_reader *r, char **line, size_t *len);

/*
 * Whether read_line(R) would return without reading R's descriptor: R holds
 * a whole line, or has reached the end of its stream.
 * A poll loop needs it.  One read may bring several lines; read_line hands
 * out the first and keeps the rest in R's buffer, where poll cannot see
 * them: poll knows only the descriptor, which has nothing more to say, and
 * would sleep with a line waiting.  So ask before each poll, and poll with
 * a timeout of 0 (only look) while a reader answers 1.
 * Returns 1 or 0; reads nothing, changes nothing, cannot fail.
 */
int line_buffered(const struct line_reader *r);

/*
 * Reads exactly LEN raw bytes through the reader: first the bytes it already
 * buffered past the last line, then from the descriptor.  For protocols that
 * announce a size on a line and then send that many bytes.
 * Returns the count (less than LEN only at end of stream), or -1 with errno
 * as for read_some (what was read is then lost, as with read_all).
 */
ssize_t read_all_buffered(struct line_reader *r, void *buf, size_t len);

/*
 * Writes the peer's address of connected socket FD into BUF as "ADDR:PORT"
 * ("[ADDR]:PORT" for IPv6; IPv4-mapped IPv6 addresses are shown as IPv4),
 * cut short to fit LEN bytes and NUL-terminated (nothing written if LEN is 0).
 * Returns BUF, which holds "?" when the address cannot be read (not a
 * socket, not connected, not IP).  Never fails, and leaves errno as it was,
 * so a caller may log errno after it.
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
 * process: a later call replaces the earlier one.  Call it from main before
 * starting threads.
 * Returns 0, or -1 with sigaction's errno (EINVAL; in practice it does not
 * fail).
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
