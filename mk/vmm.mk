# Native VMM (vmm/): the static init that guest kernels run, benchmarks, and the Debian
# packages its tests use: qemu-system-x86 for the microvm boot test (and the qemu comparison
# of bench-vmm), xz-utils for the xz/BCJ decompression test, busybox-static for the guest's
# shell. The Debian kernel itself is fetched by the tests (apt-get download) into the store.
DEB_PACKAGES += qemu-system-x86 xz-utils busybox-static

VMM_INIT := $(dir $(BIN))minictr-init

.PHONY: vmm-init bench-vmm
# The init must be static: the image may have no C library.
vmm-init:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o $(VMM_INIT) ./vmm/initramfs/init

# `make build` also builds minictr-init next to minictr (where `run --isolation vm` finds it).
build: vmm-init

# bench-vmm: vmm hello launch-to-exit vs the same guest under qemu -enable-kvm, the ring-3
# workload vs the same loop as a host process, and the exit round trip. Numbers: docs/vmm.md.
bench-vmm: build
	BIN=$(BIN) scripts/bench-vmm.sh

# `make install` also installs minictr-init beside minictr.
.PHONY: install-vmm-init
install-vmm-init: vmm-init
	install -D -m 0755 $(VMM_INIT) $(PREFIX)/bin/minictr-init
install: install-vmm-init
