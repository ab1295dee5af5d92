/* Closes its standard input, connects, and then waits forever. */
#include "hostile.h"

int main(int argc, char **argv)
{
    close(STDIN_FILENO);
    if (connect_argument(argc, argv) < 0)
        return 1;
    for (;;)
        pause();
}
