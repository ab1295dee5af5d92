#!/bin/sh
# After a solution changed: carries every known-buggy variant's patch over
# to the current solution and writes it anew, so that each variant stays
# "the solution with one mistake".  A patch that no longer applies, even
# with some fuzz, is listed and left as it was: redo that mistake by hand.
# Usage: mk/rebase-variants.sh [tests/variants/LAB/BUG/FILE.patch...]
set -u
[ $# -gt 0 ] || set -- tests/variants/*/*/*.patch
status=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for patch in "$@"; do
    lab=$(echo "$patch" | cut -d/ -f3)
    file=$(basename "$patch" .patch).c
    solution=solutions/$lab/$file
    if patch --quiet --force --fuzz=3 --reject-file=- -o "$work/variant.c" \
            "$solution" "$patch" >/dev/null 2>&1; then
        diff -u --label "a/$file" --label "b/$file" "$solution" "$work/variant.c" > "$work/new.patch"
        cmp -s "$work/new.patch" "$patch" || { cp "$work/new.patch" "$patch"; echo "rebased $patch"; }
    else
        echo "does not apply, redo by hand: $patch" >&2
        status=1
    fi
done
exit $status
