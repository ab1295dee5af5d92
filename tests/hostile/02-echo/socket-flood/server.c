/* Sends to every client without end, whatever it is sent. */
#include "hostile.h"

int main(int argc, char **argv)
{
    int listener = listen_on(port_argument(argc, argv));
    static char block[64 * 1024];
    memset(block, 'x', sizeof block);
    for (;;) {
        int conn = accept(listener, NULL, NULL);
        while (conn >= 0 && send(conn, block, sizeof block, MSG_NOSIGNAL) > 0)
            ;
        close(conn);
    }
}
