/*
 * test_hostile.c - submissions that attack the grader, graded.  Each one,
 * tests/hostile/LAB/NAME/server.c or client.c (make builds it as the tree
 * build/hostile/NAME/LAB with the solution's other program), comes with an
 * `expect` file: a line "CHECK: PHRASE" says the check must fail with
 * PHRASE in its message, "CHECK: passes" that it must pass, "needs root",
 * "needs a memory limit" and "needs a memory cgroup" (one that counts
 * shared memory: see harness/cgroup.c) when the attack is stopped only
 * then.
 *
 * For each: the checks end within their time limits, fail for the stated
 * reason, nothing the programs started is left running, and no file and
 * no cgroup is left behind.  All are graded at once, as a class would be: an attack
 * must not cost another submission its points either.
 *
 * Run from the top of the kit (make test does).
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cgroups_left.h"
#include "internal.h"

TestSuite(hostile, .timeout = 120);

#define MAX_EXPECT 8

struct hostile {
    char lab[256];
    char name[256];
    char tree[PATH_MAX];
    struct { char check[256]; char phrase[256]; } expect[MAX_EXPECT];
    size_t nexpect;
    bool skip;                  /* the attack is stopped only where we are not */
    const char *why_skipped;
};

static void read_expect(struct hostile *h, const char *dir)
{
    char path[PATH_MAX * 2 + 16], line[256];
    snprintf(path, sizeof path, "%s/expect", dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n#")] = '\0';
        char *colon = strchr(line, ':');
        if (strcmp(line, "needs root") == 0 && geteuid() != 0) {
            h->skip = true;
            h->why_skipped = "needs root";
        } else if (strcmp(line, "needs a memory limit") == 0 && DEFAULT_MEMORY_LIMIT_MB < 0) {
            h->skip = true;
            h->why_skipped = "sanitizer builds set no memory limit";
        } else if (strcmp(line, "needs a memory cgroup") == 0 &&
                   (DEFAULT_MEMORY_LIMIT_MB < 0 ||
                    strncmp(cgroup_limits_in_force(), "cgroup", 6) != 0)) {
            h->skip = true;
            h->why_skipped = DEFAULT_MEMORY_LIMIT_MB < 0 ? "sanitizer builds set no memory limit"
                                                         : cgroup_limits_in_force();
        } else if (colon != NULL && h->nexpect < MAX_EXPECT) {
            *colon = '\0';
            snprintf(h->expect[h->nexpect].check, sizeof h->expect[0].check, "%s", line);
            snprintf(h->expect[h->nexpect].phrase, sizeof h->expect[0].phrase, "%s",
                     colon + 1 + strspn(colon + 1, " "));
            h->nexpect++;
        }
    }
    fclose(f);
    cr_assert_gt(h->nexpect, 0, "%s names no check", path);
}

/* Every hostile submission under tests/hostile/LAB/NAME/. */
static size_t find_hostiles(struct hostile **out)
{
    struct hostile *h = NULL;
    size_t n = 0;
    DIR *labs = opendir("tests/hostile");
    cr_assert_not_null(labs, "tests/hostile: %s", strerror(errno));
    for (struct dirent *l; (l = readdir(labs)) != NULL;) {
        if (find_lab(l->d_name) == NULL)
            continue;
        char labdir[PATH_MAX];
        snprintf(labdir, sizeof labdir, "tests/hostile/%s", l->d_name);
        DIR *names = opendir(labdir);
        for (struct dirent *e; names != NULL && (e = readdir(names)) != NULL;) {
            if (e->d_name[0] == '.')
                continue;
            h = xrealloc(h, (n + 1) * sizeof *h);
            memset(&h[n], 0, sizeof h[n]);
            snprintf(h[n].lab, sizeof h[n].lab, "%s", l->d_name);
            snprintf(h[n].name, sizeof h[n].name, "%s", e->d_name);
            char dir[PATH_MAX * 2], tree[PATH_MAX + 300];
            snprintf(dir, sizeof dir, "%s/%s", labdir, e->d_name);
            read_expect(&h[n], dir);
            snprintf(tree, sizeof tree, "build/hostile/%s", e->d_name);
            cr_assert_not_null(realpath(tree, h[n].tree), "%s: %s (make test builds it)",
                               tree, strerror(errno));
            n++;
        }
        if (names != NULL)
            closedir(names);
    }
    closedir(labs);
    *out = h;
    return n;
}

/* The processes left over from the hostiles: any process running a
 * program of theirs (not any process of a sandbox's user: another grader
 * may be running on this machine). */
