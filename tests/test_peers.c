/*
 * test_peers.c - the reference solutions work with real peers, as the spec
 * requires: the echo and hello servers with nc, socat and a Python client,
 * over IPv4 and IPv6; the echo and hello clients against socat and a Python
 * server; the threaded server with nc -C and with clients over both; the
 * pinger's server with socat over both, and its client against a Python
 * server that loses and repeats datagrams; the login server with nc -C,
 * Python reading its database, and Python holding its write lock.
 *
 * Every process a test starts runs in its own process group, dies with the
 * test (PR_SET_PDEATHSIG, so a Criterion timeout leaves nothing), and is
 * killed with its group at the end of the test, whatever the outcome.
 * Ports are chosen by binding port 0, and a server that finds its port taken
 * is started again on another.  Nothing sleeps: waits poll with a short,
 * growing interval up to a deadline.  Run from the top of the kit.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"

#define ECHO_SERVER "solutions/02-echo/server"
#define ECHO_CLIENT "solutions/02-echo/client"
#define HELLO_SERVER "solutions/01-hello/server"
#define HELLO_CLIENT "solutions/01-hello/client"

/* ---- Processes ------------------------------------------------------------ */

#define MAX_CHILDREN 16

static pid_t children[MAX_CHILDREN];
static size_t nchildren;

/* Kills CHILD's process group and reaps it. */
static void kill_child(pid_t pid)
{
    killpg(pid, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    for (size_t i = 0; i < nchildren; i++)
        if (children[i] == pid)
            children[i] = children[--nchildren];
}

static void kill_all(void)
{
    while (nchildren > 0)
        kill_child(children[nchildren - 1]);
}

static void setup(void)
{
    signal(SIGPIPE, SIG_IGN);
}

TestSuite(echo_server, .init = setup, .fini = kill_all, .timeout = 40);
TestSuite(echo_client, .init = setup, .fini = kill_all, .timeout = 30);
TestSuite(hello, .init = setup, .fini = kill_all, .timeout = 30);

/* A pipe with both ends close-on-exec (spawn's dup2 clears it on the copy). */
static void make_pipe(int fds[2])
{
    cr_assert_eq(pipe2(fds, O_CLOEXEC), 0, "pipe: %s", strerror(errno));
}

/*
 * Starts ARGV (a path, or a name looked up in PATH) with the given standard
 * streams (-1: /dev/null), in a process group of its own, to die with this
 * process.  Its other descriptors are closed.
 */
static pid_t spawn(char *const argv[], int in, int out, int err)
{
    pid_t parent = getpid();
    int report[2]; /* the child's errno if it cannot exec */
    make_pipe(report);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        unsetenv("BXFI_MAP"); /* in case it is a Criterion binary */
        int null = open("/dev/null", O_RDWR);
        dup2(in >= 0 ? in : null, STDIN_FILENO);
        dup2(out >= 0 ? out : null, STDOUT_FILENO);
        dup2(err >= 0 ? err : null, STDERR_FILENO);
        signal(SIGPIPE, SIG_DFL); /* as from a shell */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        close(report[0]);
        if (report[1] > 2) /* all but the report pipe (close-on-exec) */
            syscall(SYS_close_range, 3U, (unsigned)report[1] - 1, 0U);
        syscall(SYS_close_range, (unsigned)report[1] + 1, ~0U, 0U);
        execvp(argv[0], argv);
        int e = errno;
        ssize_t ignored = write(report[1], &e, sizeof e);
        (void)ignored;
        _exit(127);
    }
    setpgid(pid, pid);
    cr_assert_lt(nchildren, MAX_CHILDREN);
    children[nchildren++] = pid;
    close(report[1]);
    int e = 0;
    ssize_t n;
    while ((n = read(report[0], &e, sizeof e)) < 0 && errno == EINTR)
        ;
    close(report[0]);
    cr_assert_leq(n, 0, "cannot run %s: %s", argv[0], strerror(e));
    return pid;
}

static void pause_ms(int ms)
{
    poll(NULL, 0, ms);
}

/* Waits until PID exits or DEADLINE (now_ms) passes; returns its status, or
 * -1 if it is still running. */
static int wait_exit_until(pid_t pid, int64_t deadline)
{
    int interval = 1;
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            for (size_t i = 0; i < nchildren; i++)
                if (children[i] == pid) {
                    killpg(pid, SIGKILL); /* what it left in its group */
                    children[i] = children[--nchildren];
                }
            return status;
        }
        if (now_ms() >= deadline)
            return -1;
        pause_ms(interval);
        interval = interval < 32 ? interval * 2 : 32;
    }
}

