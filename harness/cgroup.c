/*
 * cgroup.c - memory and task limits that count everything a check's or a
 * build's programs use.
 *
 * The rlimits of sandbox.c are per process, and RLIMIT_DATA counts neither
 * MAP_SHARED memory, memfd, System V shared memory nor tmpfs files: a
 * program can hold gigabytes under it.  A memory cgroup is charged for
 * every page its processes use, those included, and a pids cgroup counts
 * the tasks of all its processes together.  Where the system lets the
 * grader make cgroups (as root, or in a cgroup v2 subtree delegated to its
 * user), each check and each build gets one, under the grader's own:
 *
 *   v1: <memory hierarchy>/<the grader's cgroup>/netlab-GRADER/KIND-PID,
 *       and the same in the pids hierarchy;
 *   v2: <the parent of the grader's cgroup>/netlab-GRADER/KIND-PID.  Beside
 *       the grader's cgroup rather than in it: a v2 cgroup that holds
 *       processes cannot hand controllers down ("no internal processes"),
 *       so netlab-GRADER, which holds none, enables memory and pids for
 *       the cgroups under it.
 *
 * GRADER is the grader's process ID and PID namespace ("4711-4026531836":
 * graders in other PID namespaces share these hierarchies, and their IDs
 * may be the same numbers), KIND "check" or "build" and PID the check's or
 * build's process as the grader numbers it: unique, and findable from a
 * process list.  The check or build makes its cgroup; its
 * programs join it between fork and exec (sandbox_enter); it removes the
 * cgroup when it ends, and the grader removes what a killed one left
 * (cgroup_discard), then netlab-GRADER itself (cgroups_close).  A grader
 * that was killed leaves its netlab-GRADER behind: the next one in the
 * same PID namespace removes it.
 *
 * Elsewhere the rlimits alone hold, as they always do: the cgroup comes on
 * top of them.
 */
#include "cgroup.h"
#include "check.h"
#include "core.h"
#include "slot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MEMORY, PIDS };
static const char *const controllers[CGROUP_DIRS] = { "memory", "pids" };

/* The grader's own state: where its checks' and builds' cgroups go.  Forked
 * checks and builds inherit it. */
static struct {
    bool detected;
    int version;               /* 1 or 2; 0: no cgroup the grader may use */
    char *why;                 /* why not, for the transcripts */
    char *base[CGROUP_DIRS];   /* where netlab-GRADER goes (v2: base[0]) */
    char *parent[CGROUP_DIRS]; /* netlab-PID-NS, while open */
    int opened;                /* cgroups_open calls not yet closed */
} grader;

/* ---- Small files ----------------------------------------------------------- */

static char *path_of(const char *dir, const char *name)
{
    struct buf b = { 0 };
    buf_printf(&b, "%s/%s", dir, name);
    return b.data;
}

/* Writes VALUE into DIR/NAME (a cgroup's control file).  Returns 0 or an
 * errno. */
