/*
 * tsan.h - for the check's start: keeping the helper library that the
 * checks which build a lab's sources (tsan.c) build with.
 */
#ifndef NETLAB_TSAN_H
#define NETLAB_TSAN_H

struct check;

/* tsan.c: reads the kit's helper library, for a check that builds the
 * lab's sources, before the check's mounts hide the kit. */
void keep_helper_library(struct check *c);

#endif
