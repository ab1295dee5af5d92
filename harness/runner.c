/*
 * runner.c - runs each check in a process of its own, several at once,
 * under a deadline.  A check that crashes or overruns is a failed check,
 * never a crashed grader; whatever it started is killed and reaped.
 *
 * The grader is a child subreaper, and so is every check process: a
 * student's process that is orphaned comes back to the check that started
 * it (or to the grader if that check died), never to init, so nothing a
 * submission starts can outlive its check.
 */
#include "runner.h"
#include "cgroup.h"
#include "checkrun.h"
#include "children.h"
#include "core.h"
#include "namespaces.h"
#include "sandbox.h"
#include "walk.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* A check's own helpers fail it at its deadline; this much more, times the
 * time scale, is its time to stop programs (whose waits for SIGTERM scale
 * too: programs.c's stop_programs) and report before the runner kills it. */
#define RUNNER_MARGIN_MS 2000

struct running {
    size_t index;
    pid_t pid;
    bool in_namespace;
    int64_t started_us;
    int64_t kill_at_ms;
    int limit_ms; /* the check's own, before the runner's margin */
    int margin_ms;
    bool killed;
    struct result_slot *slot;
};

static int time_scale(const struct run_options *opts)
{
    return opts->time_scale > 1 ? opts->time_scale : 1;
}

/* A check's time limit, scaled for slow tools (valgrind). */
static int time_limit_ms(const struct run_options *opts, const struct check_def *def)
{
    return def->timeout_ms * time_scale(opts);
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    interrupted = sig;
}

void catch_interrupts(void)
{
    struct sigaction sa = { .sa_handler = on_interrupt }; /* no SA_RESTART */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL); /* the terminal went away */
    signal(SIGPIPE, SIG_IGN);
}

bool grader_interrupted(void)
{
    return interrupted != 0;
}

/*
 * Whether checks get mounts of their own here (sandbox.c), as root: tried
 * once, by a throwaway child made as a check's process is.  0, or the
 * errno of what the system refused (EPERM without CAP_SYS_ADMIN).
 */
static int private_mounts_refused(void)
{
    static int refused = -1;
    if (refused >= 0)
        return refused;
    bool in_namespace;
    fflush(NULL);
    pid_t pid = fork_isolated(&in_namespace);
    if (pid == 0)
        _exit(in_namespace ? sandbox_own_mounts() : 0);
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        refused = pid < 0 ? errno : ECHILD;
    else if (!in_namespace)
        refused = namespace_refusal();
    else
        refused = WIFEXITED(status) ? WEXITSTATUS(status) : EPERM;
    return refused;
}

bool programs_can_reach(const char *const *paths, size_t n)
{
    static bool warned;
    if (geteuid() != 0)
        return true; /* programs run as the grader's own user */
    int refused = private_mounts_refused();
    if (refused == 0)
        return true; /* each check's sandbox opens the way */
    struct buf blocked = { 0 };
    bool open = sandbox_way_is_open(paths, n, &blocked);
    if (!open)
        fprintf(stderr,
                "grade: cannot grade here: %s, and this system allows the grader no "
                "mount namespace that would open the way (%s).\n  Move the kit and the "
                "submissions (and TMPDIR, if it is there) to a folder every user can get "
                "through, such as /opt or /srv, "
                "or grade where mount namespaces are allowed (as root with CAP_SYS_ADMIN).  "
                "Nothing was graded.\n",
                blocked.data, strerror(refused));
    else if (!warned)
        fprintf(stderr,
                "grade: warning: no mount namespace for checks (%s): programs still "
                "run as a user of their own under limits, but see the kit and the shared "
                "/tmp\n",
                strerror(refused));
    warned |= open;
    buf_free(&blocked);
    return open;
}

/*
 * Init of a check's namespace only reaps, and exits with the check's status
 * when the check ends; the kernel then kills whatever is left in the
 * namespace.  The check itself runs as init's child, where signals behave
 * as anywhere else (init ignores those it has no handler for).
 */
static void become_init_of_namespace(void)
{
    pid_t check = fork();
    if (check == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        return;
    }
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0 && errno != EINTR)
            _exit(1);
        if (pid == check)
            _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
}

