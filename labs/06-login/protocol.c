/*
 * protocol.c - lab 06's command parser and the rules for names and
 * passwords: pure functions (read protocol.h), with no socket and no
 * database in sight, so that you can test them on their own.  The server
 * and the client both link this file.  Read handouts/06-login.md, "The
 * server, step by step", step 5.
 */
#include <string.h>

#include "protocol.h"

const char *
parse_command(const char *line, size_t len, struct command *cmd)
{
    /*
     * TODO 5a. Split LINE on single spaces (memchr: the line may hold NUL
     *    bytes, so never strtok or strlen).  An empty word (a leading,
     *    trailing or double space, or an empty line) makes it invalid.
     *    The first word is the command, in capitals: REGISTER and LOGIN
     *    take 2 arguments, PASSWD takes 2, WHOAMI, LOGOUT and QUIT none.
     *    Fill CMD (kind, nargs, args pointing into LINE) and return NULL;
     *    for a wrong count return "ERR usage: REGISTER name password" (and
     *    so on), for any other word "ERR unknown command".
     */
    (void)line;
    (void)len;
    (void)cmd;
    return "ERR unknown command";
}

int
valid_name(const char *name, size_t len)
{
    /* TODO 5b. 1 to 32 bytes, each one of A-Z a-z 0-9 _ . - */
    (void)name;
    (void)len;
    return 0;
}

int
valid_password(const char *password, size_t len)
{
    /* TODO 5c. 8 to 128 bytes, each printable ASCII but the space
     *    (0x21 to 0x7e). */
    (void)password;
    (void)len;
    return 0;
}
