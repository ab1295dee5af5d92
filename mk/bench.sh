#!/bin/sh
# make bench: one report, side by side.  The grader's wall time per lab and
# for the whole kit, on the solutions and on the starters; lab 02's solution
# against socat's echo on the same payload; lab 04's server under 500
# clients.  Each figure is a median of BENCH_RUNS runs (5).  The grader's
# per-check times are kept in BUILD/bench/grade-TREE.txt.
# A benchmark reports; it fails only when something could not be measured.
# Usage: mk/bench.sh BUILD-DIR
set -eu
build=$1
runs=${BENCH_RUNS:-5}
mib=${BENCH_MIB:-256}
out=$build/bench
mkdir -p "$out"

# Benches the grader on TREE.  Exit status 1 only says that a check failed,
# which is what starters do; 2 and up mean no figures.
grade_bench() {
    status=0
    ./harness/grade --impl "$1" --bench="$runs" > "$out/grade-$1.txt" || status=$?
    if [ "$status" -gt 1 ]; then
        echo "bench: grading $1 did not finish (exit status $status)" >&2
        exit 1
    fi
}

# Joins the "lab ID" and "whole kit" rows of the solutions' and the
# starters' bench outputs into one table, in lab order.
side_by_side() {
    awk '
        FNR == 1 { tree++ }
        $1 == "lab" || ($1 == "whole" && $2 == "kit") {
            key = $1 == "lab" ? $2 : "whole kit"
            if (tree == 1) order[++n] = key
            cell[tree, key] = sprintf("%7.3f s (max %6.3f)", $3, $4)
        }
        END {
            printf "  %-16s %-24s %s\n", "", "solutions", "starters"
            for (i = 1; i <= n; i++)
                printf "  %-16s %-24s %s\n", order[i], cell[1, order[i]], cell[2, order[i]]
        }' "$1" "$2"
}

grade_bench solutions
grade_bench labs
echo "netlab bench on $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); medians of $runs runs"
echo
echo "Grader wall time, each lab graded alone, then the whole kit at once"
side_by_side "$out/grade-solutions.txt" "$out/grade-labs.txt"
grep '^note:' "$out/grade-solutions.txt" | sed 's/^/  solutions: /' || true
echo "  (per check: $out/grade-solutions.txt, $out/grade-labs.txt)"

echo
echo "Lab 02 echo throughput over loopback, $mib MiB each run, every byte checked"
"$build/bench_echo" "$mib" "$runs" solutions/02-echo/server PORT > "$out/echo.txt"
"$build/bench_echo" "$mib" "$runs" socat TCP-LISTEN:PORT,reuseaddr,fork PIPE >> "$out/echo.txt"
sed 's/^/  /' "$out/echo.txt"
awk '{ for (i = 1; i < NF; i++) if ($i == "median") rate[NR] = $(i + 1) }
     END { printf "  solution / socat: %.2fx (%s)\n", rate[1] / rate[2],
           (rate[1] >= rate[2] ? "at least as fast as socat" : "SLOWER than socat") }' "$out/echo.txt"

echo
echo "Lab 04 under load"
"$build/bench_load" solutions/04-threaded/server 500 "$runs" | sed 's/^/  /'
