#!/usr/bin/env bash
# The Helm CLI used only as a test oracle by the conversion compatibility tests (tests/convert_compat.rs):
# built from the Go module pinned in tests/oracle/helm/go.mod and cached outside the repository.
#
# Usage: tests/oracle/helm.sh build|path|module
#   build  build the binary (or reuse the cached one); prints its path
#   path   print the path the binary has (or will have) for the pinned version; exits 1 if it is not built
#   module print the folder of the pinned module's source (its test charts are part of the conversion corpus)
#
# environment:
#   XDG_CACHE_HOME  the binary goes to $XDG_CACHE_HOME/tack-oracle/<key>/bin/helm (default ~/.cache)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MOD_DIR=$SCRIPT_DIR/helm
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/tack-oracle
# Bump when the build command below changes in a way that changes the binary.
BUILD_RECIPE=1

log() { printf 'helm-oracle: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || die "'$t' is required but not on PATH"
	done
}

helm_version() {
	awk '($1 == "helm.sh/helm/v3" || ($1 == "require" && $2 == "helm.sh/helm/v3")) { v = ($1 == "require") ? $3 : $2 } END { if (v == "") exit 1; print v }' "$MOD_DIR/go.mod" ||
		die "$MOD_DIR/go.mod does not require helm.sh/helm/v3"
}

version_key() {
	local f
	{
		for f in go.mod go.sum; do
			[[ -f $MOD_DIR/$f ]] || die "missing $MOD_DIR/$f"
			printf '== %s\n' "$f"
			cat "$MOD_DIR/$f"
		done
		printf '== go %s\n== recipe %s\n' "$(go env GOVERSION)" "$BUILD_RECIPE"
	} | sha256sum | cut -c1-16
}

cmd_path() {
	need go sha256sum
	local bin
	bin=$CACHE_ROOT/$(version_key)/bin/helm
	printf '%s\n' "$bin"
	[[ -x $bin && -f $CACHE_ROOT/$(version_key)/complete ]]
}

cmd_build() {
	need go sha256sum flock
	local key dir bin version start
	key=$(version_key)
	dir=$CACHE_ROOT/$key
	bin=$dir/bin/helm
	if [[ ! -f $dir/complete ]]; then
		mkdir -p "$dir/bin"
		exec 8>"$dir/.build.lock"
		flock 8 # another build of the same key may be running
		if [[ ! -f $dir/complete ]]; then
			version=$(helm_version)
			start=$SECONDS
			log "building helm $version (cache key $key, $(go env GOVERSION))"
			(
				cd "$MOD_DIR"
				CGO_ENABLED=0 GOWORK=off GOFLAGS=-mod=readonly \
					go build -trimpath -buildvcs=false \
					-ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
					-o "$bin.tmp" helm.sh/helm/v3/cmd/helm
			) || die "building helm $version failed"
			mv -f "$bin.tmp" "$bin"
			printf 'helm %s\n' "$version" >"$dir/versions.txt"
			touch "$dir/complete"
			log "built helm $version in $((SECONDS - start))s"
		fi
		flock -u 8
		exec 8>&-
	fi
	printf '%s\n' "$bin"
}

# The folder of the pinned Helm module's source (in the Go module cache, where the build put it): the tests read
# the charts Helm ships as its own test data from there, never from a copy in this repository.
cmd_module() {
	need go
	local dir
	dir=$(cd "$MOD_DIR" && GOWORK=off GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' helm.sh/helm/v3) ||
		die "cannot locate the helm.sh/helm/v3 module (run: tests/oracle/helm.sh build)"
	[[ -d $dir ]] || die "the helm.sh/helm/v3 module is not in the module cache (run: tests/oracle/helm.sh build)"
	printf '%s\n' "$dir"
}

case ${1:-} in
build) cmd_build ;;
path) cmd_path ;;
module) cmd_module ;;
*)
	sed -n '2,11p' "$0" >&2
	exit 2
	;;
esac
