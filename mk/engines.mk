# Engines: podman (with conmon) and containerd (with its runc shim) driving minictr as their OCI
# runtime. The tests (tests/engines) keep all client state in temp dirs and use the vfs storage
# driver (no fuse-overlayfs); Debian's podman brings netavark, the tests use --network none.
# runc is the comparison runtime of bench-podman; crun is not wanted.
DEB_PACKAGES += podman conmon containerd runc hyperfine busybox-static

.PHONY: test-engines bench-podman
test-engines:
	$(GO) test -count=1 -v -timeout 10m ./tests/engines/

# bench-podman: `podman run --rm IMAGE true`, minictr vs runc, one hyperfine run (RUNS=30).
bench-podman: build
	BIN=$(BIN) tests/engines/bench-podman.sh
