/*
 * Lab 01 - hello: the client.  Usage: client HOST PORT [MESSAGE]
 * Connects, sends MESSAGE and a newline, prints the reply line, exits,
 * with the raw calls: getaddrinfo, socket, connect, send, recv.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
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
 * Connects to HOST PORT.
 * BUG: HOST goes through inet_pton(AF_INET), which takes only an IPv4
 * literal such as 127.0.0.1: a name like "localhost" (or an IPv6 address)
 * is rejected.  getaddrinfo resolves names and both address families.
 * Returns the socket, or -1 with a message in ERR.
 */
static int
connect_to(const char *host, const char *port, char err[ERR_LEN])
{
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons((uint16_t)atoi(port)) };

    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        snprintf(err, ERR_LEN, "%s: not a valid IPv4 address", host);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd == -1) {
        snprintf(err, ERR_LEN, "socket: %s", strerror(errno));
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
        snprintf(err, ERR_LEN, "connect to %s port %s: %s", host, port,
                 strerror(errno));
        close(fd);
        return -1;
    }
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
