/*
 * files.h - for the kit's tests that make trees to grade: a program goes
 * into a tree as a copy, never as a symbolic link, since the grader runs
 * only a regular file inside the lab folder.  Header-only, as each test
 * program is one C file.
 */
#ifndef NETLAB_TESTS_FILES_H
#define NETLAB_TESTS_FILES_H

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Copies the file FROM to the new file TO, executable if FROM is. */
static inline void copy_file(const char *from, const char *to)
{
    struct stat st;
    cr_assert_eq(stat(from, &st), 0, "%s: %s (make test builds it)", from, strerror(errno));
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 0755);
    cr_assert(in >= 0 && out >= 0, "copy %s to %s: %s", from, to, strerror(errno));
    char chunk[65536];
    ssize_t n;
    while ((n = read(in, chunk, sizeof chunk)) > 0)
        cr_assert_eq(write(out, chunk, (size_t)n), n, "%s: %s", to, strerror(errno));
    cr_assert_eq(n, 0, "%s: %s", from, strerror(errno));
    close(in);
    cr_assert_eq(close(out), 0, "%s: %s", to, strerror(errno));
}

#endif
