/*
 * grade.c - the grader's command line: picks the labs and checks, runs them,
 * writes the report and sets the exit status (0 only when every check passed).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "buf.h"
#include "interop.h"
#include "lab.h"
#include "report.h"
#include "runner.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2
/* (3 is runner.h's EXIT_CANNOT_GRADE, 4 its EXIT_GRADER_ERROR.) */
#define EXIT_STALE 5

static void usage(FILE *f)
{
    fputs("usage: grade [--impl DIR [--build]] [--lab NN]... [--check LAB/NAME]...\n"
          "             [--format text|html|gradescope|junit|jsonl] [--out FILE]\n"
          "             [--jsonl FILE] [--transcripts DIR] [--jobs N]\n"
          "             [--memory-limit MIB] [--time-scale N] [--quiet|--verbose]\n"
          "             [--color[=WHEN]] [--instructor] [--list] [--bench[=RUNS]]\n"
          "       grade --batch DIR [--out DIR] [--lab NN]... [--check LAB/NAME]...\n"
          "             [--jobs N] [--memory-limit MIB]\n"
          "             [--interop LAB [--interop-sample K]]\n"
          "       grade --help | --version\n"
          "\n"
          "Grades the labs in DIR (default: labs): runs each lab's server and client\n"
          "as black boxes and checks them against the contracts in the handouts.\n"
          "  --impl DIR         the tree to grade: DIR/NN-name/server and client\n"
          "  --build            build a copy of each lab folder of DIR first (with its\n"
          "                     Makefile, or the kit's rules for its C files), sandboxed\n"
          "  --batch DIR        grade each submission folder of DIR (shaped like labs/),\n"
          "                     hidden checks too, each built as --build does; write into\n"
          "                     the folder --out names (default " DEFAULT_CLASS_OUT ")\n"
          "                     gradebook.csv, class.html and submissions/NAME/\n"
          "  --interop LAB      with --batch: run each client against the class's servers\n"
          "                     (every pair up to 12 submissions, else a sample), never\n"
          "                     scored; the matrix on class.html and in interop.csv\n"
          "  --interop-sample K each client against its own server and K others in a\n"
          "                     class of more than 12 (default 4)\n"
          "  --lab NN           only this lab (01, 01-hello or hello); repeatable\n"
          "  --check LAB/NAME   only this check (e.g. 02-echo/binary-safe); repeatable\n"
          "  --format F         text (default), html (a page for a browser), gradescope\n"
          "                     (results.json), junit (XML) or jsonl (a JSON object\n"
          "                     per check, as each ends)\n"
          "  --out FILE         write the report to FILE instead of stdout; gradescope's\n"
          "                     is rewritten as each check ends, so it holds the checks\n"
          "                     that ended if the run is killed\n"
          "  --jsonl FILE       also append a JSON line to FILE as each check ends\n"
          "  --transcripts DIR  save every check's transcript as DIR/LAB/CHECK.txt, and\n"
          "                     the HTML report as DIR/report.html\n"
          "  --quiet            a line per check; details of failed checks only\n"
          "  --verbose          also each check's time, isolation and transcript\n"
          "  --color            colour the text report, as --color=always does\n"
          "  --color=WHEN       auto (the default: on a terminal, unless NO_COLOR is\n"
          "                     set), always or never\n"
          "  --jobs N           checks run at once (default: twice the CPUs; with\n"
          "                     --batch, four times)\n"
          "  --memory-limit MIB each program's data limit, and with cgroups the memory\n"
          "                     of each check's programs together (default 1024; 0:\n"
          "                     none, as sanitizer builds need)\n"
          "  --time-scale N     every time limit times N, for programs run under slow\n"
          "                     tools such as valgrind (default 1)\n"
          "  --instructor       run the hidden checks too (gradescope format always does)\n"
          "  --list             list the labs and their checks (the rubric), then exit\n"
          "  --bench[=RUNS]     time RUNS gradings (default 5): per lab, whole kit, per\n"
          "                     check\n"
          "  --version          the kit's version and the rubric's\n"
          "Without --transcripts, --check saves its checks' transcripts in the kit's\n"
          "build/transcripts, as make grade does.\n"
          "Exit status: 0 when every check passed, 1 when one failed, 2 on bad usage,\n"
          "3 when it cannot grade here (as root, programs run as a user of their own\n"
          "who cannot reach the labs, and no mount namespace can open the way: nothing\n"
          "is graded; the message says what to do), 4 when some check could not be\n"
          "graded because the grader itself failed (a grader error: not counted against\n"
          "the program, whatever the other checks did; grade again), 5 when a lab's\n"
          "server or client is older than its sources (without --build: nothing is\n"
          "graded; run make first), 130 when interrupted (the reports then hold the\n"
          "checks that ended); with --batch, 0 once every file is written, or 3\n"
          "likewise.  make grade exits 0 when a check failed: the score says so.\n",
          f);
}

