#!/bin/sh
# Checks that the Debian packages a make goal needs are installed, before
# anything is built.  As root it installs what is missing with apt-get,
# whose own output goes to a log; otherwise it stops with the one command
# to run.
# Usage: mk/deps.sh [--log FILE] SET...   (SET: build, test, valgrind)
set -eu

# "package:probe:argument" triples; a probe compiles a header, finds a
# command, or links a fuzzer.
build_needs="gcc:cmd:cc make:cmd:make libc6-dev:hdr:stdio.h libsqlite3-dev:hdr:sqlite3.h
             libcrypt-dev:hdr:crypt.h"
test_needs="libcriterion-dev:hdr:criterion/criterion.h python3:cmd:python3 socat:cmd:socat
            netcat-openbsd:cmd:nc patch:cmd:patch git:cmd:git"
# Only for what the students' copy of the kit has not (mk/answers.mk): the
# fuzz targets, and the seccomp filter that stands for a default container.
answers_needs="clang:cmd:clang libclang-rt-14-dev:fuzz: libseccomp-dev:hdr:seccomp.h"
# The layout check of the kit's own C (mk/format.sh, run by make test; not
# in the students' copy, whose make test does without it).
format_needs="clang-format:cmd:clang-format"
valgrind_needs="valgrind:cmd:valgrind"

log=/dev/null
if [ "${1-}" = --log ]; then
    log=$2
    shift 2
fi

present() {
    case $1 in
    cmd) command -v "$2" >/dev/null 2>&1 ;;
    hdr) printf '#include <%s>\n' "$2" | cc -E -x c - >/dev/null 2>&1 ;;
    fuzz) command -v clang >/dev/null 2>&1 &&
          printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d[0] + (int)n; }\n' |
          clang -fsanitize=fuzzer -x c - -o /dev/null >/dev/null 2>&1 ;;
    esac
}

sets="$*"
case " $sets " in *" test "*) [ -f mk/answers.mk ] && sets="$sets answers" ;; esac
case " $sets " in *" test "*) [ -f mk/format.sh ] && sets="$sets format" ;; esac

missing() {
    list=""
    for set in $sets; do
        eval "needs=\$${set}_needs"
        for need in $needs; do
            pkg=${need%%:*} rest=${need#*:}
            case " $list " in *" $pkg "*) continue ;; esac
            present "${rest%%:*}" "${rest#*:}" || list="$list $pkg"
        done
    done
    echo "${list# }"
}

need=$(missing)
[ -z "$need" ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    mkdir -p "$(dirname "$log")"
    echo "netlab: installing the missing Debian packages: $need (apt-get's output: $log)" >&2
    export DEBIAN_FRONTEND=noninteractive
    # The lock timeout lets a fresh machine's own first apt run finish
    # instead of failing ours at once.
    # shellcheck disable=SC2086
    if { apt-get -o DPkg::Lock::Timeout=120 update &&
         apt-get -o DPkg::Lock::Timeout=120 install -y --no-install-recommends $need
       } >"$log" 2>&1; then
        still=$(missing)
        if [ -z "$still" ]; then
            echo "netlab: installed $need" >&2
            exit 0
        fi
        echo "netlab: apt-get installed the packages, yet these are still not usable: $still" >&2
    else
        echo "netlab: apt-get could not install $need; the end of its output ($log):" >&2
        tail -n 12 "$log" | sed 's/^/    /' >&2
    fi
    exit 1
fi

echo "netlab: missing Debian packages: $need" >&2
if ! command -v apt-get >/dev/null 2>&1; then
    echo "netlab: install them (or your system's packages of the same names) and run make again" >&2
elif command -v sudo >/dev/null 2>&1; then
    echo "netlab: install them, then run make again:" >&2
    echo "    sudo apt-get install -y $need" >&2
else
    echo "netlab: install them as root (this system has no sudo), then run make again:" >&2
    echo "    su -c 'apt-get install -y $need'" >&2
fi
exit 1
