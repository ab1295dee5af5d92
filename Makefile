# netlab — build, grade and test the socket-programming lab kit.
# `make help` lists the targets.

CC       = cc
CFLAGS   = -std=c17 -Wall -Wextra -Werror -g -O2
# The labs and the helper library are plain POSIX; the grader and the tests use
# Linux extensions (pseudo-terminals, prctl, pidfd).
LAB_CPPFLAGS     = -D_POSIX_C_SOURCE=200809L -Ilabs/common
GRADER_CPPFLAGS  = -D_GNU_SOURCE -Iharness -Ilabs/common
LDLIBS_THREADS   = -pthread
# The grader reads lab 06's database (SQLite) and judges its hashes
# (libxcrypt's crypt_checksalt and crypt_rn).
GRADER_LDLIBS    = -lsqlite3 -lcrypt $(LDLIBS_THREADS)
# Libraries a lab's programs need beyond the helper library: a lab folder
# may hold a file `libs` naming them (lab 06: -lsqlite3 -lcrypt).
lab_libs = $(shell cat $(dir $(1))libs 2>/dev/null)

BUILD    = build
LIB      = $(BUILD)/libnetlab.a
GRADER   = harness/grade
SHORTIO  = harness/shortio.so

# Every lab folder: starters and solutions.
LAB_DIRS     := $(sort $(wildcard labs/[0-9][0-9]-*) $(wildcard solutions/[0-9][0-9]-*))
PROGRAM_SRCS := $(wildcard $(addsuffix /server.c,$(LAB_DIRS)) $(addsuffix /client.c,$(LAB_DIRS)))
PROGRAMS     := $(PROGRAM_SRCS:.c=)

