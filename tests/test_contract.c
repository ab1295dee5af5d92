/*
 * test_contract.c - each handout's contract is a checked list: its section
 * "The contract" numbers the lab's rules (1, 2, 3... through the section),
 * and each rule ends with one marker, "*Checked by `check`, `check`.*",
 * "*Checked by the instructor's grading.*" (a hidden check) or "*No check:
 * why.*".  A rule that names no check, a name that is no visible check of
 * the lab, and a visible check that enforces no rule all fail.  The
 * instructor's handbook lists, per lab, the rules no check enforces and
 * the hidden checks with the rule each enforces: those lists must match
 * the handouts (where the kit has the handbook and the hidden checks: the
 * students' copy has neither).
 *
 * Run from the top of the kit (make test does).
 */
#include <criterion/criterion.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "files.h"
#include "lab.h"

#define HANDBOOK "handouts/INSTRUCTORS.md"
#define MAX_RULES 128

enum marker { NO_MARKER, CHECKED, HIDDEN_CHECK, NO_CHECK };

struct rule {
    int number;
    struct buf text; /* its lines, joined */
    enum marker marker;
    int markers;      /* how many it has: exactly one is right */
    char checks[512]; /* "name\n" for each check a CHECKED names */
};

struct contract {
    struct rule rules[MAX_RULES];
    size_t n;
};

/* The body of the section "## TITLE" of TEXT (to the next "## "), copied;
 * NULL if there is none. */
static char *section(const char *text, const char *title)
{
    struct buf heading = { 0 };
    buf_printf(&heading, "\n## %s\n", title);
    const char *start = strstr(text, heading.data);
    buf_free(&heading);
    if (start == NULL)
        return NULL;
    start = strchr(start + 1, '\n') + 1;
    const char *end = strstr(start, "\n## ");
    size_t len = end != NULL ? (size_t)(end - start) : strlen(start);
    char *body = malloc(len + 1);
    cr_assert_not_null(body);
    memcpy(body, start, len);
    body[len] = '\0';
    return body;
}

/* The number of a rule that LINE starts ("12. ..."), or 0. */
static int rule_number(const char *line)
{
    if (!isdigit((unsigned char)line[0]))
        return 0;
    char *end;
    long n = strtol(line, &end, 10);
    return end[0] == '.' && end[1] == ' ' && n > 0 && n < 1000 ? (int)n : 0;
}

/* Records the marker that starts at M (just after its opening "*") in R. */
static void read_marker(struct rule *r, const char *m)
{
    static const char checked[] = "Checked by ",
                      hidden[] = "Checked by the instructor's grading.*",
                      none[] = "No check: ";
    r->markers++;
    if (strncmp(m, hidden, strlen(hidden)) == 0) {
        r->marker = HIDDEN_CHECK;
    } else if (strncmp(m, none, strlen(none)) == 0) {
        r->marker = NO_CHECK;
    } else if (strncmp(m, checked, strlen(checked)) == 0) {
        r->marker = CHECKED;
        const char *end = strstr(m, ".*");
        for (const char *p = m; end != NULL && (p = strchr(p, '`')) != NULL && p < end;) {
            const char *close = strchr(p + 1, '`');
            if (close == NULL || close > end)
                break;
            size_t used = strlen(r->checks);
            snprintf(r->checks + used, sizeof r->checks - used, "%.*s\n", (int)(close - p - 1),
                     p + 1);
            p = close + 1;
        }
    } else {
        r->markers--; /* emphasis of another kind */
    }
}

/*
 * Reads the rules of the contract BODY into C; what is wrong with their
 * numbering into WRONG.  A rule runs from its "N. " line to the next rule,
 * heading or unindented line; its markers are "*Checked by" and "*No
 * check:" anywhere in it, and may run over several lines.
 */
static void read_rules(const char *body, struct contract *c, struct buf *wrong)
{
    struct rule *r = NULL;
    bool in_code = false;
    for (const char *line = body; *line != '\0';) {
        const char *next = strchr(line, '\n');
        size_t len = next != NULL ? (size_t)(next - line) : strlen(line);
        char text[2048];
        snprintf(text, sizeof text, "%.*s", (int)(len < sizeof text ? len : sizeof text - 1),
                 line);
        if (strncmp(text, "```", 3) == 0)
            in_code = !in_code;
        int n = in_code ? 0 : rule_number(text);
        if (n > 0) {
            cr_assert_lt(c->n, (size_t)MAX_RULES);
            r = &c->rules[c->n++];
            r->number = n;
            if (n != (int)c->n)
                buf_printf(wrong, "\n  rule %d comes where rule %zu should", n, c->n);
        } else if (in_code || (text[0] != ' ' && text[0] != '\0')) {
            r = NULL; /* prose, a table or code between the rules */
        }
        if (r != NULL)
            buf_printf(&r->text, "%s ", text + strspn(text, " "));
        line = next != NULL ? next + 1 : line + len;
    }
    for (size_t i = 0; i < c->n; i++) {
        r = &c->rules[i];
        for (const char *m = r->text.data; m != NULL && (m = strchr(m, '*')) != NULL; m++)
            read_marker(r, m + 1);
        buf_free(&r->text);
    }
}

