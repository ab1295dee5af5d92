/*
 * test_batch.c - a class graded in one `harness/grade --batch` run.
 *
 * The test makes a class of forty submissions in a temporary folder: the
 * solutions' sources (one lab built by the submission's own Makefile), the
 * Python submission, the starters' sources, known-buggy variants (most as
 * programs, some as sources), one lab that does not build, one whose
 * programs hang and one whose programs crash.  It grades them as a
 * subprocess, as an instructor would, and checks:
 *   - every check of every submission passed or failed as it must (the
 *     solutions pass all, each variant fails exactly its expect list, a lab
 *     missing or not built fails every check), the starters score low;
 *   - the gradebook has those scores, and the HTML page the gradebook's;
 *   - each submission's results.json and report.txt say in the same line
 *     which isolation held, and so does the page;
 *   - progress was shown, nothing is left running, no file left in TMPDIR,
 *     and the submissions' folders were not written;
 *   - the run's wall time is reported (the issue asks for under a minute
 *     on two cores; make bench is where time is measured).
 * A second test renders a small class's page in headless Chromium, where
 * installed, and reads what a person sees.
 *
 * Run from the top of the kit (make test does), after make test's builds.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "browser.h"
#include "buf.h"
#include "build.h"
#include "cgroups_left.h"
#include "classreport.h"
#include "command.h"
#include "files.h"
#include "internal.h"
#include "lab.h"
#include "variant.h"

TestSuite(batch, .timeout = 300);

#define CLASS_SIZE 40
#define MAX_LABS 8

/* ---- Files ---------------------------------------------------------------- */

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

static void remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *read_text(const char *path)
{
    struct buf b = { 0 };
    buf_puts(&b, "");
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    return b.data;
}

/* ---- The class ----------------------------------------------------------- */

enum kind { SOLUTION, PYTHON, STARTER, VARIANT, BROKEN, HANGS, CRASHES };

struct member {
    char name[384];
    enum kind kind;
    char lab[64];           /* the lab a variant, BROKEN, HANGS or CRASHES is about */
    struct variant variant; /* a variant's: what it must fail */
};

struct class
{
    char root[PATH_MAX];     /* the temporary folder holding everything */
    char dir[PATH_MAX + 16]; /* the submissions */
    char out[PATH_MAX + 16]; /* the grader's output */
    char tmp[PATH_MAX + 16]; /* the grader's TMPDIR */
    struct member m[CLASS_SIZE];
    size_t n;
};

static char *member_dir(const struct class *c, const struct member *m, const char *lab)
{
    struct buf b = { 0 };
    buf_printf(&b, "%s/%s", c->dir, m->name);
    if (lab != NULL)
        buf_printf(&b, "/%s", lab);
    return b.data;
}

static struct member *add_member(struct class *c, const char *name, enum kind kind,
                                 const char *lab)
{
    cr_assert_lt(c->n, (size_t)CLASS_SIZE);
    struct member *m = &c->m[c->n++];
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    snprintf(m->lab, sizeof m->lab, "%s", lab ? lab : "");
    m->kind = kind;
    char *dir = member_dir(c, m, NULL);
    cr_assert_eq(mkdir(dir, 0755), 0, "%s: %s", dir, strerror(errno));
    free(dir);
    return m;
}

/* Every lab of TREE (solutions or labs) as sources. */
static void add_sources_of(struct class *c, const char *name, enum kind kind, const char *tree)
{
    struct member *m = add_member(c, name, kind, NULL);
    for (size_t l = 0; all_labs[l] != NULL; l++) {
        char from[PATH_MAX];
        snprintf(from, sizeof from, "%s/%s", tree, all_labs[l]->id);
        char *to = member_dir(c, m, all_labs[l]->id);
        copy_sources(from, to);
        free(to);
    }
}

/* Its own Makefile, using the helper library's sources the build finds
 * in ../common. */
static const char own_makefile[] =
    "CFLAGS = -std=c17 -Wall -O2 -D_POSIX_C_SOURCE=200809L -I../common\n"
    "all: server client\n"
    "server: server.c ../common/netlab.c\n"
    "\t$(CC) $(CFLAGS) -o $@ server.c ../common/netlab.c\n"
    "client: client.c ../common/netlab.c\n"
    "\t$(CC) $(CFLAGS) -o $@ client.c ../common/netlab.c\n";

static void add_solutions(struct class *c)
{
    add_sources_of(c, "solution-kit-rules", SOLUTION, "solutions");
    add_sources_of(c, "solution-own-makefile", SOLUTION, "solutions");
    char *dir = member_dir(c, &c->m[c->n - 1], "02-echo");
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/Makefile", dir);
    write_file(path, own_makefile, 0644);
    free(dir);
}

static void add_python(struct class *c)
{
    struct member *m = add_member(c, "python", PYTHON, NULL);
    for (size_t l = 0; all_labs[l] != NULL; l++) {
        char from[PATH_MAX], a[PATH_MAX * 2], b[PATH_MAX * 2];
        snprintf(from, sizeof from, "tests/python/%s", all_labs[l]->id);
        if (access(from, F_OK) != 0)
            continue;
        char *to = member_dir(c, m, all_labs[l]->id);
        cr_assert_eq(mkdir(to, 0755), 0);
        for (int p = 0; p < 2; p++) {
            snprintf(a, sizeof a, "%s/%s", from, p ? "client" : "server");
            snprintf(b, sizeof b, "%s/%s", to, p ? "client" : "server");
            copy_file(a, b);
        }
        free(to);
    }
}

