/*
 * test_dist.c - the student copy (make dist), unpacked in a temporary
 * folder: it holds none of the answers (solutions, hidden checks,
 * known-buggy variants), no instructor's tool and no build product, and on
 * its own it builds, grades the starters (a low score, a report, a failing
 * exit status) and passes its own make test.  What its README and make help
 * name (targets, options, variables, files) is there and works, and they
 * name nothing of the instructor's.  Its GitHub Classroom workflow's steps,
 * run as GitHub would run them, hand Classroom's reporter the points.
 *
 * Run from the top of the kit (make test does), after make.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "command.h"

/* The copy's make and make test build everything from scratch: about 30 s
 * on an idle 2-core machine.  Each command has its own deadline, shorter. */
TestSuite(dist, .timeout = 420);

#define COMMAND_SECONDS "300"

/* Runs the shell command CMD in folder DIR (command.h). */
static struct cmd run_in(const char *dir, const char *cmd)
{
    return run_command(dir, cmd, COMMAND_SECONDS);
}

/* Makes the student copy into a fresh temporary folder TMP and unpacks it
 * there: TMP/netlab. */
static void unpack_student_copy(char tmp[PATH_MAX])
{
    snprintf(tmp, PATH_MAX, "/tmp/netlab-dist-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
    char cmd[2 * PATH_MAX];
    snprintf(cmd, sizeof cmd,
             "make --no-print-directory dist DIST='%s/student.tar.gz' && "
             "tar -xzf '%s/student.tar.gz' -C '%s'",
             tmp, tmp, tmp);
    struct cmd r = run_in(".", cmd);
    cr_assert_eq(r.status, 0, "make dist or tar failed:\n%s", r.out.data);
    buf_free(&r.out);
}

/* The whole of the file PATH into OUT (NUL-terminated); false if it
 * cannot be read. */
static bool read_whole(const char *path, struct buf *out)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(out, chunk, n);
    bool ok = !ferror(f);
    fclose(f);
    buf_puts(out, "");
    return ok;
}

static void remove_tree(const char *tmp)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    cr_expect_eq(system(cmd), 0);
}

/* ---- What the copy holds ----------------------------------------------- */

/* Paths (relative to netlab/) a student must not get, or that only a build
 * makes. */
static const char *const forbidden[] = {
    "solutions",
    "harness/hidden",
    "tests/variants",
    "tests/hostile",
    "tests/python",
    "tests/fuzz",
    "build",
    ".git",
    "harness/grade",
    "harness/shortio.so",
    ".ci",
    "handouts/INSTRUCTORS.md",
};

static struct buf found_wrong; /* what nftw's callback found */
static struct buf mk_files;    /* the copy's mk/ files, one a line */
static size_t top_len;         /* length of ".../netlab/" */
static size_t files_seen;

static bool is_elf(const char *path)
{
    char magic[4] = { 0 };
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return false;
    bool elf = read(fd, magic, 4) == 4 && memcmp(magic, "\177ELF", 4) == 0;
    close(fd);
    return elf;
}

static int inspect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (strlen(path) <= top_len)
        return 0;
    const char *rel = path + top_len;
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++) {
        size_t n = strlen(forbidden[i]);
        if (strncmp(rel, forbidden[i], n) == 0 && (rel[n] == '\0' || rel[n] == '/'))
            buf_printf(&found_wrong, "  %s (no %s in a student copy)\n", rel, forbidden[i]);
    }
    if (type == FTW_F) {
        files_seen++;
        if (strncmp(rel, "mk/", 3) == 0)
            buf_printf(&mk_files, "%s\n", rel);
        if (is_elf(path))
            buf_printf(&found_wrong, "  %s (a built program)\n", rel);
    }
    return 0;
}

/* An instructor's script in mk/ would be of no use in the copy: each of
 * the copy's mk/ files (collected by inspect) is one its Makefile runs. */
static void expect_mk_files_used(const char *top)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%sMakefile", top);
    struct buf makefile = { 0 };
    cr_assert(read_whole(path, &makefile), "%s: %s", path, strerror(errno));
    buf_puts(&mk_files, "");
    cr_expect_neq(mk_files.len, 0, "the copy has no mk/ file: not even mk/deps.sh");
    char *save = NULL;
    for (char *f = strtok_r(mk_files.data, "\n", &save); f != NULL;
         f = strtok_r(NULL, "\n", &save))
        cr_expect_not_null(strstr(makefile.data, f),
                           "the copy holds %s, which its Makefile "
                           "does not use: an instructor's tool?",
                           f);
    buf_free(&makefile);
    buf_free(&mk_files);
}

