/*
 * test_lab.c - unit tests of the table of labs (harness/checks/, the lab
 * list): finding a lab, every lab and check well formed, every hint
 * pointing into its lab's handout, and each handout's rubric adding up to
 * its checks.  Run from the top of the kit (make test does).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "diagnoses.h"
#include "lab.h"
#include "unit.h"

TestSuite(lab, .init = ignore_sigpipe, .timeout = 10);

/* A lab's check by its name; NULL for a name the lab does not have. */
Test(lab, find_check_by_name)
{
    const struct lab_def *echo = find_lab("02-echo");
    cr_assert_not_null(echo);
    const struct check_def *def = find_check(echo, "binary-safe");
    cr_assert_not_null(def);
    cr_expect_str_eq(def->name, "binary-safe");
    cr_expect(def >= echo->checks && def < echo->checks + echo->nchecks);
    cr_expect_null(find_check(echo, "binary"));
    cr_expect_null(find_check(echo, ""));
}

Test(lab, find_lab_by_number_id_or_name)
{
    const struct lab_def *lab = find_lab("01");
    cr_assert_not_null(lab);
    cr_expect_str_eq(lab->id, "01-hello");
    cr_expect_eq(find_lab("01-hello"), lab);
    cr_expect_eq(find_lab("hello"), lab);
    cr_expect_eq(find_lab("02"), find_lab("echo"));
    cr_expect_neq(find_lab("02"), lab);
    cr_expect_null(find_lab("99"));
    cr_expect_null(find_lab(""));
    cr_expect_null(find_lab("1"));
    cr_expect_null(find_lab("01-"));
    cr_expect_null(find_lab("-hello"));
    cr_expect_null(find_lab("hell"));
}

static bool valid_name(const char *s)
{
    return *s != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(s);
}

Test(lab, every_lab_is_well_formed)
{
    size_t n = 0;
    for (size_t l = 0; all_labs[l] != NULL; l++, n++) {
        const struct lab_def *lab = all_labs[l];
        cr_expect(strlen(lab->id) > 3 && lab->id[0] >= '0' && lab->id[0] <= '9' &&
                      lab->id[1] >= '0' && lab->id[1] <= '9' && lab->id[2] == '-' &&
                      valid_name(lab->id),
                  "lab id %s: NN-name", lab->id);
        cr_expect_eq(find_lab(lab->id), lab, "%s", lab->id);
        cr_expect(lab->title != NULL && *lab->title, "%s: no title", lab->id);
        cr_expect_gt(lab->nchecks, 0, "%s: no checks", lab->id);
        if (l > 0)
            cr_expect_lt(strcmp(all_labs[l - 1]->id, lab->id), 0, "labs in order: %s, %s",
                         all_labs[l - 1]->id, lab->id);
    }
    cr_expect_geq(n, 2);
}

Test(lab, every_check_is_well_formed)
{
    for (size_t l = 0; all_labs[l] != NULL; l++) {
        const struct lab_def *lab = all_labs[l];
        for (size_t i = 0; i < lab->nchecks; i++) {
            const struct check_def *d = &lab->checks[i];
            cr_expect(valid_name(d->name), "%s/%s: names are [a-z0-9-]", lab->id, d->name);
            for (size_t k = 0; k < i; k++)
                cr_expect_str_neq(lab->checks[k].name, d->name, "%s: two checks named %s",
                                  lab->id, d->name);
            cr_expect_gt(d->points, 0, "%s/%s: points", lab->id, d->name);
            cr_expect(d->timeout_ms >= 500 && d->timeout_ms <= 30000, "%s/%s: timeout %d ms",
                      lab->id, d->name, d->timeout_ms);
            cr_expect(d->what != NULL && *d->what, "%s/%s: no rubric line", lab->id, d->name);
            cr_expect_not_null(d->run, "%s/%s: no function", lab->id, d->name);
        }
    }
}

/* Whether handouts/LAB.md has a Markdown heading that is exactly SECTION. */
static void expect_heading(const char *lab, const char *check, const char *section, size_t len)
{
    char path[300], line[512];
    snprintf(path, sizeof path, "handouts/%s.md", lab);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    bool found = false;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        char *text = line + strspn(line, "#");
        if (text == line || *text != ' ')
            continue;
        text++;
        text[strcspn(text, "\r\n")] = '\0';
        found = strlen(text) == len && strncmp(text, section, len) == 0;
    }
    fclose(f);
    cr_expect(found, "%s/%s: its hint names section \"%.*s\", which %s has no heading for",
              lab, check, (int)len, section, path);
}

/* The hint names a section of the lab's own handout, which exists:
 * handouts/NN-name.md, section "...". */
Test(lab, every_hint_points_into_the_labs_handout)
{
    for (size_t l = 0; all_labs[l] != NULL; l++) {
        const struct lab_def *lab = all_labs[l];
        char prefix[128];
        snprintf(prefix, sizeof prefix, "handouts/%s.md, section \"", lab->id);
        for (size_t i = 0; i < lab->nchecks; i++) {
            const char *h = lab->checks[i].hint;
            cr_assert_not_null(h, "%s/%s: no hint", lab->id, lab->checks[i].name);
            size_t len = strlen(h), plen = strlen(prefix);
            bool ok = len > plen + 1 && strncmp(h, prefix, plen) == 0 && h[len - 1] == '"' &&
                      memchr(h + plen, '"', len - plen - 1) == NULL;
            cr_expect(ok, "%s/%s: hint %s is not: %s...\"", lab->id, lab->checks[i].name, h,
                      prefix);
            if (ok)
                expect_heading(lab->id, lab->checks[i].name, h + plen, len - plen - 1);
        }
    }
}

