/*
 * sandbox.h - what a student's program may touch (sandbox.c), set up
 * for each check and each build.
 */
#ifndef NETLAB_SANDBOX_H
#define NETLAB_SANDBOX_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "buf.h"
#include "confinement.h"

struct check;

void sandbox_prepare(struct check *c); /* at the start of the check */
/* The user programs started by the caller run as, as root:
 * SANDBOX_UID_BASE + the caller's process ID. */
uid_t sandbox_uid_of_self(void);
/* For a build (build.c), in a mount namespace of its own, before it drops
 * privileges: a root of the build's own (the system's files, a private
 * /tmp...) where the folder open as SUBMISSION is BUILD_SUBMISSION,
 * writable.  False, with why in NOTES, where it cannot be made: then
 * sandbox_hide_from_build covers HIDDEN instead, and FOLDER stays
 * visible and writable. */
#define BUILD_SUBMISSION "/run/netlab/submission"
bool sandbox_build_root(int submission, struct buf *notes);
void sandbox_hide_from_build(const char *folder, const char *const hidden[3],
                             struct buf *notes);
/* Makes the caller a mount namespace of its own, its mounts private.
 * 0, or the errno of the system's refusal. */
int sandbox_own_mounts(void);
/* What stays visible to a check's programs, which must reach it: as real
 * paths, "" where there is none, the lab folder LAB_DIR (the programs run
 * are inside it) and the library PRELOAD. */
enum { SANDBOX_KEPT_LAB, SANDBOX_KEPT_PRELOAD, SANDBOX_KEPT };
void sandbox_kept(const char *lab_dir, const char *preload, char kept[SANDBOX_KEPT][PATH_MAX]);
/* As root: whether a user of the programs' own gets through every folder
 * on the way to each of the N PATHS (not into the paths themselves: a
 * folder or a program closed by its owner is the submission's doing).
 * False, with the first folder that stops it and why, in BLOCKED. */
bool sandbox_way_is_open(const char *const *paths, size_t n, struct buf *blocked);
/* A copy of the library LIB that programs can preload wherever the kit
 * sits (no space or colon in its path, open to every user, read-only):
 * its path, to be given to sandbox_unstage_preload, or NULL with why in
 * ERR. */
char *sandbox_stage_preload(const char *lib, struct buf *err);
void sandbox_unstage_preload(char *copy);
/* In an interop check's program's child, before sandbox_enter (only
 * async-signal-safe calls): a mount namespace of the program's own where
 * the root holds only its own lab folder, the client's (CLIENT) or the
 * server's.  0, or the errno of what failed. */
int sandbox_program_view(bool client);
void sandbox_claim_folder(const struct check *c, const char *folder);
/* Gives FOLDER to UID, the user of some of the check's programs. */
void sandbox_give_folder(const struct check *c, const char *folder, uid_t uid);
void sandbox_limits(const struct sandbox *s, struct sandbox_limits *l);
int sandbox_enter(const struct sandbox *s, const struct sandbox_limits *l);
bool sandbox_find_strays(const struct check *c, struct buf *msg);

#endif
