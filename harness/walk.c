/*
 * walk.c - a student's files as the grader, often root, may touch them.
 *
 * A submission is the student's: any name in it may be a symbolic link to
 * a classmate's programs, to /etc or to a device, and may become one while
 * the grader looks.  So nothing of it is reached by a path that the kernel
 * resolves again as root: a folder is opened once, without following a
 * link (O_NOFOLLOW), and what is in it is reached from that descriptor
 * (fstatat, openat, readlinkat with no following).  A link is followed
 * only by openat2 with RESOLVE_BENEATH, which fails as soon as the link,
 * or any link on its way, leads out of the folder it starts from.
 *
 * The paths the instructor gives (--impl DIR, --batch DIR) are the
 * instructor's, and followed as given; the names under them are not.
 */
#include "walk.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

/* How often open_beneath asks again after EAGAIN. */
#define BENEATH_TRIES 64

int open_beneath(int root, const char *path, int flags)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    /* With RESOLVE_BENEATH a ".." on the way fails with EAGAIN whenever
     * any mount or rename happened meanwhile, anywhere on the machine (the
     * kernel cannot tell that it did not move the path): other checks
     * mount all the time, so a link such as bin/../bin/client would fail
     * now and then.  openat2(2) says to ask again. */
    int fd = -1;
    for (int i = 0; i < BENEATH_TRIES; i++) {
        fd = (int)syscall(SYS_openat2, root, path, &how, sizeof how);
        if (fd >= 0 || errno != EAGAIN)
            break;
    }
    return fd;
}

const char *kind_of_file(mode_t mode)
{
    return S_ISREG(mode)    ? "a regular file"
           : S_ISDIR(mode)  ? "a folder"
           : S_ISLNK(mode)  ? "a symbolic link"
           : S_ISFIFO(mode) ? "a fifo (named pipe)"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISSOCK(mode) ? "a socket"
                            : "an unknown kind of file";
}

void describe_entry(struct buf *why, int dir, const char *name, mode_t mode)
{
    char target[PATH_MAX];
    ssize_t n = S_ISLNK(mode) ? readlinkat(dir, name, target, sizeof target - 1) : -1;
    if (n >= 0)
        buf_printf(why, "a symbolic link to %.*s", (int)n, target);
    else
        buf_puts(why, kind_of_file(mode));
}

void describe_beneath_failure(struct buf *why, int err, const char *where)
{
    switch (err) {
    case EXDEV:
        buf_printf(why, ", which leads out of %s", where);
        break;
    case ENOENT:
    case ENOTDIR:
        buf_printf(why, ", which leads to nothing in %s", where);
        break;
    case ELOOP:
        buf_puts(why, ", which goes round in a loop of links");
        break;
    case ENOSYS:
    case EPERM: /* a seccomp filter that does not know openat2 */
        buf_puts(why, ", which this system cannot follow safely (it lacks openat2)");
        break;
    default:
        buf_printf(why, " (%s)", strerror(err));
    }
}

int open_regular(int dir, const char *name, struct buf *why)
{
    /* Not blocking: a fifo in the file's place must not hold the check. */
    int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    int err = errno;
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        return fd;
    if (fd >= 0)
        close(fd);
    if (why == NULL)
        ;
    else if (fd >= 0 ||
             (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))) {
        buf_printf(why, "%s is ", name);
        describe_entry(why, dir, name, st.st_mode);
    } else {
        buf_printf(why, "%s: %s", name, strerror(err));
    }
    errno = err;
    return -1;
}

int open_folder(const char *path, struct buf *why)
{
    char *parent = xstrdup(path);
    char *slash = strrchr(parent, '/');
    const char *name = slash ? slash + 1 : path;
    if (slash == parent)
        slash[1] = '\0'; /* "/name": the parent is "/" */
    else if (slash != NULL)
        *slash = '\0';
    int dir = slash ? open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : AT_FDCWD;
    int fd = dir == -1 ? -1
                       : openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int err = errno;
    struct stat st;
    if (fd < 0 && why != NULL) {
        if (dir != -1 && fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            !S_ISDIR(st.st_mode)) {
            buf_printf(why, "%s is ", path);
            describe_entry(why, dir, name, st.st_mode);
        } else {
            buf_printf(why, "cannot open %s: %s", path, strerror(err));
        }
    }
    if (dir >= 0)
        close(dir);
    free(parent);
    errno = err;
    return fd;
}

