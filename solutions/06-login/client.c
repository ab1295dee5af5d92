/*
 * Lab 06 - login: the client.  Usage: client HOST PORT
 * The seed's menu, over lab 06's protocol.  Until a login succeeds:
 *     1. Login   2. Registration   3. Exit
 * and once logged in:
 *     1. Who am I   2. Change password   3. Exit   4. Log out
 * Each choice asks for what it needs (a name, a password, the old and the
 * new password), sends one command, and prints the server's reply line as
 * it is.  Exit sends QUIT and ends with status 0, as does the end of
 * input.  The conversation is lock-step: the server speaks only to answer,
 * so the client reads the socket only right after a command.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "netlab.h"
#include "protocol.h"

#define MAX_INPUT 1024 /* longest line typed that is kept */

/* The connection and what came back on it. */
struct conn {
    int fd;
    struct line_reader r;
};

/*
 * Reads one line typed by the user into BUF (at most SIZE-1 bytes kept;
 * the rest of a longer line is dropped), without its "\n" or "\r".
 * With HIDDEN, the terminal does not echo it (a password).
 * Returns 1, or 0 at the end of input.
 */
static int
read_input(char *buf, size_t size, int hidden)
{
    struct termios before, quiet;
    int restore = 0;

    if (hidden && tcgetattr(STDIN_FILENO, &before) == 0) {
        quiet = before;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        /* TCSANOW, not TCSAFLUSH: what was already typed must stay. */
        restore = tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0;
    }
    int got = fgets(buf, (int)size, stdin) != NULL;
    if (restore) {
        tcsetattr(STDIN_FILENO, TCSANOW, &before);
        printf("\n"); /* the newline that was not echoed */
    }
    if (!got)
        return 0;
    size_t len = strcspn(buf, "\n");
    if (buf[len] != '\n' && !feof(stdin)) {
        int c; /* a longer line: drop the rest */
        while ((c = getchar()) != EOF && c != '\n')
            ;
    }
    buf[len] = '\0';
    if (len > 0 && buf[len - 1] == '\r')
        buf[len - 1] = '\0';
    return 1;
}

/* Prints PROMPT, then reads an answer.  Returns 1, or 0 at end of input. */
static int
ask_user(const char *prompt, char *buf, size_t size, int hidden)
{
    printf("%s", prompt);
    fflush(stdout);
    return read_input(buf, size, hidden);
}

/*
 * Sends COMMAND and prints the reply line; copies the reply into REPLY
 * (SIZE bytes) when REPLY is not NULL.  Returns 0, or -1 with a message
 * printed when the connection failed or the server closed it.
 */
static int
transact(struct conn *c, const char *command, char *reply, size_t size)
{
    char *line;
    size_t len;

    if (send_all(c->fd, command, strlen(command)) == -1 || send_all(c->fd, "\n", 1) == -1) {
        fprintf(stderr, "client: send to the server: %s\n", strerror(errno));
        return -1;
    }
    int got = read_line(&c->r, &line, &len);
    if (got == 1) {
        printf("%s\n", line);
        if (reply != NULL)
            snprintf(reply, size, "%s", line);
        return 0;
    }
    if (got == 0)
        fprintf(stderr, "client: the server closed the connection\n");
    else
        fprintf(stderr, "client: receive from the server: %s\n", strerror(errno));
    return -1;
}

/* Whether TEXT can go on the wire as one argument: not empty, no space. */
static int
one_word(const char *text)
{
    return text[0] != '\0' && strchr(text, ' ') == NULL;
}

/* Asks for NAME and PASSWORD, then sends "VERB NAME PASSWORD".
 * Returns 1 after a reply (in REPLY), 0 at end of input, -1 on error. */
