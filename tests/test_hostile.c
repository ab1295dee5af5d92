/*
 * test_hostile.c - submissions that attack the grader, graded.  Each one,
 * tests/hostile/LAB/NAME/server.c or client.c (make builds it as the tree
 * build/hostile/NAME/LAB with the solution's other program), comes with an
 * `expect` file: a line "CHECK: PHRASE" says the check must fail with
 * PHRASE in its message, "CHECK: passes" that it must pass, "needs
 * namespaces" (as root, or in a user namespace as an ordinary user),
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
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cgroups_left.h"
#include "command.h"
#include "files.h"
#include "internal.h"

TestSuite(hostile, .timeout = 120);

#define MAX_EXPECT 8

struct hostile {
    char lab[256];
    char name[256];
    char tree[PATH_MAX];
    struct {
        char check[256];
        char phrase[256];
    } expect[MAX_EXPECT];
    size_t nexpect;
    bool skip; /* the attack is stopped only where we are not */
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
        if (strcmp(line, "needs namespaces") == 0 && !namespaces_allowed()) {
            h->skip = true;
            h->why_skipped = "no namespaces here";
        } else if (strcmp(line, "needs a memory limit") == 0 && DEFAULT_MEMORY_LIMIT_MB < 0) {
            h->skip = true;
            h->why_skipped = "sanitizer builds set no memory limit";
        } else if (strcmp(line, "needs a memory cgroup") == 0 &&
                   (DEFAULT_MEMORY_LIMIT_MB < 0 ||
                    strncmp(cgroup_limits_in_force(), "cgroup", 6) != 0)) {
            h->skip = true;
            h->why_skipped = DEFAULT_MEMORY_LIMIT_MB < 0
                                 ? "sanitizer builds set no memory limit"
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
            cr_assert_not_null(realpath(tree, h[n].tree), "%s: %s (make test builds it)", tree,
                               strerror(errno));
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
        int uid_column = -1, column = 0; /* each table has its own columns */
        for (char *word = strtok(line, " \t\n"); word != NULL;
             word = strtok(NULL, " \t\n"), column++)
            if (strcmp(word, "uid") == 0)
                uid_column = column;
        while (uid_column >= 0 && fgets(line, sizeof line, f) != NULL) {
            column = 0;
            for (char *word = strtok(line, " \t\n"); word != NULL;
                 word = strtok(NULL, " \t\n"), column++) {
                if (column == uid_column && strtoul(word, NULL, 10) >= SANDBOX_UID_BASE) {
                    buf_printf(which, " %s(uid %s)", tables[t] + strlen("/proc/sysvipc/"),
                               word);
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
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 1) == 0,
              "a listener on the loopback: %s", strerror(errno));
    return fd;
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
        buf_printf(wrong, "\n%s/%s: should fail with \"%s\", %s: %s", h->name, r->def->name,
                   phrase, r->passed ? "passed" : "failed", msg);
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
            results[total++] = (struct check_result){ .lab = lab,
                                                      .def = def,
                                                      .impl_dir = h[i].tree };
        }
        graded++;
    }
    /* A lower memory limit than the grader's own, so that the memory hog
     * reaches it in a fraction of its check's time even on a busy machine. */
    struct run_options opts = { .impl_dir = "/nonexistent",
                                .jobs = 4,
                                .shortio = shortio,
                                .kit_dir = kit,
                                .memory_limit_mb = DEFAULT_MEMORY_LIMIT_MB < 0 ? -1 : 256 };
    int host_server = open_host_listener();
    /* What finds-the-kit looks for, wherever programs can walk. */
    int marker = open("netlab-kit-marker", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    cr_assert_geq(marker, 0, "netlab-kit-marker: %s", strerror(errno));
    close(marker);
    int ran = run_checks(&opts, results, total);
    unlink("netlab-kit-marker");
    cr_assert_eq(ran, 0);
    close(host_server);

    struct buf wrong = { 0 };
    buf_puts(&wrong, "");
    for (size_t i = 0, r = 0; i < n; i++)
        for (size_t e = 0; !h[i].skip && e < h[i].nexpect; e++, r++)
            judge(&h[i], e, &results[r], &wrong);
    cr_expect_eq(wrong.len, 0, "%zu hostile submissions graded:%s", graded, wrong.data);

    struct buf survivors = { 0 };
    buf_puts(&survivors, "");
    cr_expect_eq(count_survivors(&survivors), 0, "left running:%s", survivors.data);
    cr_expect_eq(count_entries(tmp), 0, "files left in the check folders' %s", tmp);
    struct buf ipc = { 0 };
    buf_puts(&ipc, "");
    cr_expect_eq(count_sandbox_ipc(&ipc), 0, "System V IPC objects left:%s", ipc.data);
    struct buf cgroups = { 0 };
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
 * The same attacks graded by an ordinary user: this file's other tests
 * run again as nobody, from a copy of the kit in /tmp that nobody owns.
 * Where the kernel gives nobody user namespaces (Debian's does), the
 * layers they give must stop what they stop as root: no attack that
 * needs namespaces may be skipped.  An ordinary user's own make test runs
 * them as such already.
 */
Test(hostile, attacks_graded_by_an_ordinary_user, .timeout = 600)
{
    if (geteuid() != 0)
        cr_skip_test("as root only: this make test runs the other tests as an ordinary user");
    char top[] = "/tmp/netlab-hostile-user-XXXXXX";
    cr_assert_not_null(mkdtemp(top));
    struct buf cmd = { 0 };
    buf_printf(&cmd,
               "tar --exclude=./.git --exclude=./build -cf - . | tar -xf - -C '%s' && "
               "mkdir -p '%s/build/tests' && cp -r build/hostile '%s/build/' && "
               "cp build/tests/test_hostile '%s/build/tests/' && "
               "chown -R nobody:nogroup '%s'",
               top, top, top, top, top);
    struct cmd copy = run_command(".", cmd.data, "120");
    cr_assert_eq(copy.status, 0, "%s", copy.out.data);
    buf_free(&copy.out);
    struct cmd r = run_command(top,
                               "setpriv --reuid=nobody --regid=nogroup --clear-groups "
                               "build/tests/test_hostile --verbose --jobs 2",
                               "500");
    bool user_namespaces = ordinary_user_namespaces_allowed();
    const char *must_pass[] = { "every_attack_is_caught_bounded_and_cleaned_up",
                                "links_in_a_class_follow_nothing_out_of_a_submission",
                                user_namespaces ? "squatted_port_reservations_cost_nothing"
                                                : NULL };
    for (size_t i = 0; i < COUNT_OF(must_pass) && must_pass[i] != NULL; i++) {
        struct buf passed = { 0 };
        buf_printf(&passed, "[PASS] hostile::%s:", must_pass[i]);
        cr_expect_not_null(strstr(r.out.data, passed.data), "as nobody, %s did not pass:\n%s",
                           must_pass[i], r.out.data);
        buf_free(&passed);
    }
    /* Criterion's exit status is not 0 when a test logged a warning (a
     * skipped attack): its summary says what failed, as mk/run-tests.sh
     * reads it. */
    cr_expect_not_null(strstr(r.out.data, "| Failing: 0 | Crashing: 0"), "as nobody:\n%s",
                       r.out.data);
    if (user_namespaces)
        cr_expect_null(strstr(r.out.data, "no namespaces here"), "%s", r.out.data);
    buf_free(&r.out);
    buf_free(&cmd);
    buf_printf(&cmd, "rm -rf '%s'", top);
    r = run_command(".", cmd.data, "60");
    cr_expect_eq(r.status, 0, "%s", r.out.data);
    buf_free(&r.out);
    buf_free(&cmd);
}

/*
 * Anyone on the machine can bind the abstract socket names by which
 * graders on one network reserve ports.  Where namespaces are allowed (as
 * root, or in a user namespace), every check has a network of its own,
 * where those names are its own too: a squatter on all of them costs the
 * solutions nothing.
 */
Test(hostile, squatted_port_reservations_cost_nothing)
{
    if (!namespaces_allowed())
        cr_skip_test("no namespaces here: checks share the machine's network");
    struct rlimit many = { 16384, 16384 };
    if (setrlimit(RLIMIT_NOFILE, &many) < 0 && geteuid() != 0)
        cr_skip_test("the hard limit of open files is below %lu",
                     (unsigned long)many.rlim_max);
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &many), 0);
    cr_assert_eq(many.rlim_cur, 16384, "setrlimit: %s", strerror(errno));
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
    struct run_options opts = {
        .impl_dir = solutions, .jobs = 2, .shortio = shortio, .kit_dir = kit
    };
    cr_assert_eq(run_checks(&opts, results, lab->nchecks), 0);
    for (size_t i = 0; i < lab->nchecks; i++)
        cr_expect(results[i].passed, "%s: %s", results[i].def->name,
                  results[i].message ? results[i].message : "");
    free_results(results, lab->nchecks);
    free(results);
}

