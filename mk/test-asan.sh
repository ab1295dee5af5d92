#!/bin/sh
# Runs `make test` on a copy of the kit in which the helper library, the
# grader, the tests, the starters, the solutions and the known-buggy
# variants are all built with AddressSanitizer and UndefinedBehaviorSanitizer;
# then grades the solutions of that copy once more and fails if any
# program's stderr shows a sanitizer's report, even in a check that passed.
# The ThreadSanitizer builds and the libFuzzer targets keep their own flags.
# The copy, build/asan/kit, holds the kit's sources as they are in the
# working tree (what git tracks or would track: no build output, no build/)
# and is built afresh each time, so no object is left from other flags.
# Usage: mk/test-asan.sh  (from the top of the kit)
set -eu

kit=build/asan/kit
options=$PWD/build/asan/options.o
flags="-std=c17 -Wall -Wextra -Werror -g -O1"
flags="$flags -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
# The sanitizers' options, linked into every program (-Wl: links see it,
# compiles do not).
flags="$flags -Wl,$options"

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "test-asan: the copy is made of the files git lists: run it in a git checkout" >&2
    exit 1
fi
rm -rf build/asan
mkdir -p "$kit"
# (A file git tracks may have been deleted from the working tree.)
git ls-files -z --cached --others --exclude-standard |
    xargs -0 sh -c 'for f; do
        if [ -e "$f" ]; then cp --parents "$f" "$0" || exit 1; fi
    done' "$kit"
# A repository of its own, holding nothing: the kit's scripts that list its
# files with git (make dist) then list the copy's, not the kit's.
git init -q "$kit"
cc -std=c17 -Wall -Wextra -Werror -O2 -D_POSIX_C_SOURCE=200809L -c -o "$options" mk/asan-options.c

cd "$kit"
# shortio.so is preloaded under students' programs, in any language: built
# with ASan it could load only into programs built with ASan.  It is built
# first, with the kit's own flags, and make test then finds it up to date.
make harness/shortio.so
make test CFLAGS="$flags"

# A report goes to the program's stderr, which the transcripts keep.
status=0
# --instructor: the hidden checks too.
harness/grade --impl solutions --instructor --transcripts build/transcripts > build/grade.txt || status=$?
reports=$(grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' build/transcripts/*/*.txt || true)
if [ $status -ne 0 ] || [ -n "$reports" ]; then
    cat build/grade.txt
    for r in $reports; do
        echo "== sanitizer report in $kit/$r:"
        grep -E 'stderr: ' "$r" | grep -E 'Sanitizer|runtime error|#[0-9]+ 0x' | head -20
    done
    echo "test-asan: FAILED: the ASan solutions failed a check or a sanitizer reported" >&2
    exit 1
fi
echo "test-asan: make test passed; the ASan solutions pass every check with no sanitizer report"