static int write_control(const char *dir, const char *name, const char *value)
{
    char *path = path_of(dir, name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    free(path);
    if (fd < 0)
        return errno;
    size_t len = strlen(value);
    int err = write(fd, value, len) == (ssize_t)len ? 0 : errno;
    close(fd);
    return err;
}

/* Reads DIR/NAME (a small control file) into OUT, NUL-terminated. */
static bool read_control(const char *dir, const char *name, char *out, size_t size)
{
    char *path = path_of(dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, out, size - 1);
    close(fd);
    out[n > 0 ? n : 0] = '\0';
    return n >= 0;
}

static bool exists(const char *dir, const char *name)
{
    char *path = path_of(dir, name);
    bool found = access(path, F_OK) == 0;
    free(path);
    return found;
}

/* Whether WORD is one of the words of LIST, separated by any of SEPS. */
static bool has_word(const char *list, const char *word, const char *seps)
{
    size_t len = strlen(word);
    for (const char *p = list; *p != '\0'; p += strcspn(p, seps), p += strspn(p, seps))
        if (strncmp(p, word, len) == 0 && (p[len] == '\0' || strchr(seps, p[len]) != NULL))
            return true;
    return false;
}

/* The number after "KEY " in the "key value" lines of TEXT, or -1. */
static long value_of(const char *text, const char *key)
{
    size_t len = strlen(key);
    for (const char *line = text; *line != '\0';
         line += strcspn(line, "\n"), line += *line == '\n') {
        if (strncmp(line, key, len) == 0 && line[len] == ' ')
            return strtol(line + len + 1, NULL, 10);
    }
    return -1;
}

/* ---- Where the grader's own cgroups are -------------------------------------- */

/* The calling process's cgroup (a path from the hierarchy's root) in the
 * v1 hierarchy that has CONTROLLER, or in the v2 hierarchy if CONTROLLER is
 * NULL; NULL if it is in none. */
static char *own_cgroup(const char *controller)
{
    FILE *f = fopen("/proc/self/cgroup", "r");
    char *line = NULL, *found = NULL;
    size_t size = 0;
    while (f != NULL && found == NULL && getline(&line, &size, f) > 0) {
        line[strcspn(line, "\n")] = '\0';
        char *list = strchr(line, ':');
        char *path = list ? strchr(list + 1, ':') : NULL;
        if (path == NULL)
            continue;
        *path++ = '\0';
        *list++ = '\0';
        bool v2 = strcmp(line, "0") == 0 && *list == '\0';
        if (controller == NULL ? v2 : !v2 && has_word(list, controller, ","))
            found = xstrdup(path);
    }
    free(line);
    if (f != NULL)
        fclose(f);
    return found;
}

/*
 * The folder of the calling process's cgroup in the hierarchy that has
 * CONTROLLER (cgroup v1), or in the v2 hierarchy if CONTROLLER is NULL:
 * the hierarchy's mount point (from /proc/self/mountinfo) and the cgroup's
 * path below the mount's root.  *TOP says whether that cgroup is the
 * mount's root.  NULL where there is no such hierarchy.
 */
static char *own_cgroup_dir(const char *controller, bool *top)
{
    char *own = own_cgroup(controller);
    FILE *f = own ? fopen("/proc/self/mountinfo", "r") : NULL;
    char *line = NULL, *dir = NULL;
    size_t size = 0;
    while (f != NULL && dir == NULL && getline(&line, &size, f) > 0) {
        /* ID PARENT DEV ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER */
        char *word[32];
        size_t n = 0, dash = 0;
        for (char *w = strtok(line, " \n"); w != NULL && n < COUNT_OF(word);
             w = strtok(NULL, " \n")) {
            if (strcmp(w, "-") == 0 && dash == 0)
                dash = n;
            word[n++] = w;
        }
        if (dash < 5 || dash + 3 >= n || strchr(word[4], '\\') != NULL)
            continue; /* malformed, or a mount point with escapes */
        const char *type = word[dash + 1], *super = word[dash + 3];
        bool match = controller == NULL
                         ? strcmp(type, "cgroup2") == 0
                         : strcmp(type, "cgroup") == 0 && has_word(super, controller, ",");
        const char *root = word[3];
        size_t len = strcmp(root, "/") == 0 ? 0 : strlen(root);
        if (!match || strncmp(own, root, len) != 0 || (own[len] != '/' && own[len] != '\0'))
            continue;
        const char *below = own + len;
        *top = below[0] == '\0' || strcmp(below, "/") == 0;
        struct buf b = { 0 };
        buf_printf(&b, "%s%s", word[4], *top ? "" : below);
        dir = b.data;
    }
    free(line);
    free(own);
    if (f != NULL)
        fclose(f);
    return dir;
}

/* Cuts DIR's last component off, in place. */
static void cut_last(char *dir)
{
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir)
        *slash = '\0';
}

/*
 * cgroup v2, where the grader's cgroup has the memory and pids controllers
 * (its parent enabled them): netlab-GRADER goes beside it, in its parent,
 * or in it if it is the hierarchy's root (which may hold processes and
 * still enable controllers).
 */
