/*
 * test_interop.c - `grade --batch DIR --interop LAB`: students' clients
 * against other students' servers.
 *
 * A small class of lab 02 is graded as an instructor would (a subprocess,
 * only the pair check, to keep it short): the solution, a server that
 * prints a banner before the echo, a client that never half-closes (it
 * waits for a close that never comes), a lab that does not build, a
 * server that ends at once, and two probes whose scripts say which user
 * they run as and what of their lab folder they see.  The matrix must say
 * exactly who works with whom; a server that never starts and a lab that
 * does not build are marked once, not as failures of every client; and the
 * two programs of a pair run as two users, each seeing its own lab folder
 * and nothing of the other's.  The sample of a large class is counted.
 *
 * Run from the top of the kit (make test does), after make test's builds
 * (the variants' sources in build/variants).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "command.h"
#include "files.h"
#include "internal.h"
#include "interop.h"

TestSuite(interop, .timeout = 120);

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
    size_t len = strlen(text);
    cr_assert_eq(write(fd, text, len), (ssize_t)len, "%s: %s", path, strerror(errno));
    close(fd);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)st, (void)f;
    return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* DIR/NAME/02-echo, made; its path (to free). */
static char *lab_folder(const char *dir, const char *name)
{
    struct buf b = { 0 };
    buf_printf(&b, "%s/%s", dir, name);
    cr_assert_eq(mkdir(b.data, 0755), 0, "%s: %s", b.data, strerror(errno));
    buf_puts(&b, "/02-echo");
    cr_assert_eq(mkdir(b.data, 0755), 0, "%s: %s", b.data, strerror(errno));
    return b.data;
}

static void add_sources(const char *dir, const char *name, const char *from)
{
    char *to = lab_folder(dir, name);
    copy_sources(from, to);
    free(to);
}

/* The solution's client with SERVER_C as the server's source. */
static void add_with_server(const char *dir, const char *name, const char *server_c)
{
    char *to = lab_folder(dir, name);
    copy_sources("solutions/02-echo", to);
    struct buf path = { 0 };
    buf_printf(&path, "%s/server.c", to);
    write_file(path.data, server_c, 0644);
    buf_free(&path);
    free(to);
}

/*
 * A probe: scripts that print one line saying who they run as, the mark
 * of the lab folder they see as their own, and what they see where the
 * other program's lab folder is staged; then speak the echo protocol with
 * socat, so that the pair works.
 */
static const char probe_server[] =
    "#!/bin/sh\n"
    "echo \"probe server uid=$(id -u) mark=$(cat /run/netlab/lab/mark) "
    "peer=[$(ls -A /run/netlab/peer)]\"\n"
    "exec socat TCP6-LISTEN:\"$1\",ipv6only=0,reuseaddr,fork EXEC:cat\n";
static const char probe_client[] =
    "#!/bin/sh\n"
    "echo \"probe client uid=$(id -u) mark=$(cat /run/netlab/lab/mark) "
    "peer=[$(ls -A /run/netlab/peer)]\"\n"
    "exec socat - TCP:\"$1\":\"$2\"\n";

static void add_probe(const char *dir, const char *name)
{
    char *to = lab_folder(dir, name);
    const struct {
        const char *file, *text;
        mode_t mode;
    } files[] = { { "server", probe_server, 0755 },
                  { "client", probe_client, 0755 },
                  { "mark", name, 0644 } };
    for (size_t i = 0; i < COUNT_OF(files); i++) {
        struct buf path = { 0 };
        buf_printf(&path, "%s/%s", to, files[i].file);
        write_file(path.data, files[i].text, files[i].mode);
        buf_free(&path);
    }
    free(to);
}

struct graded {
    char root[64];
    struct buf csv, page, probe, err;
    int status;
};

static char *path_in(const struct graded *g, const char *name)
{
    struct buf b = { 0 };
    buf_printf(&b, "%s/%s", g->root, name);
    return b.data;
}

