/*
 * sandbox.c - what a student's program may touch.
 *
 * Everywhere, programs run under resource limits (CPU time, memory,
 * processes, file size, open files, no core files) with HOME and TMPDIR set
 * to the check's folder.  Where the system allows it, the check's cgroup
 * (cgroup.c) also bounds the memory and tasks of all its programs
 * together, shared memory and tmpfs files included.
 *
 * Where the check is init's child in a PID namespace of its own
 * (runner.c), with a network and an IPC namespace of its own too (whose
 * loopback sandbox_prepare brings up), the check also gets a mount
 * namespace of its own, and its programs a root of their own
 * (enter_own_root below) that holds only the system's files read-only, a
 * few devices, a /proc of the check's own where they see only their own
 * processes, private /tmp and the like, and copies of the lab folder and
 * shortio.so at paths that say nothing of the kit.  A build gets such a
 * root too (sandbox_build_root), with its copy of the submission writable.
 * Root has these namespaces for the asking; an ordinary user has them
 * inside a user namespace of the check's own, where the kernel allows one.
 * Where that root cannot be made, the mount namespace has instead these
 * covers:
 *   - /tmp, /var/tmp, /dev/shm and /run/lock are empty private tmpfs
 *     mounts, gone with the check: nothing a program writes there outlives
 *     it, and the check's folder is made there;
 *   - /proc is the check's own: only its own processes are there;
 *   - the kit, the folder that holds the submission and, for a class, the
 *     folder of the original submissions are covered with an empty tmpfs,
 *     but for the lab folder being graded and shortio.so (mounted back
 *     read-only), so a program reads neither the checks nor another
 *     submission;
 *   - a folder on the way to those that other users cannot get through
 *     (a kit under /root, mode 0700) is covered too, so that they are
 *     reached wherever the kit sits.
 * As root, programs run as a user of their own, which owns nothing but the
 * check's folder: a number no system gives out, SANDBOX_UID_BASE plus the
 * check's process ID, so two checks running at once can neither signal
 * nor trace each other's programs, and their process limit is their own.
 * In a user namespace only the grader's own user can be mapped: programs
 * run as it, with no capability, and their PID namespace keeps them from
 * every process but their check's (guard_against_programs).
 */
#include "sandbox.h"
#include "cgroup.h"
#include "check.h"
#include "core.h"
#include "namespaces.h"
#include "quota.h"
#include "walk.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

/* The limits of each program.  Generous for any honest lab program (lab 04
 * runs a thread per client); each stops one kind of runaway early. */
#define CPU_SECONDS 20
#define MAX_FILE_BYTES (64L << 20)
#define MAX_OPEN_FILES 1024
#define PRIVATE_TMP_SIZE "size=64m,nr_inodes=8192"

/* World-writable places, each replaced by a private empty tmpfs. */
static const char *const private_tmp[] = { "/tmp", "/var/tmp", "/dev/shm", "/run/lock" };

/* Never covered, even when a submission sits right under one of them. */
static const char *const system_dirs[] = { "/",     "/bin",   "/boot",  "/dev",  "/etc",
                                           "/lib",  "/lib32", "/lib64", "/proc", "/run",
                                           "/sbin", "/sys",   "/usr",   "/var" };

static bool is_one_of(const char *path, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(path, list[i]) == 0)
            return true;
    return false;
}

/* Whether PATH is DIR or inside it. */
static bool is_under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 &&
           (path[n] == '\0' || path[n] == '/' || strcmp(dir, "/") == 0);
}

/* Cuts PATH's last component off, in place ("/a/b" -> "/a", "/a" -> "/"). */
static void to_parent(char *path)
{
    char *slash = strrchr(path, '/');
    if (slash == path)
        slash[1] = '\0';
    else if (slash != NULL)
        *slash = '\0';
}

/* Creates every missing directory of PATH (mode 0755, owned by root). */
static void make_path(const char *path)
{
    char partial[PATH_MAX];
    snprintf(partial, sizeof partial, "%s", path);
    for (char *p = partial + 1; *p != '\0'; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(partial, 0755);
            *p = '/';
        }
    }
    mkdir(partial, 0755);
}

/* Covers DIR with an empty tmpfs, but never a system folder or a private
 * /tmp (already empty). */
