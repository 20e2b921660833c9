#!/usr/bin/env bash
# Provisions a Debian or Ubuntu machine (the Vagrant box of the Vagrantfile) for minictr and
# runs its test suite, as root:
#   1. the build tools (make, gcc, libc6-dev for the static cgo builds, git, curl),
#   2. Go at the version go.mod asks for (the newest patch release of that minor version, from
#      the official release tarball, its SHA-256 checked against the release list), in
#      /usr/local/go, unless a new enough Go is there already,
#   3. the Debian packages of the test suite (`make deps`: DEB_PACKAGES of the Makefiles),
#   4. `make test` in the source tree (skipped with MINICTR_SKIP_TESTS=1).
# Environment: MINICTR_SRC (default: the directory above this script), MINICTR_SKIP_TESTS,
# GO_VERSION (overrides the version from go.mod, e.g. 1.26.0).
set -euo pipefail

src=${MINICTR_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
godir=/usr/local/go
export DEBIAN_FRONTEND=noninteractive

log() { printf '==> %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "provision.sh: run as root" >&2
	exit 1
fi
if [ ! -f "$src/go.mod" ]; then
	echo "provision.sh: no go.mod in $src (set MINICTR_SRC)" >&2
	exit 1
fi

log "build tools"
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	make gcc libc6-dev git curl ca-certificates python3 >/dev/null

# The version go.mod needs: its "go" line (e.g. "go 1.26.0").
want=${GO_VERSION:-$(awk '$1 == "go" { print $2; exit }' "$src/go.mod")}
if [ -z "$want" ]; then
	echo "provision.sh: no go line in $src/go.mod" >&2
	exit 1
fi
minor=$(echo "$want" | cut -d. -f1,2)

# version_ge A B: A >= B for dotted version numbers.
version_ge() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]; }

have=""
if [ -x "$godir/bin/go" ]; then
	have=$("$godir/bin/go" env GOVERSION | sed 's/^go//')
fi
if [ -n "$have" ] && version_ge "$have" "$want"; then
	log "Go $have already installed (go.mod needs $want)"
else
	case "$(uname -m)" in
	x86_64) arch=amd64 ;;
	aarch64) arch=arm64 ;;
	*)
		echo "provision.sh: no Go release for $(uname -m)" >&2
		exit 1
		;;
	esac
	# The release list names each archive with its SHA-256; pick the newest stable patch
	# release of the minor version go.mod names (or exactly GO_VERSION when it is set).
	list=$(curl -fsSL 'https://go.dev/dl/?mode=json&include=all')
	sel=$(printf '%s' "$list" | python3 -c '
import json, sys
want, minor, arch, exact = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
def key(v):
    return [int(x) for x in v[2:].split(".")]
best = None
for r in json.load(sys.stdin):
    v = r["version"]
    if not r.get("stable") or not (v == "go" + minor or v.startswith("go" + minor + ".")):
        continue
    if (exact and v != "go" + want) or key(v) < key("go" + want):
        continue
    for f in r["files"]:
        if f["os"] == "linux" and f["arch"] == arch and f["kind"] == "archive":
            if best is None or key(v) > key(best[0]):
                best = (v, f["filename"], f["sha256"])
if best is None:
    sys.exit("no Go release go%s for linux/%s in the release list" % (want, arch))
print(best[1], best[2])
' "$want" "$minor" "$arch" "${GO_VERSION:+1}")
	read -r file sum <<<"$sel"
	log "installing $file (go.mod needs $want)"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	curl -fsSL -o "$tmp/$file" "https://go.dev/dl/$file"
	echo "$sum  $tmp/$file" | sha256sum -c --quiet -
	rm -rf "$godir"
	tar -C /usr/local -xzf "$tmp/$file"
fi
ln -sf "$godir/bin/go" /usr/local/bin/go
ln -sf "$godir/bin/gofmt" /usr/local/bin/gofmt
# Never switch to another toolchain behind our back.
export GOTOOLCHAIN=local PATH="$godir/bin:$PATH"
go version

log "Debian packages of the test suite"
make -C "$src" deps

log "cgroups: $(stat -fc %T /sys/fs/cgroup) at /sys/fs/cgroup"
if [ -e /dev/kvm ]; then
	log "/dev/kvm present: guest kernels run at full speed"
else
	log "no /dev/kvm (enable nested virtualization in the provider): VM tests fall back or skip"
fi

if [ -n "${MINICTR_SKIP_TESTS:-}" ]; then
	log "MINICTR_SKIP_TESTS set: not running make test"
	exit 0
fi
log "make test"
make -C "$src" test
