# Tests inside a box (tests/box, docs/box.md). `make test-box` boots Debian's kernel under qemu
# (TCG where KVM cannot run guest kernels at full speed) with the runtime's end-to-end suite and
# the runtime/cgroups tests in an initramfs, on cgroup v2, and reports each guest test as a
# subtest. `go test ./...` runs the same test with only the cgroup-related end-to-end tests.
# vagrant and shellcheck: the Vagrantfile and provisioning-script checks; libc6-dev: the static
# libc that the static cgo builds of minictr and the test binaries link.
DEB_PACKAGES += qemu-system-x86 busybox-static vagrant shellcheck libc6-dev

BOX_LOG ?= $(dir $(BIN))box-console.log

.PHONY: test-box
# The whole end-to-end suite (except tests needing kernel modules) in the guest; the guest's
# raw console goes to $(BOX_LOG).
test-box: deps
	@mkdir -p $(dir $(BOX_LOG))
	MINICTR_BOX_E2E_RUN=. MINICTR_BOX_LOG=$(BOX_LOG) $(GO) test -v -count=1 -timeout 25m \
		-run '^TestCgroupV2Box$$' ./tests/box/ 2>&1 | scripts/summarize-tests.sh