LIB_SRCS     := $(wildcard labs/common/*.c)
LIB_OBJS     := $(LIB_SRCS:%.c=$(BUILD)/%.o)
# Each lab's checks (harness/checks/NN-name.c) and hidden checks
# (harness/hidden/, not in the students' copy) register themselves from
# constructors (lab.h), so they are linked as objects: a linker takes
# nothing from an archive that no one calls.
CHECKS_SRCS  := $(wildcard harness/checks/[0-9][0-9]-*.c harness/hidden/*.c)
CHECKS_OBJS  := $(CHECKS_SRCS:%.c=$(BUILD)/%.o)
GRADER_SRCS  := $(filter-out harness/grade.c $(CHECKS_SRCS),$(wildcard harness/*.c harness/checks/*.c))
GRADER_OBJS  := $(GRADER_SRCS:%.c=$(BUILD)/%.o)
GRADER_LIB   := $(BUILD)/libgrader.a
TEST_SRCS    := $(wildcard tests/test_*.c)
TEST_BINS    := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)

# Options passed through to the grader by `make grade`.
IMPL   ?= labs
LAB    ?=
FORMAT ?= text
OUT    ?=
GRADE_ARGS = --impl $(IMPL) $(foreach l,$(LAB),--lab $(l)) --format $(FORMAT) \
             $(if $(OUT),--out $(OUT)) --transcripts $(BUILD)/transcripts

.PHONY: all help grade test deps deps-check clean
.DEFAULT_GOAL := all
.SECONDEXPANSION:

all: $(LIB) $(PROGRAMS) $(GRADER) $(SHORTIO)

# Each mk/*.mk adds its own targets' lines (the students' copy has fewer).
help::
	@echo "make            build the helper library, the grader and every lab folder's programs"
	@echo "make grade      grade the work in labs/ (LAB=NN IMPL=DIR FORMAT=F OUT=FILE: see harness/grade --help)"
	@echo "make test       build everything and run the kit's own Criterion tests"
	@echo "make deps       install (as root) or name the packages the kit needs"
	@echo "make clean      remove everything the build made"

# The grader runs only once everything is built: a failed build stops make
# here.  Run on past one (make -i), the grader still refuses a program older
# than its sources (grade.c), so the program a failed build left is never
# graded.  A failed check is the score the report ends with, not an error:
# the grader's status 1 (a check failed) ends make grade with 0, so make does
# not print "Error 1" under a student's report; every other status (bad
# usage, a grader error, a stale program, an interruption) stays make's
# error.  CI reads the score from the report (.ci/fresh-debian.sh), or runs
# harness/grade itself, whose status is 0 only when every check passed.
grade: all
	@echo ./$(GRADER) $(GRADE_ARGS)
	@./$(GRADER) $(GRADE_ARGS) || [ $$? -eq 1 ]

# mk/answers.mk adds what needs the solutions (variants, hostile programs,
# sanitizer builds, fuzzers) where the kit has them.
test: all $(TEST_BINS)
	@mk/run-tests.sh $(TEST_BINS)

deps:
	@mk/deps.sh --log $(BUILD)/deps.log build test

# The Debian packages the goals of this run need, checked once per run
# before anything is built: a missing one stops the run at its start with
# the line that installs it, never halfway through a build.  Every rule
# that runs a compiler or a tool from a package waits for it.
DEPS_SETS = build $(if $(filter test test-asan fuzz bench,$(MAKECMDGOALS)),test) \
            $(if $(filter valgrind,$(MAKECMDGOALS)),valgrind)
deps-check:
	@mk/deps.sh --log $(BUILD)/deps.log $(DEPS_SETS)

$(BUILD)/%.o: %.c | deps-check
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(if $(filter harness/%,$<),$(GRADER_CPPFLAGS),$(LAB_CPPFLAGS)) -MMD -MP -c $< -o $@

# The reproduction scripts' engine is built into repro.o (.incbin): the
# compiler's dependency list does not name it.
$(BUILD)/harness/repro.o: harness/repro.py

# Each archive is made anew: `ar r` only adds and replaces, so the object
# of a source renamed or removed would stay in it, and the linker could
# take its stale definitions (the grader crashed so after proc.c became
# programs.c, in a build made before the rename).
$(LIB): $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(GRADER_LIB): $(GRADER_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(GRADER): $(BUILD)/harness/grade.o $(CHECKS_OBJS) $(GRADER_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(GRADER_LDLIBS)

# Preloaded under students' programs by the short-counts checks; the
# grader finds it next to itself.
$(SHORTIO): harness/shortio/shortio.c harness/shortio/shortio.h | deps-check
	$(CC) $(CFLAGS) -fPIC -shared -o $@ $<

# Each lab program is its own C file, plus any other C file of its folder
# (code its server and client share, as lab 03's chat loop), linked with
# the helper library.
lab_shared = $(filter-out %/server.c %/client.c,$(wildcard $(dir $(1))*.c))

$(PROGRAMS): %: %.c $$(call lab_shared,$$@) $(LIB) | deps-check
	$(CC) $(CFLAGS) $(LAB_CPPFLAGS) -I$(@D) -o $@ $< $(call lab_shared,$@) $(LIB) \
	    $(call lab_libs,$@) $(LDLIBS_THREADS)

# (Each test is one C file; the headers of tests/ are shared by some.)
$(BUILD)/tests/%: tests/%.c $(wildcard tests/*.h) $(LIB) $(GRADER_LIB) $(CHECKS_OBJS) \
        | deps-check
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(GRADER_CPPFLAGS) -o $@ $< $(CHECKS_OBJS) $(GRADER_LIB) $(LIB) -lcriterion \
	    $(GRADER_LDLIBS)

# The instructor's: the tests and tools that need the solutions (make
# fuzz, bench, soak, test-asan, valgrind) and make grade-class.  The
# students' copy has none of these files.
-include mk/answers.mk
-include mk/bench.mk mk/soak.mk
-include mk/sanitize.mk
-include mk/class.mk
# make dist and make gradescope: the kit without its answers.  The student
# copy has neither file: it has no answers left to hide.
-include mk/dist.mk
-include mk/gradescope.mk

clean:
	rm -rf $(BUILD) $(GRADER) $(SHORTIO) $(PROGRAMS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
