/* Spins forever before it ever listens. */
#include "hostile.h"

int main(int argc, char **argv)
{
    port_argument(argc, argv);
    for (volatile unsigned long spins = 0;; spins++)
        ;
}
