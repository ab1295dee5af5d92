/*
 * An echo server that first looks for the kit and the machine's files:
 * words that name the kit (its folders, the path of this very program,
 * KIT/build/hostile/...) in what it can read of its own process and of
 * every other one it can see, then the file netlab-kit-marker that the
 * test puts in the kit's top folder, anywhere it can walk, and anything
 * in /root or /home.  What it finds, it says on stderr, and gives up,
 * status 3.  In a root of its own there is nothing to find.
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>

#include "hostile.h"

#define MARKER "netlab-kit-marker"
#define MAX_ENTRIES 200000

static const char *const words[] = { "harness", "/solutions", "build/hostile", MARKER };
static int found;
static long walked;

/* Says if TEXT (LEN bytes, NULs allowed) holds a word that names the kit. */
static void search(const char *where, const char *text, size_t len)
{
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        if (memmem(text, len, words[w], strlen(words[w])) != NULL) {
            fprintf(stderr, "found \"%s\" in %s\n", words[w], where);
            found++;
        }
    }
}

static void search_file(const char *path)
{
    static char text[1 << 20];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    size_t len = 0;
    for (ssize_t n; len < sizeof text && (n = read(fd, text + len, sizeof text - len)) > 0;)
        len += (size_t)n;
    close(fd);
    search(path, text, len);
}

static void search_link(const char *path)
{
    char target[PATH_MAX];
    ssize_t n = readlink(path, target, sizeof target);
    if (n > 0)
        search(path, target, (size_t)n);
}

/* Every process it can see: its command line and executable. */
static void search_processes(void)
{
    DIR *proc = opendir("/proc");
    for (struct dirent *e; proc != NULL && (e = readdir(proc)) != NULL;) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        search_file(path);
        snprintf(path, sizeof path, "/proc/%s/environ", e->d_name);
        search_file(path);
        snprintf(path, sizeof path, "/proc/%s/exe", e->d_name);
        search_link(path);
    }
    if (proc != NULL)
        closedir(proc);
}

static int look(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)ftw;
    const char *name = strrchr(path, '/');
    if (name != NULL && strcmp(name + 1, MARKER) == 0) {
        fprintf(stderr, "found the kit's marker: %s\n", path);
        found++;
    }
    /* The machine's own pseudo-files and system files hold no kit. */
    if (type == FTW_D && (strcmp(path, "/proc") == 0 || strcmp(path, "/sys") == 0 ||
                          strcmp(path, "/usr") == 0 || strcmp(path, "/dev") == 0))
        return FTW_SKIP_SUBTREE;
    return ++walked < MAX_ENTRIES ? FTW_CONTINUE : FTW_STOP;
}

/* Says if it can list anything in the folder DIR. */
static void search_home(const char *dir)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            fprintf(stderr, "found %s/%s\n", dir, e->d_name);
            found++;
            break;
        }
    }
    if (d != NULL)
        closedir(d);
}

int main(int argc, char **argv)
{
    int port = port_argument(argc, argv);
    char cwd[PATH_MAX];
    search("argv[0]", argv[0], strlen(argv[0]));
    if (getcwd(cwd, sizeof cwd) != NULL)
        search("the current folder", cwd, strlen(cwd));
    search_file("/proc/self/mountinfo");
    search_file("/proc/self/environ");
    search_link("/proc/self/exe");
    search_processes();
    nftw("/", look, 32, FTW_PHYS | FTW_ACTIONRETVAL);
    search_home("/root");
    search_home("/home");
    if (found > 0)
        return 3;
    serve_echo(listen_on(port));
}
