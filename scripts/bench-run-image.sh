#!/usr/bin/env bash
# bench-run-image: time from `run` to the container's exit for an image already in the store
# (layers unpacked once, each container an overlay mount: no copy) against the bundle form on
# the same rootfs, side by side in one hyperfine run. Target: image form under 2x the bundle.
set -euo pipefail
N=${N:-50}
BIN=$(readlink -f "${BIN:-bin/minictr}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in umoci hyperfine busybox python3; do
	command -v "$t" >/dev/null || { echo "$t not installed"; exit 1; }
done
# The same busybox rootfs as a bundle and as a one-layer image.
mkdir -p "$work/bundle/rootfs"/{bin,proc,sys,dev,tmp,etc}
cp "$(command -v busybox)" "$work/bundle/rootfs/bin/busybox"
for a in sh true echo; do ln -s busybox "$work/bundle/rootfs/bin/$a"; done
"$BIN" spec --bundle "$work/bundle"
python3 - "$work/bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
json.dump(c, open(p, "w"), indent=1)
PY
umoci init --layout "$work/oci" >/dev/null
umoci new --image "$work/oci:img" >/dev/null
umoci unpack --image "$work/oci:img" "$work/unpacked" >/dev/null
cp -a "$work/bundle/rootfs/." "$work/unpacked/rootfs/"
umoci repack --image "$work/oci:img" "$work/unpacked" >/dev/null
umoci config --image "$work/oci:img" --config.cmd /bin/true >/dev/null
"$BIN" load --store "$work/store" --name img -i "$work/oci:img" >/dev/null
hyperfine -N --warmup 5 --runs "$N" --export-json "$work/h.json" \
	-n bundle "$BIN --root $work/state run -b $work/bundle b1" \
	-n image "$BIN --root $work/state run --rm --network none --store $work/store img" >/dev/null
python3 - "$work/h.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
b, i = r["bundle"]["median"], r["image"]["median"]
print(f"run /bin/true, {len(r['bundle']['times'])} runs each, median:")
print(f"  bundle form          {b*1000:7.2f} ms")
print(f"  image form (overlay) {i*1000:7.2f} ms")
print(f"  ratio image/bundle = {i/b:.2f}")
PY