/* ---- A class of links ------------------------------------------------------ */

/*
 * Submissions made of symbolic links, graded by `grade --batch` in one
 * class with honest ones, as an instructor (root) would: each of
 * tests/hostile/class/NAME/ is a submission, its files copied as they are
 * and then changed by its `setup` lines:
 *   sources LAB      the solution's sources of LAB
 *   programs LAB     the solution's programs of LAB (copies)
 *   python LAB       the Python submission's LAB (tests/python)
 *   link PATH TARGET a symbolic link (PATH "." is the submission itself;
 *                    "{kit}" in TARGET is the kit's folder)
 *   fifo PATH        a named pipe
 *   move PATH NEW    renames PATH as NEW
 * Its `expect` lines "LAB: PHRASE" (every check of LAB) or
 * "LAB/CHECK: PHRASE" say what the checks' messages must hold; "passes",
 * that they must pass.
 */
#define CLASS_DIR "tests/hostile/class"
#define MAX_CLASS 32

struct member {
    char name[256];
    struct {
        char what[512];
        char phrase[512];
    } expect[MAX_EXPECT];
    size_t nexpect;
    size_t seen; /* checks of it found in the results */
};

static void read_member_expect(struct member *m)
{
    char path[PATH_MAX], line[512];
    snprintf(path, sizeof path, CLASS_DIR "/%s/expect", m->name);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        char *colon = strstr(line, ": ");
        if (line[0] == '#' || colon == NULL)
            continue;
        cr_assert_lt(m->nexpect, (size_t)MAX_EXPECT, "%s: too many lines", path);
        *colon = '\0';
        snprintf(m->expect[m->nexpect].what, sizeof m->expect[0].what, "%s", line);
        snprintf(m->expect[m->nexpect].phrase, sizeof m->expect[0].phrase, "%s", colon + 2);
        m->nexpect++;
    }
    fclose(f);
    cr_assert_gt(m->nexpect, 0, "%s says nothing", path);
}