/* The kit's version, raised with each release of the kit; the rubric's
 * version (lab.h) says by itself when the checks changed. */
#define KIT_VERSION "1.0"

static void version(void)
{
    char pub[RUBRIC_VERSION_SIZE], all[RUBRIC_VERSION_SIZE];
    rubric_version(false, pub);
    rubric_version(true, all);
    printf("grade (netlab) %s, rubric %s", KIT_VERSION, pub);
    if (strcmp(pub, all) != 0)
        printf(" (with the hidden checks %s)", all);
    putchar('\n');
}

struct options {
    const char *impl;
    const struct lab_def *labs[16];
    size_t nlabs;
    const char *checks[64];
    size_t nchecks;
    const char *format;
    const char *out;
    const char *jsonl; /* --jsonl FILE, or NULL */
    enum text_detail detail;
    const char *color; /* auto, always or never */
    const char *transcripts;
    int jobs;
    bool jobs_given;      /* --jobs was given */
    long memory_limit_mb; /* 0: the runner's default; negative: none */
    int time_scale;
    bool list;
    bool instructor;               /* hidden checks too */
    bool build;                    /* --build: build a copy of --impl first */
    const char *batch;             /* --batch DIR, or NULL */
    int held_back;                 /* points of the hidden checks not run */
    const struct lab_def *interop; /* --interop LAB, or NULL */
    int interop_sample;            /* --interop-sample K */
    int bench_runs;
};

/* VALUE, the value of option --NAME, as a whole number from MIN to MAX
 * into *OUT; else false, with what --NAME takes (WHAT) on stderr. */
static bool take_number(const char *name, const char *value, long min, long max,
                        const char *what, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(value, &end, 10);
    if (end == value || *end != '\0' || errno != 0 || n < min || n > max) {
        fprintf(stderr, "grade: --%s takes %s\n", name, what);
        return false;
    }
    *out = n;
    return true;
}

/* Takes --lab NAME or --check LAB/NAME, which may repeat. */
static bool take_lab_or_check(struct options *o, int opt, const char *value)
{
    if (opt == 'l' && o->nlabs == COUNT_OF(o->labs)) {
        fprintf(stderr, "grade: at most %zu --lab options\n", COUNT_OF(o->labs));
        return false;
    }
    if (opt == 'l' && (o->labs[o->nlabs++] = find_lab(value)) == NULL) {
        fprintf(stderr, "grade: no lab named '%s' (try --list)\n", value);
        return false;
    }
    if (opt == 'c' && o->nchecks == COUNT_OF(o->checks)) {
        fprintf(stderr, "grade: at most %zu --check options\n", COUNT_OF(o->checks));
        return false;
    }
    if (opt == 'c')
        o->checks[o->nchecks++] = value;
    return true;
}

/* Takes the option OPT, given by getopt_long with its VALUE (optarg).
 * False, with one line on stderr, for a bad one.  --help and --version
 * answer and exit here. */
static bool take_option(struct options *o, int opt, const char *value, const char *given)
{
    long n = 0;
    bool ok = true;
    switch (opt) {
    case 'i':
        o->impl = value;
        break;
    case 'f':
        o->format = value;
        break;
    case 'o':
        o->out = value;
        break;
    case 't':
        o->transcripts = value;
        break;
    case 'J':
        o->jsonl = value;
        break;
    case 'C':
        o->batch = value;
        break;
    case 'L':
        o->list = true;
        break;
    case 'I':
        o->instructor = true;
        break;
    case 'B':
        o->build = true;
        break;
    case 'q':
        o->detail = TEXT_QUIET;
        break;
    case 'v':
        o->detail = TEXT_VERBOSE;
        break;
    case 'h':
        usage(stdout);
        exit(0);
    case 'V':
        version();
        exit(0);
    case 'l':
    case 'c':
        return take_lab_or_check(o, opt, value);
    case 'X':
        o->interop = find_lab(value);
        if (o->interop == NULL || interop_check_of(o->interop) == NULL) {
            fprintf(stderr, "grade: --interop takes a lab with a client and a server "
                            "that work together (a \"" INTEROP_CHECK "\" check)\n");
            return false;
        }
        break;
    case 'k':
        o->color = value ? value : "always";
        if (strcmp(o->color, "auto") != 0 && strcmp(o->color, "always") != 0 &&
            strcmp(o->color, "never") != 0) {
            fprintf(stderr, "grade: --color is auto, always or never, not '%s'\n", o->color);
            return false;
        }
        break;
    case 'K':
        ok = take_number("interop-sample", value, 0, 1000, "a number from 0 to 1000", &n);
        o->interop_sample = (int)n;
        break;
    case 'j':
        ok = take_number("jobs", value, 1, 256, "a number from 1 to 256", &n);
        o->jobs = (int)n;
        o->jobs_given = true;
        break;
    case 'm':
        ok = take_number("memory-limit", value, 0, LONG_MAX, "a number of MiB (0: none)", &n);
        o->memory_limit_mb = n == 0 ? -1 : n;
        break;
    case 's':
        ok = take_number("time-scale", value, 1, 100, "a number from 1 to 100", &n);
        o->time_scale = (int)n;
        break;
    case 'b':
        ok = value == NULL ||
             take_number("bench", value, 1, INT_MAX, "a positive number of runs", &n);
        o->bench_runs = value ? (int)n : 5;
        break;
    case ':':
        fprintf(stderr, "grade: option '%s' needs a value; try 'grade --help'\n", given);
        return false;
    default:
        fprintf(stderr, "grade: unknown option '%s'; try 'grade --help'\n", given);
        return false;
    }
    return ok;
}

