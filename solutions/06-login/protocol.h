/*
 * protocol.h - lab 06's line protocol as pure functions: a line in, a
 * command (or the error reply) out.  No I/O, no globals, no allocation:
 * the same input always gives the same answer, so the parser can be tested
 * and fuzzed on its own.  The server and the client both use it.
 */
#ifndef PROTOCOL_H
#define PROTOCOL_H

#include <stddef.h>

#define MAX_LINE 4096 /* longest command line, without its "\n" */
#define MIN_NAME 1    /* a user name's length, in bytes */
#define MAX_NAME 32
#define MIN_PASSWORD 8 /* a password's length, in bytes */
#define MAX_PASSWORD 128

enum command_kind {
    CMD_REGISTER, /* REGISTER name password */
    CMD_LOGIN,    /* LOGIN name password */
    CMD_WHOAMI,   /* WHOAMI */
    CMD_PASSWD,   /* PASSWD old new */
    CMD_LOGOUT,   /* LOGOUT */
    CMD_QUIT,     /* QUIT */
};

/* An argument: LEN bytes at TEXT, inside the parsed line (not
 * NUL-terminated, and it may hold any byte but a space). */
struct arg {
    const char *text;
    size_t len;
};

struct command {
    enum command_kind kind;
    size_t nargs; /* 0 or 2, as the command takes */
    struct arg args[2];
};

/*
 * Parses one command line (LEN bytes at LINE, without its "\n"; it may hold
 * NUL bytes).  A line is words separated by single spaces: the command
 * word, in capitals, then exactly the arguments the command takes.  An
 * empty word (a leading, trailing or double space) makes the line invalid.
 * Returns NULL and fills *CMD (its args point into LINE), or returns the
 * reply for an invalid line, without its "\n":
 *   "ERR unknown command"              not a command word (or an empty line)
 *   "ERR usage: REGISTER name password" and the like, for the wrong
 *                                       number of arguments or empty ones
 */
const char *parse_command(const char *line, size_t len, struct command *cmd);

/* Whether LEN bytes at NAME are a valid user name: 1-32 of [A-Za-z0-9_.-]. */
int valid_name(const char *name, size_t len);

/* Whether LEN bytes at PASSWORD are a valid password: 8-128 printable
 * ASCII characters other than the space (0x21-0x7e). */
int valid_password(const char *password, size_t len);

#endif
