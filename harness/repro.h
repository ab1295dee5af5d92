/*
 * repro.h - a script that reproduces a failed check by hand: beside the
 * check's transcript, LAB/CHECK.repro starts the student's programs as the
 * check did (the same program of the lab folder, arguments with fresh
 * ports, a terminal or pipes, the environment it added, a fresh folder to
 * run in) and plays the grader's side with Python's socket module from the
 * check's replay log, then says whether the programs did as they did when
 * graded.  Run as `sh LAB/CHECK.repro [LAB_FOLDER]` (or python3): it exits
 * 1 and prints the check's message when they did, 0 with "did not
 * reproduce: ..." and where they differed when not, and 2 when it cannot
 * run the check.  harness/repro.py is its engine and says what it compares.
 *
 * The replay log (check_result's `replay`) is written in the check's
 * process by log_replay (core.h), a record per event of the event log
 * (diagram.h) and a few of its own:
 *
 *     MS \t KIND \t CONN \t FROM \t TO \t LEN \n  LEN bytes  \n
 *
 * CONN numbers a connection of the grader (0: none); the LEN bytes are all
 * of a payload, unescaped.  Its own kinds: port (a port the grader took,
 * its number), listen and refuse (the grader listens, or only binds, on
 * it), udp-listen and udp-to (its UDP socket for TO), lab (TO's lab
 * folder), program (TO's file in it) or program-path (a file elsewhere),
 * argv and env (NUL-terminated words: TO's arguments after argv[0], the
 * variables added to its environment), input ("terminal" or "pipe") and
 * preload (shortio.so under TO); then TO's start event.
 */
#ifndef NETLAB_REPRO_H
#define NETLAB_REPRO_H

#include <stdbool.h>
#include <stdio.h>

#include "runner.h"

/* Whether R gets a script: a failed check (not a grader error) that ran. */
bool has_repro(const struct check_result *r);

/* Writes R's script to F (shortio.so looked for next to the grader). */
void write_repro(FILE *f, const struct check_result *r);

#endif
