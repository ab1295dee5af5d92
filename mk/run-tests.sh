#!/bin/sh
# Runs each Criterion test binary given, shows its output, and ends with one
# line that totals them all.  Exits non-zero if any binary failed, or if
# the kit's C files are not laid out as its .clang-format files say
# (mk/format.sh, which the students' copy has not: there only the tests run).
set -u
passed=0 failed=0 status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
format=""
if [ -x mk/format.sh ]; then
    echo "== mk/format.sh --check"
    if mk/format.sh --check; then
        format="; the kit's C laid out as .clang-format says"
    else
        format="; the kit's C NOT laid out as .clang-format says (mk/format.sh --fix)"
        status=1
    fi
fi
for t in "$@"; do
    echo "== $t"
    # Each test of test_grading (and test_batch's class) grades dozens of
    # checks at once: two such tests side by side would overload a 2-core
    # machine, and a check's time limit would then fail a program for the
    # machine's sake.
    jobs=2
    case $t in */test_grading|*/test_batch) jobs=1 ;; esac
    "./$t" --jobs "$jobs" 2>&1 | tee "$log"
    line=$(grep 'Synthesis:' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "netlab: $t printed no summary: it crashed or was killed" >&2
        failed=$((failed + 1)) status=1
        continue
    fi
    p=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
    f=$(echo "$line" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
    c=$(echo "$line" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
    passed=$((passed + p)) failed=$((failed + f + c))
    [ "$f" -eq 0 ] && [ "$c" -eq 0 ] || status=1
done
echo "Total: $passed passed, $failed failed$format"
exit $status
