/*
 * namespaces.c - the namespaces a check's or a build's process is forked
 * into, and what that process knows of them: what the runner (which forks
 * checks), build.c (which forks builds) and sandbox.c (which works inside
 * them) share.
 */
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The namespaces this process was forked into (CLONE_NEW* flags). */
static unsigned long own_namespaces;

/* The errno of the system's first refusal of a PID namespace; 0 until. */
static int namespace_refused;

/* The grader's user and group, which a user namespace maps to themselves. */
static uid_t outer_uid;
static gid_t outer_gid;

/* Writes TEXT to the file PATH of /proc; 0 or an errno. */
static int write_proc(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    ssize_t n = write(fd, text, strlen(text));
    int err = n < 0 ? errno : (size_t)n < strlen(text) ? EIO : 0;
    close(fd);
    return err;
}

/*
 * In a new user namespace: maps the grader's user and group to themselves,
 * the only mapping an ordinary user may make, so that files keep their
 * owner inside and out.  The process keeps every capability within its
 * namespaces (to mount, to bring up its loopback), which a program loses
 * when it is executed (sandbox_enter).  0, or an errno.
 */
static int map_own_user(void)
{
    char map[64];
    int err = write_proc("/proc/self/setgroups", "deny"); /* or gid_map is refused */
    if (err == 0) {
        snprintf(map, sizeof map, "%lu %lu 1\n", (unsigned long)outer_uid,
                 (unsigned long)outer_uid);
        err = write_proc("/proc/self/uid_map", map);
    }
    if (err == 0) {
        snprintf(map, sizeof map, "%lu %lu 1\n", (unsigned long)outer_gid,
                 (unsigned long)outer_gid);
        err = write_proc("/proc/self/gid_map", map);
    }
    return err;
}

/* Whether an ordinary user may have the namespaces FLAGS (with a user
 * namespace) here: tried once, by a throwaway child, so that a check is
 * never started in a user namespace that it then cannot map (Ubuntu may
 * restrict them; a container's seccomp filter may refuse them). */
static bool user_namespace_works(unsigned long flags)
{
    outer_uid = geteuid();
    outer_gid = getegid();
    fflush(NULL);
    pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid == 0)
        _exit(map_own_user() == 0 && unshare(CLONE_NEWNS) == 0 ? 0 : 1);
    int status;
    if (pid < 0) {
        namespace_refused = errno;
        return false;
    }
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        namespace_refused = EPERM;
        return false;
    }
    return true;
}

/*
 * Forks a process (a check, a build) as init of a PID namespace of its own
 * where the system allows it: when init ends, however it ends, the kernel
 * kills every process left in its namespace, so nothing a submission
 * starts can outlive it or the grader, even a process that left its group
 * and session.  With it come a network namespace of its own (no interface
 * but a loopback, down until the check brings it up in sandbox_prepare:
 * checks cannot see or reach each other, the host's services or the
 * network, and a build has no network at all) and an IPC namespace (SysV
 * and POSIX message queues die with it).  As root that takes nothing more;
 * an ordinary user gets them inside a user namespace of the process's own
 * (map_own_user), where the kernel allows one.  Where the kernel has no
 * network or IPC namespaces, the PID namespace alone; elsewhere a plain
 * fork: the process groups and the subreapers still reap what they can.
 */
pid_t fork_isolated(bool *in_namespace)
{
    static const unsigned long wanted = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC;
    static unsigned long flags = ~0ul;
    if (flags == ~0ul) {
        flags = wanted;
        if (geteuid() != 0)
            flags = user_namespace_works(CLONE_NEWUSER | wanted) ? CLONE_NEWUSER | wanted
                    : user_namespace_works(CLONE_NEWUSER | CLONE_NEWPID)
                        ? CLONE_NEWUSER | CLONE_NEWPID
                        : 0;
    }
    while (flags != 0) {
        pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid > 0) {
            *in_namespace = true;
            return pid;
        }
        if (pid == 0) {
            *in_namespace = true;
            own_namespaces = flags;
            if ((flags & CLONE_NEWUSER) && map_own_user() != 0)
                _exit(1); /* tried before: cannot happen */
            return 0;
        }
        /* EINVAL: a kernel built without network or IPC namespaces; EPERM:
         * no namespace is allowed at all. */
        unsigned long alone = CLONE_NEWPID | (flags & CLONE_NEWUSER);
        flags = errno == EINVAL && flags != alone ? alone : 0;
        if (flags == 0)
            namespace_refused = errno;
    }
    *in_namespace = false;
    return fork();
}

unsigned long isolated_namespaces(void)
{
    return own_namespaces;
}

int namespace_refusal(void)
{
    return namespace_refused;
}

bool privileged_in_namespaces(void)
{
    return geteuid() == 0 || (own_namespaces & CLONE_NEWUSER) != 0;
}

/*
 * Blanks the process's command line, as setproctitle does: it is the
 * grader's, which names the kit, and programs that run as the grader's own
 * user can read it in /proc.  The arguments lie one after the other from
 * argv[0] (program_invocation_name) on, as /proc/self/cmdline gives them.
 */
static void blank_command_line(void)
{
    char line[8192];
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, line, sizeof line);
    if (fd >= 0)
        close(fd);
    if (n > 0 && (size_t)n < sizeof line &&
        memcmp(program_invocation_name, line, (size_t)n) == 0)
        memset(program_invocation_name, 0, (size_t)n);
}

void guard_against_programs(void)
{
    if (!(own_namespaces & CLONE_NEWUSER))
        return; /* programs run as another user, or see all */
    blank_command_line();
    /* Its /proc files then belong to no user that programs are, and no
     * program may trace it, whatever ptrace's settings. */
    prctl(PR_SET_DUMPABLE, 0);
}

pid_t outside_pid_of_self(void)
{
    /* /proc is still the grader's until the check mounts its own. */
    char self[32] = "";
    ssize_t n = readlink("/proc/self", self, sizeof self - 1);
    return n > 0 ? (pid_t)strtol(self, NULL, 10) : getpid();
}