static size_t count_survivors(struct buf *which)
{
    size_t n = 0;
    DIR *proc = opendir("/proc");
    cr_assert_not_null(proc);
    for (struct dirent *e; (e = readdir(proc)) != NULL;) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        char path[300], exe[PATH_MAX] = "";
        struct stat st;
        snprintf(path, sizeof path, "/proc/%s", e->d_name);
        if (stat(path, &st) < 0)
            continue;
        snprintf(path, sizeof path, "/proc/%s/exe", e->d_name);
        ssize_t len = readlink(path, exe, sizeof exe - 1);
        exe[len > 0 ? len : 0] = '\0';
        if (strstr(exe, "/build/hostile/") != NULL) {
            buf_printf(which, " %s(uid %u, %s)", e->d_name, (unsigned)st.st_uid, exe);
            n++;
        }
    }
    closedir(proc);
    return n;
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* System V IPC objects that a sandbox's user owns: the hostiles' leftovers
 * (a program runs as SANDBOX_UID_BASE plus its check's process ID). */
static size_t count_sandbox_ipc(struct buf *which)
{
    static const char *const tables[] = { "/proc/sysvipc/shm", "/proc/sysvipc/sem",
                                          "/proc/sysvipc/msg" };
    size_t n = 0;
    for (size_t t = 0; t < COUNT_OF(tables); t++) {
        FILE *f = fopen(tables[t], "r");
        char line[1024];
        if (f == NULL || fgets(line, sizeof line, f) == NULL) {
            if (f != NULL)
                fclose(f);
            continue;
        }
        int uid_column = -1, column = 0;    /* each table has its own columns */
        for (char *word = strtok(line, " \t\n"); word != NULL; word = strtok(NULL, " \t\n"), column++)
            if (strcmp(word, "uid") == 0)
                uid_column = column;
        while (uid_column >= 0 && fgets(line, sizeof line, f) != NULL) {
            column = 0;
            for (char *word = strtok(line, " \t\n"); word != NULL; word = strtok(NULL, " \t\n"), column++) {
                if (column == uid_column && strtoul(word, NULL, 10) >= SANDBOX_UID_BASE) {
                    buf_printf(which, " %s(uid %s)", tables[t] + strlen("/proc/sysvipc/"), word);
                    n++;
                }
            }
        }
        fclose(f);
    }
    return n;
}

/* A server of the machine's own on the loopback, which no check may see. */
static int open_host_listener(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 1) == 0,
              "a listener on the loopback: %s", strerror(errno));
    return fd;
}

static const struct check_def *find_check(const struct lab_def *lab, const char *name)
{
    for (size_t i = 0; i < lab->nchecks; i++)
        if (strcmp(lab->checks[i].name, name) == 0)
            return &lab->checks[i];
    return NULL;
}

/* What is wrong with hostile H's result R for expectation E, if anything. */
static void judge(const struct hostile *h, size_t e, const struct check_result *r,
                  struct buf *wrong)
{
    const char *phrase = h->expect[e].phrase, *msg = r->message ? r->message : "";
    double limit = r->def->timeout_ms / 1000.0 + 1.0;
    if (r->seconds > limit)
        buf_printf(wrong, "\n%s/%s: took %.1f s, over its limit", h->name, r->def->name,
                   r->seconds);
    if (strstr(msg, "grader error") != NULL || strstr(msg, "did not finish within") != NULL)
        buf_printf(wrong, "\n%s/%s: the check itself broke: %s", h->name, r->def->name, msg);
    else if (strcmp(phrase, "passes") == 0 && !r->passed)
        buf_printf(wrong, "\n%s/%s: should pass, failed: %s", h->name, r->def->name, msg);
    else if (strcmp(phrase, "passes") != 0 && (r->passed || strstr(msg, phrase) == NULL))
        buf_printf(wrong, "\n%s/%s: should fail with \"%s\", %s: %s", h->name,
                   r->def->name, phrase, r->passed ? "passed" : "failed", msg);
}

