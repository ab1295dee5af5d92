/*
 * quota.c - a build's copy of the submission in a tmpfs of bounded size.
 *
 * A build writes in its lab folder, on the disk that holds the copies, and
 * RLIMIT_FSIZE bounds each file, not how many there are: a Makefile could
 * fill the disk.  In the build's own mount namespace, the copy's contents
 * are copied into a tmpfs of QUOTA_MB and QUOTA_INODES (internal.h)
 * mounted over it; the build runs there, and what it made in its lab
 * folder is copied back once it is over and its processes are gone:
 * folders and regular files, links and fifos as themselves, never through
 * a link.  The tmpfs vanishes with the namespace,
 * however the build ended, and its pages count in the build's memory
 * cgroup.
 */
#include "quota.h"
#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* How deep folders may go, copying in or back. */
#define MAX_DEPTH 16

/* Replaces whatever TO has named NAME that is not a folder. */
static int clear_name(int to, const char *name, const char *path, struct buf *err)
{
    struct stat st;
    if (fstatat(to, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return 0;
    if (S_ISDIR(st.st_mode)) {
        buf_printf(err, "cannot replace the folder %s with a file", path);
        return -1;
    }
    if (unlinkat(to, name, 0) < 0) {
        buf_printf(err, "cannot replace %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Copies the regular file NAME of the folder FROM into the folder TO,
 * executable by all if its owner could execute it, readable by all. */
static int copy_file_at(int from, int to, const char *name, const char *path, struct buf *err)
{
    int in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
        buf_printf(err, "cannot read %s: %s", path, in < 0 ? strerror(errno) : "not a file");
        if (in >= 0)
            close(in);
        return -1;
    }
    mode_t mode = (st.st_mode & S_IXUSR) ? 0755 : 0644;
    int out = clear_name(to, name, path, err) < 0
                  ? -2
                  : openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                           mode);
    int failed = out < 0 || copy_file_contents(in, out) < 0 || fchmod(out, mode) < 0;
    if (failed && out != -2)
        buf_printf(err, "cannot copy %s: %s", path, strerror(errno));
    close(in);
    if (out >= 0 && close(out) < 0 && !failed) {
        buf_printf(err, "cannot copy %s: %s", path, strerror(errno));
        failed = 1;
    }
    return failed ? -1 : 0;
}

static int copy_folder(int from, int to, bool links, int depth, const char *path,
                       struct buf *err);

/* Copies the folder NAME of FROM into TO (made there if missing). */
static int copy_subfolder(int from, int to, const char *name, bool links, int depth,
                          const char *path, struct buf *err)
{
    struct stat st;
    bool have = fstatat(to, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (have && !S_ISDIR(st.st_mode) && clear_name(to, name, path, err) < 0)
        return -1;
    if ((!have || !S_ISDIR(st.st_mode)) && mkdirat(to, name, 0755) < 0) {
        buf_printf(err, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int sub_from = openat(from, name, flags), sub_to = openat(to, name, flags);
    int rc = -1;
    if (sub_from < 0 || sub_to < 0)
        buf_printf(err, "cannot open %s: %s", path, strerror(errno));
    else
        rc = copy_folder(sub_from, sub_to, links, depth + 1, path, err);
    if (sub_from >= 0)
        close(sub_from);
    if (sub_to >= 0)
        close(sub_to);
    return rc;
}

/* Copies the link NAME of FROM, as a link, into TO. */
static int copy_link(int from, int to, const char *name, const char *path, struct buf *err)
{
    char target[PATH_MAX];
    ssize_t n = readlinkat(from, name, target, sizeof target - 1);
    if (n < 0 || clear_name(to, name, path, err) < 0 ||
        (target[n] = '\0', symlinkat(target, to, name) < 0)) {
        buf_printf(err, "cannot copy the link %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Makes NAME of TO a fifo, as NAME of the build's folder was. */
static int copy_fifo(int to, const char *name, const char *path, struct buf *err)
{
    if (clear_name(to, name, path, err) < 0 || mkfifoat(to, name, 0644) < 0) {
        buf_printf(err, "cannot copy the fifo %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * Copies the contents of the folder open as FROM into the folder open as
 * TO, replacing what TO has of the same names: folders and regular files,
 * and, if LINKS, symbolic links as links and fifos as fifos (what a check
 * then refuses to run, saying what it is); nothing else.  No link is ever
 * followed.  PATH names FROM in messages.
 */
static int copy_folder(int from, int to, bool links, int depth, const char *path,
                       struct buf *err)
{
    if (depth > MAX_DEPTH) {
        buf_printf(err, "%s: folders nested too deep", path);
        return -1;
    }
    int fd = openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (d == NULL) {
        buf_printf(err, "cannot read %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct stat st;
        struct buf sub = { 0 };
        buf_printf(&sub, "%s/%s", path, e->d_name);
        if (fstatat(from, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            buf_printf(err, "cannot read %s: %s", sub.data, strerror(errno));
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            rc = copy_subfolder(from, to, e->d_name, links, depth, sub.data, err);
        } else if (S_ISREG(st.st_mode)) {
            rc = copy_file_at(from, to, e->d_name, sub.data, err);
        } else if (S_ISLNK(st.st_mode) && links) {
            rc = copy_link(from, to, e->d_name, sub.data, err);
        } else if (S_ISFIFO(st.st_mode) && links) {
            rc = copy_fifo(to, e->d_name, sub.data, err);
        }
        buf_free(&sub);
    }
    closedir(d);
    return rc;
}

int copy_folder_into(int from, int to, bool links, const char *path, struct buf *err)
{
    return copy_folder(from, to, links, 0, path, err);
}

int quota_mount(const char *folder, struct quota *q, struct buf *err)
{
    q->under = open(folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    q->top = -1;
    if (q->under < 0) {
        buf_printf(err, "cannot open %s: %s", folder, strerror(errno));
        return -1;
    }
    char options[64];
    snprintf(options, sizeof options, "size=%dm,nr_inodes=%d,mode=0755", QUOTA_MB,
             QUOTA_INODES);
    if (mount("netlab-build", folder, "tmpfs", MS_NOSUID | MS_NODEV, options) < 0) {
        buf_printf(err, "cannot bound the build's folder (a tmpfs on %s): %s", folder,
                   strerror(errno));
        quota_close(q);
        return -1;
    }
    q->top = open(folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (q->top < 0)
        buf_printf(err, "cannot open the build's tmpfs: %s", strerror(errno));
    if (q->top < 0 || copy_folder(q->under, q->top, true, 0, folder, err) < 0) {
        if (quota_full(q))
            buf_printf(err,
                       " (the submission holds more than a build may write: %d MiB in "
                       "%d files and folders)",
                       QUOTA_MB, QUOTA_INODES);
        quota_close(q);
        return -1;
    }
    return 0;
}

bool quota_full(const struct quota *q)
{
    /* Nearly full is full: the write that failed may have been large. */
    struct statvfs st;
    return q->top >= 0 && fstatvfs(q->top, &st) == 0 &&
           ((unsigned long long)st.f_bavail * st.f_frsize < (1ULL << 20) || st.f_favail < 16);
}

int quota_copy_back(const struct quota *q, const char *name, struct buf *err)
{
    int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int from = openat(q->top, name, flags), to = openat(q->under, name, flags);
    int rc = -1;
    if (from < 0 || to < 0)
        buf_printf(err, "cannot open %s %s: %s",
                   from < 0 ? "what the build made in" : "the copy's", name, strerror(errno));
    else /* links and fifos come back as themselves, never followed or
             * opened: the checks then refuse a program that is one, saying
             * what it is, rather than missing it */
        rc = copy_folder(from, to, true, 0, name, err);
    if (from >= 0)
        close(from);
    if (to >= 0)
        close(to);
    return rc;
}

void quota_close(struct quota *q)
{
    if (q->under >= 0)
        close(q->under);
    if (q->top >= 0)
        close(q->top);
    q->under = q->top = -1;
}