Test(dist, the_copy_holds_no_answer_and_no_build_product)
{
    char tmp[PATH_MAX], top[PATH_MAX + 16];
    unpack_student_copy(tmp);
    snprintf(top, sizeof top, "%s/netlab/", tmp);
    top_len = strlen(top);
    buf_puts(&found_wrong, "");
    cr_assert_eq(nftw(top, inspect, 16, FTW_PHYS), 0, "%s: %s", top, strerror(errno));
    cr_expect_eq(found_wrong.len, 0, "the student copy holds:\n%s", found_wrong.data);
    cr_expect_gt(files_seen, 50, "only %zu files in the student copy", files_seen);

    /* What a student needs is there: starters, handouts, the grader's
     * sources, the Classroom workflow in place. */
    static const char *const needed[] = {
        "Makefile",
        "README.md",
        "labs/02-echo/server.c",
        "labs/common/netlab.h",
        "handouts/02-echo.md",
        "harness/grade.c",
        "tests/test_netlab.c",
        ".github/workflows/classroom.yml",
        "handouts/classroom/grade.sh",
    };
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++) {
        char path[2 * PATH_MAX];
        snprintf(path, sizeof path, "%s%s", top, needed[i]);
        cr_expect_eq(access(path, R_OK), 0, "the student copy has no %s", needed[i]);
    }
    buf_free(&found_wrong);
    expect_mk_files_used(top);
    remove_tree(tmp);
}

/* ---- What the copy does on its own ------------------------------------ */

/* The names of the hidden checks of the kit's own grader ("02-echo/NAME"
 * lines), from its instructor's rubric. */
