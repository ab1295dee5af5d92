#!/bin/sh
# Checks that the Debian packages the kit needs are installed.  As root (as in
# CI) it installs what is missing; otherwise it stops with the one command to run.
# Usage: mk/deps.sh build|test...
set -eu

# "package:probe" pairs; a probe is a header to compile against or a command.
build_needs="gcc:cmd:cc make:cmd:make libsqlite3-dev:hdr:sqlite3.h libcrypt-dev:hdr:crypt.h"
test_needs="libcriterion-dev:hdr:criterion/criterion.h python3:cmd:python3 socat:cmd:socat netcat-openbsd:cmd:nc patch:cmd:patch"
# Only for the fuzz targets, which the students' copy of the kit has not.
fuzz_needs="clang:cmd:clang libclang-rt-14-dev:fuzz:"

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
case " $sets " in *" test "*) [ -d tests/fuzz ] && sets="$sets fuzz" ;; esac

missing=""
for set in $sets; do
    eval "needs=\$${set}_needs"
    for need in $needs; do
        pkg=${need%%:*}; rest=${need#*:}
        present "${rest%%:*}" "${rest#*:}" || missing="$missing $pkg"
    done
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "netlab: installing missing packages:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >&2
    exit 0
fi
echo "netlab: missing packages:$missing" >&2
echo "netlab: run: sudo apt-get install -y$missing" >&2
exit 1
