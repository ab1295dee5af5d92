#!/bin/sh
# Grades the solutions, hidden checks included, with every program running
# under valgrind memcheck, and fails unless every check passed and valgrind
# reported nothing.
#
# build/valgrind/ is shaped like labs/: for each lab, server.bin and
# client.bin are copies of the solution's programs, and server and client
# are scripts that run them under valgrind.  A script refers only to files
# of its own folder, since the grader may show a program nothing else of
# the kit.  With -q, valgrind writes nothing unless it found an error or a
# leak; what it writes goes to the program's stderr, which the grader keeps
# in each check's transcript (the first 2 KiB of each program's stderr),
# where this script looks for valgrind's "==PID==" lines.
# Usage: mk/valgrind.sh [GRADER-OPTION...]   (e.g. --lab 02 --jobs 2)
set -eu

if ! command -v valgrind >/dev/null 2>&1; then
    echo "netlab: valgrind is missing; run: sudo apt-get install -y valgrind" >&2
    exit 1
fi

tree=build/valgrind
transcripts=$tree/transcripts
rm -rf "$tree"
mkdir -p "$tree"

# (Valgrind names its temporary files after its process ID and its
# parent's, the same in every check's PID namespace: that the grader sets
# TMPDIR to each check's own folder keeps concurrent checks apart.)
for lab in solutions/[0-9][0-9]-*; do
    name=$(basename "$lab")
    mkdir -p "$tree/$name"
    for program in server client; do
        [ -x "$lab/$program" ] || continue
        cp "$lab/$program" "$tree/$name/$program.bin"
        cat > "$tree/$name/$program" <<EOF
#!/bin/sh
# The solution's $program under valgrind memcheck (mk/valgrind.sh).
exec valgrind -q --vgdb=no --leak-check=full \\
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \\
    "\$(dirname "\$0")/$program.bin" "\$@"
EOF
        chmod +x "$tree/$name/$program"
    done
done

status=0
# --instructor: the hidden checks too.  Under memcheck a program runs one
# thread at a time, 10 to 50 times slower (a yescrypt hash: 24 ms becomes
# 400 ms): the time limits scale with it, as valgrind is not what they test.
harness/grade --impl "$tree" --instructor --time-scale 10 --transcripts "$transcripts" "$@" \
    > "$tree/report.txt" || status=$?
cat "$tree/report.txt"
[ $status -le 1 ] || exit $status

# What valgrind wrote, by check and program: transcript lines such as
#   [  12.3 ms] client stderr: 73 bytes "==5== 65,536 bytes in 1 blocks...\n"
found=$(cd "$transcripts" &&
        grep -E '^\[ *[0-9.]+ ms\] (server|client) stderr: .*==[0-9]+==' -- */*.txt || true)
if [ -n "$found" ]; then
    echo
    echo "valgrind reported errors or leaks (transcripts in $transcripts):"
    printf '%s\n' "$found" | awk '{
        i = index($0, ".txt:"); check = substr($0, 1, i - 1); rest = substr($0, i + 5)
        rest = substr(rest, index(rest, "] ") + 2)
        k = index(rest, " stderr: "); program = substr(rest, 1, k - 1)
        text = substr(rest, index(rest, "\"") + 1)
        sub(/"$/, "", text)                     # the closing quote, unless cut
        sub(/" \.\.\. \(/, " ... (", text)
        sub(/\\n$/, "", text)
        gsub(/\\n/, "\n    ", text)
        if (check " " program != last)
            print check ", the " program ":"
        last = check " " program
        print "    " text
    }'
    status=1
fi

# A program the grader had to kill 250 ms after SIGTERM could not finish
# valgrind's leak check; the clean-shutdown checks, which wait for the exit,
# are where leaks at exit are seen for sure.
cut=$(cd "$transcripts" && grep -l 'ignored SIGTERM for' -- */*.txt | sed 's/\.txt$//' || true)
if [ -n "$cut" ]; then
    echo
    echo "note: killed before valgrind's leak check could end (SIGTERM was not enough):"
    printf '%s\n' "$cut" | sed 's/^/    /'
fi

if [ $status -eq 0 ]; then
    echo "valgrind: every check passed; no error and no leak in any program"
else
    echo "valgrind: FAILED: a check failed, or valgrind reported (see above)" >&2
fi
exit $status