static int
send_credentials(struct conn *c, const char *verb, char *reply, size_t size)
{
    char name[MAX_INPUT], password[MAX_INPUT], command[2 * MAX_INPUT + 16];

    if (!ask_user("Name: ", name, sizeof name, 0) ||
        !ask_user("Password: ", password, sizeof password, 1))
        return 0;
    if (!one_word(name) || !one_word(password)) {
        printf("A name and a password are one word each, with no spaces.\n");
        snprintf(reply, size, "%s", "");
        return 1;
    }
    snprintf(command, sizeof command, "%s %s %s", verb, name, password);
    int rc = transact(c, command, reply, size);
    memset(password, 0, sizeof password);
    memset(command, 0, sizeof command);
    return rc == -1 ? -1 : 1;
}

/* Change password: asks for the old one, then the new one. */
static int
change_password(struct conn *c)
{
    char old[MAX_INPUT], new[MAX_INPUT], command[2 * MAX_INPUT + 16];

    if (!ask_user("Current password: ", old, sizeof old, 1) ||
        !ask_user("New password: ", new, sizeof new, 1))
        return 0;
    if (!one_word(old) || !one_word(new)) {
        printf("A password is one word, with no spaces.\n");
        return 1;
    }
    snprintf(command, sizeof command, "PASSWD %s %s", old, new);
    int rc = transact(c, command, NULL, 0);
    memset(old, 0, sizeof old);
    memset(new, 0, sizeof new);
    memset(command, 0, sizeof command);
    return rc == -1 ? -1 : 1;
}

/*
 * The menus, until Exit, the end of input, or an error.  Returns 0 when
 * the user is done (QUIT was sent), -1 on an error.
 */
static int
menus(struct conn *c)
{
    int logged_in = 0;
    char choice[MAX_INPUT], reply[MAX_LINE + 1];

    for (;;) {
        if (logged_in)
            printf("\n1. Who am I\n2. Change password\n3. Exit\n4. Log out\n");
        else
            printf("\n1. Login\n2. Registration\n3. Exit\n");
        if (!ask_user("Choice: ", choice, sizeof choice, 0))
            break;
        int rc = 1;
        if (strcmp(choice, "3") == 0) {
            break;
        } else if (!logged_in && strcmp(choice, "1") == 0) {
            rc = send_credentials(c, "LOGIN", reply, sizeof reply);
            logged_in = rc == 1 && strncmp(reply, "OK", 2) == 0;
        } else if (!logged_in && strcmp(choice, "2") == 0) {
            rc = send_credentials(c, "REGISTER", reply, sizeof reply);
        } else if (logged_in && strcmp(choice, "1") == 0) {
            rc = transact(c, "WHOAMI", NULL, 0) == -1 ? -1 : 1;
        } else if (logged_in && strcmp(choice, "2") == 0) {
            rc = change_password(c);
        } else if (logged_in && strcmp(choice, "4") == 0) {
            rc = transact(c, "LOGOUT", reply, sizeof reply) == -1 ? -1 : 1;
            logged_in = rc == 1 && strncmp(reply, "OK", 2) != 0;
        } else {
            printf("Choose one of the numbers above.\n");
        }
        if (rc == -1)
            return -1;
        if (rc == 0)
            break; /* end of input in the middle */
    }
    /* Exit, or the end of input: say goodbye and print the reply, if one
     * comes; the session is over either way. */
    char *line;
    size_t len;
    if (send_all(c->fd, "QUIT\n", 5) == 0 && read_line(&c->r, &line, &len) == 1)
        printf("%s\n", line);
    return 0;
}

int
main(int argc, char *argv[])
{
    if (argc != 3 || parse_port(argv[2]) == -1) {
        fprintf(stderr, "usage: client HOST PORT\n");
        return 2;
    }
    char err[NET_ERRLEN];

    /* A server that vanishes must make send fail, not kill us. */
    signal(SIGPIPE, SIG_IGN);

    struct conn c;
    c.fd = connect_tcp(argv[1], argv[2], err);
    if (c.fd == -1) {
        fprintf(stderr, "client: %s\n", err);
        return 1;
    }
    if (line_reader_init(&c.r, c.fd, MAX_LINE) == -1) {
        fprintf(stderr, "client: %s\n", strerror(errno));
        close(c.fd);
        return 1;
    }
    int rc = menus(&c);
    line_reader_free(&c.r);
    close(c.fd);
    return rc == 0 ? 0 : 1;
}
