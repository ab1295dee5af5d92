/*
 * Lab 02's hidden checks: graded by instructors (--instructor, Gradescope),
 * skipped in students' runs, left out of the students' copy of the kit.
 * A hidden check tests the handout's contract like any other; what is
 * hidden is only that it is tested.
 */
#define LAB_ID "02-echo"

#include "check.h"
#include "lab.h"

/* The handout asks for a server on every address of the machine: a client
 * that reaches it over IPv6 (::1) is echoed as well. */
static void ipv6_loopback(struct check *c)
{
    static const char line[] = "echo me over IPv6\n";
    struct program *srv = start_server(c, NULL);
    struct peer *p = connect_over_ipv6(c, srv);
    send_bytes(c, p, line, sizeof line - 1);
    expect_bytes(c, p, line, sizeof line - 1, "the echo of the line sent over IPv6");
}

static const struct check_def hidden[] = {
    { "ipv6-loopback", 1, 3000, "a client over IPv6 (::1) is echoed too",
      HINT("The server, step by step"), ipv6_loopback },
};

HIDDEN_CHECKS(hidden);
