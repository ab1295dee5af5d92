/* A correct echo server that first writes a file in /tmp and tries to
 * write one into the kit, at the path its own executable reveals
 * (KIT/build/hostile/writes-outside/02-echo/server), and one at the top of
 * its root file system: where that root is its own it is read-only, and
 * if it is not, it gives up, status 3. */
#include <fcntl.h>
#include <limits.h>

#include "hostile.h"

static void try_write(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        if (write(fd, "pwned\n", 6) < 0)
            perror(path);
        close(fd);
    }
}

int main(int argc, char **argv)
{
    int port = port_argument(argc, argv);
    try_write("/tmp/netlab-hostile-stray");
    char kit[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", kit, sizeof kit - 64);
    if (n > 0) {
        kit[n] = '\0';
        for (int up = 0; up < 5; up++) {
            char *slash = strrchr(kit, '/'); /* a short path in a root of its own */
            if (slash != NULL)
                *slash = '\0';
        }
        strcat(kit, "/harness/netlab-hostile-pwned");
        try_write(kit);
    }
    int top = open("/netlab-hostile-top", O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (top >= 0 && access("/run/netlab", F_OK) == 0) {
        /* Without the stray, the check fails for this instead. */
        unlink("/tmp/netlab-hostile-stray");
        fprintf(stderr, "wrote /netlab-hostile-top in a root of its own\n");
        return 3;
    }
    serve_echo(listen_on(port));
}
