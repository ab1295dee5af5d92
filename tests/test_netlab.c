/*
 * Unit tests of the helper library (labs/common/netlab.c).
 *
 * Ports are always "0" (the kernel picks a free one, read back with
 * getsockname), so tests can run in parallel.  Nothing sleeps: a test that
 * needs a thread to be blocked in a system call waits until /proc says the
 * thread is asleep.  Assertions are made only in the test's own thread;
 * helper threads store their results for it.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "netlab.h"

/* ---- shared helpers -------------------------------------------------- */

static void setup(void)
{
    signal(SIGPIPE, SIG_IGN);
}

TestSuite(tcp, .init = setup, .timeout = 10);
TestSuite(udp, .init = setup, .timeout = 10);
TestSuite(io, .init = setup, .timeout = 10);
TestSuite(lines, .init = setup, .timeout = 10);
TestSuite(eintr, .init = setup, .timeout = 10);
TestSuite(peer, .init = setup, .timeout = 10);
TestSuite(args, .timeout = 10);

Test(args, parse_port_takes_decimal_ports_only)
{
    cr_expect_eq(parse_port("1"), 1);
    cr_expect_eq(parse_port("8080"), 8080);
    cr_expect_eq(parse_port("65535"), 65535);
    cr_expect_eq(parse_port("000080"), 80, "leading zeros are still decimal");
    static const char
        *const bad[] = { "",   "0",    "65536", "99999",
                         "-1", "+80",  " 80",   "80 ",
                         "8o", "http", "0x50",  "18446744073709551697" /* 2^64 + 81 */ };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        cr_expect_eq(parse_port(bad[i]), -1, "parse_port(\"%s\")", bad[i]);
        cr_expect_eq(errno, EINVAL, "errno after parse_port(\"%s\")", bad[i]);
    }
}

/* The port FD is bound to, as a string for connect_tcp and friends. */
static void port_of(int fd, char port[8])
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    unsigned p;

    cr_assert_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    if (ss.ss_family == AF_INET6)
        p = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    else
        p = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    snprintf(port, 8, "%u", p);
}

/* Whether this host can use ::1 (Docker often disables IPv6). */
static int have_ipv6(void)
{
    struct sockaddr_in6 a;
    int fd, ok;

    fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static void need_ipv6(void)
{
    if (!have_ipv6())
        cr_skip_test("no IPv6 loopback on this host");
}

static int listener(char port[8])
{
    char err[NET_ERRLEN];
    int fd = listen_tcp("0", err);

    cr_assert_geq(fd, 0, "listen_tcp: %s", err);
    port_of(fd, port);
    return fd;
}

static int connect_or_fail(const char *host, const char *port)
{
    char err[NET_ERRLEN];
    int fd = connect_tcp(host, port, err);

    cr_assert_geq(fd, 0, "connect_tcp %s %s: %s", host, port, err);
    return fd;
}

/* A byte pattern that shows misplaced or lost bytes. */
static unsigned char pattern(size_t i)
{
    return (unsigned char)(i * 7 + i / 251);
}

static void socket_pair(int type, int sv[2])
{
    cr_assert_eq(socketpair(AF_UNIX, type, 0, sv), 0);
}

static void put(int fd, const char *s, size_t n)
{
    cr_assert_eq(write_all(fd, s, n), 0);
}

#define PUT(fd, lit) put((fd), (lit), sizeof(lit) - 1)

/* ---- tcp: listen_tcp, connect_tcp -------------------------------------- */

/* Connects to a fresh listener through HOST and exchanges a line each way. */
static void tcp_round_trip(const char *host)
{
    char port[8], buf[8];
    int lfd = listener(port);
    int c = connect_or_fail(host, port);
    int s = accept(lfd, NULL, NULL);

    cr_assert_geq(s, 0);
    cr_assert_eq(send_all(c, "ping\n", 5), 0);
    cr_assert_eq(read_all(s, buf, 5), 5);
    cr_assert_arr_eq(buf, "ping\n", 5);
    cr_assert_eq(send_all(s, "pong\n", 5), 0);
    cr_assert_eq(read_all(c, buf, 5), 5);
    cr_assert_arr_eq(buf, "pong\n", 5);
    close(c);
    cr_assert_eq(read_all(s, buf, 1), 0, "the close is seen as end of stream");
    close(s);
    close(lfd);
}

Test(tcp, ipv4_literal)
{
    tcp_round_trip("127.0.0.1");
}

Test(tcp, ipv6_literal)
{
    need_ipv6();
    tcp_round_trip("::1");
}

Test(tcp, localhost)
{
    tcp_round_trip("localhost");
}

Test(tcp, listener_is_dual_stack)
{
    char port[8];
    int lfd, c4, c6, s4, s6, opt;
    socklen_t len = sizeof opt;
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof ss;

    need_ipv6();
    lfd = listener(port);
    cr_assert_eq(getsockname(lfd, (struct sockaddr *)&ss, &sslen), 0);
    cr_assert_eq(ss.ss_family, AF_INET6, "one IPv6 socket serves both");
    cr_assert_eq(getsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &opt, &len), 0);
    cr_assert_eq(opt, 0, "IPV6_V6ONLY must be off");

    c4 = connect_or_fail("127.0.0.1", port);
    s4 = accept(lfd, NULL, NULL);
    c6 = connect_or_fail("::1", port);
    s6 = accept(lfd, NULL, NULL);
    cr_assert_geq(s4, 0);
    cr_assert_geq(s6, 0);
    close(c4);
    close(c6);
    close(s4);
    close(s6);
    close(lfd);
}

Test(tcp, listener_sets_reuseaddr)
{
    char port[8];
    int lfd = listener(port), opt = 0;
    socklen_t len = sizeof opt;

    cr_assert_eq(getsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &opt, &len), 0);
    cr_assert_neq(opt, 0);
    close(lfd);
}

Test(tcp, listen_port_in_use)
{
    char port[8], err[NET_ERRLEN], want[NET_ERRLEN];
    int lfd = listener(port);

    errno = 0;
    cr_assert_eq(listen_tcp(port, err), -1);
    cr_assert_eq(errno, EADDRINUSE, "errno %d", errno);
    snprintf(want, sizeof want, "listen on port %s: %s", port, strerror(EADDRINUSE));
    cr_assert_str_eq(err, want);
    close(lfd);
}

