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

/* A refused connection: the client prints one line on stderr naming the
 * cause and the port, and exits with status 1. */
void check_client_refused(struct check *c);

#endif
