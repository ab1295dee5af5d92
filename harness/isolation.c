/*
 * isolation.c - the one sentence every report gives of the isolation that
 * held for a run's checks (isolation.h).  Which layers hold depends on where
 * the grader runs, so a report that left out the missing ones would
 * promise what did not hold: each missing layer is said, with what the
 * programs could then reach, and layers that held for some checks only are
 * said to be so.
 */
#include "isolation.h"

#include <stdbool.h>

#include "buf.h"
#include "lab.h"

/* The index of BIT (one enum isolation_layer) in a tally's counts. */
static size_t index_of(unsigned bit)
{
    size_t i = 0;
    while (i < ISOLATION_LAYERS && (1u << i) != bit)
        i++;
    return i;
}

void isolation_count(struct isolation_tally *t, const struct check_result *results, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned bits = results[i].isolation;
        if (!(bits & ISOLATION_RECORDED))
            continue; /* never ran: nothing held for it */
        t->checks++;
        for (size_t b = 0; b < ISOLATION_LAYERS; b++)
            t->held[b] += (bits >> b) & 1u;
    }
}

static size_t held(const struct isolation_tally *t, unsigned bit)
{
    return t->held[index_of(bit)];
}

static bool in_every(const struct isolation_tally *t, unsigned bit)
{
    return held(t, bit) == t->checks;
}

static bool in_none(const struct isolation_tally *t, unsigned bit)
{
    return held(t, bit) == 0;
}

/* Appends the N WORDS as "a, b and c" (LAST: " and " or " or "). */
static void put_list(struct buf *b, const char *const *words, size_t n, const char *last)
{
    for (size_t i = 0; i < n; i++)
        buf_printf(b, "%s%s", i == 0 ? "" : i + 1 == n ? last : ", ", words[i]);
}

/* The namespaces a check may have, as the sentence names them, and what
 * its programs share with the machine without each. */
static const struct {
    unsigned bit;
    const char *name, *shared;
} namespaces[] = {
    { ISOLATION_PID_NAMESPACE, "PID", "processes" },
    { ISOLATION_NETWORK_NAMESPACE, "network", "network" },
    { ISOLATION_IPC_NAMESPACE, "IPC", "IPC objects" },
    { ISOLATION_PRIVATE_MOUNTS, "mount", "/tmp" },
};

/* "memory by cgroup v1", or for checks that differ, by how many each;
 * "no memory limit" where none was asked for (sanitizer builds). */
static void put_memory(struct buf *b, const struct isolation_tally *t)
{
    if (in_none(t, ISOLATION_MEMORY_LIMIT)) {
        buf_puts(b, "no memory limit");
        return;
    }
    size_t v1 = held(t, ISOLATION_CGROUP_V1), v2 = held(t, ISOLATION_CGROUP_V2);
    const struct {
        size_t checks;
        const char *kind;
    } kinds[] = {
        { v1, "cgroup v1" },
        { v2, "cgroup v2" },
        { t->checks - v1 - v2, RLIMITS_ONLY },
    };
    buf_puts(b, "memory by ");
    const char *sep = "";
    for (size_t i = 0; i < COUNT_OF(kinds); i++) {
        if (kinds[i].checks == t->checks) {
            buf_puts(b, kinds[i].kind);
            return;
        }
        if (kinds[i].checks > 0) {
            buf_printf(b, "%s%s in %zu of %zu %s", sep, kinds[i].kind, kinds[i].checks,
                       t->checks, plural_of((long long)t->checks, "check", "checks"));
            sep = ", ";
        }
    }
}

/* Not as root, and nothing but limits anywhere: the usual case of a
 * student grading their own work. */
static bool limits_only(const struct isolation_tally *t)
{
    bool layer = false;
    for (size_t i = 0; i < COUNT_OF(namespaces); i++)
        layer |= !in_none(t, namespaces[i].bit);
    layer |= !in_none(t, ISOLATION_OWN_ROOT) || !in_none(t, ISOLATION_OWN_USER) ||
             !in_none(t, ISOLATION_USER_NAMESPACE);
    return !layer && in_none(t, ISOLATION_AS_ROOT);
}

/* "; no PID or network namespace (why) and no user of their own, so
 * programs share the machine's ...": every layer no check had. */
