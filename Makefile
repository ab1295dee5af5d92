# netlab — build, grade and test the socket-programming lab kit.
# `make help` lists the targets.

CC       = cc
CFLAGS   = -std=c17 -Wall -Wextra -Werror -g -O2
# The labs and the helper library are plain POSIX; the grader and the tests use
# Linux extensions (pseudo-terminals, prctl, pidfd).
LAB_CPPFLAGS     = -D_POSIX_C_SOURCE=200809L -Ilabs/common
GRADER_CPPFLAGS  = -D_GNU_SOURCE -Iharness -Ilabs/common
LDLIBS_THREADS   = -pthread
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

# A known-buggy variant is a solution with one mistake: its patches,
# applied to a copy of the solution, build it under build/variants/LAB/BUG/.
VARIANT_DIRS := $(patsubst %/,%,$(sort $(dir $(wildcard tests/variants/[0-9][0-9]-*/*/*.patch))))
VARIANTS     := $(VARIANT_DIRS:tests/%=$(BUILD)/%/built)

# Hostile submissions: tests/hostile/LAB/NAME/ holds a program that attacks
# the grader; mk/build-hostile.sh builds each as the tree build/hostile/NAME.
HOSTILE_SRCS := $(wildcard tests/hostile/[0-9][0-9]-*/*/*.c tests/hostile/*.h)

LIB_SRCS     := $(wildcard labs/common/*.c)
LIB_OBJS     := $(LIB_SRCS:%.c=$(BUILD)/%.o)
GRADER_SRCS  := $(filter-out harness/grade.c,$(wildcard harness/*.c harness/labs/*.c))
GRADER_OBJS  := $(GRADER_SRCS:%.c=$(BUILD)/%.o)
GRADER_LIB   := $(BUILD)/libgrader.a
# Hidden checks (harness/hidden/, not in the students' copy) add themselves
# to their labs from constructors, so they are linked as objects: a linker
# takes nothing from an archive that no one calls.
HIDDEN_SRCS  := $(wildcard harness/hidden/*.c)
HIDDEN_OBJS  := $(HIDDEN_SRCS:%.c=$(BUILD)/%.o)
TEST_SRCS    := $(wildcard tests/test_*.c)
TEST_BINS    := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)

# The threaded solutions are also built with ThreadSanitizer, under
# build/tsan/LAB/, and graded by make test: a data race fails a check.
THREADED_LABS := $(notdir $(wildcard solutions/04-threaded solutions/06-login))
TSAN_FLAGS    := -std=c17 -Wall -Wextra -Werror -g -O1 -fsanitize=thread
TSAN_PROGRAMS := $(foreach l,$(THREADED_LABS),$(BUILD)/tsan/$(l)/server $(BUILD)/tsan/$(l)/client)

# Lab 01's solution linked statically, under build/static/01-hello/: it
# ignores LD_PRELOAD, so test_grading sees short-counts call it not
# testable, its point kept.  (The linker warns that getaddrinfo needs
# glibc's shared NSS modules at run time: the machine that runs it has them.)
STATIC_PROGRAMS := $(patsubst solutions/%.c,$(BUILD)/static/%,\
                     $(wildcard solutions/01-hello/server.c solutions/01-hello/client.c))

# libFuzzer targets: tests/fuzz/LAB.c fuzzes the parser solutions/LAB/protocol.c.
FUZZ_SRCS := $(wildcard tests/fuzz/[0-9][0-9]-*.c)
FUZZERS   := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)

# Options passed through to the grader by `make grade`.
IMPL   ?= labs
LAB    ?=
FORMAT ?= text
OUT    ?=
GRADE_ARGS = --impl $(IMPL) $(foreach l,$(LAB),--lab $(l)) --format $(FORMAT) \
             $(if $(OUT),--out $(OUT)) --transcripts $(BUILD)/transcripts

.PHONY: all help grade test fuzz deps deps-check clean
.DEFAULT_GOAL := all
.SECONDEXPANSION:

all: $(LIB) $(PROGRAMS) $(GRADER) $(SHORTIO)

# Each mk/*.mk adds its own targets' lines (the students' copy has fewer).
help::
	@echo "make            build the helper library, every lab, solution and the grader"
	@echo "make grade      grade the work in labs/ (IMPL=DIR LAB=NN FORMAT=text|gradescope|junit OUT=FILE)"
	@echo "make grade-class grade a class: SUBMISSIONS=DIR (a folder per submission) into CLASS_OUT (build/class)"
	@echo "make test       build everything and run the kit's own Criterion tests"
	@echo "make fuzz       fuzz the labs' protocol parsers for FUZZ_TIME seconds each (120)"
	@echo "make deps       install (as root) or name the packages the kit needs"
	@echo "make clean      remove everything the build made"

grade: all
	./$(GRADER) $(GRADE_ARGS)

test: all $(VARIANTS) $(BUILD)/hostile/built $(TSAN_PROGRAMS) $(STATIC_PROGRAMS) $(FUZZERS) \
      $(TEST_BINS)
	@mk/fuzz.sh short $(FUZZERS)
	@mk/run-tests.sh $(TEST_BINS)

fuzz: $(FUZZERS)
	@mk/fuzz.sh long $(FUZZERS)

$(BUILD)/fuzz/%: tests/fuzz/%.c solutions/%/protocol.c solutions/%/protocol.h | deps-check
	@mkdir -p $(@D)
	clang -std=c17 -Wall -Wextra -Werror -g -O1 -fsanitize=fuzzer,address,undefined \
	    -Isolutions/$* -o $@ tests/fuzz/$*.c solutions/$*/protocol.c

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

$(LIB): $(LIB_OBJS)
	$(AR) rcs $@ $^

$(GRADER_LIB): $(GRADER_OBJS)
	$(AR) rcs $@ $^

$(GRADER): $(BUILD)/harness/grade.o $(HIDDEN_OBJS) $(GRADER_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_THREADS)

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

$(BUILD)/tsan/%: $$(call lab_shared,solutions/$$*.c) solutions/%.c $(LIB_SRCS) mk/tsan-options.c \
        | deps-check
	@mkdir -p $(@D)
	$(CC) $(TSAN_FLAGS) $(LAB_CPPFLAGS) -Isolutions/$(*D) -o $@ solutions/$*.c \
	    $(call lab_shared,solutions/$*.c) $(LIB_SRCS) mk/tsan-options.c \
	    $(call lab_libs,solutions/$*.c) $(LDLIBS_THREADS)

$(STATIC_PROGRAMS): $(BUILD)/static/%: solutions/%.c $$(call lab_shared,solutions/$$*.c) $(LIB) \
        | deps-check
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LAB_CPPFLAGS) -Isolutions/$(*D) -static -o $@ solutions/$*.c \
	    $(call lab_shared,solutions/$*.c) $(LIB) $(LDLIBS_THREADS)

$(BUILD)/variants/%/built: $$(wildcard tests/variants/$$*/*.patch) \
        $$(wildcard solutions/$$(firstword $$(subst /, ,$$*))/*.[ch]) $(LIB) mk/build-variant.sh \
        | deps-check
	mk/build-variant.sh $* $(BUILD) "$(CC) $(CFLAGS) $(LAB_CPPFLAGS)" \
	    "$(LIB) $(call lab_libs,solutions/$(firstword $(subst /, ,$*))/x) $(LDLIBS_THREADS)"
	@touch $@

$(BUILD)/hostile/built: $(HOSTILE_SRCS) mk/build-hostile.sh $(PROGRAMS) | deps-check
	mk/build-hostile.sh $(BUILD) $(CC)
	@touch $@

$(BUILD)/tests/%: tests/%.c $(LIB) $(GRADER_LIB) $(HIDDEN_OBJS) | deps-check
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(GRADER_CPPFLAGS) -o $@ $< $(HIDDEN_OBJS) $(GRADER_LIB) $(LIB) -lcriterion \
	    $(LDLIBS_THREADS)

# make bench, soak, test-asan and valgrind: tools that measure the
# solutions, which the students' copy has not.
-include mk/bench.mk mk/soak.mk
-include mk/sanitize.mk
include mk/class.mk
# make dist and make gradescope: the kit without its answers.  The student
# copy has neither file: it has no answers left to hide.
-include mk/dist.mk
-include mk/gradescope.mk

clean:
	rm -rf $(BUILD) $(GRADER) $(SHORTIO) $(PROGRAMS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