Test(tcp, listen_unknown_service)
{
    char err[NET_ERRLEN];

    cr_assert_eq(listen_tcp("no-such-service", err), -1);
    cr_assert_eq(errno, EINVAL, "errno %d", errno);
    cr_assert_eq(strncmp(err, "resolve port no-such-service: ", 30), 0, "message: %s", err);
    cr_assert_gt(strlen(err), 30, "the cause is named: %s", err);
}

/*
 * A socket bound to 127.0.0.1 but not listening holds a port that refuses
 * connections, without the race of closing a listener and hoping nobody
 * takes its port.
 */
static int refusing_port(char port[8])
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    cr_assert_geq(fd, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    port_of(fd, port);
    return fd;
}

static void check_refused(const char *host)
{
    char port[8], err[NET_ERRLEN], want[NET_ERRLEN];
    int hold = refusing_port(port);

    errno = 0;
    cr_assert_eq(connect_tcp(host, port, err), -1);
    cr_assert_eq(errno, ECONNREFUSED, "errno %d", errno);
    snprintf(want, sizeof want, "connect to %s port %s: %s", host, port,
             strerror(ECONNREFUSED));
    cr_assert_str_eq(err, want);
    close(hold);
}

Test(tcp, refused_ipv4)
{
    check_refused("127.0.0.1");
}

Test(tcp, refused_localhost)
{
    /* Every address of localhost is tried; the last error is reported. */
    check_refused("localhost");
}

/*
 * Where localhost is both ::1 and 127.0.0.1, ::1 usually comes first and
 * refuses: connect_tcp must go on to 127.0.0.1.  (Where localhost is only
 * 127.0.0.1 this test passes trivially.)
 */
Test(tcp, localhost_reaches_ipv4_only_server)
{
    char port[8];
    int lfd = refusing_port(port), c, s;

    cr_assert_eq(listen(lfd, 1), 0);
    c = connect_or_fail("localhost", port);
    s = accept(lfd, NULL, NULL);
    cr_assert_geq(s, 0);
    close(c);
    close(s);
    close(lfd);
}

Test(tcp, refused_without_err_buffer)
{
    char port[8];
    int hold = refusing_port(port);

    cr_assert_eq(connect_tcp("127.0.0.1", port, NULL), -1);
    cr_assert_eq(errno, ECONNREFUSED);
    close(hold);
}

/* Every function that takes err accepts NULL there, on success and on each
 * kind of failure (a resolving error, a system call's), and still sets
 * errno. */
Test(tcp, err_may_be_null)
{
    char port[8];
    int lfd = listen_tcp("0", NULL), hold, c;

    cr_assert_geq(lfd, 0);
    port_of(lfd, port);
    c = connect_tcp("127.0.0.1", port, NULL);
    cr_assert_geq(c, 0);
    close(c);
    errno = 0;
    cr_assert_eq(listen_tcp(port, NULL), -1);
    cr_assert_eq(errno, EADDRINUSE, "errno %d", errno);
    errno = 0;
    cr_assert_eq(listen_tcp("no-such-service", NULL), -1);
    cr_assert_eq(errno, EINVAL, "errno %d", errno);
    errno = 0;
    cr_assert_eq(connect_tcp("127.0.0.1", "no-such-service", NULL), -1);
    cr_assert_neq(errno, 0, "a resolving error sets errno");
    close(lfd);
    hold = refusing_port(port);
    cr_assert_eq(connect_tcp("127.0.0.1", port, NULL), -1);
    cr_assert_eq(errno, ECONNREFUSED, "errno %d", errno);
    close(hold);
}

/* A name server that does not answer may take a while: longer timeout. */
Test(tcp, unknown_host, .timeout = 30)
{
    char err[NET_ERRLEN];
    const char *prefix = "resolve nosuchhost.invalid port 80: ";

    errno = 0;
    cr_assert_eq(connect_tcp("nosuchhost.invalid", "80", err), -1);
    /* EAGAIN if the sandbox has no name server at all. */
    cr_assert(errno == EADDRNOTAVAIL || errno == EAGAIN, "errno %d", errno);
    cr_assert_eq(strncmp(err, prefix, strlen(prefix)), 0, "message: %s", err);
    cr_assert_gt(strlen(err), strlen(prefix), "the cause is named: %s", err);
    cr_assert_null(strchr(err, '\n'), "one line, no newline");
}

/* ---- udp: bind_udp, connect_udp ---------------------------------------- */

static void udp_round_trip(const char *host)
{
    char port[8], err[NET_ERRLEN], buf[16];
    struct sockaddr_storage from;
    socklen_t fromlen = sizeof from;
    int s, c;

    s = bind_udp("0", err);
    cr_assert_geq(s, 0, "bind_udp: %s", err);
    port_of(s, port);
    c = connect_udp(host, port, err);
    cr_assert_geq(c, 0, "connect_udp: %s", err);

    cr_assert_eq(send(c, "ping", 4, 0), 4);
    cr_assert_eq(recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen), 4);
    cr_assert_arr_eq(buf, "ping", 4);
    cr_assert_eq(sendto(s, "PONG", 4, 0, (struct sockaddr *)&from, fromlen), 4);
    cr_assert_eq(recv(c, buf, sizeof buf, 0), 4);
    cr_assert_arr_eq(buf, "PONG", 4);
    close(c);
    close(s);
}

Test(udp, ipv4_round_trip)
{
    udp_round_trip("127.0.0.1");
}

Test(udp, ipv6_round_trip)
{
    need_ipv6();
    udp_round_trip("::1");
}

Test(udp, localhost_round_trip)
{
    udp_round_trip("localhost");
}

Test(udp, connected_socket_ignores_strangers)
{
    char port[8], err[NET_ERRLEN], buf[16];
    struct sockaddr_storage me;
    socklen_t melen = sizeof me;
    int s, c, stranger;

    s = bind_udp("0", err);
    cr_assert_geq(s, 0, "bind_udp: %s", err);
    port_of(s, port);
    c = connect_udp("127.0.0.1", port, err);
    cr_assert_geq(c, 0, "connect_udp: %s", err);
    cr_assert_eq(getsockname(c, (struct sockaddr *)&me, &melen), 0);

    /* The stranger's datagram is sent first but must never be received. */
    stranger = socket(AF_INET, SOCK_DGRAM, 0);
    cr_assert_eq(sendto(stranger, "stray", 5, 0, (struct sockaddr *)&me, melen), 5);
    cr_assert_eq(sendto(s, "real", 4, 0, (struct sockaddr *)&me, melen), 4);
    cr_assert_eq(recv(c, buf, sizeof buf, 0), 4);
    cr_assert_arr_eq(buf, "real", 4);
    close(stranger);
    close(c);
    close(s);
}