static char *describe_status(int status)
{
    struct buf b = { 0 };
    if (status == -1)
        buf_puts(&b, "still running at the deadline");
    else if (WIFEXITED(status))
        buf_printf(&b, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        buf_printf(&b, "was killed by signal %d (%s)", WTERMSIG(status),
                   strsignal(WTERMSIG(status)));
    else
        buf_puts(&b, "stopped");
    return b.data;
}

static void expect_exit_0(pid_t pid, const char *who, int64_t deadline, const char *why)
{
    int status = wait_exit_until(pid, deadline);
    char *how = describe_status(status);
    cr_expect(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s %s%s", who,
              how, why ? why : "");
    free(how);
}

/* The read end of a pipe already holding DATA and closed for writing. */
static int pipe_with(const void *data, size_t len)
{
    int p[2];
    make_pipe(p);
    cr_assert_leq(len, 60000, "more than a pipe holds");
    cr_assert_eq(write(p[1], data, len), (ssize_t)len);
    close(p[1]);
    return p[0];
}

/* Reads FD until end of file or DEADLINE into B; returns whether it saw the
 * end.  Closes FD. */
static bool read_to_end(int fd, struct buf *b, int64_t deadline)
{
    bool eof = false;
    buf_puts(b, "");
    while (!eof) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            break;
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (poll(&pfd, 1, (int)left) <= 0)
            continue;
        char chunk[65536];
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n > 0)
            buf_append(b, chunk, (size_t)n);
        else if (n == 0 || errno != EINTR)
            eof = true;
    }
    close(fd);
    return eof;
}

/* Reads one line (without its "\n") from FD by DEADLINE; NULL if none. */
static char *read_line(int fd, int64_t deadline)
{
    struct buf b = { 0 };
    buf_puts(&b, "");
    for (;;) {
        int64_t left = deadline - now_ms();
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            break;
        char ch;
        if (read(fd, &ch, 1) != 1)
            break;
        if (ch == '\n')
            return b.data;
        buf_append(&b, &ch, 1);
    }
    buf_free(&b);
    return NULL;
}

static char *escaped(const struct buf *b)
{
    struct buf e = { 0 };
    buf_escape(&e, b->data, b->len, 400);
    return e.data;
}

static void need(const char *path)
{
    cr_assert_eq(access(path, X_OK), 0, "%s: %s (run from the top of the kit, after make)",
                 path, strerror(errno));
}

/* ---- Ports and readiness -------------------------------------------------- */

/* A port free on both IPv4 and IPv6 a moment ago (the kernel's choice). */
static int free_port(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
    struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
    int off = 0;
    if (fd >= 0) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
        if (bind(fd, (struct sockaddr *)&a6, sizeof a6) < 0) {
            close(fd);
            fd = -1;
        }
    }
    if (fd < 0) { /* no IPv6 here */
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        cr_assert_geq(fd, 0);
        cr_assert_eq(bind(fd, (struct sockaddr *)&a4, sizeof a4), 0, "bind: %s",
                     strerror(errno));
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    int port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                        : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    close(fd);
    return port;
}

