/*
 * programs.c - the student's programs as the grader sees them: started in a
 * session of their own with a pseudo-terminal for stdin and stdout (so that
 * stdio buffers exactly as it would for a person) and a pipe for stderr;
 * typed to, read from, signalled, and finally stopped, SIGTERM then SIGKILL,
 * with every descendant reaped.
 */
#include "cgroup.h"
#include "check.h"
#include "children.h"
#include "core.h"
#include "sandbox.h"
#include "shortio/shortio.h"
#include "slot.h"
#include "walk.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define OUTPUT_LIMIT (4 * 1024 * 1024) /* a program that floods stdout is cut */
#define STOP_GRACE_MS 250              /* between SIGTERM and SIGKILL */
#define EOF_CHAR 0x04                  /* Ctrl-D */

/*
 * The terminal a student's program gets: canonical input (read returns one
 * typed line at a time, and Ctrl-D is end-of-file, as for a person) but no
 * echo, no signals from typed characters, no editing characters and no
 * output processing, so bytes go through unchanged.
 */
static int configure_terminal(int slave)
{
    struct termios t;
    if (tcgetattr(slave, &t) < 0)
        return -1;
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON |
                             IXOFF);
    t.c_oflag &= ~(tcflag_t)OPOST;
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ECHOE | ECHOK | ISIG | IEXTEN);
    t.c_lflag |= ICANON;
    static const int disabled[] = { VINTR, VQUIT, VERASE,   VKILL,   VEOL,   VEOL2,   VSTART,
                                    VSTOP, VSUSP, VREPRINT, VWERASE, VLNEXT, VDISCARD };
    for (size_t i = 0; i < COUNT_OF(disabled); i++)
        t.c_cc[disabled[i]] = _POSIX_VDISABLE;
    t.c_cc[VEOF] = EOF_CHAR;
    return tcsetattr(slave, TCSANOW, &t);
}

static int open_terminal(int *master, int *slave)
{
    char name[64];
    *master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (*master < 0)
        return -1;
    if (grantpt(*master) < 0 || unlockpt(*master) < 0 ||
        ptsname_r(*master, name, sizeof name) != 0) {
        close(*master);
        return -1;
    }
    *slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (*slave < 0 || configure_terminal(*slave) < 0) {
        close(*master);
        if (*slave >= 0)
            close(*slave);
        return -1;
    }
    fcntl(*master, F_SETFL, fcntl(*master, F_GETFL) | O_NONBLOCK);
    return 0;
}

/* How the running check starts its programs (run_without_terminal,
 * add_program_env).  A check runs in a process of its own, so this is the
 * check's; C says which check set it. */
#define MAX_EXTRA_ENV 4
static struct {
    const struct check *c;
    bool no_terminal;
    const char *env[MAX_EXTRA_ENV];
    size_t nenv;
} setup;

static void own_setup(const struct check *c)
{
    if (setup.c != c)
        setup = (__typeof__(setup)){ .c = c };
}

void run_without_terminal(struct check *c)
{
    own_setup(c);
    setup.no_terminal = true;
    note(c, "programs started from now on have pipes for stdin and stdout, no terminal");
}

void add_program_env(struct check *c, const char *var)
{
    own_setup(c);
    if (setup.nenv == MAX_EXTRA_ENV)
        fail(c, "grader error: more than %d extra environment variables", MAX_EXTRA_ENV);
    setup.env[setup.nenv++] = var;
    note(c, "programs started from now on have %s in their environment", var);
}

/* A program's environment, made before fork: the child only passes it on. */
struct environment {
    char path[4096], home[1024], tmpdir[1024], preload[4096], announce[64];
    char *vars[12 + MAX_EXTRA_ENV];
};

/*
 * A small, fixed environment: programs must not depend on the grader's.
 * HOME and TMPDIR are the check's folder, the one place a program may
 * write.  PRELOAD, if not NULL, is a library to load under the program,
 * and ANNOUNCE the pipe where its constructor says it was loaded
 * (shortio.h).
 */
static void program_environment(struct environment *e, const char *folder, const char *preload,
                                int announce)
{
    const char *p = getenv("PATH");
    snprintf(e->path, sizeof e->path, "PATH=%s", p ? p : "/usr/local/bin:/usr/bin:/bin");
    snprintf(e->home, sizeof e->home, "HOME=%s", folder);
    snprintf(e->tmpdir, sizeof e->tmpdir, "TMPDIR=%s", folder);
    size_t n = 0;
    e->vars[n++] = e->path;
    e->vars[n++] = e->home;
    e->vars[n++] = e->tmpdir;
    e->vars[n++] = "LC_ALL=C";
    e->vars[n++] = "LANG=C";
    e->vars[n++] = "TERM=dumb";
    e->vars[n++] = "PYTHONDONTWRITEBYTECODE=1";
    if (preload != NULL) {
        snprintf(e->preload, sizeof e->preload, "LD_PRELOAD=%s", preload);
        snprintf(e->announce, sizeof e->announce, SHORTIO_ANNOUNCE_ENV "=%d", announce);
        e->vars[n++] = e->preload;
        e->vars[n++] = e->announce;
    }
    for (size_t i = 0; i < setup.nenv; i++)
        e->vars[n++] = (char *)setup.env[i];
    e->vars[n] = NULL;
}

/* Where the child tells the check why the program did not start. */
static _Noreturn void exec_failed(int report, int err)
{
    ssize_t ignored = write(report, &err, sizeof err);
    (void)ignored;
    _exit(127);
}

/* Who a program is in its check: where it runs and as whom. */
enum program_side {
    SIDE_ONLY,   /* every program of an ordinary check */
    SIDE_SERVER, /* an interop check's, but for its client */
    SIDE_CLIENT, /* an interop check's client, from the other lab folder */
};

struct program_place {
    const char *folder;     /* its current folder, HOME and TMPDIR */
    struct sandbox sandbox; /* the check's, as this program's user */
    enum program_side side;
};

/* In the child: become the program, as the sandbox says.  Only
 * async-signal-safe calls. */
