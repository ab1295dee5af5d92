/*
 * children.h - child exits as a pollable descriptor (children.c's SIGCHLD
 * self-pipe).
 */
#ifndef NETLAB_CHILDREN_H
#define NETLAB_CHILDREN_H

/* watch_children sets it up for the calling process and returns it. */
int watch_children(void);
void drain_child_events(void);

struct check;
/* The pipe as one of check C's event sources: once, by its first program. */
void watch_child_exits(struct check *c);

#endif