static _Noreturn void be_check(const struct run_options *opts, const struct check_result *r,
                               struct result_slot *slot, pid_t grader, bool in_namespace)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* dies with the grader */
    /* Init of a namespace sees no parent; elsewhere, a parent that is not
     * the grader means the grader died before PDEATHSIG was set. */
    if (!in_namespace && getppid() != grader)
        _exit(1);
    pid_t outside_pid = outside_pid_of_self(); /* before init forks the check */
    guard_against_programs();
    if (in_namespace)
        become_init_of_namespace();
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    watch_children();

    const char *impl = r->impl_dir ? r->impl_dir : opts->impl_dir;
    char *lab_dir = xmalloc(strlen(impl) + strlen(r->lab->id) + 2);
    sprintf(lab_dir, "%s/%s", impl, r->lab->id);
    char *client_lab_dir = NULL;
    if (r->client_impl_dir != NULL) {
        client_lab_dir = xmalloc(strlen(r->client_impl_dir) + strlen(r->lab->id) + 2);
        sprintf(client_lab_dir, "%s/%s", r->client_impl_dir, r->lab->id);
    }
    /* Programs see neither the kit nor the submissions beside this one. */
    char *beside = xstrdup(impl);
    char *slash = strrchr(beside, '/');
    if (slash != NULL && slash != beside)
        *slash = '\0';
    long memory = opts->memory_limit_mb ? opts->memory_limit_mb : DEFAULT_MEMORY_LIMIT_MB;
    struct check c = { .lab = r->lab,
                       .def = r->def,
                       .lab_dir = lab_dir,
                       .slot = slot,
                       .time_limit_ms = time_limit_ms(opts, r->def),
                       .time_scale = time_scale(opts),
                       .in_namespace = in_namespace,
                       .outside_pid = outside_pid,
                       .shortio = opts->shortio,
                       .own_network = (isolated_namespaces() & CLONE_NEWNET) != 0,
                       .client_host = opts->client_host ? opts->client_host : "localhost",
                       .sandbox.memory_mb = memory,
                       .client_lab_dir = client_lab_dir,
                       .client_lab_fd = -1,
                       .hidden = { opts->kit_dir, beside, opts->originals_dir } };
    run_check(&c);
}

static bool start(const struct run_options *opts, struct check_result *results, size_t index,
                  struct running *run)
{
    struct result_slot *slot = mmap(NULL, sizeof *slot, PROT_READ | PROT_WRITE,
                                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (slot == MAP_FAILED) {
        perror("grade: mmap");
        return false;
    }
    pid_t grader = getpid();
    bool in_namespace;
    fflush(NULL);
    pid_t pid = fork_isolated(&in_namespace);
    if (pid < 0) {
        perror("grade: fork");
        munmap(slot, sizeof *slot);
        return false;
    }
    if (pid == 0) {
        setpgid(0, 0);
        be_check(opts, &results[index], slot, grader, in_namespace);
    }
    setpgid(pid, pid);
    int limit = time_limit_ms(opts, results[index].def);
    int margin = RUNNER_MARGIN_MS * time_scale(opts);
    *run = (struct running){
        .index = index,
        .pid = pid,
        .slot = slot,
        .in_namespace = in_namespace,
        .started_us = now_us(),
        .limit_ms = limit,
        .margin_ms = margin,
        .kill_at_ms = now_ms() + limit + margin,
    };
    return true;
}

static char *copy_text(const char *data, size_t len)
{
    char *s = xmalloc(len + 1);
    memcpy(s, data, len);
    s[len] = '\0';
    return s;
}

/*
 * Kills and reaps the grader's children that are not running checks: the
 * processes orphaned by a check that died.  Killing one may orphan its own
 * children onto the grader, so look again until none is left.
 */
static void reap_orphans(const struct running *run, size_t active)
{
    for (bool found = true; found;) {
        found = false;
        FILE *f = fopen("/proc/thread-self/children", "r");
        if (f == NULL)
            return;
        int pid;
        while (fscanf(f, "%d", &pid) == 1) {
            bool is_check = false;
            for (size_t i = 0; i < active; i++)
                is_check |= run[i].pid == pid;
            if (!is_check) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                found = true;
            }
        }
        fclose(f);
    }
}

/* The signal that ended a check, from its status or its init's. */
static int fatal_signal(int status)
{
    if (WIFSIGNALED(status))
        return WTERMSIG(status);
    if (WIFEXITED(status) && WEXITSTATUS(status) > 128)
        return WEXITSTATUS(status) - 128;
    return 0;
}

