/*
 * isolation.h - the sentence every report gives of the layers of isolation
 * that held for its checks ("Isolation: PID, network, IPC and mount
 * namespaces; a user per check; memory by cgroup v1; ..."), each missing
 * one said, and those that held for some checks only.  A tally counts the
 * checks that ran (isolation_count, as often as needed: a class's
 * submissions) and each layer's; isolation_sentence makes the sentence, to
 * be freed.  isolation_of_results: both, for N RESULTS.
 */
#ifndef NETLAB_ISOLATION_H
#define NETLAB_ISOLATION_H

#include <stddef.h>

#include "runner.h"

struct isolation_tally {
    size_t checks;                 /* checks that said which held */
    size_t held[ISOLATION_LAYERS]; /* how many had each layer, by bit */
};
void isolation_count(struct isolation_tally *t, const struct check_result *results, size_t n);
char *isolation_sentence(const struct isolation_tally *t);
char *isolation_of_results(const struct check_result *results, size_t n);

#endif