/* Whether the options taken go together; else one line on stderr.  Sets
 * what follows from them. */
static bool check_options(struct options *o)
{
    if (strcmp(o->format, "text") != 0 && strcmp(o->format, "html") != 0 &&
        strcmp(o->format, "gradescope") != 0 && strcmp(o->format, "junit") != 0 &&
        strcmp(o->format, "jsonl") != 0) {
        fprintf(stderr,
                "grade: --format is text, html, gradescope, junit or jsonl, not '%s'\n",
                o->format);
        return false;
    }
    /* Gradescope shows hidden checks only once grades are published. */
    if (strcmp(o->format, "gradescope") == 0)
        o->instructor = true;
    if (o->batch && (o->build || o->bench_runs || o->transcripts)) {
        fprintf(stderr, "grade: --batch builds each submission and writes its own reports "
                        "and transcripts: no --build, --bench or --transcripts\n");
        return false;
    }
    if (o->interop != NULL && o->batch == NULL) {
        fprintf(stderr, "grade: --interop pairs the programs of a class: with --batch\n");
        return false;
    }
    if (o->build && o->bench_runs) {
        fprintf(stderr, "grade: --bench times the grading of built programs: no --build\n");
        return false;
    }
    o->instructor |= o->batch != NULL; /* a class is graded by its instructor */
    /* A class's checks mostly wait, on programs and on deadlines, while
     * others fail: twice as many at once as for one submission. */
    if (o->batch != NULL && !o->jobs_given)
        o->jobs = o->jobs > 128 ? 256 : 2 * o->jobs;
    return true;
}

static bool parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        { "impl", required_argument, NULL, 'i' },
        { "lab", required_argument, NULL, 'l' },
        { "check", required_argument, NULL, 'c' },
        { "format", required_argument, NULL, 'f' },
        { "out", required_argument, NULL, 'o' },
        { "transcripts", required_argument, NULL, 't' },
        { "jobs", required_argument, NULL, 'j' },
        { "memory-limit", required_argument, NULL, 'm' },
        { "time-scale", required_argument, NULL, 's' },
        { "list", no_argument, NULL, 'L' },
        { "instructor", no_argument, NULL, 'I' },
        { "bench", optional_argument, NULL, 'b' },
        { "build", no_argument, NULL, 'B' },
        { "batch", required_argument, NULL, 'C' },
        { "interop", required_argument, NULL, 'X' },
        { "interop-sample", required_argument, NULL, 'K' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },
        { "color", optional_argument, NULL, 'k' },
        { "colour", optional_argument, NULL, 'k' },
        { "jsonl", required_argument, NULL, 'J' },
        { NULL, 0, NULL, 0 },
    };
    *o = (struct options){ .impl = "labs",
                           .format = "text",
                           .color = "auto",
                           .interop_sample = INTEROP_DEFAULT_SAMPLE };
    long n = (long)sysconf(_SC_NPROCESSORS_ONLN);
    o->jobs = n > 0 ? (int)(2 * n) : 4;
    opterr = 0; /* one line of our own, not getopt's and the usage */
    for (int opt; (opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1;)
        if (!take_option(o, opt, optarg, argv[optind - 1]))
            return false;
    if (optind < argc) {
        fprintf(stderr, "grade: unexpected argument '%s'; try 'grade --help'\n", argv[optind]);
        return false;
    }
    return check_options(o);
}