static bool find_v2(struct buf *why)
{
    bool top = false;
    char *own = own_cgroup_dir(NULL, &top);
    char list[512] = "";
    if (own == NULL || !read_control(own, "cgroup.controllers", list, sizeof list) ||
        !has_word(list, "memory", " \n") || !has_word(list, "pids", " \n")) {
        if (own != NULL)
            buf_printf(why, "cgroup v2 gives the grader's cgroup no memory and pids "
                            "controllers; ");
        free(own);
        return false;
    }
    /* The root of a cgroup namespace (a container's) is no real root: it
     * cannot enable controllers while it holds processes. */
    if (top && write_control(own, "cgroup.subtree_control", "+memory +pids") != 0 &&
        (!read_control(own, "cgroup.subtree_control", list, sizeof list) ||
         !has_word(list, "memory", " \n") || !has_word(list, "pids", " \n"))) {
        buf_printf(why, "cgroup v2: the grader's cgroup holds processes and cannot enable "
                        "memory and pids under it; ");
        free(own);
        return false;
    }
    if (!top)
        cut_last(own);
    char procs[PATH_MAX];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", own);
    if (access(own, W_OK) != 0 || access(procs, W_OK) != 0) {
        buf_printf(why, "cgroup v2: %s is not the grader's to write; ", own);
        free(own);
        return false;
    }
    grader.base[0] = own;
    return true;
}

/* cgroup v1: the grader's cgroups in the memory and pids hierarchies. */
static bool find_v1(struct buf *why)
{
    char *dir[CGROUP_DIRS];
    bool ok = true;
    for (size_t i = 0; i < CGROUP_DIRS; i++) {
        bool top;
        dir[i] = own_cgroup_dir(controllers[i], &top);
        ok &= dir[i] != NULL && access(dir[i], W_OK) == 0;
    }
    if (ok) {
        for (size_t i = 0; i < CGROUP_DIRS; i++)
            grader.base[i] = dir[i];
        return true;
    }
    if (dir[MEMORY] == NULL || dir[PIDS] == NULL)
        buf_puts(why, "no cgroup v1 memory and pids hierarchies");
    else
        buf_printf(why, "cgroup v1: %s is not the grader's to write", dir[MEMORY]);
    for (size_t i = 0; i < CGROUP_DIRS; i++)
        free(dir[i]);
    return false;
}

static void detect(void)
{
    if (grader.detected)
        return;
    grader.detected = true;
    struct buf why = { 0 };
    buf_puts(&why, "");
    grader.version = find_v2(&why) ? 2 : find_v1(&why) ? 1 : 0;
    grader.why = grader.version ? NULL : why.data;
    if (grader.version)
        buf_free(&why);
}

const char *cgroup_limits_in_force(void)
{
    detect();
    return grader.version == 2   ? "cgroup v2"
           : grader.version == 1 ? "cgroup v1"
                                 : RLIMITS_ONLY;
}

/* ---- Removing cgroups -------------------------------------------------------- */

/* Kills every process in the cgroup DIR, then removes it: false if it is
 * still there (a killed process not yet reaped keeps it busy). */
static bool discard_dir(const char *dir)
{
    if (write_control(dir, "cgroup.kill", "1") != 0) { /* v2 since Linux 5.14 */
        char *path = path_of(dir, "cgroup.procs");
        FILE *f = fopen(path, "r");
        free(path);
        for (int pid; f != NULL && fscanf(f, "%d", &pid) == 1;)
            if (pid > 0)
                kill(pid, SIGKILL);
        if (f != NULL)
            fclose(f);
    }
    return rmdir(dir) == 0 || errno == ENOENT;
}

/* Removes every cgroup in DIR, then DIR. */
static void discard_tree(const char *dir)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.')
            continue;
        char *sub = path_of(dir, e->d_name);
        discard_dir(sub);
        free(sub);
    }
    if (d != NULL)
        closedir(d);
    discard_dir(dir);
}

/*
 * This grader's PID namespace, as the number of its inode.  A process ID
 * names a grader only within its namespace, and graders in other ones (a
 * container's, CI's fresh root) share the machine's cgroups: the ID alone
 * would let two graders take one folder, or one remove the other's.
 */
static unsigned long pid_namespace(void)
{
    struct stat st;
    return stat("/proc/self/ns/pid", &st) == 0 ? (unsigned long)st.st_ino : 0;
}

/* Removes the netlab-PID-NS folders in BASE of graders of this PID
 * namespace that are gone; another namespace's PIDs mean nothing here. */
static void discard_stale(const char *base)
{
    DIR *d = opendir(base);
    unsigned long ours = pid_namespace();
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        int pid;
        unsigned long ns;
        char end;
        if (sscanf(e->d_name, "netlab-%d-%lu%c", &pid, &ns, &end) != 2 || pid <= 0 ||
            ns != ours || kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        char *dir = path_of(base, e->d_name);
        discard_tree(dir);
        free(dir);
    }
    if (d != NULL)
        closedir(d);
}