static void cover(struct check *c, const char *dir)
{
    char real[PATH_MAX];
    if (realpath(dir, real) == NULL)
        return; /* already covered, or gone */
    if (is_one_of(real, system_dirs, COUNT_OF(system_dirs)) ||
        is_one_of(real, private_tmp, COUNT_OF(private_tmp)))
        return;
    if (mount("netlab", real, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755") < 0)
        note(c, "sandbox: cannot cover %s: %s", real, strerror(errno));
}

/*
 * Opens the way to PATH, about to be mounted back: a program that cannot
 * get through one of the folders on the way (a kit under /root, mode 0700)
 * could not reach it.  The first such folder is covered: mount_back then
 * makes the folders below it, mode 0755, as it does below a folder that a
 * cover already emptied (where the search stops).
 */
static void open_the_way(struct check *c, const char *path)
{
    for (const char *end = strchr(path + 1, '/'); end != NULL; end = strchr(end + 1, '/')) {
        char folder[PATH_MAX];
        snprintf(folder, sizeof folder, "%.*s", (int)(end - path), path);
        struct stat st;
        if (stat(folder, &st) < 0)
            return;
        if (!(st.st_mode & S_IXOTH) &&
            !is_one_of(folder, system_dirs, COUNT_OF(system_dirs))) {
            cover(c, folder);
            return;
        }
    }
}

/*
 * Remounts the bind mount at PATH with FLAGS (MS_RDONLY...) and no setuid.
 * In a user namespace the kernel keeps the flags the machine gave the
 * mount it came from (nodev, noexec): they are asked for again, or the
 * remount is refused.
 */
static int remount_bind(const char *path, unsigned long flags)
{
    struct statvfs st;
    if (statvfs(path, &st) == 0)
        flags |= ((st.f_flag & ST_NODEV) ? MS_NODEV : 0) |
                 ((st.f_flag & ST_NOEXEC) ? MS_NOEXEC : 0);
    return mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | flags, NULL);
}

/* Mounts the file or folder open as FD back at PATH, read-only unless
 * WRITABLE (a build's folder). */
static void mount_back(struct check *c, int fd, const char *path, bool writable)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    if (S_ISDIR(st.st_mode)) {
        make_path(dir);
    } else {
        to_parent(dir);
        make_path(dir);
        /* A mount point: created only where nothing is, and never opened
         * for writing (a program being run there would be "busy"). */
        mknod(path, S_IFREG | 0644, 0);
    }
    char source[64];
    snprintf(source, sizeof source, "/proc/self/fd/%d", fd);
    if (mount(source, path, NULL, MS_BIND | MS_REC, NULL) < 0 ||
        remount_bind(path, writable ? 0 : MS_RDONLY) < 0)
        note(c, "sandbox: cannot mount %s back: %s", path, strerror(errno));
}

int sandbox_own_mounts(void)
{
    /* Private: what the check mounts stays out of the grader's view. */
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return errno;
    return 0;
}

void sandbox_kept(const char *lab_dir, const char *preload, char kept[SANDBOX_KEPT][PATH_MAX])
{
    const char *want[SANDBOX_KEPT] = { lab_dir, preload };
    for (size_t i = 0; i < SANDBOX_KEPT; i++)
        if (want[i] == NULL || realpath(want[i], kept[i]) == NULL)
            kept[i][0] = '\0';
}

/* ---- A root of the programs' own ---------------------------------------- */

/* Where the root is put together: a private /tmp is mounted there anyway,
 * and what it covers is held open from before. */
#define STAGE "/tmp"
/* Where programs find the lab folder and shortio.so, copied: paths that say
 * nothing of where the kit or the submission is (a bind mount would: its
 * source folder shows in /proc/self/mountinfo). */
#define PROGRAMS_FILES "/run/netlab"
#define PROGRAMS_LAB PROGRAMS_FILES "/lab"
#define PROGRAMS_PRELOAD PROGRAMS_FILES "/shortio.so"
/* An interop check's client's lab folder, in a tmpfs of its own: each
 * program's view (sandbox_program_view) then holds one of the two lab
 * folders at PROGRAMS_LAB, and this folder empty. */
#define PROGRAMS_PEER PROGRAMS_FILES "/peer"
#define PROGRAMS_PEER_LAB PROGRAMS_PEER "/lab"
#define PROGRAMS_PATH "/usr/local/bin:/usr/bin:/bin"
/* Copied for every check: a lab folder larger than this (a student's core
 * files...) would cost every check its copy, so it gets the covers instead. */
#define PROGRAMS_FILES_SIZE "size=64m,nr_inodes=4096,mode=0755"

/* The system's files, read-only, as the machine has them. */
static const char *const system_binds[] = { "/usr", "/etc" };
/* Links into /usr on a merged system (Debian 12), folders elsewhere. */
static const char *const system_tops[] = { "/bin",   "/sbin",  "/lib",
                                           "/lib32", "/lib64", "/libx32" };
static const char *const devices[] = { "null", "zero", "full", "random", "urandom", "tty" };

/* Records in WHY the first step that failed: RC < 0, with errno. */
static void step(struct buf *why, int rc, const char *what, const char *path)
{
    if (rc < 0 && why->len == 0)
        buf_printf(why, "%s %s: %s", what, path, strerror(errno));
}

/* PATH inside the root being put together. */
static void staged(char out[PATH_MAX], const char *path)
{
    snprintf(out, PATH_MAX, STAGE "%s", path);
}

static void bind_read_only(struct buf *why, const char *from, const char *to)
{
    step(why, mkdir(to, 0755), "cannot create", to);
    step(why, mount(from, to, NULL, MS_BIND | MS_REC, NULL), "cannot mount", from);
    step(why, remount_bind(to, MS_RDONLY), "cannot make read-only", to);
}

