/*
 * batch.c - grades submissions as a class (see batch.h): copy and build
 * each, run every check of every submission in one run of the runner,
 * then write each submission's reports and the class's gradebook and page.
 */
#include "batch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "interop.h"
#include "report.h"
#include "walk.h"

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether NAME of the open folder DIR is a folder or a link (not
 * followed: a link is a submission the copy refuses, saying why). */
static bool is_folder_or_link(int dir, const char *name)
{
    struct stat st;
    return fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode));
}

/* The names of DIR's folders and links, but for those beginning with a
 * dot, sorted; their number in *N.  NULL (with a message) if DIR cannot
 * be read. */
static char **folders_of(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "grade: cannot read %s: %s\n", dir, strerror(errno));
        return NULL;
    }
    char **names = xmalloc(sizeof *names);
    *n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] != '.' && is_folder_or_link(dirfd(d), e->d_name)) {
            names = xrealloc(names, (*n + 1) * sizeof *names);
            names[(*n)++] = xstrdup(e->d_name);
        }
    }
    closedir(d);
    qsort(names, *n, sizeof *names, compare_names);
    return names;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

size_t labs_in_class(const char *dir, const struct lab_def **labs, size_t max)
{
    size_t nsubs, nlabs = 0;
    char **subs = folders_of(dir, &nsubs);
    if (subs == NULL)
        return 0;
    int *fds = xcalloc(nsubs + 1, sizeof *fds);
    for (size_t i = 0; i < nsubs; i++) {
        struct buf path = { 0 };
        buf_printf(&path, "%s/%s", dir, subs[i]);
        fds[i] = open_folder(path.data, NULL); /* a link to one: -1 */
        buf_free(&path);
    }
    for (size_t l = 0; all_labs[l] != NULL && nlabs < max; l++) {
        bool found = false;
        for (size_t i = 0; i < nsubs && !found; i++)
            found = fds[i] >= 0 && is_folder_or_link(fds[i], all_labs[l]->id);
        if (found)
            labs[nlabs++] = all_labs[l];
    }
    for (size_t i = 0; i < nsubs; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(fds);
    free_names(subs, nsubs);
    return nlabs;
}

/* ---- Copy, build, grade --------------------------------------------------- */

/*
 * Names each submission's copy, and says whether builds and programs will
 * reach the copies (runner.h): where they cannot, nothing is copied or
 * built, and the message says why.
 */
static bool copies_reachable(const struct batch_setup *s, struct submission *subs, size_t n)
{
    const char **copies = xcalloc(n + 1, sizeof *copies);
    for (size_t i = 0; i < n; i++) {
        subs[i].copy = xmalloc(strlen(s->copies) + strlen(subs[i].name) + 2);
        sprintf(subs[i].copy, "%s/%s", s->copies, subs[i].name);
        copies[i] = subs[i].copy;
    }
    bool reachable = programs_can_reach(copies, n);
    free(copies);
    return reachable;
}

/* Copies each submission; a copy that fails fails the submission's labs. */
static void copy_all(const struct batch_setup *s, struct submission *subs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct submission *sub = &subs[i];
        sub->builds = xcalloc(s->nlabs, sizeof *sub->builds);
        sub->nbuilds = s->nlabs;
        struct buf err = { 0 };
        if (copy_submission(sub->path, sub->copy, s->build.kit_dir, s->labs, s->nlabs,
                            sub->builds, &err) == 0)
            continue;
        fprintf(stderr, "grade: ");
        put_text(stderr, err.data);
        fputc('\n', stderr);
        for (size_t l = 0; l < s->nlabs; l++) {
            if (sub->builds[l].state == BUILD_MISSING)
                continue;
            sub->builds[l].state = BUILD_FAILED;
            buf_printf(&sub->builds[l].log, "the grader could not copy the submission: %s\n",
                       err.data);
        }
        buf_free(&err);
    }
}

/* Builds every lab of every submission, several at once. */
static int build_all(const struct batch_setup *s, struct submission *subs, size_t n)
{
    struct lab_build **all = xcalloc(n * s->nlabs + 1, sizeof *all);
    size_t count = 0, pending = 0, failed = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t l = 0; l < s->nlabs; l++) {
            all[count] = &subs[i].builds[l];
            pending += all[count++]->state == BUILD_PENDING;
        }
    if (s->progress)
        fprintf(stderr, "grade: building %zu lab folder%s of %zu submission%s\n", pending,
                pending == 1 ? "" : "s", n, n == 1 ? "" : "s");
    int rc = build_labs(&s->build, all, count);
    for (size_t k = 0; k < count; k++)
        failed += all[k]->state == BUILD_FAILED;
    if (s->progress && failed > 0)
        fprintf(stderr, "grade: %zu lab folder%s did not build\n", failed,
                failed == 1 ? "" : "s");
    free(all);
    if (rc < 0)
        fprintf(stderr, "grade: interrupted; every build it started was stopped\n");
    return rc;
}

