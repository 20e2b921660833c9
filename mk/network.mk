# Container networking: benchmarks and the Debian packages its tests and benchmarks use (nft to
# compare the ruleset before and after in tests; iperf3 to cross-check our throughput numbers).
DEB_PACKAGES += iproute2 nftables iperf3

.PHONY: bench-net
# bench-net: added cost of --network bridge over none per container (Setup, Setup+Teardown), and
# TCP throughput container-to-container over the bridge vs host-to-container over the veth vs
# host loopback: our Go stream, then iperf3 (2 s per path) when installed.
bench-net:
	$(GO) test -count=1 -run '^$$' -bench 'BenchmarkSetupTeardown|BenchmarkTCPThroughput|BenchmarkIperf3' -benchtime 1s ./runtime/network/
