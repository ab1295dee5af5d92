# make grade-class: grades a class in one run.  SUBMISSIONS=DIR names a
# folder holding a folder per submission, each shaped like labs/; each is
# built in a copy (its own Makefile, or the kit's rules) and graded, hidden
# checks included.  CLASS_OUT (build/class) gets gradebook.csv, class.html
# and each submission's reports; LAB=NN grades only that lab; INTEROP=NN
# also runs each client against the class's servers (interop.csv).
SUBMISSIONS ?=
CLASS_OUT   ?= $(BUILD)/class

.PHONY: grade-class
grade-class: all
	@test -n "$(SUBMISSIONS)" || \
	    { echo "make grade-class: name the class's folder: SUBMISSIONS=DIR" >&2; exit 2; }
	./$(GRADER) --batch "$(SUBMISSIONS)" --out "$(CLASS_OUT)" $(foreach l,$(LAB),--lab $(l)) \
	    $(foreach l,$(INTEROP),--interop $(l))

help::
	@echo "make grade-class grade a class: SUBMISSIONS=DIR (a folder per submission) into CLASS_OUT (build/class); INTEROP=NN: clients against the class's servers"
