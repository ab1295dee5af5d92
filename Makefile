# netlab — build, grade and test the socket-programming lab kit.
# `make help` lists the targets.

CC       = cc
CFLAGS   = -std=c17 -Wall -Wextra -Werror -g -O2
# The labs and the helper library are plain POSIX; the grader and the tests use
# Linux extensions (pseudo-terminals, prctl, pidfd).
LAB_CPPFLAGS     = -D_POSIX_C_SOURCE=200809L -Ilabs/common
GRADER_CPPFLAGS  = -D_GNU_SOURCE -Iharness -Ilabs/common
LDLIBS_THREADS   = -pthread

BUILD    = build
LIB      = $(BUILD)/libnetlab.a
GRADER   = harness/grade

# Every lab folder: starters and solutions.
LAB_DIRS     := $(sort $(wildcard labs/[0-9][0-9]-*) $(wildcard solutions/[0-9][0-9]-*))
PROGRAM_SRCS := $(wildcard $(addsuffix /server.c,$(LAB_DIRS)) $(addsuffix /client.c,$(LAB_DIRS)))
PROGRAMS     := $(PROGRAM_SRCS:.c=)

# A known-buggy variant is a solution with one mistake: its patch, applied
# to the solution, builds it under build/variants/LAB/BUG/.
VARIANT_PATCHES := $(wildcard tests/variants/[0-9][0-9]-*/*/server.patch \
                              tests/variants/[0-9][0-9]-*/*/client.patch)
VARIANTS        := $(VARIANT_PATCHES:tests/%.patch=$(BUILD)/%)

LIB_SRCS     := $(wildcard labs/common/*.c)
LIB_OBJS     := $(LIB_SRCS:%.c=$(BUILD)/%.o)
GRADER_SRCS  := $(filter-out harness/grade.c,$(wildcard harness/*.c harness/labs/*.c))
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

.PHONY: all help grade test bench deps clean
.DEFAULT_GOAL := all

all: $(LIB) $(PROGRAMS) $(GRADER)

help:
	@echo "make            build the helper library, every lab, solution and the grader"
	@echo "make grade      grade the work in labs/ (IMPL=DIR LAB=NN FORMAT=text|gradescope|junit OUT=FILE)"
	@echo "make test       build everything and run the kit's own Criterion tests"
	@echo "make bench      time the grader on the solutions of every lab, per check"
	@echo "make deps       install (as root) or name the packages the kit needs"
	@echo "make clean      remove everything the build made"

grade: all
	./$(GRADER) $(GRADE_ARGS)

test: all $(VARIANTS) $(TEST_BINS)
	@mk/deps.sh test
	@mk/run-tests.sh $(TEST_BINS)

bench: all
	./$(GRADER) --impl solutions --bench

deps:
	@mk/deps.sh build test

# Check once per build tree that the system packages are there.
$(BUILD)/deps-ok: mk/deps.sh
	@mk/deps.sh build
	@mkdir -p $(@D) && touch $@

$(BUILD)/%.o: %.c | $(BUILD)/deps-ok
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(if $(filter harness/%,$<),$(GRADER_CPPFLAGS),$(LAB_CPPFLAGS)) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(AR) rcs $@ $^

$(GRADER_LIB): $(GRADER_OBJS)
	$(AR) rcs $@ $^

$(GRADER): $(BUILD)/harness/grade.o $(GRADER_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_THREADS)

# Each lab program is one C file linked with the helper library.
$(PROGRAMS): %: %.c $(LIB) | $(BUILD)/deps-ok
	$(CC) $(CFLAGS) $(LAB_CPPFLAGS) -o $@ $< $(LIB) $(LDLIBS_THREADS)

# LAB/BUG/PROGRAM -> solutions/LAB/PROGRAM.c
solution_of = solutions/$(word 1,$(subst /, ,$(1)))/$(notdir $(1)).c

.SECONDEXPANSION:
$(BUILD)/variants/%.c: tests/variants/%.patch $$(call solution_of,$$*) | $(BUILD)/deps-ok
	@mkdir -p $(@D)
	patch --quiet --force --reject-file=- -o $@ $(call solution_of,$*) $<

$(VARIANTS): %: %.c $(LIB)
	$(CC) $(CFLAGS) $(LAB_CPPFLAGS) -o $@ $< $(LIB) $(LDLIBS_THREADS)

$(BUILD)/tests/%: tests/%.c $(LIB) $(GRADER_LIB) | $(BUILD)/deps-ok
	@mk/deps.sh test
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(GRADER_CPPFLAGS) -o $@ $< $(GRADER_LIB) $(LIB) -lcriterion $(LDLIBS_THREADS)

clean:
	rm -rf $(BUILD) $(GRADER) $(PROGRAMS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