/* Creates the folders PATH lies in, under nothing but real folders. */
static void make_parents(const char *path)
{
    char *p = xstrdup(path);
    for (char *slash = strchr(p + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "%s: %s", p, strerror(errno));
        *slash = '/';
    }
    free(p);
}

/* Copies the files of the fixture folder FROM into TO (made), but for the
 * top's `expect` and `setup`. */
static void copy_fixture(const char *from, const char *to, bool top)
{
    DIR *d = opendir(from);
    cr_assert_not_null(d, "%s: %s", from, strerror(errno));
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.' ||
            (top && (strcmp(e->d_name, "expect") == 0 || strcmp(e->d_name, "setup") == 0)))
            continue;
        char a[PATH_MAX], b[PATH_MAX];
        snprintf(a, sizeof a, "%s/%s", from, e->d_name);
        snprintf(b, sizeof b, "%s/%s", to, e->d_name);
        struct stat st;
        cr_assert_eq(lstat(a, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            cr_assert(mkdir(b, 0755) == 0 || errno == EEXIST, "%s: %s", b, strerror(errno));
            copy_fixture(a, b, false);
        } else {
            copy_file(a, b);
        }
    }
    closedir(d);
}

/* Copies the programs of the lab folder FROM into TO (made). */
static void copy_programs(const char *from, const char *to)
{
    cr_assert(mkdir(to, 0755) == 0 || errno == EEXIST, "%s: %s", to, strerror(errno));
    static const char *const programs[] = { "server", "client" };
    for (size_t i = 0; i < COUNT_OF(programs); i++) {
        char a[PATH_MAX], b[PATH_MAX];
        snprintf(a, sizeof a, "%s/%s", from, programs[i]);
        snprintf(b, sizeof b, "%s/%s", to, programs[i]);
        copy_file(a, b);
    }
}

