/*
 * protocol.c - lab 04's command lines, parsed apart from any socket.
 */
#include "protocol.h"

#include <string.h>

/* Whether LINE (LEN bytes) is the command WORD, followed by the end of the
 * line or by a space and an argument (then *ARG and *ARGLEN are set). */
static int
is_command(const char *line, size_t len, const char *word, const char **arg, size_t *arglen)
{
    size_t w = strlen(word);

    if (len < w || memcmp(line, word, w) != 0)
        return 0;
    if (len == w) {
        *arg = line + len;
        *arglen = 0;
        return 1;
    }
    if (line[w] != ' ')
        return 0;
    *arg = line + w + 1;
    *arglen = len - w - 1;
    return 1;
}

struct command
parse_command(const char *line, size_t len)
{
    static const struct {
        const char *word;
        enum command_kind kind;
        int takes_arg;
    } words[] = {
        { "TIME", CMD_TIME, 0 }, { "NICK", CMD_NICK, 1 }, { "SAY", CMD_SAY, 1 },
        { "WHO", CMD_WHO, 0 },   { "GET", CMD_GET, 1 },   { "QUIT", CMD_QUIT, 0 },
    };
    struct command cmd = { CMD_UNKNOWN, line, 0 };

    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        const char *arg;
        size_t n;
        /* A command that takes no argument must have none. */
        if (is_command(line, len, words[i].word, &arg, &n) && (words[i].takes_arg || n == 0)) {
            cmd = (struct command){ words[i].kind, arg, n };
            break;
        }
    }
    return cmd;
}

int
valid_nick(const char *name, size_t len)
{
    static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "abcdefghijklmnopqrstuvwxyz0123456789_.-";
    if (len < 1 || len > MAX_NICK)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (name[i] == '\0' || strchr(allowed, name[i]) == NULL)
            return 0;
    return 1;
}

/*
 * Decided on the name alone, before the file system sees it: "../secret",
 * "/etc/passwd" and "sub/../../x" never reach open.
 */
int
safe_name(const char *name, size_t len)
{
    if (memchr(name, '/', len) != NULL || memchr(name, '\0', len) != NULL)
        return 0;
    return !(len == 1 && name[0] == '.') && !(len == 2 && name[0] == '.' && name[1] == '.');
}