static const struct lab_build *build_of(const struct submission *sub,
                                        const struct batch_setup *s, const struct lab_def *lab)
{
    for (size_t l = 0; l < s->nlabs; l++)
        if (s->labs[l] == lab)
            return &sub->builds[l];
    return NULL;
}

/* Whether SUB's checks of LAB can run: the lab was copied and built. */
static bool can_run(const struct submission *sub, const struct batch_setup *s,
                    const struct lab_def *lab)
{
    const struct lab_build *b = build_of(sub, s, lab);
    return b != NULL && b->state == BUILD_OK;
}

/* Each submission's checks, from the plan; those of a lab missing or not
 * built fail here, with why. */
static void plan_all(const struct batch_setup *s, struct submission *subs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct submission *sub = &subs[i];
        sub->n = s->nplan;
        sub->results = xcalloc(s->nplan, sizeof *sub->results);
        for (size_t k = 0; k < s->nplan; k++) {
            struct check_result *r = &sub->results[k];
            *r = (struct check_result){ .lab = s->plan[k].lab,
                                        .def = s->plan[k].def,
                                        .impl_dir = sub->copy };
            if (can_run(sub, s, r->lab)) {
                sub->to_run++;
                continue;
            }
            const struct lab_build *b = build_of(sub, s, r->lab);
            r->message = b ? build_failure_message(b) : xstrdup("the lab was not copied\n");
            r->transcript = xstrdup(b && b->log.data ? b->log.data : "");
        }
    }
}

/* ---- Progress ----------------------------------------------------------- */

struct progress {
    struct submission *subs;
    size_t n, finished;
    bool terminal; /* a counter on one line, not a line each */
};

static void show_finished(struct progress *p, const struct submission *sub)
{
    p->finished++;
    if (p->terminal)
        return;
    struct points max = submission_points(sub, NULL);
    fprintf(stderr, "grade: [%zu/%zu] ", p->finished, p->n);
    put_text(stderr, sub->name);
    fprintf(stderr, ": %d/%d", sub->got_so_far, max.max - sub->error_points_so_far);
    if (sub->errors_so_far > 0)
        fprintf(stderr, ", %d %s not graded: grader error", sub->errors_so_far,
                plural_of(sub->errors_so_far, "check", "checks"));
    fputc('\n', stderr);
}

static void on_result(const struct check_result *r, size_t done, size_t total, void *arg)
{
    struct progress *p = arg;
    for (size_t i = 0; i < p->n; i++) {
        struct submission *sub = &p->subs[i];
        if (sub->copy != r->impl_dir)
            continue;
        sub->got_so_far += r->passed ? r->def->points : 0;
        sub->errors_so_far += r->grader_error;
        sub->error_points_so_far += r->grader_error ? r->def->points : 0;
        if (++sub->ended == sub->to_run)
            show_finished(p, sub);
    }
    if (p->terminal)
        fprintf(stderr, "\rgrade: %zu/%zu submissions graded (%zu/%zu checks)", p->finished,
                p->n, done, total);
}

/* Longest time limit first; then in the class's order. */
static int compare_limits(const void *a, const void *b)
{
    const struct check_result *x = *(struct check_result *const *)a;
    const struct check_result *y = *(struct check_result *const *)b;
    if (x->def->timeout_ms != y->def->timeout_ms)
        return x->def->timeout_ms > y->def->timeout_ms ? -1 : 1;
    return x < y ? -1 : x > y;
}

/*
 * Runs every check that can run, of every submission, in one run.  Those
 * that may take longest start first: the run then ends with short checks
 * filling the last slots, not with one long check after all the rest.
 */
