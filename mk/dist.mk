# make dist: the student copy of the kit, DIST (build/dist/netlab-student.tar.gz),
# which unpacks to netlab/ and builds, grades and tests without the
# solutions, the hidden checks or the known-buggy variants (mk/dist.sh).
# Included from the Makefile.
DIST ?= $(BUILD)/dist/netlab-student.tar.gz

.PHONY: dist
dist:
	@mk/dist.sh student $(DIST)

help::
	@echo "make dist       the student copy: build/dist/netlab-student.tar.gz, no solutions or hidden checks"
