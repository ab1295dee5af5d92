/*
 * children.h - child exits as a pollable descriptor (children.c).
 */
#ifndef NETLAB_CHILDREN_H
#define NETLAB_CHILDREN_H

/* children.c: child exits as a pollable descriptor (a SIGCHLD self-pipe).
 * watch_children sets it up for the calling process and returns it. */
int watch_children(void);
int child_events_fd(void);
void drain_child_events(void);

#endif
