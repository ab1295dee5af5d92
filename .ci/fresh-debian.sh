#!/usr/bin/env bash
# Proves README's two commands on a fresh Debian 12, as a new user meets
# them: a debootstrap root (minbase, plus what README says a user must
# have: gcc, make, and git to clone the kit), the kit cloned into root's
# home (mode 0700) and into an ordinary user's (mode 0700), the commands
# run there exactly as README writes them.
#
#   1. as the ordinary user, on the untouched root: `make test` stops at once
#      with the missing-package message README promises (no sudo here);
#   2. as root: `make grade` installs what it needs and grades the starters;
#   3. as root: `make test` installs the test packages and passes;
#   4. as the ordinary user, now that the packages are there: `make grade`
#      grades from a 0700 home, without root's sandbox.
#
# The machine's own apt sources (and any credentials or proxy they need)
# are reused, never printed.  Only the untouched debootstrap output is
# cached (/var/cache/netlab-ci), never a root where a kit command ran.
# Must run as root.  Usage: .ci/fresh-debian.sh
set -euo pipefail

kit=$(cd "$(dirname "$0")/.." && pwd)
cache=/var/cache/netlab-ci
# What README says a user has, plus what apt's default Recommends brings
# with gcc (libc6-dev: a user's `apt install gcc` has it).
include=gcc,make,libc6-dev,git,ca-certificates
suite=bookworm

say() { printf 'fresh-debian: %s\n' "$*"; }
die() { say "FAILED: $*" >&2; exit 1; }
# Hides any user:password@ in a URL of a log line.
hide_credentials() { sed -E 's#(://)[^/@[:space:]]+@#\1***@#g'; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it builds a Debian root)"

work=$(mktemp -d /var/tmp/netlab-fresh.XXXXXX)
trap 'rm -rf --one-file-system "$work"' EXIT
root=$work/root
logs=$work/logs
mkdir -p "$logs"

# ---- The host's tools and apt configuration ------------------------------

if ! command -v debootstrap >/dev/null 2>&1; then
    say "installing debootstrap"
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap; } \
        >"$logs/host-apt.log" 2>&1 || { hide_credentials <"$logs/host-apt.log" | tail -n 20; die "cannot install debootstrap"; }
fi

mirror=$(apt-get indextargets --format '$(REPO_URI) $(CODENAME) $(TARGET_OF)' |
         awk -v s="$suite" '$2 == s && $3 == "deb" { print $1; exit }')
[ -n "$mirror" ] || die "the machine's apt sources name no $suite archive"
# debootstrap fetches with wget, which reads the proxy from the environment.
proxy=$(apt-config dump --format '%v' Acquire::http::Proxy 2>/dev/null || true)
[ -n "$proxy" ] && export http_proxy=$proxy
proxy=$(apt-config dump --format '%v' Acquire::https::Proxy 2>/dev/null || true)
[ -n "$proxy" ] && export https_proxy=$proxy

# ---- The root: cached untouched, unpacked afresh -------------------------

key=$(printf '%s %s %s\n' "$suite" "$include" "$mirror" | sha256sum | cut -c1-16)
tarball=$cache/debootstrap-$suite-$key.tar
start=$SECONDS
if [ ! -s "$tarball" ]; then
    say "debootstrap $suite (minbase + $include)"
    mkdir -p "$cache" "$work/bootstrap"
    if ! debootstrap --variant=minbase --include="$include" "$suite" "$work/bootstrap" "$mirror" \
            >"$logs/debootstrap.log" 2>&1; then
        hide_credentials <"$logs/debootstrap.log" | tail -n 20
        die "debootstrap failed"
    fi
    tar -C "$work/bootstrap" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
    rm -rf --one-file-system "$work/bootstrap"
fi
mkdir "$root"
tar -C "$root" -xf "$tarball"
say "root ready in $((SECONDS - start)) s"