static bool folder_exists(const char *impl, const char *lab)
{
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", impl, lab);
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool check_selected(const struct options *o, const struct lab_def *lab,
                           const struct check_def *def)
{
    if (o->nchecks == 0)
        return true;
    for (size_t i = 0; i < o->nchecks; i++) {
        const char *slash = strchr(o->checks[i], '/');
        if (slash == NULL)
            continue;
        struct buf want = { 0 };
        buf_append(&want, o->checks[i], (size_t)(slash - o->checks[i]));
        bool match = find_lab(want.data) == lab && strcmp(slash + 1, def->name) == 0;
        buf_free(&want);
        if (match)
            return true;
    }
    return false;
}

/* The checks to run, in lab order; NULL (with a message) if none. */
static struct check_result *plan(struct options *o, size_t *n)
{
    if (o->nlabs == 0) {
        for (size_t i = 0; all_labs[i] != NULL; i++)
            if (folder_exists(o->impl, all_labs[i]->id) && o->nlabs < COUNT_OF(o->labs))
                o->labs[o->nlabs++] = all_labs[i];
        if (o->nlabs == 0) {
            fprintf(stderr, "grade: %s holds no lab folder (01-hello, 02-echo, ...)\n",
                    o->impl);
            return NULL;
        }
    }
    struct check_result *results = NULL;
    *n = 0;
    for (size_t l = 0; l < o->nlabs; l++) {
        for (size_t i = 0; i < o->labs[l]->nchecks; i++) {
            const struct check_def *def = &o->labs[l]->checks[i];
            if (!check_selected(o, o->labs[l], def))
                continue;
            if (is_hidden(o->labs[l], def) && !o->instructor) {
                o->held_back += def->points;
                continue;
            }
            results = xrealloc(results, (*n + 1) * sizeof *results);
            results[(*n)++] = (struct check_result){ .lab = o->labs[l], .def = def };
        }
    }
    if (*n == 0) {
        fprintf(stderr, "grade: no check matches (try --list)\n");
        free(results);
        return NULL;
    }
    return results;
}

/* The rubric; hidden checks by name only for an instructor. */
static void list_checks(bool instructor)
{
    for (size_t l = 0; all_labs[l] != NULL; l++) {
        const struct lab_def *lab = all_labs[l];
        int total = 0, hidden = 0;
        for (size_t i = 0; i < lab->nchecks; i++) {
            if (is_hidden(lab, &lab->checks[i]) && !instructor)
                hidden += lab->checks[i].points;
            else
                total += lab->checks[i].points;
        }
        printf("%s  %s (%d points", lab->id, lab->title, total);
        if (hidden > 0)
            printf(", and %d in hidden checks", hidden);
        puts(")");
        for (size_t i = 0; i < lab->nchecks; i++)
            if (!is_hidden(lab, &lab->checks[i]) || instructor)
                printf("  %-28s %d  %s%s\n", lab->checks[i].name, lab->checks[i].points,
                       lab->checks[i].what,
                       is_hidden(lab, &lab->checks[i]) ? " (hidden)" : "");
    }
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, compare_doubles);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A set of timings in two figures. */
struct spread {
    double median, max;
};

/* Sorts V's N values (median does) and sums them up. */
static struct spread spread_of(double *v, size_t n)
{
    double med = median(v, n);
    return (struct spread){ med, v[n - 1] };
}

/* The plan's checks come grouped by lab: how many of them, from FIRST,
 * belong to FIRST's lab. */
static size_t lab_group_size(const struct check_result *plan, size_t n, size_t first)
{
    size_t end = first;
    while (end < n && plan[end].lab == plan[first].lab)
        end++;
    return end - first;
}

/* Grades N checks once; *SECONDS gets the wall time.  Adds the checks
 * that failed to *FAILURES.  Returns run_checks' result. */
static int timed_grading(const struct run_options *ro, struct check_result *checks, size_t n,
                         int *failures, double *seconds)
{
    int64_t start = now_us();
    int rc = run_checks(ro, checks, n);
    *seconds = (double)(now_us() - start) / 1e6;
    for (size_t i = 0; i < n && rc == 0; i++)
        *failures += !checks[i].passed;
    return rc;
}

/*
 * Grades RUNS times: each lab alone (what `make grade LAB=NN` costs a
 * student), then every lab at once (the whole kit), and prints the median
 * and largest wall time of each, then of each check within the whole kit.
 * The "lab ID" and "whole kit" rows are what mk/bench.sh reads: keep their
 * first words.  Exit status 1 when a check failed in some run.
 */
static int bench(const struct options *o, const struct run_options *ro,
                 struct check_result *plan, size_t n)
{
    size_t runs = (size_t)o->bench_runs, nlabs = 0;
    for (size_t i = 0; i < n; i += lab_group_size(plan, n, i))
        nlabs++;
    double *per_lab = xcalloc(runs * nlabs, sizeof *per_lab);
    double *whole = xcalloc(runs, sizeof *whole);
    double *per_check = xcalloc(runs * n, sizeof *per_check);
    int failures = 0, rc;
    for (size_t r = 0; r < runs; r++) {
        size_t lab = 0;
        for (size_t i = 0, size; i < n; i += size, lab++) {
            size = lab_group_size(plan, n, i);
            rc = timed_grading(ro, plan + i, size, &failures, &per_lab[lab * runs + r]);
            if (rc < 0)
                return run_exit_status(rc);
            free_results(plan + i, size);
        }
        if ((rc = timed_grading(ro, plan, n, &failures, &whole[r])) < 0)
            return run_exit_status(rc);
        for (size_t i = 0; i < n; i++)
            per_check[i * runs + r] = plan[i].seconds;
        free_results(plan, n);
    }
    printf("netlab bench: grading %s, %zu checks, %d jobs, median of %zu runs\n", o->impl, n,
           ro->jobs, runs);
    printf("%-40s %10s %10s\n", "wall time", "median s", "max s");
    size_t lab = 0;
    for (size_t i = 0; i < n; i += lab_group_size(plan, n, i), lab++) {
        struct spread s = spread_of(&per_lab[lab * runs], runs);
        printf("lab %-36s %10.3f %10.3f\n", plan[i].lab->id, s.median, s.max);
    }
    struct spread all = spread_of(whole, runs);
    printf("%-40s %10.3f %10.3f\n", "whole kit", all.median, all.max);
    printf("\n%-40s %10s %10s\n", "check (within the whole kit)", "median s", "max s");
    for (size_t i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s/%s", plan[i].lab->id, plan[i].def->name);
        struct spread s = spread_of(&per_check[i * runs], runs);
        printf("%-40s %10.3f %10.3f\n", name, s.median, s.max);
    }
    if (failures)
        printf("note: %d check results failed during the runs\n", failures);
    free(per_lab);
    free(whole);
    free(per_check);
    return failures ? EXIT_FAILED : 0;
}

/* The grader is KIT/harness/grade; shortio.so sits next to it. */
static bool find_kit(char *kit, char *shortio, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", kit, size - 1);
    if (n <= 0)
        return false;
    kit[n] = '\0';
    char *slash = strrchr(kit, '/');
    if (slash == NULL)
        return false;
    *slash = '\0';
    if (snprintf(shortio, size, "%s/shortio.so", kit) >= (int)size)
        return false;
    slash = strrchr(kit, '/');
    if (slash != NULL && slash != kit)
        *slash = '\0';
    return true;
}

/* --batch DIR: grades a class (batch.h). */
static int grade_class(struct options *o)
{
    if (o->nlabs == 0)
        o->nlabs = labs_in_class(o->batch, o->labs, COUNT_OF(o->labs));
    if (o->nlabs == 0) {
        fprintf(stderr,
                "grade: no submission folder of %s holds a lab folder (01-hello, "
                "02-echo, ...)\n",
                o->batch);
        return EXIT_USAGE;
    }
    bool graded = o->interop == NULL;
    for (size_t l = 0; l < o->nlabs; l++)
        graded |= o->labs[l] == o->interop;
    if (!graded) {
        fprintf(stderr, "grade: --interop %s needs that lab graded too: add --lab %s\n",
                o->interop->id, o->interop->id);
        return EXIT_USAGE;
    }
    size_t n;
    struct check_result *checks = plan(o, &n);
    if (checks == NULL)
        return EXIT_USAGE;
    char kit[PATH_MAX], shortio[PATH_MAX];
    if (!find_kit(kit, shortio, sizeof kit)) {
        fprintf(stderr, "grade: cannot find the kit the grader belongs to\n");
        free(checks);
        return EXIT_FAILED;
    }
    struct batch_setup s = {
        .labs = o->labs,
        .nlabs = o->nlabs,
        .plan = checks,
        .nplan = n,
        .progress = true,
        .interop_lab = o->interop,
        .interop_sample = o->interop_sample,
        .run = { .jobs = o->jobs,
                 .shortio = shortio,
                 .kit_dir = kit,
                 .memory_limit_mb = o->memory_limit_mb,
                 .time_scale = o->time_scale },
        .build = { .kit_dir = kit, .jobs = o->jobs, .memory_limit_mb = o->memory_limit_mb },
    };
    int rc = grade_batch(&s, o->batch, o->out ? o->out : DEFAULT_CLASS_OUT);
    free(checks);
    return rc;
}

/* --impl DIR --build: grades a copy of DIR built first (batch.h); the N
 * checks of RESULTS get their results.  0, or the exit status to end with. */
static int build_and_grade(const struct options *o, const struct run_options *ro,
                           struct check_result *results, size_t n)
{
    if (ro->kit_dir == NULL) {
        fprintf(stderr, "grade: cannot find the kit the grader belongs to\n");
        return EXIT_FAILED;
    }
    struct batch_setup s = {
        .labs = o->labs,
        .nlabs = o->nlabs,
        .plan = results,
        .nplan = n,
        .run = *ro,
        .build = { .kit_dir = ro->kit_dir,
                   .jobs = ro->jobs,
                   .memory_limit_mb = ro->memory_limit_mb },
    };
    return grade_built_copy(&s, ro->impl_dir, results);
}

/*
 * Never grade a stale program: a lab's server or client older than a C
 * source or header it is built from (the folder's, but for the other
 * program's own .c, as the Makefile builds it, and the tree's common/,
 * which its programs link) was built from other sources than those the
 * student sees, or its last build failed and left the old one.  Programs
 * with no C sources in their folder (in another language) are what they
 * are.
 */
static bool newest_source(const char *dir, const char *skip, struct timespec *newest,
                          char *name, size_t size)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return false;
    bool found = false;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 3 || e->d_name[0] == '.' ||
            (strcmp(e->d_name + len - 2, ".c") != 0 && strcmp(e->d_name + len - 2, ".h") != 0))
            continue;
        if (skip != NULL && strcmp(e->d_name, skip) == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (!found || st.st_mtim.tv_sec > newest->tv_sec ||
            (st.st_mtim.tv_sec == newest->tv_sec && st.st_mtim.tv_nsec > newest->tv_nsec)) {
            *newest = st.st_mtim;
            snprintf(name, size, "%s", e->d_name);
        }
        found = true;
    }
    closedir(d);
    return found;
}

