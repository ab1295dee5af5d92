/*
 * test_ports.c - unit tests of the ports the grader reserves for checks
 * (reserve_port): sixteen checks at once get distinct ports, and a check
 * that asks for too many fails cleanly.  On the self-test lab
 * (selftest.h).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "selftest.h"

TestSuite(ports, .init = selftest_init, .fini = selftest_fini, .timeout = 30);

static const struct check_def port_checks[16];

/* Reserves 8 ports, binds each, and holds them until all 16 checks do. */
static void reserve_eight(struct check *c)
{
    size_t k = (size_t)(c->def - port_checks);
    int ports[8];
    for (int i = 0; i < 8; i++) {
        ports[i] = reserve_port(c);
        if (ports[i] < 1 || ports[i] > 65535)
            fail(c, "reserve_port gave %d", ports[i]);
        for (int j = 0; j < i; j++)
            if (ports[j] == ports[i])
                fail(c, "port %d reserved twice in one check", ports[i]);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_port = htons((uint16_t)ports[i]),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
            fail(c, "reserved port %d cannot be bound: %s", ports[i], strerror(errno));
        shared->ports[k][i] = ports[i];
    }
    shared->own_network[k] = c->own_network;
    __atomic_add_fetch(&shared->reserved, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&shared->reserved, __ATOMIC_SEQ_CST) < 16 && time_left_ms(c) > 0)
        poll(NULL, 0, 2);
    if (__atomic_load_n(&shared->reserved, __ATOMIC_SEQ_CST) < 16)
        fail(c, "only %d of 16 checks held their ports at once", shared->reserved);
}

#define PORT_CHECK(name)                                                                      \
    {                                                                                         \
        name, 1, 10000, "reserves 8 ports", "handouts/97-selftest.md, section \"P\"",         \
            reserve_eight                                                                     \
    }
static const struct check_def port_checks[16] = {
    PORT_CHECK("p1"),  PORT_CHECK("p2"),  PORT_CHECK("p3"),  PORT_CHECK("p4"),
    PORT_CHECK("p5"),  PORT_CHECK("p6"),  PORT_CHECK("p7"),  PORT_CHECK("p8"),
    PORT_CHECK("p9"),  PORT_CHECK("p10"), PORT_CHECK("p11"), PORT_CHECK("p12"),
    PORT_CHECK("p13"), PORT_CHECK("p14"), PORT_CHECK("p15"), PORT_CHECK("p16"),
};
static const struct lab_def port_lab = { SELF_LAB, "self-test", port_checks, 16, 0 };

Test(ports, sixteen_checks_at_once_get_distinct_ports)
{
    double seconds;
    struct check_result *r = grade(&tree, &port_lab, 16, &seconds);
    for (size_t i = 0; i < 16; i++)
        cr_expect(r[i].passed, "%s: %s", r[i].def->name, r[i].message ? r[i].message : "");
    /* All 128 were held at the same time: no two checks that share a
     * network may hold the same port (in networks of their own they may). */
    for (int a = 0; a < 16; a++)
        for (int b = 0; b < a; b++)
            for (int i = 0; i < 8 && !shared->own_network[a] && !shared->own_network[b]; i++)
                for (int j = 0; j < 8; j++)
                    cr_expect_neq(shared->ports[a][i], shared->ports[b][j],
                                  "port %d given to two checks at once", shared->ports[a][i]);
    if (geteuid() == 0)
        for (int k = 0; k < 16; k++)
            cr_expect(shared->own_network[k], "as root, check p%d had no network of its own",
                      k + 1);
    expect_nothing_left();
}

static void reserve_nine(struct check *c)
{
    for (int i = 0; i < 9; i++)
        reserve_port(c);
}

static const struct check_def nine_checks[] = {
    { "nine-ports", 1, 3000, "reserves 9 ports", "handouts/97-selftest.md, section \"P\"",
      reserve_nine },
};
static const struct lab_def nine_lab = { SELF_LAB, "self-test", nine_checks, 1, 0 };

Test(ports, too_many_ports_fail_the_check_cleanly)
{
    double seconds;
    struct check_result *r = grade(&tree, &nine_lab, 1, &seconds);
    cr_expect_not(r[0].passed);
    cr_expect_not_null(strstr(r[0].message, "too many ports"), "%s", r[0].message);
}
