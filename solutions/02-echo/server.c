/*
 * Lab 02 - echo: the server.  Usage: server PORT
 * Serves clients one after another, sending back every byte each one sends
 * until it closes, then takes the next.  Stops on Ctrl-C or SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlab.h"

#define CHUNK 65536 /* bytes echoed per recv */

static volatile sig_atomic_t stop_requested;

static void
request_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/*
 * SIGINT and SIGTERM only set a flag.  Without SA_RESTART they also make
 * a blocked accept or recv fail with EINTR, so the loops see the flag and
 * main closes the sockets and exits 0.  SIGPIPE is ignored: a client that
 * vanishes must give us a send error, not kill the server.  Written out
 * here, where the idea is taught; the later labs call catch_stop_signals
 * (netlab.h), which does the same.
 * Returns 0, or -1 with errno set.
 */
static int
catch_signals(void)
{
    struct sigaction sa = { .sa_handler = request_stop };

    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1)
        return -1;
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL);
}

/*
 * Sends back everything FD sends until it closes.  A stream has no message
 * boundaries: a recv may return part of a line or many lines, so echo the
 * bytes as they come and never look for lines.  recv, not read_some: that
 * one retries EINTR, and a stop signal must end the wait.
 * Returns 0 when the client closed, or -1 (errno set, or a stop request).
 */
static int
echo_until_closed(int fd)
{
    char buf[CHUNK];

    while (!stop_requested) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n == 0)
            return 0; /* the client closed its side */
        if (n == -1)
            return -1;
        /* send may take fewer bytes than asked: send_all loops. */
        if (send_all(fd, buf, (size_t)n) == -1)
            return -1;
    }
    return -1;
}

/* Serves one client and logs its arrival and departure. */
static void
serve(int fd)
{
    char peer[NET_ADDRLEN];

    peer_name(fd, peer, sizeof peer);
    printf("connection from %s\n", peer);
    if (echo_until_closed(fd) == 0)
        printf("%s disconnected\n", peer);
    else if (stop_requested)
        printf("%s disconnected: server stopping\n", peer);
    else
        printf("%s disconnected: %s\n", peer, strerror(errno));
}

int
main(int argc, char *argv[])
{
    if (argc != 2 || parse_port(argv[1]) == -1) {
        fprintf(stderr, "usage: server PORT\n");
        return 2;
    }
    char err[NET_ERRLEN];

    if (catch_signals() == -1) {
        fprintf(stderr, "server: sigaction: %s\n", strerror(errno));
        return 1;
    }
    /* Each log line must leave at once, even when stdout is a pipe. */
    setvbuf(stdout, NULL, _IOLBF, 0);

    int listener = listen_tcp(argv[1], err);
    if (listener == -1) {
        fprintf(stderr, "server: %s\n", err);
        return 1;
    }
    while (!stop_requested) {
        int client = accept(listener, NULL, NULL);
        if (client != -1) {
            serve(client);
            close(client);
        } else if (errno != EINTR) {
            printf("accept: %s\n", strerror(errno));
        }
    }
    close(listener);
    return 0;
}