static _Noreturn void exec_program(const struct program_place *at, const char *path,
                                   char *const argv[], char *const envp[],
                                   const struct sandbox_limits *limits, int in, int out,
                                   int errw, int report, int announce, pid_t parent)
{
    setsid(); /* own session and process group */
    if (in == out)
        ioctl(in, TIOCSCTTY, 0); /* the terminal is its terminal */
    dup2(in, STDIN_FILENO);
    dup2(out, STDOUT_FILENO);
    dup2(errw, STDERR_FILENO);

    /* The grader ignores SIGPIPE; a student's program must choose itself. */
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
    if (announce >= 0)
        fcntl(announce, F_SETFD, 0); /* for shortio.so, after exec */

    /* Tell the check our process ID as /proc numbers it: in a PID
     * namespace whose /proc is still the machine's (no mount namespace),
     * that is another number than the one fork gave the check. */
    char self[32] = "";
    int outside = 0;
    ssize_t n = readlink("/proc/self", self, sizeof self - 1);
    for (ssize_t i = 0; i < n && self[i] >= '0' && self[i] <= '9'; i++)
        outside = outside * 10 + (self[i] - '0');
    ssize_t ignored = write(report, &outside, sizeof outside);
    (void)ignored;

    int err = at->side == SIDE_ONLY ? 0 : sandbox_program_view(at->side == SIDE_CLIENT);
    if (err != 0)
        exec_failed(report, -err);
    if (chdir(at->folder) < 0)
        exec_failed(report, errno);
    err = sandbox_enter(&at->sandbox, limits);
    if (err != 0)
        exec_failed(report, -err); /* negative: the sandbox failed */
    /* After the change of user, which clears it: dies with its check. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    execve(path, argv, envp);
    exec_failed(report, errno);
}

static void watch_programs(struct check *c);

static void register_group(struct check *c, pid_t pgid)
{
    for (size_t i = 0; i < MAX_PROGRAMS; i++) {
        if (c->slot->pgids[i] == 0) {
            c->slot->pgids[i] = pgid;
            return;
        }
    }
}

/* Where a program of C's starts on SIDE: the check's folder and user, or
 * an interop check's client's own. */
static void place_program(struct check *c, enum program_side side, struct program_place *at)
{
    at->side = side;
    at->sandbox = c->sandbox;
    at->folder = check_folder(c);
    if (side == SIDE_CLIENT) {
        at->folder = client_folder(c);
        if (c->sandbox.client_uid != 0)
            at->sandbox.uid = c->sandbox.client_uid;
    }
}

/* P's name in the event log: its program's, numbered from the second
 * program of that name on ("client #2"), as a diagram's columns. */
static void name_actor(const struct check *c, struct program *p)
{
    size_t same = 1;
    for (size_t i = 0; i < c->nprograms; i++)
        same += strcmp(c->programs[i]->name, p->name) == 0;
    if (same == 1)
        snprintf(p->actor, sizeof p->actor, "%s", p->name);
    else
        snprintf(p->actor, sizeof p->actor, "%s #%zu", p->name, same);
}

/* Words (each ending in a NUL) as one record of the replay log. */
static void log_words(struct check *c, const char *kind, const char *actor,
                      const char *const *words, size_t n)
{
    struct buf b = { 0 };
    for (size_t i = 0; i < n; i++)
        buf_append(&b, words[i], strlen(words[i]) + 1);
    log_replay(c, 0, kind, "grader", actor, b.data, b.len);
    buf_free(&b);
}

/* How much of the check's folder a replay log takes: files the check made
 * for its programs (a server's files to serve), not a program's output. */
#define REPLAY_FOLDER_DEPTH 4
#define REPLAY_FILE_MAX (64 * 1024)

/* The folders and regular files under DIR (PREFIX their path so far) as
 * "dir" and "file" records (the path, a NUL, the contents); never a link. */
static void log_folder_for_replay(struct check *c, int dir, const char *prefix, int depth)
{
    /* A descriptor of its own: a dup would share DIR's place in the folder
     * with the check, which reads it later (lab 06's database). */
    int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            fstatat(dir, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        struct buf path = { 0 };
        buf_printf(&path, "%s%s", prefix, e->d_name);
        if (S_ISDIR(st.st_mode) && depth < REPLAY_FOLDER_DEPTH) {
            log_replay(c, 0, "dir", "grader", "", path.data, path.len);
            int sub = openat(dir, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            buf_puts(&path, "/");
            if (sub >= 0) {
                log_folder_for_replay(c, sub, path.data, depth + 1);
                close(sub);
            }
        } else if (S_ISREG(st.st_mode) && st.st_size <= REPLAY_FILE_MAX) {
            int in = openat(dir, e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            struct buf file = { 0 };
            buf_append(&file, path.data, path.len + 1);
            char chunk[4096];
            for (ssize_t n; in >= 0 && (n = read(in, chunk, sizeof chunk)) > 0;)
                buf_append(&file, chunk, (size_t)n);
            if (in >= 0)
                close(in);
            log_replay(c, 0, "file", "grader", "", file.data, file.len);
            buf_free(&file);
        }
        buf_free(&path);
    }
    closedir(d);
}

/* What a script needs to start P as the check did (repro.h): which program
 * of the lab folder (or, outside it, which file), its arguments, its
 * input, the variables added to its environment, whether shortio.so was
 * preloaded.  Before its start event, which then starts it. */
static void log_start_for_replay(struct check *c, struct program *p, const char *run,
                                 char *const *args, size_t nargs)
{
    const char *dir = c->programs_dir ? c->programs_dir : c->lab_dir;
    size_t n = strlen(dir);
    bool in_lab = strncmp(run, dir, n) == 0 && run[n] == '/' &&
                  strchr(run + n + 1, '/') == NULL;
    if (c->nprograms == 1 && c->folder_fd >= 0) /* what the check put there first */
        log_folder_for_replay(c, c->folder_fd, "", 0);
    const char *lab[] = { c->lab_dir };
    log_words(c, "lab", p->actor, lab, 1);
    log_replay(c, 0, in_lab ? "program" : "program-path", "grader", p->actor,
               in_lab ? run + n + 1 : run, strlen(in_lab ? run + n + 1 : run));
    log_words(c, "argv", p->actor, (const char *const *)args, nargs);
    log_words(c, "env", p->actor, setup.env, setup.nenv);
    const char *input = p->in_pipe >= 0 ? "pipe" : "terminal";
    log_replay(c, 0, "input", "grader", p->actor, input, strlen(input));
    if (c->short_counts)
        log_replay(c, 0, "preload", "grader", p->actor, "shortio.so", 10);
}

/* Starts the program at RUN as NAME, with ARG0 its argv[0]; PATH names it
 * in messages.  WIDE: without the data limit (sanitizer runtimes reserve
 * terabytes of address space; the cgroup's memory limit still holds).
 * SIDE: which of an interop check's programs it is. */
static struct program *start_at(struct check *c, const char *name, const char *arg0,
                                const char *path, const char *run, bool wide,
                                enum program_side side, const char *const *args, size_t nargs)
{
    if (c->nprograms == MAX_PROGRAMS)
        fail(c, "grader error: too many programs in one check");
    if (c->nprograms == 0)
        watch_programs(c);

    char *argv[64]; /* a build's command line too (tsan.c) */
    argv[0] = (char *)arg0;
    size_t argc = 1;
    for (size_t i = 0; i < nargs && argc < COUNT_OF(argv) - 1; i++)
        argv[argc++] = (char *)args[i];
    argv[argc] = NULL;

    own_setup(c);
    int master, in, out, in_pipe = -1, errp[2], report[2], announce[2] = { -1, -1 };
    if (setup.no_terminal) {
        int inp[2], outp[2];
        if (pipe2(inp, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0)
            fail(c, "grader error: pipe: %s", strerror(errno));
        in = inp[0];
        in_pipe = inp[1];
        out = outp[1];
        master = outp[0];
        fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
        fcntl(in_pipe, F_SETFL, fcntl(in_pipe, F_GETFL) | O_NONBLOCK);
    } else if (open_terminal(&master, &in) < 0) {
        fail(c, "grader error: no pseudo-terminal: %s", strerror(errno));
    } else {
        out = in;
    }
    if (pipe2(errp, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0 ||
        (c->short_counts && pipe2(announce, O_CLOEXEC | O_NONBLOCK) < 0))
        fail(c, "grader error: pipe: %s", strerror(errno));

    pid_t parent = getpid();
    struct program_place at;
    place_program(c, side, &at);
    struct environment env;
    program_environment(&env, at.folder, c->short_counts ? c->shortio : NULL, announce[1]);
    struct sandbox_limits limits;
    sandbox_limits(&c->sandbox, &limits);
    for (size_t i = 0; wide && i < SANDBOX_LIMITS; i++)
        if (limits.resource[i] == RLIMIT_DATA)
            limits.value[i] = RLIM_INFINITY;
    pid_t pid = fork();
    if (pid < 0)
        fail(c, "grader error: fork: %s", strerror(errno));
    if (pid == 0)
        exec_program(&at, run, argv, env.vars, &limits, in, out, errp[1], report[1],
                     announce[1], parent);

    close(in);
    if (out != in)
        close(out);
    close(errp[1]);
    close(report[1]);
    if (announce[1] >= 0)
        close(announce[1]);

    struct program *p = xcalloc(1, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    name_actor(c, p);
    p->pid = pid;
    p->pty = master;
    p->in_pipe = in_pipe;
    p->err = errp[0];
    p->announce = announce[0];
    p->out.limit = OUTPUT_LIMIT;
    p->errout.limit = OUTPUT_LIMIT;
    fcntl(p->err, F_SETFL, fcntl(p->err, F_GETFL) | O_NONBLOCK);
    c->programs[c->nprograms++] = p;

    struct buf cmd = { 0 };
    for (size_t i = 0; i < argc; i++)
        buf_printf(&cmd, "%s%s", i ? " " : "", argv[i]);
    if (side == SIDE_ONLY)
        note(c, "start %s (pid %d)", cmd.data, (int)pid);
    else
        note(c, "start %s (pid %d) from %s, as user %lu", cmd.data, (int)pid, path,
             (unsigned long)(at.sandbox.uid != 0 ? at.sandbox.uid : geteuid()));
    log_start_for_replay(c, p, run, argv + 1, argc - 1);
    log_event(c, "start", "grader", p->actor, cmd.data, cmd.len);
    p->command = cmd.data;

    int outside = 0, err = 0;
    ssize_t got = read(report[0], &outside, sizeof outside);
    p->outside_pid = got == sizeof outside && outside > 0 ? outside : pid;
    register_group(c, p->outside_pid);
    got = read(report[0], &err, sizeof err);
    close(report[0]);
    if (got > 0 && err < 0)
        fail(c, "grader error: cannot limit %s as the sandbox requires: %s", path,
             strerror(-err));
    if (got > 0)
        fail(c, "cannot run %s: %s%s", path, strerror(err),
             err == ENOENT || err == ENOEXEC ? " (does a script start with a valid \"#!\" "
                                               "line?)"
             : err == EACCES && c->sandbox.uid != 0 ? " (the grader runs programs as a user "
                                                      "of their own: every folder on the way "
                                                      "and the program must be readable by "
                                                      "all)"
                                                    : "");
    return p;
}

struct program *start_program_args(struct check *c, const char *name, const char *const *args,
                                   size_t nargs)
{
    /* PATH names the program in messages; RUN is where it is run from
     * (the same, but in a root of the programs' own), or the server the
     * grader built in the check's folder (use_built_server). */
    char path[4096], run[4096];
    bool built = strcmp(name, "server") == 0 && c->built_server != NULL;
    /* An interop check's client comes from the other lab folder, which
     * its own view of the root shows at the same place (sandbox.c). */
    enum program_side side = c->client_lab_dir == NULL     ? SIDE_ONLY
                             : strcmp(name, "client") == 0 ? SIDE_CLIENT
                                                           : SIDE_SERVER;
    const char *lab_dir = side == SIDE_CLIENT ? c->client_lab_dir : c->lab_dir;
    int lab_fd = side == SIDE_CLIENT ? c->client_lab_fd : c->lab_fd;
    const char *lab_refused = side == SIDE_CLIENT ? c->client_lab_refused : c->lab_refused;
    snprintf(path, sizeof path, "%s/%s", lab_dir, name);
    snprintf(run, sizeof run, "%s/%s", c->programs_dir ? c->programs_dir : lab_dir, name);
    struct buf refused = { 0 };
    if (built)
        snprintf(run, sizeof run, "%s", c->built_server);
    else if (check_program(lab_fd, lab_dir, lab_refused, name, &refused) < 0)
        fail(c, "%s", refused.data); /* never what a link leads to */
    char arg0[32];
    snprintf(arg0, sizeof arg0, "./%s", name);
    return start_at(c, name, arg0, path, run, built, side, args, nargs);
}

struct program *start_system_program(struct check *c, const char *path,
                                     const char *const *args, size_t nargs)
{
    const char *slash = strrchr(path, '/');
    return start_at(c, slash ? slash + 1 : path, path, path, path, false,
                    c->client_lab_dir == NULL ? SIDE_ONLY : SIDE_SERVER, args, nargs);
}

void use_built_server(struct check *c, const char *path)
{
    c->built_server = path;
    note(c, "servers started from now on run %s, which the grader built", path);
}

/* Appends AP's arguments, up to its NULL, to the N already in ARGS. */
#define MAX_ARGS 16
static size_t append_args(const char *args[MAX_ARGS], size_t n, va_list ap)
{
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < MAX_ARGS;)
        args[n++] = a;
    return n;
}

struct program *start_program(struct check *c, const char *name, ...)
{
    const char *args[MAX_ARGS];
    va_list ap;
    va_start(ap, name);
    size_t n = append_args(args, 0, ap);
    va_end(ap);
    return start_program_args(c, name, args, n);
}

/* How a server shows it is ready: a TCP listener or a bound UDP socket. */
struct readiness {
    bool (*ready)(int port);
    const char *done; /* "listened on TCP", "bound UDP" */
    int type;         /* SOCK_STREAM, SOCK_DGRAM */
};

/*
 * Says what the server that is not ready did with its sockets of R's type:
 * a port of its own choosing, a socket never listened on.  It takes a copy
 * of each of the program's sockets (pidfd_getfd, Linux 5.6) to ask; where
 * that is not allowed, it says nothing.
 */
static void describe_sockets(struct buf *msg, struct program *p, const struct readiness *r)
{
    int pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
    if (pidfd < 0)
        return;
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)p->outside_pid);
    DIR *d = opendir(dir);
    bool any = false;
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        int copy = e->d_name[0] == '.'
                       ? -1
                       : (int)syscall(SYS_pidfd_getfd, pidfd, atoi(e->d_name), 0);
        int type = 0, listening = 0;
        socklen_t len = sizeof type;
        if (copy < 0)
            continue;
        int port = local_port_of(copy, false);
        if (port > 0 && getsockopt(copy, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
            type == r->type) {
            len = sizeof listening;
            getsockopt(copy, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len);
            if (port != p->port)
                buf_printf(msg,
                           "  it has a %s socket on port %d instead%s: the port to "
                           "use is its first argument\n",
                           type == SOCK_STREAM ? "TCP" : "UDP", port,
                           listening ? ", listening" : "");
            else if (type == SOCK_STREAM && !listening)
                buf_printf(msg,
                           "  its TCP socket is bound to port %d but not listening: "
                           "call listen() after bind()\n",
                           port);
            any = true;
        }
        close(copy);
    }
    if (d != NULL)
        closedir(d);
    if (!any && d != NULL)
        buf_printf(msg, "  it has no bound %s socket\n",
                   r->type == SOCK_STREAM ? "TCP" : "UDP");
    close(pidfd);
}

static bool ready_or_gone(struct check *c, void *arg)
{
    (void)c;
    struct program *p = arg;
    return p->exited || p->readiness->ready(p->port);
}

/* Starts the server with a reserved port and AP's arguments, and waits
 * until it is ready as R says. */
static struct program *start_ready_server(struct check *c, const struct readiness *r,
                                          va_list ap)
{
    int port = reserve_port(c);
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    const char *args[MAX_ARGS] = { portstr };
    size_t n = append_args(args, 1, ap);

    struct program *p = start_program_args(c, "server", args, n);
    p->port = port;
    p->readiness = r;
    pump_until(c, ready_or_gone, p, c->deadline_ms, true);
    if (!r->ready(port) && p->exited)
        fail(c, "the server stopped before it %s port %d.", r->done, port);
    if (!r->ready(port)) {
        struct buf why = { 0 };
        describe_sockets(&why, p, r);
        fail(c, "the server had not %s port %d within %d ms.\n%s", r->done, port,
             c->time_limit_ms, why.data ? why.data : "");
    }
    note(c, "server %s port %d", r->done, port);
    p->main_ran = true;
    return p;
}

struct program *start_server(struct check *c, ...)
{
    static const struct readiness tcp = { port_is_listening, "listened on TCP", SOCK_STREAM };
    va_list ap;
    va_start(ap, c);
    struct program *p = start_ready_server(c, &tcp, ap);
    va_end(ap);
    return p;
}

struct program *start_udp_server(struct check *c, ...)
{
    static const struct readiness udp = { port_is_bound_udp, "bound UDP", SOCK_DGRAM };
    va_list ap;
    va_start(ap, c);
    struct program *p = start_ready_server(c, &udp, ap);
    va_end(ap);
    return p;
}

struct program *start_client(struct check *c, int port, ...)
{
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    const char *args[MAX_ARGS] = { c->client_host, portstr };
    va_list ap;
    va_start(ap, port);
    size_t n = append_args(args, 2, ap);
    va_end(ap);
    return start_program_args(c, "client", args, n);
}

int program_port(const struct program *p)
{
    return p->port;
}

/* ---- I/O, driven by the pump ------------------------------------------- */

static void program_fds(struct program *p, struct pollfd *fds, size_t *n)
{
    fds[*n] = (struct pollfd){ .fd = p->pty, .events = POLLIN };
    if (p->pty >= 0 && p->in.len > 0)
        fds[*n].events |= POLLOUT;
    (*n)++;
    fds[(*n)++] = (struct pollfd){ .fd = p->err, .events = POLLIN };
}

static void read_output(struct check *c, struct program *p, int *fd, struct buf *into,
                        struct stream_log *log, const char *stream)
{
    char chunk[16 * 1024];
    ssize_t n = read(*fd, chunk, sizeof chunk);
    if (n > 0) {
        buf_append(into, chunk, (size_t)n);
        char who[64];
        snprintf(who, sizeof who, "%s %s", p->name, stream);
        record(c, log, who, chunk, (size_t)n);
        log_event(c, stream, p->actor, "grader", chunk, (size_t)n);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        /* EIO on the terminal: every process has closed it. */
        close(*fd);
        *fd = -1;
    }
}

static void describe_status(struct buf *b, int status)
{
    if (WIFEXITED(status)) {
        buf_printf(b, "exited with status %d", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char *abbrev = sigabbrev_np(sig);
        buf_printf(b, "was killed by signal SIG%s (%s)", abbrev ? abbrev : "?",
                   strsignal(sig));
    } else {
        buf_puts(b, "stopped");
    }
}

/* The signal the check sent P and how long ago, while it is still
 * running: "SIGTERM was sent 3000 ms ago". */
static void describe_signal_sent(struct buf *b, const struct program *p)
{
    const char *abbrev = sigabbrev_np(p->sent_signal);
    buf_printf(b, "SIG%s was sent ", abbrev ? abbrev : "?");
    buf_count(b, now_ms() - p->sent_ms, "ms", "ms");
    buf_puts(b, " ago");
}

/* How P ended, for messages: its status, or that the kernel killed it for
 * the check's memory limit; and how long after the check's signal. */
static void describe_end(const struct check *c, struct buf *b, struct program *p)
{
    if (killed_by_memory_limit(c, p))
        buf_printf(b, "was killed: it used more than the %ld MiB memory limit",
                   c->sandbox.memory_mb);
    else
        describe_status(b, p->status);
    if (p->sent_signal == 0)
        return;
    const char *abbrev = sigabbrev_np(p->sent_signal);
    buf_puts(b, ", ");
    buf_count(b, p->exited_ms - p->sent_ms, "ms", "ms");
    if (WIFSIGNALED(p->status) && WTERMSIG(p->status) == p->sent_signal)
        buf_puts(b, " after the grader sent it");
    else
        buf_printf(b, " after the grader sent SIG%s", abbrev ? abbrev : "?");
}

/*
 * Notes that the program exited, without reaping it: as a zombie it keeps
 * its process ID, so its process group cannot be reused by another process
 * before the check kills the group at its end.
 */
static void notice_exit(struct check *c, struct program *p)
{
    siginfo_t info = { 0 };
    if (p->exited || waitid(P_PID, (id_t)p->pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0 ||
        info.si_pid != p->pid)
        return;
    p->exited = true;
    p->exited_ms = now_ms();
    /* Encoded as waitpid would, so that the W* macros read it. */
    p->status = info.si_code == CLD_EXITED ? (info.si_status & 0xff) << 8
                                           : (info.si_status & 0x7f);
    struct buf b = { 0 };
    describe_status(&b, p->status);
    note(c, "%s %s", p->name, b.data);
    log_event(c, "exit", p->actor, "", b.data, b.len);
    buf_free(&b);
}

static void program_events(struct check *c, struct program *p, const struct pollfd *fds)
{
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR))
        read_output(c, p, &p->pty, &p->out, &p->out_log, "stdout");
    if (p->pty >= 0 && (fds[0].revents & POLLOUT)) {
        ssize_t n = write(p->pty, p->in.data, p->in.len);
        if (n > 0)
            buf_consume(&p->in, (size_t)n);
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
        read_output(c, p, &p->err, &p->errout, &p->err_log, "stderr");
}

static bool input_taken(struct check *c, void *arg)
{
    (void)c;
    struct program *p = arg;
    return p->in.len == 0 || p->pty < 0;
}

/* What is typed for a program without a terminal: written into its stdin
 * pipe at once, which holds it all. */
static void write_stdin_pipe(struct check *c, struct program *p, const char *data, size_t len,
                             const char *kind)
{
    char who[64];
    snprintf(who, sizeof who, "written to %s's stdin pipe", p->name);
    record(c, &p->in_log, who, data, len);
    log_event(c, kind, "grader", p->actor, data, len);
    /* One write, never waited on: the pipe must have room for all of it,
     * and a pipe holds 64 KiB unless asked for more (anyone may ask for
     * up to /proc/sys/fs/pipe-max-size, 1 MiB by default). */
    int room = p->in_pipe >= 0 ? fcntl(p->in_pipe, F_GETPIPE_SZ) : -1;
    if (room >= 0 && (size_t)room < len + 65536 && len <= 512 * 1024)
        fcntl(p->in_pipe, F_SETPIPE_SZ, (int)(len + 65536));
    ssize_t n = p->in_pipe >= 0 ? write(p->in_pipe, data, len) : -1;
    if (n == (ssize_t)len)
        return;
    if (p->in_pipe >= 0 && (n >= 0 || errno == EAGAIN))
        fail(c, "grader error: more typed than the %s's stdin pipe holds", p->name);
    struct buf typed = { 0 };
    buf_escape(&typed, data, len, 200);
    fail(c, "the %s did not read its standard input (written: %s): %s.", p->name, typed.data,
         p->in_pipe >= 0 ? strerror(errno) : "its input had already ended");
}

static bool asleep_or_gone(struct check *c, void *arg);

/* Types DATA, KIND in the event log: "stdin", or "stdin-eof" for Ctrl-D. */
static void type_bytes(struct check *c, struct program *p, const char *data, size_t len,
                       const char *kind)
{
    if (p->in_pipe != -1) {
        write_stdin_pipe(c, p, data, len, kind);
        return;
    }
    char who[64];
    snprintf(who, sizeof who, "typed on %s's terminal", p->name);
    record(c, &p->in_log, who, data, len);
    log_event(c, kind, "grader", p->actor, data, len);
    buf_append(&p->in, data, len);
    if (!pump_until(c, input_taken, p, c->deadline_ms, false)) {
        struct buf typed = { 0 };
        buf_escape(&typed, data, len, 200);
        fail(c, "the %s did not read its standard input (typed: %s).", p->name, typed.data);
    }
}

void type_line(struct check *c, struct program *p, const char *line)
{
    struct buf b = { 0 };
    buf_printf(&b, "%s\n", line);
    type_bytes(c, p, b.data, b.len, "stdin");
    buf_free(&b);
}

void type_text(struct check *c, struct program *p, const char *text)
{
    type_bytes(c, p, text, strlen(text), "stdin");
}

long typed_unread(const struct program *p)
{
    int n = -1;
    if (p->pty < 0)
        return -1;
    /* The count is kept on the program's side of the terminal, so ask that
     * side, opened from the master (a path could name another check's
     * terminal in this mount namespace) and closed at once. */
    int slave = ioctl(p->pty, TIOCGPTPEER, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (slave < 0)
        return -1;
    if (ioctl(slave, FIONREAD, &n) < 0)
        n = -1;
    close(slave);
    return n;
}

long long bytes_read_by(const struct program *p)
{
    char path[64], line[128];
    long long rchar = -1;
    snprintf(path, sizeof path, "/proc/%d/io", (int)p->outside_pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    while (rchar < 0 && fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "rchar: %lld", &rchar) != 1)
            rchar = -1;
    fclose(f);
    return rchar;
}

/* Whether P has read the line typed at its last prompt, has nothing more
 * to read, and sleeps (waiting for more, as at a prompt); or has ended.
 * Typed bytes reach the terminal's queue a moment after the grader's
 * write, so an empty queue alone may mean "not there yet": the count of
 * bytes read says they were taken. */
static bool waiting_for_typing(struct check *c, void *arg)
{
    struct program *p = arg;
    if (p->exited)
        return true;
    long long read_now = bytes_read_by(p);
    bool taken = p->typed_at_prompt == 0 || read_now < 0 ||
                 read_now - p->read_before_typed >= (long long)p->typed_at_prompt;
    return taken && p->in.len == 0 && typed_unread(p) <= 0 && asleep_or_gone(c, p);
}

void type_at_prompt(struct check *c, struct program *p, const char *line)
{
    if (!pump_until(c, waiting_for_typing, p, now_ms() + 1000, true))
        note(c,
             "the %s had not read what was typed, or was not waiting for more, after "
             "1 s: the next line is typed anyway",
             p->name);
    p->read_before_typed = bytes_read_by(p);
    p->typed_at_prompt = strlen(line) + 1;
    type_line(c, p, line);
}

void type_eof(struct check *c, struct program *p)
{
    if (p->in_pipe >= 0) {
        note(c, "%s's stdin pipe closed: end of input", p->name);
        log_event(c, "stdin-eof", "grader", p->actor, NULL, 0);
        close(p->in_pipe);
        p->in_pipe = -2; /* closed */
        return;
    }
    char eof = EOF_CHAR;
    type_bytes(c, p, &eof, 1, "stdin-eof");
}

/* ---- Expectations on a program ---------------------------------------- */

struct line_wait {
    struct program *p;
    const char *line;
    size_t lines;
};

static bool output_done(struct program *p)
{
    return p->exited && p->pty < 0;
}

static bool has_output_line(struct check *c, void *arg)
{
    (void)c;
    struct line_wait *w = arg;
    return has_text_in_line(w->p->out.data ? w->p->out.data : "", w->p->out.len, w->line) ||
           output_done(w->p);
}

void expect_output_line(struct check *c, struct program *p, const char *line)
{
    struct line_wait w = { .p = p, .line = line };
    pump_until(c, has_output_line, &w, c->deadline_ms, false);
    if (has_text_in_line(p->out.data ? p->out.data : "", p->out.len, line))
        return;
    struct buf msg = { 0 };
    buf_printf(&msg, "expected the %s to print ", p->name);
    buf_escape(&msg, line, strlen(line), 200);
    buf_puts(&msg, " (within one line) on its standard output");
    buf_puts(&msg, output_done(p) ? " before it ended" : "");
    buf_printf(&msg, ".\n  its stdout so far: ");
    size_t from = p->out.len > 600 ? p->out.len - 600 : 0;
    if (from)
        buf_printf(&msg, "(%zu %s) ... ", from, plural_of((long long)from, "byte", "bytes"));
    buf_escape(&msg, p->out.data + from, p->out.len - from, 600);
    fail(c, "%s", msg.data);
}

static bool has_output_lines(struct check *c, void *arg)
{
    (void)c;
    struct line_wait *w = arg;
    return count_lines(w->p->out.data, w->p->out.len) >= w->lines || output_done(w->p);
}

void expect_output_lines(struct check *c, struct program *p, size_t n, const char *what)
{
    struct line_wait w = { .p = p, .lines = n };
    pump_until(c, has_output_lines, &w, c->deadline_ms, false);
    size_t have = count_lines(p->out.data, p->out.len);
    if (have >= n)
        return;
    struct buf got = { 0 };
    buf_escape(&got, p->out.data, p->out.len, 600);
    fail(c,
         "expected %s: at least %zu line%s on the %s's stdout, found %zu.\n"
         "  its stdout: %s",
         what, n, n == 1 ? "" : "s", p->name, have, got.data);
}

static bool output_finished(struct check *c, void *arg)
{
    (void)c;
    return output_done(arg);
}

static bool reaped(struct check *c, void *arg)
{
    (void)c;
    return ((struct program *)arg)->exited;
}

bool wait_exit(struct check *c, struct program *p)
{
    pump_until(c, reaped, p, c->deadline_ms, false);
    if (!p->exited)
        return false;
    /* Collect what it printed last; a child it left behind may keep the
     * terminal open, so this wait is short. */
    pump_until(c, output_finished, p, now_ms() + 100, false);
    return true;
}

/* ---- Why a program did not stop -------------------------------------- */

/* Whether SIG's bit is set in the mask on the line FIELD ("SigCgt:") of
 * /proc/PID/status; false if it cannot be read. */
static bool signal_in_mask(pid_t pid, const char *field, int sig)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    unsigned long long mask = 0;
    bool found = false;
    while (f != NULL && !found && fgets(line, sizeof line, f) != NULL)
        found = strncmp(line, field, strlen(field)) == 0 &&
                sscanf(line + strlen(field), "%llx", &mask) == 1;
    if (f != NULL)
        fclose(f);
    return found && sig >= 1 && sig <= 64 && ((mask >> (sig - 1)) & 1);
}

/* The blocking call P's main thread waits in, if it is one that SA_RESTART
 * resumes after a handler and a server waits in for its next client or
 * datagram ("accept"); NULL otherwise, or if /proc does not say. */
static const char *restartable_wait(pid_t pid)
{
    static const struct {
        long number;
        const char *name;
    } calls[] = {
#ifdef SYS_accept
        { SYS_accept, "accept" },
#endif
        { SYS_accept4, "accept" },  { SYS_read, "read" }, { SYS_recvfrom, "recv (recvfrom)" },
        { SYS_recvmsg, "recvmsg" },
    };
    char path[64], text[64] = "";
    snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof text - 1);
    if (fd >= 0)
        close(fd);
    if (n <= 0 || !isdigit((unsigned char)text[0]))
        return NULL; /* "running", or unreadable */
    long number = strtol(text, NULL, 10);
    for (size_t i = 0; i < COUNT_OF(calls); i++)
        if (calls[i].number == number)
            return calls[i].name;
    return NULL;
}

/*
 * P did not stop after the grader's SIGTERM or SIGINT: says why where the
 * kernel shows it (check.h's diagnose), with what to do, in WHY.
 */
static void diagnose_still_running(struct check *c, struct program *p, struct buf *why)
{
    int sig = p->sent_signal;
    const char *abbrev = sigabbrev_np(sig), *call;
    if (sig != SIGTERM && sig != SIGINT)
        return;
    if (signal_in_mask(p->pid, "SigIgn:", sig)) {
        diagnose(c, "stop-signal-ignored", NULL);
        buf_printf(why,
                   "  It ignores SIG%s (SIG_IGN): a server that must stop on it "
                   "catches it instead.\n",
                   abbrev);
    } else if (signal_in_mask(p->pid, "SigBlk:", sig)) {
        diagnose(c, "stop-signal-blocked", NULL);
        buf_printf(why,
                   "  Its main thread blocks SIG%s (sigprocmask), so the signal "
                   "waits, never handled.\n",
                   abbrev);
    } else if (signal_in_mask(p->pid, "SigCgt:", sig) &&
               (call = restartable_wait(p->pid)) != NULL) {
        diagnose(c, "sa-restart", NULL);
        buf_printf(why,
                   "  It has a handler for SIG%s, yet it is still blocked in %s: the "
                   "handler was installed with SA_RESTART (as signal() does on Linux), so "
                   "the call resumed after it instead of failing with EINTR, and the loop "
                   "never looked at its stop flag.  Install it with sigaction and sa_flags "
                   "0.\n",
                   abbrev, call);
    }
}

/* P ended by the very signal the grader sent to stop it: it has no
 * handler.  Says so (diagnose), in WHY. */
static void diagnose_killed_by_stop(struct check *c, struct program *p, struct buf *why)
{
    int sig = p->sent_signal;
    if ((sig != SIGTERM && sig != SIGINT) || !WIFSIGNALED(p->status) ||
        WTERMSIG(p->status) != sig)
        return;
    diagnose(c, "no-stop-handler", NULL);
    buf_printf(why,
               "  It has no handler for SIG%s, whose default action ends a program at "
               "once: nothing is closed or flushed, and the status is not 0.\n",
               sigabbrev_np(sig));
}

void expect_exit(struct check *c, struct program *p, int status)
{
    if (!wait_exit(c, p) && p->sent_signal != 0) {
        struct buf sent = { 0 }, why = { 0 };
        describe_signal_sent(&sent, p);
        diagnose_still_running(c, p, &why);
        fail(c,
             "%s; the %s (`%s`) is still running; it should have exited with status %d.\n%s",
             sent.data, p->name, p->command, status, why.data ? why.data : "");
    }
    if (!p->exited)
        fail(c,
             "the %s (`%s`) was still running %d ms into the check; it should "
             "have exited with status %d.",
             p->name, p->command, c->time_limit_ms, status);
    if (WIFEXITED(p->status) && WEXITSTATUS(p->status) == status)
        return;
    struct buf b = { 0 }, why = { 0 };
    describe_end(c, &b, p);
    diagnose_killed_by_stop(c, p, &why);
    fail(c, "the %s (`%s`) %s; it should have exited with status %d.\n%s", p->name, p->command,
         b.data, status, why.data ? why.data : "");
}

void inject_short_counts(struct check *c)
{
    if (c->shortio == NULL || access(c->shortio, R_OK) != 0)
        fail(c, "grader error: shortio.so is missing (%s): run make",
             c->shortio ? c->shortio : "no path given");
    c->short_counts = true;
    note(c, "programs from now on run with %s preloaded: short reads and writes", c->shortio);
}

/*
 * Whether shortio.so was loaded in P is in the pipe its constructor writes
 * to before main (shortio.h).  P has listened or connected, so its main
 * has run: the byte is there now if it ever will be, even if P has exited
 * since, and its absence means the library was not loaded.
 */
void require_short_counts(struct check *c, struct program *p)
{
    if (!p->main_ran)
        fail(c,
             "grader error: short counts required of the %s before it listened or "
             "connected",
             p->name);
    if (p->announce >= 0) {
        char byte;
        p->shortio_loaded = read(p->announce, &byte, 1) == 1;
        close(p->announce);
        p->announce = -1;
    }
    if (!p->shortio_loaded)
        not_testable(c,
                     "the %s does not load preloaded libraries (it is statically "
                     "linked, or does not use the C library), so short reads and "
                     "writes cannot be forced on it.",
                     p->name);
    note(c, "the %s runs with shortio.so loaded", p->name);
}

void signal_program(struct check *c, struct program *p, int sig)
{
    note(c, "send SIG%s to the %s", sigabbrev_np(sig), p->name);
    char name[16];
    const char *abbrev = sigabbrev_np(sig);
    int n = snprintf(name, sizeof name, "SIG%s", abbrev ? abbrev : "?");
    log_event(c, "signal", "grader", p->actor, name, (size_t)n);
    if (sig != SIGSTOP && sig != SIGCONT && !p->exited) {
        p->sent_signal = sig; /* for messages: which, and when */
        p->sent_ms = now_ms();
    }
    if (!p->exited)
        killpg(p->pid, sig);
}

bool program_running(struct program *p)
{
    return !p->exited;
}

const struct buf *program_stdout(const struct program *p)
{
    return &p->out;
}

const struct buf *program_stderr(const struct program *p)
{
    return &p->errout;
}

static int count_dir_entries(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* State (R, S, D, Z...) and process group of PID from /proc/PID/stat;
 * false when they cannot be read. */
static bool read_stat(const char *pid, char *state, pid_t *pgrp)
{
    char path[300], line[512];
    snprintf(path, sizeof path, "/proc/%s/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    char *ok = fgets(line, sizeof line, f);
    fclose(f);
    char *paren = ok ? strrchr(line, ')') : NULL; /* the name may hold spaces */
    int group;
    if (paren == NULL || sscanf(paren + 1, " %c %*d %d", state, &group) != 2)
        return false;
    *pgrp = group;
    return true;
}

static pid_t process_group_of(const char *pid)
{
    char state;
    pid_t pgrp;
    return read_stat(pid, &state, &pgrp) ? pgrp : -1;
}

static bool asleep_or_gone(struct check *c, void *arg)
{
    (void)c;
    struct program *p = arg;
    char pid[32], state = 'R';
    pid_t pgrp;
    snprintf(pid, sizeof pid, "%d", (int)p->outside_pid);
    return p->exited || !read_stat(pid, &state, &pgrp) || state == 'S';
}

void wait_until_blocked(struct check *c, struct program *p)
{
    pump_until(c, asleep_or_gone, p, now_ms() + 1000, true);
}

/* Lines of the file PATH, or -1. */
static int count_lines_of(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    int n = 0;
    for (int ch; (ch = getc(f)) != EOF;)
        n += ch == '\n';
    fclose(f);
    return n;
}

/* Sums COUNT(/proc/PID/WHAT) over every process of P's group, or -1. */
static int count_in_group(struct program *p, const char *what, int (*count)(const char *))
{
    DIR *d = opendir("/proc");
    if (d == NULL)
        return -1;
    int total = -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9' ||
            process_group_of(e->d_name) != p->outside_pid)
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/%s/%s", e->d_name, what);
        int n = count(path);
        if (n >= 0)
            total = (total < 0 ? 0 : total) + n;
    }
    closedir(d);
    return total;
}

int count_open_fds(struct program *p)
{
    return count_in_group(p, "fd", count_dir_entries);
}

int count_threads(struct program *p)
{
    return count_in_group(p, "task", count_dir_entries);
}

int count_mappings(struct program *p)
{
    return count_in_group(p, "maps", count_lines_of);
}

/* ---- The end of a check ------------------------------------------------ */

/* The last bytes a program wrote on one of its streams, if any, unless
 * MSG already shows them (a check that quoted the program's stdout): the
 * same bytes twice only make a message longer. */
static void describe_tail(struct buf *msg, const char *stream, const struct buf *b)
{
    if (b->len == 0)
        return;
    size_t from = b->len > 300 ? b->len - 300 : 0;
    struct buf tail = { 0 };
    buf_escape(&tail, b->data + from, b->len - from, 300);
    /* Its end with the closing quote, for text that ends where it ends;
     * a short tail is too likely to stand in the message by chance. */
    const char *end = tail.data + 1;
    bool shown = tail.len >= 10 && msg->data != NULL && strstr(msg->data, end) != NULL;
    if (!shown) {
        buf_printf(msg, "    its %s%s: %s\n", from ? "last " : "", stream, tail.data);
    }
    buf_free(&tail);
}

static void describe_program(const struct check *c, struct buf *msg, struct program *p)
{
    buf_printf(msg, "  the %s ", p->name);
    if (p->exited) {
        describe_end(c, msg, p);
    } else {
        buf_puts(msg, "was still running");
        if (p->sent_signal != 0) {
            buf_puts(msg, "; ");
            describe_signal_sent(msg, p);
        }
    }
    buf_puts(msg, "\n");
    describe_tail(msg, "stdout", &p->out);
    describe_tail(msg, "stderr", &p->errout);
}

static bool all_exited(struct check *c)
{
    for (size_t i = 0; i < c->nprograms; i++)
        if (!c->programs[i]->exited)
            return false;
    return true;
}

/* Kills every child this (subreaper) process still has, until none is left:
 * descendants that were orphaned, even outside their process group, come
 * back to it as children. */
static int kill_children(void)
{
    FILE *f = fopen("/proc/thread-self/children", "r");
    if (f == NULL)
        return -1;
    int pid, killed = 0;
    while (fscanf(f, "%d", &pid) == 1) {
        kill(pid, SIGKILL);
        killed++;
    }
    fclose(f);
    return killed;
}

void reap_all_descendants(bool in_namespace)
{
    if (in_namespace) {
        /* Everything in the namespace but its init and us is ours. */
        kill(-1, SIGKILL);
        while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
            ;
        return;
    }
    for (;;) {
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        int killed = kill_children();
        if (killed == 0)
            return;
        if (killed < 0) { /* no list to read: wait for them all */
            while (waitpid(-1, NULL, 0) > 0)
                ;
            return;
        }
        waitpid(-1, NULL, 0); /* at least one of them is dying */
    }
}

static bool all_asleep_or_gone(struct check *c)
{
    for (size_t i = 0; i < c->nprograms; i++)
        if (!asleep_or_gone(c, c->programs[i]))
            return false;
    return true;
}

static void stop_programs(struct check *c)
{
    int grace_ms = STOP_GRACE_MS * c->time_scale;
    /* A program that answers SIGTERM by setting a flag misses it when it
     * comes between its look at the flag and the call that blocks: first
     * wait (as long as the grace, at most) until each sleeps in such a
     * call, as the checks' own signals do (wait_until_blocked).  Under
     * valgrind, which hands signals over only at system calls, that
     * window is wide. */
    int64_t until = now_ms() + grace_ms;
    for (int64_t interval = 1; !all_asleep_or_gone(c) && now_ms() < until;
         interval = interval < 4 ? interval * 2 : 4)
        pump(c, (int)interval);
    bool signalled = false;
    for (size_t i = 0; i < c->nprograms; i++) {
        struct program *p = c->programs[i];
        if (!p->exited) {
            note(c, "stop the %s: SIGTERM to its process group", p->name);
            killpg(p->pid, SIGTERM);
            killpg(p->pid, SIGCONT); /* in case a check left it paused */
            signalled = true;
        }
    }
    until = now_ms() + grace_ms;
    while (signalled && !all_exited(c) && now_ms() < until)
        pump(c, (int)(until - now_ms()));
    for (size_t i = 0; i < c->nprograms; i++) {
        struct program *p = c->programs[i];
        if (!p->exited)
            note(c, "the %s ignored SIGTERM for %d ms: SIGKILL", p->name, grace_ms);
        /* Also kills what it forked into its group, even after it exited. */
        killpg(p->pid, SIGKILL);
    }
    for (size_t i = 0; i < MAX_PROGRAMS; i++)
        c->slot->pgids[i] = 0;
    reap_all_descendants(c->in_namespace);
    for (size_t i = 0; i < c->nprograms; i++) {
        struct program *p = c->programs[i];
        flush_stream_log(c, &p->out_log, p->name);
        flush_stream_log(c, &p->err_log, p->name);
    }
}

/* ---- The check's programs as one source of its pump -------------------- */

static size_t programs_nfds(struct check *c, void *self)
{
    (void)self;
    return 2 * c->nprograms;
}

static void programs_fds(struct check *c, void *self, struct pollfd *fds)
{
    (void)self;
    size_t n = 0;
    for (size_t i = 0; i < c->nprograms; i++)
        program_fds(c->programs[i], fds, &n);
}

static void programs_events(struct check *c, void *self, const struct pollfd *fds)
{
    (void)self;
    for (size_t i = 0; i < c->nprograms; i++)
        program_events(c, c->programs[i], fds + 2 * i);
}

static void programs_child_exited(struct check *c, void *self)
{
    (void)self;
    for (size_t i = 0; i < c->nprograms; i++)
        notice_exit(c, c->programs[i]);
}

static void programs_describe(struct check *c, void *self, struct buf *msg)
{
    (void)self;
    for (size_t i = 0; i < c->nprograms; i++)
        describe_program(c, msg, c->programs[i]);
}

static bool programs_settled(struct check *c, void *self)
{
    (void)self;
    return all_exited(c);
}

static void programs_finish(struct check *c, void *self)
{
    (void)self;
    stop_programs(c);
}

static const struct source_ops programs_source = {
    .phase = PHASE_PROGRAMS,
    .nfds = programs_nfds,
    .fds = programs_fds,
    .events = programs_events,
    .child_exited = programs_child_exited,
    .describe = programs_describe,
    .settled = programs_settled,
    .finish = programs_finish,
};

/* Before the first program starts: its exit and its output come through
 * the pump from then on. */
static void watch_programs(struct check *c)
{
    watch_child_exits(c);
    add_source(c, &programs_source, NULL);
}

bool wait_until(struct check *c, bool (*cond)(struct check *c, void *arg), void *arg, int ms)
{
    return pump_until(c, cond, arg, now_ms() + ms, true);
}

int exit_status(const struct program *p)
{
    return p->exited && WIFEXITED(p->status) ? WEXITSTATUS(p->status) : -1;
}
