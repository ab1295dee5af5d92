/*
 * shortio.h - what the grader and shortio.so agree on.
 *
 * The grader gives each program of a short-counts check the write end of a
 * pipe, its number in this environment variable.  shortio.so's constructor,
 * which runs before the program's main, writes one byte there and closes
 * it: once the program has done something only its main could (listened,
 * connected), the byte in the pipe says whether the library was loaded,
 * whether the program is still running or not.
 */
#ifndef NETLAB_SHORTIO_H
#define NETLAB_SHORTIO_H

#define SHORTIO_ANNOUNCE_ENV "NETLAB_SHORTIO_FD"

#endif
