/*
 * An echo server that first makes System V IPC objects (a shared memory
 * segment, a semaphore set, a message queue) and never removes them: they
 * would outlive it, the check and the grader, in the machine's kernel,
 * unless the check has an IPC namespace of its own.
 */
#include "hostile.h"

#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

int main(int argc, char **argv)
{
    int port = port_argument(argc, argv);
    if (shmget(IPC_PRIVATE, 1 << 20, IPC_CREAT | 0600) < 0 ||
        semget(IPC_PRIVATE, 1, IPC_CREAT | 0600) < 0 ||
        msgget(IPC_PRIVATE, IPC_CREAT | 0600) < 0) {
        perror("server: ipc");
        return 1;
    }
    serve_echo(listen_on(port));
}