/* Runs one `setup` line of a member in its submission folder SUB. */
static void run_setup_line(const char *line, const char *sub, const char *kit)
{
    char verb[32], arg[256], target[PATH_MAX] = "";
    int n = sscanf(line, "%31s %255s %4095s", verb, arg, target);
    cr_assert_geq(n, 2, "setup: %s", line);
    struct buf path = { 0 }, from = { 0 }, to = { 0 };
    buf_printf(&path, "%s", strcmp(arg, ".") == 0 ? sub : "");
    if (path.len == 0)
        buf_printf(&path, "%s/%s", sub, arg);
    if (strcmp(verb, "sources") == 0 || strcmp(verb, "programs") == 0) {
        buf_printf(&from, "solutions/%s", arg);
        if (verb[0] == 's')
            copy_sources(from.data, path.data);
        else
            copy_programs(from.data, path.data);
    } else if (strcmp(verb, "python") == 0) {
        buf_printf(&from, "tests/python/%s", arg);
        copy_programs(from.data, path.data);
    } else if (strcmp(verb, "link") == 0 && n == 3) {
        char *at = strstr(target, "{kit}");
        if (at != NULL)
            buf_printf(&to, "%.*s%s%s", (int)(at - target), target, kit, at + 5);
        else
            buf_printf(&to, "%s", target);
        if (strcmp(arg, ".") == 0)
            cr_assert_eq(rmdir(sub), 0, "%s: link . comes alone", sub);
        make_parents(path.data);
        cr_assert_eq(symlink(to.data, path.data), 0, "%s: %s", path.data, strerror(errno));
    } else if (strcmp(verb, "move") == 0 && n == 3) {
        buf_printf(&to, "%s/%s", sub, target);
        make_parents(to.data);
        cr_assert_eq(rename(path.data, to.data), 0, "%s: %s", to.data, strerror(errno));
    } else if (strcmp(verb, "fifo") == 0) {
        make_parents(path.data);
        cr_assert_eq(mkfifo(path.data, 0644), 0, "%s: %s", path.data, strerror(errno));
    } else {
        cr_assert_fail("setup: %s", line);
    }
    buf_free(&path);
    buf_free(&from);
    buf_free(&to);
}

/* Makes the submission of member M in the class folder CLASS. */
static void make_member(const struct member *m, const char *class, const char *kit)
{
    struct buf fixture = { 0 }, sub = { 0 }, setup = { 0 };
    buf_printf(&fixture, CLASS_DIR "/%s", m->name);
    buf_printf(&sub, "%s/%s", class, m->name);
    buf_printf(&setup, "%s/setup", fixture.data);
    cr_assert_eq(mkdir(sub.data, 0755), 0, "%s: %s", sub.data, strerror(errno));
    copy_fixture(fixture.data, sub.data, true);
    FILE *f = fopen(setup.data, "r");
    char line[PATH_MAX];
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] != '\0' && line[0] != '#')
            run_setup_line(line, sub.data, kit);
    }
    if (f != NULL)
        fclose(f);
    buf_free(&fixture);
    buf_free(&sub);
    buf_free(&setup);
}

static size_t find_members(struct member *m)
{
    DIR *d = opendir(CLASS_DIR);
    cr_assert_not_null(d, CLASS_DIR ": %s", strerror(errno));
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        cr_assert_lt(n, (size_t)MAX_CLASS);
        memset(&m[n], 0, sizeof m[n]);
        snprintf(m[n].name, sizeof m[n].name, "%s", e->d_name);
        read_member_expect(&m[n]);
        n++;
    }
    closedir(d);
    return n;
}

/* Each check of each submission's results.json, a line each:
 * SUBMISSION TAB LAB/CHECK TAB status TAB its output on one line. */
static const char results_py[] =
    "import json, os, sys\n"
    "base = sys.argv[1]\n"
    "for name in sorted(os.listdir(base)):\n"
    "    with open(os.path.join(base, name, 'results.json'), encoding='utf-8') as f:\n"
    "        for t in json.load(f)['tests']:\n"
    "            out = t['output'].replace('\\n', ' ').replace('\\t', ' ')\n"
    "            print(name, t['name'], t['status'], out, sep='\\t')\n";