static bool names(const struct rule *r, const char *check)
{
    size_t len = strlen(check);
    for (const char *p = r->checks; (p = strstr(p, check)) != NULL; p += len)
        if ((p == r->checks || p[-1] == '\n') && p[len] == '\n')
            return true;
    return false;
}

/* What is wrong with LAB's contract C, into WRONG. */
static void judge_rules(const struct lab_def *lab, const struct contract *c, struct buf *wrong)
{
    size_t visible = lab->nchecks - lab->nhidden;
    if (c->n == 0)
        buf_puts(wrong, "\n  no numbered rule");
    for (size_t i = 0; i < c->n; i++) {
        const struct rule *r = &c->rules[i];
        if (r->markers != 1)
            buf_printf(wrong,
                       "\n  rule %d has %d markers, not one (*Checked by `...`.* or "
                       "*No check: why.*)",
                       r->number, r->markers);
        for (const char *p = r->checks; *p != '\0'; p = strchr(p, '\n') + 1) {
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)strcspn(p, "\n"), p);
            bool found = false;
            for (size_t k = 0; k < visible && !found; k++)
                found = strcmp(lab->checks[k].name, name) == 0;
            if (!found)
                buf_printf(wrong, "\n  rule %d names `%s`, no visible check of %s", r->number,
                           name, lab->id);
        }
    }
    for (size_t k = 0; k < visible; k++) {
        bool named = false;
        for (size_t i = 0; i < c->n && !named; i++)
            named = names(&c->rules[i], lab->checks[k].name);
        if (!named)
            buf_printf(wrong, "\n  the check `%s` enforces no rule", lab->checks[k].name);
    }
}

/* The handbook's list for LAB: its lines "- rule N: ..." under "### ID". */
static char *handbook_list(const char *handbook, const struct lab_def *lab)
{
    char *rules = section(handbook, "The contract's rules");
    cr_assert_not_null(rules, HANDBOOK " has no section \"The contract's rules\"");
    struct buf heading = { 0 };
    buf_printf(&heading, "\n### %s\n", lab->id);
    const char *start = strstr(rules, heading.data);
    cr_assert_not_null(start, HANDBOOK ": no \"### %s\" under \"The contract's rules\"",
                       lab->id);
    start += heading.len;
    const char *end = strstr(start, "\n### ");
    size_t len = end != NULL ? (size_t)(end - start) : strlen(start);
    char *list = strndup(start, len);
    cr_assert_not_null(list);
    buf_free(&heading);
    free(rules);
    return list;
}

/* Whether LIST has a line "- rule N: " that holds WHAT. */
static bool listed(const char *list, int n, const char *what)
{
    char head[32];
    snprintf(head, sizeof head, "- rule %d: ", n);
    for (const char *p = list; (p = strstr(p, head)) != NULL; p++) {
        size_t len = strcspn(p, "\n");
        if ((p == list || p[-1] == '\n') && memmem(p, len, what, strlen(what)) != NULL)
            return true;
    }
    return false;
}

/* The handbook lists LAB's rules without a check and its hidden checks,
 * each with the rule it enforces; nothing else, and nothing missing. */
