/*
 * build.c - builds a submission's lab folders, as the sandbox runs student
 * programs (see build.h).
 *
 * A lab folder with a Makefile is built with `make` in that folder;
 * otherwise its server.c and client.c are compiled with the kit's rules
 * (the kit's Makefile's, without -Werror: a warning must not cost a
 * student a lab), each with the folder's other C files, the kit's helper
 * library and the libraries the folder's `libs` file names.  A folder with
 * no sources (a Python submission) has nothing to build.
 *
 * Each lab builds in a process of its own.  Where namespaces are allowed
 * (as root, or in a user namespace: runner.c's fork_isolated), that
 * process is init of a PID namespace (when it ends, the kernel kills
 * whatever the build left), has no network, and its commands run in a
 * root of their own (sandbox.c) that holds the system's files and this
 * submission's copy, in a tmpfs of bounded size (quota.c) from which the
 * lab folder is copied back at the end.  As root the commands also run
 * as a user of their own, who owns the lab folder for the build's time
 * only.  Everywhere: the sandbox's limits (a cgroup of its own where the
 * system allows it: cgroup.c), a time limit, and only the build's tail of
 * output kept.
 */
#include "build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "children.h"
#include "core.h"
#include "namespaces.h"
#include "quota.h"
#include "runner.h"
#include "sandbox.h"
#include "walk.h"

/* How much of a build's output is kept, and shown when it failed. */
#define LOG_KEEP (16 * 1024)
#define FAILURE_LINES 25
/* How deep a lab folder's subfolders may go. */
#define MAX_DEPTH 8

/* ---- Copying ------------------------------------------------------------ */

/*
 * Root copies a submission a student controls, where any name may be a
 * link to a classmate's folder or to /etc, or become one while it is
 * copied.  So the copy is walked from descriptors (walk.c) and follows no
 * link: a link is copied as a link, then kept only if, in the whole copy,
 * it leads to something inside the copy (openat2's RESOLVE_BENEATH), so
 * that nothing built or run from the copy reaches through it what the
 * copy does not hold.  Links that lead out or nowhere, fifos, devices and
 * sockets are left out, each with a line in the lab's build log.  A lab
 * folder that is itself a link, or whose program the grader would run
 * was left out, is not graded at all (BUILD_REFUSED).
 */

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_program(const char *name)
{
    return strcmp(name, "server") == 0 || strcmp(name, "client") == 0;
}

/* Whether the open lab folder DIR has something to build (a name there,
 * whatever it is: not followed). */
