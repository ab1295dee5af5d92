/*
 * handout.h - the section of a lab's handout that a hint names, so that an
 * HTML report can show it beside the failure and its link lands on it in a
 * browser, wherever the report is opened (the report carries the section:
 * a Markdown file shows no anchors).
 *
 * Every hint reads `handouts/NN-name.md, section "Heading"` (lab.h's HINT),
 * and the heading exists (make test checks it).
 */
#ifndef NETLAB_HANDOUT_H
#define NETLAB_HANDOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct hint_ref {
    char file[128];    /* "handouts/02-echo.md" */
    char section[256]; /* "Pitfall: SIGPIPE" */
};

/* Reads HINT into REF.  False if it is not in the form above (REF is then
 * undefined) or a part is longer than REF holds. */
bool parse_hint(const char *hint, struct hint_ref *ref);

/* An HTML id for REF's section, made of [a-z0-9-] only, the same for the
 * same section wherever it is cited: "handout-02-echo-pitfall-sigpipe". */
void hint_anchor(const struct hint_ref *ref, char *id, size_t size);

/* Appends to TEXT the section REF names, read from KIT_DIR/REF->file: its
 * heading line and every line after it up to the next heading of the same
 * level or above (a "#" line inside a ``` block is no heading).  Returns 0,
 * or -1 with why in WHY (the file unreadable, no such heading). */
int read_handout_section(const char *kit_dir, const struct hint_ref *ref, struct buf *text,
                         struct buf *why);

#endif