static void hidden_checks(struct buf *names)
{
    struct cmd r = run_in(".", "harness/grade --list --instructor");
    cr_assert_eq(r.status, 0, "harness/grade --list --instructor:\n%s", r.out.data);
    char *save = NULL;
    for (char *line = strtok_r(r.out.data, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char name[128];
        if (strstr(line, "(hidden)") != NULL && sscanf(line, " %127s", name) == 1)
            buf_printf(names, "%s\n", name);
    }
    buf_puts(names, "");
    buf_free(&r.out);
}

static void expect_builds(const char *kit)
{
    struct cmd r = run_in(kit, "make");
    cr_assert_eq(r.status, 0, "make in the student copy failed:\n%s", r.out.data);
    buf_free(&r.out);
}

/* make grade on the starters: the report and a low score, and status 0:
 * failed checks are the score, not an error of make's ("Error 1"). */
static void expect_starters_graded_low(const char *kit)
{
    struct cmd r = run_in(kit, "make grade");
    cr_expect_eq(r.status, 0, "make grade failed on the starters:\n%s", r.out.data);
    cr_expect_null(strstr(r.out.data, "Error 1"), "make called failed checks an error:\n%s",
                   r.out.data);
    const char *score = strstr(r.out.data, "\nScore: ");
    int got = -1, max = -1;
    cr_assert_not_null(score, "make grade printed no score:\n%s", r.out.data);
    cr_assert_eq(sscanf(score, "\nScore: %d/%d", &got, &max), 2, "%s", score);
    cr_expect(max > 0 && got * 4 < max, "the starters scored %d/%d", got, max);
    cr_expect_not_null(strstr(r.out.data, "FAIL"), "no failed check is explained");
    cr_expect_not_null(strstr(r.out.data, "hint: handouts/"), "no hint in the report");
    buf_free(&r.out);
}

/* Its rubric names no hidden check and holds no point back. */
static void expect_no_hidden_check(const char *kit)
{
    struct buf hidden = { 0 };
    hidden_checks(&hidden);
    struct cmd r = run_in(kit, "harness/grade --list --instructor");
    cr_assert_eq(r.status, 0, "%s", r.out.data);
    cr_expect_null(strstr(r.out.data, "hidden"), "the copy's rubric:\n%s", r.out.data);
    char *save = NULL;
    for (char *name = strtok_r(hidden.data, "\n", &save); name != NULL;
         name = strtok_r(NULL, "\n", &save)) {
        char pattern[160];
        snprintf(pattern, sizeof pattern, "  %s ", name);
        cr_expect_null(strstr(r.out.data, pattern),
                       "the copy's grader has the hidden check %s", name);
    }
    buf_free(&hidden);
    buf_free(&r.out);
}

/* Its own make test passes, with tests that did run. */
static void expect_own_tests_pass(const char *kit)
{
    struct cmd r = run_in(kit, "make test");
    cr_expect_eq(r.status, 0, "make test in the student copy failed:\n%s", r.out.data);
    const char *total = strstr(r.out.data, "Total: ");
    int passed = 0, failed = -1;
    cr_assert_not_null(total, "no total from make test:\n%s", r.out.data);
    cr_expect_eq(sscanf(total, "Total: %d passed, %d failed", &passed, &failed), 2);
    cr_expect(passed > 50 && failed == 0, "the copy's make test: %.60s", total);
    buf_free(&r.out);
}

/* ---- What the copy tells students: its README and make help ------------ */

/* Words of the instructor's kit (in any case): the copy's README and make
 * help use none of them, as they offer nothing the copy has not. */
static const char *const instructor_words[] = {
    "solution",    "instructor",   "make dist",     "dist.sh",        "gradescope",
    "soak",        "bench",        "make valgrind", "test-asan",      "grade-class",
    "--batch",     "submissions=", "hidden check",  "harness/hidden", "held back",
    "variant",     "hostile",      "tests/python",  "fuzz",           "answers.mk",
    "classreport", "batch.c",      "rebase",
};

/* Adds to WRONG each instructor's word in TEXT, with its line. */
static void find_instructor_words(const char *what, const char *text, struct buf *wrong)
{
    for (size_t i = 0; i < sizeof instructor_words / sizeof instructor_words[0]; i++) {
        const char *word = instructor_words[i];
        for (const char *at = strcasestr(text, word); at != NULL;
             at = strcasestr(at + 1, word)) {
            const char *line = at;
            while (line > text && line[-1] != '\n')
                line--;
            buf_printf(wrong, "\n  %s names \"%s\": %.*s", what, word,
                       (int)strcspn(line, "\n"), line);
        }
    }
}

/* Appends the N bytes at S to OUT as one line: newlines become spaces and
 * a shell comment (" #...") is left out. */
static void add_span(struct buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '#' && i > 0 && s[i - 1] == ' ')
            break;
        buf_append(out, s[i] == '\n' ? " " : &s[i], 1);
    }
    buf_puts(out, "\n");
}

/* What a README names, one a line into SPANS: each inline code span, each
 * line of a fenced code block, each link's target. */
static void readme_spans(const char *text, struct buf *spans)
{
    bool fenced = false;
    const char *p = text;
    while (*p != '\0') {
        bool line_start = p == text || p[-1] == '\n';
        size_t rest = strcspn(p, "\n");
        if (line_start && strncmp(p, "```", 3) == 0) {
            fenced = !fenced;
            p += rest;
        } else if (line_start && fenced) {
            add_span(spans, p, rest);
            p += rest;
        } else if (!fenced && *p == '`') {
            size_t n = strcspn(p + 1, "`");
            add_span(spans, p + 1, n);
            p += 1 + n + (p[1 + n] == '`');
        } else if (!fenced && strncmp(p, "](", 2) == 0) {
            size_t n = strcspn(p + 2, ")\n");
            add_span(spans, p + 2, n);
            p += 2 + n;
        } else {
            p++;
        }
    }
}

/* The lines of a make help, "make TARGET   what it does" ("make   what"
 * for plain make): "make TARGET" and each word of what it does, one a line
 * into SPANS; each TARGET, one a line, into TARGETS. */
