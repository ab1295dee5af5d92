/*
 * folder.c - the check's folder (check.h's check_folder): made on first
 * use, in the check's own /tmp where it has one, given to the programs'
 * user (sandbox.c), and read through the descriptor it was made with,
 * never through a path that its programs may have changed.  The check's
 * end removes it (checkrun.c).
 */
#include "check.h"
#include "core.h"
#include "sandbox.h"
#include "slot.h"
#include "walk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *check_folder(struct check *c)
{
    if (c->folder == NULL) {
        /* A private /tmp vanishes with the check: nothing to clean up. */
        const char *tmp = c->sandbox.private_mounts ? NULL : getenv("TMPDIR");
        if (tmp == NULL || *tmp == '\0')
            tmp = "/tmp";
        struct buf path = { 0 };
        buf_printf(&path, "%s/netlab-check-XXXXXX", tmp);
        if (mkdtemp(path.data) == NULL)
            fail(c, "grader error: cannot create a folder in %s: %s", tmp, strerror(errno));
        /* Held from before any program runs in it: what they leave is
         * read from here, not through a path they may have changed. */
        c->folder_fd = open(path.data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (c->folder_fd < 0)
            fail(c, "grader error: cannot open %s: %s", path.data, strerror(errno));
        c->folder = path.data;
        if (!c->sandbox.private_mounts)
            snprintf(c->slot->folder, sizeof c->slot->folder, "%s", c->folder);
        sandbox_claim_folder(c, c->folder);
        note(c, "the check's folder: %s", c->folder);
    }
    return c->folder;
}

int open_in_check_folder(struct check *c, const char *name, struct buf *why)
{
    check_folder(c);
    return open_regular(c->folder_fd, name, why);
}

DIR *list_check_folder(struct check *c)
{
    check_folder(c);
    int fd = fcntl(c->folder_fd, F_DUPFD_CLOEXEC, 0);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (d == NULL && fd >= 0)
        close(fd);
    return d;
}

const char *client_folder(struct check *c)
{
    if (c->client_folder == NULL) {
        /* In the check's private /tmp (an interop check always has one):
         * it vanishes with the check. */
        struct buf path = { 0 };
        buf_puts(&path, "/tmp/netlab-client-XXXXXX");
        if (mkdtemp(path.data) == NULL)
            fail(c, "grader error: cannot create a folder in /tmp: %s", strerror(errno));
        c->client_folder = path.data;
        sandbox_give_folder(c, c->client_folder, c->sandbox.client_uid);
        note(c, "the client's folder: %s", c->client_folder);
    }
    return c->client_folder;
}
