/*
 * files.h - for the kit's tests that make trees to grade: a program goes
 * into a tree as a copy, never as a symbolic link (the grader runs only a
 * regular file inside the lab folder), and so do a lab's sources; and
 * the text of a file, read whole; the entries of a folder, counted.
 * Header-only, as each test program is one C file.
 */
#ifndef NETLAB_TESTS_FILES_H
#define NETLAB_TESTS_FILES_H

#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

/* The whole text of the file PATH, NUL-terminated (free it), or NULL if it
 * cannot be opened. */
static inline char *read_text_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    struct buf b = { 0 };
    char chunk[4096];
    for (size_t n; (n = fread(chunk, 1, sizeof chunk, f)) > 0;)
        buf_append(&b, chunk, n);
    fclose(f);
    buf_puts(&b, "");
    return b.data;
}

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

/* Copies FROM's sources (C files, headers, `libs`) into the folder TO,
 * made if missing. */
static inline void copy_sources(const char *from, const char *to)
{
    cr_assert(mkdir(to, 0755) == 0 || errno == EEXIST, "%s: %s", to, strerror(errno));
    DIR *d = opendir(from);
    cr_assert_not_null(d, "%s: %s", from, strerror(errno));
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        bool source = (len > 2 && (strcmp(e->d_name + len - 2, ".c") == 0 ||
                                   strcmp(e->d_name + len - 2, ".h") == 0)) ||
                      strcmp(e->d_name, "libs") == 0;
        if (!source)
            continue;
        struct buf a = { 0 }, b = { 0 };
        buf_printf(&a, "%s/%s", from, e->d_name);
        buf_printf(&b, "%s/%s", to, e->d_name);
        copy_file(a.data, b.data);
        buf_free(&a);
        buf_free(&b);
    }
    closedir(d);
}

/* How many entries the folder DIR holds (not "." and ".."). */
static inline size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

#endif
