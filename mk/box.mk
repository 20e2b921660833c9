# Tests inside a box (tests/box, docs/box.md). `make test-box` boots Debian's kernel under qemu
# (TCG where KVM cannot run guest kernels at full speed) with the runtime's cgroup-related
# end-to-end tests and the runtime/cgroups tests in an initramfs, on cgroup v2, and reports each
# guest test as a subtest; `go test ./...` runs the same test. BOX_E2E_RUN=. runs the whole
# end-to-end suite in the guest instead (about 5 minutes here).
# vagrant and shellcheck: the Vagrantfile and provisioning-script checks; libc6-dev: the static
# libc that the static cgo builds of minictr and the test binaries link.
DEB_PACKAGES += qemu-system-x86 busybox-static vagrant shellcheck libc6-dev

# The guest's whole console.
BOX_LOG ?= $(dir $(BIN))box-console.log
# A -test.run pattern for the end-to-end suite in the guest (empty: the cgroup-related tests).
BOX_E2E_RUN ?=

.PHONY: test-box
test-box: deps
	@mkdir -p $(dir $(BOX_LOG))
	MINICTR_BOX_E2E_RUN='$(BOX_E2E_RUN)' MINICTR_BOX_LOG=$(abspath $(BOX_LOG)) $(GO) test -v -count=1 \
		-timeout 25m -run '^TestCgroupV2Box$$' ./tests/box/ 2>&1 | scripts/summarize-tests.sh
