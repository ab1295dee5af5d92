/*
 * common.h - checks of the conventions every lab shares (LABS.md,
 * "Conventions shared by every lab"), written once for all labs.
 */
#ifndef NETLAB_LABS_COMMON_H
#define NETLAB_LABS_COMMON_H

#include "check.h"

/* Bad arguments: a usage line on stderr and exit status 2, for the server
 * and the client started without their arguments (and the client with HOST
 * but no PORT). */
void check_bad_arguments(struct check *c);

/* The program NAME started with ARGS exits with status 2 and prints a usage
 * line on stderr; SHOWN is its command line for the message. */
void expect_usage(struct check *c, const char *name, const char *const *args,
                  size_t nargs, const char *shown);

/* As check_bad_arguments, and the server given its PORT but not the
 * second argument it needs (lab 04's DIR, lab 06's DBFILE). */
void check_bad_arguments_server_port_only(struct check *c);

/* A refused connection: the client prints one line on stderr naming the
 * cause and the port, and exits with status 1. */
void check_client_refused(struct check *c);

#endif
