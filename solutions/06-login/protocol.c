/*
 * protocol.c - lab 06's command parser and the rules for names and
 * passwords.  Pure functions (see protocol.h): everything that decides what
 * a line means is here, and nothing that talks to a socket or a database.
 */
#include <string.h>

#include "protocol.h"

/* The commands, their arguments, and the reply for a wrong count. */
static const struct {
    const char *word;
    enum command_kind kind;
    size_t nargs;
    const char *usage;
} commands[] = {
    { "REGISTER", CMD_REGISTER, 2, "ERR usage: REGISTER name password" },
    { "LOGIN", CMD_LOGIN, 2, "ERR usage: LOGIN name password" },
    { "WHOAMI", CMD_WHOAMI, 0, "ERR usage: WHOAMI" },
    { "PASSWD", CMD_PASSWD, 2, "ERR usage: PASSWD old new" },
    { "LOGOUT", CMD_LOGOUT, 0, "ERR usage: LOGOUT" },
    { "QUIT", CMD_QUIT, 0, "ERR usage: QUIT" },
};

#define MAX_WORDS 4 /* the command word and its arguments, plus one too many */

/*
 * Splits LEN bytes at LINE on single spaces into at most MAX_WORDS words.
 * Returns the number of words (MAX_WORDS means "that many or more"), or -1
 * when a word is empty: a leading, trailing or double space.
 */
static int
split(const char *line, size_t len, struct arg words[MAX_WORDS])
{
    int n = 0;
    size_t start = 0;

    for (;;) {
        const char *space = memchr(line + start, ' ', len - start);
        size_t end = space ? (size_t)(space - line) : len;
        if (end == start)
            return -1;
        words[n].text = line + start;
        words[n].len = end - start;
        if (++n == MAX_WORDS || space == NULL)
            return n;
        start = end + 1;
    }
}

const char *
parse_command(const char *line, size_t len, struct command *cmd)
{
    struct arg words[MAX_WORDS];

    if (len == 0)
        return "ERR unknown command";
    /* The command word alone decides which command this is, even when
     * the rest of the line is malformed: a usage reply helps more. */
    const char *space = memchr(line, ' ', len);
    size_t wordlen = space ? (size_t)(space - line) : len;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strlen(commands[i].word) != wordlen ||
            memcmp(commands[i].word, line, wordlen) != 0)
            continue;
        int n = split(line, len, words);
        if (n == -1 || (size_t)n != commands[i].nargs + 1)
            return commands[i].usage;
        cmd->kind = commands[i].kind;
        cmd->nargs = commands[i].nargs;
        for (size_t a = 0; a < cmd->nargs; a++)
            cmd->args[a] = words[a + 1];
        return NULL;
    }
    return "ERR unknown command";
}

int
valid_name(const char *name, size_t len)
{
    static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "abcdefghijklmnopqrstuvwxyz0123456789_.-";
    if (len < MIN_NAME || len > MAX_NAME)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (name[i] == '\0' || strchr(allowed, name[i]) == NULL)
            return 0;
    return 1;
}

int
valid_password(const char *password, size_t len)
{
    if (len < MIN_PASSWORD || len > MAX_PASSWORD)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)password[i] < 0x21 || (unsigned char)password[i] > 0x7e)
            return 0;
    return 1;
}
