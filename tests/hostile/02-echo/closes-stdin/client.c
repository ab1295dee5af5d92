/* Closes its standard input, connects, and then waits forever. */
#include <netdb.h>

#include "hostile.h"

int main(int argc, char **argv)
{
    close(STDIN_FILENO);
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
    if (argc != 3 || getaddrinfo(argv[1], argv[2], &hints, &ai) != 0)
        return 2;
    int fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
        return 1;
    for (;;)
        pause();
}
