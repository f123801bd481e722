#!/usr/bin/env bash
# An OCI registry on loopback for tack's end-to-end tests: the CNCF distribution registry, built from the
# Go module pinned next to this script (cached like the control plane), started twice:
#   - TLS with a certificate from a CA generated here, and htpasswd (bcrypt) auth;
#   - plain HTTP without auth, for --plain-http.
#
# Usage: tests/registry/registry.sh build|up|down|env
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE_DIR=${TACK_REGISTRY_DIR:-/tmp/tack-registry}
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/tack-registry
START_BUDGET=${TACK_REGISTRY_START_BUDGET:-30}
# Bump when the build commands below change in a way that changes the binaries.
BUILD_RECIPE=1
USER_NAME=tack
# Not a secret: a throwaway password for a registry that only listens on loopback during tests.
USER_PASSWORD=tack-test-password

log() { printf 'registry: %s\n' "$*" >&2; }
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

version_key() {
	{
		cat "$SCRIPT_DIR/go.mod" "$SCRIPT_DIR/go.sum" "$SCRIPT_DIR/htpasswd/main.go"
		printf '== go %s\n== recipe %s\n' "$(go env GOVERSION)" "$BUILD_RECIPE"
	} | sha256sum | cut -c1-16
}

cmd_build() {
	need go sha256sum flock
	local dir bin start
	dir=$CACHE_ROOT/$(version_key)
	bin=$dir/bin
	if [[ ! -f $dir/complete ]]; then
		mkdir -p "$bin"
		exec 8>"$dir/.build.lock"
		flock 8
		if [[ ! -f $dir/complete ]]; then
			start=$SECONDS
			log "building the registry (distribution/v3 cmd/registry) and htpasswd"
			(
				cd "$SCRIPT_DIR"
				export CGO_ENABLED=0 GOWORK=off GOFLAGS=-mod=readonly
				go build -trimpath -buildvcs=false -ldflags "-s -w" -o "$bin/registry.tmp" \
					github.com/distribution/distribution/v3/cmd/registry
				go build -trimpath -buildvcs=false -ldflags "-s -w" -o "$bin/htpasswd.tmp" ./htpasswd
			) || die "building the registry failed"
			mv -f "$bin/registry.tmp" "$bin/registry"
			mv -f "$bin/htpasswd.tmp" "$bin/htpasswd"
			touch "$dir/complete"
			log "built in $((SECONDS - start))s"
		fi
		exec 8>&-
	fi
	printf '%s\n' "$bin"
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

make_certs() {
	local d=$STATE_DIR
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=tack-registry-test-ca \
		-keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
		-keyout "$d/tls.key" -out "$d/tls.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$d/ext.cnf"
	openssl x509 -req -in "$d/tls.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 3650 -extfile "$d/ext.cnf" -out "$d/tls.crt" 2>/dev/null
}

# write_config <name> <port> <tls: yes|no>
write_config() {
	local name=$1 port=$2 tls=$3 f=$STATE_DIR/$1.yml
	mkdir -p "$STATE_DIR/$name-data"
	{
		printf 'version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n'
		printf 'storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n' "$STATE_DIR/$name-data"
		printf 'http:\n  addr: 127.0.0.1:%s\n  secret: tack-registry-test\n' "$port"
		if [[ $tls == yes ]]; then
			printf '  tls:\n    certificate: %s\n    key: %s\n' "$STATE_DIR/tls.crt" "$STATE_DIR/tls.key"
			printf 'auth:\n  htpasswd:\n    realm: tack-test\n    path: %s\n' "$STATE_DIR/htpasswd"
		fi
	} >"$f"
}

# start <name> <port> <scheme>
start() {
	local name=$1 port=$2 scheme=$3 bin=$4 i code
	setsid "$bin/registry" serve "$STATE_DIR/$name.yml" >"$STATE_DIR/$name.log" 2>&1 </dev/null &
	echo $! >"$STATE_DIR/$name.pid"
	for ((i = 0; i < START_BUDGET * 4; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$STATE_DIR/ca.crt" "$scheme://127.0.0.1:$port/v2/" || true)
		if [[ $code == 200 || $code == 401 ]]; then
			log "$name listening on 127.0.0.1:$port ($scheme)"
			return 0
		fi
		kill -0 "$(cat "$STATE_DIR/$name.pid")" 2>/dev/null || break
		sleep 0.25
	done
	tail -n 20 "$STATE_DIR/$name.log" >&2 || true
	die "the $name registry did not start; log: $STATE_DIR/$name.log"
}

cmd_up() {
	need openssl curl python3 setsid
	local bin tls_port plain_port
	bin=$(cmd_build)
	if [[ -f $STATE_DIR/env ]]; then
		cmd_down
	fi
	mkdir -p "$STATE_DIR"
	make_certs
	"$bin/htpasswd" "$USER_NAME" "$USER_PASSWORD" >"$STATE_DIR/htpasswd"
	tls_port=$(free_port)
	plain_port=$(free_port)
	write_config secure "$tls_port" yes
	write_config plain "$plain_port" no
	start secure "$tls_port" https "$bin"
	start plain "$plain_port" http "$bin"
	cat >"$STATE_DIR/env" <<ENV
export TACK_TEST_REGISTRY=127.0.0.1:$tls_port
export TACK_TEST_REGISTRY_CA=$STATE_DIR/ca.crt
export TACK_TEST_REGISTRY_USER=$USER_NAME
export TACK_TEST_REGISTRY_PASSWORD=$USER_PASSWORD
export TACK_TEST_REGISTRY_DATA=$STATE_DIR/secure-data
export TACK_TEST_REGISTRY_PLAIN=127.0.0.1:$plain_port
ENV
	log "ready; eval \"\$($0 env)\""
}

cmd_down() {
	local name pid i
	for name in secure plain; do
		[[ -f $STATE_DIR/$name.pid ]] || continue
		pid=$(cat "$STATE_DIR/$name.pid")
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null || true
			for ((i = 0; i < 40; i++)); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.25
			done
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
	rm -rf "$STATE_DIR"
}

cmd_env() {
	[[ -f $STATE_DIR/env ]] || die "no registry is running (state: $STATE_DIR); run '$0 up'"
	cat "$STATE_DIR/env"
}

case ${1:-} in
build) cmd_build ;;
up) cmd_up ;;
down) cmd_down ;;
env) cmd_env ;;
*)
	echo "usage: $0 build|up|down|env  (state: \$TACK_REGISTRY_DIR, default /tmp/tack-registry)" >&2
	exit 2
	;;
esac
