/*
 * unit.h - what the unit tests of the grader's layers share: SIGPIPE
 * ignored (a test writes to pipes whose reader may be gone), and whether
 * text a person reads is printable ASCII.
 * Header-only, as each test program is one C file.
 */
#ifndef NETLAB_TESTS_UNIT_H
#define NETLAB_TESTS_UNIT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

static inline void ignore_sigpipe(void)
{
    signal(SIGPIPE, SIG_IGN);
}

/* Whether every byte of S is printable ASCII or, if NEWLINES, '\n'. */
static inline bool printable_ascii(const char *s, size_t len, bool newlines)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!((ch >= 0x20 && ch < 0x7f) || (newlines && ch == '\n')))
            return false;
    }
    return true;
}

#endif
