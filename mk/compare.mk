# minictr compare: one workload as a host process, in a container, as process-VM bytecode and in
# a microVM (qemu here). `make compare` writes docs/compare.svg and prints the README's
# comparison section (Markdown) from a real run; the table of the run goes to stderr with the
# progress lines. COMPARE_RUNS runs per kind and workload, the median is reported.
COMPARE_RUNS ?= 3

.PHONY: compare test-compare
compare: build
	@$(BIN) compare --runs $(COMPARE_RUNS) --svg docs/compare.svg --markdown

test-compare:
	$(GO) test -count=1 ./compare/...