static void help_spans(const char *help, struct buf *spans, struct buf *targets)
{
    for (const char *line = help, *next; *line != '\0'; line = next) {
        size_t len = strcspn(line, "\n");
        next = line + len + (line[len] == '\n');
        if (strncmp(line, "make ", 5) != 0)
            continue;
        size_t target = line[5] == ' ' ? 0 : strcspn(line + 5, " \n");
        buf_printf(spans, "make %.*s\n", (int)target, line + 5);
        buf_printf(targets, "%.*s\n", (int)target, line + 5);
        /* The words of what it does, without the punctuation around them. */
        for (size_t i = 5 + target; i < len;) {
            i += strspn(line + i, " (");
            size_t n = strcspn(line + i, " \n");
            if (n > len - i)
                n = len - i;
            size_t word = n;
            while (word > 0 && strchr("),:;", line[i + word - 1]) != NULL)
                word--;
            if (word > 0)
                add_span(spans, line + i, word);
            i += n;
        }
    }
}

/* What the copy has, to hold names against, and what is found wanting. */
struct copy_facts {
    const char *kit;        /* the unpacked copy, built */
    const char *grade_help; /* its harness/grade --help */
    const char *makefile;   /* its Makefile */
    struct buf paths;       /* patterns of the paths named, one a line */
    struct buf wrong;       /* what is named and is not there */
};

/* Whether WORD names a path of the copy: a relative path, or a file with
 * an extension the kit's files have. */
static bool is_path(const char *word, size_t n)
{
    static const char *const extensions[] = { ".md",  ".c",  ".h",  ".sh",
                                              ".yml", ".py", ".so", ".txt" };
    if (n == 0 || word[0] == '/' || word[0] == '-' || strncmp(word, "..", 2) == 0 ||
        memchr(word, '=', n) != NULL || memchr(word, '|', n) != NULL ||
        memchr(word, '\'', n) != NULL)
        return false;
    if (memchr(word, '/', n) != NULL)
        return true;
    for (size_t i = 0; i < sizeof extensions / sizeof extensions[0]; i++) {
        size_t e = strlen(extensions[i]);
        if (n > e && strncmp(word + n - e, extensions[i], e) == 0)
            return true;
    }
    return false;
}

/* The path WORD as a pattern for find -path: NN-name is a lab folder's
 * name, any other word in capitals (LAB, CHECK, DIR) stands for anything. */
static void add_path_pattern(struct buf *paths, const char *word, size_t n)
{
    while (n > 1 && word[n - 1] == '/')
        n--;
    for (size_t i = 0; i < n;) {
        if (strncmp(word + i, "NN-name", 7) == 0) {
            buf_puts(paths, "[0-9][0-9]-*");
            i += 7;
        } else if (word[i] >= 'A' && word[i] <= 'Z' && i + 1 < n && word[i + 1] >= 'A' &&
                   word[i + 1] <= 'Z') {
            while (i < n && ((word[i] >= 'A' && word[i] <= 'Z') || word[i] == '_'))
                i++;
            buf_puts(paths, "*");
        } else {
            buf_append(paths, &word[i++], 1);
        }
    }
    buf_puts(paths, "\n");
}

/* Each --option of SPAN is one the copy's grader has. */
static void check_options(struct copy_facts *c, const char *span)
{
    for (const char *o = strstr(span, "--"); o != NULL; o = strstr(o + 2, "--")) {
        if (o > span && o[-1] != ' ' && o[-1] != '[')
            continue;
        size_t n = 2 + strspn(o + 2, "abcdefghijklmnopqrstuvwxyz-");
        char option[64];
        snprintf(option, sizeof option, "  %.*s ", (int)n, o);
        if (strcmp(option, "  --help ") != 0 && strstr(c->grade_help, option) == NULL)
            buf_printf(&c->wrong,
                       "\n  the option %.*s (in \"%s\"): not in harness/grade --help", (int)n,
                       o, span);
    }
}

/* Each VAR= of SPAN is a variable the copy's Makefile uses. */
static void check_variables(struct copy_facts *c, const char *span)
{
    for (const char *w = span; *w != '\0'; w += strcspn(w, " "), w += strspn(w, " ")) {
        size_t n = strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");
        if (n == 0 || w[n] != '=')
            continue;
        char use[64];
        snprintf(use, sizeof use, "$(%.*s)", (int)n, w);
        if (strstr(c->makefile, use) == NULL)
            buf_printf(&c->wrong, "\n  %.*s= (in \"%s\"): the Makefile has no %s", (int)n, w,
                       span, use);
    }
}

