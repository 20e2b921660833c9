# Images: store, import, pull, layer unpack (image/, rootfs/snapshot/).
# umoci and skopeo are independent image producers for the tests; docker-registry serves
# images on loopback for the pull tests.
DEB_PACKAGES += umoci skopeo docker-registry hyperfine

.PHONY: bench-image fuzz-image

# bench-image: minictr vs umoci unpack vs tar -xzf on one ~300 MB multi-layer image.
bench-image: build
	image/bench/bench-image.sh $(BIN)

# fuzz-image: fuzz the layer unpacker for 30 seconds.
fuzz-image:
	$(GO) test -run XXX -fuzz FuzzApply -fuzztime 30s -fuzzminimizetime 5x ./image/unpack/