/* Whether expectation E of a member is about the check LAB/CHECK. */
static bool is_about(const char *e, const char *check)
{
    size_t n = strlen(e);
    return strncmp(check, e, n) == 0 && (check[n] == '\0' || check[n] == '/');
}

/* Judges one line of results_py's output against the members' expect. */
static void judge_line(char *line, struct member *m, size_t n, struct buf *wrong)
{
    char *fields[4] = { line };
    for (size_t i = 1; i < 4; i++) {
        fields[i] = fields[i - 1] ? strchr(fields[i - 1], '\t') : NULL;
        if (fields[i] != NULL)
            *fields[i]++ = '\0';
    }
    cr_assert_not_null(fields[3], "results: %s", line);
    struct member *who = NULL;
    for (size_t i = 0; i < n && who == NULL; i++)
        who = strcmp(m[i].name, fields[0]) == 0 ? &m[i] : NULL;
    cr_assert_not_null(who, "results of an unknown submission: %s", fields[0]);
    bool passed = strcmp(fields[2], "passed") == 0;
    for (size_t e = 0; e < who->nexpect; e++) {
        if (!is_about(who->expect[e].what, fields[1]))
            continue;
        who->seen++;
        const char *phrase = who->expect[e].phrase;
        if (strcmp(phrase, "passes") == 0 ? !passed : passed || !strstr(fields[3], phrase))
            buf_printf(wrong, "\n%s %s %s, must %s%s%s: %.600s", who->name, fields[1],
                       fields[2], strcmp(phrase, "passes") == 0 ? "pass" : "fail with \"",
                       strcmp(phrase, "passes") == 0 ? "" : phrase,
                       strcmp(phrase, "passes") == 0 ? "" : "\"", fields[3]);
    }
}

/* Every non-empty line of the file PATH at least MIN long (to free);
 * NULL where the file cannot be read (/etc/shadow but as root). */
static char **lines_of(const char *path, size_t min, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char **lines = NULL, line[4096];
    *n = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strlen(line) < min)
            continue;
        lines = xrealloc(lines, (*n + 1) * sizeof *lines);
        lines[(*n)++] = xstrdup(line);
    }
    fclose(f);
    return lines;
}

/* The secrets no output may hold: lines of /etc/shadow, of the hidden checks. */
static struct {
    char **lines[2];
    size_t n[2];
    const char *from[2];
    struct buf *found;
} secrets;

static void look_for_secrets(const char *where, const char *data, size_t len)
{
    for (size_t s = 0; s < 2; s++)
        for (size_t i = 0; i < secrets.n[s]; i++)
            if (memmem(data, len, secrets.lines[s][i], strlen(secrets.lines[s][i])) != NULL)
                buf_printf(secrets.found, "\n%s holds a line of %s: %s", where,
                           secrets.from[s], secrets.lines[s][i]);
}

static int scan_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)ftw;
    if (type != FTW_F || !S_ISREG(st->st_mode))
        return 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct buf data = { 0 };
    char chunk[65536];
    for (ssize_t got; fd >= 0 && (got = read(fd, chunk, sizeof chunk)) > 0;)
        buf_append(&data, chunk, (size_t)got);
    if (fd >= 0)
        close(fd);
    look_for_secrets(path, data.data ? data.data : "", data.len);
    buf_free(&data);
    return 0;
}

/* Lines of /etc/shadow and of the hidden checks in the grader's output
 * OUTPUT or in any file under OUT: appended to FOUND. */
static void find_secrets(const struct buf *output, const char *out, struct buf *found)
{
    secrets.from[0] = "/etc/shadow";
    secrets.from[1] = "harness/hidden/02-echo.c";
    secrets.lines[0] = lines_of(secrets.from[0], 10, &secrets.n[0]);
    secrets.lines[1] = lines_of(secrets.from[1], 30, &secrets.n[1]);
    cr_assert_not_null(secrets.lines[1], "harness/hidden/02-echo.c: %s", strerror(errno));
    if (secrets.lines[0] == NULL)
        cr_log_warn("/etc/shadow cannot be read here: not looked for in the outputs");
    secrets.found = found;
    look_for_secrets("the grader's output", output->data, output->len);
    nftw(out, scan_file, 16, FTW_PHYS);
    for (size_t s = 0; s < 2; s++) {
        for (size_t i = 0; i < secrets.n[s]; i++)
            free(secrets.lines[s][i]);
        free(secrets.lines[s]);
    }
}

