/*
 * hostile.h - the little that the hostile submissions share: each is a lab
 * program that attacks the grader in one way (see its folder's `expect`).
 * Self-contained on purpose: they are built with plain flags, whatever the
 * kit is built with, and need no helper library.
 */
#ifndef NETLAB_HOSTILE_H
#define NETLAB_HOSTILE_H

#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The port of `server PORT`; exits with status 2 on anything else. */
static inline int port_argument(int argc, char **argv)
{
    int port = argc == 2 ? atoi(argv[1]) : 0;
    if (port <= 0 || port > 65535) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        exit(2);
    }
    return port;
}

/* A socket bound to PORT on every IPv4 and IPv6 address; exits on error. */
static inline int bind_port(int port)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0), no = 0, yes = 1;
    struct sockaddr_in6 a = { .sin6_family = AF_INET6,
                              .sin6_port = htons((uint16_t)port),
                              .sin6_addr = in6addr_any };
    if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof no) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) < 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        perror("bind");
        exit(1);
    }
    return fd;
}

static inline int listen_on(int port)
{
    int fd = bind_port(port);
    if (listen(fd, 16) < 0) {
        perror("listen");
        exit(1);
    }
    return fd;
}

/* A client's connection to `client HOST PORT`: -1 if it failed; exits
 * with status 2 on other arguments. */
static inline int connect_argument(int argc, char **argv)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
    if (argc != 3 || getaddrinfo(argv[1], argv[2], &hints, &ai) != 0)
        exit(2);
    int fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

/* What the memory hogs hold: twice the grader's default memory limit. */
#define HOG_BYTES (2UL << 30)

/* Writes to every page of the LEN bytes at P, so that each is really
 * allocated (and charged to the program's memory cgroup). */
static inline void touch_pages(volatile char *p, size_t len)
{
    for (size_t i = 0; i < len; i += 4096)
        p[i] = 1;
}

/* Echoes one connection until its end; the honest part of some hostiles. */
static inline void echo_connection(int conn)
{
    char buf[4096];
    for (ssize_t n; (n = read(conn, buf, sizeof buf)) > 0;) {
        for (ssize_t sent = 0, k; sent < n; sent += k)
            if ((k = send(conn, buf + sent, (size_t)(n - sent), MSG_NOSIGNAL)) < 0)
                return;
    }
}

/* An echo server, one client at a time, forever. */
static inline _Noreturn void serve_echo(int listener)
{
    for (;;) {
        int conn = accept(listener, NULL, NULL);
        if (conn >= 0) {
            echo_connection(conn);
            close(conn);
        }
    }
}

#endif