/*
 * The names programs resolve are the grader's, not the machine's: localhost
 * is both ::1 and 127.0.0.1, and glibc's default order (RFC 6724, with no
 * gai.conf to change it) puts ::1 first, so that a client that tries only
 * the first address meets an IPv4-only server's refusal in `pair`, as the
 * handouts say it does, even where the machine's /etc/hosts names
 * 127.0.0.1 alone.
 */
static const struct {
    const char *path, *text;
} grader_files[] = {
    { "/etc/hosts", "::1\tlocalhost ip6-localhost ip6-loopback\n127.0.0.1\tlocalhost\n" },
    { "/etc/gai.conf", "" },
};

/* Where the grader's own files are made, in the new root: they stay there
 * (an unlinked file still mounted would keep the root from being made
 * read-only: EBUSY). */
#define GRADER_FILES "/run/netlab-etc"

/* Puts TEXT over the staged file PATH of the system, if it is a regular
 * file there (a link might lead anywhere). */
static void stage_grader_file(struct buf *why, const char *path, const char *text)
{
    char to[PATH_MAX], from[PATH_MAX];
    struct stat st;
    staged(to, path);
    if (lstat(to, &st) < 0 || !S_ISREG(st.st_mode))
        return;
    staged(from, GRADER_FILES);
    make_path(from);
    size_t used = strlen(from);
    snprintf(from + used, sizeof from - used, "%s", strrchr(path, '/'));
    int fd = open(from, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    step(why, fd, "cannot create", from);
    if (fd < 0)
        return;
    ssize_t n = write(fd, text, strlen(text));
    step(why, n == (ssize_t)strlen(text) ? 0 : -1, "cannot write", from);
    close(fd);
    step(why, mount(from, to, NULL, MS_BIND, NULL), "cannot mount over", to);
    step(why, remount_bind(to, MS_RDONLY), "cannot make read-only", to);
}

static void stage_system(struct buf *why)
{
    char to[PATH_MAX], target[PATH_MAX];
    for (size_t i = 0; i < COUNT_OF(system_binds); i++) {
        staged(to, system_binds[i]);
        bind_read_only(why, system_binds[i], to);
    }
    for (size_t i = 0; i < COUNT_OF(system_tops); i++) {
        struct stat st;
        if (lstat(system_tops[i], &st) < 0)
            continue; /* not on this system */
        staged(to, system_tops[i]);
        ssize_t n = S_ISLNK(st.st_mode) ? readlink(system_tops[i], target, sizeof target - 1)
                                        : -1;
        if (n > 0) {
            target[n] = '\0';
            step(why, symlink(target, to), "cannot create", to);
        } else if (S_ISDIR(st.st_mode)) {
            bind_read_only(why, system_tops[i], to);
        }
    }
    for (size_t i = 0; i < COUNT_OF(grader_files) && why->len == 0; i++)
        stage_grader_file(why, grader_files[i].path, grader_files[i].text);
}

/* A /dev of a few harmless devices, and a pseudo-terminal instance of the
 * check's own (the check opens its programs' terminals there). */
static void stage_devices(struct buf *why)
{
    char dev[PATH_MAX], path[PATH_MAX + 16];
    staged(dev, "/dev");
    step(why, mkdir(dev, 0755), "cannot create", dev);
    step(why, mount("netlab", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=1m,mode=0755"),
         "cannot mount a tmpfs on", dev);
    for (size_t i = 0; i < COUNT_OF(devices); i++) {
        char host[32];
        snprintf(host, sizeof host, "/dev/%s", devices[i]);
        snprintf(path, sizeof path, "%s/%s", dev, devices[i]);
        step(why, mknod(path, S_IFREG | 0644, 0), "cannot create", path);
        step(why, mount(host, path, NULL, MS_BIND, NULL), "cannot mount", host);
    }
    snprintf(path, sizeof path, "%s/pts", dev);
    step(why, mkdir(path, 0755), "cannot create", path);
    step(why,
         mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC,
               "newinstance,ptmxmode=0666,mode=0620"),
         "cannot mount devpts on", path);
    snprintf(path, sizeof path, "%s/ptmx", dev);
    step(why, symlink("pts/ptmx", path), "cannot create", path);
    static const char *const links[][2] = { { "fd", "/proc/self/fd" },
                                            { "stdin", "/proc/self/fd/0" },
                                            { "stdout", "/proc/self/fd/1" },
                                            { "stderr", "/proc/self/fd/2" } };
    for (size_t i = 0; i < COUNT_OF(links); i++) {
        snprintf(path, sizeof path, "%s/%s", dev, links[i][0]);
        step(why, symlink(links[i][1], path), "cannot create", path);
    }
}

static void stage_private_tmp(struct buf *why)
{
    char path[PATH_MAX];
    for (size_t i = 0; i < COUNT_OF(private_tmp); i++) {
        staged(path, private_tmp[i]);
        make_path(path);
        step(why,
             mount("netlab", path, "tmpfs", MS_NOSUID | MS_NODEV,
                   PRIVATE_TMP_SIZE ",mode=1777"),
             "cannot mount a tmpfs on", path);
    }
}

/* Copies the lab folder open as FROM (LAB_DIR) into the new folder LAB. */
static void stage_lab(struct buf *why, const char *lab, int from, const char *lab_dir)
{
    step(why, mkdir(lab, 0755), "cannot create", lab);
    int to = open(lab, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    step(why, to, "cannot open", lab);
    if (to >= 0 && from >= 0 && why->len == 0 &&
        copy_folder_into(from, to, true, lab_dir, why) < 0)
        buf_puts(why, " (copying the lab folder)");
    if (to >= 0)
        close(to);
}

/* An interop check's client's lab folder, in a read-only tmpfs of its own
 * at PROGRAMS_PEER (staged as PEER, its mount point made already). */
static void stage_client_lab(struct buf *why, const struct check *c, const char *peer)
{
    char lab[PATH_MAX + 16];
    step(why, mount("netlab", peer, "tmpfs", MS_NOSUID | MS_NODEV, PROGRAMS_FILES_SIZE),
         "cannot mount a tmpfs on", peer);
    snprintf(lab, sizeof lab, "%s/lab", peer);
    stage_lab(why, lab, c->client_lab_fd, c->client_lab_dir);
    step(why,
         mount(NULL, peer, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
               PROGRAMS_FILES_SIZE),
         "cannot make read-only", peer);
}

/* The lab folder, open as LAB, and shortio.so, open as PRELOAD (-1 for
 * none), copied into a tmpfs that is then made read-only; an interop
 * check's client's lab folder into one of its own. */
static void stage_programs_files(struct buf *why, const struct check *c, int preload)
{
    char dir[PATH_MAX], lab[PATH_MAX + 8], lib[PATH_MAX + 16], peer[PATH_MAX + 8];
    staged(dir, PROGRAMS_FILES);
    make_path(dir);
    step(why, mount("netlab", dir, "tmpfs", MS_NOSUID | MS_NODEV, PROGRAMS_FILES_SIZE),
         "cannot mount a tmpfs on", dir);
    snprintf(lab, sizeof lab, "%s/lab", dir);
    stage_lab(why, lab, c->lab_fd, c->lab_dir);
    snprintf(peer, sizeof peer, "%s/peer", dir);
    if (c->client_lab_dir != NULL)
        step(why, mkdir(peer, 0755), "cannot create", peer);
    if (preload >= 0) {
        snprintf(lib, sizeof lib, "%s/shortio.so", dir);
        int out = open(lib, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
        step(why, out < 0 ? -1 : copy_file_contents(preload, out), "cannot copy", lib);
        if (out >= 0)
            close(out);
    }
    step(why,
         mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
               PROGRAMS_FILES_SIZE),
         "cannot make read-only", dir);
    if (c->client_lab_dir != NULL && why->len == 0)
        stage_client_lab(why, c, peer);
}

/* A /proc of the check's PID namespace, where programs (a user of their
 * own) see only their own processes, not the check's command line. */
static void stage_proc(struct buf *why)
{
    char proc[PATH_MAX];
    staged(proc, "/proc");
    step(why, mkdir(proc, 0555), "cannot create", proc);
    unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    if (mount("proc", proc, "proc", flags, "hidepid=invisible") < 0) /* Linux 5.8 */
        step(why, mount("proc", proc, "proc", flags, "hidepid=2"), "cannot mount", proc);
}

/* Moves the check into the root put together at STAGE; the machine's is
 * detached.  0, or an errno. */
static int pivot(void)
{
    if (chdir(STAGE) < 0)
        return errno;
    if (syscall(SYS_pivot_root, ".", ".") < 0) {
        int err = errno;
        return chdir("/") < 0 ? errno : err; /* out of what is undone */
    }
    /* The old root is stacked on the new one: detached, it is gone from
     * view, kept alive only by the descriptors that the check holds. */
    if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        return errno;
    return 0;
}

/* Puts together at STAGE what every root of our own holds: the system's
 * files, a few devices, a private /tmp and the like, a /proc of the
 * process's PID namespace.  Why it cannot, in WHY. */
static void stage_root(struct buf *why)
{
    step(why, mount("netlab", STAGE, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755"),
         "cannot mount a tmpfs on", STAGE);
    if (why->len > 0)
        return;
    stage_system(why);
    stage_devices(why);
    stage_private_tmp(why);
    stage_proc(why);
}

/* Moves into the root staged, unless WHY says it could not be put together,
 * and makes it read-only: nothing is written outside its private /tmp and
 * the folders mounted writable.  False, with why in WHY, and the stage
 * undone, if it cannot. */
static bool enter_staged_root(struct buf *why)
{
    if (why->len == 0) {
        cgroups_keep_reach(); /* paths that lead there from the new root */
        int err = pivot();
        if (err != 0)
            buf_printf(why, "pivot_root: %s", strerror(err));
    }
    if (why->len > 0) {
        umount2(STAGE, MNT_DETACH);
        return false;
    }
    step(why, mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL),
         "cannot make read-only", "the new root");
    return true;
}

/*
 * In the check's own mount namespace: puts together a root that holds only
 * what programs need (see the top of this file) and moves the check into
 * it.  False, with a note, where it cannot: nothing has then changed.
 */
static bool enter_own_root(struct check *c)
{
    struct buf why = { 0 };
    int preload = c->shortio == NULL ? -1 : open(c->shortio, O_RDONLY | O_CLOEXEC);
    stage_root(&why);
    if (why.len == 0)
        stage_programs_files(&why, c, preload);
    if (preload >= 0)
        close(preload);
    bool entered = enter_staged_root(&why);
    if (why.len > 0)
        note(c,
             entered ? "sandbox: %s"
                     : "sandbox: no root of the programs' own (%s): the "
                       "kit is hidden instead",
             why.data);
    buf_free(&why);
    if (!entered)
        return false;
    c->programs_dir = PROGRAMS_LAB;
    if (c->shortio != NULL)
        c->shortio = PROGRAMS_PRELOAD;
    setenv("PATH", PROGRAMS_PATH, 1); /* what program_environment passes on */
    return true;
}

bool sandbox_build_root(int submission, struct buf *notes)
{
    struct buf why = { 0 };
    stage_root(&why);
    if (why.len == 0) {
        char to[PATH_MAX];
        staged(to, BUILD_SUBMISSION);
        make_path(to);
        char from[64];
        snprintf(from, sizeof from, "/proc/self/fd/%d", submission);
        step(&why, mount(from, to, NULL, MS_BIND | MS_REC, NULL), "cannot mount", to);
    }
    bool entered = enter_staged_root(&why);
    if (why.len > 0)
        buf_printf(notes,
                   entered ? "sandbox: %s\n"
                           : "sandbox: no root of the build's own "
                             "(%s): the kit is hidden instead\n",
                   why.data);
    buf_free(&why);
    return entered;
}

/* In a mount namespace of the check's own: covers what programs must not
 * see, but for the lab folder, writable if WRITABLE_LAB (a build), and
 * shortio.so.  Where the check cannot have a root of its own. */
static void hide_the_kit(struct check *c, bool writable_lab)
{
    /* What stays visible: the lab folder (a folder, never where a
     * student's link leads: the programs run are inside it) and
     * shortio.so.  Held open from here, in the new namespace (a bind
     * mount's source must be in it), to be mounted back once covered. */
    char kept[SANDBOX_KEPT][PATH_MAX];
    int kept_fd[SANDBOX_KEPT];
    sandbox_kept(c->lab_dir, c->shortio, kept);
    for (size_t i = 0; i < SANDBOX_KEPT; i++)
        kept_fd[i] = kept[i][0] == '\0' ? -1 : open(kept[i], O_PATH | O_CLOEXEC);
    /* The lab folder as named, never through a link (open_lab_folder has
     * refused such a one), and mounted back where it really is. */
    if (kept_fd[SANDBOX_KEPT_LAB] >= 0) {
        close(kept_fd[SANDBOX_KEPT_LAB]);
        kept_fd[SANDBOX_KEPT_LAB] = open_folder(c->lab_dir, NULL);
        char by_fd[64];
        snprintf(by_fd, sizeof by_fd, "/proc/self/fd/%d", kept_fd[SANDBOX_KEPT_LAB]);
        if (kept_fd[SANDBOX_KEPT_LAB] >= 0 &&
            realpath(by_fd, kept[SANDBOX_KEPT_LAB]) == NULL) {
            close(kept_fd[SANDBOX_KEPT_LAB]);
            kept_fd[SANDBOX_KEPT_LAB] = -1;
        }
    }
    for (size_t i = 0; i < COUNT_OF(private_tmp); i++)
        if (access(private_tmp[i], F_OK) == 0 &&
            mount("netlab", private_tmp[i], "tmpfs", MS_NOSUID | MS_NODEV,
                  PRIVATE_TMP_SIZE ",mode=1777") < 0)
            note(c, "sandbox: no private %s: %s", private_tmp[i], strerror(errno));
    /* A /proc of the check's own PID namespace: its programs see no other
     * process of the machine, and a tool that reads its own /proc/PID
     * (LeakSanitizer) finds itself there. */
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        note(c, "sandbox: no /proc of the check's own: %s", strerror(errno));
    for (size_t i = 0; i < COUNT_OF(c->hidden); i++)
        if (c->hidden[i] != NULL)
            cover(c, c->hidden[i]);
    /* Every way opened before anything is mounted back: a cover made on
     * the way to one would hide another mounted back before it. */
    for (size_t i = 0; i < SANDBOX_KEPT; i++)
        if (kept_fd[i] >= 0)
            open_the_way(c, kept[i]);
    for (size_t i = 0; i < SANDBOX_KEPT; i++) {
        if (kept_fd[i] >= 0) {
            mount_back(c, kept_fd[i], kept[i], writable_lab && i == SANDBOX_KEPT_LAB);
            close(kept_fd[i]);
        }
    }
}

/* Gives the check its own mounts (see the top of this file): a root of its
 * programs' own, or covers where there cannot be one.  False if the system
 * does not allow a mount namespace: the check then runs without them. */
static bool make_private_mounts(struct check *c)
{
    int refused = sandbox_own_mounts();
    if (refused != 0) {
        note(c, "sandbox: no mount namespace (%s): programs see the grader's files",
             strerror(refused));
        return false;
    }
    c->sandbox.own_root = enter_own_root(c);
    if (!c->sandbox.own_root)
        hide_the_kit(c, false);
    return true;
}

uid_t sandbox_uid_of_self(void)
{
    /* Our number outside any PID namespace we are in: unique among running
     * checks and builds. */
    return (uid_t)(SANDBOX_UID_BASE + (unsigned long)outside_pid_of_self());
}

/* Brings up the loopback of the check's own network namespace: the kernel
 * then gives it 127.0.0.1 and ::1 by itself.  Returns 0 or an errno. */
static int bring_up_loopback(void)
{
    struct ifreq ifr = { 0 };
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int err = 0;
    if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        err = errno;
    ifr.ifr_flags |= IFF_UP;
    if (err == 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
        err = errno;
    if (fd >= 0)
        close(fd);
    return err;
}

/*
 * An interop check's two programs come from two submissions: each must see
 * only its own lab folder, which only roots of their own can give (covers
 * would show both folders to both).  Where they cannot be made, the pair
 * is not run: the grader's limit, not the programs' fault.
 */
static void require_two_roots(struct check *c)
{
    if (c->client_lab_dir != NULL && !c->sandbox.own_root)
        fail(c, "grader error: an interop check runs each program in a root of its own, "
                "which cannot be made here (see the notes above)");
}

void sandbox_prepare(struct check *c)
{
    if (c->own_network) {
        int err = bring_up_loopback();
        if (err != 0)
            fail(c, "grader error: cannot bring up the check's loopback: %s", strerror(err));
        note(c, "sandbox: a network of the check's own, with only the loopback");
    }
    if (!privileged_in_namespaces()) {
        require_two_roots(c);
        return; /* an ordinary user, and no user namespace */
    }
    if (geteuid() == 0)
        c->sandbox.uid = sandbox_uid_of_self();
    if (geteuid() == 0 && c->client_lab_dir != NULL)
        c->sandbox.client_uid = c->sandbox.uid + SANDBOX_CLIENT_UID_STEP;
    if (c->in_namespace)
        c->sandbox.private_mounts = make_private_mounts(c);
    require_two_roots(c);
    struct buf who = { 0 };
    if (c->sandbox.uid != 0)
        buf_printf(&who, "as user %lu", (unsigned long)c->sandbox.uid);
    else
        buf_puts(&who, "as the grader's own user, in a user namespace");
    note(c, "sandbox: programs run %s%s", who.data,
         c->sandbox.own_root         ? ", in a root of their own: the system's files, the lab "
                                       "folder (as " PROGRAMS_LAB "), a private /tmp"
         : c->sandbox.private_mounts ? ", with a private /tmp, the kit hidden"
                                     : "");
    buf_free(&who);
    if (c->client_lab_dir != NULL)
        note(c,
             "sandbox: an interop check: the server runs from %s, the client from %s, "
             "each in a view of the root that holds only its own lab folder (as " PROGRAMS_LAB
             ")%s",
             c->lab_dir, c->client_lab_dir,
             c->sandbox.client_uid != 0 ? ", the client as a user of its own"
                                        : "; not root: both as the grader's own user");
}

int sandbox_program_view(bool client)
{
    /* A mount namespace of the program's own, made before it drops its
     * privileges: what it mounts here stays out of the check's view. */
    if (unshare(CLONE_NEWNS) < 0)
        return errno;
    if (client && (mount(PROGRAMS_PEER_LAB, PROGRAMS_LAB, NULL, MS_BIND | MS_REC, NULL) < 0 ||
                   mount(NULL, PROGRAMS_LAB, NULL,
                         MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0))
        return errno;
    /* The client's lab folder is gone from view: the client's own stays
     * mounted at PROGRAMS_LAB, over the server's. */
    if (umount2(PROGRAMS_PEER, MNT_DETACH) < 0)
        return errno;
    return 0;
}

void sandbox_hide_from_build(const char *folder, const char *const hidden[3],
                             struct buf *notes)
{
    /* The covers of a check around FOLDER, FOLDER writable; the notes a
     * check would put in its transcript go to NOTES. */
    struct check c = { .lab_dir = folder,
                       .start_us = now_us(),
                       .hidden = { hidden[0], hidden[1], hidden[2] } };
    hide_the_kit(&c, true);
    if (c.transcript.len > 0)
        buf_append(notes, c.transcript.data, c.transcript.len);
    buf_free(&c.transcript);
}

void sandbox_give_folder(const struct check *c, const char *folder, uid_t uid)
{
    if (uid != 0 && chown(folder, uid, uid) < 0)
        note((struct check *)c, "sandbox: cannot give %s to the programs: %s", folder,
             strerror(errno));
}

void sandbox_claim_folder(const struct check *c, const char *folder)
{
    sandbox_give_folder(c, folder, c->sandbox.uid);
}

/*
 * Whether RLIMIT_NPROC counts a user's tasks in each user namespace apart
 * (Linux 5.14 and later): then in a check's own user namespace it counts
 * the check's own tasks only, though they run as the grader's user.
 */
static bool counts_tasks_per_namespace(void)
{
    struct utsname u;
    int major = 0, minor = 0;
    return uname(&u) == 0 && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
           (major > 5 || (major == 5 && minor >= 14));
}

/*
 * How many tasks the programs may have.  As a user of their own, or in a
 * user namespace of the check's own where the kernel counts it apart, that
 * is SANDBOX_MAX_TASKS (the check's process and its init count there too);
 * elsewhere, as the grader's own user, the limit counts every process of
 * that user, which we cannot cheaply know: the machine's whole count of
 * tasks is an upper bound of it.
 */
static rlim_t task_limit(const struct sandbox *s)
{
    if (s->uid != 0 ||
        (counts_tasks_per_namespace() && (isolated_namespaces() & CLONE_NEWUSER)))
        return SANDBOX_MAX_TASKS;
    unsigned long running, total = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f != NULL) {
        if (fscanf(f, "%*s %*s %*s %lu/%lu", &running, &total) != 2)
            total = 0;
        fclose(f);
    }
    return total > 0 ? (rlim_t)(total + SANDBOX_MAX_TASKS) : RLIM_INFINITY;
}

void sandbox_limits(const struct sandbox *s, struct sandbox_limits *l)
{
    rlim_t memory = s->memory_mb > 0 ? (rlim_t)s->memory_mb << 20 : RLIM_INFINITY;
    const struct {
        int resource;
        rlim_t value;
    } table[SANDBOX_LIMITS] = {
        { RLIMIT_CPU, CPU_SECONDS },       { RLIMIT_DATA, memory },
        { RLIMIT_NPROC, task_limit(s) },   { RLIMIT_FSIZE, MAX_FILE_BYTES },
        { RLIMIT_NOFILE, MAX_OPEN_FILES }, { RLIMIT_CORE, 0 },
    };
    for (size_t i = 0; i < SANDBOX_LIMITS; i++) {
        struct rlimit now;
        l->resource[i] = table[i].resource;
        l->value[i] = table[i].value;
        /* Never above what we have: only root may raise a hard limit. */
        if (getrlimit(table[i].resource, &now) == 0 && now.rlim_max < l->value[i])
            l->value[i] = now.rlim_max;
    }
}

/* In the program's child, before exec: only async-signal-safe calls.
 * Returns 0, or the errno of what failed: the program must not run then. */
int sandbox_enter(const struct sandbox *s, const struct sandbox_limits *l)
{
    int err = cgroup_join(&s->cgroup); /* while still allowed to */
    if (err != 0)
        return err;
    for (size_t i = 0; i < SANDBOX_LIMITS; i++) {
        struct rlimit r = { l->value[i], l->value[i] };
        if (setrlimit(l->resource[i], &r) < 0)
            return errno;
    }
    if (s->uid != 0 && (setgroups(0, NULL) < 0 || setgid(s->uid) < 0 || setuid(s->uid) < 0))
        return errno;
    /* No program gains a privilege by running a setuid or file-capability
     * one; in a user namespace, executing drops every capability anyway. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return errno;
    return 0;
}

/* ---- Where programs can go --------------------------------------------- */

/* What find_blocked reports: errno 0 if every way is open. */
struct blocked_at {
    int err;
    bool no_user;          /* it could not become the programs' user */
    char folder[PATH_MAX]; /* the folder it cannot get through */
    char path[PATH_MAX];   /* on the way to this */
};

/* In a child become a user of the programs' own: writes to OUT the first
 * folder on the way to one of the N PATHS that it cannot get through. */
static _Noreturn void find_blocked(const char *const *paths, size_t n, int out)
{
    struct blocked_at b = { 0 };
    uid_t uid = sandbox_uid_of_self();
    if (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0) {
        b.err = errno;
        b.no_user = true;
    }
    for (size_t i = 0; i < n && b.err == 0; i++) {
        const char *path = paths[i], *end = path;
        while (b.err == 0 && (end = strchr(end + 1, '/')) != NULL) {
            snprintf(b.folder, sizeof b.folder, "%.*s", (int)(end - path), path);
            if (access(b.folder, X_OK) == 0)
                continue;
            if (errno != EACCES && errno != EPERM)
                break; /* not there: nothing to reach */
            b.err = errno;
            snprintf(b.path, sizeof b.path, "%s", path);
        }
    }
    _exit(write(out, &b, sizeof b) == sizeof b ? 0 : 1);
}

bool sandbox_way_is_open(const char *const *paths, size_t n, struct buf *blocked)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        buf_printf(blocked, "the grader cannot make a pipe: %s", strerror(errno));
        return false;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        find_blocked(paths, n, fds[1]);
    }
    close(fds[1]);
    struct blocked_at b;
    size_t got = 0;
    for (ssize_t r = 1; pid > 0 && got < sizeof b && r != 0;) {
        r = read(fds[0], (char *)&b + got, sizeof b - got);
        if (r < 0 && errno != EINTR)
            break;
        got += r > 0 ? (size_t)r : 0;
    }
    close(fds[0]);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    if (got < sizeof b)
        buf_printf(blocked, "the grader cannot find out where programs can go: %s",
                   strerror(pid < 0 ? errno : EPIPE));
    else if (b.no_user)
        buf_printf(blocked, "the grader cannot run programs as a user of their own: %s",
                   strerror(b.err));
    else if (b.err != 0)
        buf_printf(blocked,
                   "programs run as a user of their own, who cannot get through %s "
                   "(%s) on the way to %s",
                   b.folder, strerror(b.err), b.path);
    return got == sizeof b && b.err == 0;
}

/* ---- The library programs preload --------------------------------------- */

/*
 * ld.so splits LD_PRELOAD at spaces and colons, and ignores (with a line on
 * stderr) a library it cannot open: a kit under "/root/my kit" would have
 * every short-counts check find no library loaded, "not testable", a free
 * point.  So programs preload a copy, in a new folder of /tmp: no space or
 * colon on the way, every user gets through /tmp (TMPDIR may be private,
 * as pam_tmpdir makes it), and the folder (0755) and the copy (0444) are
 * the grader's, which a program run as another user cannot replace.
 */
char *sandbox_stage_preload(const char *lib, struct buf *err)
{
    char dir[] = "/tmp/netlab-preload-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        buf_printf(err, "cannot make a folder in /tmp: %s", strerror(errno));
        return NULL;
    }
    const char *name = strrchr(lib, '/');
    struct buf copy = { 0 };
    buf_printf(&copy, "%s/%s", dir, name != NULL ? name + 1 : lib);
    struct statvfs fs;
    bool ok = false;
    if (chmod(dir, 0755) < 0)
        buf_printf(err, "cannot open %s to programs: %s", dir, strerror(errno));
    else if (copy_regular_file(lib, copy.data, 0444, err) < 0)
        ; /* ERR says why */
    else if (statvfs(dir, &fs) == 0 && (fs.f_flag & ST_NOEXEC))
        buf_printf(err, "/tmp is mounted noexec: programs cannot preload %s from there",
                   copy.data);
    else
        ok = true;
    if (!ok) {
        remove_folder(dir);
        buf_free(&copy); /* its data is NULL now */
    }
    return copy.data;
}

void sandbox_unstage_preload(char *copy)
{
    if (copy == NULL)
        return;
    char *slash = strrchr(copy, '/');
    *slash = '\0';
    remove_folder(copy);
    free(copy);
}

/* ---- Files left outside the folder ------------------------------------- */

static struct {
    uid_t uid, client_uid;              /* client_uid: an interop check's client's, or uid */
    const char *folder, *client_folder; /* where they may write */
    struct buf *found;
    int count;
} stray_search;

static int note_stray(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)type;
    /* Not the private /tmp itself: in a user namespace the grader's user
     * owns it, as its maker. */
    if (ftw->level > 0 &&
        (st->st_uid == stray_search.uid || st->st_uid == stray_search.client_uid) &&
        !is_under(path, stray_search.folder) && !is_under(path, stray_search.client_folder)) {
        if (stray_search.count < 5)
            buf_printf(stray_search.found, "%s%s", stray_search.count ? ", " : "", path);
        stray_search.count++;
    }
    return 0;
}

