# minictr: build, test, benchmarks, demo.
# Each area adds its own targets and Debian packages in mk/*.mk (included below), so the areas
# never edit the same lines of this file.

.DEFAULT_GOAL := all

GO      ?= go
BIN     := bin/minictr
PREFIX  ?= /usr/local
# Debian packages the test suite needs; mk/*.mk files append to this list.
DEB_PACKAGES := busybox-static runc iproute2 musl-tools

-include $(sort $(wildcard mk/*.mk))

.PHONY: all build install deps test test-unit lint bench demo clean

all: build

# deps: installs what is missing (Debian packages and Go modules); quick when nothing is.
deps:
	@scripts/deps.sh $(DEB_PACKAGES)
	@$(GO) mod download

# A static binary: it can be copied into a container's rootfs or a guest's initramfs (compare,
# test-box). osusergo and netgo keep os/user and net in pure Go; the only cgo left is the
# nsenter constructor.
STATIC  := -tags osusergo,netgo -ldflags '-linkmode external -extldflags -static'
# The C library linked in is musl where Debian's musl-tools is installed (make deps installs
# it), glibc otherwise. Both work; musl's static start-up is 0.6 ms shorter per process here:
# glibc's probes the CPU with cpuid, a hypervisor exit each on a virtual machine, and every
# container starts two minictr processes (the CLI and the container's init).
CGO_CC   = $$(command -v musl-gcc || echo cc)

# minictr-runtime, beside minictr, is the lean build of the same CLI (the OCI runtime's
# commands and the container init only): minictr hands those commands to it before its Go
# runtime starts (cmd/minictr/internal/handoff), and containers' inits run it.
LEAN    := -tags lean,osusergo,netgo -ldflags '-linkmode external -extldflags -static'
build:
	CC=$(CGO_CC) $(GO) build -trimpath $(STATIC) -o $(BIN) ./cmd/minictr
	CC=$(CGO_CC) $(GO) build -trimpath $(LEAN) -o $(dir $(BIN))minictr-runtime ./cmd/minictr

install: build
	install -m 0755 $(BIN) $(PREFIX)/bin/minictr
	install -m 0755 $(dir $(BIN))minictr-runtime $(PREFIX)/bin/minictr-runtime

# test: the whole suite, as root. Unit tests and end-to-end tests (tests/) share one go test run.
# The end-to-end suite (tests/) runs the binary that make build made (MINICTR_TEST_BIN).
test: deps build
	MINICTR_TEST_BIN=$(abspath $(BIN)) $(GO) test -v -count=1 -timeout 25m ./... 2>&1 | tee test.log | scripts/summarize-tests.sh

test-unit:
	$(GO) test -count=1 -short ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt: $$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags lean ./cmd/minictr

clean:
	rm -rf bin test.log
