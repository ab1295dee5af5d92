/*
 * quota.h - the build's copy of a submission, in a tmpfs of its own
 * (quota.c).
 */
#ifndef NETLAB_QUOTA_H
#define NETLAB_QUOTA_H

#include <stdbool.h>

#include "buf.h"

/* quota.c: in a build's own mount namespace, the copy of the submission,
 * FOLDER, in a tmpfs of QUOTA_MB and QUOTA_INODES.  quota_mount mounts it
 * over FOLDER with a copy of FOLDER's contents, and keeps both open in Q
 * (0, or -1 with why in ERR); quota_full says whether the build filled
 * it; quota_copy_back copies what its lab folder NAME holds (folders and
 * regular files, links and fifos as themselves) into the folder
 * underneath, once the build's processes are gone (0, or -1 with why in
 * ERR); quota_close closes both. */
#define QUOTA_MB 256
#define QUOTA_INODES 20000
struct quota {
    int under; /* the copy, under the tmpfs */
    int top;   /* the tmpfs */
};
int quota_mount(const char *folder, struct quota *q, struct buf *err);
bool quota_full(const struct quota *q);
int quota_copy_back(const struct quota *q, const char *name, struct buf *err);
void quota_close(struct quota *q);
/* Copies the contents of the folder open as FROM into the folder open as
 * TO: folders and regular files (executable by all if their owner could
 * execute them, readable by all), symbolic links as links if LINKS;
 * nothing else, never through a link.  0, or -1 with why in ERR (PATH
 * names FROM there). */
int copy_folder_into(int from, int to, bool links, const char *path, struct buf *err);

#endif