static bool older(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Whether LAB's PROGRAM ("server") in IMPL is older than its sources; if
 * so, one sentence on stderr that says which. */
static bool program_is_stale(const char *impl, const struct lab_def *lab, const char *program,
                             const char *other_source)
{
    struct buf dir = { 0 }, common = { 0 }, path = { 0 };
    buf_printf(&dir, "%s/%s", impl, lab->id);
    buf_printf(&common, "%s/common", impl);
    buf_printf(&path, "%s/%s", dir.data, program);
    char name[256], common_name[256];
    struct timespec newest, common_newest;
    struct stat st;
    bool stale = false;
    /* No C source: another language.  A missing program is its checks' to
     * report. */
    if (newest_source(dir.data, other_source, &newest, name, sizeof name) &&
        stat(path.data, &st) == 0) {
        const char *folder = lab->id;
        if (newest_source(common.data, NULL, &common_newest, common_name,
                          sizeof common_name) &&
            older(&newest, &common_newest)) {
            newest = common_newest;
            memcpy(name, common_name, sizeof name);
            folder = "common";
        }
        stale = older(&st.st_mtim, &newest);
        if (stale)
            fprintf(stderr,
                    "grade: %s/%s is older than %s/%s: run make first (its last "
                    "build failed, or it was not rebuilt since that file changed).  Nothing "
                    "was graded.\n",
                    lab->id, program, folder, name);
    }
    buf_free(&dir);
    buf_free(&common);
    buf_free(&path);
    return stale;
}

static bool lab_is_stale(const char *impl, const struct lab_def *lab)
{
    return program_is_stale(impl, lab, "server", "client.c") ||
           program_is_stale(impl, lab, "client", "server.c");
}

/* Whether some lab of RESULTS has a stale program (said on stderr). */
static bool any_stale(const char *impl, const struct check_result *results, size_t n)
{
    bool stale = false;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || results[i].lab != results[i - 1].lab)
            stale |= lab_is_stale(impl, results[i].lab);
    return stale;
}

