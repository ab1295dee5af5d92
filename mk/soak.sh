#!/bin/sh
# make soak: hunts flaky checks.  Grades the solutions of every lab, hidden
# checks included, SOAK_RUNS times in a row (100), then SOAK_RUNS rounds of
# two graders at once while one spinning process per CPU keeps it busy.  Each
# grading's JUnit report is kept as BUILD/soak/PHASE-N.xml, with its
# transcripts in BUILD/soak/PHASE-N/ when a check failed.  Prints, per
# check, how often it passed and failed in each phase, then the distinct
# failure messages of every check that ever failed, and one summary line.
#
# Then the variant pass: SOAK_VARIANT_RUNS rounds (20) of two gradings at
# once of every known-buggy variant (tests/variants/, built under
# BUILD/variants/), each judged against its expect file exactly as
# test_grading judges it (BUILD/soak_variants, tests/variant.h).  Each
# grading's disagreements are kept as BUILD/soak/variants-N-a.tsv, with
# their transcripts in BUILD/soak/variants-N-a/.  Prints every variant and
# check that disagreed, how often, with its distinct messages.
# SOAK_BUDGET=SECONDS bounds that pass: after the first round, a round
# starts only if it would end within the budget, as long as the longest
# round so far took.  SOAK_RUNS=0 or SOAK_VARIANT_RUNS=0 leaves a part out.
#
# Exits 1 when any check of the solutions failed even once, or a variant
# ever disagreed with its expect file, or a grading wrote no report.
# Usage: mk/soak.sh BUILD-DIR
set -eu
build=$1
runs=${SOAK_RUNS:-100}
variant_runs=${SOAK_VARIANT_RUNS:-20}
budget=${SOAK_BUDGET:-}
out=$build/soak

# A count or a number of seconds: digits only, or the soak stops at once.
for setting in "SOAK_RUNS=$runs" "SOAK_VARIANT_RUNS=$variant_runs" "SOAK_BUDGET=${budget:-0}"; do
    case ${setting#*=} in
    ''|*[!0-9]*)
        echo "soak: ${setting%%=*} takes a whole number, not '${setting#*=}'" >&2
        exit 2 ;;
    esac
done
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

# Starts grading every variant in the background, the disagreements in
# $out/NAME.tsv, their transcripts in $out/NAME/; adds it to $graders.
start_variant_grading() {
    "$build/soak_variants" --build "$build" --transcripts "$out/$1" > "$out/$1.tsv" \
        2> "$out/$1.err" &
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
        [ -e "$err" ] || continue
        report=${err%.err}.xml
        case $err in */variants-*) report=${err%.err}.tsv ;; esac
        [ -s "$err" ] || [ ! -s "$report" ] || rm -f "$err"
    done
}

# The solutions: SOAK_RUNS gradings in a row, then SOAK_RUNS rounds of two
# at once under load.
solutions_pass() {
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
}

# The solutions' table, messages and summary line, into $out/summary.txt;
# status 1 when a check did not pass every time or a grading wrote no report.
solutions_summary() {
    # Transcripts are kept only for gradings where a check failed.
    for report in "$out"/*.xml; do
        grep -q -e '<failure' -e '<error' "$report" || rm -rf "${report%.xml}"
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
            /^      <error / { outcome = "grader error" }   # the grader failed
            /^      <(skipped|failure|error) / && match($0, /message="[^"]*/) {
                msg = substr($0, RSTART + 9, RLENGTH - 9)
                gsub(/&quot;/, "\"", msg); gsub(/&lt;/, "<", msg); gsub(/&gt;/, ">", msg)
                gsub(/&amp;/, "\\&", msg)      # last: it may have escaped the others
                gsub(/[0-9]+/, "N", msg)
            }
            /^    <\/testcase>/ { print phase "\t" check "\t" outcome "\t" msg }
        ' "$report"
    done > "$out/outcomes.tsv"

    # Gradings that wrote no report, or something on stderr.
    lost=$(find "$out" -maxdepth 1 -name '*.err' ! -name 'variants-*' | wc -l)

    # The table, the messages and the summary line; exit status 1 when a
    # check did not pass every time or a grading wrote no report.
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
        }' "$out/outcomes.tsv" > "$out/summary.txt"
}

# The variant pass: rounds of two gradings of every variant at once, until
# VARIANT_RUNS rounds are done or the next would overrun the budget.
variants_pass() {
    echo "soak: $variant_runs rounds of two gradings of every known-buggy variant at once${budget:+, within $budget s}"
    first=$(date +%s) longest=0 round=1
    while [ "$round" -le "$variant_runs" ]; do
        started=$(date +%s)
        if [ -n "$budget" ] && [ "$round" -gt 1 ] &&
                [ $((started - first + longest)) -gt "$budget" ]; then
            break
        fi
        start_variant_grading "variants-$round-a"
        start_variant_grading "variants-$round-b"
        finish_gradings
        took=$(($(date +%s) - started))
        [ "$took" -le "$longest" ] || longest=$took
        round=$((round + 1))
    done
    echo "soak: $((round - 1)) of $variant_runs variant rounds done in $(($(date +%s) - first)) s" \
         "(the longest round: $longest s)"
}

# Reads every variant grading's disagreements ("VARIANT CHECK WHAT:
# MESSAGE", numbers shown as N) and writes, into $out/variants.txt, each
# variant and check that ever disagreed with its expect file, how often,
# with its distinct messages, and one summary line; status 1 on any
# disagreement or lost grading.
variants_summary() {
    lost=$(find "$out" -maxdepth 1 -name 'variants-*.err' | wc -l)
    cat "$out"/variants-*.tsv | awk -F '\t' -v lost="$lost" '
        $1 == "graded" { gradings++; variants = $2; checks = $3; next }
        {
            key = $1 "  " $2
            if (!(key in count)) order[++n] = key
            count[key]++
            msg = $3
            gsub(/[0-9]+/, "N", msg)
            if (!((key, msg) in times)) msgs[key] = msgs[key] SUBSEP msg
            times[key, msg]++
        }
        END {
            if (n)
                print "variants and checks that disagreed with the expect file, their " \
                      "distinct messages (numbers as N):"
            for (i = 1; i <= n; i++) {
                k = order[i]
                printf "  %s: disagreed in %d of %d gradings\n", k, count[k], gradings
                m = split(substr(msgs[k], 2), part, SUBSEP)
                for (j = 1; j <= m; j++)
                    printf "    %3dx %s\n", times[k, part[j]], part[j]
            }
            printf "\nsoak: %d gradings of %d variants (%d checks each time), " \
                   "%d checks disagreed with their expect file, %d gradings with errors\n",
                   gradings, variants, checks, n, lost
            exit (n || lost) ? 1 : 0
        }' > "$out/variants.txt"
}

status=0
[ "$runs" -eq 0 ] || solutions_pass
[ "$variant_runs" -eq 0 ] || variants_pass
if [ "$runs" -gt 0 ]; then
    solutions_summary || status=1
    cat "$out/summary.txt"
fi
if [ "$variant_runs" -gt 0 ]; then
    [ "$runs" -eq 0 ] || echo
    variants_summary || status=1
    cat "$out/variants.txt"
fi
for err in $(find "$out" -maxdepth 1 -name '*.err'); do
    echo "soak: $err: a grader wrote errors or no report" >&2
done
exit "$status"