/* Appends to MSG what the programs left in the private /tmp and the like,
 * outside the check's folder; false if they left nothing. */
bool sandbox_find_strays(const struct check *c, struct buf *msg)
{
    if (!c->sandbox.private_mounts)
        return false;
    struct buf found = { 0 };
    stray_search.uid = c->sandbox.uid != 0 ? c->sandbox.uid : geteuid();
    stray_search.client_uid = c->sandbox.client_uid != 0 ? c->sandbox.client_uid
                                                         : stray_search.uid;
    stray_search.folder = c->folder ? c->folder : "/nonexistent";
    stray_search.client_folder = c->client_folder ? c->client_folder : "/nonexistent";
    stray_search.found = &found;
    stray_search.count = 0;
    for (size_t i = 0; i < COUNT_OF(private_tmp); i++)
        nftw(private_tmp[i], note_stray, 16, FTW_PHYS | FTW_MOUNT);
    if (stray_search.count > 0)
        buf_printf(msg,
                   "The programs left %d file%s outside their folder: %s%s.  A lab "
                   "program writes only in its current folder (the grader gives each "
                   "check a fresh one); a temporary file goes in $TMPDIR and is removed "
                   "when done.\n",
                   stray_search.count, stray_search.count > 1 ? "s" : "", found.data,
                   stray_search.count > 5 ? ", ..." : "");
    buf_free(&found);
    return stray_search.count > 0;
}
