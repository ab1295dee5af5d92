#!/bin/sh
# Gradescope runs this once, as root, when it builds the autograder's image
# (Ubuntu 22.04), from the unpacked autograder.zip (/autograder/source):
# it installs what the kit needs and builds the grader, so that each
# submission costs only the build of the student's own programs.
# AUTOGRADER_ROOT replaces /autograder (the kit's test uses a fake tree).
set -eu
kit=${AUTOGRADER_ROOT:-/autograder}/source/netlab

# run_autograder writes results.json with python3 (finish.py), whatever
# the grader did.
if ! command -v python3 >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3
fi
cd "$kit"
# The Makefile runs the kit's scripts: executable, even if an unzip on the
# way dropped the modes the zip records.
chmod +x mk/*.sh
mk/deps.sh build
make

# Student programs run as users of their own, which may read the kit
# wherever the grader cannot hide it (a container without mount
# namespaces): the hidden checks, and the grader built from them, are
# root's alone.
chmod -R go= harness/grade build/harness
if [ -d harness/hidden ]; then
    chmod -R go= harness/hidden
fi