/* Whether S is WORD, or begins with WORD and a space. */
static bool starts_with_word(const char *s, const char *word)
{
    size_t n = strlen(word);
    return strncmp(s, word, n) == 0 && (s[n] == ' ' || s[n] == '\0');
}

/* Runs the command SPAN in the copy: make as a dry run (make -n), which
 * must know the target; the grader for real, which must not call it bad
 * usage (status 2). */
static void check_command(struct copy_facts *c, const char *span)
{
    struct buf cmd = { 0 };
    bool is_make = starts_with_word(span, "make");
    if (is_make)
        buf_printf(&cmd, "make -n --no-print-directory%s", span + 4);
    else
        buf_puts(&cmd, span);
    struct cmd r = run_in(c->kit, cmd.data);
    if (is_make ? r.status != 0 : (r.status != 0 && r.status != 1))
        buf_printf(&c->wrong, "\n  \"%s\" fails in the copy (status %d): %.300s", span,
                   r.status, r.out.data);
    buf_free(&r.out);
    buf_free(&cmd);
}

/* One thing the README or make help names. */
static void check_named(struct copy_facts *c, const char *span)
{
    span += strspn(span, " ");
    size_t n = strlen(span);
    while (n > 0 && span[n - 1] == ' ')
        n--;
    char *s = xstrdup(span);
    s[n] = '\0';
    check_options(c, s);
    check_variables(c, s);
    bool usage = strchr(s, '[') != NULL || strstr(s, "...") != NULL;
    /* (A bare "harness/grade" is the program's path, not a command.) */
    bool grader_command = (starts_with_word(s, "harness/grade") ||
                           starts_with_word(s, "./harness/grade")) &&
                          strchr(s, ' ') != NULL && !usage;
    if (starts_with_word(s, "make") || grader_command)
        check_command(c, s);
    else if (strchr(s, ' ') == NULL && is_path(s, n))
        add_path_pattern(&c->paths, s, n);
    free(s);
}

/* Every path named is in the copy (built and graded: build/transcripts/
 * is there too). */
static void check_paths(struct copy_facts *c)
{
    struct buf script = { 0 };
    buf_puts(&script, "for p in");
    char *save = NULL;
    for (char *p = strtok_r(c->paths.data, "\n", &save); p != NULL;
         p = strtok_r(NULL, "\n", &save))
        buf_printf(&script, " '%s'", p);
    buf_puts(&script,
             "; do [ -n \"$(find . -path \"*/$p\" -print -quit)\" ] || echo \"$p\"; done");
    struct cmd r = run_in(c->kit, script.data);
    cr_expect_eq(r.status, 0, "%s", r.out.data);
    if (r.out.len > 0)
        buf_printf(&c->wrong, "\n  paths named but not in the copy:\n%s", r.out.data);
    buf_free(&r.out);
    buf_free(&script);
}

/* make help's output in DIR. */
static struct buf make_help(const char *dir)
{
    struct cmd r = run_in(dir, "make --no-print-directory help");
    cr_assert_eq(r.status, 0, "make help in %s:\n%s", dir, r.out.data);
    return r.out;
}

/* Every target the kit's make help offers and the copy's does not is no
 * target of the copy (make says so plainly), rather than one that breaks. */
static void expect_instructor_targets_gone(const char *kit, const char *copy_targets,
                                           struct buf *wrong)
{
    struct buf help = make_help("."), spans = { 0 }, targets = { 0 };
    help_spans(help.data, &spans, &targets);
    char *save = NULL;
    for (char *t = strtok_r(targets.data, "\n", &save); t != NULL;
         t = strtok_r(NULL, "\n", &save)) {
        char line[128];
        snprintf(line, sizeof line, "\n%s\n", t);
        if (strstr(copy_targets, line) != NULL)
            continue;
        char cmd[160];
        snprintf(cmd, sizeof cmd, "make -n --no-print-directory %s", t);
        struct cmd r = run_in(kit, cmd);
        if (r.status == 0 || strstr(r.out.data, "No rule to make target") == NULL)
            buf_printf(wrong, "\n  make %s, the instructor's, is a target of the copy: %.200s",
                       t, r.out.data);
        buf_free(&r.out);
    }
    buf_free(&help);
    buf_free(&spans);
    buf_free(&targets);
}

