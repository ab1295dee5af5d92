/*
 * A libFuzzer target for lab 04's command parser (solutions/04-threaded/
 * protocol.c): any line at all must parse without reading outside it, and
 * what the parser accepts must hold what the server relies on.  make test
 * runs it briefly; make fuzz runs it for minutes.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact copy: the sanitizers catch any read past the line. */
    char *line = malloc(size ? size : 1);
    memcpy(line, data, size);
    struct command cmd = parse_command(line, size);

    require(cmd.arg >= line && cmd.arg + cmd.arglen <= line + size);
    if (cmd.kind == CMD_TIME || cmd.kind == CMD_WHO || cmd.kind == CMD_QUIT)
        require(cmd.arglen == 0);
    if (cmd.kind == CMD_GET && safe_name(cmd.arg, cmd.arglen)) {
        /* What GET lets reach the file system cannot leave the folder. */
        require(memchr(cmd.arg, '/', cmd.arglen) == NULL);
        require(memchr(cmd.arg, '\0', cmd.arglen) == NULL);
        require(!(cmd.arglen == 2 && memcmp(cmd.arg, "..", 2) == 0));
        require(!(cmd.arglen == 1 && cmd.arg[0] == '.'));
    }
    if (cmd.kind == CMD_NICK && valid_nick(cmd.arg, cmd.arglen)) {
        /* A nick never breaks WHO's comma-separated list or a MSG line. */
        require(cmd.arglen >= 1 && cmd.arglen <= MAX_NICK);
        for (size_t i = 0; i < cmd.arglen; i++)
            require(cmd.arg[i] != ',' && cmd.arg[i] != ' ' && cmd.arg[i] != '\n' &&
                    cmd.arg[i] != '\0');
    }
    free(line);
    return 0;
}
