# make bench: the grader's wall time on the solutions and the starters, lab
# 02's echo against socat's, lab 04 under 500 clients, side by side
# (mk/bench.sh).  BENCH_RUNS=N runs each (5), BENCH_MIB=N MiB per echo (256).
# Included from the Makefile.
.PHONY: bench
bench: all $(BUILD)/bench_load $(BUILD)/bench_echo
	@mk/bench.sh $(BUILD)

# Benchmarks are single C files with no library.
$(BUILD)/bench_load $(BUILD)/bench_echo: $(BUILD)/%: tests/%.c | deps-check
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $<

help::
	@echo "make bench      grader time per lab (solutions vs starters), lab 02 echo vs socat, lab 04 under 500 clients"
