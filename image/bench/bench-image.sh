#!/usr/bin/env bash
# bench-image: unpack the same multi-layer image (about 300 MB uncompressed, 3 gzip layers,
# with whiteouts) with minictr (per-layer snapshots, and flat), `umoci unpack`, and
# `tar -xzf` of each layer in turn. The image is built once with umoci from this machine's own
# files (a Go source tree, Python's library, perl and zoneinfo data, small binaries from
# /usr/bin): a synthetic but realistic mix of many small files and some large ones.
#
# usage: bench-image.sh MINICTR_BINARY [WORKDIR]
set -euo pipefail
BIN=$(realpath "$1")
W=${2:-/var/tmp/minictr-bench-image}
RUNS=${RUNS:-5}
for p in umoci hyperfine tar; do
	command -v $p >/dev/null || { echo "bench-image: $p not installed"; exit 1; }
done
mkdir -p "$W"
L="$W/layout"
if [ ! -f "$W/built" ]; then
	echo "building the image in $L (once)..."
	rm -rf "$L" "$W/bundle"
	umoci init --layout "$L"
	umoci new --image "$L:bench"
	umoci unpack --image "$L:bench" "$W/bundle" >/dev/null
	R="$W/bundle/rootfs"
	GOSRC=$(go env GOROOT)/src
	mkdir -p "$R/usr/local/go"
	cp -a "$GOSRC" "$R/usr/local/go/src"
	umoci repack --refresh-bundle --image "$L:bench" "$W/bundle"
	mkdir -p "$R/usr/lib" "$R/usr/share"
	cp -a /usr/lib/python3.11 "$R/usr/lib/" 2>/dev/null || cp -a /usr/lib/python3 "$R/usr/lib/"
	cp -a /usr/share/perl /usr/share/zoneinfo "$R/usr/share/" 2>/dev/null || true
	umoci repack --refresh-bundle --image "$L:bench" "$W/bundle"
	rm -rf "$R/usr/local/go/src/cmd" "$R/usr/local/go/src/net/http"
	mkdir -p "$R/usr/bin"
	find /usr/bin -maxdepth 1 -type f -size -2M -exec cp -a {} "$R/usr/bin/" \;
	umoci repack --refresh-bundle --image "$L:bench" "$W/bundle"
	rm -rf "$W/bundle"
	touch "$W/built"
fi
# The layer blobs, in order, for tar.
LAYERS=$(python3 -c '
import json,sys
L=sys.argv[1]
idx=json.load(open(L+"/index.json"))
m=[d for d in idx["manifests"] if d.get("annotations",{}).get("org.opencontainers.image.ref.name")=="bench"][0]
man=json.load(open(L+"/blobs/sha256/"+m["digest"].split(":")[1]))
print(" ".join(L+"/blobs/sha256/"+l["digest"].split(":")[1] for l in man["layers"]))' "$L")
S="$W/store"
rm -rf "$S"
"$BIN" load --store "$S" -i "$L:bench" --name bench:latest >/dev/null
echo "image: $(du -sh --apparent-size $LAYERS | awk '{s=s" "$1} END {print s}') compressed layers"
OUT="$W/out"
hyperfine --runs "$RUNS" --warmup 1 --export-markdown "$W/results.md" \
	--prepare "rm -rf $OUT $S/snapshots/*; sync" \
	-n "minictr image unpack (snapshots)" "$BIN image unpack --store $S bench:latest" \
	-n "minictr image unpack --flat" "$BIN image unpack --store $S --flat $OUT bench:latest" \
	-n "umoci unpack" "umoci unpack --image $L:bench $OUT" \
	-n "tar -xzf (each layer)" "mkdir -p $OUT && for l in $LAYERS; do tar -xzf \$l -C $OUT; done"
du -sh --apparent-size "$OUT" 2>/dev/null || true
rm -rf "$OUT"
cat "$W/results.md"