/* ---- Results written as each check ends -------------------------------- */

/*
 * What a run has told so far.  As each check ends (run_options.on_result),
 * its result is copied into SEEN (the runner's may be a copy of the plan,
 * as --build's is) and written out at once: its transcript, its JSON line,
 * Gradescope's whole results.json anew, and the text report up to the
 * first check still running.  A run killed at any moment (a global time
 * limit, SIGKILL) leaves whole reports of the checks that ended.
 */
struct live {
    struct report r;           /* over SEEN, with ENDED */
    struct check_result *seen; /* the plan's checks, each copied as it ends */
    bool *ended;
    struct text_stream text;
    bool text_on;            /* the text report streams to TEXT */
    int jsonl_fd;            /* -1: no JSON lines */
    const char *gradescope;  /* results.json rewritten as checks end, or NULL */
    const char *transcripts; /* the transcripts' folder, or NULL */
};

static char *copy_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* Check I ended with the result R: write out everything it changes. */
static void record(struct live *l, size_t i, const struct check_result *r)
{
    struct check_result *c = &l->seen[i];
    *c = *r;
    c->message = copy_or_null(r->message);
    c->cause = copy_or_null(r->cause);
    c->hint = copy_or_null(r->hint);
    c->transcript = copy_or_null(r->transcript);
    c->events = copy_or_null(r->events);
    c->replay = NULL; /* binary: copied by its length */
    if (r->replay != NULL) {
        c->replay = xmalloc(r->replay_len + 1);
        memcpy(c->replay, r->replay, r->replay_len);
        c->replay[r->replay_len] = '\0';
    }
    l->ended[i] = true;
    if (l->transcripts && save_transcripts(l->transcripts, c, 1) != 0)
        l->transcripts = l->r.transcripts = NULL; /* said on stderr; shown no more */
    if (l->jsonl_fd >= 0)
        write_jsonl(l->jsonl_fd, &l->r, c);
    if (l->gradescope)
        write_gradescope_file(l->gradescope, &l->r);
    if (l->text_on)
        text_advance(&l->text);
}