/* Lab 01 with PROGRAM as both server.c and client.c, and lab 02's solution. */
static void add_lab01_with(struct class *c, const char *name, enum kind kind,
                           const char *program)
{
    struct member *m = add_member(c, name, kind, "01-hello");
    char *lab01 = member_dir(c, m, "01-hello"), *lab02 = member_dir(c, m, "02-echo");
    copy_sources("solutions/01-hello", lab01);
    copy_sources("solutions/02-echo", lab02);
    char path[PATH_MAX + 16];
    for (int p = 0; p < 2 && program != NULL; p++) {
        snprintf(path, sizeof path, "%s/%s.c", lab01, p ? "client" : "server");
        write_file(path, program, 0644);
    }
    if (program == NULL) { /* does not compile */
        snprintf(path, sizeof path, "%s/server.c", lab01);
        int fd = open(path, O_WRONLY | O_APPEND);
        cr_assert_geq(fd, 0);
        cr_assert_gt(write(fd, "int unfinished(\n", 16), 0);
        close(fd);
    }
    free(lab01);
    free(lab02);
}

/* ---- Variants ------------------------------------------------------------ */

/* Every known-buggy variant, sorted by lab and name (variant.h). */
static struct variant *all_variants(size_t *n)
{
    struct variant *v = NULL;
    struct buf err = { 0 };
    long found = find_variants(&v, &err);
    cr_assert_geq(found, 0, "%s", err.data);
    *n = (size_t)found;
    return v;
}

/* Variant V as a submission: its programs (the solution's for the one it
 * does not change), or its patched sources if AS_SOURCES. */
static void add_variant(struct class *c, const struct variant *v, const char *name,
                        bool as_sources)
{
    struct member *m = add_member(c, name, VARIANT, v->lab);
    m->variant = *v;
    char *to = member_dir(c, m, v->lab);
    char from[PATH_MAX * 2], a[PATH_MAX * 3], b[PATH_MAX * 3];
    if (as_sources) {
        snprintf(from, sizeof from, "build/variants/%s/%s/src", v->lab, v->name);
        copy_sources(from, to);
        snprintf(a, sizeof a, "solutions/%s/libs", v->lab);
        snprintf(b, sizeof b, "%s/libs", to);
        if (access(a, F_OK) == 0)
            copy_file(a, b);
    } else {
        cr_assert_eq(mkdir(to, 0755), 0);
        for (int p = 0; p < 2; p++) {
            const char *program = p ? "client" : "server";
            snprintf(a, sizeof a, "build/variants/%s/%s/%s", v->lab, v->name, program);
            if (access(a, X_OK) != 0)
                snprintf(a, sizeof a, "solutions/%s/%s", v->lab, program);
            snprintf(b, sizeof b, "%s/%s", to, program);
            copy_file(a, b);
        }
    }
    free(to);
}

/* A name a spreadsheet would take for a formula, with HTML and CSV's
 * special characters: the gradebook and the page must show it as it is. */
static const char odd_name[] = "=1+2, \"Pat\" <b>O'Brien";

/* The variants the class has room for, taken in turn from each lab so
 * that every lab has some; the first few as sources. */
static void add_variants(struct class *c, size_t room)
{
    size_t n;
    struct variant *v = all_variants(&n);
    cr_assert_geq(n, room, "only %zu variants under tests/variants", n);
    size_t taken = 0;
    for (size_t round = 0; taken < room; round++) {
        for (size_t l = 0; all_labs[l] != NULL && taken < room; l++) {
            size_t seen = 0;
            for (size_t i = 0; i < n; i++) {
                if (strcmp(v[i].lab, all_labs[l]->id) != 0 || seen++ != round)
                    continue;
                char name[384];
                snprintf(name, sizeof name, "%s-%s", v[i].lab, v[i].name);
                add_variant(c, &v[i], taken == 0 ? odd_name : name, taken < 3);
                taken++;
                break;
            }
        }
    }
    free(v);
}

static const char hanging_program[] = "#include <unistd.h>\n"
                                      "int main(void)\n{\n    for (;;)\n        pause();\n}\n";

static const char crashing_program[] = "#include <stdlib.h>\n"
                                       "int main(void)\n{\n    abort();\n}\n";

static void make_class(struct class *c)
{
    snprintf(c->root, sizeof c->root, "/tmp/netlab-batch-XXXXXX");
    cr_assert_not_null(mkdtemp(c->root));
    snprintf(c->dir, sizeof c->dir, "%s/class", c->root);
    snprintf(c->out, sizeof c->out, "%s/out", c->root);
    snprintf(c->tmp, sizeof c->tmp, "%s/tmp", c->root);
    cr_assert_eq(mkdir(c->dir, 0755), 0);
    cr_assert_eq(mkdir(c->tmp, 0755), 0);
    c->n = 0;
    add_solutions(c);
    add_python(c);
    add_sources_of(c, "starter", STARTER, "labs");
    add_lab01_with(c, "does-not-build", BROKEN, NULL);
    add_lab01_with(c, "hangs", HANGS, hanging_program);
    add_lab01_with(c, "crashes", CRASHES, crashing_program);
    add_variants(c, CLASS_SIZE - c->n);
    cr_assert_eq(c->n, (size_t)CLASS_SIZE);
}

/* ---- What each must score ------------------------------------------------- */

/* Whether M must pass CHECK of LAB: 1, 0, or -1 for either (a starter). */
static int must_pass(const struct class *c, const struct member *m, const struct lab_def *lab,
                     const char *check)
{
    char *dir = member_dir(c, m, lab->id);
    bool present = access(dir, F_OK) == 0;
    free(dir);
    if (!present)
        return 0;
    switch (m->kind) {
    case SOLUTION:
    case PYTHON:
        return 1;
    case STARTER:
        return -1;
    case VARIANT:
        if (variant_may_fail(&m->variant, check))
            return -1;
        return !variant_expects(&m->variant, check);
    case BROKEN:
    case HANGS:
    case CRASHES:
        return strcmp(lab->id, m->lab) != 0;
    }
    return -1;
}

static const struct member *member_named(const struct class *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->m[i].name, name) == 0)
            return &c->m[i];
    return NULL;
}

/* ---- Running the grader and Python ---------------------------------------- */

/* Runs ARGV with TMPDIR set, its output into the files OUT and ERR (made
 * afresh); returns its exit status (-1 if it did not exit). */
static int run(const char *const *argv, const char *tmpdir, const char *out, const char *err)
{
    int o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int e = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    cr_assert(o >= 0 && e >= 0, "%s, %s: %s", out, err, strerror(errno));
    int status = run_program(argv, NULL, tmpdir, o, e);
    close(o);
    close(e);
    return status;
}

