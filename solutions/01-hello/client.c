/*
 * Lab 01 - hello: the client.  Usage: client HOST PORT [MESSAGE]
 * Connects, sends MESSAGE and a newline, prints the reply until the server
 * closes, exits, with the raw calls: getaddrinfo, socket, connect, send,
 * recv.
 */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlab.h"

#define MAX_LINE 1024 /* room for a line, its "\n" and a NUL */
#define ERR_LEN 256

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
        snprintf(err, ERR_LEN, "connect to %s port %s: %s", host, port, strerror(errno));
        if (fd != -1)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

/*
 * Prints everything the server sends until it closes the connection.  TCP
 * is a byte stream, not a series of messages: the reply may come in many
 * pieces, so call recv until it returns 0, which means the server closed
 * and the whole reply is here.  (The server reads the other way: up to a
 * "\n", since the client does not close after its line.)
 * Returns 0, or -1 with errno set.
 */
static int
print_until_closed(int fd)
{
    char buf[512];
    ssize_t n;

    while ((n = recv(fd, buf, sizeof buf, 0)) > 0)
        fwrite(buf, 1, (size_t)n, stdout);
    return n == 0 ? 0 : -1;
}

int
main(int argc, char *argv[])
{
    if ((argc != 3 && argc != 4) || parse_port(argv[2]) == -1 ||
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
    /* send may take fewer bytes than asked, as recv may return fewer than
     * sent: send_all (netlab.h) loops until all are gone. */
    if (send_all(fd, line, strlen(line)) == -1) {
        fprintf(stderr, "client: send to %s port %s: %s\n", host, port, strerror(errno));
        return 1;
    }
    if (print_until_closed(fd) == -1) {
        fprintf(stderr, "client: recv from %s port %s: %s\n", host, port, strerror(errno));
        return 1;
    }
    close(fd);
    return 0;
}
