#!/bin/sh
# bench-vm: the process VM against Lua 5.4, LuaJIT's interpreter (-joff), gopher-lua and native
# Go, on the programs of vm/testdata/bench (each exists as .go for minictr and .lua for Lua; a
# NAME.lua51.lua variant, when present, is the one given to gopher-lua, which implements Lua 5.1).
# gopher-lua is the nested module vm/bench/gopherlua, built here on demand (its dependency is
# fetched by the go command the first time); the main module does not depend on it.
# Uses hyperfine when installed (median of RUNS runs), else a plain timing loop.
# Environment: RUNS (default 3), GL_RUNS (runs for gopher-lua, default RUNS: it is slow),
# NBODY_N (nbody steps, default 5000000), BENCHES (list), CPU=1 to report user+system CPU time
# instead of wall time, GOPHERLUA=path of a gopher-lua runner already built (skips the build).
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/minictr}
RUNS=${RUNS:-3}
NBODY_N=${NBODY_N:-5000000}
BENCHES=${BENCHES:-"fib loop sieve nbody strs maps chans"}
DIR=vm/testdata/bench
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

[ -x "$BIN" ] || { echo "bench-vm: $BIN missing (run make build)" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }
for tool in lua5.4 luajit hyperfine go; do
	have "$tool" || echo "bench-vm: $tool not installed: its column is skipped (apt-get install lua5.4 luajit hyperfine)" >&2
done

# gopher-lua: build the runner of the nested module, or skip its column with the reason
GL=${GOPHERLUA:-}
if [ -z "$GL" ]; then
	if ! have go; then
		echo "bench-vm: go not installed: the gopher-lua column is skipped" >&2
	elif (cd vm/bench/gopherlua && GOFLAGS=-mod=mod go build -o "$TMP/gopherlua" .) >"$TMP/gl.log" 2>&1; then
		GL=$TMP/gopherlua
	else
		echo "bench-vm: building vm/bench/gopherlua failed ($(tail -n 1 "$TMP/gl.log")): the gopher-lua column is skipped" >&2
	fi
fi

# time in seconds of a command line: the median wall time, or with CPU=1 the mean user+system
# CPU time (steadier when the machine is shared)
# (optional second argument: the number of runs, default RUNS)
measure() {
	runs=${2:-$RUNS}
	if have hyperfine; then
		hyperfine -N --warmup 1 --runs "$runs" --export-csv "$TMP/h.csv" "$1" >/dev/null 2>&1 || { echo "-"; return; }
		if [ "${CPU:-0}" = 1 ]; then
			awk -F, 'NR==2 {printf "%.3f", $5 + $6}' "$TMP/h.csv"
		else
			awk -F, 'NR==2 {printf "%.3f", $4}' "$TMP/h.csv"
		fi
	else
		i=0; : >"$TMP/t"
		while [ $i -lt "$runs" ]; do
			s=$(date +%s.%N); sh -c "$1" >/dev/null 2>&1 || { echo "-"; return; }; e=$(date +%s.%N)
			echo "$e - $s" | bc >>"$TMP/t"; i=$((i + 1))
		done
		sort -n "$TMP/t" | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}'
	fi
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2fx", a / b }'; }

printf '%-7s %9s %9s %11s %10s %10s %12s %12s %17s\n' bench minictr lua5.4 "luajit-joff" "gopher-lua" "go(native)" "lua/minictr" "joff/minictr" "gopherlua/minictr"
for b in $BENCHES; do
	args=""
	[ "$b" = nbody ] && args=$NBODY_N
	"$BIN" vm build -o "$TMP/$b.mbc" "$DIR/$b.go"
	vmt=$(measure "$BIN vm run $TMP/$b.mbc $args")
	luat=-; jitt=-; glt=-; got=-
	have lua5.4 && luat=$(measure "lua5.4 $DIR/$b.lua $args")
	have luajit && jitt=$(measure "luajit -joff $DIR/$b.lua $args")
	if [ -n "$GL" ]; then
		src=$DIR/$b.lua
		[ -f "$DIR/$b.lua51.lua" ] && src=$DIR/$b.lua51.lua
		glt=$(measure "$GL $src $args" "${GL_RUNS:-$RUNS}")
	fi
	if have go; then
		go build -o "$TMP/$b.native" "$DIR/$b.go" && got=$(measure "$TMP/$b.native $args")
	fi
	printf '%-7s %9s %9s %11s %10s %10s %12s %12s %17s\n' "$b" "$vmt" "$luat" "$jitt" "$glt" "$got" \
		"$(ratio "$luat" "$vmt")" "$(ratio "$jitt" "$vmt")" "$(ratio "$glt" "$vmt")"
done
