/* handout.c - the section of a lab's handout that a hint names. */
#include "handout.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SECTION_MARK ", section \""

bool parse_hint(const char *hint, struct hint_ref *ref)
{
    if (hint == NULL || strncmp(hint, "handouts/", 9) != 0)
        return false;
    const char *mark = strstr(hint, SECTION_MARK);
    if (mark == NULL)
        return false;
    const char *section = mark + strlen(SECTION_MARK);
    size_t file_len = (size_t)(mark - hint), section_len = strlen(section);
    if (section_len < 2 || section[section_len - 1] != '"' ||
        memchr(section, '"', section_len - 1) != NULL || file_len >= sizeof ref->file ||
        section_len - 1 >= sizeof ref->section)
        return false;
    memcpy(ref->file, hint, file_len);
    ref->file[file_len] = '\0';
    memcpy(ref->section, section, section_len - 1);
    ref->section[section_len - 1] = '\0';
    return true;
}

/* Appends S to ID as lower-case letters and digits, each run of anything
 * else one '-'.  Returns the new length. */
static size_t append_slug(char *id, size_t len, size_t size, const char *s)
{
    bool dash = len > 0 && id[len - 1] == '-';
    for (; *s && len + 1 < size; s++) {
        unsigned char ch = (unsigned char)*s;
        if (isascii(ch) && isalnum(ch)) {
            id[len++] = (char)tolower(ch);
            dash = false;
        } else if (!dash) {
            id[len++] = '-';
            dash = true;
        }
    }
    id[len] = '\0';
    return len;
}

void hint_anchor(const struct hint_ref *ref, char *id, size_t size)
{
    if (size == 0)
        return;
    const char *file = ref->file;
    if (strncmp(file, "handouts/", 9) == 0)
        file += 9;
    size_t len = append_slug(id, 0, size, "handout-");
    size_t dot = strcspn(file, ".");
    char stem[sizeof ref->file];
    snprintf(stem, sizeof stem, "%.*s", (int)dot, file);
    len = append_slug(id, len, size, stem);
    len = append_slug(id, len, size, "-");
    len = append_slug(id, len, size, ref->section);
    while (len > 0 && id[len - 1] == '-')
        id[--len] = '\0';
}

/* The level of LINE's Markdown heading ("## Goal" is 2), or 0 if none. */
static int heading_level(const char *line)
{
    size_t hashes = strspn(line, "#");
    return hashes > 0 && hashes <= 6 && line[hashes] == ' ' ? (int)hashes : 0;
}

/* Whether LINE (its end of line removed) is the heading of SECTION. */
static bool is_heading_of(const char *line, const char *section)
{
    int level = heading_level(line);
    return level > 0 && strcmp(line + level + 1, section) == 0;
}

int read_handout_section(const char *kit_dir, const struct hint_ref *ref, struct buf *text,
                         struct buf *why)
{
    struct buf path = { 0 };
    buf_printf(&path, "%s/%s", kit_dir, ref->file);
    FILE *f = fopen(path.data, "r");
    if (f == NULL) {
        buf_printf(why, "cannot read %s: %s", ref->file, strerror(errno));
        buf_free(&path);
        return -1;
    }
    char line[1024];
    bool fenced = false, at_start = true;
    int level = 0; /* the section's, once found */
    while (fgets(line, sizeof line, f) != NULL) {
        size_t len = strcspn(line, "\r\n");
        bool whole = line[len] != '\0', starts = at_start;
        line[len] = '\0';
        at_start = whole; /* a longer line goes on in the next piece */
        if (starts && strncmp(line, "```", 3) == 0)
            fenced = !fenced;
        int here = fenced || !starts ? 0 : heading_level(line);
        if (level > 0 && here > 0 && here <= level)
            break;
        if (level == 0 && here > 0 && is_heading_of(line, ref->section))
            level = here;
        if (level > 0)
            buf_printf(text, whole ? "%s\n" : "%s", line);
    }
    fclose(f);
    buf_free(&path);
    if (level == 0) {
        buf_printf(why, "%s has no heading \"%s\"", ref->file, ref->section);
        return -1;
    }
    return 0;
}