/*
 * Whether a check that SIG ended was most likely ended by its own
 * programs: they run as the grader's user where there is no user of their
 * own (not as root), and may signal the check then; a fault of the check
 * itself (SIGSEGV, SIGABRT...) is still the grader's.
 */
static bool signalled_by_programs(unsigned isolation, int sig)
{
    static const int faults[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGSYS, SIGTRAP };
    if (sig == 0 || !(isolation & ISOLATION_RECORDED) || (isolation & ISOLATION_OWN_USER))
        return false;
    for (size_t i = 0; i < COUNT_OF(faults); i++)
        if (sig == faults[i])
            return false;
    return true;
}

static void collect(struct check_result *r, struct running *run, int status)
{
    struct result_slot *s = run->slot;
    bool finished = __atomic_load_n(&s->finished, __ATOMIC_ACQUIRE);

    /* A check that died left its programs behind: kill their groups.  In a
     * namespace the kernel has killed them all already, and their numbers
     * may belong to other processes by now. */
    for (size_t i = 0; i < MAX_PROGRAMS && !run->in_namespace; i++)
        if (s->pgids[i] > 0)
            killpg(s->pgids[i], SIGKILL);
    if (s->folder[0] != '\0')
        remove_folder(s->folder);

    r->seconds = (double)(now_us() - run->started_us) / 1e6;
    r->passed = finished && s->passed;
    r->untestable = finished && s->untestable;
    r->grader_error = finished && s->grader_error;
    r->isolation = s->isolation; /* set up before the check could be killed */
    r->transcript = copy_text(s->transcript, s->transcript_len);
    if (finished) {
        r->events = s->events_len ? copy_text(s->events, s->events_len) : NULL;
        r->replay = s->replay_len ? copy_text(s->replay, s->replay_len) : NULL;
        r->replay_len = s->replay_len;
        r->replay_cut = s->replay_cut;
        r->message = s->message_len ? copy_text(s->message, s->message_len) : NULL;
        r->cause = s->cause[0] != '\0' ? xstrdup(s->cause) : NULL;
        r->hint = s->hint[0] != '\0' ? xstrdup(s->hint) : NULL;
    } else if (run->killed) {
        struct buf b = { 0 };
        buf_printf(&b, "the check did not finish within %d ms and was stopped.\n",
                   run->limit_ms + run->margin_ms);
        r->message = b.data;
    } else if (signalled_by_programs(r->isolation, fatal_signal(status))) {
        struct buf b = { 0 };
        buf_printf(&b,
                   "the check's process was ended by a signal (%s), which one of its "
                   "programs must have sent: they run as the grader's own user, who may "
                   "signal it.\n",
                   strsignal(fatal_signal(status)));
        r->message = b.data;
    } else {
        struct buf b = { 0 };
        int sig = fatal_signal(status);
        buf_printf(&b,
                   GRADER_ERROR " the check's process ended abnormally (%s); "
                                "please report this.\n",
                   sig ? strsignal(sig) : "no result");
        r->message = b.data;
        r->grader_error = true;
    }
    munmap(s, sizeof *s);
}

static void report_progress(const struct run_options *opts, const struct check_result *r,
                            size_t done, size_t total)
{
    if (opts->on_result != NULL)
        opts->on_result(r, done, total, opts->on_result_arg);
}

/* Whether the programs' user reaches what every check of RESULTS keeps
 * (sandbox_kept) where OPTS grades them; false with one message if not. */
static bool checks_can_reach(const struct run_options *opts,
                             const struct check_result *results, size_t n)
{
    const char **paths = xcalloc(2 * n * (SANDBOX_KEPT + 1) + 1, sizeof *paths);
    size_t npaths = 0;
    char kept[SANDBOX_KEPT][PATH_MAX];
    /* Each check's lab folder, and an interop check's client's too. */
    for (size_t k = 0; k < 2 * n; k++) {
        const struct check_result *r = &results[k / 2];
        const char *impl = k % 2 == 0 ? (r->impl_dir ? r->impl_dir : opts->impl_dir)
                                      : r->client_impl_dir;
        if (impl == NULL)
            continue;
        struct buf lab_dir = { 0 };
        buf_printf(&lab_dir, "%s/%s", impl, r->lab->id);
        bool seen = false;
        for (size_t j = 0; j < npaths && !seen; j++)
            seen = strcmp(paths[j], lab_dir.data) == 0;
        if (!seen) {
            sandbox_kept(lab_dir.data, opts->shortio, kept);
            paths[npaths++] = xstrdup(lab_dir.data); /* the way to it as given */
            for (size_t m = 0; m < SANDBOX_KEPT; m++)
                if (kept[m][0] != '\0')
                    paths[npaths++] = xstrdup(kept[m]);
        }
        buf_free(&lab_dir);
    }
    bool reached = programs_can_reach(paths, npaths);
    for (size_t j = 0; j < npaths; j++)
        free((char *)paths[j]);
    free(paths);
    return reached;
}

