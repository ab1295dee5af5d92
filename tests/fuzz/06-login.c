/*
 * A libFuzzer target for lab 06's command parser (solutions/06-login/
 * protocol.c): any line at all must parse without reading outside it, and
 * whatever the parser and the validators accept must hold what the server
 * relies on before a value reaches SQLite or crypt.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

static void require(int ok)
{
    if (!ok)
        abort(); /* libFuzzer reports the input that led here */
}

static int takes_two(enum command_kind kind)
{
    return kind == CMD_REGISTER || kind == CMD_LOGIN || kind == CMD_PASSWD;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact copy: the sanitizers catch any read past the line. */
    char *line = malloc(size ? size : 1);
    memcpy(line, data, size);
    struct command cmd;
    const char *error = parse_command(line, size, &cmd);

    if (error != NULL) {
        require(strncmp(error, "ERR ", 4) == 0); /* a reply the client can show */
    } else {
        require(cmd.nargs == (takes_two(cmd.kind) ? 2u : 0u));
        for (size_t i = 0; i < cmd.nargs; i++) {
            const struct arg *a = &cmd.args[i];
            require(a->len > 0 && a->text >= line && a->text + a->len <= line + size);
            require(memchr(a->text, ' ', a->len) == NULL);
        }
        if (cmd.nargs == 2 && valid_name(cmd.args[0].text, cmd.args[0].len)) {
            /* What may become a user name: no quote, no NUL, nothing SQL or
             * a log line could take for syntax. */
            require(cmd.args[0].len >= MIN_NAME && cmd.args[0].len <= MAX_NAME);
            for (size_t i = 0; i < cmd.args[0].len; i++) {
                char ch = cmd.args[0].text[i];
                require((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                        (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-');
            }
        }
        if (cmd.nargs == 2 && valid_password(cmd.args[1].text, cmd.args[1].len)) {
            require(cmd.args[1].len >= MIN_PASSWORD && cmd.args[1].len <= MAX_PASSWORD);
            for (size_t i = 0; i < cmd.args[1].len; i++)
                require(cmd.args[1].text[i] >= 0x21 && cmd.args[1].text[i] <= 0x7e);
        }
    }
    free(line);
    return 0;
}