Test(hostile, every_attack_is_caught_bounded_and_cleaned_up)
{
    struct hostile *h;
    size_t n = find_hostiles(&h);
    cr_assert_gt(n, 0, "no hostile submission under tests/hostile");

    /* Check folders go here where there is no private /tmp: it must end empty. */
    char tmp[] = "/tmp/netlab-hostile-tmp-XXXXXX", kit[PATH_MAX], shortio[PATH_MAX];
    cr_assert_not_null(mkdtemp(tmp));
    cr_assert_eq(setenv("TMPDIR", tmp, 1), 0);
    cr_assert_not_null(realpath(".", kit));
    cr_assert_not_null(realpath("harness/shortio.so", shortio), "run make first");

    struct check_result *results = xcalloc(n * MAX_EXPECT, sizeof *results);
    size_t total = 0, graded = 0;
    for (size_t i = 0; i < n; i++) {
        if (h[i].skip) {
            cr_log_warn("hostile %s skipped: %s", h[i].name, h[i].why_skipped);
            continue;
        }
        const struct lab_def *lab = find_lab(h[i].lab);
        for (size_t e = 0; e < h[i].nexpect; e++) {
            const struct check_def *def = find_check(lab, h[i].expect[e].check);
            cr_assert_not_null(def, "%s: no check %s in %s", h[i].name, h[i].expect[e].check,
                               lab->id);
            results[total++] = (struct check_result){ .lab = lab, .def = def,
                                                      .impl_dir = h[i].tree };
        }
        graded++;
    }
    /* A lower memory limit than the grader's own, so that the memory hog
     * reaches it in a fraction of its check's time even on a busy machine. */
    struct run_options opts = { .impl_dir = "/nonexistent", .jobs = 4, .shortio = shortio,
                                .kit_dir = kit,
                                .memory_limit_mb = DEFAULT_MEMORY_LIMIT_MB < 0 ? -1 : 256 };
    int host_server = open_host_listener();
    cr_assert_eq(run_checks(&opts, results, total), 0);
    close(host_server);

    struct buf wrong = {0};
    buf_puts(&wrong, "");
    for (size_t i = 0, r = 0; i < n; i++)
        for (size_t e = 0; !h[i].skip && e < h[i].nexpect; e++, r++)
            judge(&h[i], e, &results[r], &wrong);
    cr_expect_eq(wrong.len, 0, "%zu hostile submissions graded:%s", graded, wrong.data);

    struct buf survivors = {0};
    buf_puts(&survivors, "");
    cr_expect_eq(count_survivors(&survivors), 0, "left running:%s", survivors.data);
    cr_expect_eq(count_entries(tmp), 0, "files left in the check folders' %s", tmp);
    struct buf ipc = {0};
    buf_puts(&ipc, "");
    cr_expect_eq(count_sandbox_ipc(&ipc), 0, "System V IPC objects left:%s", ipc.data);
    struct buf cgroups = {0};
    buf_puts(&cgroups, "");
    cr_expect_eq(count_cgroups_left(&cgroups), 0, "cgroups left:%s", cgroups.data);
    cr_expect_neq(access("/tmp/netlab-hostile-stray", F_OK), 0,
                  "a program wrote /tmp/netlab-hostile-stray, and it is still there");
    cr_expect_neq(access("harness/netlab-hostile-pwned", F_OK), 0,
                  "a program wrote into the kit: harness/netlab-hostile-pwned");
    rmdir(tmp);
    free_results(results, total);
    free(results);
    free(h);
}

/*
 * Anyone on the machine can bind the abstract socket names by which
 * graders on one network reserve ports.  As root, every check has a
 * network of its own, where those names are its own too: a squatter on all
 * of them costs the solutions nothing.
 */
Test(hostile, squatted_port_reservations_cost_nothing)
{
    if (geteuid() != 0)
        cr_skip_test("as root only: elsewhere checks share the machine's network");
    struct rlimit many = { 16384, 16384 };
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &many), 0, "setrlimit: %s", strerror(errno));
    size_t squatted = 0;
    for (int port = 1024; port < 65536; port++) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int len = snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "netlab-port-%d", port);
        socklen_t size = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len);
        if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, size) == 0)
            squatted++;
        else if (fd >= 0)
            close(fd);
        if (squatted + 64 >= many.rlim_cur)
            break;
    }
    cr_assert_gt(squatted, 12000, "squatted only %zu names", squatted);

    char kit[PATH_MAX], shortio[PATH_MAX], solutions[PATH_MAX];
    cr_assert_not_null(realpath(".", kit));
    cr_assert_not_null(realpath("harness/shortio.so", shortio), "run make first");
    cr_assert_not_null(realpath("solutions", solutions));
    const struct lab_def *lab = find_lab("02");
    struct check_result *results = xcalloc(lab->nchecks, sizeof *results);
    for (size_t i = 0; i < lab->nchecks; i++)
        results[i] = (struct check_result){ .lab = lab, .def = &lab->checks[i] };
    struct run_options opts = { .impl_dir = solutions, .jobs = 2, .shortio = shortio,
                                .kit_dir = kit };
    cr_assert_eq(run_checks(&opts, results, lab->nchecks), 0);
    for (size_t i = 0; i < lab->nchecks; i++)
        cr_expect(results[i].passed, "%s: %s", results[i].def->name,
                  results[i].message ? results[i].message : "");
    free_results(results, lab->nchecks);
    free(results);
}