/* ---- The grader's netlab-PID-NS ------------------------------------------------ */

void cgroups_open(void)
{
    detect();
    if (grader.version == 0 || grader.opened++ > 0)
        return;
    struct buf name = { 0 };
    buf_printf(&name, "netlab-%ld-%lu", (long)getpid(), pid_namespace());
    int err = 0;
    for (size_t i = 0; i < CGROUP_DIRS && err == 0; i++) {
        if (grader.base[i] == NULL)
            continue;
        discard_stale(grader.base[i]);
        grader.parent[i] = path_of(grader.base[i], name.data);
        if (mkdir(grader.parent[i], 0755) < 0 && errno != EEXIST)
            err = errno;
    }
    if (err == 0 && grader.version == 2)
        err = write_control(grader.parent[0], "cgroup.subtree_control", "+memory +pids");
    if (err != 0) {
        struct buf why = { 0 };
        buf_printf(&why, "cannot make the grader's cgroup %s: %s", name.data, strerror(err));
        grader.opened = 1;
        cgroups_close();
        grader.version = 0;
        grader.why = why.data;
    }
    buf_free(&name);
}

void cgroups_close(void)
{
    if (grader.opened == 0 || --grader.opened > 0)
        return;
    for (size_t i = 0; i < CGROUP_DIRS; i++) {
        if (grader.parent[i] != NULL)
            discard_tree(grader.parent[i]);
        free(grader.parent[i]);
        grader.parent[i] = NULL;
    }
}

void cgroup_discard(const char *kind, pid_t pid)
{
    for (size_t i = 0; i < CGROUP_DIRS; i++) {
        if (grader.parent[i] == NULL)
            continue;
        struct buf dir = { 0 };
        buf_printf(&dir, "%s/%s-%ld", grader.parent[i], kind, (long)pid);
        discard_dir(dir.data);
        buf_free(&dir);
    }
}

