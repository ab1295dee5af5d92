/*
 * chat.c - the chat loop of lab 03, shared by the server and the client.
 *
 * Your task: write chat(), declared in chat.h.  server.c and client.c are
 * complete: they get a connected socket and call chat(), and its return
 * value decides their exit status.  Read handouts/03-chat.md first, its
 * pitfalls above all; the numbered TODOs follow its section "The chat
 * loop, step by step".  Write small static functions above chat() (one
 * per source of lines, say) rather than one long loop.
 */
#include "chat.h"

#include <stdio.h>

int
chat(int sock, const volatile sig_atomic_t *stop, char err[NET_ERRLEN])
{
    /*
     * TODO 1. Two line readers (line_reader_init in netlab.h): one on
     *    STDIN_FILENO, one on sock, each taking lines of at least 64 KiB
     *    (1 MiB costs nothing more than memory).  Not fgets or getline
     *    for the keyboard: their buffer is invisible to poll (see
     *    "Pitfall: stdio buffers and poll").
     *
     * TODO 2. An array of two struct pollfd: STDIN_FILENO and sock, both
     *    with events = POLLIN.
     *
     * TODO 3. The loop: poll(fds, 2, timeout) waits on both at once.
     *    A reader may already hold a complete line that poll cannot see:
     *    ask line_buffered(&reader) (netlab.h) before each poll.  Timeout
     *    -1 (sleep) when neither reader has a line, else 0 (only look).
     *    Loop while the chat goes on and *stop is 0: main's handler for
     *    SIGINT and SIGTERM sets it, and the signal makes a blocked poll
     *    fail with EINTR; then go round, and the loop ends.
     *
     * TODO 4. When the socket is ready (revents != 0, which also counts
     *    POLLHUP and POLLERR) or its reader has a line: read_line once.
     *    - 1: print "peer: LINE" (fwrite with its length: the line may
     *      hold '\0'), then fflush(stdout).  If LINE is "bye", end.
     *    - 0 (closed) or -1 (reset): print "peer left" and end.
     *    - -1 with errno EMSGSIZE: a line too long was skipped; say so on
     *      stderr and go on.
     *
     * TODO 5. When stdin is ready or its reader has a line: read_line once.
     *    - 0: end of input (Ctrl-D): end the chat, without sending bye.
     *    - 1: send LINE and "\n" with send_all.  If that fails, the peer
     *      is gone: "peer left", end.  If LINE is "bye", end after sending.
     *
     * TODO 6. After the loop: line_reader_free both readers.  Return 0
     *    when the chat ended (bye, end of input, peer left, a stop), or
     *    -1 with a message in err when stdin, stdout or poll failed.  Do
     *    not close sock: main opened it and closes it.
     */
    (void)sock, (void)stop;
    snprintf(err, NET_ERRLEN, "not implemented yet — see the TODOs in chat.c");
    return -1;
}
