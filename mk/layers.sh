#!/bin/sh
# Proves that the grader's files depend on each other one way only: down
# the table of layers below, with no circle.  A file's dependencies are
# the functions and data it uses that another file defines (read by nm
# from the objects: undefined here, defined there) and the headers it
# includes (its #include "..." lines).  A file and its header are one
# unit: check.c and check.h are "check".
#
# It fails, saying which edge or circle, when
#   - a file of the grader is in no layer of the table (a new file says
#     where it belongs by being added to it);
#   - a file uses one of a layer above its own (an edge that points up);
#   - files use each other in a circle, within a layer (tsort finds it).
# Otherwise it prints the layers, top to bottom, with their files.
#
# Usage: mk/layers.sh [--table FILE] [--allow FILE] [SRC_DIR [OBJ_DIR]]
#   SRC_DIR  the sources (harness), OBJ_DIR their objects (build/harness),
#            built first (make);
#   --table  a table of one's own instead of the grader's (tests use it);
#   --allow  edges known to point up, one "FROM TO  # why" a line, instead
#            of the list below: each is reported, not failed.
set -eu

# ---- The grader's layers, top to bottom (the authoritative table) -----
# A line is "LAYER: unit unit ...".  A unit may use any unit of its own
# layer or of a layer below, never one above.  README.md ("For
# instructors", The grader's layers) explains each layer.
grader_table() {
    cat <<'EOF'
command:      grade internal        # the command line; internal.h: the tests' umbrella
class:        batch                 # grade --batch: copy, build and grade each submission
class-report: classreport           # the class's submissions, gradebook and page
interop:      interop               # --interop: clients against classmates' servers; the matrix
report:       report htmlreport isolation repro # text, HTML, JSON, JUnit; the isolation sentence; reproduction scripts
diagram:      diagram               # a check's sequence diagram from its event log
handout:      handout               # the handout section a hint names
build:        build                 # builds a submission, sandboxed
runner:       runner                # a process per check, under a deadline
check-run:    checkrun              # one check's life: sandbox up, run, result out
hidden:       hidden/*              # the hidden checks add themselves to their labs
checks:       checks/*              # each lab's checks, as its rubric
tsan:         tsan                  # checks that build a lab's sources
relay:        relay udp             # between two programs; a lossy UDP peer
programs:     programs              # the student's programs
peers:        peers                 # the grader as a peer
sandbox:      sandbox folder        # what programs may touch; the check's folder
cgroup:       cgroup                # memory and task limits
children:     children              # child exits: a self-pipe, one of the pump's sources
check:        check core events     # deadline, transcript, fail/note, the pump and its sources' interface
system:       namespaces quota walk # namespaces, a bounded copy, safe paths
types:        confinement slot lab labs  # types the layers above share; the labs' registry
buf:          buf shortio/shortio   # text buffers and clocks; the preloaded library's header
EOF
}

# Edges known to point up, reported but not failed, one "FROM TO  # why" a
# line.  None: the pump calls its event sources through the interface of
# events.h, not by name.  An edge listed here is a debt, with the issue
# that pays it in its comment.
grader_allow() {
    cat <<'EOF'
EOF
}

table='' allow=''
while [ $# -gt 0 ]; do
    case $1 in
    --table) table=$2; shift 2 ;;
    --allow) allow=$2; shift 2 ;;
    -*) echo "usage: mk/layers.sh [--table FILE] [--allow FILE] [SRC_DIR [OBJ_DIR]]" >&2; exit 2 ;;
    *) break ;;
    esac
done
src=${1:-harness}
obj=${2:-build/$src}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -n "$table" ]; then cat "$table"; else grader_table; fi |
    sed 's/#.*//' | awk -F: 'NF >= 2 { n++; k = split($2, u, " "); for (i = 1; i <= k; i++) print u[i], n, $1 }' \
    > "$work/layers"                    # unit (or pattern), layer number, layer name
if [ -n "$allow" ]; then cat "$allow"; else grader_allow; fi |
    sed 's/#.*//' | awk 'NF >= 2 { print $1, $2 }' > "$work/allow"

# The grader's files, each with its unit (its path under SRC_DIR, less
# .c, .h or .o).
find "$src" -name '*.[ch]' | sort > "$work/files"
[ -s "$work/files" ] || { echo "layers: no C file under $src" >&2; exit 1; }
unit_of() { sed -e "s|^$1/||" -e 's/\.[cho]$//'; }

unit_of "$src" < "$work/files" | sort -u > "$work/units"
# Each unit's layer: the first line of the table that names it (a name
# may be a shell pattern: checks/* is every lab's checks).
: > "$work/placed"                      # unit, layer number, layer name
while read -r pattern n name; do
    while read -r u; do
        # shellcheck disable=SC2254 # (a pattern, on purpose)
        case $u in
        $pattern) grep -q "^$u " "$work/placed" || echo "$u $n $name" >> "$work/placed" ;;
        esac
    done < "$work/units"
done < "$work/layers"