static void judge_handbook(const struct lab_def *lab, const struct contract *c,
                           const char *handbook, struct buf *wrong)
{
    char *list = handbook_list(handbook, lab);
    size_t lines = 0;
    for (const char *p = list; (p = strstr(p, "- rule ")) != NULL; p++)
        lines += p == list || p[-1] == '\n';
    size_t wanted = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct rule *r = &c->rules[i];
        if (r->marker == NO_CHECK) {
            wanted++;
            if (!listed(list, r->number, "no check"))
                buf_printf(wrong, "\n  " HANDBOOK " does not list rule %d (no check)",
                           r->number);
        }
    }
    for (size_t k = lab->nchecks - lab->nhidden; k < lab->nchecks; k++) {
        struct buf what = { 0 };
        buf_printf(&what, "hidden check `%s`", lab->checks[k].name);
        bool found = false;
        for (size_t i = 0; i < c->n && !found; i++)
            found = c->rules[i].marker == HIDDEN_CHECK &&
                    listed(list, c->rules[i].number, what.data);
        if (!found)
            buf_printf(wrong,
                       "\n  " HANDBOOK " does not list the %s against a rule the "
                       "handout marks \"Checked by the instructor's grading\"",
                       what.data);
        wanted++;
        buf_free(&what);
    }
    for (size_t i = 0; i < c->n; i++)
        if (c->rules[i].marker == HIDDEN_CHECK &&
            !listed(list, c->rules[i].number, "hidden check `"))
            buf_printf(wrong, "\n  " HANDBOOK " names no hidden check for rule %d",
                       c->rules[i].number);
    if (lines != wanted)
        buf_printf(wrong, "\n  " HANDBOOK " lists %zu rules of %s, not %zu", lines, lab->id,
                   wanted);
    free(list);
}

Test(contract, every_rule_names_its_check_and_every_check_a_rule)
{
    char *handbook = read_text_file(HANDBOOK); /* NULL in the students' copy */
    struct buf wrong = { 0 };
    buf_puts(&wrong, "");
    for (const struct lab_def *const *lab = all_labs; *lab != NULL; lab++) {
        struct buf path = { 0 }, found = { 0 };
        buf_printf(&path, "handouts/%s.md", (*lab)->id);
        buf_puts(&found, "");
        char *text = read_text_file(path.data);
        cr_assert_not_null(text, "%s: %s", path.data, strerror(errno));
        char *body = section(text, "The contract");
        cr_assert_not_null(body, "%s has no section \"The contract\"", path.data);
        struct contract *c = calloc(1, sizeof *c);
        cr_assert_not_null(c);
        read_rules(body, c, &found);
        judge_rules(*lab, c, &found);
        if (handbook != NULL)
            judge_handbook(*lab, c, handbook, &found);
        if (found.len > 0)
            buf_printf(&wrong, "\n%s:%s", path.data, found.data);
        free(c);
        free(body);
        free(text);
        buf_free(&found);
        buf_free(&path);
    }
    cr_expect_eq(wrong.len, 0, "%s", wrong.data);
    buf_free(&wrong);
    free(handbook);
}

/* The reader itself, on a contract with one mistake of each kind. */
Test(contract, the_reader_finds_each_kind_of_mistake)
{
    static const struct check_def checks[] = {
        { .name = "alpha" },
        { .name = "beta" },
        { .name = "gamma" },
        { .name = "secret" },
    };
    const struct lab_def lab = {
        .id = "99-test", .checks = checks, .nchecks = 4, .nhidden = 1
    };
    const char *body = "**Group**\n\n"
                       "1. A rule checked by two, its marker over two lines.\n"
                       "   *Checked by `alpha`,\n"
                       "   `beta`.*\n"
                       "2. A rule with no marker.\n"
                       "\n"
                       "Prose between groups.\n"
                       "\n"
                       "4. A rule out of order, naming a hidden check.\n"
                       "   *Checked by `secret`.*\n"
                       "5. Two markers. *No check: why.* *Checked by `alpha`.*\n"
                       "```\n"
                       "6. not a rule: code\n"
                       "```\n";
    struct contract *c = calloc(1, sizeof *c);
    cr_assert_not_null(c);
    struct buf wrong = { 0 };
    buf_puts(&wrong, "");
    read_rules(body, c, &wrong);
    judge_rules(&lab, c, &wrong);
    cr_expect_eq(c->n, 4, "%zu rules read", c->n);
    cr_expect(names(&c->rules[0], "alpha") && names(&c->rules[0], "beta"), "%s",
              c->rules[0].checks);
    static const char *const found[] = {
        "rule 4 comes where rule 3 should",
        "rule 2 has 0 markers",
        "rule 5 has 2 markers",
        "rule 4 names `secret`, no visible check",
        "the check `gamma` enforces no rule",
    };
    for (size_t i = 0; i < sizeof found / sizeof found[0]; i++)
        cr_expect_not_null(strstr(wrong.data, found[i]), "missed \"%s\":%s", found[i],
                           wrong.data);
    cr_expect_null(strstr(wrong.data, "`beta` enforces no rule"), "%s", wrong.data);
    buf_free(&wrong);
    free(c);
}
