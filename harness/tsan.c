/*
 * tsan.c - the "no data race" checks of the threaded labs (check.h's
 * start_thread_sanitizer and expect_no_data_race).
 *
 * A data race rarely shows in what a server sends: the same server passes
 * every other check and corrupts its list on the day two clients leave at
 * once.  ThreadSanitizer sees it in any run where two threads touch the
 * same memory with no lock ordering them, so the grader builds the
 * server with it and runs the lab's concurrency checks against that
 * build.  The grader builds it itself, from the sources as the check found
 * them (a student could hand in any binary as "the TSan build"), and the
 * compiler runs as a program of the check: in its sandbox, as its user,
 * under its limits, with no network, writing only the check's folder.
 */
#include "tsan.h"
#include "core.h"
#include "slot.h"
#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

/* The kit's helper library, which every lab program is built with. */
static const char *const helper_files[] = { "netlab.c", "netlab.h" };

/* What the build and the reports are called in the check's folder. */
#define BUILT_SERVER "server-tsan"
#define REPORTS "tsan-report" /* ThreadSanitizer adds ".PID" */
#define RACE_HEADER "WARNING: ThreadSanitizer: data race"
/* How much of the compiler's complaint a not-testable message shows. */
#define COMPILER_LINES 6
/* How long a server may take to exit on SIGTERM once the scenario is over,
 * so that a report being written is whole. */
#define STOP_MS 2000

void keep_helper_library(struct check *c)
{
    for (size_t i = 0; c->hidden[0] != NULL && i < COUNT_OF(helper_files); i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/labs/common/%s", c->hidden[0], helper_files[i]);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        char chunk[8192];
        for (ssize_t n; fd >= 0 && (n = read(fd, chunk, sizeof chunk)) > 0;)
            buf_append(&c->helper_library[i], chunk, (size_t)n);
        if (fd >= 0)
            close(fd);
    }
}

/* Writes the helper library into FOLDER/common, for the compiler. */
static void write_helper_library(struct check *c, const char *folder)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/common", folder);
    if (mkdir(path, 0755) < 0)
        fail(c, "grader error: cannot create %s: %s", path, strerror(errno));
    for (size_t i = 0; i < COUNT_OF(helper_files); i++) {
        const struct buf *b = &c->helper_library[i];
        if (b->len == 0)
            fail(c, "grader error: the kit's labs/common/%s could not be read",
                 helper_files[i]);
        snprintf(path, sizeof path, "%s/common/%s", folder, helper_files[i]);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, b->data, b->len) != (ssize_t)b->len)
            fail(c, "grader error: cannot write %s: %s", path, strerror(errno));
        close(fd);
    }
}

/* Pushes S onto the argument list ARGS (N of at most MAX). */
static void push(const char **args, size_t *n, size_t max, const char *s)
{
    if (*n < max)
        args[(*n)++] = s;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lab folder's C files that the server is built from, in name order:
 * server.c and the code both programs share, as the kit's Makefile builds
 * it.  Not testable without server.c (a program in another language). */
static size_t server_sources(struct check *c, char **names, size_t max)
{
    int fd = c->lab_fd < 0 ? -1 : fcntl(c->lab_fd, F_DUPFD_CLOEXEC, 0);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (d == NULL)
        not_testable(c, "the lab folder cannot be read, so the grader cannot build its "
                        "server with ThreadSanitizer");
    size_t n = 0;
    bool has_server = false;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 3 || strcmp(e->d_name + len - 2, ".c") != 0 ||
            strcmp(e->d_name, "client.c") == 0 || n == max)
            continue;
        has_server |= strcmp(e->d_name, "server.c") == 0;
        names[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (!has_server)
        not_testable(c, "the lab folder has no server.c: only a server written in C is "
                        "built with ThreadSanitizer");
    qsort(names, n, sizeof *names, by_name);
    return n;
}

/* Appends the words of the lab folder's `libs` file (-lsqlite3 ...). */
static void push_libs(struct check *c, const char **args, size_t *n, size_t max)
{
    int fd = c->lab_fd < 0 ? -1 : open_regular(c->lab_fd, "libs", NULL);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "r");
    char word[256];
    for (int i = 0; f != NULL && i < 8 && fscanf(f, "%255s", word) == 1; i++)
        push(args, n, max, xstrdup(word));
    if (f != NULL)
        fclose(f);
}

/* Appends LINE (LEN bytes) of a report or of the compiler, without the
 * noise: addresses ("at 0x7b04..."), the binary's offsets
 * ("(server-tsan+0x1a2b)") and the lab folder's path before a file's
 * name; printable ASCII only. */
