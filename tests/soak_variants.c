/*
 * soak_variants.c - one grading of every known-buggy variant, for make soak
 * (mk/soak.sh): all their checks in one run and each variant judged against
 * its expect file, exactly as test_grading does (variant.h).  Prints one
 * line per disagreement,
 *     LAB/BUG <TAB> CHECK <TAB> WHAT: MESSAGE
 * (the first line of the check's message, as a JUnit report has it; the
 * transcript has the rest), then "graded <TAB> VARIANTS <TAB> CHECKS".
 * --transcripts DIR keeps each disagreeing check's transcript as
 * DIR/BUG/LAB/CHECK.txt; --build DIR names the build folder holding the
 * variants' programs (build).  Exit status: 0 when every variant is as its
 * expect file says, 1 when one is not, 2 on an error, 130 when interrupted.
 * Usage: soak_variants [--jobs N] [--build DIR] [--transcripts DIR]
 *        (from the top of the kit, once make test's build is done)
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "report.h"
#include "runner.h"
#include "variant.h"

/* As test_grading grades them. */
#define DEFAULT_JOBS 8

struct options {
    int jobs;
    const char *build;       /* holding variants/LAB/BUG/ */
    const char *transcripts; /* or NULL */
};

static void usage(FILE *f)
{
    fputs("usage: soak_variants [--jobs N] [--build DIR] [--transcripts DIR]\n", f);
}

/* Returns 0, or 2 after saying what is wrong. */
static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longs[] = {
        { "jobs", required_argument, NULL, 'j' },
        { "build", required_argument, NULL, 'b' },
        { "transcripts", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    *o = (struct options){ .jobs = DEFAULT_JOBS, .build = "build" };
    for (int c; (c = getopt_long(argc, argv, "", longs, NULL)) != -1;) {
        char *end;
        switch (c) {
        case 'j':
            errno = 0;
            long jobs = strtol(optarg, &end, 10);
            if (errno != 0 || *end != '\0' || jobs < 1 || jobs > 256) {
                fprintf(stderr, "soak_variants: --jobs takes a number from 1 to 256\n");
                return 2;
            }
            o->jobs = (int)jobs;
            break;
        case 'b':
            o->build = optarg;
            break;
        case 't':
            o->transcripts = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    return 0;
}

/* Prints the first line of TEXT, tabs as spaces. */
static void put_first_line(const char *text)
{
    for (const char *p = text; *p != '\0' && *p != '\n'; p++)
        putchar(*p == '\t' || *p == '\r' ? ' ' : *p);
}

/* A disagreement (variant.h): its line, and the check's transcript. */
static void print_disagreement(const struct variant *v, const char *check, const char *what,
                               const struct check_result *r, void *arg)
{
    const struct options *o = arg;
    printf("%s/%s\t%s\t%s", v->lab, v->name, check, what);
    if (r != NULL && !r->passed && r->message != NULL) {
        fputs(": ", stdout);
        put_first_line(r->message);
    }
    putchar('\n');
    if (r != NULL && o->transcripts != NULL) {
        struct buf dir = { 0 };
        buf_printf(&dir, "%s/%s", o->transcripts, v->name);
        save_transcripts(dir.data, r, 1); /* says on stderr if it cannot */
        buf_free(&dir);
    }
}

/* Grades the variants V, their trees made; returns the exit status. */
static int grade_and_judge(struct variant *v, size_t n, const struct options *o)
{
    char shortio[PATH_MAX];
    if (realpath("harness/shortio.so", shortio) == NULL) {
        fprintf(stderr, "soak_variants: harness/shortio.so: %s (run make)\n", strerror(errno));
        return 2;
    }
    struct variant_grading g;
    if (grade_variants(v, n, o->jobs, shortio, NULL, &g) != 0) {
        free_variant_grading(&g);
        fprintf(stderr, "soak_variants: interrupted; every program it started was stopped\n");
        return 130;
    }
    size_t wrong = 0;
    for (size_t i = 0; i < n; i++)
        wrong += judge_variant(&v[i], g.results + g.first[i], g.first[i + 1] - g.first[i],
                               print_disagreement, (void *)o);
    printf("graded\t%zu\t%zu\n", n, g.nresults);
    free_variant_grading(&g);
    return wrong == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct options o;
    int status = parse_options(argc, argv, &o);
    if (status != 0)
        return status;
    struct buf err = { 0 };
    struct variant *v = NULL;
    long n = find_variants(&v, &err);
    if (n <= 0) {
        fprintf(stderr, "soak_variants: %s\n",
                n == 0 ? "no variant under " VARIANTS_DIR : err.data);
        buf_free(&err);
        return 2;
    }
    size_t made = 0;
    while (made < (size_t)n && variant_make_tree(&v[made], o.build, &err) == 0)
        made++;
    if (made == (size_t)n)
        status = grade_and_judge(v, made, &o);
    else
        fprintf(stderr, "soak_variants: %s\n", err.data);
    for (size_t i = 0; i < made; i++)
        variant_remove_tree(&v[i]);
    free(v);
    buf_free(&err);
    return made == (size_t)n ? status : 2;
}
