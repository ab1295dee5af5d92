# make gradescope: Gradescope's autograder, AUTOGRADER (build/autograder.zip),
# for the labs LAB names (LAB=02, LAB="02 03"; none: every lab); upload it
# as the assignment's autograder (mk/gradescope/pack.sh).  Included from the
# Makefile.
AUTOGRADER ?= $(BUILD)/autograder.zip

.PHONY: gradescope
gradescope:
	@mk/gradescope/pack.sh $(AUTOGRADER) $(LAB)

help::
	@echo "make gradescope Gradescope's autograder: build/autograder.zip (LAB=NN: one lab per assignment)"
