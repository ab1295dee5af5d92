/*
 * test_handouts.c - the handouts teach; they do not hand out the answer.
 * A handout may show a call, a fragment of a few lines that makes one
 * point, or the steps in words, but not the solution's loop: a student who
 * pastes a handout's code must still have the lab's work to do.  So a
 * handout's fenced code block fails when it shares a run of SHARED_RUN
 * statements in a row with a solution or labs/common (compared without
 * white space, comments, braces and #include lines, so that a copy laid out
 * anew is still a copy), and a block of C fails when it holds more than
 * MAX_C_LINES lines of code.
 *
 * Instructor-only (the students' copy has no solutions/).  Run from the top
 * of the kit (make test does).
 */
#include <criterion/criterion.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "files.h"
#include "lab.h"

#define SHARED_RUN 3  /* statements in a row that make a copy */
#define MAX_C_LINES 8 /* lines of code a C block may hold */
#define MAX_STMTS 8192

/*
 * Code, normalised: what a copy keeps however it is laid out.  The text is
 * cut into statements (after each ';' outside parentheses, '{' and '}'),
 * without white space
 * outside strings, comments, braces and #include lines; a statement that
 * says nothing of its own ("else", "();") is left out.
 */
struct code {
    char *stmt[MAX_STMTS]; /* the statements, normalised */
    int number[MAX_STMTS]; /* the line each starts on */
    size_t n;
    size_t lines;       /* lines that hold code, braces aside */
    size_t c_like;      /* of those, the ones that end in ';', '{' or '}' */
    struct buf pending; /* the statement being read */
    int depth;          /* of parentheses in it: a for's ';' goes on */
    int pending_number;
    bool in_comment; /* inside a block comment */
};

/* Whether the normalised statement S says nothing of its own. */
static bool trivial(const char *s)
{
    static const char *const words[] = { "", "else", "do" };
    size_t bare = strspn(s, "();,");
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(s + bare, words[i]) == 0)
            return true;
    return false;
}

/* Ends the statement being read in C. */
static void end_statement(struct code *c)
{
    if (c->pending.len > 0 && !trivial(c->pending.data)) {
        cr_assert_lt(c->n, (size_t)MAX_STMTS);
        c->stmt[c->n] = strdup(c->pending.data);
        cr_assert_not_null(c->stmt[c->n]);
        c->number[c->n++] = c->pending_number;
    }
    buf_reset(&c->pending);
    buf_puts(&c->pending, "");
    c->depth = 0;
}

/* Adds the character at S to the statement being read, numbered NUMBER. */
static void add_char(struct code *c, const char *s, int number)
{
    if (c->pending.len == 0)
        c->pending_number = number;
    buf_append(&c->pending, s, 1);
}

/* Reads the line of LEN bytes at S, numbered NUMBER, into C. */
static void add_line(struct code *c, const char *s, size_t len, int number)
{
    if (c->pending.data == NULL)
        buf_puts(&c->pending, "");
    size_t lead = strspn(s, " \t");
    if (!c->in_comment && len - lead >= 8 && strncmp(s + lead, "#include", 8) == 0)
        return;
    bool code = false;
    char quote = 0, last = 0;
    for (size_t i = 0; i < len; i++) {
        if (c->in_comment) {
            if (s[i] == '*' && i + 1 < len && s[i + 1] == '/') {
                c->in_comment = false;
                i++;
            }
        } else if (quote != 0) {
            add_char(c, &s[i], number);
            if (s[i] == '\\' && i + 1 < len)
                add_char(c, &s[++i], number);
            else if (s[i] == quote)
                quote = 0;
        } else if (s[i] == '/' && i + 1 < len && s[i + 1] == '/') {
            break;
        } else if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
            c->in_comment = true;
            i++;
        } else if (s[i] == '{' || s[i] == '}') {
            last = s[i];
            end_statement(c);
        } else if (!isspace((unsigned char)s[i])) {
            code = true;
            last = s[i];
            if (s[i] == '"' || s[i] == '\'')
                quote = s[i];
            add_char(c, &s[i], number);
            c->depth += (s[i] == '(') - (s[i] == ')');
            if (s[i] == ';' && c->depth <= 0)
                end_statement(c);
        }
    }
    c->lines += code;
    c->c_like += code && (last == ';' || last == '{' || last == '}');
}

/* Reads the lines of TEXT from FROM to TO (exclusive) into C, the first
 * numbered FIRST. */
