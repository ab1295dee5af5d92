#!/bin/sh
# Checks (--check) or rewrites (--fix) the layout of the kit's own C files
# with clang-format, in the style the .clang-format files state: the
# grader, the tests and mk/*.c in one (./.clang-format), the code students
# read in style(9)'s, each function's return type on a line of its own
# (labs/.clang-format, solutions/.clang-format).
# Only the kit's files: those git lists (tracked, or new and not ignored).
# It never judges a student's code: the students' copy has no mk/format.sh
# (mk/dist.sh leaves it out), so their make test does not run it.
# Usage: mk/format.sh --check | --fix   (from the top of the kit)
set -eu

case ${1-} in
--check) mode=check ;;
--fix) mode=fix ;;
*) echo "usage: mk/format.sh --check | --fix" >&2; exit 2 ;;
esac

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "format: the kit's files are those git lists: run it in a git checkout of the kit" >&2
    exit 1
fi

list=$(mktemp)
out=$(mktemp)
trap 'rm -f "$list" "$out"' EXIT
# (A file git tracks may have been deleted from the working tree.)
git ls-files -z --cached --others --exclude-standard -- '*.c' '*.h' |
    tr '\0' '\n' | sort -u |
    while IFS= read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done >"$list"

if [ "$mode" = fix ]; then
    xargs -d '\n' clang-format -i <"$list"
    exit 0
fi

# One line per file whose layout differs, then clang-format's first
# complaints: enough to see what differs, not every line of a whole file.
bad=""
while IFS= read -r f; do
    clang-format --dry-run -Werror "$f" >>"$out" 2>&1 || bad="$bad $f"
done <"$list"
if [ -n "$bad" ]; then
    echo "format: these files are not laid out as .clang-format says ($(clang-format --version)):" >&2
    for f in $bad; do echo "    $f" >&2; done
    head -n 30 "$out" >&2
    echo "format: mk/format.sh --fix rewrites them" >&2
    exit 1
fi
echo "format: the kit's $(wc -l <"$list") C files are laid out as .clang-format says"