Test(udp, bind_port_in_use)
{
    char port[8], err[NET_ERRLEN], want[NET_ERRLEN];
    int s = bind_udp("0", err);

    cr_assert_geq(s, 0, "bind_udp: %s", err);
    port_of(s, port);
    cr_assert_eq(bind_udp(port, err), -1);
    cr_assert_eq(errno, EADDRINUSE, "errno %d", errno);
    snprintf(want, sizeof want, "bind to UDP port %s: %s", port, strerror(EADDRINUSE));
    cr_assert_str_eq(err, want);
    close(s);
}

/* As tcp/err_may_be_null, for the UDP pair. */
Test(udp, err_may_be_null)
{
    char port[8];
    int s = bind_udp("0", NULL), c;

    cr_assert_geq(s, 0);
    port_of(s, port);
    c = connect_udp("127.0.0.1", port, NULL);
    cr_assert_geq(c, 0);
    close(c);
    errno = 0;
    cr_assert_eq(bind_udp(port, NULL), -1);
    cr_assert_eq(errno, EADDRINUSE, "errno %d", errno);
    errno = 0;
    cr_assert_eq(bind_udp("no-such-service", NULL), -1);
    cr_assert_eq(errno, EINVAL, "errno %d", errno);
    errno = 0;
    cr_assert_eq(connect_udp("127.0.0.1", "no-such-service", NULL), -1);
    cr_assert_neq(errno, 0, "a resolving error sets errno");
    close(s);
}

Test(udp, unknown_host, .timeout = 30)
{
    char err[NET_ERRLEN];

    cr_assert_eq(connect_udp("nosuchhost.invalid", "9", err), -1);
    cr_assert_eq(strncmp(err, "resolve nosuchhost.invalid port 9: ", 35), 0, "message: %s",
                 err);
}

/* ---- io: send_all, write_all, read_some, read_all --------------------- */

static atomic_int signals_seen;

static void count_signal(int sig)
{
    (void)sig;
    atomic_fetch_add(&signals_seen, 1);
}

/*
 * SIGUSR1 interrupts system calls: without SA_RESTART, a blocked read or
 * send returns EINTR, or a short count if some bytes already moved.
 */
static void install_interrupting_handler(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = count_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
}

/*
 * Reads LEN bytes from FD in chunks, checking them against pattern(), and
 * signals the writing thread after every chunk so that its send or write is
 * interrupted part way (short counts and EINTR).
 */
struct drain {
    int fd;
    size_t len;
    pthread_t writer;
    ssize_t got;
    int intact;
};

static void *drain_thread(void *arg)
{
    struct drain *d = arg;
    static const size_t chunk = 64 * 1024;
    unsigned char *buf = malloc(chunk);
    size_t i, n;
    ssize_t r;

    d->got = 0;
    d->intact = buf != NULL;
    while (buf != NULL && (size_t)d->got < d->len) {
        n = d->len - (size_t)d->got < chunk ? d->len - (size_t)d->got : chunk;
        r = read_all(d->fd, buf, n);
        if (r <= 0)
            break;
        for (i = 0; i < (size_t)r; i++)
            if (buf[i] != pattern((size_t)d->got + i))
                d->intact = 0;
        d->got += r;
        pthread_kill(d->writer, SIGUSR1);
    }
    free(buf);
    return NULL;
}

static unsigned char *make_pattern(size_t len)
{
    unsigned char *p = malloc(len);
    size_t i;

    cr_assert_not_null(p);
    for (i = 0; i < len; i++)
        p[i] = pattern(i);
    return p;
}

Test(io, send_all_4mib_with_interruptions)
{
    const size_t len = 4 << 20;
    unsigned char *data = make_pattern(len);
    struct drain d;
    pthread_t t;
    int sv[2];

    install_interrupting_handler();
    socket_pair(SOCK_STREAM, sv);
    d.fd = sv[1];
    d.len = len;
    d.writer = pthread_self();
    cr_assert_eq(pthread_create(&t, NULL, drain_thread, &d), 0);
    cr_assert_eq(send_all(sv[0], data, len), 0, "errno %d", errno);
    pthread_join(t, NULL);
    cr_assert_eq(d.got, (ssize_t)len);
    cr_assert(d.intact, "bytes arrived out of order or changed");
    cr_assert_gt(atomic_load(&signals_seen), 0);
    free(data);
    close(sv[0]);
    close(sv[1]);
}

Test(io, write_all_1mib_to_pipe_with_interruptions)
{
    const size_t len = 1 << 20;
    unsigned char *data = make_pattern(len);
    struct drain d;
    pthread_t t;
    int p[2];

    install_interrupting_handler();
    cr_assert_eq(pipe(p), 0);
    d.fd = p[0];
    d.len = len;
    d.writer = pthread_self();
    cr_assert_eq(pthread_create(&t, NULL, drain_thread, &d), 0);
    cr_assert_eq(write_all(p[1], data, len), 0, "errno %d", errno);
    pthread_join(t, NULL);
    cr_assert_eq(d.got, (ssize_t)len);
    cr_assert(d.intact, "bytes arrived out of order or changed");
    free(data);
    close(p[0]);
    close(p[1]);
}

Test(io, send_all_to_closed_peer_gives_epipe_not_sigpipe)
{
    int sv[2];

    signal(SIGPIPE, SIG_DFL); /* without MSG_NOSIGNAL this test dies */
    socket_pair(SOCK_STREAM, sv);
    close(sv[1]);
    cr_assert_eq(send_all(sv[0], "x", 1), -1);
    cr_assert_eq(errno, EPIPE);
    close(sv[0]);
}

Test(io, write_all_to_closed_pipe)
{
    int p[2];

    cr_assert_eq(pipe(p), 0);
    close(p[0]);
    cr_assert_eq(write_all(p[1], "x", 1), -1);
    cr_assert_eq(errno, EPIPE);
    close(p[1]);
}

