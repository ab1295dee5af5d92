/*
 * deny_namespaces - runs a command where no namespace may be made, as in a
 * default Docker container (Gradescope's kind of machine): a seccomp filter
 * fails unshare(2), setns(2) and clone(2) with any CLONE_NEW* flag with
 * EPERM, as Docker's default profile does, and clone3(2) with ENOSYS, so
 * that the C library falls back to clone(2), where the flags can be seen.
 * The tests run the grader under it to see that it still grades right and
 * says which layers of isolation were missing.
 *
 * Usage: deny_namespaces COMMAND [ARGUMENT...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const unsigned long namespace_flags[] = { CLONE_NEWNS,    CLONE_NEWUTS, CLONE_NEWIPC,
                                                 CLONE_NEWUSER,  CLONE_NEWPID, CLONE_NEWNET,
                                                 CLONE_NEWCGROUP };

/* The filter; 0, or a negative errno from libseccomp. */
static int deny(scmp_filter_ctx ctx)
{
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 0);
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(setns), 0);
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    /* One rule per flag: a rule's comparisons all must hold, and "any of
     * these bits" is several rules. */
    for (size_t i = 0; rc == 0 && i < sizeof namespace_flags / sizeof namespace_flags[0]; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, namespace_flags[i],
                                      namespace_flags[i]));
    return rc == 0 ? seccomp_load(ctx) : rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: deny_namespaces COMMAND [ARGUMENT...]\n");
        return 2;
    }
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    int rc = ctx == NULL ? -ENOMEM : deny(ctx);
    if (ctx != NULL)
        seccomp_release(ctx);
    if (rc != 0) {
        fprintf(stderr, "deny_namespaces: cannot load the seccomp filter: %s\n",
                strerror(-rc));
        return 1;
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "deny_namespaces: cannot run %s: %s\n", argv[1], strerror(errno));
    return 127;
}
