/* Takes memory 64 MiB at a time, touching every page, up to 8 GiB, before
 * it listens; says so and stops when it gets no more. */
#include "hostile.h"

#define CHUNK (64UL << 20)
#define PAGE 4096

int main(int argc, char **argv)
{
    int port = port_argument(argc, argv);
    for (unsigned long taken = 0; taken < (8UL << 30); taken += CHUNK) {
        char *p = malloc(CHUNK);
        if (p == NULL) {
            fprintf(stderr, "no more memory after %lu MiB\n", taken >> 20);
            return 1;
        }
        for (unsigned long i = 0; i < CHUNK; i += PAGE)
            p[i] = 1;
    }
    listen_on(port);
    for (;;)
        pause();
}
