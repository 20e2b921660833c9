#!/usr/bin/env bash
# bench-lifecycle: N sequential `run` of /bin/true from one busybox bundle, minictr vs runc (and
# crun when installed and it accepts this host), measured side by side in one hyperfine run,
# back to back and again with GAP_MS of idle before each run; prints each median and the ratios.
#
# On a host with hybrid cgroups (v1 controllers plus a cgroup2 mount at /sys/fs/cgroup/unified)
# it measures twice: on the host as it is (every runtime takes its v1 path), then in a private
# mount namespace whose /sys/fs/cgroup is the cgroup2 hierarchy alone, so every runtime takes its
# v2 path, as on most machines today. VIEW=host or VIEW=v2 measures one of the two.
set -euo pipefail
N=${N:-100}
BIN=${BIN:-bin/minictr}
BIN=$(readlink -f "$BIN")
VIEW=${VIEW:-both}
self=$(readlink -f "$0")

hybrid() { [ -e /sys/fs/cgroup/unified/cgroup.controllers ] && [ ! -e /sys/fs/cgroup/cgroup.controllers ]; }

if [ "$VIEW" = both ]; then
	echo "== cgroups as the host has them"
	VIEW=host N=$N BIN=$BIN "$self"
	if hybrid; then
		echo
		echo "== cgroup v2 view (private mount namespace, /sys/fs/cgroup = the cgroup2 hierarchy)"
		VIEW=v2 N=$N BIN=$BIN "$self"
	fi
	exit 0
fi
if [ "$VIEW" = v2 ] && [ -z "${BENCH_INNER:-}" ]; then
	if ! hybrid; then
		VIEW=host exec "$self"
	fi
	exec unshare -m --propagation private sh -c \
		'mount -t cgroup2 none /sys/fs/cgroup && BENCH_INNER=1 exec "$0"' "$self"
fi

runc=$(command -v runc || true)
if [ -z "$runc" ]; then echo "runc not installed (Debian package runc)"; exit 1; fi
if ! command -v hyperfine >/dev/null; then echo "hyperfine not installed (Debian package hyperfine)"; exit 1; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bundle/rootfs/bin" "$work/bundle/rootfs"/{proc,sys,dev,tmp,etc}
cp "$(command -v busybox)" "$work/bundle/rootfs/bin/busybox"
ln -s busybox "$work/bundle/rootfs/bin/true"
ln -s busybox "$work/bundle/rootfs/bin/sh"
"$BIN" spec --bundle "$work/bundle"
# Not a terminal, and /bin/true as the process. ociVersion 1.0.2: older crun releases refuse
# newer versions; minictr and runc take either.
python3 - "$work/bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["ociVersion"] = "1.0.2"
json.dump(c, open(p, "w"), indent=1)
PY
cmds=(-n minictr "$BIN --root $work/state-m run -b $work/bundle bench-m"
	-n runc "$runc --root $work/state-r run -b $work/bundle bench-r")
crun=$(command -v crun || true)
if [ -n "$crun" ]; then
	if out=$("$crun" --root "$work/state-c" run -b "$work/bundle" bench-c 2>&1); then
		cmds+=(-n crun "$crun --root $work/state-c run -b $work/bundle bench-c")
	else
		echo "crun: left out, it refuses this host: $(echo "$out" | tail -1)"
	fi
else
	echo "crun: not installed (Debian package crun), left out"
fi
# Twice: back to back, and with an idle pause before each run (GAP_MS, default 20; 0 skips it).
# The pause matters on cgroup v1: a move into a cgroup waits for an RCU grace period unless a
# move just before it opened the window in which the next one is cheap, so back-to-back runs
# of a runtime that moves its init (runc) are faster than runs that come one at a time.
GAP_MS=${GAP_MS:-20}
report() {
	python3 - "$1" "$2" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
m, c = r["minictr"]["median"], r["runc"]["median"]
print(f"run /bin/true, {sys.argv[2]}, {len(r['minictr']['times'])} runs each, median per container:")
for name, x in r.items():
    print(f"  {name:8s}{x['median']*1000:7.2f} ms")
print(f"  ratio minictr/runc = {m/c:.2f}")
if "crun" in r:
    print(f"  ratio crun/runc    = {r['crun']['median']/c:.2f}")
PY
}
hyperfine -N --warmup 5 --runs "$N" --export-json "$work/h.json" "${cmds[@]}" >/dev/null
report "$work/h.json" "back to back"
if [ "$GAP_MS" != 0 ]; then
	gap=$(python3 -c "print($GAP_MS/1000)")
	hyperfine -N --warmup 5 --runs "$N" --prepare "sleep $gap" --export-json "$work/g.json" "${cmds[@]}" >/dev/null
	report "$work/g.json" "${GAP_MS} ms idle before each"
fi
