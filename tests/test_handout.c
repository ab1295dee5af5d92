/*
 * test_handout.c - the handout section a hint names (harness/handout.c)
 * and how HTML reports link to it (report.c's put_hint_link and
 * write_cited_sections).  Run from the top of the kit (make test does).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "handout.h"
#include "lab.h"
#include "report.h"
#include "unit.h"

TestSuite(handout, .init = ignore_sigpipe, .timeout = 10);

Test(handout, a_hint_reads_as_its_file_and_section)
{
    struct hint_ref ref;
    cr_assert(parse_hint("handouts/02-echo.md, section \"Pitfall: SIGPIPE\"", &ref));
    cr_assert_str_eq(ref.file, "handouts/02-echo.md");
    cr_assert_str_eq(ref.section, "Pitfall: SIGPIPE");
    char id[160];
    hint_anchor(&ref, id, sizeof id);
    cr_assert_str_eq(id, "handout-02-echo-pitfall-sigpipe");

    static const char *const bad[] = {
        "read the handout",
        "handouts/02-echo.md",
        "handouts/02-echo.md, section \"no end",
        "handouts/02-echo.md, section \"two\" \"quotes\"",
        "elsewhere/02-echo.md, section \"Goal\"",
        "handouts/02-echo.md, section \"\"",
    };
    for (size_t i = 0; i < COUNT_OF(bad); i++)
        cr_expect_not(parse_hint(bad[i], &ref), "%s", bad[i]);
    cr_expect_not(parse_hint(NULL, &ref));
}

/* An anchor is an id a browser takes whatever the section is called. */
Test(handout, an_anchor_is_letters_digits_and_dashes)
{
    struct hint_ref ref = { "handouts/06-login.md", "<script>\"Ünïcode\" & spaces  " };
    char id[160];
    hint_anchor(&ref, id, sizeof id);
    cr_assert_str_eq(id, "handout-06-login-script-n-code-spaces");
    char tiny[12];
    hint_anchor(&ref, tiny, sizeof tiny);
    cr_assert_str_eq(tiny, "handout-06", "cut short, it ends in no dash: %s", tiny);
}

/* Every hint of every check names a section the kit's handouts hold: its
 * heading first, and no heading of its level or above after it. */
Test(handout, every_checks_hint_section_can_be_read)
{
    for (size_t l = 0; all_labs[l] != NULL; l++)
        for (size_t i = 0; i < all_labs[l]->nchecks; i++) {
            const char *hint = all_labs[l]->checks[i].hint;
            struct hint_ref ref;
            cr_assert(parse_hint(hint, &ref), "%s", hint);
            struct buf text = { 0 }, why = { 0 };
            cr_assert_eq(read_handout_section(".", &ref, &text, &why), 0, "%s: %s", hint,
                         why.data);
            int level = (int)strspn(text.data, "#");
            cr_assert_gt(level, 0, "%s: %.40s", hint, text.data);
            for (const char *line = strchr(text.data, '\n'); line;
                 line = strchr(line + 1, '\n'))
                if (strspn(line + 1, "#") > 0 && line[1 + strspn(line + 1, "#")] == ' ')
                    cr_assert_gt((int)strspn(line + 1, "#"), level, "%s: %.40s", hint,
                                 line + 1);
            buf_free(&text);
            buf_free(&why);
        }
}

/* A kit in a temporary folder with one handout; returns its path. */
static char *kit_with_handout(const char *markdown)
{
    char *dir = strdup("/tmp/netlab-handout-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/handouts", dir);
    cr_assert_eq(mkdir(path, 0700), 0, "%s", strerror(errno));
    snprintf(path, sizeof path, "%s/handouts/99-test.md", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(markdown, f);
    cr_assert_eq(fclose(f), 0);
    return dir;
}

static void remove_kit(char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/handouts/99-test.md", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/handouts", dir);
    rmdir(path);
    rmdir(dir);
    free(dir);
}

/* A "#" line in a code block is code, not the next heading; a deeper
 * heading belongs to the section. */
Test(handout, a_section_ends_at_the_next_heading_of_its_level)
{
    char *kit = kit_with_handout("# Lab 99\n\n## Wanted\n\nbefore\n```sh\n# a comment\n```\n"
                                 "### Deeper\nstill in\n## Next\nnot in\n");
    struct hint_ref ref = { "handouts/99-test.md", "Wanted" };
    struct buf text = { 0 }, why = { 0 };
    cr_assert_eq(read_handout_section(kit, &ref, &text, &why), 0, "%s", why.data);
    cr_assert_str_eq(text.data,
                     "## Wanted\n\nbefore\n```sh\n# a comment\n```\n### Deeper\nstill in\n");
    buf_reset(&text);
    struct hint_ref missing = { "handouts/99-test.md", "Absent" };
    cr_assert_eq(read_handout_section(kit, &missing, &text, &why), -1);
    cr_assert_neq(strstr(why.data, "no heading \"Absent\""), NULL, "%s", why.data);
    buf_free(&text);
    buf_free(&why);
    remove_kit(kit);
}

/* A link and its section share one id; a section cited twice is shown
 * once; one that cannot be read keeps its id and says why; every text is
 * escaped. */
Test(handout, links_land_on_sections_shown_once)
{
    char *kit = kit_with_handout("## A <b> & c\ntext <i>\n## Other\n");
    const char *hints[] = { "handouts/99-test.md, section \"A <b> & c\"", NULL, "not a hint",
                            "handouts/99-test.md, section \"A <b> & c\"",
                            "handouts/99-test.md, section \"Gone\"" };
    char *html = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&html, &len);
    put_hint_link(f, hints[0]);
    write_cited_sections(f, kit, hints, COUNT_OF(hints));
    cr_assert_eq(fclose(f), 0);
    cr_assert_neq(strstr(html, "<a href=\"#handout-99-test-a-b-c\">"), NULL, "%s", html);
    const char *first = strstr(html, "id=\"handout-99-test-a-b-c\"");
    cr_assert_neq(first, NULL, "%s", html);
    cr_assert_eq(strstr(first + 1, "id=\"handout-99-test-a-b-c\""), NULL, "shown twice: %s",
                 html);
    cr_assert_neq(strstr(html, "text &lt;i&gt;"), NULL, "%s", html);
    cr_assert_eq(strstr(html, "<i>"), NULL, "%s", html);
    cr_assert_eq(strstr(html, "Other"), NULL, "the next section leaked in: %s", html);
    cr_assert_neq(strstr(html, "id=\"handout-99-test-gone\""), NULL, "%s", html);
    cr_assert_neq(strstr(html, "no heading"), NULL, "%s", html);
    free(html);
    remove_kit(kit);
}