/* Runs the Python program SCRIPT with ARG1 and ARG2 (each may be NULL);
 * returns what it printed on stdout (to free), asserting it exited 0. */
static char *python(const struct class *c, const char *script, const char *arg1,
                    const char *arg2)
{
    char path[PATH_MAX + 32], out[PATH_MAX + 32], err[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/script.py", c->root);
    snprintf(out, sizeof out, "%s/script.out", c->root);
    snprintf(err, sizeof err, "%s/script.err", c->root);
    write_file(path, script, 0644);
    const char *argv[] = { "python3", path, arg1, arg2, NULL };
    int status = run(argv, NULL, out, err);
    char *errors = read_text(err);
    cr_assert_eq(status, 0, "python failed (%d):\n%s\n--- the script:\n%s", status, errors,
                 script);
    free(errors);
    char *text = read_text(out);
    unlink(path);
    unlink(out);
    unlink(err);
    return text;
}

/* Each submission's Gradescope results, one line a check:
 * SUBMISSION TAB LAB/CHECK TAB status.  The score must be the tests' sum. */
static const char results_py[] =
    "import json, os, sys\n"
    "base = sys.argv[1]\n"
    "for name in sorted(os.listdir(base)):\n"
    "    with open(os.path.join(base, name, 'results.json'), encoding='utf-8') as f:\n"
    "        r = json.load(f)\n"
    "    assert r['score'] == sum(t['score'] for t in r['tests']), name\n"
    "    said = [l for l in r['output'].split('\\n') if l.startswith('Isolation: ')]\n"
    "    assert len(said) == 1, (name, r['output'])\n"
    "    with open(os.path.join(base, name, 'report.txt'), encoding='utf-8') as f:\n"
    "        text = f.read().replace('\\n  ', ' ')  # its lines wrapped at 80 columns\n"
    "        assert '\\n' + said[0] + '\\n' in text, (name, said)\n"
    "    for t in r['tests']:\n"
    "        print(name, t['name'], t['status'], sep='\\t')\n";

/* The gradebook's rows, their fields separated by tabs. */
static const char csv_py[] = "import csv, sys\n"
                             "with open(sys.argv[1], newline='', encoding='utf-8') as f:\n"
                             "    for row in csv.reader(f):\n"
                             "        print('\\t'.join(row))\n";

/* Whether the page's scores table says what the gradebook says: prints
 * each disagreement, and the number of rows compared. */
static const char agree_py[] =
    "import csv, html.parser, sys\n"
    "class Scores(html.parser.HTMLParser):\n"
    "    inside, rows, cell = False, [], None\n"
    "    def handle_starttag(self, tag, attrs):\n"
    "        if tag == 'table' and ('class', 'scores') in attrs:\n"
    "            self.inside = True\n"
    "        elif self.inside and tag == 'tr':\n"
    "            self.rows.append([])\n"
    "        elif self.inside and tag in ('td', 'th'):\n"
    "            self.cell = ''\n"
    "    def handle_endtag(self, tag):\n"
    "        if tag == 'table':\n"
    "            self.inside = False\n"
    "        elif self.inside and tag in ('td', 'th'):\n"
    "            self.rows[-1].append(self.cell.strip())\n"
    "            self.cell = None\n"
    "    def handle_data(self, data):\n"
    "        if self.cell is not None:\n"
    "            self.cell += data\n"
    "page = Scores(convert_charrefs=True)\n"
    "page.feed(open(sys.argv[2], encoding='utf-8').read())\n"
    "book = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))\n"
    "assert book[1][0] == '(maximum)', book[1]\n"
    "book = [book[0]] + book[2:]\n"
    "if len(page.rows) != len(book):\n"
    "    print('rows: page', len(page.rows), 'gradebook', len(book))\n"
    "for h, c in zip(page.rows[0], book[0]):\n"
    "    if not h.lower().startswith(c.lower()):\n"
    "        print('header:', repr(h), 'vs', repr(c))\n"
    "for p, b in zip(page.rows[1:], book[1:]):\n"
    "    name = b[0][1:] if b[0][:2] in (\"'=\", \"'+\", \"'-\", \"'@\") else b[0]\n"
    "    shown = [p[0]] + [cell.split()[0] if cell else '' for cell in p[1:]]\n"
    "    if shown != [name] + b[1:-2]:\n" /* the last: not graded, rubric */
    "        print('row:', shown, 'vs', b)\n"
    "print('compared', len(book) - 1)\n";

/* ---- Judging -------------------------------------------------------------- */

/* The points M must get for LAB, or -1 where they may vary (a starter's). */
static int expected_points(const struct class *c, const struct member *m,
                           const struct lab_def *lab)
{
    int sum = 0;
    for (size_t k = 0; k < lab->nchecks; k++) {
        int want = must_pass(c, m, lab, lab->checks[k].name);
        if (want < 0)
            return -1;
        sum += want ? lab->checks[k].points : 0;
    }
    return sum;
}

/* Every check's status in each submission's results.json against what the
 * submission must do; each submission has every check of every lab. */
static void judge_results(const struct class *c, struct buf *wrong)
{
    char base[PATH_MAX + 32];
    snprintf(base, sizeof base, "%s/submissions", c->out);
    char *lines = python(c, results_py, base, NULL);
    size_t count[CLASS_SIZE] = { 0 }, all_checks = 0;
    for (size_t l = 0; all_labs[l] != NULL; l++)
        all_checks += all_labs[l]->nchecks;
    for (char *line = strtok(lines, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *name = line, *check = strchr(name, '\t');
        cr_assert_not_null(check, "%s", line);
        *check++ = '\0';
        char *status = strchr(check, '\t'), *slash = strchr(check, '/');
        cr_assert(status != NULL && slash != NULL, "%s", check);
        *status++ = '\0';
        *slash = '\0';
        const struct member *m = member_named(c, name);
        const struct lab_def *lab = find_lab(check);
        cr_assert(m != NULL && lab != NULL, "unknown submission or lab: %s %s", name, check);
        count[m - c->m]++;
        int want = must_pass(c, m, lab, slash + 1);
        if (want >= 0 && want != (strcmp(status, "passed") == 0))
            buf_printf(wrong, "\n%s: %s/%s %s, must %s", name, check, slash + 1, status,
                       want ? "pass" : "fail");
    }
    for (size_t i = 0; i < c->n; i++)
        if (count[i] != all_checks)
            buf_printf(wrong, "\n%s: %zu checks in results.json, not %zu", c->m[i].name,
                       count[i], all_checks);
    free(lines);
}

static int lab_points(const struct lab_def *lab)
{
    int sum = 0;
    for (size_t k = 0; k < lab->nchecks; k++)
        sum += lab->checks[k].points;
    return sum;
}

/* The gradebook's first row under its header: each lab's and the total's
 * maximum, named so that a spreadsheet's reader sees what it is. */
static void judge_maxima(const struct lab_def *const *columns, size_t nlabs, char **fields,
                         struct buf *wrong)
{
    if (strcmp(fields[0], "(maximum)") != 0)
        buf_printf(wrong, "\ngradebook: the row under the header is %s, not (maximum)",
                   fields[0]);
    int total = 0;
    for (size_t k = 0; k < nlabs; k++) {
        total += lab_points(columns[k]);
        if (atoi(fields[k + 1]) != lab_points(columns[k]))
            buf_printf(wrong, "\ngradebook: maximum of %s: %s, not %d", columns[k]->id,
                       fields[k + 1], lab_points(columns[k]));
    }
    if (atoi(fields[nlabs + 1]) != total)
        buf_printf(wrong, "\ngradebook: maximum total %s, not %d", fields[nlabs + 1], total);
}

/* The gradebook's scores against those the submissions must get; the
 * starter's scores low.  Returns how many rows it has. */
static size_t judge_gradebook(const struct class *c, struct buf *wrong)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/gradebook.csv", c->out);
    char *rows = python(c, csv_py, path, NULL);
    size_t nrows = 0, nlabs = 0;
    const struct lab_def *columns[MAX_LABS] = { NULL };
    for (char *row = strtok(rows, "\n"); row != NULL; row = strtok(NULL, "\n"), nrows++) {
        char *fields[MAX_LABS + 4];
        size_t n = 0;
        for (char *f = row; f != NULL && n < COUNT_OF(fields); n++) {
            fields[n] = f;
            if ((f = strchr(f, '\t')) != NULL)
                *f++ = '\0';
        }
        if (nrows == 0) { /* the header */
            cr_assert_geq(n, 5, "header: %s", row);
            for (size_t k = 1; k + 3 < n; k++)
                cr_assert_not_null(columns[nlabs++] = find_lab(fields[k]), "%s", fields[k]);
            cr_expect_str_eq(fields[0], "submission");
            cr_expect_str_eq(fields[n - 3], "total");
            cr_expect_str_eq(fields[n - 2], "not graded (grader error)");
            cr_expect_str_eq(fields[n - 1], "rubric");
            continue;
        }
        /* Every row names the rubric: the one with the hidden checks. */
        char version[RUBRIC_VERSION_SIZE];
        rubric_version(true, version);
        cr_assert_eq(n, nlabs + 4, "row %zu: %zu fields", nrows, n);
        cr_expect_str_eq(fields[nlabs + 3], version, "row %zu", nrows);
        if (nrows == 1) { /* the maxima */
            judge_maxima(columns, nlabs, fields, wrong);
            continue;
        }
        /* This field names the checks the grader failed on: none here. */
        if (fields[nlabs + 2][0] != '\0')
            buf_printf(wrong, "\ngradebook: %s: checks not graded (grader error): %s",
                       fields[0], fields[nlabs + 2]);
        /* The odd name comes back as text, behind an apostrophe. */
        const char *name = fields[0][0] == '\'' ? fields[0] + 1 : fields[0];
        const struct member *m = member_named(c, name);
        cr_assert_not_null(m, "the gradebook names an unknown submission: %s", fields[0]);
        int total = 0, max = 0;
        for (size_t k = 0; k < nlabs; k++) {
            int got = atoi(fields[k + 1]), want = expected_points(c, m, columns[k]);
            total += got;
            if (want >= 0 && got != want)
                buf_printf(wrong, "\ngradebook: %s %s: %d points, must be %d", m->name,
                           columns[k]->id, got, want);
            for (size_t j = 0; j < columns[k]->nchecks; j++)
                max += columns[k]->checks[j].points;
        }
        if (atoi(fields[nlabs + 1]) != total)
            buf_printf(wrong, "\ngradebook: %s: total %s, its labs add up to %d", m->name,
                       fields[nlabs + 1], total);
        if (m->kind == STARTER && total * 5 > max)
            buf_printf(wrong, "\ngradebook: the starter scores %d of %d, over a fifth", total,
                       max);
    }
    size_t known = 0;
    while (all_labs[known] != NULL)
        known++;
    cr_expect_eq(nlabs, known, "a column per lab: %zu, not %zu", nlabs, known);
    free(rows);
    return nrows > 1 ? nrows - 2 : 0; /* not the header, nor the maxima */
}

/* Processes still running a program of the class (from its copies or its
 * folder, as their program or on their command line). */
static size_t count_survivors(const char *root, struct buf *which)
{
    size_t n = 0;
    DIR *proc = opendir("/proc");
    cr_assert_not_null(proc);
    for (struct dirent *e; (e = readdir(proc)) != NULL;) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        char path[300], exe[PATH_MAX] = "", cmd[4096] = "";
        snprintf(path, sizeof path, "/proc/%s/exe", e->d_name);
        ssize_t len = readlink(path, exe, sizeof exe - 1);
        exe[len > 0 ? len : 0] = '\0';
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        int fd = open(path, O_RDONLY);
        len = fd >= 0 ? read(fd, cmd, sizeof cmd - 1) : 0;
        if (fd >= 0)
            close(fd);
        for (ssize_t i = 0; i < len; i++)
            cmd[i] = cmd[i] ? cmd[i] : ' ';
        cmd[len > 0 ? len : 0] = '\0';
        if (strstr(exe, root) != NULL ||
            (strstr(cmd, root) != NULL && strstr(cmd, "script.py") == NULL)) {
            buf_printf(which, " %s(%s %s)", e->d_name, exe, cmd);
            n++;
        }
    }
    closedir(proc);
    return n;
}

