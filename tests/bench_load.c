/*
 * bench_load.c - lab 04's server under load, for make bench: CLIENTS
 * connections are opened and held, then each asks TIME at once, in
 * ROUNDS rounds; the reply latency of every request is measured from its
 * send to its reply line, and the median, 99th percentile and maximum are
 * reported.  A benchmark, not a test: it measures and reports.
 *
 * Usage: bench_load SERVER [CLIENTS [ROUNDS]]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A port nothing listens on now (the kernel's choice for port 0). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
        return -1;
    close(fd);
    return ntohs(sa.sin_port);
}

static int connect_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
        return fd;
    if (fd >= 0)
        close(fd);
    return -1;
}

static pid_t start_server(const char *server, int port, const char *dir)
{
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (freopen("/dev/null", "w", stdout) == NULL)
            _exit(127);
        execl(server, server, portstr, dir, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Connects once the server listens: retries with a short poll() pause. */
static int connect_when_ready(int port, pid_t server)
{
    for (int tries = 0; tries < 500; tries++) {
        int fd = connect_port(port);
        if (fd >= 0 || waitpid(server, NULL, WNOHANG) != 0)
            return fd;
        poll(NULL, 0, 2);
    }
    return -1;
}

static int compare(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* One round: every client sends TIME at once; latencies into LAT. */
static int round_trip(int *fds, int n, int64_t *lat)
{
    struct pollfd *pfd = calloc((size_t)n, sizeof *pfd);
    int64_t *sent = calloc((size_t)n, sizeof *sent);
    int pending = n;
    for (int i = 0; i < n; i++) {
        sent[i] = now_us();
        if (send(fds[i], "TIME\n", 5, MSG_NOSIGNAL) != 5)
            return -1;
        pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
    }
    while (pending > 0) {
        if (poll(pfd, (nfds_t)n, 10000) <= 0)
            return -1;
        for (int i = 0; i < n; i++) {
            if (!(pfd[i].revents & POLLIN))
                continue;
            char reply[256];
            ssize_t got = recv(fds[i], reply, sizeof reply, 0);
            if (got <= 0 || strncmp(reply, "OK ", 3) != 0)
                return -1;
            /* A reply line is a few bytes: it comes in one piece here. */
            lat[i] = now_us() - sent[i];
            pfd[i].fd = -1;
            pending--;
        }
    }
    free(pfd);
    free(sent);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: bench_load SERVER [CLIENTS [ROUNDS]]\n");
        return 2;
    }
    int clients = argc > 2 ? atoi(argv[2]) : 500;
    int rounds = argc > 3 ? atoi(argv[3]) : 5;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max; /* one descriptor per client, and more */
    setrlimit(RLIMIT_NOFILE, &rl);

    char dir[] = "/tmp/netlab-bench-XXXXXX";
    int port = free_port();
    if (mkdtemp(dir) == NULL || port < 0) {
        perror("bench_load: setup");
        return 1;
    }
    pid_t server = start_server(argv[1], port, dir);
    int *fds = calloc((size_t)clients, sizeof *fds);
    int64_t *lat = calloc((size_t)clients * (size_t)rounds, sizeof *lat);
    int status = 0;
    for (int i = 0; i < clients && status == 0; i++)
        if ((fds[i] = i == 0 ? connect_when_ready(port, server) : connect_port(port)) < 0)
            status = 1;
    for (int r = 0; r < rounds && status == 0; r++)
        if (round_trip(fds, clients, lat + (size_t)r * (size_t)clients) < 0)
            status = 1;

    kill(server, SIGTERM);
    for (int i = 0; i < clients; i++)
        if (fds[i] > 0)
            close(fds[i]);
    waitpid(server, NULL, 0);
    rmdir(dir);
    if (status != 0) {
        fprintf(stderr, "bench_load: the server did not answer every client\n");
        return 1;
    }
    size_t n = (size_t)clients * (size_t)rounds;
    qsort(lat, n, sizeof *lat, compare);
    printf("%s under load: %d clients at once, each asking TIME, %d rounds\n", argv[1],
           clients, rounds);
    printf("  reply latency: median %.2f ms, 99th percentile %.2f ms, max %.2f ms\n",
           (double)lat[n / 2] / 1000, (double)lat[n * 99 / 100] / 1000,
           (double)lat[n - 1] / 1000);
    free(lat);
    free(fds);
    return 0;
}
