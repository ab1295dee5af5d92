/* Fills its folder (in /tmp) with 1 MiB files, each far under the file
 * size limit, up to 2 GiB; says how far it got and why it stopped, and
 * exits without serving. */
#include <errno.h>
#include <fcntl.h>

#include "hostile.h"

int main(int argc, char **argv)
{
    port_argument(argc, argv);
    static char chunk[1 << 20];
    memset(chunk, 1, sizeof chunk);
    unsigned long wrote = 0;
    int err = 0;
    for (int i = 0; wrote < HOG_BYTES && err == 0; i++) {
        char name[32];
        snprintf(name, sizeof name, "fill-%d", i);
        int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ssize_t n = fd < 0 ? -1 : write(fd, chunk, sizeof chunk);
        if (n != (ssize_t)sizeof chunk)
            err = n < 0 ? errno : ENOSPC;
        else
            wrote += sizeof chunk;
        if (fd >= 0)
            close(fd);
    }
    fprintf(stderr, "wrote %lu MiB in its folder: %s\n", wrote >> 20,
            err ? strerror(err) : "never ran out of space");
    return 1;
}
