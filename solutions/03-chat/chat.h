/*
 * chat.h - the chat loop that lab 03's server and client share.
 *
 * Once connected, the two programs are the same: each sends the lines
 * typed on its stdin and prints the lines that arrive on its socket.  Only
 * the way they get the socket differs (accept or connect), so that part
 * stays in server.c and client.c and the rest lives here, once.
 */
#ifndef CHAT_H
#define CHAT_H

#include <signal.h>

#include "netlab.h"

/*
 * Chats over the connected socket SOCK until `bye` is typed or received,
 * stdin ends, the peer leaves (then it prints `peer left`), or *STOP
 * becomes nonzero.  Every line typed is sent with a "\n"; every line
 * received is printed on stdout as `peer: LINE`.  Does not close SOCK:
 * whoever opened it closes it.
 * *STOP is main's flag, set by its handler for SIGINT and SIGTERM; that
 * handler is installed without SA_RESTART, so a signal also makes a
 * blocked poll fail with EINTR, and the loop then sees the flag.
 * Returns 0 when the chat ended in any of those ways, or -1 with a message
 * in ERR when the chat itself failed (stdin, stdout, poll, memory).
 */
int chat(int sock, const volatile sig_atomic_t *stop, char err[NET_ERRLEN]);

#endif
