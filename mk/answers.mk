# What only the kit with its answers builds and runs: the parts of make test
# that need the solutions, and make fuzz.  Not in the students' copy, which
# has no solution to build them from: there make test runs the tests it has,
# and make help does not offer make fuzz.  Included from the Makefile.

# A known-buggy variant is a solution with one mistake: its patches,
# applied to a copy of the solution, build it under build/variants/LAB/BUG/.
VARIANT_DIRS := $(patsubst %/,%,$(sort $(dir $(wildcard tests/variants/[0-9][0-9]-*/*/*.patch))))
VARIANTS     := $(VARIANT_DIRS:tests/%=$(BUILD)/%/built)

# Hostile submissions: tests/hostile/LAB/NAME/ holds a program that attacks
# the grader; mk/build-hostile.sh builds each as the tree build/hostile/NAME.
HOSTILE_SRCS := $(wildcard tests/hostile/[0-9][0-9]-*/*/*.c tests/hostile/*.h)

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

# A seccomp filter that refuses namespaces, as a default container does:
# test_cli grades under it (tests/deny_namespaces.c).
DENY_NAMESPACES := $(BUILD)/deny_namespaces

# libFuzzer targets: tests/fuzz/LAB.c fuzzes the parser solutions/LAB/protocol.c.
FUZZ_SRCS := $(wildcard tests/fuzz/[0-9][0-9]-*.c)
FUZZERS   := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)

.PHONY: fuzz fuzz-short

# make test's recipe (the Makefile) runs the Criterion tests once all this
# is built and the fuzzers have had their short run.
test: $(VARIANTS) $(BUILD)/hostile/built $(TSAN_PROGRAMS) $(STATIC_PROGRAMS) $(DENY_NAMESPACES) \
      fuzz-short

$(DENY_NAMESPACES): tests/deny_namespaces.c | deps-check
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< -lseccomp

# A fixed number of inputs from a fixed seed: the same inputs every run.
fuzz-short: $(FUZZERS)
	@mk/fuzz.sh short $(FUZZERS)

fuzz: $(FUZZERS)
	@mk/fuzz.sh long $(FUZZERS)

$(BUILD)/fuzz/%: tests/fuzz/%.c solutions/%/protocol.c solutions/%/protocol.h | deps-check
	@mkdir -p $(@D)
	clang -std=c17 -Wall -Wextra -Werror -g -O1 -fsanitize=fuzzer,address,undefined \
	    -Isolutions/$* -o $@ tests/fuzz/$*.c solutions/$*/protocol.c

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

help::
	@echo "make fuzz       fuzz the labs' protocol parsers for FUZZ_TIME seconds each (120)"
