/*
 * Lab 01 - hello: the server.  Usage: server PORT
 * Waits for one client, prints the line it sends, answers and exits, with
 * the raw calls: getaddrinfo, socket, bind, listen, accept, recv, send.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlab.h"

#define MAX_LINE 1024 /* room for a line, its "\n" and a NUL */
#define ERR_LEN 256

static const char REPLY[] = "hello from the server\n";

/* Ctrl-C or kill: nothing to undo, the kernel closes our sockets.  _exit,
 * not exit: a signal handler may only make async-signal-safe calls. */
static void
stop(int sig)
{
    (void)sig;
    _exit(0);
}

/* Makes socket FD listen on AI's address.  Returns 0, or -1 (errno set). */
static int
bind_and_listen(int fd, const struct addrinfo *ai)
{
    int on = 1, off = 0;

    /* Lets a restarted server bind at once, while connections from its
     * previous run still linger in TIME_WAIT. */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1)
        return -1;
    /* An IPv6 socket on :: can take IPv4 clients too; ask for that, in
     * case the system makes IPv6 sockets IPv6-only by default. */
    if (ai->ai_family == AF_INET6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) == -1)
        return -1;
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1)
        return -1;
    return listen(fd, SOMAXCONN);
}

/* Opens a socket listening on PORT on every local address of FAMILY.
 * Returns it, or -1 with a message in ERR. */
static int
listen_on(int family, const char *port, char err[ERR_LEN])
{
    struct addrinfo hints = { .ai_family = family,
                              .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE };
    struct addrinfo *res;
    int fd = -1;

    int rc = getaddrinfo(NULL, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, ERR_LEN, "listen on port %s: %s", port, gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd != -1 && bind_and_listen(fd, ai) == 0)
            break;
        snprintf(err, ERR_LEN, "listen on port %s: %s", port, strerror(errno));
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
 * call recv until the '\n' arrives (or the client closes: take what came).
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
    if (argc != 2 || parse_port(argv[1]) == -1) {
        fprintf(stderr, "usage: server PORT\n");
        return 2;
    }
    char err[ERR_LEN], line[MAX_LINE];

    signal(SIGINT, stop);
    signal(SIGTERM, stop);
    /* A client that leaves early must make send fail, not kill us. */
    signal(SIGPIPE, SIG_IGN);

    /* Prefer one dual-stack IPv6 socket; fall back to IPv4 without IPv6. */
    int listener = listen_on(AF_INET6, argv[1], err);
    if (listener == -1)
        listener = listen_on(AF_INET, argv[1], err);
    if (listener == -1) {
        fprintf(stderr, "server: %s\n", err);
        return 1;
    }
    int client = accept(listener, NULL, NULL);
    if (client == -1) {
        fprintf(stderr, "server: accept: %s\n", strerror(errno));
        return 1;
    }
    /* One client only: stop listening, so the next ones are refused. */
    close(listener);

    if (recv_line(client, line) == -1) {
        fprintf(stderr, "server: recv: %s\n", strerror(errno));
        return 1;
    }
    printf("received: %s\n", line);
    fflush(stdout); /* the line must show now, even in a pipe */
    /* send may take fewer bytes than asked, as recv may return fewer than
     * sent: send_all (netlab.h) loops until all are gone. */
    if (send_all(client, REPLY, strlen(REPLY)) == -1) {
        fprintf(stderr, "server: send: %s\n", strerror(errno));
        return 1;
    }
    close(client);
    return 0;
}