static int run_all(const struct batch_setup *s, struct submission *subs, size_t n)
{
    struct progress p = { .subs = subs, .n = n, .terminal = isatty(STDERR_FILENO) };
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += subs[i].to_run;
    struct check_result **back = xcalloc(total + 1, sizeof *back);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < subs[i].n; j++)
            if (can_run(&subs[i], s, subs[i].results[j].lab))
                back[k++] = &subs[i].results[j];
        if (s->progress && subs[i].to_run == 0)
            show_finished(&p, &subs[i]);
    }
    qsort(back, total, sizeof *back, compare_limits);
    struct check_result *run = xcalloc(total + 1, sizeof *run);
    for (size_t j = 0; j < total; j++)
        run[j] = *back[j];
    struct run_options ro = s->run;
    if (s->progress) {
        ro.on_result = on_result;
        ro.on_result_arg = &p;
    }
    int rc = run_checks(&ro, run, total);
    if (s->progress && p.terminal)
        fputc('\n', stderr);
    for (size_t j = 0; j < total; j++)
        *back[j] = run[j]; /* its message and transcript move too */
    free(run);
    free(back);
    if (rc == RUN_INTERRUPTED)
        fprintf(stderr, "grade: interrupted; every program it started was stopped\n");
    return rc;
}

int grade_submissions(const struct batch_setup *s, struct submission *subs, size_t n)
{
    if (!copies_reachable(s, subs, n))
        return RUN_CANNOT_GRADE;
    copy_all(s, subs, n);
    if (build_all(s, subs, n) < 0)
        return RUN_INTERRUPTED;
    plan_all(s, subs, n);
    return run_all(s, subs, n);
}

void free_submissions(struct submission *subs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(subs[i].name);
        free(subs[i].path);
        free(subs[i].copy);
        if (subs[i].builds != NULL)
            free_builds(subs[i].builds, subs[i].nbuilds);
        free(subs[i].builds);
        free_results(subs[i].results, subs[i].n);
        free(subs[i].results);
    }
}

