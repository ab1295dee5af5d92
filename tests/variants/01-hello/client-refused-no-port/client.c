/*
 * Lab 01 - hello: the client.  Usage: client HOST PORT [MESSAGE]
 * Connects, sends MESSAGE and a newline, prints the reply line, exits,
 * with the raw calls: getaddrinfo, socket, connect, send, recv.
 */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_LINE 1024   /* room for a line, its "\n" and a NUL */
#define ERR_LEN  256

/* Only a decimal 1-65535: getaddrinfo would also take a service name. */
static bool
is_port(const char *s)
{
    char *end;
    long n = strtol(s, &end, 10);

    return isdigit((unsigned char)s[0]) && *end == '\0' && n >= 1 && n <= 65535;
}

/*
 * Connects to HOST PORT.  A name may have several addresses (localhost is
 * often both ::1 and 127.0.0.1) and the server may listen on only some of
 * them, so try each address getaddrinfo returns until one accepts.
 * Returns the socket, or -1 with a message in ERR.
 */
static int
connect_to(const char *host, const char *port, char err[ERR_LEN])
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res;
    int fd = -1;

    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, ERR_LEN, "look up %s: %s", host, gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd != -1 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        /* BUG: the message names the cause but not the endpoint: which
         * host and port could not be reached? */
        snprintf(err, ERR_LEN, "connect: %s", strerror(errno));
        if (fd != -1)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

/*
 * Reads one line into LINE, without its "\n" or "\r\n".  TCP is a byte
 * stream, not a series of messages: the line may come in many pieces, so
 * call recv until the '\n' arrives (or the server closes: take what came).
 * Returns the length, or -1 with errno set (EMSGSIZE: the line is too long).
 */
static ssize_t
recv_line(int fd, char line[MAX_LINE])
{
    size_t len = 0;
    char *nl = NULL;

    while (nl == NULL) {
        if (len == MAX_LINE - 1) {
            errno = EMSGSIZE;
            return -1;
        }
        ssize_t n = recv(fd, line + len, MAX_LINE - 1 - len, 0);
        if (n == -1)
            return -1;
        if (n == 0)
            break;
        nl = memchr(line + len, '\n', (size_t)n);
        len += (size_t)n;
    }
    if (nl != NULL)
        len = (size_t)(nl - line);
    if (len > 0 && line[len - 1] == '\r')
        len--;
    line[len] = '\0';
    return (ssize_t)len;
}

int
main(int argc, char *argv[])
{
    if ((argc != 3 && argc != 4) || !is_port(argv[2]) ||
        (argc == 4 && strlen(argv[3]) > MAX_LINE - 2)) {
        fprintf(stderr, "usage: client HOST PORT [MESSAGE of at most %d bytes]\n",
                MAX_LINE - 2);
        return 2;
    }
    const char *host = argv[1], *port = argv[2];
    char err[ERR_LEN], line[MAX_LINE];

    snprintf(line, sizeof line, "%s\n", argc == 4 ? argv[3] : "hello from the client");

    /* A server that leaves early must make send fail, not kill us. */
    signal(SIGPIPE, SIG_IGN);

    int fd = connect_to(host, port, err);
    if (fd == -1) {
        fprintf(stderr, "client: %s\n", err);
        return 1;
    }
    /* A blocking send of a short line sends all of it; lab 02 sends more. */
    if (send(fd, line, strlen(line), 0) == -1) {
        fprintf(stderr, "client: send to %s port %s: %s\n", host, port, strerror(errno));
        return 1;
    }
    if (recv_line(fd, line) == -1) {
        fprintf(stderr, "client: recv from %s port %s: %s\n", host, port, strerror(errno));
        return 1;
    }
    printf("%s\n", line);
    close(fd);
    return 0;
}
