#!/usr/bin/env bash
# bench-podman: `podman run --rm IMAGE true` with minictr vs runc as podman's OCI runtime, side by
# side in one hyperfine run: same podman, conmon, store (vfs), image and flags; only the runtime
# differs. Everything podman keeps goes to a temporary directory, removed at the end.
#   BIN=bin/minictr RUNS=30 tests/engines/bench-podman.sh
set -euo pipefail
BIN=$(realpath "${BIN:-bin/minictr}")
RUNS=${RUNS:-30}
RUNC=$(command -v runc)
for tool in podman conmon hyperfine busybox; do
	command -v "$tool" >/dev/null || { echo "bench-podman: $tool not installed (make deps)" >&2; exit 1; }
done

dir=$(mktemp -d /tmp/bench-podman.XXXXXX)
export CONTAINERS_CONF=$dir/containers.conf CONTAINERS_STORAGE_CONF=$dir/storage.conf CONTAINERS_REGISTRIES_CONF=$dir/registries.conf
P="podman --root $dir/root --runroot $dir/runroot --tmpdir $dir/tmp --storage-driver vfs --cgroup-manager cgroupfs --events-backend file"
cleanup() {
	$P rm --all --force --time 0 >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT

mkdir -p "$dir/rootfs/bin" "$dir/rootfs/etc" "$dir/rootfs/proc" "$dir/rootfs/sys" "$dir/rootfs/dev" "$dir/rootfs/tmp"
cp "$(command -v busybox)" "$dir/rootfs/bin/busybox"
for a in sh true echo; do ln -s busybox "$dir/rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$dir/rootfs/etc/passwd"
echo 'root:x:0:' >"$dir/rootfs/etc/group"
tar -C "$dir/rootfs" -cf "$dir/rootfs.tar" .
cat >"$CONTAINERS_CONF" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$dir/events.log"
static_dir = "$dir/static"
tmp_dir = "$dir/tmp"
volume_path = "$dir/volumes"
runtime_supports_json = ["minictr", "runc"]
[engine.runtimes]
minictr = ["$BIN"]
runc = ["$RUNC"]
[network]
network_config_dir = "$dir/net"
CONF
printf '[storage]\ndriver = "vfs"\nrunroot = "%s/runroot"\ngraphroot = "%s/root"\n' "$dir" "$dir" >"$CONTAINERS_STORAGE_CONF"
: >"$CONTAINERS_REGISTRIES_CONF"
$P import "$dir/rootfs.tar" localhost/bench:latest >/dev/null 2>&1

echo "podman $(podman --version | awk '{print $3}'), conmon $(conmon --version | awk 'NR==1{print $3}'), $("$RUNC" --version | head -1), minictr $("$BIN" --version | head -1 | awk '{print $3}')"
run="run --rm --network none localhost/bench:latest true"
# Each runtime once first: its output must be empty and its exit 0, or the numbers mean nothing.
for rt in minictr runc; do
	out=$($P --runtime $rt $run 2>&1) || { echo "bench-podman: podman --runtime $rt $run failed: $out" >&2; exit 1; }
	[ -z "$out" ] || { echo "bench-podman: podman --runtime $rt $run printed: $out" >&2; exit 1; }
done
hyperfine -N --warmup 3 --runs "$RUNS" --export-markdown "$dir/result.md" \
	-n minictr "$P --runtime minictr $run" \
	-n runc "$P --runtime runc $run"
cat "$dir/result.md"
