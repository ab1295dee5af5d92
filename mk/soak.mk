# make soak: grades the solutions SOAK_RUNS times in a row (100), then
# SOAK_RUNS rounds of two graders at once under CPU load, then every
# known-buggy variant SOAK_VARIANT_RUNS rounds (20) of two gradings at once
# (SOAK_BUDGET=SECONDS bounds that pass), and reports every check that ever
# disagreed with itself or with a variant's expect file (mk/soak.sh).
# Included from the Makefile.
.PHONY: soak
soak: all $(VARIANTS) $(BUILD)/soak_variants
	@mk/soak.sh $(BUILD)

# One grading of every variant, judged as test_grading judges it.
$(BUILD)/soak_variants: tests/soak_variants.c tests/variant.h $(LIB) $(GRADER_LIB) $(CHECKS_OBJS) \
        | deps-check
	$(CC) $(CFLAGS) $(GRADER_CPPFLAGS) -o $@ $< $(CHECKS_OBJS) $(GRADER_LIB) $(LIB) \
	    $(GRADER_LDLIBS)

help::
	@echo "make soak       grade the solutions SOAK_RUNS times (100), then two graders at once under CPU load,"
	@echo "                then the variants SOAK_VARIANT_RUNS rounds (20, SOAK_BUDGET=SECONDS); report flaky checks"