# apt inside the root uses the machine's sources, credentials and proxy.
rm -f "$root/etc/apt/sources.list"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
         /etc/apt/auth.conf /etc/apt/auth.conf.d/* /etc/apt/trusted.gpg.d/*; do
    [ -f "$f" ] && install -D -m "$(stat -c %a "$f")" "$f" "$root$f"
done
for f in /etc/apt/apt.conf.d/*; do
    [ -f "$f" ] && grep -qi 'proxy' "$f" && install -D -m 0644 "$f" "$root$f"
done
# The files a real machine has that debootstrap leaves out.
cat >"$root/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1		localhost ip6-localhost ip6-loopback
ff02::1		ip6-allnodes
ff02::2		ip6-allrouters
EOF
cp /etc/resolv.conf "$root/etc/resolv.conf"

# The kit as a user gets it: a clone of this commit.
git -C "$kit" bundle create "$root/srv/netlab.bundle" HEAD >/dev/null 2>&1 ||
    die "cannot bundle the kit's commit"
chmod 0644 "$root/srv/netlab.bundle"

# ---- Running in the root -------------------------------------------------

# Runs a shell command in the root as USER (root or student), in a mount
# and PID namespace of its own: / is a mount point, with /proc, /sys, /dev,
# /dev/pts and a private /dev/shm, as on a real machine.  Everything it
# started dies with it.  The root is entered with pivot_root, the
# machine's detached, not with chroot: in a chroot the kernel refuses an
# ordinary user the user namespaces that a real machine gives the grader.
in_root() {
    local user=$1 command=$2 home=/root
    [ "$user" = root ] || home=/home/$user
    unshare --mount --pid --fork --propagation private -- /bin/sh -c '
        root=$1 user=$2 home=$3 command=$4
        mount --bind "$root" "$root"
        mount -t proc proc "$root/proc"
        mount --rbind /sys "$root/sys"
        mount --rbind /dev "$root/dev"
        mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
        cd "$root" && pivot_root . . && umount -l . || exit 1
        exec /usr/bin/env -i HOME="$home" USER="$user" LOGNAME="$user" \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            LANG=C.UTF-8 TERM=dumb \
            /usr/bin/setpriv --reuid="$user" --regid="$user" --init-groups \
            /bin/bash -c "cd && $command"
        ' sh "$root" "$user" "$home" "$command" </dev/null
}

# Runs STEP (a name) as USER: COMMAND's output to its log, a line with its
# time and status; its status is returned.
step() {
    local name=$1 user=$2 command=$3 t=$SECONDS status=0
    in_root "$user" "$command" >"$logs/$name.log" 2>&1 || status=$?
    say "$name ($user: $command): exit $status in $((SECONDS - t)) s"
    return $status
}

show_log() { hide_credentials <"$logs/$1.log" | tail -n "${2:-40}" | sed 's/^/    /'; }

in_root root 'useradd --create-home --shell /bin/bash student && chmod 0700 /home/student &&
              git clone -q /srv/netlab.bundle "/root/my netlab" &&
              setpriv --reuid=student --regid=student --init-groups \
                  env HOME=/home/student git clone -q /srv/netlab.bundle /home/student/netlab' \
    >"$logs/setup.log" 2>&1 || { show_log setup; die "cannot set up the root"; }

# 1. An ordinary user on the untouched root: the message README promises,
#    before anything is built.
status=0
step user-test-fresh student 'cd netlab && make test' || status=$?
[ "$status" -ne 0 ] || { show_log user-test-fresh; die "make test passed without its packages?"; }
grep -q '^netlab: missing Debian packages: .*libcriterion-dev' "$logs/user-test-fresh.log" &&
    grep -q "^    su -c 'apt-get install -y .*libsqlite3-dev.*libcriterion-dev" "$logs/user-test-fresh.log" ||
    { show_log user-test-fresh; die "make test as a user did not print README's install line"; }
in_root student 'test ! -e netlab/build/libnetlab.a && test ! -e netlab/harness/grade' ||
    die "make test as a user built something before it found the packages missing"
show_log user-test-fresh 6

# 2. make grade as root: installs the build packages, grades the starters.
#    The starters fail most checks, which make grade does not call an error
#    (status 0: the score says it); what must hold is a whole report and no
#    grader error.
status=0
step root-grade root 'cd "my netlab" && make grade' || status=$?
grep -q '^Score: ' "$logs/root-grade.log" && [ "$status" -eq 0 ] &&
    ! grep -qi 'grader error\|permission denied' "$logs/root-grade.log" ||
    { show_log root-grade; die "make grade did not grade the starters"; }
grep '^netlab: installed\|^Score: ' "$logs/root-grade.log" | sed 's/^/    /'

# 3. make test as root: installs the test packages, every test passes.
step root-test root 'cd "my netlab" && make test' ||
    { show_log root-test 80; die "make test failed on a fresh Debian root"; }
grep '^netlab: installed\|^Total: ' "$logs/root-test.log" | sed 's/^/    /'

# 4. The ordinary user grades the solutions from a 0700 home: full marks.
#    make grade exits 0 after failed checks too: full marks are read from
#    the score ("Score: N/N (every check passed)").
step user-grade student 'cd netlab && make grade IMPL=solutions' &&
    grep -q '^Score: \([0-9]*\)/\1 (every check passed)' "$logs/user-grade.log" ||
    { show_log user-grade; die "make grade IMPL=solutions as a user did not give full marks"; }
grep -A1 -e '^Score: ' -e '^Isolation: ' "$logs/user-grade.log" | sed 's/^/    /'
# Where the kernel gives an ordinary user namespaces (Debian's does), a
# student's make grade isolates as README says: everything but a user and
# a memory cgroup per check.  The report wraps its lines at 80 columns:
# read as one line.
if in_root student 'unshare --user --mount true' >/dev/null 2>&1; then
    tr '\n' ' ' <"$logs/user-grade.log" | tr -s ' ' |
        grep -q 'Isolation: user, PID, network, IPC and mount namespaces; a root file system per check;' ||
        { show_log user-grade; die "a student's make grade did not get the namespaces README promises"; }
fi

say "passed in $SECONDS s"