/* The class above in a new folder of /tmp, G's root: class/ and tmp/. */
static void make_small_class(struct graded *g)
{
    snprintf(g->root, sizeof g->root, "/tmp/netlab-interop-XXXXXX");
    cr_assert_not_null(mkdtemp(g->root));
    chmod(g->root, 0755);
    char *dir = path_in(g, "class"), *tmp = path_in(g, "tmp");
    cr_assert_eq(mkdir(dir, 0755), 0);
    cr_assert_eq(mkdir(tmp, 0755), 0);
    add_sources(dir, "alice", "solutions/02-echo");
    add_sources(dir, "bob", "build/variants/02-echo/server-banner/src");
    add_sources(dir, "carol", "build/variants/02-echo/client-no-half-close/src");
    add_with_server(dir, "dave", "int main(void) { return undeclared; }\n");
    add_with_server(dir, "erin", "int main(void) { return 1; }\n");
    add_probe(dir, "p1");
    add_probe(dir, "p2");
    free(dir), free(tmp);
}

/* Appends the text of G's file NAME to INTO. */
static void take_output(const struct graded *g, const char *name, struct buf *into)
{
    char *path = path_in(g, name), *text = read_text_file(path);
    buf_puts(into, text);
    free(text);
    free(path);
}

/* The class, graded with --interop 02 (only the pair check) by the
 * command AS (the grader, maybe run as another user), its NAS words; what
 * it wrote read into G. */