static size_t count_lines_with(const char *text, const char *phrase)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, phrase)) != NULL; p++)
        n++;
    return n;
}

/* Runs the grader on C's class; returns its wall time in seconds. */
static double grade_class(const struct class *c, const char *const *extra)
{
    const char *argv[16] = { "harness/grade", "--batch", c->dir, "--out", c->out };
    size_t argc = 5;
    while (extra != NULL && *extra != NULL && argc < 15)
        argv[argc++] = *extra++;
    argv[argc] = NULL;
    char out[PATH_MAX + 32], err[PATH_MAX + 32];
    snprintf(out, sizeof out, "%s/grade.out", c->root);
    snprintf(err, sizeof err, "%s/grade.err", c->root);
    int64_t start = now_us();
    int status = run(argv, c->tmp, out, err);
    double seconds = (double)(now_us() - start) / 1e6;
    char *errors = read_text(err);
    cr_assert_eq(status, 0, "grade --batch exited with %d:\n%s", status, errors);
    free(errors);
    return seconds;
}

Test(batch, forty_submissions_get_their_scores_in_one_run)
{
    struct class *c = xcalloc(1, sizeof *c);
    make_class(c);
    double seconds = grade_class(c, NULL);
    cr_log_info("grade --batch graded %d submissions in %.1f s (the issue asks for under "
                "a minute on 2 cores)",
                CLASS_SIZE, seconds);
    printf("netlab: grade --batch graded %d submissions in %.1f s\n", CLASS_SIZE, seconds);

    struct buf wrong = { 0 };
    buf_puts(&wrong, "");
    judge_results(c, &wrong);
    cr_expect_eq(judge_gradebook(c, &wrong), (size_t)CLASS_SIZE,
                 "one gradebook row per submission");
    cr_expect_eq(wrong.len, 0, "%d submissions graded in %.1f s:%s", CLASS_SIZE, seconds,
                 wrong.data);
    buf_free(&wrong);

    char csv[PATH_MAX + 32], html[PATH_MAX + 32];
    snprintf(csv, sizeof csv, "%s/gradebook.csv", c->out);
    snprintf(html, sizeof html, "%s/class.html", c->out);
    char *agree = python(c, agree_py, csv, html);
    char want[64];
    snprintf(want, sizeof want, "compared %d\n", CLASS_SIZE);
    cr_expect_str_eq(agree, want, "the page and the gradebook disagree:\n%s", agree);
    free(agree);
    char *page = read_text(html);
    cr_expect_eq(count_lines_with(page, "<p class=\"isolation\">Isolation: "), 1,
                 "the page says which isolation held once");
    free(page);

    char err[PATH_MAX + 32];
    snprintf(err, sizeof err, "%s/grade.err", c->root);
    char *progress = read_text(err);
    char last[64];
    snprintf(last, sizeof last, "grade: [%d/%d] ", CLASS_SIZE, CLASS_SIZE);
    cr_expect_eq(count_lines_with(progress, "grade: ["), (size_t)CLASS_SIZE,
                 "a progress line per submission:\n%s", progress);
    cr_expect_not_null(strstr(progress, last), "%s", progress);
    free(progress);

    struct buf survivors = { 0 };
    buf_puts(&survivors, "");
    cr_expect_eq(count_survivors(c->root, &survivors), 0, "left running:%s", survivors.data);
    buf_free(&survivors);
    cr_expect_eq(count_entries(c->tmp), 0, "files left in the grader's TMPDIR %s", c->tmp);
    char built[PATH_MAX + 64];
    snprintf(built, sizeof built, "%s/solution-kit-rules/01-hello/server", c->dir);
    cr_expect_neq(access(built, F_OK), 0, "the build wrote into the submission: %s", built);
    remove_tree(c->root);
    free(c);
}