void cgroups_keep_reach(void)
{
    /* A descriptor reaches a folder wherever the process's root is; the
     * magic link /proc/self/fd/N leads to it by path. */
    for (size_t i = 0; i < CGROUP_DIRS; i++) {
        if (grader.parent[i] == NULL)
            continue;
        int fd = open(grader.parent[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            continue;
        free(grader.parent[i]);
        struct buf by_fd = { 0 };
        buf_printf(&by_fd, "/proc/self/fd/%d", fd);
        grader.parent[i] = by_fd.data;
    }
}

/* ---- One check's or build's cgroup -------------------------------------------- */

/* Sets the limits of CG, just made: MEMORY_MB (none if 0 or less) for its
 * memory, swap included, and TASKS.  Returns 0 or an errno. */
static int set_limits(const struct cgroup *cg, long memory_mb, long tasks)
{
    char bytes[32], max_tasks[32];
    snprintf(bytes, sizeof bytes, "%lld", (long long)memory_mb << 20);
    snprintf(max_tasks, sizeof max_tasks, "%ld", tasks);
    const char *memory = cg->dirs[MEMORY], *pids = cg->dirs[cg->version == 1 ? PIDS : MEMORY];
    int err = write_control(pids, "pids.max", max_tasks);
    if (memory_mb <= 0 || err != 0)
        return err;
    if (cg->version == 2) {
        err = write_control(memory, "memory.max", bytes);
        if (err == 0 && exists(memory, "memory.swap.max"))
            err = write_control(memory, "memory.swap.max", "0");
        return err;
    }
    /* memory.memsw (memory and swap together) exists only with swap
     * accounting; it may never be below memory.limit. */
    err = write_control(memory, "memory.limit_in_bytes", bytes);
    if (err == 0 && exists(memory, "memory.memsw.limit_in_bytes"))
        err = write_control(memory, "memory.memsw.limit_in_bytes", bytes);
    return err;
}

bool cgroup_create(struct cgroup *cg, const char *kind, pid_t pid, long memory_mb, long tasks,
                   struct buf *why)
{
    *cg = (struct cgroup){ .procs = { -1, -1 } };
    if (grader.parent[0] == NULL) {
        buf_puts(why, grader.why ? grader.why : "the grader made no cgroup of its own");
        return false;
    }
    cg->version = grader.version;
    int err = 0;
    for (size_t i = 0; i < CGROUP_DIRS && err == 0 && grader.parent[i] != NULL; i++) {
        struct buf dir = { 0 };
        buf_printf(&dir, "%s/%s-%ld", grader.parent[i], kind, (long)pid);
        cg->dirs[i] = dir.data;
        if (mkdir(cg->dirs[i], 0755) < 0 && errno != EEXIST)
            err = errno;
    }
    if (err == 0)
        err = set_limits(cg, memory_mb, tasks);
    for (size_t i = 0; i < CGROUP_DIRS && err == 0 && cg->dirs[i] != NULL; i++) {
        char *procs = path_of(cg->dirs[i], "cgroup.procs");
        cg->procs[i] = open(procs, O_WRONLY | O_CLOEXEC);
        if (cg->procs[i] < 0)
            err = errno;
        free(procs);
    }
    if (err != 0) {
        buf_printf(why, "cannot set up the cgroup %s: %s", cg->dirs[0], strerror(err));
        cgroup_remove(cg);
    }
    return err == 0;
}

int cgroup_join(const struct cgroup *cg)
{
    /* "0": the calling process, whatever its number in its namespace. */
    for (size_t i = 0; cg->version != 0 && i < CGROUP_DIRS; i++)
        if (cg->procs[i] >= 0 && write(cg->procs[i], "0", 1) != 1)
            return errno;
    return 0;
}

long cgroup_oom_kills(const struct cgroup *cg)
{
    char text[512];
    if (cg->version == 0)
        return -1;
    if (cg->version == 2)
        return read_control(cg->dirs[MEMORY], "memory.events", text, sizeof text)
                   ? value_of(text, "oom_kill")
                   : -1;
    /* v1 counts the kills since Linux 4.13; before, a limit that was hit
     * is the best there is. */
    if (!read_control(cg->dirs[MEMORY], "memory.oom_control", text, sizeof text))
        return -1;
    long kills = value_of(text, "oom_kill");
    if (kills < 0 && read_control(cg->dirs[MEMORY], "memory.failcnt", text, sizeof text))
        kills = strtol(text, NULL, 10) > 0;
    return kills;
}

void cgroup_remove(struct cgroup *cg)
{
    for (size_t i = 0; cg->version != 0 && i < CGROUP_DIRS; i++) {
        if (cg->procs[i] >= 0)
            close(cg->procs[i]);
        if (cg->dirs[i] != NULL)
            discard_dir(cg->dirs[i]);
        free(cg->dirs[i]);
        cg->dirs[i] = NULL;
        cg->procs[i] = -1;
    }
    cg->version = 0;
}

/* ---- A check's cgroup ----------------------------------------------------------- */

void cgroup_start_check(struct check *c)
{
    struct sandbox *s = &c->sandbox;
    struct buf why = { 0 };
    if (cgroup_create(&s->cgroup, "check", c->outside_pid, s->memory_mb, SANDBOX_MAX_TASKS,
                      &why)) {
        struct buf memory = { 0 };
        if (s->memory_mb > 0)
            buf_printf(&memory, "%ld MiB", s->memory_mb);
        note(c,
             "sandbox: memory limit: %s: %s for the check's programs together, shared "
             "memory and tmpfs files included; at most %d tasks",
             cgroup_limits_in_force(), s->memory_mb > 0 ? memory.data : "none",
             SANDBOX_MAX_TASKS);
        buf_free(&memory);
    } else {
        note(c, "sandbox: memory limit: %s, per program: %s", RLIMITS_ONLY, why.data);
    }
    buf_free(&why);
}

void cgroup_end_check(struct check *c)
{
    long kills = cgroup_oom_kills(&c->sandbox.cgroup);
    if (kills > 0)
        note(c,
             "the programs reached the %ld MiB memory limit: the kernel killed %ld "
             "process%s",
             c->sandbox.memory_mb, kills, kills > 1 ? "es" : "");
    cgroup_remove(&c->sandbox.cgroup);
}

bool killed_by_memory_limit(const struct check *c, const struct program *p)
{
    return p->exited && WIFSIGNALED(p->status) && WTERMSIG(p->status) == SIGKILL &&
           cgroup_oom_kills(&c->sandbox.cgroup) > 0;
}