/* The copy's README and make help speak to students: they name nothing of
 * the instructor's, and every target, option, variable and path they name
 * is in the copy and works (the copy built and graded). */
static void expect_readme_and_help_true(const char *kit)
{
    char path[PATH_MAX + 32];
    struct buf readme = { 0 }, makefile = { 0 }, spans = { 0 }, targets = { 0 };
    snprintf(path, sizeof path, "%s/README.md", kit);
    cr_assert(read_whole(path, &readme), "%s: %s", path, strerror(errno));
    snprintf(path, sizeof path, "%s/Makefile", kit);
    cr_assert(read_whole(path, &makefile), "%s: %s", path, strerror(errno));
    struct cmd grade_help = run_in(kit, "harness/grade --help");
    cr_assert_eq(grade_help.status, 0, "%s", grade_help.out.data);
    struct buf help = make_help(kit);
    struct copy_facts c = { .kit = kit,
                            .grade_help = grade_help.out.data,
                            .makefile = makefile.data };
    buf_puts(&c.wrong, "");
    buf_puts(&c.paths, "");
    buf_puts(&targets, "\n");

    find_instructor_words("README.md", readme.data, &c.wrong);
    find_instructor_words("make help", help.data, &c.wrong);
    readme_spans(readme.data, &spans);
    help_spans(help.data, &spans, &targets);
    cr_expect_gt(spans.len, 0, "the copy's README and make help name nothing");
    char *save = NULL;
    for (char *s = strtok_r(spans.data, "\n", &save); s != NULL;
         s = strtok_r(NULL, "\n", &save))
        check_named(&c, s);
    check_paths(&c);
    expect_instructor_targets_gone(kit, targets.data, &c.wrong);
    cr_expect_eq(c.wrong.len, 0, "the copy's README and make help:%s", c.wrong.data);

    buf_free(&c.wrong);
    buf_free(&c.paths);
    buf_free(&grade_help.out);
    buf_free(&help);
    buf_free(&readme);
    buf_free(&makefile);
    buf_free(&spans);
    buf_free(&targets);
}

/* ---- The GitHub Classroom workflow ------------------------------------- */

#define WORKFLOW ".github/workflows/classroom.yml"

/* What Classroom's reporter action would read from the grading step's
 * output: "STATUS SCORE MAX TESTS", each test checked. */
static const char classroom_py[] =
    "import base64, json, sys\n"
    "lines = [l for l in open(sys.argv[1]) if l.startswith(\"result=\")]\n"
    "assert len(lines) == 1, lines\n"
    "r = json.loads(base64.b64decode(lines[0][len(\"result=\"):]))\n"
    "assert r[\"version\"] == 1 and r[\"status\"] in (\"pass\", \"fail\"), r\n"
    "for t in r[\"tests\"]:\n"
    "    assert t[\"status\"] in (\"pass\", \"fail\"), t\n"
    "    assert isinstance(t[\"score\"], int) and isinstance(t[\"message\"], str), t\n"
    "    assert t[\"name\"].startswith(\"01-hello/\"), t\n"
    "print(r[\"status\"], sum(t[\"score\"] for t in r[\"tests\"]), r[\"max_score\"],\n"
    "      len(r[\"tests\"]))\n";

/* The workflow ties the grading step to the reporter by names: the step id,
 * the reporter's runners and its NAME_RESULTS variable, and the job's
 * name, on whose check run the reporter writes the points. */
static void expect_workflow_wiring(const char *text)
{
    static const char *const wiring[] = {
        "\n  run-autograding-tests:\n",
        "id: netlab\n",
        "runners: netlab\n",
        "NETLAB_RESULTS: ${{ steps.netlab.outputs.result }}\n",
        "checks: write",
        "classroom-resources/autograding-grading-reporter@v1\n",
    };
    for (size_t i = 0; i < sizeof wiring / sizeof wiring[0]; i++)
        cr_expect_not_null(strstr(text, wiring[i]), WORKFLOW " lacks \"%s\"", wiring[i]);
    /* A YAML parser, where Python has one, must read it. */
    struct cmd r = run_in(".", "python3 -c 'import yaml' 2>/dev/null || exit 0; python3 -c "
                               "'import sys, yaml; assert isinstance(yaml.safe_load("
                               "open(sys.argv[1])), dict)' handouts/classroom/classroom.yml");
    cr_expect_eq(r.status, 0, "the workflow is not valid YAML:\n%s", r.out.data);
    buf_free(&r.out);
}