/* ---- The class page's grouping ------------------------------------------- */

/* What the page groups: for each check under "Failures by cause", a line
 * "LAB/CHECK SIZE..." (its groups' sizes, in the page's order); "builds N"
 * (submissions under "Builds that failed"); "unmatched X" for each link
 * "#X" that no id on the page answers, and "handout-links N". */
static const char groups_py[] =
    "import html.parser, sys\n"
    "class Page(html.parser.HTMLParser):\n"
    "    def __init__(self):\n"
    "        super().__init__(convert_charrefs=True)\n"
    "        self.ids, self.hrefs, self.checks = set(), [], []\n"
    "        self.where, self.summary, self.builds = None, None, 0\n"
    "    def handle_starttag(self, tag, attrs):\n"
    "        a = dict(attrs)\n"
    "        if 'id' in a: self.ids.add(a['id'])\n"
    "        if tag == 'a' and a.get('href', '').startswith('#'): "
    "self.hrefs.append(a['href'][1:])\n"
    "        if tag == 'details' and a.get('class') != 'example': self.where = "
    "a.get('class')\n"
    "        if tag == 'summary' and self.where == 'check': self.summary = ''\n"
    "        if tag == 'h4' and self.where == 'builds': self.builds += 1\n"
    "        if tag == 'strong' and self.where == 'check': self.summary = None; self.size = "
    "''\n"
    "    def handle_endtag(self, tag):\n"
    "        if tag == 'summary' and self.summary is not None:\n"
    "            self.checks.append([self.summary.split()[0]]); self.summary = None\n"
    "        if tag == 'strong' and hasattr(self, 'size') and self.size is not None:\n"
    "            self.checks[-1].append(self.size.split()[0]); self.size = None\n"
    "    def handle_data(self, data):\n"
    "        if self.summary is not None: self.summary += data\n"
    "        if getattr(self, 'size', None) is not None: self.size += data\n"
    "p = Page()\n"
    "p.feed(open(sys.argv[1], encoding='utf-8').read())\n"
    "for c in p.checks: print(' '.join(c))\n"
    "print('builds', p.builds)\n"
    "for h in p.hrefs:\n"
    "    if h not in p.ids: print('unmatched', h)\n"
    "print('handout-links', sum(h.startswith('handout-') for h in p.hrefs))\n";

