/*
 * bench_echo.c - the echo throughput of a TCP echo server over loopback, for
 * make bench.  It starts the server, waits until it listens, then RUNS
 * times sends MIB mebibytes on a fresh connection while reading the echo
 * back (poll, both directions at once: a client that sent everything first
 * would deadlock once both sides' buffers are full), checks every byte,
 * and reports the median rate.  A benchmark, not a test: it measures.
 *
 * Usage: bench_echo MIB RUNS COMMAND [ARG...]
 *   "PORT" inside an ARG is replaced by the port chosen, so that
 *   bench_echo 256 5 solutions/02-echo/server PORT
 *   bench_echo 256 5 socat TCP-LISTEN:PORT,reuseaddr,fork PIPE
 * measure two servers on the same payload.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The payload repeats a block of pseudo-random bytes whose size is a prime,
 * so that a piece echoed twice, lost or out of place never lines up with
 * the expected bytes by chance. */
#define BLOCK 1048573
#define IO_CHUNK (256 * 1024) /* bytes per send or recv call */
#define READY_MS 5000         /* for the server to listen */
#define STALL_MS 10000        /* with no byte moving either way */

static unsigned char pattern[2 * BLOCK]; /* the block twice: any offset
                                              has BLOCK bytes after it */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void fill_pattern(void)
{
    uint32_t x = 2463534242u; /* xorshift32: reproducible, cheap */
    for (size_t i = 0; i < BLOCK; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        pattern[i] = pattern[BLOCK + i] = (unsigned char)x;
    }
}

/* A port nothing listens on now (the kernel's choice for port 0). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof sa;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* Whether /proc/net/FILE lists a socket listening on PORT.  Read from the
 * kernel, so that no connection attempt is spent (or self-connects) on a
 * server that is not there yet. */
static int listed_as_listening(const char *file, int port)
{
    FILE *f = fopen(file, "r");
    if (f == NULL)
        return 0;
    char line[512];
    int found = 0;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        char local[128];
        unsigned state;
        if (sscanf(line, " %*s %127s %*s %x", local, &state) != 2)
            continue;
        char *colon = strrchr(local, ':');
        found = colon != NULL && strtol(colon + 1, NULL, 16) == port && state == 0x0A;
    }
    fclose(f);
    return found;
}

/* Starts ARGV in a process group of its own (socat forks a child per
 * connection: the group is what we stop), "PORT" in its arguments replaced. */
