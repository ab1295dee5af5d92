/* Holds 2 GiB of MAP_SHARED | MAP_ANONYMOUS memory, every page touched,
 * before it serves: RLIMIT_DATA counts only private mappings. */
#include <sys/mman.h>

#include "hostile.h"

int main(int argc, char **argv)
{
    int port = port_argument(argc, argv);
    char *p = mmap(NULL, HOG_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("server: mmap");
        return 1;
    }
    touch_pages(p, HOG_BYTES);
    fprintf(stderr, "holding %lu MiB of shared memory\n", HOG_BYTES >> 20);
    serve_echo(listen_on(port));
}
