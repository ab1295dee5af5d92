/*
 * test_udp.c - unit tests of the grader's UDP sockets (harness/udp.c):
 * datagrams to a server and back, short, empty and the largest, and the
 * grader as the late server of a client.  On the self-test lab
 * (selftest.h), whose programs here are Python.
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "selftest.h"

TestSuite(udp, .init = selftest_init, .fini = selftest_fini, .timeout = 30);

/* Upper-cases and returns every datagram, from any sender. */
static const char udp_server_py[] = "#!/usr/bin/env python3\n"
                                    "import socket, sys\n"
                                    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                                    "s.bind(('127.0.0.1', int(sys.argv[1])))\n"
                                    "while True:\n"
                                    "    data, sender = s.recvfrom(65535)\n"
                                    "    s.sendto(data.upper(), sender)\n";

/* Sends one datagram to HOST PORT and prints the reply. */
static const char udp_client_py[] =
    "#!/usr/bin/env python3\n"
    "import socket, sys\n"
    "addr = socket.getaddrinfo(sys.argv[1], int(sys.argv[2]), type=socket.SOCK_DGRAM)[0]\n"
    "s = socket.socket(addr[0], socket.SOCK_DGRAM)\n"
    "s.sendto(b'hello over udp', addr[4])\n"
    "print('reply:', s.recv(100).decode(), flush=True)\n";

static void expect_datagram(struct check *c, struct udp *u, const char *want, size_t len)
{
    static char got[65536];
    ssize_t n = udp_receive(c, u, got, sizeof got, now_ms() + 2000);
    if (n != (ssize_t)len || memcmp(got, want, len) != 0)
        fail(c, "expected a datagram of %zu bytes, got %zd", len, n);
}

/* Datagrams to a server and back: a short one, an empty one, the largest. */
static void udp_round_trips(struct check *c)
{
    struct program *srv = start_udp_server(c, NULL);
    struct udp *u = udp_to(c, srv);
    udp_send(c, u, "ping 1", 6);
    expect_datagram(c, u, "PING 1", 6);
    udp_send(c, u, "", 0);
    expect_datagram(c, u, "", 0);
    static char big[65507], upper[65507];
    for (size_t i = 0; i < sizeof big; i++) {
        big[i] = (char)('a' + i % 26);
        upper[i] = (char)('A' + i % 26);
    }
    udp_send(c, u, big, sizeof big);
    expect_datagram(c, u, upper, sizeof upper);
}

/* The grader as the server of a client given "localhost": it answers,
 * 50 ms late, the address the datagram came from. */
static void udp_answers_a_client(struct check *c)
{
    struct udp *u = udp_listen(c);
    struct program *cl = start_client(c, udp_port(u), NULL);
    char got[100];
    ssize_t n = udp_receive(c, u, got, sizeof got, now_ms() + 2000);
    if (n != 14 || memcmp(got, "hello over udp", 14) != 0)
        fail(c, "the client's datagram did not arrive");
    int64_t sent = now_ms();
    udp_send_later(c, u, "late, but here", 14, 50);
    expect_output_line(c, cl, "reply: late, but here");
    if (now_ms() - sent < 50)
        fail(c, "the delayed reply left early");
    expect_exit(c, cl, 0);
}

static const struct check_def udp_checks[] = {
    { "round-trips", 1, 3000, "datagrams go and come back", "-", udp_round_trips },
    { "answers-a-client", 1, 3000, "the grader answers a client", "-", udp_answers_a_client },
};
static const struct lab_def udp_lab = { SELF_LAB, "udp", udp_checks, COUNT_OF(udp_checks), 0 };

Test(udp, datagrams_both_ways)
{
    write_program(&tree, "server", udp_server_py);
    write_program(&tree, "client", udp_client_py);
    double seconds;
    struct check_result *r = grade(&tree, &udp_lab, 2, &seconds);
    for (size_t i = 0; i < COUNT_OF(udp_checks); i++)
        cr_expect(r[i].passed, "%s: %s\n%s", udp_checks[i].name, r[i].message,
                  r[i].transcript);
}
