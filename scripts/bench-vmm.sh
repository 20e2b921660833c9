#!/usr/bin/env bash
# bench-vmm: the native VMM's numbers (docs/vmm.md quotes them).
#  1. launch-to-exit of the tiny protected-mode hello guest: `minictr vmm hello` vs the same
#     guest (as a PVH ELF) under qemu-system-x86_64 -M microvm -enable-kvm (and TCG);
#  2. the ring-3 CPU-bound loop in the guest vs the same bytes as a host process;
#  3. the exit round trip (guest OUT -> KVM -> our run loop -> guest), from ring 3 and ring 0.
# Uses hyperfine when installed, else a plain timing loop. Modest run counts: the machine is shared.
set -euo pipefail
BIN=${BIN:-bin/minictr}
ITER=${ITER:-1000000000}
RUNS=${RUNS:-10}
QEMU=${QEMU:-qemu-system-x86_64}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$BIN" vmm hello --write-pvh "$tmp/hello.elf"
"$BIN" vmm hello --write-host-loop "$tmp/loop" --iterations "$ITER"

# mean_ms NAME CMD...: mean wall time of CMD in milliseconds (exit status ignored).
mean_ms() {
	local name=$1; shift
	if command -v hyperfine >/dev/null; then
		hyperfine -N -i --warmup 2 --runs "$RUNS" --export-json "$tmp/$name.json" "$*" >/dev/null 2>&1
		python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.2f %.2f" % (r["mean"]*1e3, r["min"]*1e3))' "$tmp/$name.json"
	else
		local s e
		s=$(date +%s%N)
		for _ in $(seq "$RUNS"); do "$@" >/dev/null 2>&1 || true; done
		e=$(date +%s%N)
		echo "$(( (e - s) / RUNS / 1000000 )) -"
	fi
}
ratio() { python3 -c 'import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print("%.2f" % (a/b) if b else "-")' "$1" "$2"; }

echo "== 1. hello guest, launch to exit ($RUNS runs each)"
read -r ours ours_min < <(mean_ms ours "$BIN" vmm hello --mode protected --quiet)
echo "minictr vmm hello --mode protected      mean ${ours} ms  (min ${ours_min} ms)"
QARGS="-M microvm -m 16 -nodefaults -no-user-config -nographic -serial null -monitor none -device isa-debug-exit,iobase=0xf4,iosize=0x01 -kernel $tmp/hello.elf"
if command -v "$QEMU" >/dev/null; then
	if [ -r /dev/kvm ] && timeout 60 "$QEMU" -enable-kvm $QARGS </dev/null >/dev/null 2>&1 || [ $? -eq 169 ]; then
		read -r qk qk_min < <(mean_ms qemukvm "$QEMU" -enable-kvm $QARGS)
		echo "qemu -M microvm -enable-kvm (same guest)  mean ${qk} ms  (min ${qk_min} ms)   qemu/minictr = $(ratio "$qk" "$ours")x"
	else
		echo "qemu -enable-kvm: did not finish within 60 s (or no KVM)"
	fi
	read -r qt qt_min < <(mean_ms qemutcg "$QEMU" -accel tcg $QARGS)
	echo "qemu -M microvm -accel tcg (same guest)   mean ${qt} ms  (min ${qt_min} ms)   qemu/minictr = $(ratio "$qt" "$ours")x"
else
	echo "$QEMU not installed: no qemu comparison (Debian package qemu-system-x86)"
fi

echo
echo "== 2. ring-3 workload: $ITER LCG steps, the same machine code in the guest and on the host (RUNS=${RUNS_LOOP:-5})"
RUNS=${RUNS_LOOP:-5}
read -r g g_min < <(mean_ms guest "$BIN" vmm hello --mode user --iterations "$ITER" --exits 0 --check=false --quiet)
read -r h h_min < <(mean_ms host "$tmp/loop")
echo "guest ring 3 (incl. VM setup)  mean ${g} ms  (min ${g_min} ms)"
echo "host process                   mean ${h} ms  (min ${h_min} ms)"
echo "guest/host = $(ratio "$g" "$h")x (mean), $(ratio "$g_min" "$h_min")x (min)"
# CPU time (user+sys of the process: the guest's ring-3 time is the VMM's system time inside
# KVM_RUN) is less sensitive than wall time to other work on a shared machine. Min of 3.
cpu_s() {
	python3 - "$@" <<'PY'
import resource, subprocess, sys
best = None
for _ in range(3):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    best = t if best is None else min(best, t)
print("%.3f" % best)
PY
}
gc=$(cpu_s "$BIN" vmm hello --mode user --iterations "$ITER" --exits 0 --check=false --quiet)
hc=$(cpu_s "$tmp/loop")
echo "CPU time, min of 3: guest ${gc} s, host ${hc} s, guest/host = $(ratio "$gc" "$hc")x"

echo
echo "== 3. exit round trip (100000 nop hypercalls)"
"$BIN" vmm hello --mode user --iterations 0 --exits 100000 --check=false --exit-ring 3 | grep 'round trip'
"$BIN" vmm hello --mode user --iterations 0 --exits 100000 --check=false --exit-ring 0 | grep 'round trip'
