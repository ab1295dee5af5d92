/*
 * protocol.h - lab 04's command lines, parsed apart from any socket, so
 * that the parser can be read, tested and fuzzed on its own.  The server
 * and the client both use it.
 */
#ifndef PROTOCOL_H
#define PROTOCOL_H

#include <stddef.h>

#define MAX_NICK 32

enum command_kind { CMD_TIME, CMD_NICK, CMD_SAY, CMD_WHO, CMD_GET, CMD_QUIT, CMD_UNKNOWN };

/* A command line, cut up: ARG points into the line (ARGLEN bytes, may be 0). */
struct command {
    enum command_kind kind;
    const char *arg;
    size_t arglen;
};

/* Parses LINE (LEN bytes, without its "\n"; any byte may occur). */
struct command parse_command(const char *line, size_t len);

/* Whether NAME (LEN bytes) is a nick: 1-32 of [A-Za-z0-9_.-]. */
int valid_nick(const char *name, size_t len);

/* Whether NAME (LEN bytes) names a file inside the served folder: no '/' at
 * all, not "." or "..", no NUL byte. */
int safe_name(const char *name, size_t len);

#endif
