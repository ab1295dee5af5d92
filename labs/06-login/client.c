/*
 * Lab 06 - login: the client.  Usage: client HOST PORT
 *
 * Your task: the seed's menu, over the lab's protocol.  Until a login
 * succeeds it offers
 *     1. Login   2. Registration   3. Exit
 * and once logged in
 *     1. Who am I   2. Change password   3. Exit   4. Log out
 * Each choice asks for what it needs, sends one command, and prints the
 * server's reply line as it is.  Exit sends QUIT and ends with status 0,
 * as does the end of input.  Read handouts/06-login.md first.  Checking
 * the arguments is done for you; the numbered TODOs walk you through the
 * rest.
 */
#include <stdio.h>
#include <stdlib.h>

#include "netlab.h"
#include "protocol.h"

int
main(int argc, char *argv[])
{
    if (argc != 3 || parse_port(argv[2]) == -1) {
        fprintf(stderr, "usage: client HOST PORT\n");
        return 2;
    }
    const char *host = argv[1], *port = argv[2];

    /*
     * TODO 1. signal(SIGPIPE, SIG_IGN), then connect_tcp(host, port, err);
     *    on -1 print "client: " and err on stderr and return 1.  Then a
     *    line_reader on the socket (MAX_LINE), for the replies.
     *
     * TODO 2. A helper that sends one command and its "\n" (send_all),
     *    reads the reply line (read_line) and prints it as it is.  The
     *    server speaks only to answer, so read right after each command.
     *    If the server closes the connection: one line on stderr, return 1.
     *
     * TODO 3. The main menu in a loop: print it, read the choice
     *    (fgets on stdin).  1 and 2: ask "Name: " and "Password: " (two
     *    lines; no echo for the password: tcgetattr/tcsetattr with TCSANOW
     *    clearing ECHO, restored right after), refuse a name or password
     *    with a space (it would split the command), send "LOGIN name
     *    password" or "REGISTER name password", print the reply.  A reply
     *    starting "OK" to LOGIN switches to the logged-in menu.
     *
     * TODO 4. The logged-in menu: 1 sends WHOAMI; 2 asks for the current
     *    password, then the new one, and sends "PASSWD old new"; 4 sends
     *    LOGOUT and, on "OK", goes back to the main menu.
     *
     * TODO 5. 3 (in either menu) and the end of input: send QUIT, print
     *    the reply if one comes, close, and return 0.
     */
    (void)host;
    (void)port;
    fprintf(stderr, "client: not implemented yet — see the TODOs in client.c\n");
    return 1;
}