static bool have_ipv6(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* A connected socket to ADDRESS (127.0.0.1 or ::1) PORT, or -1. */
static int connect_to(const char *address, int port)
{
    struct sockaddr_storage ss = { 0 };
    socklen_t len;
    if (strchr(address, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        inet_pton(AF_INET6, address, &a->sin6_addr);
        len = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, address, &a->sin_addr);
        len = sizeof *a;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Whether some socket listens on TCP PORT, from the kernel's tables (no
 * connection: a one-shot server must not spend its one client on it). */
static bool listening(int port)
{
    static const char *const tables[] = { "/proc/net/tcp", "/proc/net/tcp6" };
    for (size_t i = 0; i < 2; i++) {
        FILE *f = fopen(tables[i], "r");
        if (f == NULL)
            continue;
        char line[512];
        bool found = false;
        while (!found && fgets(line, sizeof line, f) != NULL) {
            unsigned local, remote, state;
            if (sscanf(line, " %*d: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%x %x", &local, &remote,
                       &state) == 3)
                found = state == 0x0A && local == (unsigned)port;
        }
        fclose(f);
        if (found)
            return true;
    }
    return false;
}

/* Whether some UDP socket is bound to PORT, from the kernel's tables. */
static bool bound_udp(int port)
{
    static const char *const tables[] = { "/proc/net/udp", "/proc/net/udp6" };
    for (size_t i = 0; i < 2; i++) {
        FILE *f = fopen(tables[i], "r");
        if (f == NULL)
            continue;
        char line[512];
        bool found = false;
        while (!found && fgets(line, sizeof line, f) != NULL) {
            unsigned local;
            if (sscanf(line, " %*d: %*[0-9A-Fa-f]:%x", &local) == 1)
                found = local == (unsigned)port;
        }
        fclose(f);
        if (found)
            return true;
    }
    return false;
}

enum readiness { BY_CONNECTING, BY_LISTEN_TABLE, BY_UDP_TABLE };

/*
 * Starts a server: ARGV with the port as the string PORTSTR points into
 * (filled in here), ready when it accepts a connection or shows in the
 * listening table (or, for UDP, the table of bound sockets).  A server that exits first (its port was taken in the
 * meantime) is started again on another port.  Returns its PID; *PORT gets
 * the port.
 */
static pid_t start_server(char *argv[], char *portstr, size_t portstr_size, int out,
                          enum readiness how, int *port)
{
    for (int attempt = 0; attempt < 10; attempt++) {
        *port = free_port();
        snprintf(portstr, portstr_size, "%d", *port);
        pid_t pid = spawn(argv, -1, out, -1);
        int64_t deadline = now_ms() + 5000;
        int interval = 1;
        bool ready = false, gone = false;
        while (!ready && !gone && now_ms() < deadline) {
            if (how == BY_CONNECTING) {
                int fd = connect_to("127.0.0.1", *port);
                if (fd >= 0) {
                    close(fd);
                    ready = true;
                }
            } else {
                ready = how == BY_UDP_TABLE ? bound_udp(*port) : listening(*port);
            }
            if (!ready) {
                gone = waitpid(pid, NULL, WNOHANG) == pid;
                pause_ms(interval);
                interval = interval < 32 ? interval * 2 : 32;
            }
        }
        if (ready)
            return pid;
        kill_child(pid);
        cr_assert(gone, "%s did not listen on port %d within 5 s", argv[0], *port);
    }
    cr_assert_fail("%s could not listen on any of 10 free ports", argv[0]);
    return -1;
}

static pid_t start_echo_server(int *port)
{
    static char portstr[16];
    char *argv[] = { (char *)ECHO_SERVER, portstr, NULL };
    need(ECHO_SERVER);
    return start_server(argv, portstr, sizeof portstr, -1, BY_CONNECTING, port);
}

/* ---- The echo server with real clients ------------------------------------ */

Test(echo_server, nc_gets_its_line_back)
{
    int port;
    start_echo_server(&port);
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    int in = pipe_with("hello\n", 6), out[2];
    make_pipe(out);
    char *argv[] = { "nc", "-N", "127.0.0.1", portstr, NULL };
    pid_t nc = spawn(argv, in, out[1], -1);
    close(in);
    close(out[1]);
    struct buf got = { 0 };
    int64_t deadline = now_ms() + 10000;
    bool eof = read_to_end(out[0], &got, deadline);
    char *shown = escaped(&got);
    cr_expect(eof, "nc's output did not end: the server kept the connection open; got %s",
              shown);
    cr_expect_str_eq(got.data, "hello\n", "nc got %s", shown);
    expect_exit_0(nc, "nc", deadline, NULL);
    free(shown);
    buf_free(&got);
}

/* A file of LEN pseudo-random bytes; returns its path (to free). */
static char *random_file(size_t len, unsigned seed)
{
    char *path = xstrdup("/tmp/netlab-peers-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
    unsigned char *data = xmalloc(len);
    uint32_t x = seed | 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[i] = (unsigned char)(x >> 11);
    }
    for (size_t i = 0; i < 256; i++) /* every byte value, surely */
        data[i] = (unsigned char)i;
    cr_assert_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
    free(data);
    return path;
}

Test(echo_server, socat_echoes_a_mebibyte_of_binary)
{
    int port;
    start_echo_server(&port);
    char *sent = random_file(1 << 20, (unsigned)getpid());
    char *back = xstrdup("/tmp/netlab-peers-XXXXXX");
    int out = mkstemp(back);
    cr_assert_geq(out, 0);
    int in = open(sent, O_RDONLY | O_CLOEXEC);
    cr_assert_geq(in, 0);
    char target[64];
    snprintf(target, sizeof target, "TCP:localhost:%d", port);
    /* -t 10: after the end of its input, wait up to 10 s for the rest of
     * the echo (the default is half a second). */
    char *argv[] = { "socat", "-t", "10", "-", target, NULL };
    int err[2];
    make_pipe(err);
    pid_t socat = spawn(argv, in, out, err[1]);
    close(in);
    close(out);
    close(err[1]);
    int64_t deadline = now_ms() + 20000;
    struct buf errors = { 0 };
    read_to_end(err[0], &errors, deadline);
    expect_exit_0(socat, "socat", deadline, errors.data);

    struct stat st;
    cr_assert_eq(stat(back, &st), 0);
    cr_expect_eq(st.st_size, 1 << 20, "%lld of %d bytes came back", (long long)st.st_size,
                 1 << 20);
    char *cmp_argv[] = { "cmp", sent, back, NULL };
    int cmp_out[2];
    make_pipe(cmp_out);
    pid_t cmp = spawn(cmp_argv, -1, cmp_out[1], cmp_out[1]);
    close(cmp_out[1]);
    struct buf said = { 0 };
    read_to_end(cmp_out[0], &said, now_ms() + 10000);
    expect_exit_0(cmp, "cmp of what was sent and what came back", now_ms() + 10000, said.data);
    unlink(sent);
    unlink(back);
    free(sent);
    free(back);
    buf_free(&said);
    buf_free(&errors);
}

static const char python_client[] =
    "import socket, sys\n"
    "data = bytes(range(256)) * 4\n"
    "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)\n"
    "s.sendall(data)\n"
    "s.shutdown(socket.SHUT_WR)\n"
    "got = b''\n"
    "while True:\n"
    "    chunk = s.recv(65536)\n"
    "    if not chunk:\n"
    "        break\n"
    "    got += chunk\n"
    "if got != data:\n"
    "    n = min(len(got), len(data))\n"
    "    i = next((i for i in range(n) if got[i] != data[i]), n)\n"
    "    print('sent %d bytes, got %d, first difference at %d' % (len(data), len(got), i))\n"
    "    sys.exit(1)\n"
    "print('ok', len(got))\n";

Test(echo_server, python_client_gets_every_byte_value_back)
{
    int port;
    start_echo_server(&port);
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    int out[2];
    make_pipe(out);
    char *argv[] = { "python3", "-c", (char *)python_client, portstr, NULL };
    pid_t py = spawn(argv, -1, out[1], out[1]);
    close(out[1]);
    struct buf said = { 0 };
    int64_t deadline = now_ms() + 15000;
    read_to_end(out[0], &said, deadline);
    expect_exit_0(py, "the Python client", deadline, said.data);
    cr_expect_str_eq(said.data, "ok 1024\n");
    buf_free(&said);
}

/* Sends LEN bytes on FD, half-closes, and reads until the server closes. */
static void echo_round_trip(int fd, const void *data, size_t len, struct buf *got)
{
    const char *p = data;
    for (size_t off = 0; off < len;) {
        ssize_t n = send(fd, p + off, len - off, MSG_NOSIGNAL);
        cr_assert_gt(n, 0, "send: %s", strerror(errno));
        off += (size_t)n;
    }
    cr_assert_eq(shutdown(fd, SHUT_WR), 0);
    cr_expect(read_to_end(fd, got, now_ms() + 10000), "the server did not close");
}

Test(echo_server, ipv6_loopback)
{
    if (!have_ipv6())
        cr_skip_test("no IPv6 on this host");
    int port;
    start_echo_server(&port);
    unsigned char data[256 + 10];
    for (int i = 0; i < 256; i++)
        data[i] = (unsigned char)i;
    memcpy(data + 256, "over IPv6\n", 10);
    int fd = connect_to("::1", port);
    cr_assert_geq(fd, 0, "connect to [::1]:%d: %s", port, strerror(errno));
    struct buf got = { 0 };
    echo_round_trip(fd, data, sizeof data, &got);
    cr_expect_eq(got.len, sizeof data, "%zu of %zu bytes came back", got.len, sizeof data);
    cr_expect(got.len == sizeof data && memcmp(got.data, data, sizeof data) == 0,
              "the echo over ::1 differs");
    buf_free(&got);

    /* And the same server still serves IPv4 afterwards. */
    fd = connect_to("127.0.0.1", port);
    cr_assert_geq(fd, 0, "connect to 127.0.0.1:%d: %s", port, strerror(errno));
    echo_round_trip(fd, "then IPv4\n", 10, &got);
    cr_expect_str_eq(got.data, "then IPv4\n");
    buf_free(&got);
}

/* ---- The echo client with socat as its server ----------------------------- */

/* socat listening on a free port: "TCP-LISTEN:PORT,reuseaddr,..." then
 * ADDRESS2. */
static pid_t start_socat_server(const char *options, const char *address2, int *port)
{
    static char listen_address[128];
    char *argv[] = { "socat", listen_address, (char *)address2, NULL };
    for (int attempt = 0; attempt < 10; attempt++) {
        *port = free_port();
        snprintf(listen_address, sizeof listen_address, "TCP-LISTEN:%d,reuseaddr%s", *port,
                 options);
        pid_t pid = spawn(argv, -1, -1, -1);
        int64_t deadline = now_ms() + 5000;
        int interval = 1;
        bool gone = false;
        while (!gone && now_ms() < deadline) {
            if (listening(*port))
                return pid;
            gone = waitpid(pid, NULL, WNOHANG) == pid;
            pause_ms(interval);
            interval = interval < 32 ? interval * 2 : 32;
        }
        kill_child(pid);
        cr_assert(gone, "socat did not listen on port %d within 5 s", *port);
    }
    cr_assert_fail("socat could not listen on any of 10 free ports");
    return -1;
}

Test(echo_client, three_lines_through_socat)
{
    need(ECHO_CLIENT);
    int port;
    start_socat_server(",fork", "PIPE", &port);
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    static const char lines[] = "first line\nsecond, a longer line \xe2\x82\xac\n"
                                "third line\n";
    int in = pipe_with(lines, sizeof lines - 1), out[2], err[2];
    make_pipe(out);
    make_pipe(err);
    char *argv[] = { (char *)ECHO_CLIENT, "localhost", portstr, NULL };
    pid_t client = spawn(argv, in, out[1], err[1]);
    close(in);
    close(out[1]);
    close(err[1]);
    struct buf got = { 0 }, errors = { 0 };
    int64_t deadline = now_ms() + 10000;
    cr_expect(read_to_end(out[0], &got, deadline), "the client's stdout did not end");
    read_to_end(err[0], &errors, deadline);
    char *shown = escaped(&got), *shown_err = escaped(&errors);
    cr_expect_str_eq(got.data, lines, "the client printed %s; stderr %s", shown, shown_err);
    expect_exit_0(client, "the echo client", deadline, shown_err);
    free(shown);
    free(shown_err);
    buf_free(&got);
    buf_free(&errors);
}

/* ---- Lab 01: the hello server and client ---------------------------------- */

Test(hello, server_answers_nc)
{
    need(HELLO_SERVER);
    static char portstr[16];
    char *argv[] = { (char *)HELLO_SERVER, portstr, NULL };
    int log[2];
    make_pipe(log);
    int port;
    pid_t server = start_server(argv, portstr, sizeof portstr, log[1], BY_LISTEN_TABLE, &port);
    close(log[1]);

    int in = pipe_with("hi from nc\n", 11), out[2];
    make_pipe(out);
    char *nc_argv[] = { "nc", "-N", "127.0.0.1", portstr, NULL };
    pid_t nc = spawn(nc_argv, in, out[1], -1);
    close(in);
    close(out[1]);
    struct buf got = { 0 }, printed = { 0 };
    int64_t deadline = now_ms() + 10000;
    cr_expect(read_to_end(out[0], &got, deadline), "nc's output did not end");
    cr_expect_str_eq(got.data, "hello from the server\n");
    expect_exit_0(nc, "nc", deadline, NULL);
    cr_expect(read_to_end(log[0], &printed, deadline), "the server's stdout did not end");
    cr_expect_not_null(strstr(printed.data, "received: hi from nc\n"),
                       "the server printed: %s", printed.data);
    expect_exit_0(server, "the hello server", deadline, " after its one client");
    buf_free(&got);
    buf_free(&printed);
}

/* Listens on a port of the kernel's choice and tells it first, so there is
 * no race for the port: one client, one line, one reply. */
static const char python_server[] =
    "import socket, sys\n"
    "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
    "s.bind(('127.0.0.1', 0))\n"
    "s.listen(1)\n"
    "print(s.getsockname()[1], flush=True)\n"
    "s.settimeout(10)\n"
    "c, _ = s.accept()\n"
    "c.settimeout(10)\n"
    "line = b''\n"
    "while not line.endswith(b'\\n'):\n"
    "    chunk = c.recv(1)\n"
    "    if not chunk:\n"
    "        break\n"
    "    line += chunk\n"
    "c.sendall(b'reply from python\\n')\n"
    "c.close()\n"
    "print('got:', line.decode('utf-8', 'backslashreplace').rstrip('\\n'), flush=True)\n";

Test(hello, client_talks_to_a_python_server)
{
    need(HELLO_CLIENT);
    int py_out[2];
    make_pipe(py_out);
    char *py_argv[] = { "python3", "-c", (char *)python_server, NULL };
    pid_t py = spawn(py_argv, -1, py_out[1], py_out[1]);
    close(py_out[1]);
    int64_t deadline = now_ms() + 10000;
    char *portstr = read_line(py_out[0], deadline);
    cr_assert_not_null(portstr, "the Python server did not say its port");
    cr_assert_gt(atoi(portstr), 0, "the Python server said: %s", portstr);

    int out[2], err[2];
    make_pipe(out);
    make_pipe(err);
    char *argv[] = { (char *)HELLO_CLIENT, "localhost", portstr, "a message, with \xc3\xa9",
                     NULL };
    pid_t client = spawn(argv, -1, out[1], err[1]);
    close(out[1]);
    close(err[1]);
    struct buf got = { 0 }, errors = { 0 }, said = { 0 };
    cr_expect(read_to_end(out[0], &got, deadline), "the client's stdout did not end");
    read_to_end(err[0], &errors, deadline);
    cr_expect_str_eq(got.data, "reply from python\n", "stderr: %s", errors.data);
    expect_exit_0(client, "the hello client", deadline, errors.data);
    read_to_end(py_out[0], &said, deadline);
    cr_expect_str_eq(said.data, "got: a message, with \xc3\xa9\n");
    expect_exit_0(py, "the Python server", deadline, NULL);
    free(portstr);
    buf_free(&got);
    buf_free(&errors);
    buf_free(&said);
}

Test(hello, client_talks_to_socat)
{
    need(HELLO_CLIENT);
    int port;
    pid_t socat = start_socat_server("", "SYSTEM:read l; echo \"reply to $l\"", &port);
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    int out[2], err[2];
    make_pipe(out);
    make_pipe(err);
    char *argv[] = { (char *)HELLO_CLIENT, "127.0.0.1", portstr, NULL };
    pid_t client = spawn(argv, -1, out[1], err[1]);
    close(out[1]);
    close(err[1]);
    struct buf got = { 0 }, errors = { 0 };
    int64_t deadline = now_ms() + 10000;
    cr_expect(read_to_end(out[0], &got, deadline), "the client's stdout did not end");
    read_to_end(err[0], &errors, deadline);
    cr_expect_str_eq(got.data, "reply to hello from the client\n", "stderr: %s", errors.data);
    expect_exit_0(client, "the hello client", deadline, errors.data);
    expect_exit_0(socat, "socat (one connection, no fork)", deadline, NULL);
    buf_free(&got);
    buf_free(&errors);
}

/* ---- Lab 04: the threaded server with real clients ------------------------ */

#define THREADED_SERVER "solutions/04-threaded/server"

TestSuite(threaded, .init = setup, .fini = kill_all, .timeout = 30);

/* A folder holding hello.txt ("hello\n"), and a secret next to it. */
static char *threaded_folder(void)
{
    char *top = xstrdup("/tmp/netlab-peers-XXXXXX");
    cr_assert_not_null(mkdtemp(top), "mkdtemp: %s", strerror(errno));
    char path[256];
    snprintf(path, sizeof path, "%s/files", top);
    cr_assert_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/files/hello.txt", top);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    cr_assert_eq(write(fd, "hello\n", 6), 6);
    close(fd);
    snprintf(path, sizeof path, "%s/secret", top);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    cr_assert_eq(write(fd, "secret\n", 7), 7);
    close(fd);
    return top;
}

static void remove_threaded_folder(char *top)
{
    char path[256];
    const char *const names[] = { "files/hello.txt", "secret", "files", "" };
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", top, names[i]);
        remove(path);
    }
    free(top);
}

static pid_t start_threaded_server(const char *top, int *port)
{
    static char portstr[16], dir[256];
    snprintf(dir, sizeof dir, "%s/files", top);
    char *argv[] = { (char *)THREADED_SERVER, portstr, dir, NULL };
    need(THREADED_SERVER);
    return start_server(argv, portstr, sizeof portstr, -1, BY_LISTEN_TABLE, port);
}

/* nc -C ends its lines with "\r\n", as telnet does: every command works,
 * the file arrives after its size, and QUIT ends the session. */
Test(threaded, nc_with_crlf_runs_every_command)
{
    char *top = threaded_folder();
    int port;
    start_threaded_server(top, &port);
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    static const char commands[] = "NICK ann\nWHO\nGET hello.txt\nGET ../secret\nFROB\nQUIT\n";
    int in = pipe_with(commands, sizeof commands - 1), out[2];
    make_pipe(out);
    char *argv[] = { "nc", "-C", "127.0.0.1", portstr, NULL };
    pid_t nc = spawn(argv, in, out[1], -1);
    close(in);
    close(out[1]);
    struct buf got = { 0 };
    int64_t deadline = now_ms() + 10000;
    bool eof = read_to_end(out[0], &got, deadline);
    char *shown = escaped(&got);
    cr_expect(eof, "nc's output did not end: QUIT did not close the connection; got %s",
              shown);
    cr_expect_str_eq(got.data,
                     "OK\nOK ann\nOK 6\nhello\nERR forbidden\n"
                     "ERR unknown command\nOK bye\n",
                     "nc got %s", shown);
    expect_exit_0(nc, "nc", deadline, NULL);
    free(shown);
    buf_free(&got);
    remove_threaded_folder(top);
}

/* Sends LINE on FD and returns the next line that comes back (to free). */
static char *ask(int fd, const char *line)
{
    cr_assert_eq(send(fd, line, strlen(line), MSG_NOSIGNAL), (ssize_t)strlen(line), "send: %s",
                 strerror(errno));
    char *got = read_line(fd, now_ms() + 5000);
    cr_assert_not_null(got, "no reply to %s", line);
    return got;
}

/* A client over ::1 and one over 127.0.0.1 on the same dual-stack server:
 * a SAY of one reaches the other. */
Test(threaded, ipv6_and_ipv4_clients_talk)
{
    if (!have_ipv6())
        cr_skip_test("no IPv6 on this host");
    char *top = threaded_folder();
    int port;
    start_threaded_server(top, &port);
    int v6 = connect_to("::1", port), v4 = connect_to("127.0.0.1", port);
    cr_assert_geq(v6, 0, "connect to [::1]:%d: %s", port, strerror(errno));
    cr_assert_geq(v4, 0, "connect to 127.0.0.1:%d: %s", port, strerror(errno));
    char *got = ask(v6, "NICK six\n");
    cr_expect_str_eq(got, "OK");
    free(got);
    got = ask(v4, "NICK four\n");
    cr_expect_str_eq(got, "OK");
    free(got);
    got = ask(v6, "SAY over IPv6\n");
    cr_expect_str_eq(got, "OK");
    free(got);
    got = read_line(v4, now_ms() + 5000);
    cr_expect_str_eq(got ? got : "(nothing)", "MSG six over IPv6");
    free(got);
    close(v6);
    close(v4);
    remove_threaded_folder(top);
}

/* ---- Lab 05: the pinger with real peers ----------------------------------- */

#define PINGER_SERVER "solutions/05-pinger/server"
#define PINGER_CLIENT "solutions/05-pinger/client"

TestSuite(pinger, .init = setup, .fini = kill_all, .timeout = 30);

/* Starts the pinger's server as `server PORT [LOSS]`. */
static pid_t start_pinger_server(const char *loss, int *port)
{
    static char portstr[16];
    char *argv[] = { (char *)PINGER_SERVER, portstr, (char *)loss, NULL };
    need(PINGER_SERVER);
    return start_server(argv, portstr, sizeof portstr, -1, BY_UDP_TABLE, port);
}

/* Runs the pinger's client against HOST PORT and returns what it printed
 * (to free), after checking that it exited 0. */
static char *run_pinger_client(const char *host, int port, const char *count,
                               const char *timeout_ms)
{
    need(PINGER_CLIENT);
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    char *argv[] = { (char *)PINGER_CLIENT, (char *)host,       portstr,
                     (char *)count,         (char *)timeout_ms, NULL };
    int out[2];
    make_pipe(out);
    pid_t client = spawn(argv, -1, out[1], -1);
    close(out[1]);
    struct buf got = { 0 };
    int64_t deadline = now_ms() + 20000;
    read_to_end(out[0], &got, deadline);
    expect_exit_0(client, "the pinger's client", deadline, NULL);
    return got.data;
}

/* socat sends a line as one datagram, over IPv4 and over IPv6, and prints
 * what comes back: the same line, upper-cased. */
Test(pinger, server_answers_socat_over_ipv4_and_ipv6)
{
    int port;
    start_pinger_server(NULL, &port);
    const char *targets[] = { "UDP4:127.0.0.1:%d", "UDP6:[::1]:%d" };
    for (size_t i = 0; i < 2; i++) {
        if (i == 1 && !have_ipv6())
            cr_skip_test("no IPv6 on this host (IPv4 worked)");
        char target[64];
        snprintf(target, sizeof target, targets[i], port);
        int in = pipe_with("Hello, UDP 1\n", 13), out[2];
        make_pipe(out);
        /* -t 1: after the end of its input, wait a second for the answer. */
        char *argv[] = { "socat", "-t", "1", "-", target, NULL };
        pid_t socat = spawn(argv, in, out[1], -1);
        close(in);
        close(out[1]);
        struct buf got = { 0 };
        int64_t deadline = now_ms() + 10000;
        read_to_end(out[0], &got, deadline);
        char *shown = escaped(&got);
        cr_expect_str_eq(got.data, "HELLO, UDP 1\n", "socat to %s got %s", target, shown);
        expect_exit_0(socat, "socat", deadline, NULL);
        free(shown);
        buf_free(&got);
    }
}

/* A Python server that loses ping 2, answers ping 3 twice after a stray,
 * and answers the others: the client reports exactly that. */
static const char lossy_server_py[] =
    "import socket, sys\n"
    "try:\n"
    "    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n"
    "    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)\n"
    "    s.bind(('::', int(sys.argv[1])))\n"
    "except OSError:\n"
    "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
    "    s.bind(('0.0.0.0', int(sys.argv[1])))\n"
    "while True:\n"
    "    data, sender = s.recvfrom(65536)\n"
    "    seq = int(data.split()[1])\n"
    "    if seq == 2:\n"
    "        continue\n"
    "    if seq == 3:\n"
    "        s.sendto(b'PING 77 0', sender)\n"
    "        s.sendto(data.upper(), sender)\n"
    "    s.sendto(data.upper(), sender)\n";

Test(pinger, client_against_a_python_server_that_loses_and_repeats)
{
    static char portstr[16];
    char *argv[] = { "python3", "-c", (char *)lossy_server_py, portstr, NULL };
    int port;
    start_server(argv, portstr, sizeof portstr, -1, BY_UDP_TABLE, &port);
    char *out = run_pinger_client("localhost", port, "4", "300");
    const char *want[] = { "seq=1 rtt=",
                           "seq=2 timeout\n",
                           "seq=3 rtt=",
                           "seq=4 rtt=",
                           "4 sent, 3 received, 25% loss\n",
                           "rtt min/avg/max = " };
    const char *at = out;
    for (size_t i = 0; i < 6; i++) {
        const char *found = strstr(at, want[i]);
        cr_assert_not_null(found, "expected \"%s\" next in the client's output:\n%s", want[i],
                           out);
        at = strchr(found, '\n') ? strchr(found, '\n') + 1 : found + strlen(found);
    }
    cr_expect_null(strstr(out, "seq=77"), "a stray was reported:\n%s", out);
    free(out);
}

/* LOSS 1 drops every datagram; LOSS 0.5 some, at random: the client's
 * summary agrees with its lines either way. */
Test(pinger, loss_drops_a_fraction)
{
    int all, half;
    start_pinger_server("1", &all);
    char *out = run_pinger_client("127.0.0.1", all, "3", "100");
    cr_expect_not_null(strstr(out, "3 sent, 0 received, 100% loss\n"), "LOSS 1:\n%s", out);
    free(out);

    start_pinger_server("0.5", &half);
    out = run_pinger_client(have_ipv6() ? "::1" : "127.0.0.1", half, "40", "50");
    int answered = 0;
    for (const char *p = out; (p = strstr(p, " rtt=")) != NULL; p++)
        answered++;
    char summary[64];
    snprintf(summary, sizeof summary, "40 sent, %d received, ", answered);
    cr_expect_not_null(strstr(out, summary), "expected \"%s\":\n%s", summary, out);
    /* Each ping is dropped with probability 1/2: all 40 answered, or none,
     * has odds of 2 in 2^40, about 2e-12. */
    cr_expect(answered > 0 && answered < 40, "LOSS 0.5, %d of 40 answered:\n%s", answered,
              out);
    free(out);
}

/* ---- Lab 06: the login server with real peers ------------------------------ */

#define LOGIN_SERVER "solutions/06-login/server"

TestSuite(login, .init = setup, .fini = kill_all, .timeout = 30);

/* A fresh folder for the database; its path and the database's. */
static char *login_folder(char db[256])
{
    char *top = xstrdup("/tmp/netlab-login-XXXXXX");
    cr_assert_not_null(mkdtemp(top), "mkdtemp: %s", strerror(errno));
    snprintf(db, 256, "%s/users.db", top);
    return top;
}

static void remove_login_folder(char *top, const char *db)
{
    static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
    char path[300];
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s%s", db, suffixes[i]);
        remove(path);
    }
    rmdir(top);
    free(top);
}