static bool has_sources(int dir)
{
    static const char *const names[] = { "Makefile", "makefile", "GNUmakefile", "server.c",
                                         "client.c" };
    struct stat st;
    for (size_t i = 0; i < COUNT_OF(names); i++)
        if (fstatat(dir, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
            return true;
    return false;
}

/* One lab folder's copy under way. */
struct lab_copy {
    struct lab_build *build; /* its log says what was left out, and why */
    bool has_sources;        /* its server and client are built, not copied */
    struct buf links;        /* the links made, as paths from the copy's
                                   root, each ended by a '\0' */
    bool refused;            /* a program the grader would run was left out */
};

/* Notes in LC's build log that SHOWN, WHAT it is, was left out of the
 * copy; if it is a program the grader would run, the lab is refused. */
static void leave_out(struct lab_copy *lc, const char *shown, const char *what, bool program)
{
    buf_printf(&lc->build->log, "left out %s: %s\n", shown, what);
    if (program && !lc->has_sources) {
        buf_printf(&lc->build->log,
                   "%s is what the grader would run: it runs only a regular "
                   "file inside the lab folder.\n",
                   shown);
        lc->refused = true;
    }
}

/* Creates NAME in the copy's folder TO, with MODE, holding what the open
 * file IN holds.  SHOWN names it in ERR. */
static int write_copy(int in, int to, const char *name, mode_t mode, const char *shown,
                      struct buf *err)
{
    int out = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    int failed = out < 0 || copy_file_contents(in, out) < 0 || fchmod(out, mode) < 0;
    if (out >= 0 && close(out) < 0)
        failed = 1;
    if (failed)
        buf_printf(err, "cannot copy %s: %s", shown, strerror(errno));
    return failed ? -1 : 0;
}

static int copy_tree(int from, int to, const char *shown, int depth, struct lab_copy *lc,
                     struct buf *err);

/* Copies the folder NAME of FROM (a folder of the submission) into TO. */
static int copy_folder(int from, int to, const char *name, const char *shown, int depth,
                       struct lab_copy *lc, struct buf *err)
{
    int src = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (src < 0) {
        leave_out(lc, shown, "it changed while it was copied", false);
        return 0;
    }
    int dst = mkdirat(to, name, 0755) < 0
                  ? -1
                  : openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int rc = dst < 0 ? -1 : copy_tree(src, dst, shown, depth, lc, err);
    if (dst < 0)
        buf_printf(err, "cannot create the copy of %s: %s", shown, strerror(errno));
    close(src);
    if (dst >= 0)
        close(dst);
    return rc;
}

/* Copies the entry NAME of the folder FROM into the folder TO.  SHOWN is
 * its path from the submission's root; DEPTH 0 is the lab folder's. */
static int copy_entry(int from, int to, const char *name, const char *shown, int depth,
                      struct lab_copy *lc, struct buf *err)
{
    struct stat st;
    if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        buf_printf(err, "cannot read %s: %s", shown, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode))
        return copy_folder(from, to, name, shown, depth + 1, lc, err);
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(from, name, target, sizeof target - 1);
        if (n < 0 || (target[n] = '\0', symlinkat(target, to, name) < 0)) {
            buf_printf(err, "cannot copy the link %s: %s", shown, strerror(errno));
            return -1;
        }
        buf_append(&lc->links, shown, strlen(shown) + 1); /* judged once all is copied */
        return 0;
    }
    struct buf what = { 0 };
    int in = S_ISREG(st.st_mode) ? open_regular(from, name, &what) : -1;
    int rc = 0;
    if (in >= 0) { /* readable by the programs' own users */
        rc = write_copy(in, to, name, (st.st_mode & S_IXUSR) ? 0755 : 0644, shown, err);
        close(in);
    } else {
        if (!S_ISREG(st.st_mode))
            buf_printf(&what, "%s; a copy holds only folders, regular files and links",
                       kind_of_file(st.st_mode));
        leave_out(lc, shown, what.data, depth == 0 && is_program(name));
    }
    buf_free(&what);
    return rc;
}

/* Copies the contents of the open folder FROM into the open folder TO,
 * but for a lab folder's `server` and `client` where they are built (a
 * program left from an earlier build is never graded). */
static int copy_tree(int from, int to, const char *shown, int depth, struct lab_copy *lc,
                     struct buf *err)
{
    if (depth > MAX_DEPTH) {
        buf_printf(err, "%s: folders nested too deep", shown);
        return -1;
    }
    int fd = fcntl(from, F_DUPFD_CLOEXEC, 0);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (d == NULL) {
        buf_printf(err, "cannot read %s: %s", shown, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            (depth == 0 && lc->has_sources && is_program(e->d_name)))
            continue;
        struct buf entry = { 0 };
        buf_printf(&entry, "%s/%s", shown, e->d_name);
        rc = copy_entry(from, to, e->d_name, entry.data, depth, lc, err);
        buf_free(&entry);
    }
    closedir(d);
    return rc;
}

/* Refuses LC's lab, as WHAT ("X is a symbolic link to Y") is no ONLY. */
static void refuse(struct lab_copy *lc, const char *what, const char *only)
{
    lc->build->state = BUILD_REFUSED;
    buf_printf(&lc->build->log, "%s: the grader grades only %s, never a link to one.\n", what,
               only);
}

/* Copies the lab folder of LC from the open submission FROM into the
 * open copy TO, if the submission has it. */
