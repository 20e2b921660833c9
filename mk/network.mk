# Container networking: benchmarks and the Debian packages its tests use (nft for comparing the
# ruleset before and after; iproute2 for debugging by hand).
DEB_PACKAGES += iproute2 nftables

.PHONY: bench-net
# bench-net: added cost of --network bridge over none per container (Setup+Teardown), and TCP
# throughput container-to-container over the bridge vs host-to-container vs host loopback.
bench-net:
	$(GO) test -count=1 -run '^$$' -bench 'BenchmarkSetupTeardown|BenchmarkTCPThroughput' -benchtime 1s ./runtime/network/