static void on_result(const struct check_result *r, size_t done, size_t total, void *arg)
{
    (void)done, (void)total;
    struct live *l = arg;
    for (size_t i = 0; i < l->r.n; i++)
        if (l->seen[i].lab == r->lab && l->seen[i].def == r->def && !l->ended[i]) {
            record(l, i, r);
            return;
        }
}

/* Whether the text report is coloured: --color, or on a terminal unless
 * NO_COLOR is set to something (no-color.org). */
static bool use_color(const struct options *o, FILE *out)
{
    if (strcmp(o->color, "auto") != 0)
        return strcmp(o->color, "always") == 0;
    const char *no_color = getenv("NO_COLOR");
    if (no_color != NULL && no_color[0] != '\0')
        return false;
    return isatty(fileno(out)) == 1;
}

/* Now in local time, ISO 8601: 2026-12-06T14:55:02+01:00. */
static void local_time_now(char *out, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    char zone[8];
    localtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(zone, sizeof zone, "%z", &tm); /* +0100 */
    size_t len = strlen(out);
    snprintf(out + len, size - len, "%.3s:%.2s", zone, zone + 3);
}

/* Opens where the reports go, before any check runs: *OUT for the text,
 * JUnit or a Gradescope report to stdout.  False, with a message, if one
 * cannot be written. */
static bool open_outputs(const struct options *o, struct live *l, FILE **out)
{
    bool gradescope = strcmp(o->format, "gradescope") == 0;
    bool jsonl = strcmp(o->format, "jsonl") == 0;
    const char *jsonl_path = jsonl ? o->out : o->jsonl;
    *out = stdout;
    l->jsonl_fd = jsonl && o->out == NULL ? dup(STDOUT_FILENO) : -1;
    if (jsonl_path != NULL &&
        (l->jsonl_fd = open(jsonl_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
                            0644)) < 0) {
        fprintf(stderr, "grade: cannot write %s: %s\n", jsonl_path, strerror(errno));
        return false;
    }
    if (gradescope && o->out != NULL) {
        l->gradescope = o->out;
        return write_gradescope_file(o->out, &l->r) == 0; /* every check not run */
    }
    if (o->out != NULL && !jsonl && (*out = fopen(o->out, "w")) == NULL) {
        fprintf(stderr, "grade: cannot write %s: %s\n", o->out, strerror(errno));
        return false;
    }
    return true;
}

/* The final reports, once the run ended or was interrupted (then those
 * checks not ended are said not run).  0, or EXIT_USAGE if OUT could not be
 * written. */
static int write_final(const struct options *o, struct live *l, FILE *out)
{
    /* Before the text report ends, which says where the page is. */
    if (l->transcripts != NULL)
        l->r.html_saved = save_html_report(&l->r) == 0;
    if (strcmp(o->format, "gradescope") == 0 && l->gradescope == NULL)
        write_gradescope(out, &l->r);
    else if (l->gradescope != NULL)
        write_gradescope_file(l->gradescope, &l->r);
    else if (strcmp(o->format, "junit") == 0)
        write_junit(out, &l->r);
    else if (strcmp(o->format, "html") == 0)
        write_html(out, &l->r);
    else if (l->text_on)
        text_finish(&l->text);
    if (out != stdout && fclose(out) != 0) {
        fprintf(stderr, "grade: cannot write %s: %s\n", o->out, strerror(errno));
        return EXIT_USAGE;
    }
    return 0;
}

/* Grades RESULTS (the plan) as the options say, writing each result as it
 * ends; the exit status. */
