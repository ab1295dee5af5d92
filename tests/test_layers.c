/*
 * test_layers.c - the grader's files depend on each other one way only
 * (mk/layers.sh, whose table of layers is the authoritative one), and
 * the tool that says so does catch a circle: it is run over tiny files
 * made here that call or include each other.
 */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "command.h"

TestSuite(layers, .timeout = 120);

/* A folder of its own, for one test's tiny files. */
static char *new_folder(void)
{
    char *dir = strdup("/tmp/netlab-layers-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    return dir;
}

static void put_file(const char *dir, const char *name, const char *text)
{
    struct buf path = { 0 };
    buf_printf(&path, "%s/%s", dir, name);
    FILE *f = fopen(path.data, "w");
    cr_assert_not_null(f, "cannot write %s", path.data);
    fputs(text, f);
    fclose(f);
    buf_free(&path);
}

/* Compiles each C file of DIR into an object beside it. */
static void compile_all(const char *dir)
{
    struct buf cmd = { 0 };
    buf_printf(&cmd, "for f in %s/*.c; do cc -c \"$f\" -o \"${f%%.c}.o\" || exit 1; done",
               dir);
    struct cmd r = run_command(".", cmd.data, "60");
    cr_assert_eq(r.status, 0, "cannot compile the tiny files:\n%s", r.out.data);
    buf_free(&cmd);
    buf_free(&r.out);
}

/* Runs the tool over DIR's files and objects with the table TABLE and no
 * known edge but ALLOW. */
static struct cmd run_layers(const char *dir, const char *table, const char *allow)
{
    put_file(dir, "table", table);
    put_file(dir, "allow", allow);
    struct buf cmd = { 0 };
    buf_printf(&cmd, "mk/layers.sh --table %s/table --allow %s/allow %s %s", dir, dir, dir,
               dir);
    struct cmd r = run_command(".", cmd.data, "60");
    buf_free(&cmd);
    return r;
}

static void remove_tiny_files(char *dir)
{
    struct buf cmd = { 0 };
    buf_printf(&cmd, "rm -rf %s", dir);
    struct cmd r = run_command(".", cmd.data, "60");
    buf_free(&r.out);
    buf_free(&cmd);
    free(dir);
}

Test(layers, the_graders_files_depend_one_way_down_the_table)
{
    struct cmd r = run_command(".", "mk/layers.sh harness build/harness", "60");
    /* Shown in make test's output: the layers, and any edge still allowed. */
    printf("%s", r.out.data);
    cr_expect_eq(r.status, 0, "mk/layers.sh:\n%s", r.out.data);
    cr_expect(strstr(r.out.data, "no circle among") != NULL, "%s", r.out.data);
    buf_free(&r.out);
}

Test(layers, two_files_that_call_each_other_are_a_circle)
{
    char *dir = new_folder();
    put_file(dir, "ping.c",
             "void pong(int n);\nvoid ping(int n) { if (n > 0) pong(n - 1); }\n");
    put_file(dir, "pong.c",
             "void ping(int n);\nvoid pong(int n) { if (n > 0) ping(n - 1); }\n");
    compile_all(dir);
    struct cmd r = run_layers(dir, "one: ping pong\n", "");
    cr_expect_eq(r.status, 1, "%s", r.out.data);
    cr_expect(strstr(r.out.data, "a circle among these files") != NULL, "%s", r.out.data);
    cr_expect(strstr(r.out.data, "  ping\n") != NULL && strstr(r.out.data, "  pong\n") != NULL,
              "the circle's files are not named:\n%s", r.out.data);
    buf_free(&r.out);
    remove_tiny_files(dir);
}

Test(layers, a_call_up_the_table_is_refused_with_what_it_calls)
{
    char *dir = new_folder();
    put_file(dir, "top.c", "int top_answer(void) { return 42; }\n");
    put_file(dir, "bottom.c",
             "int top_answer(void);\nint bottom(void) { return top_answer(); }\n");
    compile_all(dir);
    struct cmd r = run_layers(dir, "upper: top\nlower: bottom\n", "");
    cr_expect_eq(r.status, 1, "%s", r.out.data);
    cr_expect(strstr(r.out.data, "bottom (layer lower) calls top (layer upper, above it): "
                                 "top_answer") != NULL,
              "%s", r.out.data);
    buf_free(&r.out);

    /* The same, allowed: said, not failed. */
    r = run_layers(dir, "upper: top\nlower: bottom\n", "bottom top  # for now\n");
    cr_expect_eq(r.status, 0, "%s", r.out.data);
    cr_expect(strstr(r.out.data, "known, allowed: bottom -> top") != NULL, "%s", r.out.data);
    buf_free(&r.out);
    remove_tiny_files(dir);
}

Test(layers, headers_that_include_each_other_are_a_circle)
{
    char *dir = new_folder();
    put_file(dir, "left.h", "#include \"right.h\"\n");
    put_file(dir, "right.h", "#include \"left.h\"\n");
    put_file(dir, "left.c", "int left;\n");
    put_file(dir, "right.c", "int right;\n");
    compile_all(dir);
    struct cmd r = run_layers(dir, "one: left right\n", "");
    cr_expect_eq(r.status, 1, "%s", r.out.data);
    cr_expect(strstr(r.out.data, "a circle among these files") != NULL, "%s", r.out.data);
    buf_free(&r.out);
    remove_tiny_files(dir);
}

Test(layers, a_file_in_no_layer_is_refused)
{
    char *dir = new_folder();
    put_file(dir, "known.c", "int known;\n");
    put_file(dir, "stray.c", "int stray;\n");
    compile_all(dir);
    struct cmd r = run_layers(dir, "only: known\n", "");
    cr_expect_eq(r.status, 1, "%s", r.out.data);
    cr_expect(strstr(r.out.data, "stray.* is in no layer") != NULL, "%s", r.out.data);
    buf_free(&r.out);
    remove_tiny_files(dir);
}

Test(layers, an_object_older_than_its_source_is_refused_and_one_without_a_source_left_out)
{
    char *dir = new_folder();
    put_file(dir, "top.c", "int top_answer(void) { return 42; }\n");
    put_file(dir, "bottom.c",
             "int top_answer(void);\nint bottom(void) { return top_answer(); }\n");
    compile_all(dir);
    /* bottom.c's object stays, its source goes (a file renamed away): its
     * call up is no longer the grader's. */
    struct buf path = { 0 };
    buf_printf(&path, "%s/bottom.c", dir);
    cr_assert_eq(unlink(path.data), 0);
    struct cmd r = run_layers(dir, "upper: top\nlower: bottom\n", "");
    cr_expect_eq(r.status, 0, "a leftover object counted:\n%s", r.out.data);
    buf_free(&r.out);

    /* top.c edited after its object was built: what the object says is old. */
    buf_reset(&path);
    buf_printf(&path, "%s/top.c", dir);
    struct timespec later[2] = { { .tv_sec = time(NULL) + 60 },
                                 { .tv_sec = time(NULL) + 60 } };
    cr_assert_eq(utimensat(AT_FDCWD, path.data, later, 0), 0);
    r = run_layers(dir, "upper: top\nlower: bottom\n", "");
    cr_expect_eq(r.status, 1, "%s", r.out.data);
    cr_expect(strstr(r.out.data, "top.o is older than") != NULL, "%s", r.out.data);
    buf_free(&r.out);
    buf_free(&path);
    remove_tiny_files(dir);
}