static void put_missing(struct buf *b, const struct isolation_tally *t)
{
    bool as_root = !in_none(t, ISOLATION_AS_ROOT);
    const char *names[COUNT_OF(namespaces)], *shared[COUNT_OF(namespaces) + 1];
    size_t nnames = 0, nshared = 0;
    for (size_t i = 0; i < COUNT_OF(namespaces); i++) {
        if (in_none(t, namespaces[i].bit)) {
            names[nnames++] = namespaces[i].name;
            shared[nshared++] = namespaces[i].shared;
        }
    }
    bool no_root = in_none(t, ISOLATION_OWN_ROOT), no_user = in_none(t, ISOLATION_OWN_USER);
    if (no_root)
        shared[nshared++] = "system files";
    if (nnames == 0 && !no_root && !no_user)
        return;
    buf_puts(b, "; ");
    const char *sep = "";
    if (nnames > 0) {
        buf_puts(b, "no ");
        put_list(b, names, nnames, " or ");
        buf_printf(b, " namespace (%s)",
                   !as_root && in_none(t, ISOLATION_USER_NAMESPACE)
                       ? "not root, and no user namespace"
                   : nnames > 1 ? "the system refused them"
                                : "the system refused it");
        sep = ", ";
    }
    if (no_root) {
        buf_printf(b, "%sno root file system of their own", sep);
        sep = ", ";
    }
    if (no_user)
        buf_printf(b, "%sno user of their own%s", sep, as_root ? "" : " (not root)");
    /* What programs can then do, as "a, b and c". */
    const char *can[3];
    size_t ncan = 0;
    struct buf share = { 0 };
    if (no_user)
        can[ncan++] = as_root ? "run as root" : "run as your user";
    if (no_user && no_root && !as_root)
        can[ncan++] = "see your files";
    else if (!no_user && in_none(t, ISOLATION_PRIVATE_MOUNTS))
        can[ncan++] = "see the kit";
    if (nshared > 0) {
        buf_puts(&share, "share the machine's ");
        put_list(&share, shared, nshared, " and ");
        can[ncan++] = share.data;
    }
    buf_puts(b, ", so programs ");
    put_list(b, can, ncan, " and ");
    buf_free(&share);
}

/* "; only some checks had: a mount namespace (3 of 10)": layers that held
 * for some checks and not others. */
static void put_partial(struct buf *b, const struct isolation_tally *t)
{
    const struct {
        unsigned bit;
        const char *name;
    } layers[] = {
        { ISOLATION_USER_NAMESPACE, "a user namespace" },
        { ISOLATION_PID_NAMESPACE, "a PID namespace" },
        { ISOLATION_NETWORK_NAMESPACE, "a network namespace" },
        { ISOLATION_IPC_NAMESPACE, "an IPC namespace" },
        { ISOLATION_PRIVATE_MOUNTS, "a mount namespace" },
        { ISOLATION_OWN_ROOT, "a root file system of their own" },
        { ISOLATION_OWN_USER, "a user of their own" },
    };
    const char *sep = "; only some checks had: ";
    for (size_t i = 0; i < COUNT_OF(layers); i++) {
        size_t n = held(t, layers[i].bit);
        if (n > 0 && n < t->checks) {
            buf_printf(b, "%s%s (%zu of %zu)", sep, layers[i].name, n, t->checks);
            sep = ", ";
        }
    }
}

char *isolation_sentence(const struct isolation_tally *t)
{
    struct buf b = { 0 };
    buf_puts(&b, "Isolation: ");
    if (t->checks == 0) {
        buf_puts(&b, "none to say: no check ran.");
        return b.data;
    }
    if (limits_only(t)) {
        buf_puts(&b, "limits only, ");
        put_memory(&b, t);
        buf_puts(&b, ": not root, and no user namespace allowed, so programs run as your "
                     "user, see your files and share "
                     "the machine's processes and network.");
        return b.data;
    }
    const char *names[COUNT_OF(namespaces) + 1];
    size_t nnames = 0;
    /* An ordinary user's are in a user namespace: said first, as the one
     * the others are made in. */
    if (in_every(t, ISOLATION_USER_NAMESPACE))
        names[nnames++] = "user";
    for (size_t i = 0; i < COUNT_OF(namespaces); i++)
        if (in_every(t, namespaces[i].bit))
            names[nnames++] = namespaces[i].name;
    if (nnames > 0) {
        put_list(&b, names, nnames, " and ");
        buf_printf(&b, " namespace%s; ", nnames > 1 ? "s" : "");
    }
    if (in_every(t, ISOLATION_OWN_ROOT))
        buf_puts(&b, "a root file system per check; ");
    if (in_every(t, ISOLATION_OWN_USER))
        buf_puts(&b, "a user per check; ");
    put_memory(&b, t);
    put_missing(&b, t);
    put_partial(&b, t);
    buf_puts(&b, ".");
    return b.data;
}

char *isolation_of_results(const struct check_result *results, size_t n)
{
    struct isolation_tally t = { 0 };
    isolation_count(&t, results, n);
    return isolation_sentence(&t);
}