static size_t count_processes_under(const char *root)
{
    size_t n = 0;
    DIR *proc = opendir("/proc");
    cr_assert_not_null(proc);
    for (struct dirent *e; (e = readdir(proc)) != NULL;) {
        char path[300], exe[PATH_MAX] = "";
        snprintf(path, sizeof path, "/proc/%s/exe", e->d_name);
        ssize_t len = e->d_name[0] >= '1' && e->d_name[0] <= '9'
                          ? readlink(path, exe, sizeof exe - 1)
                          : -1;
        exe[len > 0 ? len : 0] = '\0';
        n += strstr(exe, root) != NULL;
    }
    closedir(proc);
    return n;
}

Test(hostile, links_in_a_class_follow_nothing_out_of_a_submission)
{
    struct member *m = xcalloc(MAX_CLASS, sizeof *m);
    size_t n = find_members(m);
    char kit[PATH_MAX], root[PATH_MAX + 64];
    cr_assert_not_null(realpath(".", kit));
    /* In the kit's build/, as --out is by default: five folders up from
     * a copy's lab folder is the kit. */
    snprintf(root, sizeof root, "%s/build/hostile-class-XXXXXX", kit);
    cr_assert_not_null(mkdtemp(root));
    char class[PATH_MAX * 2], out[PATH_MAX * 2], tmp[PATH_MAX * 2];
    snprintf(class, sizeof class, "%s/class", root);
    snprintf(out, sizeof out, "%s/out", root);
    snprintf(tmp, sizeof tmp, "%s/tmp", root);
    cr_assert(mkdir(class, 0755) == 0 && mkdir(tmp, 0755) == 0 && chmod(root, 0755) == 0);
    for (size_t i = 0; i < n; i++)
        make_member(&m[i], class, kit);

    char cmd[PATH_MAX * 8];
    snprintf(cmd, sizeof cmd,
             "TMPDIR='%s' harness/grade --batch '%s' --out '%s' --lab 01 "
             "--lab 02",
             tmp, class, out);
    struct cmd graded = run_command(".", cmd, "240");
    cr_assert_eq(graded.status, 0, "%s:\n%s", cmd, graded.out.data);

    char script[PATH_MAX * 2];
    snprintf(script, sizeof script, "%s/results.py", root);
    FILE *f = fopen(script, "w");
    cr_assert(f != NULL && fputs(results_py, f) >= 0 && fclose(f) == 0);
    snprintf(cmd, sizeof cmd, "python3 '%s' '%s/submissions'", script, out);
    struct cmd results = run_command(".", cmd, "60");
    cr_assert_eq(results.status, 0, "%s", results.out.data);
    struct buf wrong = { 0 };
    buf_puts(&wrong, "");
    for (char *line = strtok(results.out.data, "\n"); line; line = strtok(NULL, "\n"))
        judge_line(line, m, n, &wrong);
    for (size_t i = 0; i < n; i++)
        if (m[i].seen == 0)
            buf_printf(&wrong, "\n%s: no check its expect names was graded", m[i].name);
    cr_expect_eq(wrong.len, 0, "%zu submissions graded:%s", n, wrong.data);

    struct buf leaks = { 0 };
    buf_puts(&leaks, "");
    find_secrets(&graded.out, out, &leaks);
    cr_expect_eq(leaks.len, 0, "a secret reached an output:%s", leaks.data);
    cr_expect_eq(count_processes_under(root), 0, "a program of the class is still running");
    cr_expect_eq(count_entries(tmp), 0, "files left in the grader's TMPDIR %s", tmp);
    snprintf(cmd, sizeof cmd, "%s/makefile-links-classmate/02-echo/server", class);
    struct stat st;
    cr_expect_neq(lstat(cmd, &st), 0, "a build wrote into the submission: %s", cmd);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    cr_expect_eq(system(cmd), 0);
    buf_free(&wrong);
    buf_free(&leaks);
    buf_free(&graded.out);
    buf_free(&results.out);
    free(m);
}
