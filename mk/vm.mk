# Process VM (vm/): benchmarks against Lua. The tests need nothing beyond Go; the benchmark
# skips any of lua5.4, luajit, hyperfine that is not installed, and gopher-lua (the nested module
# vm/bench/gopherlua, built on demand) when it cannot be built.
.PHONY: bench-vm test-vm fuzz-vm

bench-vm: build
	@scripts/bench-vm.sh

test-vm:
	$(GO) test -count=1 ./vm/...

# fuzz-vm: each fuzzer for FUZZTIME (default 30s)
FUZZTIME ?= 30s
fuzz-vm:
	$(GO) test -run XXX -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./vm/isa/
	$(GO) test -run XXX -fuzz '^FuzzAssemble$$' -fuzztime $(FUZZTIME) ./vm/isa/
	$(GO) test -run XXX -fuzz '^FuzzVerify$$' -fuzztime $(FUZZTIME) ./vm/isa/