/* Lab 01's points in the copy's rubric: "01-hello  TITLE (N points)". */
static int points_of_lab_01(const char *kit)
{
    struct cmd r = run_in(kit, "harness/grade --list");
    const char *line = strstr(r.out.data, "01-hello  ");
    const char *open = line ? strstr(line, " (") : NULL;
    while (open != NULL && open[2] != '\0' && (open[2] < '0' || open[2] > '9'))
        open = strstr(open + 2, " (");
    int points = -1;
    cr_assert(open != NULL && sscanf(open, " (%d points", &points) == 1, "%s", r.out.data);
    buf_free(&r.out);
    return points;
}

/* Runs the workflow's `run:` steps in the copy, in order, as GitHub's
 * runner would (with sudo left out: these tests run as root or need no
 * package), lab 01 only; then reads what the reporter would get. */
static void expect_classroom_points(const char *tmp, const char *kit)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/" WORKFLOW, kit);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    struct buf text = { 0 }, script = { 0 };
    char line[512];
    buf_printf(&script,
               "set -e; export NETLAB_LABS=01 GITHUB_OUTPUT='%s/output' "
               "GITHUB_STEP_SUMMARY='%s/summary'\n",
               tmp, tmp);
    while (fgets(line, sizeof line, f) != NULL) {
        buf_puts(&text, line);
        const char *run = strstr(line, "run: ");
        if (run != NULL) {
            run += strlen("run: ");
            if (strncmp(run, "sudo ", 5) == 0)
                run += 5;
            buf_puts(&script, run);
        }
    }
    fclose(f);
    expect_workflow_wiring(text.data);
    cr_expect_not_null(strstr(script.data, "handouts/classroom/grade.sh"), "%s", script.data);

    struct cmd r = run_in(kit, script.data);
    cr_assert_eq(r.status, 0, "the workflow's steps failed:\n%s\n%s", script.data, r.out.data);
    cr_expect_not_null(strstr(r.out.data, "FAIL  01-hello/"),
                       "no failed check in the log:\n%s", r.out.data);
    /* The starters build, so every check ran: none fails for want of a
     * program (or of the kit's library, which the steps must build). */
    cr_expect_null(strstr(r.out.data, "could not run"), "a check did not run:\n%s",
                   r.out.data);
    buf_free(&r.out);

    buf_reset(&text);
    buf_printf(&text, "python3 -c '%s' '%s/output'", classroom_py, tmp);
    r = run_in(".", text.data);
    cr_assert_eq(r.status, 0, "the reporter's input is wrong:\n%s", r.out.data);
    char status[16] = "";
    int score = -1, max = -1, tests = -1;
    cr_assert_eq(sscanf(r.out.data, "%15s %d %d %d", status, &score, &max, &tests), 4, "%s",
                 r.out.data);
    cr_expect_str_eq(status, "fail", "the starters passed every check");
    int lab_points = points_of_lab_01(kit);
    cr_expect(max == lab_points && score < max && tests > 5, "lab 01 has %d points: %s",
              lab_points, r.out.data);
    buf_free(&r.out);

    buf_reset(&text);
    buf_printf(&text, "grep -q '^### netlab: [0-9]*/%d points' '%s/summary'", lab_points, tmp);
    r = run_in(".", text.data);
    cr_expect_eq(r.status, 0, "the job summary has no line of points");
    buf_free(&r.out);
    buf_free(&text);
    buf_free(&script);
}

Test(dist, the_copy_works_alone_and_under_classroom)
{
    char tmp[PATH_MAX], kit[PATH_MAX + 16];
    unpack_student_copy(tmp);
    snprintf(kit, sizeof kit, "%s/netlab", tmp);
    /* First, as on GitHub's runner: nothing built yet. */
    expect_classroom_points(tmp, kit);
    expect_builds(kit);
    expect_starters_graded_low(kit);
    expect_readme_and_help_true(kit);
    expect_own_tests_pass(kit);
    expect_no_hidden_check(kit);
    remove_tree(tmp);
}
