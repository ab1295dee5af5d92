/* Listens, then writes to stdout without end. */
#include "hostile.h"

int main(int argc, char **argv)
{
    listen_on(port_argument(argc, argv));
    static char block[64 * 1024];
    memset(block, 'x', sizeof block);
    for (;;)
        if (write(STDOUT_FILENO, block, sizeof block) < 0)
            return 1;
}
