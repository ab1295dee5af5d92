#!/bin/sh
# The grading step of GitHub Classroom's workflow (classroom.yml, which the
# student copy holds as .github/workflows/classroom.yml): builds and grades
# the labs of the student's repository, prints every check with its points
# and explanation, and hands the points to Classroom's reporter as the step
# output `result` (handouts/classroom/points.py).
# NETLAB_LABS: the labs this assignment grades ("02", "02 03"); empty or
# unset: every lab folder.
# Usage: handouts/classroom/grade.sh  (from the top of the kit, after
#        `make harness/grade harness/shortio.so`)
set -eu
out=build/classroom
mkdir -p "$out"
rm -f "$out/results.json"

set --
for lab in ${NETLAB_LABS:-}; do
    set -- "$@" --lab "$lab"
done
# Exit status 1 means a check failed: that is a grade, reported below, not a
# failure of this step.  A missing or broken report is reported as an error.
harness/grade --build --impl labs "$@" --format gradescope --out "$out/results.json" \
    --transcripts "$out/transcripts" || true
python3 handouts/classroom/points.py "$out/results.json"