static void grade_small_class(struct graded *g, const char *const *as, size_t nas)
{
    char *dir = path_in(g, "class"), *out = path_in(g, "out"), *tmp = path_in(g, "tmp");
    const char *args[] = { "--batch", dir,       "--out",        out,         "--lab",
                           "02",      "--check", "02-echo/pair", "--interop", "02" };
    const char *argv[COUNT_OF(args) + 8];
    size_t n = 0;
    for (size_t i = 0; i < nas && i < 7; i++)
        argv[n++] = as[i];
    for (size_t i = 0; i < COUNT_OF(args); i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    int fd = temp_fd(), err = temp_fd();
    g->status = run_program(argv, NULL, tmp, fd, err);
    take_file(fd, &g->csv); /* its stdout: not kept */
    buf_free(&g->csv);
    take_file(err, &g->err);
    cr_assert_eq(g->status, 0, "grade --batch --interop exited %d:\n%s", g->status,
                 g->err.data);
    take_output(g, "out/interop.csv", &g->csv);
    take_output(g, "out/class.html", &g->page);
    take_output(g, "out/interop/p1/p2.txt", &g->probe);
    free(dir), free(out), free(tmp);
}

static void remove_class(struct graded *g)
{
    nftw(g->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    buf_free(&g->csv), buf_free(&g->page), buf_free(&g->probe), buf_free(&g->err);
}

/* The verdict interop.csv gives CLIENT against SERVER, or "" if no row. */
static const char *verdict(const struct graded *g, const char *client, const char *server)
{
    static char found[64];
    char row[256];
    snprintf(row, sizeof row, "\n\"%s\",\"%s\",\"", client, server);
    const char *at = strstr(g->csv.data, row);
    found[0] = '\0';
    if (at != NULL)
        sscanf(at + strlen(row), "%63[^\"]", found);
    return found;
}

/* The user a probe's line in TRANSCRIPT says it ran as, and what it saw. */
static void probe_line(const char *transcript, const char *who, unsigned long *uid,
                       char mark[16], char peer[64])
{
    char start[32];
    snprintf(start, sizeof start, "probe %s uid=", who);
    const char *at = strstr(transcript, start);
    cr_assert_not_null(at, "no line of the probe %s in:\n%s", who, transcript);
    cr_assert_eq(sscanf(at + strlen(start), "%lu mark=%15s peer=[%63[^]]", uid, mark, peer), 2,
                 "the probe %s saw something where the other's lab folder was staged:\n%s",
                 who, transcript);
}

/* p1's client against p2's server: two users of their own (as root),
 * each seeing its own lab folder (its mark) as /run/netlab/lab and nothing
 * of the other's. */
static void expect_two_users_two_roots(const struct graded *g)
{
    unsigned long server_uid, client_uid;
    char server_mark[16], client_mark[16], peer[64];
    probe_line(g->probe.data, "server", &server_uid, server_mark, peer);
    probe_line(g->probe.data, "client", &client_uid, client_mark, peer);
    cr_expect_str_eq(server_mark, "p2", "%s", g->probe.data);
    cr_expect_str_eq(client_mark, "p1", "%s", g->probe.data);
    if (geteuid() == 0) {
        cr_expect_neq(server_uid, client_uid, "two users of their own:\n%s", g->probe.data);
        cr_expect_geq(server_uid, SANDBOX_UID_BASE);
        cr_expect_geq(client_uid, SANDBOX_UID_BASE);
    }
}

/* The matrix of the class: who works with whom, and how the page says it. */
static void expect_matrix(const struct graded *g_)
{
    const struct graded g = *g_;
    static const char *const works[] = { "alice", "bob", "p1", "p2" }; /* both sides */
    static const char *const servers_ok[] = { "alice", "carol", "p1", "p2" };
    /* A client and a server of its own work with every good one... */
    for (size_t i = 0; i < COUNT_OF(works); i++)
        for (size_t j = 0; j < COUNT_OF(servers_ok); j++)
            cr_expect_str_eq(verdict(&g, works[i], servers_ok[j]), "pass",
                             "%s against %s:\n%s", works[i], servers_ok[j], g.csv.data);
    /* ...carol's client, which never half-closes, with none; bob's banner
     * server with the solution's client (and its own). */
    for (size_t j = 0; j < COUNT_OF(servers_ok); j++)
        cr_expect_str_eq(verdict(&g, "carol", servers_ok[j]), "fail", "carol against %s",
                         servers_ok[j]);
    cr_expect_str_eq(verdict(&g, "alice", "bob"), "fail");
    cr_expect_str_eq(verdict(&g, "bob", "bob"), "fail");
    /* A server that ends at once is said to be one, never a client's
     * failure; a lab that did not build is one row, not a wall of them. */
    cr_expect_str_eq(verdict(&g, "alice", "erin"), "server did not start");
    cr_expect_str_eq(verdict(&g, "erin", "erin"), "server did not start");
    cr_expect_str_eq(verdict(&g, "erin", "alice"), "pass");
    cr_expect_str_eq(verdict(&g, "dave", "dave"), "not built");
    cr_expect_str_eq(verdict(&g, "alice", "dave"), "", "no pair runs with dave");
    /* The class page shows the matrix, with its marks and why. */
    cr_expect_not_null(strstr(g.page.data, "<h2 id=\"interop\">Interoperability: 02-echo"));
    cr_expect_not_null(strstr(g.page.data, "<small>server did not start</small>"));
    cr_expect_not_null(strstr(g.page.data, "\u2713</td>"));
    cr_expect_not_null(strstr(g.page.data, "\u2717</td>"));
    cr_expect_not_null(strstr(g.page.data, "title=\"the client (`./client localhost"),
                       "a failed cell's tooltip says why");
    cr_expect_not_null(strstr(g.page.data, "36 pairs run"), "6 built: every pair");
    cr_expect_null(strstr(g.page.data, "(a sample"), "every pair is no sample");
}

Test(interop, a_small_class_shows_who_works_with_whom_each_as_its_own_user)
{
    struct graded g = { 0 };
    make_small_class(&g);
    const char *grader[] = { "harness/grade" };
    grade_small_class(&g, grader, COUNT_OF(grader));
    expect_matrix(&g);
    expect_two_users_two_roots(&g);
    remove_class(&g);
}

/*
 * Graded by an ordinary user, from a copy of the kit in /tmp (nobody may
 * not get through to the kit itself): where the kernel gives nobody user
 * namespaces, both programs run as nobody, yet each sees only its own lab
 * folder, and the matrix is the same.
 */
Test(interop, an_ordinary_user_gets_the_same_matrix)
{
    if (geteuid() != 0 || !ordinary_user_namespaces_allowed())
        cr_skip_test("as root, where ordinary users get user namespaces, only");
    struct graded g = { 0 };
    make_small_class(&g);
    struct buf cmd = { 0 };
    buf_printf(&cmd,
               "mkdir '%s/kit' && tar --exclude=./.git --exclude=./build -cf - . | "
               "tar -xf - -C '%s/kit' && chown -R nobody:nogroup '%s'",
               g.root, g.root, g.root);
    struct cmd copy = run_command(".", cmd.data, "120");
    cr_assert_eq(copy.status, 0, "%s", copy.out.data);
    buf_free(&copy.out);
    buf_free(&cmd);
    char *grade = path_in(&g, "kit/harness/grade");
    const char *as_nobody[] = { "setpriv", "--reuid=nobody", "--regid=nogroup",
                                "--clear-groups", grade };
    grade_small_class(&g, as_nobody, COUNT_OF(as_nobody));
    expect_matrix(&g);
    unsigned long server_uid, client_uid;
    char server_mark[16], client_mark[16], peer[64];
    probe_line(g.probe.data, "server", &server_uid, server_mark, peer);
    probe_line(g.probe.data, "client", &client_uid, client_mark, peer);
    cr_expect_str_eq(server_mark, "p2", "%s", g.probe.data);
    cr_expect_str_eq(client_mark, "p1", "%s", g.probe.data);
    free(grade);
    remove_class(&g);
}

/* Each word of ARGV, run as the grader: its status, stdout and stderr. */
static struct cmd run_grader(const char *const *argv)
{
    int out = temp_fd();
    struct cmd r = { 0 };
    r.status = run_program(argv, NULL, NULL, out, out);
    take_file(out, &r.out);
    return r;
}

Test(interop, its_options_are_refused_where_they_make_no_sense)
{
    static const struct {
        const char *argv[8], *says;
    } cases[] = {
        { { "harness/grade", "--interop", "02", NULL }, "with --batch" },
        { { "harness/grade", "--batch", "/nonexistent", "--interop", "99", NULL },
          "a lab with a client and a server" },
        { { "harness/grade", "--batch", "/nonexistent", "--interop", "02", "--interop-sample",
            "-1", NULL },
          "--interop-sample takes a number" },
    };
    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        struct cmd r = run_grader(cases[i].argv);
        cr_expect_eq(r.status, 2, "%s %s: status %d", cases[i].argv[1], cases[i].argv[2],
                     r.status);
        cr_expect_not_null(strstr(r.out.data, cases[i].says), "%s", r.out.data);
        buf_free(&r.out);
    }
}

/* How many of PAIRS hold CLIENT against SERVER. */
static size_t count_pair(const struct interop_pair *pairs, size_t n, size_t client,
                         size_t server)
{
    size_t found = 0;
    for (size_t p = 0; p < n; p++)
        found += pairs[p].client == client && pairs[p].server == server;
    return found;
}

Test(interop, a_large_class_takes_a_fixed_sample)
{
    enum { M = 30 };
    size_t built[M];
    for (size_t i = 0; i < M; i++)
        built[i] = 2 * i + 1; /* members' indices, some not built between */
    static struct interop_pair pairs[M * M], again[M * M];
    size_t n = interop_choose(built, M, 4, pairs);
    cr_assert_eq(n, (size_t)M * 5, "each client: its own server and 4 others");
    cr_assert_eq(interop_choose(built, M, 4, again), n);
    cr_assert_eq(memcmp(pairs, again, n * sizeof *pairs), 0,
                 "the same class, the same sample");
    for (size_t i = 0; i < M; i++) {
        size_t as_client = 0, as_server = 0;
        for (size_t p = 0; p < n; p++) {
            as_client += pairs[p].client == built[i];
            as_server += pairs[p].server == built[i];
        }
        cr_expect_eq(as_client, 5u);
        cr_expect_eq(as_server, 5u, "every server meets as many clients");
        cr_expect_eq(count_pair(pairs, n, built[i], built[i]), 1u, "its own server once");
        for (size_t j = 0; j < M; j++)
            cr_expect_leq(count_pair(pairs, n, built[i], built[j]), 1u, "no pair twice");
    }
    /* Up to twelve: every pair; a sample larger than the class: every
     * other server once. */
    cr_expect_eq(interop_choose(built, 12, 4, pairs), 144u);
    cr_expect_eq(interop_choose(built, 13, 100, pairs), 13u * 13u);
    cr_expect_eq(interop_choose(built, 13, 0, pairs), 13u);
}
