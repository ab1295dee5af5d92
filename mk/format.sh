#!/bin/sh
# Checks (--check) or rewrites (--fix) the layout of the kit's own C files
# with clang-format, in the style the .clang-format files state: the
# grader, the tests and mk/*.c in one (./.clang-format), the code students
# read in style(9)'s, each function's return type on a line of its own
# (labs/.clang-format, solutions/.clang-format).
# Only the kit's files: those git lists (tracked, or new and not ignored).
# It never judges a student's code: the students' copy has no mk/format.sh
# (mk/dist.sh leaves it out), so their make test does not run it.
# --fix also writes each known-buggy variant's patch anew, so that it
# still applies to its rewritten solution.
# Usage: mk/format.sh --check | --fix   (from the top of the kit)
set -eu

case ${1-} in
--check) mode=check ;;
--fix) mode=fix ;;
*) echo "usage: mk/format.sh --check | --fix" >&2; exit 2 ;;
esac

# clang-format lays code out a little differently from one major version
# to the next: the layout checked in is clang-format 14's (Debian 12's).
# Another version could only disagree about spaces, never about the code.
version=$(clang-format --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
if [ "$version" != 14 ] && [ "$mode" = check ]; then
    echo "format: skipped: the layout is clang-format 14's, and this is $(clang-format --version)"
    exit 0
fi

list=$(mktemp)
out=$(mktemp)
trap 'rm -f "$list" "$out"' EXIT
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # (A file git tracks may have been deleted from the working tree.)
    git ls-files -z --cached --others --exclude-standard -- '*.c' '*.h' |
        tr '\0' '\n' | sort -u |
        while IFS= read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done >"$list"
else
    # A copy of the kit without git (an archive): its C files, not what
    # the build made.
    find . -path ./build -prune -o -type f \( -name '*.c' -o -name '*.h' \) -print |
        sed 's|^\./||' | sort >"$list"
fi

if [ "$mode" = fix ]; then
    # A known-buggy variant is a patch of its lab's solution, which the
    # fix may rewrite: each variant is first made whole (its patch applied
    # to the solution as it is) and laid out as the solution will be, then
    # its patch is written anew against the rewritten solution.  A patch
    # that does not apply stops the fix before any file is rewritten.
    work=$(mktemp -d)
    trap 'rm -f "$list" "$out"; rm -rf "$work"' EXIT
    for patch in tests/variants/*/*/*.patch; do
        [ -e "$patch" ] || continue
        lab=$(echo "$patch" | cut -d/ -f3)
        solution=solutions/$lab/$(basename "$patch" .patch).c
        whole=$work/$(echo "$patch" | tr / _).c
        if ! patch --quiet --force --reject-file=- -o "$whole" "$solution" "$patch" \
                >/dev/null 2>&1; then
            echo "format: $patch does not apply to $solution; nothing was rewritten" >&2
            exit 1
        fi
        # (From stdin: the style is the one of the solution's folder.)
        clang-format --assume-filename="$solution" <"$whole" >"$whole.laid"
        mv "$whole.laid" "$whole"
    done
    xargs -d '\n' clang-format -i <"$list"
    for patch in tests/variants/*/*/*.patch; do
        [ -e "$patch" ] || continue
        lab=$(echo "$patch" | cut -d/ -f3)
        file=$(basename "$patch" .patch).c
        whole=$work/$(echo "$patch" | tr / _).c
        diff -u --label "a/$file" --label "b/$file" "solutions/$lab/$file" "$whole" \
            >"$work/new.patch" || true
        cmp -s "$work/new.patch" "$patch" || cp "$work/new.patch" "$patch"
    done
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