# Includes: FILE includes "NAME", found beside FILE or in SRC_DIR (the
# compiler's -I); headers from elsewhere (the helper library) are not the
# grader's.
while IFS= read -r f; do
    sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
        while IFS= read -r h; do
            for cand in "$(dirname "$f")/$h" "$src/$h"; do
                if [ -f "$cand" ]; then
                    echo "$(echo "$f" | unit_of "$src") $(echo "$cand" | sed 's|/\./|/|' | unit_of "$src") include"
                    break
                fi
            done
        done
done < "$work/files" > "$work/edges.raw"

# Calls (and data): nm's undefined symbols of one object that another
# defines.
objects=$(find "$obj" -name '*.o' | sort)
[ -n "$objects" ] || { echo "layers: no object under $obj: build first (make)" >&2; exit 1; }
for o in $objects; do
    u=$(echo "$o" | unit_of "$obj")
    # An object whose source is gone (a file renamed or removed) is no
    # longer the grader's; one older than its source would tell of code
    # that is no longer there.
    [ -f "$src/$u.c" ] || continue
    if [ "$src/$u.c" -nt "$o" ]; then
        echo "layers: $o is older than $src/$u.c: build first (make)" >&2
        exit 1
    fi
    nm -P -g --defined-only "$o" | awk -v u="$u" '$2 != "U" { print "D", $1, u }'
    nm -P -u "$o" | awk -v u="$u" '{ print "U", $1, u }'
done > "$work/symbols"
awk 'FNR == 1 { pass++ } pass == 1 { if ($1 == "D") def[$2] = $3; next }
     $1 == "U" && ($2 in def) { print $3, def[$2], $2 }' \
    "$work/symbols" "$work/symbols" > "$work/calls"
awk '{ print $1, $2, "call" }' "$work/calls" >> "$work/edges.raw"
awk '$1 != $2' "$work/edges.raw" | sort -u > "$work/edges"

status=0
# Every file in a layer.
awk 'FILENAME == ARGV[1] { placed[$1]; next } !($1 in placed)' "$work/placed" "$work/units" \
    > "$work/unplaced"
while read -r u; do
    echo "layers: $src/$u.* is in no layer: add it to the table (mk/layers.sh)" >&2
    status=1
done < "$work/unplaced"

# Every edge down or sideways, but for the known ones.
awk 'FILENAME == ARGV[1] { layer[$1] = $2; name[$1] = $3; next }
     FILENAME ~ /allow$/ { allowed[$1 " " $2]; next }
     ($1 in layer) && ($2 in layer) && layer[$1] > layer[$2] {
         if (($1 " " $2) in allowed) { known[$1 " -> " $2]; next }
         what = $3 == "include" ? "includes" : "calls"
         printf "layers: %s (layer %s) %s %s (layer %s, above it)\n", $1, name[$1], what, $2, name[$2]
     }
     END { for (k in known) print "known: " k }' \
    "$work/placed" "$work/allow" "$work/edges" > "$work/up"
if grep -q '^layers:' "$work/up"; then
    # Which symbols, for the calls: what to move.
    grep '^layers:' "$work/up" | sort -u | while read -r line; do
        # shellcheck disable=SC2086 # (its words)
        set -- $line            # layers: FROM (layer L) VERB TO (layer M, above it)
        echo "$line$( [ "$5" = calls ] &&
            awk -v f="$2" -v t="$6" '$1 == f && $2 == t { printf " %s", $3 }' "$work/calls" |
            sed 's/^/:/')" >&2
    done
    status=1
fi
sed -n 's/^known: /layers: known, allowed: /p' "$work/up" | sort
# An allowed edge that is gone should leave the list.
while read -r from to; do
    grep -q "^$from $to " "$work/edges" ||
        echo "layers: $from -> $to is allowed but no longer there: take it off the list"
done < "$work/allow"

# No circle: tsort orders the units (users before what they use) or
# names the files of a loop.  The known edges stay out of it.
awk 'FILENAME == ARGV[1] { allowed[$1 " " $2]; next } !(($1 " " $2) in allowed) { print $1, $2 }' \
    "$work/allow" "$work/edges" > "$work/pairs"
awk '{ print $1, $1 }' "$work/units" >> "$work/pairs"
if ! tsort "$work/pairs" > "$work/order" 2> "$work/loop"; then
    echo "layers: a circle among these files:" >&2
    # (tsort names every loop it breaks: the first says enough.)
    awk '/contains a loop/ { n++; next } n == 1 { sub(/^tsort: /, "  "); print }' \
        "$work/loop" >&2
    status=1
fi
[ $status -eq 0 ] || exit 1

nunits=$(wc -l < "$work/units")
nedges=$(wc -l < "$work/edges")
echo "layers: no circle among the $nunits units of $src ($nedges edges: $(grep -c ' call$' "$work/edges" || true) calls, $(grep -c ' include$' "$work/edges" || true) includes); every edge points down the table"
# The layers, top to bottom, with the units this tree has.
awk 'FILENAME == ARGV[1] { present[$1]; next }
     { name[$2] = $3; if ($2 > n) n = $2 }
     ($1 in present) { units[$2] = units[$2] " " $1 }
     END { for (i = 1; i <= n; i++) if (i in units) printf "  %-13s%s\n", name[i] ":", units[i] }' \
    "$work/units" "$work/placed"