static pid_t start_login_server(const char *db, int *port)
{
    static char portstr[16], dbpath[256];
    snprintf(dbpath, sizeof dbpath, "%s", db);
    char *argv[] = { (char *)LOGIN_SERVER, portstr, dbpath, NULL };
    need(LOGIN_SERVER);
    return start_server(argv, portstr, sizeof portstr, -1, BY_LISTEN_TABLE, port);
}

/* Runs python3 with SCRIPT and ARG; returns what it printed (to free). */
static char *run_python(const char *script, const char *arg, int64_t deadline)
{
    int out[2];
    make_pipe(out);
    char *argv[] = { "python3", "-c", (char *)script, (char *)arg, NULL };
    pid_t py = spawn(argv, -1, out[1], out[1]);
    close(out[1]);
    struct buf got = { 0 };
    read_to_end(out[0], &got, deadline);
    expect_exit_0(py, "python3", deadline, NULL);
    return got.data;
}

/* nc -C sends "\r\n": a whole session works, and the file is a database
 * that another program (Python's sqlite3) reads: one user, stored as a
 * yescrypt hash, and the password nowhere. */
Test(login, nc_session_and_python_reads_the_database)
{
    char db[256];
    char *top = login_folder(db);
    int port;
    start_login_server(db, &port);
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    static const char commands[] = "REGISTER ann s3cret-pass\nREGISTER ann other-pass1\n"
                                   "LOGIN ann wrong-pass1\nLOGIN nobody wrong-pass1\n"
                                   "WHOAMI\nLOGIN ann s3cret-pass\nWHOAMI\nQUIT\n";
    int in = pipe_with(commands, sizeof commands - 1), out[2];
    make_pipe(out);
    char *argv[] = { "nc", "-C", "127.0.0.1", portstr, NULL };
    pid_t nc = spawn(argv, in, out[1], -1);
    close(in);
    close(out[1]);
    struct buf got = { 0 };
    int64_t deadline = now_ms() + 10000;
    bool eof = read_to_end(out[0], &got, deadline);
    char *shown = escaped(&got);
    cr_expect(eof, "nc's output did not end: QUIT did not close the connection; got %s",
              shown);
    cr_expect_str_eq(got.data,
                     "OK registered\nERR user exists\nERR invalid credentials\n"
                     "ERR invalid credentials\nERR not logged in\nOK welcome ann\nOK ann\n"
                     "OK bye\n",
                     "nc got %s", shown);
    expect_exit_0(nc, "nc", deadline, NULL);
    free(shown);
    buf_free(&got);

    char *rows = run_python("import sqlite3, sys\n"
                            "for name, h in sqlite3.connect(sys.argv[1]).execute("
                            "'SELECT name, hash FROM users'):\n"
                            "    print(name, h)\n",
                            db, deadline);
    cr_expect_eq(strncmp(rows, "ann $y$", 7), 0, "the users table holds: %s", rows);
    cr_expect_null(strchr(rows, '\n') ? strchr(strchr(rows, '\n') + 1, '\n') : NULL,
                   "one row expected: %s", rows);
    cr_expect_null(strstr(rows, "s3cret-pass"), "the password is stored: %s", rows);
    free(rows);
    remove_login_folder(top, db);
}

