/* Asked to GET data.bin, leaves data.bin as a symbolic link to
 * /etc/shadow instead of the file: the grader, as root, must not read
 * what the link leads to (it used to, and showed where it differed). */
#include "hostile.h"

int main(int argc, char **argv)
{
    int fd = connect_argument(argc, argv);
    if (fd < 0)
        return 1;
    char line[256];
    if (fgets(line, sizeof line, stdin) == NULL ||
        send(fd, line, strlen(line), MSG_NOSIGNAL) < 0)
        return 1;
    if (symlink("/etc/shadow", "data.bin") < 0)
        perror("symlink");
    char chunk[65536];
    while (read(fd, chunk, sizeof chunk) > 0)
        ;
    while (fgets(line, sizeof line, stdin) != NULL)
        ;
    return 0;
}