static void read_code(struct code *c, const char *from, const char *to, int first)
{
    for (const char *line = from; line < to; first++) {
        const char *next = memchr(line, '\n', (size_t)(to - line));
        size_t len = next != NULL ? (size_t)(next - line) : (size_t)(to - line);
        add_line(c, line, len, first);
        line = next != NULL ? next + 1 : to;
    }
    end_statement(c);
    c->in_comment = false;
}

static void free_code(struct code *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->stmt[i]);
    c->n = 0;
    buf_free(&c->pending);
}

/* A source the handouts must not copy: its path and its code. */
struct source {
    char path[512];
    struct code code;
};

struct sources {
    struct source *s;
    size_t n;
};

static void add_source(struct sources *all, const char *path)
{
    char *text = read_text_file(path);
    cr_assert_not_null(text, "%s: %s", path, strerror(errno));
    all->s = realloc(all->s, (all->n + 1) * sizeof *all->s);
    cr_assert_not_null(all->s);
    struct source *s = &all->s[all->n++];
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", path);
    read_code(&s->code, text, text + strlen(text), 1);
    free(text);
}

/* Adds the .c and .h files of DIR to ALL; false if DIR does not exist. */
static bool add_dir(struct sources *all, const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return false;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len > 2 && e->d_name[len - 2] == '.' &&
            (e->d_name[len - 1] == 'c' || e->d_name[len - 1] == 'h')) {
            char path[512];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            add_source(all, path);
        }
    }
    closedir(d);
    return true;
}

/* Whether the block's code, tagged TAG, is C: tagged so, or untagged with
 * most of its lines ending as statements and blocks do. */
static bool is_c(const char *tag, const struct code *c)
{
    if (strcmp(tag, "c") == 0 || strcmp(tag, "C") == 0 || strcmp(tag, "h") == 0)
        return true;
    return tag[0] == '\0' && c->c_like * 2 > c->lines;
}

/* Whether statements I.. of A and J.. of B are the same for SHARED_RUN of them. */
static bool same_run(const struct code *a, size_t i, const struct code *b, size_t j)
{
    if (i + SHARED_RUN > a->n || j + SHARED_RUN > b->n)
        return false;
    for (size_t k = 0; k < SHARED_RUN; k++)
        if (strcmp(a->stmt[i + k], b->stmt[j + k]) != 0)
            return false;
    return true;
}

/* What is wrong with BLOCK (tagged TAG, at line AT of WHERE) into WRONG:
 * a run it shares with a source, or too many lines of C. */
static void judge_block(const char *where, int at, const char *tag, const struct code *block,
                        const struct sources *all, struct buf *wrong)
{
    if (is_c(tag, block) && block->lines > MAX_C_LINES)
        buf_printf(wrong,
                   "\n  %s: the code block at line %d holds %zu lines of C (at most %d): show "
                   "a call or a fragment that makes one point, and the steps in words",
                   where, at, block->lines, MAX_C_LINES);
    for (size_t i = 0; i < block->n; i++)
        for (size_t s = 0; s < all->n; s++)
            for (size_t j = 0; j < all->s[s].code.n; j++)
                if (same_run(block, i, &all->s[s].code, j)) {
                    buf_printf(wrong,
                               "\n  %s: the code block at line %d has lines %d-%d as they "
                               "stand in %s (lines %d-%d, \"%s\"): explain the idea, do not "
                               "hand out the solution's code",
                               where, at, block->number[i], block->number[i + SHARED_RUN - 1],
                               all->s[s].path, all->s[s].code.number[j],
                               all->s[s].code.number[j + SHARED_RUN - 1], block->stmt[i]);
                    return; /* one run tells the author where to look */
                }
}

/* The fence that LINE is ("```", indented or not, as in a list item),
 * or NULL. */
static const char *fence(const char *line)
{
    line += strspn(line, " ");
    return strncmp(line, "```", 3) == 0 ? line : NULL;
}

/* Judges each fenced code block of the Markdown TEXT (read from WHERE). */
static void judge_handout(const char *where, const char *text, const struct sources *all,
                          struct buf *wrong)
{
    struct code block = { 0 };
    const char *open = NULL; /* the fence of the block we are in */
    char tag[32] = "";
    int number = 1, at = 0;
    for (const char *line = text; *line != '\0'; number++) {
        const char *next = strchr(line, '\n');
        size_t len = next != NULL ? (size_t)(next - line) : strlen(line);
        const char *f = fence(line);
        if (f != NULL && open == NULL) {
            open = f;
            at = number;
            size_t taglen = strcspn(f + 3, " \n");
            snprintf(tag, sizeof tag, "%.*s",
                     (int)(taglen < sizeof tag ? taglen : sizeof tag - 1), f + 3);
        } else if (f != NULL) {
            end_statement(&block);
            judge_block(where, at, tag, &block, all, wrong);
            free_code(&block);
            block = (struct code){ 0 };
            open = NULL;
        } else if (open != NULL) {
            add_line(&block, line, len, number);
        }
        line = next != NULL ? next + 1 : line + len;
    }
    free_code(&block);
}