/* The end of every refusal below: what the grader runs instead. */
#define ONLY_REGULAR "the grader runs only a regular file inside the lab folder."

int open_lab_folder(const char *lab_dir, char **refused)
{
    struct buf what = { 0 };
    int fd = open_folder(lab_dir, &what);
    *refused = NULL;
    if (fd < 0) {
        struct buf why = { 0 };
        buf_printf(&why, "%s%s", what.data,
                   errno == ELOOP || errno == ENOTDIR
                       ? ": the grader grades only a real lab folder, never a link to one."
                       : ".");
        *refused = why.data;
    }
    buf_free(&what);
    return fd;
}

int check_program(int lab, const char *lab_dir, const char *refused, const char *name,
                  struct buf *why)
{
    if (lab < 0) {
        buf_printf(why, "cannot run %s/%s: %s", lab_dir, name, refused);
        return -1;
    }
    struct stat st;
    int rc = -1;
    if (fstatat(lab, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        buf_printf(why,
                   "cannot run %s/%s: %s.\n  Build it with `make` (or, in another "
                   "language, make it an executable file).",
                   lab_dir, name, strerror(errno));
    } else if (S_ISLNK(st.st_mode)) {
        /* A link that stays inside the lab folder leads to the program. */
        int fd = open_beneath(lab, name, O_PATH);
        int err = errno;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
            rc = 0;
        } else {
            buf_printf(why, "%s/%s is ", lab_dir, name);
            describe_entry(why, lab, name, S_IFLNK);
            if (fd < 0)
                describe_beneath_failure(why, err, "the lab folder");
            else
                buf_printf(why, ", %s", kind_of_file(st.st_mode));
            buf_puts(why, ": " ONLY_REGULAR);
        }
        if (fd >= 0)
            close(fd);
    } else if (!S_ISREG(st.st_mode)) {
        buf_printf(why, "%s/%s is %s: " ONLY_REGULAR, lab_dir, name, kind_of_file(st.st_mode));
    } else {
        rc = 0;
    }
    if (rc == 0 && !(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))) {
        buf_printf(why,
                   "cannot run %s/%s: it is not executable.\n  Build it with `make` (or, "
                   "in another language, make it an executable file: chmod a+x).",
                   lab_dir, name);
        rc = -1;
    }
    return rc;
}

/* ---- Copies -------------------------------------------------------------- */

int copy_file_contents(int in, int out)
{
    char chunk[64 * 1024];
    ssize_t n;
    while ((n = read(in, chunk, sizeof chunk)) > 0) {
        for (ssize_t done = 0, k; done < n; done += k) {
            k = write(out, chunk + done, (size_t)(n - done));
            if (k < 0 && errno == EINTR)
                k = 0;
            else if (k <= 0) {
                if (k == 0)
                    errno = ENOSPC; /* a file that takes no more: its disk is full */
                return -1;
            }
        }
    }
    return n < 0 ? -1 : 0;
}

/* For the files the grader copies itself: the preloaded library, the
 * tests' trees. */
int copy_regular_file(const char *from, const char *to, mode_t mode, struct buf *err)
{
    int in = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    int out = in < 0 ? -1 : open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    int failed = in < 0 || out < 0 || copy_file_contents(in, out) < 0 || fchmod(out, mode) < 0;
    if (failed)
        buf_printf(err, "cannot copy %s to %s: %s", from, to, strerror(errno));
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) < 0 && !failed) {
        buf_printf(err, "cannot write %s: %s", to, strerror(errno));
        failed = 1;
    }
    return failed ? -1 : 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    remove(path);
    return 0;
}

void remove_folder(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