/* A diagnosis's hint, like a check's, names a section of its lab's own
 * handout that exists; a diagnosis in the grader's core keeps the check's
 * hint (NULL), since it serves every lab. */
Test(lab, every_diagnosis_hint_points_into_the_labs_handout)
{
    struct diagnosis *d;
    size_t n = find_diagnoses(&d);
    for (size_t i = 0; i < n; i++) {
        cr_expect_str_neq(d[i].cause, "?",
                          "%s: a diagnose() call whose cause is not a string "
                          "literal or whose hint is neither HINT(\"...\") nor NULL",
                          d[i].file);
        if (d[i].lab[0] == '\0')
            cr_expect_eq(d[i].section[0], '\0',
                         "%s: diagnosis %s: the grader's core names "
                         "no lab's section",
                         d[i].file, d[i].cause);
        else if (d[i].section[0] != '\0')
            expect_heading(d[i].lab, d[i].cause, d[i].section, strlen(d[i].section));
    }
    free(d);
}

/* The handout's rubric lists every check with the grader's points, as a
 * table row "| `name` | points | ...": students plan by it.  A hidden
 * check it never names. */
Test(lab, every_handout_rubric_matches_the_checks)
{
    for (size_t l = 0; all_labs[l] != NULL; l++) {
        const struct lab_def *lab = all_labs[l];
        char path[300], line[1024];
        snprintf(path, sizeof path, "handouts/%s.md", lab->id);
        for (size_t i = 0; i < lab->nchecks; i++) {
            FILE *f = fopen(path, "r");
            cr_assert_not_null(f, "%s: %s", path, strerror(errno));
            char row[128];
            snprintf(row, sizeof row, "| `%s`", lab->checks[i].name);
            if (is_hidden(lab, &lab->checks[i])) {
                bool named = false; /* a hidden check stays a secret */
                while (!named && fgets(line, sizeof line, f) != NULL)
                    named = strstr(line, lab->checks[i].name) != NULL;
                fclose(f);
                cr_expect(!named, "%s names the hidden check %s", path, lab->checks[i].name);
                continue;
            }
            int points = -1;
            while (points < 0 && fgets(line, sizeof line, f) != NULL) {
                if (strncmp(line, row, strlen(row)) != 0)
                    continue;
                char *bar = strchr(line + strlen(row), '|');
                if (bar == NULL || sscanf(bar + 1, " %d", &points) != 1)
                    points = -2;
            }
            fclose(f);
            cr_expect_eq(points, lab->checks[i].points,
                         "%s: the rubric row of %s gives %d points, the grader %d "
                         "(-1: no row)",
                         path, lab->checks[i].name, points, lab->checks[i].points);
        }
        /* The total above the table ("31 points."): two merges that each
         * added a check left one stale. */
        int visible = 0, stated = -1;
        for (size_t i = 0; i < lab->nchecks; i++)
            if (!is_hidden(lab, &lab->checks[i]))
                visible += lab->checks[i].points;
        FILE *f = fopen(path, "r");
        cr_assert_not_null(f, "%s: %s", path, strerror(errno));
        bool in_rubric = false;
        while (stated < 0 && fgets(line, sizeof line, f) != NULL) {
            if (strncmp(line, "## ", 3) == 0)
                in_rubric = strcmp(line, "## Rubric\n") == 0;
            else if (in_rubric && sscanf(line, "%d points.", &stated) != 1)
                stated = -1;
        }
        fclose(f);
        cr_expect_eq(stated, visible,
                     "%s: the rubric says %d points, its checks add up to %d "
                     "(-1: no \"N points.\" line under \"## Rubric\")",
                     path, stated, visible);
    }
}

static void no_check(struct check *c)
{
    (void)c;
}

/* The version names the revision and digests the public rubric: a check
 * added (or its points changed) changes it, hidden checks only its "+h"
 * part, and only where a run includes them. */
Test(lab, the_rubric_version_changes_with_the_rubric)
{
    char before[RUBRIC_VERSION_SIZE], with_hidden[RUBRIC_VERSION_SIZE];
    char after[RUBRIC_VERSION_SIZE], after_hidden[RUBRIC_VERSION_SIZE];
    rubric_version(false, before);
    rubric_version(true, with_hidden);
    char prefix[16];
    snprintf(prefix, sizeof prefix, "r%d-", RUBRIC_REVISION);
    cr_assert_eq(strncmp(before, prefix, strlen(prefix)), 0, "%s", before);
    cr_assert_eq(strlen(before), strlen(prefix) + 8, "%s", before);
    cr_assert_eq(strncmp(with_hidden, before, strlen(before)), 0, "%s vs %s", with_hidden,
                 before);

    static const struct check_def hidden[] = {
        { "secret", 2, 1000, "a hidden check", "handouts/99-test.md, section \"x\"", no_check }
    };
    register_checks("99-rubric-test", NULL, hidden, 1, true);
    rubric_version(false, after);
    rubric_version(true, after_hidden);
    cr_assert_str_eq(after, before, "a hidden check changed the public version");
    cr_assert_neq(strstr(after_hidden, "+h"), NULL, "%s", after_hidden);
    cr_assert_str_neq(after_hidden, with_hidden);

    static const struct check_def visible[] = {
        { "public", 1, 1000, "a public check", "handouts/99-test.md, section \"x\"", no_check }
    };
    register_checks("99-rubric-test", "rubric test", visible, 1, false);
    rubric_version(false, after);
    cr_assert_str_neq(after, before, "a new public check left the version as it was");
}