/* Another process holds the database's write lock for half a second (as
 * a backup or an administrator's sqlite3 shell may): a REGISTER waits for
 * it, thanks to the busy timeout, and succeeds; a LOGIN meanwhile is not
 * blocked at all (WAL: readers go on while someone writes). */
Test(login, register_waits_for_another_writer)
{
    char db[256];
    char *top = login_folder(db);
    int port;
    start_login_server(db, &port);
    int fd = connect_to("127.0.0.1", port);
    cr_assert_geq(fd, 0, "connect: %s", strerror(errno));
    char *got = ask(fd, "REGISTER first s3cret-pass\n");
    cr_expect_str_eq(got, "OK registered");
    free(got);

    int out[2];
    make_pipe(out);
    char *argv[] = { "python3", "-c",
                     "import sqlite3, sys, time\n"
                     "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                     "c.execute('BEGIN IMMEDIATE')\n"
                     "print('locked', flush=True)\n"
                     "time.sleep(0.5)\n"
                     "c.execute('COMMIT')\n",
                     db, NULL };
    pid_t py = spawn(argv, -1, out[1], -1);
    close(out[1]);
    char *line = read_line(out[0], now_ms() + 5000);
    cr_assert_str_eq(line ? line : "(nothing)", "locked");
    free(line);
    int64_t start = now_ms();
    got = ask(fd, "LOGIN first s3cret-pass\n");
    cr_expect_str_eq(got, "OK welcome first", "a LOGIN while another process writes");
    free(got);
    got = ask(fd, "REGISTER second s3cret-pass\n");
    int64_t waited = now_ms() - start;
    cr_expect_str_eq(got, "OK registered",
                     "a REGISTER while another process holds the "
                     "write lock (after %lld ms)",
                     (long long)waited);
    free(got);
    close(out[0]);
    expect_exit_0(py, "python3", now_ms() + 5000, NULL);
    close(fd);
    remove_login_folder(top, db);
}