int grade_built_copy(struct batch_setup *s, const char *impl, struct check_result *results)
{
    const char *tmp = getenv("TMPDIR");
    char copies[PATH_MAX];
    snprintf(copies, sizeof copies, "%s/netlab-build-XXXXXX",
             tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
    /* Open to the build's user, who must reach the copy inside. */
    if (mkdtemp(copies) == NULL || chmod(copies, 0755) < 0) {
        fprintf(stderr, "grade: cannot make a folder to build in: %s\n", strerror(errno));
        return 1;
    }
    s->copies = s->build.hidden = copies;
    s->run.originals_dir = s->build.originals = impl;
    struct submission sub = { .name = xstrdup("submission"), .path = xstrdup(impl) };
    int rc = grade_submissions(s, &sub, 1);
    rc = rc < 0 ? run_exit_status(rc) : 0;
    for (size_t i = 0; i < s->nplan && sub.results != NULL; i++)
        results[i] = sub.results[i]; /* its message and transcript move too */
    free(sub.results);
    sub.results = NULL;
    sub.n = 0;
    free_submissions(&sub, 1);
    remove_folder(copies);
    return rc;
}

/* ---- A class's outputs -------------------------------------------------- */

/* Creates PATH and whatever parents it lacks.  0, or -1 with a message. */
static int make_folders(const char *path)
{
    char *p = xstrdup(path);
    int rc = 0;
    for (char *slash = p + 1; rc == 0 && (slash = strchr(slash, '/')) != NULL; slash++) {
        *slash = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            rc = -1;
        *slash = '/';
    }
    if (rc == 0 && mkdir(p, 0755) < 0 && errno != EEXIST)
        rc = -1;
    if (rc < 0)
        fprintf(stderr, "grade: cannot create %s: %s\n", path, strerror(errno));
    free(p);
    return rc;
}

/* DIR's submission folders, but for OUT if it is one of them. */
static struct submission *find_submissions(const char *dir, const char *out, size_t *n)
{
    size_t nnames;
    char **names = folders_of(dir, &nnames);
    if (names == NULL)
        return NULL;
    char out_real[PATH_MAX], real[PATH_MAX];
    bool have_out = realpath(out, out_real) != NULL;
    struct submission *subs = xcalloc(nnames + 1, sizeof *subs);
    *n = 0;
    for (size_t i = 0; i < nnames; i++) {
        struct buf path = { 0 };
        buf_printf(&path, "%s/%s", dir, names[i]);
        if (have_out && realpath(path.data, real) != NULL && strcmp(real, out_real) == 0) {
            buf_free(&path);
            continue; /* the grader's own output */
        }
        subs[*n].name = xstrdup(names[i]);
        subs[(*n)++].path = path.data;
    }
    free_names(names, nnames);
    return subs;
}

static FILE *create_file(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        fprintf(stderr, "grade: cannot write %s: %s\n", path, strerror(errno));
    return f;
}

/* Closes F, written as PATH; false (with a message) if it failed. */
static bool close_file(FILE *f, const char *path)
{
    if (fclose(f) == 0)
        return true;
    fprintf(stderr, "grade: cannot write %s: %s\n", path, strerror(errno));
    return false;
}

static void write_build_log(FILE *f, const struct submission *sub)
{
    static const char *const states[] = {
        [BUILD_MISSING] = "no folder",    [BUILD_PENDING] = "not built",  [BUILD_OK] = "built",
        [BUILD_FAILED] = "did not build", [BUILD_REFUSED] = "not graded",
    };
    for (size_t l = 0; l < sub->nbuilds; l++) {
        const struct lab_build *b = &sub->builds[l];
        fprintf(f, "%s== %s: %s\n", l ? "\n" : "", b->lab->id, states[b->state]);
        put_text(f, b->log.data ? b->log.data : "");
    }
}

/* Writes one of SUB's reports as DIR/NAME with WRITE. */
static bool write_one(const char *dir, const char *name, const struct report *r,
                      void (*write)(FILE *, const struct report *))
{
    struct buf path = { 0 };
    buf_printf(&path, "%s/%s", dir, name);
    FILE *f = create_file(path.data);
    bool ok = f != NULL;
    if (ok) {
        write(f, r);
        ok = close_file(f, path.data);
    }
    buf_free(&path);
    return ok;
}

/* OUT/submissions/NAME/: report.txt, results.json, build.log and
 * transcripts/LAB/CHECK.txt, made afresh. */
static bool write_submission(const char *out, const struct submission *sub, double seconds)
{
    struct buf dir = { 0 }, transcripts = { 0 }, log = { 0 };
    buf_printf(&dir, "%s/submissions/%s", out, sub->name);
    buf_printf(&transcripts, "%s/transcripts", dir.data);
    buf_printf(&log, "%s/build.log", dir.data);
    if (is_dir(dir.data))
        remove_folder(dir.data);
    bool ok = make_folders(dir.data) == 0;
    struct report r = {
        .impl = sub->name, .results = sub->results, .n = sub->n, .seconds = seconds
    };
    if (ok && save_transcripts(transcripts.data, sub->results, sub->n) == 0)
        r.transcripts = transcripts.data;
    ok = ok && write_one(dir.data, "report.txt", &r, write_text) &&
         write_one(dir.data, "results.json", &r, write_gradescope);
    FILE *f = ok ? create_file(log.data) : NULL;
    if (f != NULL) {
        write_build_log(f, sub);
        ok = close_file(f, log.data);
    }
    buf_free(&dir);
    buf_free(&transcripts);
    buf_free(&log);
    return ok && f != NULL;
}

/* OUT/gradebook.csv and OUT/class.html. */
static bool write_class(const char *out, const struct class_results *c)
{
    static const struct {
        const char *name;
        void (*write)(FILE *, const struct class_results *);
    } files[] = { { "gradebook.csv", write_gradebook }, { "class.html", write_class_html } };
    bool ok = true;
    for (size_t i = 0; i < COUNT_OF(files) && ok; i++) {
        struct buf path = { 0 };
        buf_printf(&path, "%s/%s", out, files[i].name);
        FILE *f = create_file(path.data);
        if ((ok = f != NULL)) {
            files[i].write(f, c);
            ok = close_file(f, path.data);
        }
        buf_free(&path);
    }
    return ok;
}

/* ---- Interoperability ---------------------------------------------------- */

/* Why SUB's LAB is left out of the matrix, or NULL: it was built. */
static const char *not_built(const struct submission *sub, const struct batch_setup *s,
                             const struct lab_def *lab)
{
    static const char *const states[] = {
        [BUILD_MISSING] = "no lab folder",
        [BUILD_PENDING] = "not built",
        [BUILD_FAILED] = "did not build",
        [BUILD_REFUSED] = "not graded",
    };
    const struct lab_build *b = build_of(sub, s, lab);
    return b == NULL ? "no lab folder" : b->state == BUILD_OK ? NULL : states[b->state];
}

/* The class's clients against each other's servers, into IO (interop.h):
 * after the grading, with the same sandbox and jobs; never scored. */
static int interop_class(const struct batch_setup *s, const struct submission *subs, size_t n,
                         struct interop *io)
{
    *io = (struct interop){ .lab = s->interop_lab,
                            .def = interop_check_of(s->interop_lab),
                            .n = n,
                            .sample = s->interop_sample };
    io->members = xcalloc(n + 1, sizeof *io->members);
    for (size_t i = 0; i < n; i++)
        io->members[i] = (struct interop_member){ .name = subs[i].name,
                                                  .copy = subs[i].copy,
                                                  .not_built = not_built(&subs[i], s,
                                                                         io->lab) };
    int rc = run_interop(io, &s->run);
    if (s->progress)
        fprintf(stderr, "grade: interop %s: %zu pair%s of clients and servers run\n",
                io->lab->id, io->npairs, io->npairs == 1 ? "" : "s");
    if (rc == RUN_INTERRUPTED)
        fprintf(stderr, "grade: interrupted; every program it started was stopped\n");
    return rc < 0 ? run_exit_status(rc) : 0;
}

/* OUT/interop/CLIENT/SERVER.txt: each pair's transcript, made afresh. */
static bool write_interop_transcripts(const char *out, const struct interop *io)
{
    struct buf dir = { 0 };
    buf_printf(&dir, "%s/interop", out);
    if (is_dir(dir.data))
        remove_folder(dir.data);
    bool ok = true;
    for (size_t p = 0; p < io->npairs && ok; p++) {
        struct buf client = { 0 }, path = { 0 };
        buf_printf(&client, "%s/%s", dir.data, io->members[io->pairs[p].client].name);
        buf_printf(&path, "%s/%s.txt", client.data, io->members[io->pairs[p].server].name);
        FILE *f = make_folders(client.data) == 0 ? create_file(path.data) : NULL;
        ok = f != NULL;
        if (ok) {
            put_text(f, io->results[p].transcript ? io->results[p].transcript : "");
            ok = close_file(f, path.data);
        }
        buf_free(&client);
        buf_free(&path);
    }
    buf_free(&dir);
    return ok;
}

/* OUT/interop.csv and each pair's transcript. */
static bool write_interop_files(const char *out, const struct interop *io)
{
    struct buf path = { 0 };
    buf_printf(&path, "%s/interop.csv", out);
    FILE *f = create_file(path.data);
    bool ok = f != NULL;
    if (ok) {
        write_interop_csv(f, io);
        ok = close_file(f, path.data);
    }
    buf_free(&path);
    return ok && write_interop_transcripts(out, io);
}

/* OUT/builds, where the copies go, as S's copies: absolute, hidden from
 * builds.  Returns it (to free), or NULL with a message. */
static char *prepare_copies(const char *out)
{
    struct buf copies = { 0 }, submissions = { 0 };
    buf_printf(&copies, "%s/builds", out);
    buf_printf(&submissions, "%s/submissions", out);
    char *real = NULL;
    if (make_folders(copies.data) == 0 && make_folders(submissions.data) == 0 &&
        (real = realpath(copies.data, NULL)) == NULL)
        fprintf(stderr, "grade: %s: %s\n", copies.data, strerror(errno));
    buf_free(&copies);
    buf_free(&submissions);
    return real;
}

int grade_batch(struct batch_setup *s, const char *dir, const char *out)
{
    char *copies = prepare_copies(out);
    if (copies == NULL)
        return 1;
    s->copies = s->build.hidden = copies;
    /* Programs and builds see neither the instructor's submissions nor the
     * other copies: only their own copy. */
    char *originals = realpath(dir, NULL);
    s->run.originals_dir = s->build.originals = originals;
    size_t n = 0;
    struct submission *subs = find_submissions(dir, out, &n);
    if (subs == NULL || n == 0) {
        if (subs != NULL)
            fprintf(stderr, "grade: %s holds no submission folder\n", dir);
        free(subs);
        free(copies);
        free(originals);
        return 2;
    }
    int64_t start = now_us();
    int rc = grade_submissions(s, subs, n);
    rc = rc < 0 ? run_exit_status(rc) : 0;
    double seconds = (double)(now_us() - start) / 1e6;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = write_submission(out, &subs[i], seconds) ? 0 : 1;
    struct interop io = { 0 };
    if (rc == 0 && s->interop_lab != NULL)
        rc = interop_class(s, subs, n, &io);
    struct class_results c = { .labs = s->labs,
                               .nlabs = s->nlabs,
                               .subs = subs,
                               .nsubs = n,
                               .seconds = seconds,
                               .interop = s->interop_lab != NULL ? &io : NULL,
                               .kit_dir = s->build.kit_dir };
    if (rc == 0 && s->interop_lab != NULL)
        rc = write_interop_files(out, &io) ? 0 : 1;
    if (rc == 0)
        rc = write_class(out, &c) ? 0 : 1;
    if (rc == 0)
        printf("graded %zu submissions in %.1f s: %s/gradebook.csv, %s/class.html\n", n,
               seconds, out, out);
    free_interop(&io);
    free(io.members);
    free_submissions(subs, n);
    free(subs);
    free(copies);
    free(originals);
    return rc;
}