static int run_all(const struct run_options *opts, struct check_result *results, size_t n);

int run_checks(const struct run_options *opts, struct check_result *results, size_t n)
{
    /* Programs preload a copy of shortio.so: see sandbox_stage_preload.  A
     * library that is not there is left for its checks to report. */
    struct run_options staged = *opts;
    if (opts->shortio != NULL && access(opts->shortio, R_OK) == 0) {
        struct buf err = { 0 };
        staged.shortio = sandbox_stage_preload(opts->shortio, &err);
        if (staged.shortio == NULL)
            fprintf(stderr, "grade: cannot grade here: %s.  Nothing was graded.\n", err.data);
        buf_free(&err);
        if (staged.shortio == NULL)
            return RUN_CANNOT_GRADE;
    }
    int rc = checks_can_reach(&staged, results, n) ? run_all(&staged, results, n)
                                                   : RUN_CANNOT_GRADE;
    if (staged.shortio != opts->shortio)
        sandbox_unstage_preload((char *)staged.shortio);
    return rc;
}

int run_exit_status(int rc)
{
    return rc == RUN_CANNOT_GRADE ? EXIT_CANNOT_GRADE : 130;
}

/* run_checks, once the programs can reach what they need. */
static int run_all(const struct run_options *opts, struct check_result *results, size_t n)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    catch_interrupts();
    cgroups_open();
    struct pollfd exits = { .fd = watch_children(), .events = POLLIN };
    size_t jobs = opts->jobs > 0 ? (size_t)opts->jobs : 1;
    struct running *run = xcalloc(jobs, sizeof *run);
    size_t next = 0, active = 0, done = 0;

    while ((next < n || active > 0) && !grader_interrupted()) {
        while (active < jobs && next < n) {
            if (start(opts, results, next, &run[active])) {
                active++;
            } else {
                results[next].message = xstrdup(GRADER_ERROR
                                                " could not start the "
                                                "check's process (see stderr).\n");
                results[next].transcript = xstrdup("");
                results[next].grader_error = true;
                report_progress(opts, &results[next], ++done, n);
            }
            next++;
        }
        int64_t wait = 60000;
        for (size_t i = 0; i < active; i++)
            if (run[i].kill_at_ms - now_ms() < wait)
                wait = run[i].kill_at_ms - now_ms();
        if (poll(&exits, 1, wait > 0 ? (int)wait : 0) > 0)
            drain_child_events();
        for (size_t i = 0; i < active;) {
            if (!run[i].killed && now_ms() >= run[i].kill_at_ms) {
                kill(run[i].pid, SIGKILL);
                run[i].killed = true;
            }
            int status;
            if (waitpid(run[i].pid, &status, WNOHANG) == run[i].pid) {
                pid_t pid = run[i].pid;
                collect(&results[run[i].index], &run[i], status);
                report_progress(opts, &results[run[i].index], ++done, n);
                run[i] = run[--active];
                reap_orphans(run, active);
                cgroup_discard("check", pid); /* what a killed check left */
            } else {
                i++;
            }
        }
    }

    if (interrupted) {
        for (size_t i = 0; i < active; i++) {
            int status = 0;
            kill(run[i].pid, SIGKILL);
            run[i].killed = true;
            waitpid(run[i].pid, &status, 0);
            collect(&results[run[i].index], &run[i], status);
        }
        reap_orphans(run, 0);
    }
    cgroups_close();
    free(run);
    return interrupted ? RUN_INTERRUPTED : 0;
}

void free_results(struct check_result *results, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(results[i].message);
        free(results[i].transcript);
        free(results[i].events);
        free(results[i].replay);
        free(results[i].cause);
        free(results[i].hint);
    }
}
