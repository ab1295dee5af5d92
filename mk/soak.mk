# make soak: grades the solutions SOAK_RUNS times in a row (100), then
# SOAK_RUNS rounds of two graders at once under CPU load, and reports every
# check that ever disagreed with itself (mk/soak.sh).  Included from the
# Makefile.
.PHONY: soak
soak: all
	@mk/soak.sh $(BUILD)

help::
	@echo "make soak       grade the solutions SOAK_RUNS times (100), then two graders at once under CPU load; report flaky checks"
