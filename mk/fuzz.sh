#!/bin/sh
# Runs each libFuzzer target given: `short` for a fixed number of inputs
# from a fixed seed (make test: the same inputs every run), `long` for
# FUZZ_TIME seconds each (make fuzz).  New inputs go to a temporary folder,
# never into tests/fuzz/corpus; a crash is kept in build/fuzz/crashes/.
# Usage: mk/fuzz.sh short|long FUZZER...
set -u
mode=$1
shift
status=0
mkdir -p build/fuzz/crashes
for fuzzer in "$@"; do
    lab=$(basename "$fuzzer")
    work=$(mktemp -d)
    case $mode in
    short) limit="-runs=${FUZZ_RUNS:-200000} -seed=1" ;;
    *)     limit="-max_total_time=${FUZZ_TIME:-120}" ;;
    esac
    # shellcheck disable=SC2086
    if "$fuzzer" $limit -artifact_prefix="build/fuzz/crashes/$lab-" \
            "$work" "tests/fuzz/corpus/$lab" > "$work.log" 2>&1; then
        echo "fuzz $lab: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$work.log"), no failure"
    else
        echo "fuzz $lab: FAILED; the input is in build/fuzz/crashes/:" >&2
        grep -E 'ERROR|SUMMARY|Test unit written' "$work.log" >&2
        status=1
    fi
    rm -rf "$work" "$work.log"
done
exit $status