Test(io, zero_length_writes)
{
    int p[2];

    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(write_all(p[1], "", 0), 0);
    cr_assert_eq(send_all(-1, "", 0), 0, "nothing to send, nothing done");
    close(p[0]);
    close(p[1]);
}

Test(io, read_some_returns_what_is_there)
{
    char buf[16];
    int sv[2];

    socket_pair(SOCK_STREAM, sv);
    PUT(sv[0], "abc");
    cr_assert_eq(read_some(sv[1], buf, sizeof buf), 3);
    cr_assert_arr_eq(buf, "abc", 3);
    close(sv[0]);
    cr_assert_eq(read_some(sv[1], buf, sizeof buf), 0);
    close(sv[1]);
}

Test(io, read_all_collects_pieces)
{
    char buf[8];
    int sv[2];

    /* SOCK_SEQPACKET: each read returns one record, so 4 reads are needed. */
    socket_pair(SOCK_SEQPACKET, sv);
    PUT(sv[0], "ab");
    PUT(sv[0], "c");
    PUT(sv[0], "def");
    PUT(sv[0], "gh");
    cr_assert_eq(read_all(sv[1], buf, 8), 8);
    cr_assert_arr_eq(buf, "abcdefgh", 8);
    close(sv[0]);
    close(sv[1]);
}

Test(io, read_all_short_at_end_of_stream)
{
    char buf[8];
    int sv[2];

    socket_pair(SOCK_STREAM, sv);
    PUT(sv[0], "abc");
    close(sv[0]);
    cr_assert_eq(read_all(sv[1], buf, 8), 3);
    cr_assert_arr_eq(buf, "abc", 3);
    cr_assert_eq(read_all(sv[1], buf, 8), 0);
    close(sv[1]);
}

Test(io, read_errors_are_reported)
{
    char buf[4];

    cr_assert_eq(read_some(-1, buf, sizeof buf), -1);
    cr_assert_eq(errno, EBADF);
    cr_assert_eq(read_all(-1, buf, sizeof buf), -1);
    cr_assert_eq(errno, EBADF);
}

/* ---- lines: the line reader -------------------------------------------- */

static void reader_on(struct line_reader *r, int fd, size_t max_line)
{
    cr_assert_eq(line_reader_init(r, fd, max_line), 0);
}

/* Reads one line and checks it is exactly WANT (WANTLEN bytes). */
static void expect_line_n(struct line_reader *r, const char *want, size_t wantlen)
{
    char *line = NULL;
    size_t len = 0;
    int rc = read_line(r, &line, &len);

    cr_assert_eq(rc, 1, "read_line gave %d (errno %d), wanted \"%s\"", rc, errno, want);
    cr_assert_eq(len, wantlen, "length %zu, wanted %zu (\"%s\")", len, wantlen, want);
    cr_assert_arr_eq(line, want, wantlen);
    cr_assert_eq(line[len], '\0', "lines are NUL-terminated");
}

static void expect_line(struct line_reader *r, const char *want)
{
    expect_line_n(r, want, strlen(want));
}

static void expect_eof(struct line_reader *r)
{
    char *line;
    size_t len;

    cr_assert_eq(read_line(r, &line, &len), 0);
}

static void expect_too_long(struct line_reader *r)
{
    char *line;
    size_t len;

    errno = 0;
    cr_assert_eq(read_line(r, &line, &len), -1);
    cr_assert_eq(errno, EMSGSIZE, "errno %d", errno);
}

/* Writes a string one byte per write, then closes. */
struct trickle {
    int fd;
    const char *data;
    size_t len;
};

static void *trickle_thread(void *arg)
{
    struct trickle *t = arg;
    size_t i;

    for (i = 0; i < t->len; i++)
        if (write_all(t->fd, t->data + i, 1) < 0)
            break;
    close(t->fd);
    return NULL;
}

Test(lines, one_byte_at_a_time)
{
    static const char text[] = "hello\nworld\r\n\nlast";
    struct trickle tr;
    struct line_reader r;
    pthread_t t;
    int sv[2];

    /*
     * SOCK_SEQPACKET keeps each 1-byte write a separate record, and read
     * returns one record at most: every read_some really gets one byte.
     */
    socket_pair(SOCK_SEQPACKET, sv);
    tr.fd = sv[0];
    tr.data = text;
    tr.len = sizeof text - 1;
    reader_on(&r, sv[1], 16);
    cr_assert_eq(pthread_create(&t, NULL, trickle_thread, &tr), 0);
    expect_line(&r, "hello");
    expect_line(&r, "world");
    expect_line(&r, "");
    expect_line(&r, "last");
    expect_eof(&r);
    pthread_join(t, NULL);
    line_reader_free(&r);
    close(sv[1]);
}

Test(lines, long_line_one_byte_at_a_time)
{
    static const char text[] = "12345678\n123456789\nok\n";
    struct trickle tr;
    struct line_reader r;
    pthread_t t;
    int sv[2];

    socket_pair(SOCK_SEQPACKET, sv);
    tr.fd = sv[0];
    tr.data = text;
    tr.len = sizeof text - 1;
    reader_on(&r, sv[1], 8);
    cr_assert_eq(pthread_create(&t, NULL, trickle_thread, &tr), 0);
    expect_line(&r, "12345678");
    expect_too_long(&r);
    expect_line(&r, "ok");
    expect_eof(&r);
    pthread_join(t, NULL);
    line_reader_free(&r);
    close(sv[1]);
}

Test(lines, several_lines_in_one_write)
{
    struct line_reader r;
    int sv[2];

    socket_pair(SOCK_STREAM, sv);
    reader_on(&r, sv[1], 64);
    PUT(sv[0], "one\ntwo\r\n\n\r\nthree\n");
    expect_line(&r, "one");
    expect_line(&r, "two");
    expect_line(&r, "");
    expect_line(&r, "");
    expect_line(&r, "three");
    PUT(sv[0], "four\n");
    expect_line(&r, "four");
    close(sv[0]);
    expect_eof(&r);
    expect_eof(&r);
    line_reader_free(&r);
    close(sv[1]);
}

Test(lines, only_cr_before_lf_is_stripped)
{
    struct line_reader r;
    int sv[2];

    socket_pair(SOCK_STREAM, sv);
    reader_on(&r, sv[1], 64);
    PUT(sv[0], "a\rb\nc\r\r\n\r\rx\n");
    expect_line(&r, "a\rb");
    expect_line(&r, "c\r");
    expect_line(&r, "\r\rx");
    close(sv[0]);
    expect_eof(&r);
    line_reader_free(&r);
    close(sv[1]);
}

