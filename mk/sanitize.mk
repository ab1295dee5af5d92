# The kit's own code under the sanitizers and valgrind.  Included from the
# Makefile.
#
# make test-asan: the whole `make test` on a copy of the kit (build/asan/kit)
#   whose helper library, grader, tests, starters, solutions and variants
#   are built with AddressSanitizer and UndefinedBehaviorSanitizer
#   (mk/test-asan.sh).
# make valgrind: grades the solutions with every program under valgrind
#   memcheck; fails on any failed check, error or leak (mk/valgrind.sh).
#   LAB=NN grades only that lab; VALGRIND_JOBS=N checks at once (the CPUs).
.PHONY: test-asan valgrind

test-asan:
	@mk/test-asan.sh

VALGRIND_JOBS ?= $(shell nproc)

valgrind: all | deps-check
	@mk/valgrind.sh --jobs $(VALGRIND_JOBS) $(foreach l,$(LAB),--lab $(l))

help::
	@echo "make test-asan  make test on a copy of the kit built with AddressSanitizer and UBSan"
	@echo "make valgrind   grade the solutions with every program under valgrind (LAB=NN)"