static int grade_and_report(struct options *o, struct run_options *ro,
                            struct check_result *results, size_t n, const char *kit)
{
    char rubric[RUBRIC_VERSION_SIZE], when[40];
    bool hidden = false; /* the version says so when a hidden check runs */
    for (size_t i = 0; i < n; i++)
        hidden |= is_hidden(results[i].lab, results[i].def);
    rubric_version(hidden, rubric);
    local_time_now(when, sizeof when);
    struct live l = { .seen = xcalloc(n, sizeof *l.seen),
                      .ended = xcalloc(n, sizeof *l.ended) };
    for (size_t i = 0; i < n; i++)
        l.seen[i] = (struct check_result){ .lab = results[i].lab, .def = results[i].def };
    l.r = (struct report){ .impl = o->impl,
                           .results = l.seen,
                           .n = n,
                           .held_back = o->held_back,
                           .ended = l.ended,
                           .rubric = rubric,
                           .graded_at = when,
                           .detail = o->detail,
                           .kit_dir = kit };
    /* One check run again keeps its transcript where make grade does. */
    char default_transcripts[PATH_MAX + 32];
    if (o->transcripts == NULL && o->nchecks > 0 && kit != NULL) {
        snprintf(default_transcripts, sizeof default_transcripts, "%s/build/transcripts", kit);
        o->transcripts = default_transcripts;
    }
    l.transcripts = l.r.transcripts = o->transcripts;
    FILE *out;
    int status = EXIT_USAGE, rc = 0;
    if (!open_outputs(o, &l, &out))
        goto done;
    l.r.color = strcmp(o->format, "text") == 0 && use_color(o, out);
    l.text_on = strcmp(o->format, "text") == 0;
    if (l.text_on)
        text_begin(&l.text, out, &l.r);
    ro->on_result = on_result;
    ro->on_result_arg = &l;

    int64_t start = now_us();
    status = o->build ? build_and_grade(o, ro, results, n) : 0;
    rc = o->build ? 0 : run_checks(ro, results, n);
    if (status == 0 && rc == 0) /* what ran without on_result: labs that did not build */
        for (size_t i = 0; i < n; i++)
            if (!l.ended[i])
                record(&l, i, &results[i]);
    l.r.seconds = (double)(now_us() - start) / 1e6;
    if (rc == RUN_INTERRUPTED || status == 130)
        fprintf(stderr, "grade: interrupted; every program it started was stopped\n");
    if (rc == RUN_CANNOT_GRADE || (status != 0 && status != 130))
        goto done; /* nothing was graded: no report */
    int written = write_final(o, &l, out);
    out = stdout;
    if (rc < 0 || status != 0) {
        status = rc < 0 ? run_exit_status(rc) : status;
        goto done;
    }
    bool all_passed = true, grader_error = false;
    for (size_t i = 0; i < n; i++) {
        all_passed &= l.seen[i].passed;
        grader_error |= l.seen[i].grader_error;
    }
    status = written        ? written
             : grader_error ? EXIT_GRADER_ERROR
             : all_passed   ? 0
                            : EXIT_FAILED;
done:
    if (rc == RUN_CANNOT_GRADE)
        status = run_exit_status(rc);
    if (out != stdout)
        fclose(out);
    if (l.jsonl_fd >= 0)
        close(l.jsonl_fd);
    free_results(l.seen, n);
    free(l.seen);
    free(l.ended);
    return status;
}

int main(int argc, char **argv)
{
    struct options o;
    if (!parse_options(argc, argv, &o))
        return EXIT_USAGE;
    if (o.list) {
        list_checks(o.instructor);
        return 0;
    }
    if (o.batch != NULL)
        return grade_class(&o);
    char impl[PATH_MAX];
    if (realpath(o.impl, impl) == NULL) {
        fprintf(stderr, "grade: cannot grade %s: %s\n", o.impl, strerror(errno));
        return EXIT_USAGE;
    }
    size_t n;
    struct check_result *results = plan(&o, &n);
    if (results == NULL)
        return EXIT_USAGE;
    char kit[PATH_MAX], shortio[PATH_MAX];
    bool found = find_kit(kit, shortio, sizeof kit);
    struct run_options ro = { .impl_dir = impl,
                              .jobs = o.jobs,
                              .shortio = found ? shortio : NULL,
                              .kit_dir = found ? kit : NULL,
                              .memory_limit_mb = o.memory_limit_mb,
                              .time_scale = o.time_scale };
    if (!o.build && any_stale(impl, results, n)) {
        free(results);
        return EXIT_STALE;
    }
    if (o.bench_runs > 0)
        return bench(&o, &ro, results, n);
    int status = grade_and_report(&o, &ro, results, n, found ? kit : NULL);
    free_results(results, n);
    free(results);
    return status;
}
