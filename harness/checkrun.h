/*
 * checkrun.h - the life of one check in its process (checkrun.c).
 */
#ifndef NETLAB_CHECKRUN_H
#define NETLAB_CHECKRUN_H

struct check;

/* Runs the check C (its lab, definition, slot and options filled in by
 * the runner): opens its lab folder, sets up its sandbox, runs it, and
 * hands its result to the runner.  Never returns. */
_Noreturn void run_check(struct check *c);

#endif
