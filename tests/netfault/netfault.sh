#!/usr/bin/env bash
# The fault-injecting TCP proxy (toxiproxy) that the network-fault end-to-end tests put between tack and the
# API server, built from the Go module pinned next to this script and cached. The tests start their own proxy
# server on loopback per test (tests/e2e/netfault.rs); this script only builds it and says where it is.
#
# Usage: tests/netfault/netfault.sh build|path
#   build  build toxiproxy-server (or reuse the cached one); prints nothing else on success
#   path   build if needed, then print the path of the toxiproxy-server binary
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/tack-netfault
# Bump when the build command below changes in a way that changes the binary.
BUILD_RECIPE=1

log() { printf 'netfault: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

key() {
	command -v go >/dev/null 2>&1 || die "'go' is required to build the fault-injecting proxy but is not on PATH"
	{
		cat "$SCRIPT_DIR/go.mod" "$SCRIPT_DIR/go.sum"
		printf '== go %s\n== recipe %s\n' "$(go env GOVERSION)" "$BUILD_RECIPE"
	} | sha256sum | cut -c1-16
}

build() {
	local dir bin start
	dir=$CACHE_ROOT/$(key)
	bin=$dir/bin/toxiproxy-server
	if [[ -x $bin && -f $dir/complete ]]; then
		BIN=$bin
		return
	fi
	mkdir -p "$dir/bin"
	exec 8>"$dir/.build.lock"
	flock 8 # another build of the same key may be running
	if [[ ! -f $dir/complete ]]; then
		start=$SECONDS
		log "building toxiproxy-server ($(awk '$1 == "require" && $2 ~ /toxiproxy/ { print $3 }' "$SCRIPT_DIR/go.mod"))"
		(
			cd "$SCRIPT_DIR"
			CGO_ENABLED=0 GOWORK=off GOFLAGS=-mod=readonly \
				go build -trimpath -buildvcs=false -ldflags "-s -w" -o "$bin.tmp" github.com/Shopify/toxiproxy/v2/cmd/server
		) || die "building toxiproxy-server failed"
		mv -f "$bin.tmp" "$bin"
		touch "$dir/complete"
		log "built toxiproxy-server in $((SECONDS - start))s"
	fi
	flock -u 8
	exec 8>&-
	BIN=$bin
}

case ${1:-} in
build) build ;;
path)
	build
	printf '%s\n' "$BIN"
	;;
*)
	echo "usage: $0 build|path" >&2
	exit 2
	;;
esac