static int copy_lab(int from, int to, struct lab_copy *lc, struct buf *err)
{
    const char *id = lc->build->lab->id;
    struct stat st;
    if (fstatat(from, id, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
        !(S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)))
        return 0; /* BUILD_MISSING */
    int src = openat(from, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (src < 0) {
        struct buf what = { 0 };
        buf_printf(&what, "%s is ", id);
        describe_entry(&what, from, id, S_IFLNK);
        refuse(lc, what.data, "a lab folder inside the submission");
        buf_free(&what);
        return 0;
    }
    lc->has_sources = has_sources(src);
    lc->build->state = BUILD_PENDING;
    int dst = mkdirat(to, id, 0755) < 0
                  ? -1
                  : openat(to, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int rc = dst < 0 ? -1 : copy_tree(src, dst, id, 0, lc, err);
    if (dst < 0)
        buf_printf(err, "cannot create %s: %s", lc->build->folder, strerror(errno));
    close(src);
    if (dst >= 0)
        close(dst);
    return rc;
}

/* Keeps each link made in LC's copy only if it leads to something inside
 * the copy (whose root is open as ROOT), following every link on its
 * way inside it too. */
static void judge_links(int root, struct lab_copy *lc)
{
    size_t id_len = strlen(lc->build->lab->id);
    for (size_t at = 0; at < lc->links.len; at += strlen(lc->links.data + at) + 1) {
        const char *link = lc->links.data + at;
        int fd = open_beneath(root, link, O_PATH);
        if (fd >= 0) {
            close(fd);
            continue;
        }
        int err = errno;
        struct buf what = { 0 };
        describe_entry(&what, root, link, S_IFLNK);
        describe_beneath_failure(&what, err, "the submission");
        unlinkat(root, link, 0);
        leave_out(lc, link, what.data,
                  strchr(link + id_len + 1, '/') == NULL && is_program(link + id_len + 1));
        buf_free(&what);
    }
}

/* COPY/common: the kit's helper library, as source: each build compiles
 * it with its own flags. */
static int copy_helper_library(int copy, const char *kit, struct buf *err)
{
    static const char *const files[] = { "netlab.h", "netlab.c" };
    int rc = mkdirat(copy, "common", 0755);
    int to = rc < 0 ? -1 : openat(copy, "common", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (to < 0) {
        buf_printf(err, "cannot create the copy's common: %s", strerror(errno));
        return -1;
    }
    for (size_t i = 0; rc == 0 && i < COUNT_OF(files); i++) {
        struct buf from = { 0 };
        buf_printf(&from, "%s/labs/common/%s", kit, files[i]);
        int in = open(from.data, O_RDONLY | O_CLOEXEC);
        if (in < 0)
            buf_printf(err, "cannot read %s: %s", from.data, strerror(errno));
        rc = in < 0 ? -1 : write_copy(in, to, files[i], 0644, from.data, err);
        if (in >= 0)
            close(in);
        buf_free(&from);
    }
    close(to);
    return rc;
}

/* Copies the labs of LCS (N of them) from the submission SUBMISSION into
 * the open, empty copy TO. */
static int copy_labs(const char *submission, int to, struct lab_copy *lcs, size_t n,
                     struct buf *err)
{
    struct buf what = { 0 };
    int from = open_folder(submission, &what);
    if (from < 0 && (errno == ELOOP || errno == ENOTDIR)) {
        for (size_t i = 0; i < n; i++)
            refuse(&lcs[i], what.data, "a submission folder");
        buf_free(&what);
        return 0;
    }
    if (from < 0)
        buf_printf(err, "%s", what.data);
    buf_free(&what);
    int rc = from < 0 ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = copy_lab(from, to, &lcs[i], err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        judge_links(to, &lcs[i]);
        if (lcs[i].refused)
            lcs[i].build->state = BUILD_REFUSED;
    }
    if (from >= 0)
        close(from);
    return rc;
}

int copy_submission(const char *submission, const char *copy, const char *kit_dir,
                    const struct lab_def *const *labs, size_t nlabs, struct lab_build *builds,
                    struct buf *err)
{
    struct lab_copy *lcs = xcalloc(nlabs + 1, sizeof *lcs);
    for (size_t i = 0; i < nlabs; i++) {
        builds[i] = (struct lab_build){ .lab = labs[i], .state = BUILD_MISSING };
        builds[i].folder = xmalloc(strlen(copy) + strlen(labs[i]->id) + 2);
        sprintf(builds[i].folder, "%s/%s", copy, labs[i]->id);
        lcs[i].build = &builds[i];
    }
    if (is_dir(copy))
        remove_folder(copy);
    int to = -1, rc = -1;
    if (mkdir(copy, 0755) < 0 || chmod(copy, 0755) < 0 ||
        (to = open(copy, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        buf_printf(err, "cannot create %s: %s", copy, strerror(errno));
    else if (copy_helper_library(to, kit_dir, err) == 0)
        rc = copy_labs(submission, to, lcs, nlabs, err);
    if (to >= 0)
        close(to);
    for (size_t i = 0; i < nlabs; i++)
        buf_free(&lcs[i].links);
    free(lcs);
    return rc;
}

/* ---- Inside the build's process ----------------------------------------- */

static uid_t new_owner;

static int give_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    return lchown(path, new_owner, new_owner) < 0 ? -1 : 0;
}

/* Gives the folder DIR and everything in it to the user UID. */
static int give_folder(const char *dir, uid_t uid)
{
    new_owner = uid;
    return nftw(dir, give_entry, 16, FTW_PHYS);
}

/* A growable, NULL-terminated argument vector. */
struct args {
    char **v;
    size_t n;
};

static void push(struct args *a, const char *s)
{
    a->v = xrealloc(a->v, (a->n + 2) * sizeof *a->v);
    a->v[a->n++] = xstrdup(s);
    a->v[a->n] = NULL;
}

/* Runs the command A in the current folder, its output on ours, after
 * printing it; true if it exited with status 0. */
static bool run_command(const struct args *a)
{
    fputs("$", stdout);
    for (size_t i = 0; i < a->n; i++)
        printf(" %s", a->v[i]);
    fputs("\n", stdout);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execvp(a->v[0], a->v);
        fprintf(stderr, "cannot run %s: %s\n", a->v[0], strerror(errno));
        _exit(127);
    }
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    if (pid < 0)
        printf("cannot start %s: %s\n", a->v[0], strerror(errno));
    else if (WIFSIGNALED(status))
        printf("%s was killed by signal %d (%s)\n", a->v[0], WTERMSIG(status),
               strsignal(WTERMSIG(status)));
    else
        printf("%s exited with status %d\n", a->v[0], WEXITSTATUS(status));
    fflush(stdout);
    return false;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends the current folder's C files other than server.c and client.c
 * (code both programs share), in name order. */
static void push_shared_sources(struct args *a)
{
    struct args found = { 0 };
    DIR *d = opendir(".");
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len > 2 && strcmp(e->d_name + len - 2, ".c") == 0 &&
            strcmp(e->d_name, "server.c") != 0 && strcmp(e->d_name, "client.c") != 0)
            push(&found, e->d_name);
    }
    if (d != NULL)
        closedir(d);
    if (found.n > 0)
        qsort(found.v, found.n, sizeof *found.v, compare_names);
    for (size_t i = 0; i < found.n; i++) {
        push(a, found.v[i]);
        free(found.v[i]);
    }
    free(found.v);
}

/* Appends the words of the current folder's `libs` file (-lsqlite3 ...). */
static void push_libs(struct args *a)
{
    FILE *f = fopen("libs", "r");
    char word[256];
    for (int i = 0; f != NULL && i < 32 && fscanf(f, "%255s", word) == 1; i++)
        push(a, word);
    if (f != NULL)
        fclose(f);
}

/* The kit's rules (its Makefile's, without -Werror), in the lab folder,
 * with the helper library copied into ../common. */
static bool build_with_kit_rules(void)
{
    static const char *const programs[] = { "server", "client" };
    static const char *const flags[] = {
        "cc",  "-std=c17",   "-Wall", "-Wextra", "-O2", "-g", "-D_POSIX_C_SOURCE=200809L",
        "-I.", "-I../common"
    };
    bool ok = true;
    for (size_t p = 0; p < COUNT_OF(programs); p++) {
        char source[32];
        snprintf(source, sizeof source, "%s.c", programs[p]);
        if (access(source, F_OK) != 0)
            continue;
        struct args a = { 0 };
        for (size_t i = 0; i < COUNT_OF(flags); i++)
            push(&a, flags[i]);
        push(&a, "-o");
        push(&a, programs[p]);
        push(&a, source);
        push_shared_sources(&a);
        push(&a, "../common/netlab.c"); /* built with these flags, not the kit's */
        push_libs(&a);
        push(&a, "-pthread");
        ok &= run_command(&a);
        for (size_t i = 0; i < a.n; i++)
            free(a.v[i]);
        free(a.v);
    }
    return ok;
}

static bool has_file(const char *dir, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static bool has_makefile(const char *dir)
{
    return has_file(dir, "Makefile") || has_file(dir, "makefile") ||
           has_file(dir, "GNUmakefile");
}

static bool build_here(void)
{
    if (has_makefile(".")) {
        struct args a = { 0 };
        push(&a, "make");
        return run_command(&a); /* exits at once: no need to free */
    }
    if (has_file(".", "server.c") || has_file(".", "client.c"))
        return build_with_kit_rules();
    puts("nothing to build: the folder has no Makefile, server.c or client.c");
    return true;
}

/* The folder holding the lab folder FOLDER: the submission's copy. */
static char *copy_of(const char *folder)
{
    char *copy = xstrdup(folder);
    char *slash = strrchr(copy, '/');
    if (slash != NULL && slash != copy)
        *slash = '\0';
    return copy;
}

/* Where a build runs: the lab folder as the build sees it, and its copy
 * of the submission in a tmpfs of bounded size (quota.c), where there is
 * one (quota.top >= 0). */
struct build_place {
    char *folder;
    struct quota quota;
};

/*
 * In the build's own mount namespace: its copy of the submission in a
 * bounded tmpfs, the lab folder given to the build's user, and a root of
 * the build's own around it (or, where there cannot be one, the kit and
 * the other copies covered).  False, with why printed, if the build must
 * not run.
 */
static bool enclose_build(const struct build_options *o, const struct lab_build *b,
                          const struct sandbox *s, struct build_place *where)
{
    char *copy = copy_of(b->folder);
    struct buf err = { 0 };
    bool ok = quota_mount(copy, &where->quota, &err) == 0;
    if (!ok) {
        printf("%s\n", err.data);
    } else if (s->uid != 0 && give_folder(b->folder, s->uid) < 0) {
        printf("cannot give %s to the build's user: %s\n", b->folder, strerror(errno));
        ok = false;
    }
    struct buf notes = { 0 };
    if (ok && sandbox_build_root(where->quota.top, &notes)) {
        free(where->folder);
        where->folder = xmalloc(strlen(BUILD_SUBMISSION) + strlen(b->lab->id) + 2);
        sprintf(where->folder, "%s/%s", BUILD_SUBMISSION, b->lab->id);
    } else if (ok) {
        const char *hidden[3] = { o->kit_dir, o->hidden, o->originals };
        sandbox_hide_from_build(copy, hidden, &notes);
    }
    printf("%s", notes.data ? notes.data : "");
    buf_free(&notes);
    buf_free(&err);
    free(copy);
    return ok;
}

/* The build's mounts and user (see the top of the file), set in S and
 * WHERE.  False, with why printed, if the build must not run. */
static bool prepare_sandbox(const struct build_options *o, const struct lab_build *b,
                            bool in_namespace, struct sandbox *s, struct build_place *where)
{
    where->folder = xstrdup(b->folder);
    where->quota = (struct quota){ -1, -1 };
    if (!privileged_in_namespaces())
        return true; /* an ordinary user, and no user namespace */
    if (geteuid() == 0)
        s->uid = sandbox_uid_of_self();
    int refused = in_namespace ? sandbox_own_mounts() : EPERM;
    if (refused == 0)
        return enclose_build(o, b, s, where);
    if (in_namespace)
        printf("sandbox: no mount namespace (%s): the build sees the grader's files\n",
               strerror(refused));
    if (s->uid != 0 && give_folder(b->folder, s->uid) < 0) {
        printf("cannot give %s to the build's user: %s\n", b->folder, strerror(errno));
        return false;
    }
    return true;
}

/* The build itself, in a child of the build's process: as the sandbox's
 * user, in the build's cgroup, with the environment of a build, in
 * FOLDER. */
static _Noreturn void drive_build(const struct sandbox *s, const char *folder,
                                  bool in_namespace)
{
    struct sandbox_limits limits;
    sandbox_limits(s, &limits);
    int err = sandbox_enter(s, &limits);
    if (err != 0) {
        printf("cannot enter the sandbox: %s\n", strerror(err));
        _exit(1);
    }
    /* The private /tmp where there is one; elsewhere the grader's. */
    const char *tmp = getenv("TMPDIR");
    char *tmpdir = xstrdup(!in_namespace && tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
    clearenv();
    setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
    setenv("HOME", folder, 1);
    setenv("TMPDIR", tmpdir, 1);
    setenv("LC_ALL", "C", 1); /* messages in plain ASCII */
    bool ok = build_here();
    fflush(stdout);
    _exit(ok ? 0 : 1);
}

/*
 * Once the build's driver ended (OK if the build succeeded): says where
 * the limits explain a failure, stops whatever the build left, copies back
 * what it made in its bounded folder (if it had one) and removes its
 * cgroup.  Returns whether the build succeeded.
 */
static bool end_build(struct sandbox *s, const struct lab_build *b, bool in_namespace,
                      struct build_place *where, bool ok)
{
    if (cgroup_oom_kills(&s->cgroup) > 0)
        printf("a command of the build was killed: the build used more than the %ld MiB "
               "memory limit\n",
               s->memory_mb);
    bool bounded = where->quota.top >= 0;
    if (bounded && !ok && quota_full(&where->quota))
        printf("the build filled its folder: a build may write at most %d MiB in %d files "
               "and folders\n",
               QUOTA_MB, QUOTA_INODES);
    if (bounded) {
        reap_all_descendants(in_namespace); /* nothing writes while we copy */
        struct buf err = { 0 };
        if (ok && quota_copy_back(&where->quota, b->lab->id, &err) < 0) {
            printf("cannot copy what the build made: %s\n", err.data);
            ok = false;
        }
        buf_free(&err);
        quota_close(&where->quota);
    }
    cgroup_remove(&s->cgroup);
    return ok;
}

static _Noreturn void be_build(const struct build_options *o, const struct lab_build *b,
                               int out, pid_t grader, bool in_namespace)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* dies with the grader */
    if (!in_namespace && getppid() != grader)
        _exit(1);
    guard_against_programs();
    static const int defaults[] = { SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGPIPE };
    for (size_t i = 0; i < COUNT_OF(defaults); i++)
        signal(defaults[i], SIG_DFL);
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
        dup2(out, STDERR_FILENO) < 0)
        _exit(1);
    setvbuf(stdout, NULL, _IOLBF, 0);

    long memory = o->memory_limit_mb ? o->memory_limit_mb : DEFAULT_MEMORY_LIMIT_MB;
    struct sandbox s = { .memory_mb = memory };
    pid_t self = outside_pid_of_self(); /* before the build's own /proc */
    struct build_place where;
    if (!prepare_sandbox(o, b, in_namespace, &s, &where))
        _exit(1);
    if (chdir(where.folder) < 0) {
        printf("cannot enter %s: %s\n", where.folder, strerror(errno));
        _exit(1);
    }
    umask(022); /* the programs' users read what it makes */
    struct buf why = { 0 };
    if (!cgroup_create(&s.cgroup, "build", self, memory, SANDBOX_MAX_TASKS, &why) &&
        strncmp(cgroup_limits_in_force(), "cgroup", 6) == 0)
        printf("limits: rlimits only: %s\n", why.data);
    buf_free(&why);
    fflush(stdout);
    pid_t driver = fork();
    if (driver == 0) {
        quota_close(&where.quota);
        drive_build(&s, where.folder, in_namespace);
    }
    int status = 0;
    while (driver > 0 && waitpid(driver, &status, 0) < 0 && errno == EINTR)
        ;
    if (driver < 0)
        printf("cannot start the build: %s\n", strerror(errno));
    bool ok = driver > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    ok = end_build(&s, b, in_namespace, &where, ok);
    fflush(stdout);
    _exit(ok ? 0 : 1);
}

/* ---- The builds, several at once ---------------------------------------- */

struct running {
    size_t index;
    pid_t pid;
    int out; /* read end of its output; -1 at end of file */
    bool in_namespace;
    bool exited, killed;
    int status;
    int64_t kill_at_ms;
};

static bool start(const struct build_options *o, struct lab_build *b, size_t index,
                  struct running *run)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        buf_printf(&b->log, "grader error: pipe: %s\n", strerror(errno));
        return false;
    }
    pid_t grader = getpid();
    bool in_namespace;
    fflush(NULL);
    pid_t pid = fork_isolated(&in_namespace);
    if (pid < 0) {
        buf_printf(&b->log, "grader error: fork: %s\n", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return false;
    }
    if (pid == 0) {
        setpgid(0, 0);
        close(fds[0]);
        be_build(o, b, fds[1], grader, in_namespace);
    }
    setpgid(pid, pid);
    close(fds[1]);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    int timeout = o->timeout_ms > 0 ? o->timeout_ms : BUILD_TIMEOUT_MS;
    *run = (struct running){ .index = index,
                             .pid = pid,
                             .out = fds[0],
                             .in_namespace = in_namespace,
                             .kill_at_ms = now_ms() + timeout };
    return true;
}

/* Reads what the build printed so far (a bounded amount, so that a flood
 * cannot hold up the other builds); keeps the last LOG_KEEP bytes. */
static void read_output(struct running *run, struct buf *log)
{
    char chunk[4096];
    for (int reads = 0; run->out >= 0 && reads < 64; reads++) {
        ssize_t n = read(run->out, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;   /* nothing more for now */
        if (n <= 0) { /* the end, or an error: the same to us */
            close(run->out);
            run->out = -1;
            return;
        }
        buf_append(log, chunk, (size_t)n);
        if (log->len > LOG_KEEP)
            buf_consume(log, log->len - LOG_KEEP);
    }
}

/* As root without a PID namespace: kills every process of the build's user
 * (unique to this build), from a child that becomes that user. */
static void kill_user(uid_t uid)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(uid) == 0 && setuid(uid) == 0)
            kill(-1, SIGKILL);
        _exit(0);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

/* Stops whatever the build left running once its process is gone.  In a
 * namespace the kernel did it already. */
static void stop_leftovers(const struct running *run)
{
    if (run->in_namespace)
        return;
    killpg(run->pid, SIGKILL);
    if (geteuid() == 0)
        kill_user((uid_t)(SANDBOX_UID_BASE + (unsigned long)run->pid));
}

static void finish(struct lab_build *b, struct running *run)
{
    if (run->out >= 0) {
        close(run->out);
        run->out = -1;
    }
    cgroup_discard("build", run->pid); /* what a killed build left */
    bool ok = !run->killed && WIFEXITED(run->status) && WEXITSTATUS(run->status) == 0;
    b->state = ok ? BUILD_OK : BUILD_FAILED;
    if (geteuid() == 0 && give_folder(b->folder, geteuid()) < 0)
        buf_printf(&b->log, "grader error: cannot take %s back: %s\n", b->folder,
                   strerror(errno));
    if (b->log.data == NULL)
        buf_puts(&b->log, "");
}

/* Advances the build RUN: its output, its exit, its deadline.  True once
 * it is over (exited, every output read or its time spent). */
static bool advance(struct lab_build *b, struct running *run, int timeout_ms)
{
    read_output(run, &b->log);
    if (!run->exited && waitpid(run->pid, &run->status, WNOHANG) == run->pid) {
        run->exited = true;
        stop_leftovers(run);
    }
    if (!run->exited && !run->killed && now_ms() >= run->kill_at_ms) {
        run->killed = true;
        kill(run->pid, SIGKILL);
        killpg(run->pid, SIGKILL);
        buf_printf(&b->log, "\nthe build did not finish within %d s and was stopped.\n",
                   timeout_ms / 1000);
    }
    /* Whatever the build left holding its output is dead or stopped now;
     * its deadline bounds the wait for the pipe's end where it is not. */
    return run->exited && (run->out < 0 || now_ms() >= run->kill_at_ms);
}

static int64_t next_deadline(const struct running *run, size_t active)
{
    int64_t wait = 60000;
    for (size_t i = 0; i < active; i++)
        if (run[i].kill_at_ms - now_ms() < wait)
            wait = run[i].kill_at_ms - now_ms();
    return wait > 0 ? wait : 0;
}

/* Stops every build still running (on an interrupt). */
static void stop_all(struct lab_build *const *builds, struct running *run, size_t active)
{
    for (size_t i = 0; i < active; i++) {
        run[i].killed = true;
        kill(run[i].pid, SIGKILL);
        killpg(run[i].pid, SIGKILL);
        waitpid(run[i].pid, &run[i].status, 0);
        stop_leftovers(&run[i]);
        finish(builds[run[i].index], &run[i]);
    }
}

int build_labs(const struct build_options *o, struct lab_build *const *builds, size_t n)
{
    catch_interrupts();
    cgroups_open();
    int events = watch_children();
    size_t jobs = o->jobs > 0 ? (size_t)o->jobs : 1;
    int timeout = o->timeout_ms > 0 ? o->timeout_ms : BUILD_TIMEOUT_MS;
    struct running *run = xcalloc(jobs, sizeof *run);
    struct pollfd *fds = xcalloc(jobs + 1, sizeof *fds);
    size_t next = 0, active = 0;
    while ((next < n || active > 0) && !grader_interrupted()) {
        for (; next < n && active < jobs; next++) {
            if (builds[next]->state != BUILD_PENDING)
                continue;
            if (start(o, builds[next], next, &run[active]))
                active++;
            else
                builds[next]->state = BUILD_FAILED;
        }
        size_t nfds = 0;
        fds[nfds++] = (struct pollfd){ .fd = events, .events = POLLIN };
        for (size_t i = 0; i < active; i++)
            if (run[i].out >= 0)
                fds[nfds++] = (struct pollfd){ .fd = run[i].out, .events = POLLIN };
        if (active > 0 && poll(fds, nfds, (int)next_deadline(run, active)) > 0)
            drain_child_events();
        for (size_t i = 0; i < active;) {
            if (advance(builds[run[i].index], &run[i], timeout)) {
                finish(builds[run[i].index], &run[i]);
                run[i] = run[--active];
            } else {
                i++;
            }
        }
    }
    if (grader_interrupted())
        stop_all(builds, run, active);
    cgroups_close();
    free(run);
    free(fds);
    return grader_interrupted() ? -1 : 0;
}

/* ---- Messages ----------------------------------------------------------- */

/* Where the last LINES lines of TEXT begin. */
static const char *last_lines(const char *text, size_t len, int lines)
{
    const char *p = text + len;
    if (p > text && p[-1] == '\n')
        p--;
    while (p > text && lines > 0) {
        p--;
        if (*p == '\n')
            lines--;
    }
    return p == text ? p : p + 1;
}

char *build_failure_message(const struct lab_build *b)
{
    struct buf msg = { 0 };
    if (b->state == BUILD_MISSING) {
        buf_printf(&msg, "The submission has no folder %s, so this check could not run.\n",
                   b->lab->id);
        return msg.data;
    }
    const char *log = b->log.data ? b->log.data : "";
    if (b->state == BUILD_REFUSED) { /* the log is the copy's: a few lines */
        buf_printf(&msg, "%s was not graded, so this check could not run:\n%s", b->lab->id,
                   log);
        return msg.data;
    }
    const char *tail = last_lines(log, b->log.len, FAILURE_LINES);
    buf_printf(&msg,
               "%s did not build, so this check could not run (a program left from "
               "an earlier build is never graded).  The %sbuild's output:\n%s%s",
               b->lab->id, tail == log ? "" : "end of the ", tail,
               b->log.len && log[b->log.len - 1] == '\n' ? "" : "\n");
    return msg.data;
}

void free_builds(struct lab_build *builds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(builds[i].folder);
        buf_free(&builds[i].log);
    }
}