Test(lines, exactly_max_line_is_accepted)
{
    struct line_reader r;
    int sv[2];

    socket_pair(SOCK_STREAM, sv);
    reader_on(&r, sv[1], 8);
    PUT(sv[0], "12345678\nabcdefgh\n1234567\r\n");
    expect_line(&r, "12345678");
    expect_line(&r, "abcdefgh");
    expect_line(&r, "1234567");
    close(sv[0]);
    expect_eof(&r);
    line_reader_free(&r);
    close(sv[1]);
}

Test(lines, cr_counts_toward_max_line)
{
    struct line_reader r;
    int sv[2];

    socket_pair(SOCK_STREAM, sv);
    reader_on(&r, sv[1], 8);
    PUT(sv[0], "12345678\r\nnext\n");
    expect_too_long(&r);
    expect_line(&r, "next");
    line_reader_free(&r);
    close(sv[0]);
    close(sv[1]);
}

Test(lines, too_long_then_next_line_intact)
{
    struct line_reader r;
    int sv[2];

    socket_pair(SOCK_STREAM, sv);
    reader_on(&r, sv[1], 8);
    PUT(sv[0], "123456789\n0123456789abcdefghijklmnopqrstuvwxyz\nnext\nok\n");
    expect_too_long(&r); /* 9 bytes: one too many */
    expect_too_long(&r); /* the next line is too long as well */
    expect_line(&r, "next");
    expect_line(&r, "ok");
    close(sv[0]);
    expect_eof(&r);
    line_reader_free(&r);
    close(sv[1]);
}

Test(lines, too_long_reported_before_its_end_arrives)
{
    struct line_reader r;
    int sv[2];

    socket_pair(SOCK_STREAM, sv);
    reader_on(&r, sv[1], 8);
    /* No newline yet: waiting for one here would hang the test. */
    PUT(sv[0], "123456789");
    expect_too_long(&r);
    PUT(sv[0], "still the long line\nnext\n");
    expect_line(&r, "next");
    line_reader_free(&r);
    close(sv[0]);
    close(sv[1]);
}

Test(lines, too_long_then_end_of_stream)
{
    struct line_reader r;
    int sv[2];

    socket_pair(SOCK_STREAM, sv);
    reader_on(&r, sv[1], 4);
    PUT(sv[0], "ok\n0123456789");
    close(sv[0]);
    expect_line(&r, "ok");
    expect_too_long(&r);
    expect_eof(&r);
    line_reader_free(&r);
    close(sv[1]);
}

Test(lines, peer_closes_mid_line)
{
    struct line_reader r;
    int sv[2];

    socket_pair(SOCK_STREAM, sv);
    reader_on(&r, sv[1], 8);
    PUT(sv[0], "abc\npartial");
    close(sv[0]);
    expect_line(&r, "abc");
    expect_line(&r, "partial");
    expect_eof(&r);
    expect_eof(&r);
    line_reader_free(&r);
    close(sv[1]);
}

Test(lines, partial_line_of_max_line_bytes_at_end)
{
    struct line_reader r;
    int sv[2];

    socket_pair(SOCK_STREAM, sv);
    reader_on(&r, sv[1], 4);
    PUT(sv[0], "abcd");
    close(sv[0]);
    expect_line(&r, "abcd");
    expect_eof(&r);
    line_reader_free(&r);
    close(sv[1]);
}

Test(lines, embedded_nul_bytes)
{
    struct line_reader r;
    int sv[2];

    socket_pair(SOCK_STREAM, sv);
    reader_on(&r, sv[1], 8);
    put(sv[0], "a\0b\n\0\n", 6);
    expect_line_n(&r, "a\0b", 3);
    expect_line_n(&r, "\0", 1);
    line_reader_free(&r);
    close(sv[0]);
    close(sv[1]);
}

Test(lines, zero_max_line_accepts_only_empty_lines)
{
    struct line_reader r;
    int sv[2];

    socket_pair(SOCK_STREAM, sv);
    reader_on(&r, sv[1], 0);
    PUT(sv[0], "\nx\n\n");
    expect_line(&r, "");
    expect_too_long(&r);
    expect_line(&r, "");
    line_reader_free(&r);
    close(sv[0]);
    close(sv[1]);
}

/* Makes FD's reads fail with EAGAIN rather than wait: a read_line that
 * needs the descriptor then says so, instead of hanging the test. */
static void nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    cr_assert_neq(flags, -1);
    cr_assert_neq(fcntl(fd, F_SETFL, flags | O_NONBLOCK), -1);
}

/* read_line on R, whose descriptor is non-blocking and empty, needed to
 * read it: it failed with EAGAIN (and kept what it had buffered). */
static void expect_would_read(struct line_reader *r)
{
    char *line;
    size_t len;

    errno = 0;
    cr_assert_eq(read_line(r, &line, &len), -1);
    cr_assert_eq(errno, EAGAIN, "errno %d", errno);
}

/*
 * line_buffered promises what read_line will do: 1 when it returns without
 * reading, 0 when it must read.  The descriptor is non-blocking, so a read
 * it did not announce shows as EAGAIN; at the end, the descriptor is closed
 * before the last read_line, which must not touch it.
 */
Test(lines, line_buffered_says_whether_read_line_reads)
{
    struct line_reader r;
    int sv[2];

    socket_pair(SOCK_STREAM, sv);
    nonblocking(sv[1]);
    reader_on(&r, sv[1], 16);
    cr_assert_eq(line_buffered(&r), 0, "nothing read yet");
    expect_would_read(&r);
    PUT(sv[0], "one\ntwo\nth");
    cr_assert_eq(line_buffered(&r), 0, "the bytes wait in the socket, where poll sees them");
    expect_line(&r, "one");
    cr_assert_eq(line_buffered(&r), 1,
                 "\"two\\n\" waits in the reader, where poll cannot see it");
    expect_line(&r, "two");
    cr_assert_eq(line_buffered(&r), 0, "\"th\" is half a line");
    expect_would_read(&r);
    PUT(sv[0], "ree\nlast");
    expect_line(&r, "three");
    cr_assert_eq(line_buffered(&r), 0, "\"last\" has no newline yet");
    close(sv[0]);
    expect_line(&r, "last");
    cr_assert_eq(line_buffered(&r), 1, "the end of the stream is known");
    close(sv[1]);
    expect_eof(&r);
    line_reader_free(&r);
}