static void append_clean_line(struct check *c, struct buf *out, const char *line, size_t len)
{
    const char *lab = c->programs_dir ? c->programs_dir : c->lab_dir;
    size_t lab_len = strlen(lab);
    buf_puts(out, "  ");
    for (size_t i = 0; i < len && i < 300; i++) {
        if (strncmp(line + i, lab, lab_len) == 0 && line[i + lab_len] == '/')
            i += lab_len + 1;
        if (strncmp(line + i, " at 0x", 6) == 0)
            i += 6 + strspn(line + i + 6, "0123456789abcdef");
        if (i >= len ||
            strncmp(line + i, " (" BUILT_SERVER "+", strlen(BUILT_SERVER) + 3) == 0)
            break;
        char ch = line[i];
        buf_append(out, ch >= ' ' && ch <= '~' ? &ch : "?", 1);
    }
    buf_puts(out, "\n");
}

/* The first LINES lines of TEXT, cleaned. */
static void quote_lines(struct check *c, struct buf *out, const struct buf *text, int lines)
{
    const char *p = text->data ? text->data : "";
    for (int i = 0; i < lines && *p != '\0'; i++) {
        size_t len = strcspn(p, "\n");
        append_clean_line(c, out, p, len);
        p += len + (p[len] == '\n');
    }
    if (out->len > 0)
        out->data[--out->len] = '\0'; /* not_testable ends the line */
}

/* Compiles the server into the check's folder, as the kit's Makefile
 * would with -fsanitize=thread (and without -Werror: a warning is no
 * race). */
static void compile(struct check *c, const char *folder)
{
    const char *lab = c->programs_dir ? c->programs_dir : c->lab_dir;
    const char *args[60]; /* start_program's argv holds 63 */
    size_t n = 0, max = COUNT_OF(args);
    static const char *const flags[] = { "-std=c17", "-g", "-O1", "-fsanitize=thread",
                                         "-D_POSIX_C_SOURCE=200809L" };
    for (size_t i = 0; i < COUNT_OF(flags); i++)
        push(args, &n, max, flags[i]);
    struct buf include = { 0 };
    buf_printf(&include, "-I%s", lab);
    push(args, &n, max, include.data);
    push(args, &n, max, "-Icommon");
    push(args, &n, max, "-o");
    push(args, &n, max, BUILT_SERVER);
    char *names[32];
    size_t nsources = server_sources(c, names, COUNT_OF(names));
    for (size_t i = 0; i < nsources; i++) {
        struct buf source = { 0 };
        buf_printf(&source, "%s/%s", lab, names[i]);
        push(args, &n, max, source.data);
    }
    push(args, &n, max, "common/netlab.c");
    push_libs(c, args, &n, max);
    push(args, &n, max, "-pthread");

    write_helper_library(c, folder);
    struct program *cc = start_system_program(c, "/usr/bin/cc", args, n);
    if (!wait_exit(c, cc))
        not_testable(c, "the build of the server with ThreadSanitizer did not finish in "
                        "time");
    const struct buf *err = program_stderr(cc);
    if (exit_status(cc) != 0 && err->data != NULL &&
        (strstr(err->data, "libtsan") != NULL || strstr(err->data, "-ltsan") != NULL))
        fail(c,
             "grader error: this machine's compiler cannot build with -fsanitize=thread "
             "(on Debian, gcc brings libtsan): %.*s",
             (int)strcspn(err->data, "\n"), err->data);
    if (exit_status(cc) != 0) {
        struct buf why = { 0 };
        quote_lines(c, &why, program_stderr(cc), COMPILER_LINES);
        not_testable(c,
                     "the server's sources did not build with -fsanitize=thread, as the "
                     "kit's Makefile builds them (server.c, the lab folder's other C files "
                     "but client.c, labs/common):\n%s",
                     why.data);
    }
}

/* The text of every report ThreadSanitizer wrote into the check's folder,
 * and what the servers wrote on stderr (where a runtime that cannot start
 * may say so). */
static void read_reports(struct check *c, struct buf *out)
{
    for (size_t i = 0; i < c->nprograms; i++)
        if (strcmp(c->programs[i]->name, "server") == 0 && program_stderr(c->programs[i])->len)
            buf_append(out, program_stderr(c->programs[i])->data,
                       program_stderr(c->programs[i])->len);
    DIR *d = list_check_folder(c);
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        if (strncmp(e->d_name, REPORTS ".", strlen(REPORTS) + 1) != 0)
            continue;
        int fd = open_in_check_folder(c, e->d_name, NULL);
        char chunk[8192];
        for (ssize_t n; fd >= 0 && (n = read(fd, chunk, sizeof chunk)) > 0;)
            buf_append(out, chunk, (size_t)n);
        if (fd >= 0)
            close(fd);
    }
    if (d != NULL)
        closedir(d);
}