static pid_t start_server(char **argv, int port)
{
    pid_t pid = fork();
    if (pid != 0) {
        setpgid(pid, pid); /* as the child does: whoever runs first */
        return pid;
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    setpgid(0, 0);
    for (int i = 1; argv[i] != NULL; i++) {
        char *at = strstr(argv[i], "PORT");
        if (at == NULL)
            continue;
        char *arg = malloc(strlen(argv[i]) + 8);
        sprintf(arg, "%.*s%d%s", (int)(at - argv[i]), argv[i], port, at + 4);
        argv[i] = arg;
    }
    /* The server's log lines would only slow it down on a terminal. */
    if (freopen("/dev/null", "w", stdout) == NULL)
        _exit(127);
    execvp(argv[0], argv);
    _exit(127);
}

/* Waits, looking every millisecond, until the server listens; gives up
 * when it exits or after READY_MS. */
static int wait_listening(pid_t server, int port)
{
    for (int64_t end = now_us() + READY_MS * 1000; now_us() < end;) {
        if (listed_as_listening("/proc/net/tcp", port) ||
            listed_as_listening("/proc/net/tcp6", port))
            return 0;
        if (waitpid(server, NULL, WNOHANG) != 0)
            return -1;
        poll(NULL, 0, 1);
    }
    return -1;
}

static int connect_nonblocking(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

/* Receives what is there and checks it against the payload from offset
 * *GOT on.  Returns 1 on bytes, 0 at end of stream, -1 on error or on a
 * wrong byte (reported). */
static int receive_checked(int fd, unsigned char *buf, size_t total, size_t *got)
{
    ssize_t n = recv(fd, buf, IO_CHUNK, 0);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 1 : -1;
    if (n == 0)
        return 0;
    if (*got + (size_t)n > total) {
        fprintf(stderr, "bench_echo: %zu bytes more than were sent\n",
                *got + (size_t)n - total);
        return -1;
    }
    if (memcmp(buf, pattern + *got % BLOCK, (size_t)n) != 0) {
        size_t i = 0;
        while (buf[i] == pattern[(*got + i) % BLOCK])
            i++;
        fprintf(stderr, "bench_echo: wrong byte at offset %zu of the echo\n", *got + i);
        return -1;
    }
    *got += (size_t)n;
    return 1;
}

/* One connection: sends TOTAL bytes while reading them back, then
 * half-closes and expects the end of the stream.  Returns the seconds
 * from the connection to the last byte back, or -1. */
static double echo_once(int port, size_t total, unsigned char *buf)
{
    int64_t start = now_us();
    int fd = connect_nonblocking(port);
    if (fd < 0)
        return -1;
    size_t sent = 0, got = 0;
    int64_t finished = 0;
    int rc = 1;
    while (rc > 0) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN | (sent < total ? POLLOUT : 0) };
        if (poll(&pfd, 1, STALL_MS) <= 0) {
            fprintf(stderr, "bench_echo: nothing moved for %d ms\n", STALL_MS);
            rc = -1;
            break;
        }
        if ((pfd.revents & POLLOUT) && sent < total) {
            size_t len = total - sent < IO_CHUNK ? total - sent : IO_CHUNK;
            ssize_t n = send(fd, pattern + sent % BLOCK, len, MSG_NOSIGNAL);
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                rc = -1;
            sent += n > 0 ? (size_t)n : 0;
            if (sent == total)
                shutdown(fd, SHUT_WR); /* the server sees the end: it closes */
        }
        if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) && rc > 0)
            rc = receive_checked(fd, buf, total, &got);
        if (got == total && finished == 0)
            finished = now_us();
    }
    close(fd);
    if (rc < 0 || got != total) {
        fprintf(stderr, "bench_echo: %zu of %zu bytes came back\n", got, total);
        return -1;
    }
    return (double)(finished - start) / 1e6;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 4 || atoi(argv[1]) < 1 || atoi(argv[2]) < 1) {
        fprintf(stderr, "usage: bench_echo MIB RUNS COMMAND [ARG...]\n");
        return 2;
    }
    size_t total = (size_t)atoi(argv[1]) << 20;
    int runs = atoi(argv[2]);
    fill_pattern();
    int port = free_port();
    pid_t server = port < 0 ? -1 : start_server(argv + 3, port);
    if (server < 0 || wait_listening(server, port) < 0) {
        fprintf(stderr, "bench_echo: %s did not listen on port %d\n", argv[3], port);
        return 1;
    }
    unsigned char *buf = malloc(IO_CHUNK);
    double *rate = calloc((size_t)runs, sizeof *rate);
    int status = 0;
    for (int r = 0; r < runs && status == 0; r++) {
        double seconds = echo_once(port, total, buf);
        if (seconds <= 0)
            status = 1;
        else
            rate[r] = (double)total / 1e6 / seconds;
    }
    kill(-server, SIGTERM);
    waitpid(server, NULL, 0);
    if (status != 0)
        return 1;
    qsort(rate, (size_t)runs, sizeof *rate, compare_doubles);
    double median = (rate[(runs - 1) / 2] + rate[runs / 2]) / 2;
    printf("%-34s median %5.0f MB/s  (min %.0f, max %.0f; %d runs of %s MiB)\n", argv[3],
           median, rate[0], rate[runs - 1], runs, argv[1]);
    free(rate);
    free(buf);
    return 0;
}
