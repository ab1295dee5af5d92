/* Holds 2 GiB in memory files (memfd_create), written, never mapped,
 * before it serves: each file stays under the file size limit, and
 * RLIMIT_DATA counts none of them. */
#include <sys/mman.h>

#include "hostile.h"

#define FILE_BYTES (32UL << 20)

int main(int argc, char **argv)
{
    int port = port_argument(argc, argv);
    static char chunk[1 << 20];
    memset(chunk, 1, sizeof chunk);
    for (unsigned long held = 0; held < HOG_BYTES; held += FILE_BYTES) {
        int fd = memfd_create("hog", 0);
        for (unsigned long n = 0; fd >= 0 && n < FILE_BYTES; n += sizeof chunk)
            if (write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk)
                fd = -1;
        if (fd < 0) {
            perror("server: memfd");
            return 1;
        }
    }
    fprintf(stderr, "holding %lu MiB in memory files\n", HOG_BYTES >> 20);
    serve_echo(listen_on(port));
}