/* A line too long to accept leaves nothing that counts as buffered: the
 * rest of it, and the line after it, are still to be read. */
Test(lines, line_buffered_after_a_line_too_long)
{
    struct line_reader r;
    int sv[2];

    socket_pair(SOCK_STREAM, sv);
    nonblocking(sv[1]);
    reader_on(&r, sv[1], 8);
    PUT(sv[0], "0123456789"); /* the reader takes 9 bytes: one too many */
    expect_too_long(&r);
    cr_assert_eq(line_buffered(&r), 0);
    expect_would_read(&r);
    cr_assert_eq(line_buffered(&r), 0, "still inside the long line");
    PUT(sv[0], "\nok\nab\n"); /* one read brings "9\nok\nab\n" */
    expect_line(&r, "ok");
    cr_assert_eq(line_buffered(&r), 1);
    expect_line(&r, "ab");
    cr_assert_eq(line_buffered(&r), 0);
    expect_would_read(&r);
    line_reader_free(&r);
    close(sv[0]);
    close(sv[1]);
}

Test(lines, read_all_buffered_after_a_line)
{
    struct line_reader r;
    char buf[16];
    int sv[2];

    socket_pair(SOCK_STREAM, sv);
    reader_on(&r, sv[1], 64);
    PUT(sv[0], "SIZE 10\n0123456789rest\n");
    expect_line(&r, "SIZE 10");
    cr_assert_eq(read_all_buffered(&r, buf, 10), 10);
    cr_assert_arr_eq(buf, "0123456789", 10);
    expect_line(&r, "rest");
    line_reader_free(&r);
    close(sv[0]);
    close(sv[1]);
}

Test(lines, read_all_buffered_takes_buffer_then_descriptor)
{
    struct line_reader r;
    char buf[16];
    int sv[2];

    socket_pair(SOCK_STREAM, sv);
    reader_on(&r, sv[1], 64);
    PUT(sv[0], "GET\nab");
    expect_line(&r, "GET"); /* "ab" is now in the reader's buffer */
    PUT(sv[0], "cdefnext\nx");
    cr_assert_eq(read_all_buffered(&r, buf, 6), 6);
    cr_assert_arr_eq(buf, "abcdef", 6);
    expect_line(&r, "next");
    close(sv[0]);
    cr_assert_eq(read_all_buffered(&r, buf, 5), 1, "short at end");
    cr_assert_eq(buf[0], 'x');
    expect_eof(&r);
    line_reader_free(&r);
    close(sv[1]);
}

/* Many lines of every length up to max_line, cut into odd-sized writes. */
struct many_lines {
    int fd;
    size_t max_line;
    int count;
};

static void make_line(char *buf, int i, size_t max_line, size_t *len)
{
    size_t j;

    *len = (size_t)i * 37 % (max_line + 1);
    for (j = 0; j < *len; j++)
        buf[j] = (char)('a' + (i + j) % 26);
}

static void *many_lines_thread(void *arg)
{
    struct many_lines *m = arg;
    char *text = malloc((size_t)m->count * (m->max_line + 1));
    size_t used = 0, off, len, cut;
    int i;

    if (text == NULL) {
        close(m->fd);
        return NULL;
    }
    for (i = 0; i < m->count; i++) {
        make_line(text + used, i, m->max_line, &len);
        used += len;
        text[used++] = '\n';
    }
    for (i = 0, off = 0; off < used; i++, off += cut) {
        cut = (size_t)(i * 131 % 997 + 1);
        if (cut > used - off)
            cut = used - off;
        if (write_all(m->fd, text + off, cut) < 0)
            break;
    }
    free(text);
    close(m->fd);
    return NULL;
}

Test(lines, many_lines_in_odd_pieces)
{
    struct many_lines m;
    struct line_reader r;
    char want[100];
    size_t len;
    pthread_t t;
    int sv[2], i;

    socket_pair(SOCK_STREAM, sv);
    m.fd = sv[0];
    m.max_line = 99;
    m.count = 2000;
    reader_on(&r, sv[1], m.max_line);
    cr_assert_eq(pthread_create(&t, NULL, many_lines_thread, &m), 0);
    for (i = 0; i < m.count; i++) {
        make_line(want, i, m.max_line, &len);
        expect_line_n(&r, want, len);
    }
    expect_eof(&r);
    pthread_join(t, NULL);
    line_reader_free(&r);
    close(sv[1]);
}

Test(lines, read_error_is_reported)
{
    struct line_reader r;
    char *line;
    size_t len;

    reader_on(&r, -1, 8);
    line = (char *)"untouched";
    len = 9;
    cr_assert_eq(read_line(&r, &line, &len), -1);
    cr_assert_eq(errno, EBADF);
    cr_assert_str_eq(line, "untouched", "*line is left as it was on failure");
    cr_assert_eq(len, 9, "*len is left as it was on failure");
    line_reader_free(&r);
    line_reader_free(&r); /* twice is harmless too */
}

Test(lines, init_without_memory)
{
    struct line_reader r;

    /* max_line + 1 would wrap around to 0 */
    cr_assert_eq(line_reader_init(&r, 0, SIZE_MAX), -1);
    cr_assert_eq(errno, ENOMEM);
    line_reader_free(&r); /* harmless after a failed init */
    /* more than any address space (and valgrind does not flag the size) */
    cr_assert_eq(line_reader_init(&r, 0, SIZE_MAX / 4), -1);
    cr_assert_eq(errno, ENOMEM);
}

/* ---- eintr: calls blocked when a signal arrives ------------------------ */

/*
 * The scheduler state of thread TID: 'S' while it sleeps in a system call,
 * '?' once it has exited.
 */
static char thread_state(pid_t tid)
{
    char path[64], buf[512], *p;
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    f = fopen(path, "r");
    if (f == NULL)
        return '?';
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')'); /* the name in (...) may hold spaces */
    return p != NULL && p[1] == ' ' ? p[2] : '?';
}

/*
 * A thread running one blocking call of the library.  The test fills in
 * fd, call and what the call needs before starting it.
 */
