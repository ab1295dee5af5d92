/*
 * Lab 02 - echo: the client.  Usage: client HOST PORT
 * Sends each line of stdin to the echo server and prints what comes back.
 * At the end of stdin it half-closes the connection, prints whatever the
 * server still sends, and exits when the server closes its side.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlab.h"

#define CHUNK 65536 /* bytes read per call */

/* Writes "WHAT: CAUSE" into ERR, CAUSE being errno in words; returns -1. */
static int
fail(char err[NET_ERRLEN], const char *what)
{
    snprintf(err, NET_ERRLEN, "%s: %s", what, strerror(errno));
    return -1;
}

/*
 * Prints the echo of a LEN-byte line.  TCP keeps the bytes, not the sizes
 * of our sends: the echo may come back in any number of pieces, so read
 * until all LEN bytes are back.
 * Returns 0, or -1 with a message in ERR.
 */
static int
print_echo(int fd, size_t len, char err[NET_ERRLEN])
{
    char buf[CHUNK];

    while (len > 0) {
        ssize_t n = read_some(fd, buf, len < sizeof buf ? len : sizeof buf);
        if (n == -1)
            return fail(err, "recv from the server");
        if (n == 0) {
            snprintf(err, NET_ERRLEN, "the server closed before echoing everything");
            return -1;
        }
        if (write_all(STDOUT_FILENO, buf, (size_t)n) == -1)
            return fail(err, "write to stdout");
        len -= (size_t)n;
    }
    return 0;
}

/*
 * Sends each line of stdin and prints its echo before reading the next
 * line, so each answer shows as soon as it is back.  getline grows its
 * buffer: lines of any length work.  The last line may lack its "\n".
 * (A line bigger than both sides' socket buffers, megabytes, would stall:
 * the server blocks sending the echo we are not reading yet.  Lab 03's
 * poll lets a program read and write at once.)
 * Returns 0 at the end of stdin, or -1 with a message in ERR.
 */
static int
echo_lines(int fd, char err[NET_ERRLEN])
{
    char *line = NULL;
    size_t size = 0;
    ssize_t len;
    int rc = 0;

    while (rc == 0 && (len = getline(&line, &size, stdin)) != -1) {
        if (send_all(fd, line, (size_t)len) == -1)
            rc = fail(err, "send to the server");
        else
            rc = print_echo(fd, (size_t)len, err);
    }
    if (rc == 0 && ferror(stdin))
        rc = fail(err, "read stdin");
    free(line);
    return rc;
}

/*
 * Half-closes: shutdown(SHUT_WR) tells the server we are done (its recv
 * returns 0) while we can still read, so nothing on its way back is lost,
 * as it could be with close().  Then prints what still arrives until the
 * server closes its side.
 * Returns 0, or -1 with a message in ERR.
 */
static int
finish(int fd, char err[NET_ERRLEN])
{
    char buf[CHUNK];
    ssize_t n;

    if (shutdown(fd, SHUT_WR) == -1)
        return fail(err, "shutdown");
    while ((n = read_some(fd, buf, sizeof buf)) > 0) {
        if (write_all(STDOUT_FILENO, buf, (size_t)n) == -1)
            return fail(err, "write to stdout");
    }
    return n == 0 ? 0 : fail(err, "recv from the server");
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

    int fd = connect_tcp(argv[1], argv[2], err);
    if (fd == -1) {
        fprintf(stderr, "client: %s\n", err);
        return 1;
    }
    int rc = echo_lines(fd, err);
    if (rc == 0)
        rc = finish(fd, err);
    if (rc == -1)
        fprintf(stderr, "client: %s\n", err);
    close(fd);
    return rc == 0 ? 0 : 1;
}
