/* Binds its port but never listens on it. */
#include "hostile.h"

int main(int argc, char **argv)
{
    bind_port(port_argument(argc, argv));
    for (;;)
        pause();
}