/* From the first data race of REPORTS, into OUT: each of the two accesses
 * ("Write of size 4 at ... by thread T2:") and the first frame under it
 * (the function, file:line), then what the memory is ("Location is global
 * 'count' ...").  False if no data race was reported. */
static bool first_race(struct check *c, const struct buf *reports, struct buf *out)
{
    const char *p = reports->data ? strstr(reports->data, RACE_HEADER) : NULL;
    if (p == NULL)
        return false;
    int accesses = 0;
    bool want_frame = false;
    for (p += strcspn(p, "\n"); *p == '\n';) {
        p++;
        size_t len = strcspn(p, "\n");
        const char *text = p + strspn(p, " ");
        bool heading = text == p + 2; /* frames are indented deeper */
        if (strncmp(text, "SUMMARY:", 8) == 0 || strncmp(p, "=====", 5) == 0)
            break;
        if (heading && strncmp(text, "Location is ", 12) == 0) {
            append_clean_line(c, out, p, len);
            break;
        }
        if (heading && accesses < 2 && memmem(p, len, " of size ", 9) != NULL) {
            append_clean_line(c, out, p, len);
            accesses++;
            want_frame = true;
        } else if (want_frame && strncmp(text, "#0 ", 3) == 0) {
            append_clean_line(c, out, p, len);
            want_frame = false;
        }
        p += len;
    }
    return true;
}

/* The servers exit (SIGTERM), so that no report is half written; one that
 * does not within STOP_MS is read as it is. */
static bool servers_ended(struct check *c, void *arg)
{
    (void)arg;
    for (size_t i = 0; i < c->nprograms; i++)
        if (strcmp(c->programs[i]->name, "server") == 0 && program_running(c->programs[i]))
            return false;
    return true;
}

static void stop_servers(struct check *c)
{
    for (size_t i = 0; i < c->nprograms; i++)
        if (strcmp(c->programs[i]->name, "server") == 0 && program_running(c->programs[i]))
            signal_program(c, c->programs[i], SIGTERM);
    wait_until(c, servers_ended, NULL, STOP_MS);
}

/* Fails the check with the first race reported, if any. */
static void fail_on_race(struct check *c)
{
    stop_servers(c);
    struct buf reports = { 0 }, race = { 0 };
    read_reports(c, &reports);
    if (first_race(c, &reports, &race))
        fail(c,
             "ThreadSanitizer found a data race in the server (the grader built it with "
             "-fsanitize=thread and ran the lab's concurrency checks against it): two "
             "threads touched the same memory, at least one of them writing, and no lock "
             "ordered them:\n%sEvery access to what threads share must hold its lock; "
             "build with -fsanitize=thread yourself to see the whole report.",
             race.data);
    /* The runtime could not start: the machine's fault, not the program's. */
    const char *fatal = reports.data ? strstr(reports.data, "FATAL: ThreadSanitizer") : NULL;
    if (fatal != NULL)
        fail(c, "grader error: ThreadSanitizer cannot run on this machine: %.*s",
             (int)strcspn(fatal, "\n"), fatal);
    buf_free(&reports);
}

/* A failure of the lab's checks against the build: a race may explain it;
 * else those checks judge it, not this one. */
static void scenario_failed(struct check *c, const char *message)
{
    if (strncmp(message, GRADER_ERROR, strlen(GRADER_ERROR)) == 0)
        return;
    fail_on_race(c);
    not_testable(c,
                 "the server built with ThreadSanitizer did not get through the lab's "
                 "concurrency checks, and no data race was reported before that; the "
                 "lab's other checks judge what went wrong: %.*s",
                 (int)strcspn(message, "\n"), message);
}

void start_thread_sanitizer(struct check *c)
{
    const char *folder = check_folder(c);
    compile(c, folder);
    static char options[4200];
    snprintf(options, sizeof options,
             "TSAN_OPTIONS=halt_on_error=0:exitcode=66:"
             "report_thread_leaks=0:report_signal_unsafe=0:log_path=%s/" REPORTS,
             folder);
    add_program_env(c, options);
    static char built[4200];
    snprintf(built, sizeof built, "%s/" BUILT_SERVER, folder);
    use_built_server(c, built);
    on_failure(c, scenario_failed);
}

void expect_no_data_race(struct check *c)
{
    on_failure(c, NULL);
    fail_on_race(c);
}
