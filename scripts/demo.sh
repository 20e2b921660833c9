#!/usr/bin/env bash
# make demo: the three kinds of virtualization on built-in defaults, no image downloaded.
#  1. a container: our static probe program in a busybox rootfs, showing what it sees, as an OCI
#     bundle and as an image (made on the fly with umoci, loaded into a temporary store);
#  2. a process VM: a Go program compiled to our bytecode and interpreted;
#  3. a native VMM: our own long-mode guests running under KVM;
#  4. the container's rootfs again, under its own guest kernel (a microVM);
#  5. minictr compare: one workload all these ways, side by side.
set -euo pipefail
BIN=$(readlink -f "${BIN:-bin/minictr}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
hr() { printf '\n== %s\n' "$*"; }

hr "1. container: same kernel, isolated views (namespaces, cgroups, own root filesystem)"
CGO_ENABLED=0 go build -o "$work/probe" ./tests/probe
root="$work/bundle/rootfs"
mkdir -p "$root"/{bin,proc,sys,dev,tmp,etc}
cp "$(command -v busybox)" "$root/bin/busybox"
for a in sh ls cat echo ps hostname id ip; do ln -s busybox "$root/bin/$a"; done
cp "$work/probe" "$root/bin/probe"
"$BIN" spec --bundle "$work/bundle"
python3 - "$work/bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["hostname"] = "demo-container"
c["linux"]["resources"]["memory"] = {"limit": 64 << 20}
c["linux"]["resources"]["pids"] = {"limit": 32}
c["process"]["args"] = ["/bin/sh", "-c",
    "echo \"hostname: $(hostname)\"; echo \"my pid: $(probe pid)\"; echo \"processes I see:\"; ps -o pid,comm;"
    " echo \"uid: $(id -u)\"; echo \"network interfaces: $(ls /sys/class/net)\";"
    " echo \"mounts: $(wc -l < /proc/self/mountinfo) (the host has $HOST_MOUNTS)\";"
    " echo \"memory limit: $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)\";"
    " probe caps | grep CapEff"]
c["process"]["env"].append("HOST_MOUNTS=%d" % sum(1 for _ in open("/proc/self/mountinfo")))
json.dump(c, open(p, "w"), indent=1)
PY
echo "host: hostname $(hostname), pid of this shell $$, $(ls /sys/class/net | wc -w) network interfaces"
"$BIN" --root "$work/state" run -b "$work/bundle" "demo-$$"

hr "1b. the same rootfs as an image, run docker-style (overlay snapshot, bridge network, default seccomp)"
if command -v umoci >/dev/null; then
	umoci init --layout "$work/oci" >/dev/null
	umoci new --image "$work/oci:demo" >/dev/null
	umoci unpack --image "$work/oci:demo" "$work/unpacked" >/dev/null
	cp -a "$root/." "$work/unpacked/rootfs/"
	umoci repack --image "$work/oci:demo" "$work/unpacked" >/dev/null
	"$BIN" load --store "$work/store" --name demo-image -i "$work/oci:demo"
	"$BIN" --root "$work/state" run --rm --store "$work/store" --hostname demo-image --memory 64m \
		demo-image /bin/sh -c 'echo "hostname: $(hostname)"; set -- $(ip -4 -o addr show eth0); echo "eth0: $4"; probe caps | grep -E "CapEff|Seccomp"'
else
	echo "(umoci not installed: skipped)"
fi

hr "2. process VM: an abstract instruction set run by our interpreter"
if [ -f examples/fib.go ] && "$BIN" vm run --help >/dev/null 2>&1; then
	"$BIN" vm build -o "$work/fib.mbc" examples/fib.go
	"$BIN" vm disasm "$work/fib.mbc" | head -n 12
	echo "..."
	"$BIN" vm run "$work/fib.mbc"
else
	echo "(examples/fib.go not present in this checkout)"
fi

hr "3. native VMM: the hardware's own instruction set, under KVM, with our monitor in between"
if [ -w /dev/kvm ]; then
	"$BIN" vmm hello --mode long
	"$BIN" vmm hello --mode user
else
	echo "(no /dev/kvm here: skipped)"
fi

hr "4. the same rootfs under its own guest kernel (a microVM)"
if command -v qemu-system-x86_64 >/dev/null || [ -w /dev/kvm ]; then
	"$BIN" vmm exec --rootfs "$root" -- /bin/sh -c 'echo "kernel: $(cat /proc/sys/kernel/osrelease) (the host runs '"$(uname -r)"')"; echo "my pid: $(probe pid)"; echo "network interfaces: $(ls /sys/class/net)"'
else
	echo "(neither qemu nor a usable /dev/kvm: skipped)"
fi

hr "5. minictr compare: one workload as a host process, in a container, in the VM, in a microVM"
"$BIN" compare --runs 1
