#!/bin/sh
# Builds every hostile submission: tests/hostile/LAB/NAME/server.c or
# client.c becomes BUILD/hostile/NAME/LAB/, a tree to grade, where the
# other program is a copy of the solution's.  Plain flags, whatever the kit
# is built with: these programs must behave as written, not as a sanitizer
# would stop them.
# Usage: mk/build-hostile.sh BUILD-DIR CC
set -eu
build=$1 cc=$2
mkdir -p "$build/hostile"
for dir in tests/hostile/[0-9][0-9]-*/*/; do
    # No hostile submission matches (the student copy has none): nothing to do.
    [ -d "$dir" ] || continue
    dir=${dir%/}
    name=$(basename "$dir")
    lab=$(basename "$(dirname "$dir")")
    out=$build/hostile/$name/$lab
    rm -rf "$out"
    mkdir -p "$out"
    for program in server client; do
        if [ -e "$dir/$program.c" ]; then
            $cc -std=c17 -Wall -Wextra -Werror -O1 -g -D_GNU_SOURCE -Itests/hostile \
                -o "$out/$program" "$dir/$program.c"
        else
            cp "solutions/$lab/$program" "$out/$program"
        fi
    done
done
