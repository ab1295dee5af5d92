#!/bin/sh
# Copies the kit for people who must not see its answers.
#   student FILE.tar.gz  the student copy, packed as FILE.tar.gz, which
#                        unpacks to netlab/: no solutions, no hidden checks,
#                        no known-buggy variant, no test that needs them,
#                        no instructor's tool, the README's students' part,
#                        and the GitHub Classroom workflow in place.
#   autograder DIR       the same files plus the hidden checks, as the
#                        folder DIR (made afresh): the kit inside Gradescope's
#                        autograder (mk/gradescope/pack.sh).
# The files are those git lists in the working tree (tracked, or untracked
# and not ignored), so no build product goes in: no binary, no build/.
# Usage: mk/dist.sh student FILE.tar.gz | mk/dist.sh autograder DIR
#        (from the top of the kit)
set -eu

usage() {
    echo "usage: mk/dist.sh student FILE.tar.gz | mk/dist.sh autograder DIR" >&2
    exit 2
}
[ $# -eq 2 ] || usage
mode=$1 out=$2
case $mode in student|autograder) ;; *) usage ;; esac

# Whether FILE goes to students.  Tests are listed one by one: a new test
# that grades the solutions must not make the student copy's `make test`
# fail, so a test goes to students only once someone has said it may.
for_students() {
    case $1 in
    solutions/*|harness/hidden/*) return 1 ;;           # the answers
    tests/test_buf.c|tests/test_report.c|tests/test_lab.c|tests/test_runner.c|\
    tests/test_ports.c|tests/test_programs.c|tests/test_udp.c|tests/test_cgroups.c|\
    tests/selftest.h|tests/unit.h|tests/test_netlab.c|tests/test_contract.c|\
    tests/diagnoses.h|tests/files.h) return 0 ;;
    tests/*) return 1 ;;    # variants, hostile programs, the Python
                            # submission, fuzz targets, benchmarks, and the
                            # tests that grade them or the solutions
    # Of mk/, only what the copy's make, make grade and make test run.  The
    # rest is the instructor's (dist, gradescope, grade-class, what builds
    # or measures the solutions and variants): a new script stays out until
    # someone says students need it.
    mk/deps.sh|mk/run-tests.sh) return 0 ;;
    mk/*) return 1 ;;
    handouts/INSTRUCTORS.md) return 1 ;;
    .ci/*) return 1 ;;      # the kit's own CI, not the students' (Classroom's)
    esac
    return 0
}

# Whether FILE goes into the autograder: what students get, and the
# hidden checks, which Gradescope runs but students never see.
for_autograder() {
    case $1 in harness/hidden/*) return 0 ;; esac
    for_students "$1"
}

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "dist: the copy is made of the files git lists: run it in a git checkout of the kit" >&2
    exit 1
fi

# The tree is built in a fresh temporary folder, so that a half-made copy
# is never mistaken for a whole one.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
kit=$stage/netlab
mkdir "$kit"
git ls-files -z --cached --others --exclude-standard |
    tr '\0' '\n' |
    while IFS= read -r f; do
        # (A file git tracks may have been deleted from the working tree.)
        [ -e "$f" ] || continue
        case $mode in
        student) for_students "$f" || continue ;;
        autograder) for_autograder "$f" || continue ;;
        esac
        cp --parents -- "$f" "$kit/"
    done

# A copy without its Makefile or grader would be no kit at all.
for f in Makefile harness/grade.c labs/common/netlab.c; do
    if [ ! -e "$kit/$f" ]; then
        echo "dist: $f did not make it into the copy" >&2
        exit 1
    fi
done

# The copy's README is the kit's down to the marker line: what follows is
# the instructor's.  Without the marker the whole README would go out, so
# its absence stops the copy.
marker='<!-- The students'"'"' copy of this README ends here'
if [ "$(grep -c "^$marker" README.md)" -ne 1 ]; then
    echo "dist: README.md needs exactly one line starting '$marker'" >&2
    exit 1
fi
sed "/^$marker/,\$d" README.md > "$kit/README.md"

if [ "$mode" = student ]; then
    # The template repository of GitHub Classroom is the student copy: its
    # workflow grades each push (handouts/INSTRUCTORS.md, GitHub Classroom).
    mkdir -p "$kit/.github/workflows"
    cp handouts/classroom/classroom.yml "$kit/.github/workflows/classroom.yml"
    mkdir -p "$(dirname "$out")"
    # Owner and order fixed: the same tree gives the same listing anywhere.
    tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner -czf "$stage/out.tar.gz" netlab
    mv "$stage/out.tar.gz" "$out"
else
    rm -rf "$out"
    mkdir -p "$(dirname "$out")"
    mv "$kit" "$out"
fi
echo "dist: wrote $out"
