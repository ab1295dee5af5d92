/* Holds a 2 GiB System V shared memory segment, every page touched,
 * before it serves.  The segment would outlive the program: only the
 * check's IPC namespace ends it. */
#include <sys/ipc.h>
#include <sys/shm.h>

#include "hostile.h"

int main(int argc, char **argv)
{
    int port = port_argument(argc, argv);
    int id = shmget(IPC_PRIVATE, HOG_BYTES, IPC_CREAT | 0600);
    char *p = id < 0 ? (char *)-1 : shmat(id, NULL, 0);
    if (p == (char *)-1) {
        perror("server: shm");
        return 1;
    }
    touch_pages(p, HOG_BYTES);
    fprintf(stderr, "holding %lu MiB of System V shared memory\n", HOG_BYTES >> 20);
    serve_echo(listen_on(port));
}