/* Three submissions with the same mistake, two whose lab does not build,
 * one that hands in the starter untouched, one right: each check the
 * mistake fails shows one group of 3; each failed build's output is on the
 * page once; pass rates count the 6 that attempted the lab; every hint's
 * link lands on an id of the page; the gradebook's maxima come first. */
Test(batch, the_class_page_groups_failures_by_cause)
{
    struct class *c = xcalloc(1, sizeof *c);
    snprintf(c->root, sizeof c->root, "/tmp/netlab-groups-XXXXXX");
    cr_assert_not_null(mkdtemp(c->root));
    snprintf(c->dir, sizeof c->dir, "%s/class", c->root);
    snprintf(c->out, sizeof c->out, "%s/out", c->root);
    snprintf(c->tmp, sizeof c->tmp, "%s/tmp", c->root);
    cr_assert_eq(mkdir(c->dir, 0755), 0);
    cr_assert_eq(mkdir(c->tmp, 0755), 0);
    size_t nvariants;
    struct variant *v = all_variants(&nvariants);
    cr_assert(nvariants > 0 && strcmp(v[0].lab, "01-hello") == 0, "no variant of 01-hello");
    static const char *const alike[] = { "ann", "bob", "cy" };
    for (size_t i = 0; i < COUNT_OF(alike); i++)
        add_variant(c, &v[0], alike[i], false);
    add_lab01_with(c, "dee", BROKEN, NULL);
    add_lab01_with(c, "eve", BROKEN, NULL);
    struct member *starter = add_member(c, "starter", STARTER, NULL);
    char *dir = member_dir(c, starter, "01-hello");
    copy_sources("labs/01-hello", dir);
    free(dir);
    struct member *good = add_member(c, "good", SOLUTION, NULL);
    dir = member_dir(c, good, "01-hello");
    copy_sources("solutions/01-hello", dir);
    free(dir);
    const char *const only_01[] = { "--lab", "01", NULL };
    grade_class(c, only_01);

    char html[PATH_MAX + 32], csv[PATH_MAX + 32];
    snprintf(html, sizeof html, "%s/class.html", c->out);
    snprintf(csv, sizeof csv, "%s/gradebook.csv", c->out);
    char *seen = python(c, groups_py, html, NULL);
    for (size_t k = 0; k < v[0].nexpect; k++) {
        char line[320];
        snprintf(line, sizeof line, "\n01-hello/%s 3\n", v[0].expect[k]);
        struct buf lines = { 0 };
        buf_printf(&lines, "\n%s", seen);
        cr_expect_not_null(strstr(lines.data, line),
                           "01-hello/%s: not one group of the 3 alike:\n%s", v[0].expect[k],
                           seen);
        buf_free(&lines);
    }
    cr_expect_not_null(strstr(seen, "builds 2\n"), "%s", seen);
    cr_expect_null(strstr(seen, "unmatched"), "links that land nowhere:\n%s", seen);
    cr_expect_null(strstr(seen, "handout-links 0\n"), "no hint is linked:\n%s", seen);
    free(seen);

    char *page = read_text(html);
    /* Each failed build's command line, once: not once per check. */
    cr_expect_eq(count_lines_with(page, "-o server server.c"), 2, "the builds' output");
    cr_expect_not_null(strstr(page, "1 of 6 attempted"), "the starter is no attempt");
    cr_expect_not_null(strstr(page, "the starter, untouched"), "its score says so");
    free(page);
    char *book = read_text(csv);
    char maxima[64];
    snprintf(maxima, sizeof maxima, "\r\n\"(maximum)\",%d,%d,\"\",",
             lab_points(find_lab("01")), lab_points(find_lab("01")));
    cr_expect_not_null(strstr(book, maxima), "no row of maxima under the header:\n%s", book);
    free(book);
    free(v);
    remove_tree(c->root);
    free(c);
}

/* Messages alike but for ports, counts and long quoted payloads get one
 * key; a different expectation or a short quoted text that differs, not. */
Test(batch, failures_alike_get_one_key)
{
    static const char *const messages[] = {
        "the server stopped before it listened on TCP port 28457.\n"
        "  its stderr: \"server: bind: Address already in use (port 28457)\\n\"\n",
        "the server stopped before it listened on TCP port 3001.\n"
        "  its stderr: \"server: bind: something else entirely, 12 bytes\"\n",
        "the server stopped before it listened on UDP port 3001.\n"
        "  its stderr: \"server: bind: Address already in use\"\n",
        "the server stopped before it listened on TCP port 3001.\n"
        "  its stderr: \"x\"\n",
    };
    struct buf keys[4] = { { 0 } };
    for (size_t i = 0; i < 4; i++)
        failure_key(&keys[i], messages[i]);
    cr_expect_str_eq(keys[0].data, keys[1].data);
    cr_expect_str_neq(keys[0].data, keys[2].data, "TCP and UDP are not alike");
    cr_expect_str_neq(keys[0].data, keys[3].data, "a short quoted text is kept whole");
    cr_expect_null(strstr(keys[0].data, "28457"), "%s", keys[0].data);
    for (size_t i = 0; i < 4; i++)
        buf_free(&keys[i]);
}

/* ---- Building, alone ------------------------------------------------------ */

/* Copies SUBMISSION into a copy under ROOT and builds its lab 01 with a
 * time limit of TIMEOUT_MS; B gets what came of it. */
