# rootfs: the container root filesystem setup (rootfs/). Its tests build a rootfs from
# busybox-static's /bin/busybox.
DEB_PACKAGES += busybox-static

.PHONY: test-rootfs
test-rootfs:
	$(GO) test -count=1 ./rootfs/
