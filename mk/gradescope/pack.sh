#!/bin/sh
# Writes Gradescope's autograder.zip: setup.sh and run_autograder at the
# top, as Gradescope requires (it unpacks the zip to /autograder/source),
# with finish.py, which writes results.json; the kit with its hidden checks
# and without the solutions under netlab/ (mk/dist.sh autograder); and the
# file `labs`, the labs it grades, one a line (none: every lab).
# Usage: mk/gradescope/pack.sh OUT.zip [LAB...]   (LAB: 02, 02-echo or echo)
#        (from the top of the kit)
set -eu
[ $# -ge 1 ] || { echo "usage: mk/gradescope/pack.sh OUT.zip [LAB...]" >&2; exit 2; }
out=$1
shift

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mk/dist.sh autograder "$stage/netlab" >/dev/null
cp mk/gradescope/setup.sh mk/gradescope/run_autograder mk/gradescope/finish.py "$stage/"

# Each LAB as its folder's name, or a stop here rather than an autograder
# that grades nothing.
: > "$stage/labs"
for want in "$@"; do
    match=""
    for dir in labs/[0-9][0-9]-*/; do
        id=$(basename "$dir")
        case $want in "$id" | "${id%%-*}" | "${id#*-}") match=$id ;; esac
    done
    if [ -z "$match" ]; then
        echo "gradescope: no lab named '$want' (labs/ has $(cd labs && echo [0-9][0-9]-*))" >&2
        exit 2
    fi
    echo "$match" >> "$stage/labs"
done

# python3's zipfile keeps each file's mode, so run_autograder stays
# executable; the paths in the zip are relative to the stage.
mkdir -p "$(dirname "$out")"
rm -f "$out"
out_abs=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
(cd "$stage" && python3 -m zipfile -c "$out_abs" setup.sh run_autograder finish.py labs netlab)
echo "gradescope: wrote $out ($(if [ -s "$stage/labs" ]; then echo $(cat "$stage/labs"); else echo every lab; fi))"
