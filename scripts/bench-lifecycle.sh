#!/usr/bin/env bash
# bench-lifecycle: N sequential `run` of /bin/true from one busybox bundle, minictr vs runc,
# measured side by side in one hyperfine run; prints each median and the ratio.
set -euo pipefail
N=${N:-100}
BIN=${BIN:-bin/minictr}
BIN=$(readlink -f "$BIN")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bundle/rootfs/bin" "$work/bundle/rootfs"/{proc,sys,dev,tmp,etc}
cp "$(command -v busybox)" "$work/bundle/rootfs/bin/busybox"
ln -s busybox "$work/bundle/rootfs/bin/true"
ln -s busybox "$work/bundle/rootfs/bin/sh"
"$BIN" spec --bundle "$work/bundle"
# Not a terminal, and /bin/true as the process.
python3 - "$work/bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
json.dump(c, open(p, "w"), indent=1)
PY
runc=$(command -v runc || true)
if [ -z "$runc" ]; then echo "runc not installed (Debian package runc)"; exit 1; fi
if ! command -v hyperfine >/dev/null; then echo "hyperfine not installed (Debian package hyperfine)"; exit 1; fi
hyperfine -N --warmup 5 --runs "$N" --export-json "$work/h.json" \
	-n minictr "$BIN --root $work/state-m run -b $work/bundle bench-m" \
	-n runc "$runc --root $work/state-r run -b $work/bundle bench-r" >/dev/null
python3 - "$work/h.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
m, c = r["minictr"]["median"], r["runc"]["median"]
print(f"run /bin/true, {len(r['minictr']['times'])} runs each, median per container:")
print(f"  minictr {m*1000:7.2f} ms")
print(f"  runc    {c*1000:7.2f} ms")
print(f"  ratio minictr/runc = {m/c:.2f}")
PY
