#!/bin/sh
# Builds one known-buggy variant: a copy of its lab's solution sources with
# the variant's patches applied (tests/variants/LAB/BUG/FILE.patch patches
# FILE.c).  A program is built when its own file or a file it shares with
# the other program (lab 03's chat.c, say) was patched; the test takes the
# solution's program for the other one.
# Usage: mk/build-variant.sh LAB/BUG BUILD-DIR "CC FLAGS" "LIBS"
set -eu
variant=$1 build=$2 compile=$3 libs=$4
lab=${variant%%/*}
from=tests/variants/$variant
out=$build/variants/$variant

rm -rf "$out"
mkdir -p "$out/src"
cp solutions/"$lab"/*.c "$out/src/"
for header in solutions/"$lab"/*.h; do
    [ -e "$header" ] && cp "$header" "$out/src/"
done

shared_patched=no
for patch in "$from"/*.patch; do
    file=$(basename "$patch" .patch).c
    patch --quiet --force --reject-file=- "$out/src/$file" "$patch"
    case $file in server.c|client.c) ;; *) shared_patched=yes ;; esac
done

shared=""
for file in "$out"/src/*.c; do
    case $file in */server.c|*/client.c) ;; *) shared="$shared $file" ;; esac
done
for program in server client; do
    if [ -e "$from/$program.patch" ] || [ $shared_patched = yes ]; then
        # shellcheck disable=SC2086
        $compile -I"$out/src" -o "$out/$program" "$out/src/$program.c" $shared $libs
    fi
done