struct blocked {
    int fd;
    long (*call)(struct blocked *);
    struct line_reader r;  /* for read_line */
    unsigned char *out;    /* for send_all: LEN bytes to send */
    char data[NET_ERRLEN]; /* what the call got, or its error */
    size_t len;
    atomic_int tid;  /* set when the thread is about to block */
    atomic_int done; /* set when the call has returned */
    long rc;
    int err;
};

static void *blocked_thread(void *arg)
{
    struct blocked *b = arg;

    atomic_store(&b->tid, (int)gettid());
    b->rc = b->call(b);
    b->err = errno;
    atomic_store(&b->done, 1);
    return NULL;
}

static void start_blocked(pthread_t *t, struct blocked *b)
{
    if (access("/proc/self/task", R_OK) != 0)
        cr_skip_test("no /proc to tell when a thread is blocked");
    atomic_store(&b->tid, 0);
    atomic_store(&b->done, 0);
    cr_assert_eq(pthread_create(t, NULL, blocked_thread, b), 0);
}

/*
 * Waits until the thread sleeps in its system call (between setting tid and
 * the call's read or send it does nothing that sleeps).  Fails if the call
 * returned instead.
 */
static void wait_until_blocked(struct blocked *b)
{
    while (atomic_load(&b->tid) == 0)
        sched_yield();
    for (;;) {
        cr_assert(!atomic_load(&b->done),
                  "the call returned (rc %ld, errno %d) instead of going on", b->rc, b->err);
        if (thread_state(atomic_load(&b->tid)) == 'S')
            return;
        sched_yield();
    }
}

/*
 * Interrupts the blocked call twice with a signal that does not restart
 * system calls; each time the call must go back to waiting, not return.
 */
static void interrupt_twice(pthread_t t, struct blocked *b)
{
    int k, before;

    install_interrupting_handler();
    for (k = 0; k < 2; k++) {
        wait_until_blocked(b);
        before = atomic_load(&signals_seen);
        cr_assert_eq(pthread_kill(t, SIGUSR1), 0);
        while (atomic_load(&signals_seen) == before)
            sched_yield();
    }
    wait_until_blocked(b);
}

static long call_read_line(struct blocked *b)
{
    char *line;
    int rc = read_line(&b->r, &line, &b->len);

    if (rc == 1 && b->len <= sizeof b->data)
        memcpy(b->data, line, b->len);
    return rc;
}

static long call_read_all(struct blocked *b)
{
    return read_all(b->fd, b->data, b->len);
}

static long call_send_all(struct blocked *b)
{
    return send_all(b->fd, b->out, b->len);
}

Test(eintr, read_line_goes_on_after_a_signal)
{
    static struct blocked b;
    pthread_t t;
    int sv[2];

    socket_pair(SOCK_STREAM, sv);
    b.call = call_read_line;
    reader_on(&b.r, sv[1], 32);
    PUT(sv[0], "hel"); /* read at once; then the reader blocks */
    start_blocked(&t, &b);
    interrupt_twice(t, &b);
    PUT(sv[0], "lo\n");
    pthread_join(t, NULL);
    cr_assert_eq(b.rc, 1, "rc %ld errno %d", b.rc, b.err);
    cr_assert_eq(b.len, 5);
    cr_assert_arr_eq(b.data, "hello", 5);
    line_reader_free(&b.r);
    close(sv[0]);
    close(sv[1]);
}

Test(eintr, read_all_goes_on_after_a_signal)
{
    static struct blocked b;
    pthread_t t;
    int sv[2];

    socket_pair(SOCK_STREAM, sv);
    b.call = call_read_all;
    b.fd = sv[1];
    b.len = 10;
    PUT(sv[0], "abcd");
    start_blocked(&t, &b);
    interrupt_twice(t, &b);
    PUT(sv[0], "efghij");
    pthread_join(t, NULL);
    cr_assert_eq(b.rc, 10, "rc %ld errno %d", b.rc, b.err);
    cr_assert_arr_eq(b.data, "abcdefghij", 10);
    close(sv[0]);
    close(sv[1]);
}

Test(eintr, send_all_goes_on_after_a_signal)
{
    static struct blocked b;
    const size_t len = 1 << 20; /* far more than a socket buffer */
    unsigned char *got = malloc(len);
    pthread_t t;
    int sv[2];

    cr_assert_not_null(got);
    socket_pair(SOCK_STREAM, sv);
    b.call = call_send_all;
    b.fd = sv[0];
    b.out = make_pattern(len);
    b.len = len;
    start_blocked(&t, &b);
    interrupt_twice(t, &b); /* each signal cuts a send short */
    cr_assert_eq(read_all(sv[1], got, len), (ssize_t)len);
    pthread_join(t, NULL);
    cr_assert_eq(b.rc, 0, "rc %ld errno %d", b.rc, b.err);
    cr_assert_arr_eq(got, b.out, len);
    free(got);
    free(b.out);
    close(sv[0]);
    close(sv[1]);
}

static long call_connect_tcp(struct blocked *b)
{
    char err[NET_ERRLEN];
    long fd = connect_tcp("127.0.0.1", (char *)b->data, err);

    if (fd < 0)
        snprintf(b->data, sizeof b->data, "%s", err);
    return fd;
}

/*
 * A listener whose accept queue is full drops new SYNs, so a connect to it
 * blocks until the queue has room and the SYN is sent again (after about a
 * second).  A connect interrupted by a signal goes on in the background;
 * connect_tcp must wait for it, not fail or call connect again (EALREADY).
 */
Test(eintr, connect_tcp_goes_on_after_a_signal)
{
    static struct blocked b;
    struct sockaddr_in a;
    pthread_t t;
    int lfd, first, s1, s2;
    char port[8];

    lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(lfd, 0), 0); /* room for one waiting client */
    port_of(lfd, port);
    first = connect_or_fail("127.0.0.1", port); /* now the queue is full */

    b.call = call_connect_tcp;
    snprintf(b.data, sizeof b.data, "%s", port);
    start_blocked(&t, &b);
    interrupt_twice(t, &b);
    s1 = accept(lfd, NULL, NULL); /* makes room: the SYN gets in */
    cr_assert_geq(s1, 0);
    pthread_join(t, NULL);
    cr_assert_geq(b.rc, 0, "connect_tcp failed: %s", b.data);
    s2 = accept(lfd, NULL, NULL);
    cr_assert_geq(s2, 0);
    cr_assert_eq(send_all((int)b.rc, "z", 1), 0);
    cr_assert_eq(read_all(s2, port, 1), 1);
    cr_assert_eq(port[0], 'z', "the connection is usable");
    close((int)b.rc);
    close(first);
    close(s1);
    close(s2);
    close(lfd);
}

