# Runtime core: benchmarks.
DEB_PACKAGES += hyperfine python3

.PHONY: bench-lifecycle
bench-lifecycle: deps build
	BIN=$(BIN) scripts/bench-lifecycle.sh

.PHONY: demo
demo: deps build
	BIN=$(BIN) scripts/demo.sh

.PHONY: bench-run-image
bench-run-image: deps build
	BIN=$(BIN) scripts/bench-run-image.sh
