#!/bin/sh
# make soak: hunts flaky checks.  Grades the solutions of every lab, hidden
# checks included, SOAK_RUNS times in a row (100), then SOAK_RUNS rounds of
# two graders at once while one spinning process per CPU keeps it busy.  Each
# grading's JUnit report is kept as BUILD/soak/PHASE-N.xml, with its
# transcripts in BUILD/soak/PHASE-N/ when a check failed.  Prints, per
# check, how often it passed and failed in each phase, then the distinct
# failure messages of every check that ever failed, and one summary line.
# Exits 1 when any check failed even once: the solutions must pass always.
# Usage: mk/soak.sh BUILD-DIR
set -eu
build=$1
runs=${SOAK_RUNS:-100}
out=$build/soak
rm -rf "$out"
mkdir -p "$out"

# What this script runs in the background, so that an interrupted soak
# leaves nothing behind.  Spinners get SIGKILL: they hold nothing, and a
# child killed between fork and exec would otherwise run this script's
# traps.  Graders get SIGTERM: they stop the programs they started.
spinners="" graders=""
stop_background() {
    for pid in $spinners; do kill -KILL "$pid" 2>/dev/null || true; done
    for pid in $graders; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in $spinners $graders; do wait "$pid" 2>/dev/null || true; done
    spinners="" graders=""
}
trap stop_background EXIT
trap 'stop_background; exit 130' INT TERM

# Starts grading the solutions in the background, the report in
# $out/NAME.xml, the transcripts in $out/NAME/; adds the grader to $graders.
start_grading() {
    ./harness/grade --impl solutions --instructor --format junit --out "$out/$1.xml" \
        --transcripts "$out/$1" > /dev/null 2> "$out/$1.err" &
    graders="$graders $!"
}

# Waits for every grader started.  Status 0 keeps only the report; 1 (a
# check failed) keeps the transcripts too; anything else means no report,
# which the summary counts as a lost grading.
finish_gradings() {
    for pid in $graders; do
        status=0
        wait "$pid" || status=$?
        [ "$status" -le 1 ] || echo "soak: a grader exited with status $status" >&2
    done
    graders=""
    for err in "$out"/*.err; do
        [ -s "$err" ] || [ ! -s "${err%.err}.xml" ] || rm -f "$err"
    done
}

echo "soak: $runs gradings of solutions/ in a row"
i=1
while [ "$i" -le "$runs" ]; do
    start_grading "seq-$i"
    finish_gradings
    i=$((i + 1))
done

cpus=$(nproc)
echo "soak: $runs rounds of two graders at once, $cpus spinning processes"
for _ in $(seq "$cpus"); do
    sh -c 'while :; do :; done' &
    spinners="$spinners $!"
done
i=1
while [ "$i" -le "$runs" ]; do
    start_grading "load-$i-a"
    start_grading "load-$i-b"
    finish_gradings
    i=$((i + 1))
done
stop_background

# Transcripts are kept only for gradings where a check failed.
for report in "$out"/*.xml; do
    grep -q '<failure' "$report" || rm -rf "${report%.xml}"
done

# Reads every report: one line per check per grading, "PHASE CHECK
# OUTCOME MESSAGE", where a message's numbers (ports, pids, times) are
# shown as N so that the same failure groups as one.
for report in "$out"/*.xml; do
    awk -v phase="$(basename "$report" | cut -d- -f1)" '
        /^    <testcase / {
            split($0, q, "\"")
            check = substr(q[2], 8) "/" q[4]      # classname is netlab.LAB
            outcome = "pass"; msg = ""
        }
        /^      <skipped / && outcome == "pass" { outcome = "untestable" }
        /^      <failure / { outcome = "fail" }
        /^      <(skipped|failure) / && match($0, /message="[^"]*/) {
            msg = substr($0, RSTART + 9, RLENGTH - 9)
            gsub(/&quot;/, "\"", msg); gsub(/&lt;/, "<", msg); gsub(/&gt;/, ">", msg)
            gsub(/&amp;/, "\\&", msg)      # last: it may have escaped the others
            gsub(/[0-9]+/, "N", msg)
        }
        /^    <\/testcase>/ { print phase "\t" check "\t" outcome "\t" msg }
    ' "$report"
done > "$out/outcomes.tsv"

# Gradings that wrote no report, or something on stderr.
lost=$(find "$out" -maxdepth 1 -name '*.err' | wc -l)

# The table, the messages and the summary line; exit status 1 when a
# check did not pass every time or a grading wrote no report.
status=0
awk -F '\t' -v gradings="$(ls "$out"/*.xml | wc -l)" -v lost="$lost" '
    !($2 in seen) { seen[$2] = 1; order[++n] = $2 }
    { ok = $3 == "pass" ? "pass" : "fail"; count[$2, $1, ok]++ }
    $3 != "pass" {
        key = $1 " " $3 ": " $4
        if (!(($2, key) in times)) keys[$2] = keys[$2] SUBSEP key
        times[$2, key]++
    }
    END {
        printf "%-40s %20s %22s\n", "check", "in a row: pass fail", "under load: pass fail"
        for (i = 1; i <= n; i++) {
            c = order[i]
            good = count[c, "seq", "pass"] + count[c, "load", "pass"]
            bad = count[c, "seq", "fail"] + count[c, "load", "fail"]
            printf "%-40s %14d %5d %16d %5d%s\n", c, count[c, "seq", "pass"],
                   count[c, "seq", "fail"], count[c, "load", "pass"], count[c, "load", "fail"],
                   bad == 0 ? "" : good ? "   <- disagreed" : "   <- always failed"
            if (bad == 0)
                continue
            disagreed++
            list = list "\n  " c
            k = split(substr(keys[c], 2), part, SUBSEP)
            for (j = 1; j <= k; j++)
                list = list sprintf("\n    %3dx %s", times[c, part[j]], part[j])
        }
        if (disagreed)
            print "\nchecks that did not pass every time, their distinct messages " \
                  "(numbers as N):" list
        printf "\nsoak: %d gradings, %d checks, %d disagreed with themselves, %d gradings with errors\n",
               gradings, n, disagreed, lost
        exit (disagreed || lost) ? 1 : 0
    }' "$out/outcomes.tsv" > "$out/summary.txt" || status=$?
cat "$out/summary.txt"
for err in $(find "$out" -maxdepth 1 -name '*.err'); do
    echo "soak: $err: a grader wrote errors or no report" >&2
done
exit "$status"