/* ---- peer: peer_name --------------------------------------------------- */

/* A connected pair through a fresh dual-stack listener, reached via HOST. */
struct tcp_pair {
    int listen, client, server;
    char port[8], client_port[8];
};

static void tcp_pair_open(struct tcp_pair *p, const char *host)
{
    p->listen = listener(p->port);
    p->client = connect_or_fail(host, p->port);
    p->server = accept(p->listen, NULL, NULL);
    cr_assert_geq(p->server, 0);
    port_of(p->client, p->client_port);
}

static void tcp_pair_close(struct tcp_pair *p)
{
    close(p->client);
    close(p->server);
    close(p->listen);
}

static void expect_peer(int fd, const char *addr_fmt, const char *port)
{
    char want[NET_ADDRLEN], buf[NET_ADDRLEN];

    snprintf(want, sizeof want, addr_fmt, port);
    cr_assert_eq(peer_name(fd, buf, sizeof buf), buf);
    cr_assert_str_eq(buf, want);
}

Test(peer, ipv4)
{
    struct tcp_pair p;

    tcp_pair_open(&p, "127.0.0.1");
    expect_peer(p.client, "127.0.0.1:%s", p.port);
    tcp_pair_close(&p);
}

Test(peer, ipv6_in_brackets)
{
    struct tcp_pair p;

    need_ipv6();
    tcp_pair_open(&p, "::1");
    expect_peer(p.client, "[::1]:%s", p.port);
    expect_peer(p.server, "[::1]:%s", p.client_port);
    tcp_pair_close(&p);
}

Test(peer, ipv4_mapped_shown_as_ipv4)
{
    struct tcp_pair p;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    need_ipv6();
    tcp_pair_open(&p, "127.0.0.1");
    /* The dual-stack server really sees ::ffff:127.0.0.1 ... */
    cr_assert_eq(getpeername(p.server, (struct sockaddr *)&ss, &len), 0);
    cr_assert_eq(ss.ss_family, AF_INET6);
    /* ... and peer_name shows it as the IPv4 address it is. */
    expect_peer(p.server, "127.0.0.1:%s", p.client_port);
    tcp_pair_close(&p);
}

Test(peer, unknown_gives_question_mark)
{
    char buf[NET_ADDRLEN];
    int sv[2], pp[2];

    socket_pair(SOCK_STREAM, sv);
    cr_assert_str_eq(peer_name(sv[0], buf, sizeof buf), "?", "AF_UNIX");
    cr_assert_eq(pipe(pp), 0);
    cr_assert_str_eq(peer_name(pp[0], buf, sizeof buf), "?", "not a socket");
    cr_assert_str_eq(peer_name(-1, buf, sizeof buf), "?", "bad descriptor");
    close(sv[0]);
    close(sv[1]);
    close(pp[0]);
    close(pp[1]);
}

Test(peer, keeps_errno_and_fits_small_buffers)
{
    struct tcp_pair p;
    char buf[8] = "xxxxxxx";

    tcp_pair_open(&p, "127.0.0.1");
    errno = ECONNRESET;
    peer_name(p.client, buf, 6);
    cr_assert_eq(errno, ECONNRESET, "a caller may log errno after it");
    cr_assert_str_eq(buf, "127.0", "cut short, still NUL-terminated");
    peer_name(p.client, buf, 0);
    cr_assert_str_eq(buf, "127.0", "len 0: nothing written");
    tcp_pair_close(&p);
}

/* ---- threads: serve_in_threads ----------------------------------------- */

TestSuite(threads, .init = setup, .timeout = 10);

static volatile sig_atomic_t stop_serving;
static atomic_int serves_ended;

/* A client's thread: greets with its number and ARG, then waits for the
 * end of the connection (the client leaving, or the stop's shutdown). */
static void greet_and_wait(int fd, unsigned number, void *arg)
{
    char line[32], c;
    int n = snprintf(line, sizeof line, "%u %s\n", number, (const char *)arg);

    send_all(fd, line, (size_t)n);
    while (read_some(fd, &c, 1) > 0)
        ;
    atomic_fetch_add(&serves_ended, 1);
}

static long call_serve_in_threads(struct blocked *b)
{
    return serve_in_threads(b->fd, &stop_serving, greet_and_wait, "hi");
}

Test(threads, each_client_served_then_all_ended_at_the_stop)
{
    struct blocked b = { .call = call_serve_in_threads };
    pthread_t t;
    char port[8], got[8];
    int clients[3];

    cr_assert_eq(catch_stop_signals(&stop_serving), 0);
    b.fd = listener(port);
    start_blocked(&t, &b);
    for (int i = 0; i < 3; i++) {
        char want[8];
        snprintf(want, sizeof want, "%d hi\n", i + 1);
        clients[i] = connect_or_fail("127.0.0.1", port);
        cr_assert_eq(read_all(clients[i], got, strlen(want)), (ssize_t)strlen(want));
        cr_assert_arr_eq(got, want, strlen(want), "client %d: numbered in order", i + 1);
    }
    /* SIGTERM interrupts the accept; every client is still connected. */
    wait_until_blocked(&b);
    cr_assert_eq(pthread_kill(t, SIGTERM), 0);
    cr_assert_eq(pthread_join(t, NULL), 0);
    cr_assert_eq(b.rc, 0);
    cr_assert_eq(atomic_load(&serves_ended), 3, "every thread ended before it returned");
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(read_some(clients[i], got, 1), 0, "client %d: connection closed", i + 1);
        close(clients[i]);
    }
    close(b.fd);
}

Test(threads, a_broken_listener_is_an_error)
{
    static volatile sig_atomic_t never;
    int pp[2];

    cr_assert_eq(pipe(pp), 0);
    cr_assert_eq(serve_in_threads(pp[0], &never, greet_and_wait, "hi"), -1);
    cr_assert_eq(errno, ENOTSOCK);
    close(pp[0]);
    close(pp[1]);
}
