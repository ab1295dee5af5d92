/* common.c - checks of the conventions every lab shares. */
#include "common.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool contains_nocase(const struct buf *b, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= b->len; i++)
        if (strncasecmp(b->data + i, word, n) == 0)
            return true;
    return false;
}

static size_t nonblank_lines(const struct buf *b)
{
    size_t lines = 0;
    bool text = false;
    for (size_t i = 0; i < b->len; i++) {
        if (b->data[i] == '\n') {
            lines += text;
            text = false;
        } else if (b->data[i] != ' ' && b->data[i] != '\t' && b->data[i] != '\r') {
            text = true;
        }
    }
    return lines + text;
}

void expect_usage(struct check *c, const char *name, const char *const *args,
                  size_t nargs, const char *shown)
{
    struct program *p = start_program_args(c, name, args, nargs);
    expect_exit(c, p, 2);
    if (!contains_nocase(program_stderr(p), "usage"))
        fail(c, "`%s` exited with status 2 but printed no usage line on stderr "
             "(a line starting \"usage:\" that shows the arguments).", shown);
}

void check_bad_arguments(struct check *c)
{
    expect_usage(c, "server", NULL, 0, "./server");
    expect_usage(c, "client", NULL, 0, "./client");
    const char *host_only[] = { "localhost" };
    expect_usage(c, "client", host_only, 1, "./client localhost");
}

void check_bad_arguments_server_port_only(struct check *c)
{
    check_bad_arguments(c);
    char port[16], shown[64];
    snprintf(port, sizeof port, "%d", reserve_port(c));
    snprintf(shown, sizeof shown, "./server %s", port);
    const char *port_only[] = { port };
    expect_usage(c, "server", port_only, 1, shown);
}

void check_client_refused(struct check *c)
{
    int refused = refused_port(c);
    struct program *p = start_client(c, refused, NULL);
    expect_exit(c, p, 1);
    const struct buf *err = program_stderr(p);
    if (nonblank_lines(err) != 1)
        fail(c, "the client should print exactly one line on stderr when it cannot "
             "connect; it printed %zu.", nonblank_lines(err));
    if (!contains_nocase(err, "refused"))
        fail(c, "the client's error line does not give the cause (\"Connection "
             "refused\", from strerror(errno)).");
    char port[16];
    snprintf(port, sizeof port, "%d", refused);
    if (strstr(err->data, port) == NULL)
        fail(c, "the client's error line does not name the endpoint: it should "
             "mention the port, %s.", port);
}