static void build_lab01(const char *root, const char *submission, int timeout_ms,
                        struct lab_build *b)
{
    char kit[PATH_MAX], copy[PATH_MAX + 16];
    cr_assert_not_null(realpath(".", kit));
    snprintf(copy, sizeof copy, "%s/copy", root);
    const struct lab_def *labs[] = { find_lab("01") };
    struct buf err = { 0 };
    cr_assert_eq(copy_submission(submission, copy, kit, labs, 1, b, &err), 0, "%s", err.data);
    struct build_options o = {
        .kit_dir = kit, .hidden = root, .jobs = 1, .timeout_ms = timeout_ms
    };
    struct lab_build *list[] = { b };
    cr_assert_eq(build_labs(&o, list, 1), 0);
}

static char *make_root(void)
{
    char *root = xstrdup("/tmp/netlab-build-test-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    cr_assert_eq(chmod(root, 0755), 0);
    return root;
}

/* Makes ROOT/submission (its path in SUBMISSION) whose lab 01 holds only
 * a Makefile, MAKEFILE. */
static void make_makefile_only(const char *root, const char *makefile,
                               char submission[PATH_MAX])
{
    char lab[PATH_MAX + 16], path[PATH_MAX + 32];
    snprintf(submission, PATH_MAX, "%s/submission", root);
    snprintf(lab, sizeof lab, "%s/01-hello", submission);
    cr_assert_eq(mkdir(submission, 0755), 0);
    cr_assert_eq(mkdir(lab, 0755), 0);
    snprintf(path, sizeof path, "%s/Makefile", lab);
    write_file(path, makefile, 0644);
}

Test(build, sources_are_built_in_a_copy_by_a_user_of_their_own)
{
    char *root = make_root();
    char submission[PATH_MAX], lab[PATH_MAX + 16], path[PATH_MAX + 32];
    snprintf(submission, sizeof submission, "%s/submission", root);
    snprintf(lab, sizeof lab, "%s/01-hello", submission);
    cr_assert_eq(mkdir(submission, 0755), 0);
    copy_sources("solutions/01-hello", lab);
    /* A program left from an earlier build, which must not be graded. */
    snprintf(path, sizeof path, "%s/server", lab);
    write_file(path, "#!/bin/sh\necho stale\n", 0755);
    snprintf(path, sizeof path, "%s/Makefile", lab);
    write_file(path,
               "all:\n\tid -u\n\tcc -std=c17 -D_POSIX_C_SOURCE=200809L -I../common "
               "-o server server.c ../common/netlab.c\n\tcc -std=c17 "
               "-D_POSIX_C_SOURCE=200809L -I../common -o client client.c ../common/netlab.c\n",
               0644);

    struct lab_build b;
    build_lab01(root, submission, BUILD_TIMEOUT_MS, &b);
    cr_expect_eq(b.state, BUILD_OK, "%s", b.log.data);
    cr_expect_not_null(strstr(b.log.data, "$ make"), "%s", b.log.data);
    char *id = strstr(b.log.data, "id -u\n");
    cr_assert_not_null(id, "%s", b.log.data);
    unsigned long uid = strtoul(id + 6, NULL, 10);
    if (geteuid() == 0)
        cr_expect_geq(uid, SANDBOX_UID_BASE, "the build ran as user %lu", uid);
    snprintf(path, sizeof path, "%s/server", b.folder);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
    cr_expect_eq(st.st_uid, geteuid(), "the copy is given back to the grader's user");
    char *built = read_text(path);
    cr_expect_null(strstr(built, "echo stale"), "the stale program was graded");
    free(built);
    snprintf(path, sizeof path, "%s/client", lab);
    cr_expect_neq(access(path, F_OK), 0, "the build wrote into the submission");
    free_builds(&b, 1);
    remove_tree(root);
    free(root);
}

Test(build, a_build_that_hangs_is_stopped_at_its_time_limit)
{
    char *root = make_root(), submission[PATH_MAX];
    /* A background process holding the build's output, and one that hangs. */
    make_makefile_only(root, "all:\n\tsleep 3017 &\n\tsleep 3018\n", submission);

    int64_t start = now_ms();
    struct lab_build b;
    build_lab01(root, submission, 1000, &b);
    int64_t took = now_ms() - start;
    cr_expect_eq(b.state, BUILD_FAILED);
    cr_expect_not_null(strstr(b.log.data, "did not finish within 1 s"), "%s", b.log.data);
    cr_expect_lt(took, 15000, "the build took %lld ms with a time limit of 1 s",
                 (long long)took);
    char *why = build_failure_message(&b);
    cr_expect_not_null(strstr(why, "01-hello did not build"), "%s", why);
    free(why);
    struct buf survivors = { 0 };
    buf_puts(&survivors, "");
    cr_expect_eq(count_survivors("sleep 301", &survivors), 0, "left running:%s",
                 survivors.data);
    buf_free(&survivors);
    struct buf cgroups = { 0 };
    buf_puts(&cgroups, "");
    cr_expect_eq(count_cgroups_left(&cgroups), 0, "cgroups left:%s", cgroups.data);
    buf_free(&cgroups);
    free_builds(&b, 1);
    remove_tree(root);
    free(root);
}

/* As root a build has a network namespace of its own with no interface
 * up: a Makefile cannot fetch anything, from the machine or elsewhere. */
Test(build, a_build_has_no_network)
{
    if (geteuid() != 0)
        cr_skip_test("as root only: elsewhere a build shares the machine's network");
    int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    cr_assert(server >= 0 && bind(server, (struct sockaddr *)&a, sizeof a) == 0 &&
                  listen(server, 4) == 0 &&
                  getsockname(server, (struct sockaddr *)&a, &len) == 0,
              "a listener on the loopback: %s", strerror(errno));

    char *root = make_root(), submission[PATH_MAX], makefile[512];
    snprintf(makefile, sizeof makefile,
             "all:\n\tpython3 -c 'import socket; socket.create_connection((\"127.0.0.1\", "
             "%d), 5); "
             "print(\"REACHED THE MACHINE\")' || echo NO NETWORK\n\tfalse\n",
             ntohs(a.sin_port));
    make_makefile_only(root, makefile, submission);

    struct lab_build b;
    build_lab01(root, submission, BUILD_TIMEOUT_MS, &b);
    cr_expect_eq(b.state, BUILD_FAILED);
    cr_expect_null(strstr(b.log.data, "REACHED THE MACHINE\n"), "%s", b.log.data);
    cr_expect_not_null(strstr(b.log.data, "NO NETWORK\n"), "%s", b.log.data);
    close(server);
    free_builds(&b, 1);
    remove_tree(root);
    free(root);
}

/* As root a build writes in a tmpfs of QUOTA_MB and QUOTA_INODES (its
 * memory counted in its cgroup): a Makefile that writes 1.1 GiB in 3,000
 * files fails, says why, and leaves neither files nor cgroups behind. */
Test(build, a_build_that_fills_its_folder_fails_and_leaves_nothing)
{
    if (geteuid() != 0)
        cr_skip_test("as root only: elsewhere a build writes on the disk, under its limits");
    char *root = make_root(), submission[PATH_MAX], path[PATH_MAX + 32];
    make_makefile_only(root,
                       "all:\n\ti=0; while [ $$i -lt 3000 ]; do head -c 393216 "
                       "/dev/zero > fill-$$i || exit 1; i=$$((i + 1)); done\n",
                       submission);

    struct lab_build b;
    build_lab01(root, submission, BUILD_TIMEOUT_MS, &b);
    cr_expect_eq(b.state, BUILD_FAILED, "%s", b.log.data);
    char *why = build_failure_message(&b);
    cr_expect_not_null(strstr(why, "the build filled its folder: a build may write at most"),
                       "%s", why);
    free(why);
    snprintf(path, sizeof path, "%s/fill-0", b.folder);
    cr_expect_neq(access(path, F_OK), 0, "the build's files were copied out: %s", path);
    cr_expect_eq(count_entries(b.folder), 1, "%s holds more than the Makefile", b.folder);
    struct buf left = { 0 };
    buf_puts(&left, "");
    cr_expect_eq(count_survivors(root, &left), 0, "left running:%s", left.data);
    buf_reset(&left);
    buf_puts(&left, "");
    cr_expect_eq(count_cgroups_left(&left), 0, "cgroups left:%s", left.data);
    buf_free(&left);
    free_builds(&b, 1);
    remove_tree(root);
    free(root);
}

/* ---- The page in a browser ------------------------------------------------ */

/*
 * What a person sees of the class page: "tables N" (tables with an area on
 * the screen), "scripts N", then "text:" and the page's rendered text
 * (innerText: what CSS hides is not in it).
 */
static const char look_js[] =
    "(() => {"
    "  const shown = e => { const r = e.getBoundingClientRect();"
    "                       return r.width > 0 && r.height > 0; };"
    "  return 'tables ' + [...document.querySelectorAll('table')].filter(shown).length +"
    "         '\\nscripts ' + document.scripts.length + '\\ntext:\\n' +"
    "         document.body.innerText;"
    "})()";

Test(batch, the_class_page_reads_right_in_chromium)
{
    SKIP_WITHOUT_CHROMIUM("the class page");
    struct class *c = xcalloc(1, sizeof *c);
    snprintf(c->root, sizeof c->root, "/tmp/netlab-page-XXXXXX");
    cr_assert_not_null(mkdtemp(c->root));
    snprintf(c->dir, sizeof c->dir, "%s/class", c->root);
    snprintf(c->out, sizeof c->out, "%s/out", c->root);
    snprintf(c->tmp, sizeof c->tmp, "%s/tmp", c->root);
    cr_assert_eq(mkdir(c->dir, 0755), 0);
    cr_assert_eq(mkdir(c->tmp, 0755), 0);
    struct member *good = add_member(c, "good", SOLUTION, NULL);
    char *dir = member_dir(c, good, "01-hello");
    copy_sources("solutions/01-hello", dir);
    free(dir);
    add_lab01_with(c, "broken", BROKEN, NULL);
    size_t nvariants;
    struct variant *v = all_variants(&nvariants);
    cr_assert(nvariants > 0 && strcmp(v[0].lab, "01-hello") == 0, "no variant of 01-hello");
    add_variant(c, &v[0], odd_name, false);
    free(v);
    const char *const only_01[] = { "--lab", "01", NULL };
    grade_class(c, only_01);

    char page[sizeof c->out + 16];
    snprintf(page, sizeof page, "%s/class.html", c->out);
    char *seen = browser_render(c->root, page, 1280, look_js, NULL);
    cr_expect_not_null(strstr(seen, "tables 2\n"),
                       "a scores table and a pass rates table:\n%s", seen);
    cr_expect_not_null(strstr(seen, "scripts 0\n"), "%s", seen);
    cr_expect_not_null(strstr(seen, "requests 1\n"),
                       "the page fetches nothing but itself:\n%s", seen);
    const char *text = strstr(seen, "text:\n");
    cr_assert_not_null(text, "%s", seen);
    int max = lab_points(find_lab("01"));
    char row[64], failed[320];
    snprintf(row, sizeof row, "good\t%d\t%d", max, max);
    const struct member *variant = &c->m[2];
    snprintf(failed, sizeof failed, "01-hello/%s", variant->variant.expect[0]);
    const char *const wanted[] = {
        "netlab class report",
        "Scores",
        "Submission\t01-hello",
        row,
        odd_name, /* as it is: not markup */
        "Failures by cause",
        "Pass rates",
        "1 of 3 attempted",
        "33%",
        "Each submission",
        failed,
        "Hint: ",
        "Builds that failed",
        "did not build",
        "error:", /* and the compiler says why */
    };
    for (size_t i = 0; i < COUNT_OF(wanted); i++)
        cr_expect_not_null(strstr(text, wanted[i]),
                           "a person does not see \"%s\" on the "
                           "page:\n%s",
                           wanted[i], text);
    free(seen);
    struct buf survivors = { 0 };
    buf_puts(&survivors, "");
    cr_expect_eq(count_survivors(c->root, &survivors), 0, "left running:%s", survivors.data);
    buf_free(&survivors);
    remove_tree(c->root);
    cr_expect_neq(access(c->root, F_OK), 0, "%s is left behind", c->root);
    free(c);
}