static void free_sources(struct sources *all)
{
    for (size_t i = 0; i < all->n; i++)
        free_code(&all->s[i].code);
    free(all->s);
}

Test(handouts, code_blocks_teach_and_do_not_copy_the_solutions)
{
    struct sources all = { 0 };
    cr_assert(add_dir(&all, "labs/common"), "labs/common: %s", strerror(errno));
    bool have_solutions = false;
    for (const struct lab_def *const *lab = all_labs; *lab != NULL; lab++) {
        char dir[256];
        snprintf(dir, sizeof dir, "solutions/%s", (*lab)->id);
        have_solutions |= add_dir(&all, dir);
    }
    cr_assert(have_solutions, "no solutions/ to compare the handouts with: run from the kit");
    struct buf wrong = { 0 };
    buf_puts(&wrong, "");
    for (const struct lab_def *const *lab = all_labs; *lab != NULL; lab++) {
        char path[256];
        snprintf(path, sizeof path, "handouts/%s.md", (*lab)->id);
        char *text = read_text_file(path);
        cr_assert_not_null(text, "%s: %s", path, strerror(errno));
        judge_handout(path, text, &all, &wrong);
        free(text);
    }
    cr_expect_eq(wrong.len, 0, "%s", wrong.data);
    buf_free(&wrong);
    free_sources(&all);
}

/* The judge itself: a pasted loop and a long block fail, however laid out;
 * a short fragment, a transcript and a Python block pass. */
Test(handouts, the_judge_finds_a_copy_and_a_long_block)
{
    static const char source[] = "#include <stdio.h>\n"
                                 "static int f(int fd)\n"
                                 "{\n"
                                 "    while (len > 0) {   /* until all is sent */\n"
                                 "        ssize_t n = send(fd, p, len, 0);\n"
                                 "        if (n == -1)\n"
                                 "            return -1;\n"
                                 "        p += n;\n"
                                 "    }\n"
                                 "}\n";
    static const char handout[] =
        "# A handout\n"
        "```c\n"
        "while (len > 0)\n"
        "{\n"
        "  ssize_t n = send(fd,p,len,0); // the copy, laid out anew\n"
        "  if (n == -1) return -1;\n"
        "```\n"
        "Prose.\n"
        "```\n"
        "a=1;\nb=2;\nc=3;\nd=4;\ne=5;\nf=6;\ng=7;\nh=8;\ni=9;\n"
        "```\n"
        "  ```c\n"
        "  ssize_t n = send(fd, p, len, 0);\n"
        "  p += n;   /* one point: a short count moves the pointer */\n"
        "  ```\n"
        "```python\n"
        "while (len > 0) {\n"
        "ssize_t n = send(fd, p, len, 0);\n"
        "```\n";
    struct sources all = { 0 };
    all.s = calloc(1, sizeof *all.s);
    cr_assert_not_null(all.s);
    all.n = 1;
    snprintf(all.s[0].path, sizeof all.s[0].path, "source.c");
    read_code(&all.s[0].code, source, source + strlen(source), 1);
    cr_expect_eq(all.s[0].code.n, 5, "%zu statements read", all.s[0].code.n);
    struct buf wrong = { 0 };
    buf_puts(&wrong, "");
    judge_handout("h.md", handout, &all, &wrong);
    static const char *const found[] = {
        "h.md: the code block at line 2 has lines 3-6 as they stand in source.c (lines 4-6",
        "h.md: the code block at line 9 holds 9 lines of C (at most 8)",
    };
    for (size_t i = 0; i < sizeof found / sizeof found[0]; i++)
        cr_expect_not_null(strstr(wrong.data, found[i]), "missed \"%s\":%s", found[i],
                           wrong.data);
    cr_expect_null(strstr(wrong.data, "line 20"), "%s", wrong.data);
    cr_expect_null(strstr(wrong.data, "line 24"), "%s", wrong.data);
    buf_free(&wrong);
    free_sources(&all);
}
