/*
 * children.h - child exits as a pollable descriptor (children.c's SIGCHLD
 * self-pipe).
 */
#ifndef NETLAB_CHILDREN_H
#define NETLAB_CHILDREN_H

/* watch_children sets it up for the calling process and returns it. */
int watch_children(void);
int child_events_fd(void);
void drain_child_events(void);

#endif
