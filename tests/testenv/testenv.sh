#!/usr/bin/env bash
# A real Kubernetes control plane on loopback for tack's end-to-end tests:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok
# (one fake Node), all built from the Go modules pinned next to this script.
#
# Usage: tests/testenv/testenv.sh build|up|down|restart-apiserver|env|status
# See docs/testenv.md.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE_DIR=${TACK_TESTENV_DIR:-/tmp/tack-testenv}
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/tack-testenv
# Seconds each process gets to become ready.
START_BUDGET=${TACK_TESTENV_START_BUDGET:-60}
# Seconds between TERM and KILL on `down`.
STOP_GRACE=10
# Bump when the build commands below change in a way that changes the binaries.
BUILD_RECIPE=1

NODE_NAME="kwok-node-0"
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
# Controllers for kube-controller-manager: the workload controllers, plus what
# makes namespaces, service accounts, garbage collection and Services behave.
KCM_CONTROLLERS=(
	deployment-controller replicaset-controller statefulset-controller
	daemonset-controller job-controller cronjob-controller
	ttl-after-finished-controller replicationcontroller-controller
	namespace-controller garbage-collector-controller
	serviceaccount-controller serviceaccount-token-controller
	root-ca-certificate-publisher-controller clusterrole-aggregation-controller
	resourcequota-controller disruption-controller
	endpoints-controller endpointslice-controller endpointslice-mirroring-controller
	pod-garbage-collector-controller
	persistentvolume-binder-controller persistentvolumeclaim-protection-controller
	persistentvolume-protection-controller
)

log() { printf 'testenv: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

usage() {
	cat >&2 <<EOF
usage: $0 <command>

commands:
  build   build the control-plane binaries (or reuse the cached ones); prints the bin dir
  up      build if needed, start the control plane, write the kubeconfig
  down    stop the recorded processes and remove the state dir
  restart-apiserver [--kill] [DOWN]
          stop kube-apiserver only (SIGTERM, or SIGKILL with --kill; etcd and the rest keep running),
          wait DOWN seconds (default 0), start it again with the same flags and port, wait for /readyz
  env     print 'export KUBECONFIG=<path>' for a running control plane
  status  show each process and the server version
  smoke   check that a Deployment becomes Available and a namespace deletion completes

environment:
  TACK_TESTENV_DIR   state dir (default /tmp/tack-testenv)
  XDG_CACHE_HOME     binaries go to \$XDG_CACHE_HOME/tack-testenv/<key>/bin (default ~/.cache)
  TACK_TESTENV_START_BUDGET  seconds each process gets to become ready (default 60)
EOF
}

need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || die "'$t' is required but not on PATH"
	done
}

# The module version that a go.mod requires, e.g. `mod_version go.mod k8s.io/kubernetes`.
mod_version() {
	awk -v m="$2" '($1 == m || ($1 == "require" && $2 == m)) && $0 !~ /=>/ { v = ($1 == m) ? $2 : $3 } END { if (v == "") exit 1; print v }' "$1" ||
		die "$1 does not require $2"
}

# ---------------------------------------------------------------- build

GO_MODULE_FILES=(go.mod go.sum kwok/go.mod kwok/go.sum)

version_key() {
	local f
	{
		for f in "${GO_MODULE_FILES[@]}"; do
			[[ -f $SCRIPT_DIR/$f ]] || die "missing $SCRIPT_DIR/$f"
			printf '== %s\n' "$f"
			cat "$SCRIPT_DIR/$f"
		done
		printf '== go %s\n== recipe %s\n' "$(go env GOVERSION)" "$BUILD_RECIPE"
	} | sha256sum | cut -c1-16
}

bin_dir() { printf '%s/%s/bin\n' "$CACHE_ROOT" "$(version_key)"; }

# go_build <module dir> <output> <package> [ldflags]
go_build() {
	local dir=$1 out=$2 pkg=$3 ldflags=${4:-} start
	start=$SECONDS
	log "building $(basename "$out") from $pkg"
	(
		cd "$dir"
		CGO_ENABLED=0 GOWORK=off GOFLAGS=-mod=readonly \
			go build -trimpath -buildvcs=false -ldflags "-s -w $ldflags" -o "$out.tmp" "$pkg"
	) || die "building $pkg failed"
	mv -f "$out.tmp" "$out"
	printf '%s %ss\n' "$(basename "$out")" "$((SECONDS - start))" >>"$(dirname "$out")/../build-times.txt"
	log "built $(basename "$out") in $((SECONDS - start))s"
}

cmd_build() {
	need go sha256sum flock
	local key dir bin kube etcd kwok ldf major minor p
	key=$(version_key)
	dir=$CACHE_ROOT/$key
	bin=$dir/bin
	if [[ ! -f $dir/complete ]]; then
		mkdir -p "$bin"
		exec 8>"$dir/.build.lock"
		flock 8 # another build of the same key may be running
		if [[ ! -f $dir/complete ]]; then
			kube=$(mod_version "$SCRIPT_DIR/go.mod" k8s.io/kubernetes)
			etcd=$(mod_version "$SCRIPT_DIR/go.mod" go.etcd.io/etcd/server/v3)
			kwok=$(mod_version "$SCRIPT_DIR/kwok/go.mod" sigs.k8s.io/kwok)
			major=${kube#v}
			major=${major%%.*}
			minor=${kube#v*.}
			minor=${minor%%.*}
			# Without these /version reports v0.0.0-master with empty major/minor.
			ldf=""
			for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
				ldf+=" -X $p.gitVersion=$kube -X $p.gitMajor=$major -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
			done
			log "cache key $key: kubernetes $kube, etcd $etcd, kwok $kwok ($(go env GOVERSION))"
			[[ -x $bin/kube-apiserver ]] || go_build "$SCRIPT_DIR" "$bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver "$ldf"
			[[ -x $bin/kube-controller-manager ]] || go_build "$SCRIPT_DIR" "$bin/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager "$ldf"
			[[ -x $bin/kube-scheduler ]] || go_build "$SCRIPT_DIR" "$bin/kube-scheduler" k8s.io/kubernetes/cmd/kube-scheduler "$ldf"
			[[ -x $bin/etcd ]] || go_build "$SCRIPT_DIR" "$bin/etcd" go.etcd.io/etcd/server/v3 "-X go.etcd.io/etcd/api/v3/version.GitSHA=$etcd"
			[[ -x $bin/kwok ]] || go_build "$SCRIPT_DIR/kwok" "$bin/kwok" sigs.k8s.io/kwok/cmd/kwok "-X sigs.k8s.io/kwok/pkg/consts.Version=${kwok#v}"
			printf 'kubernetes %s\netcd %s\nkwok %s\n' "$kube" "$etcd" "$kwok" >"$dir/versions.txt"
			touch "$dir/complete"
		fi
		flock -u 8
		exec 8>&-
	else
		log "reusing cached binaries (key $key)"
	fi
	BIN=$bin
}

# ---------------------------------------------------------------- state

MARKER=.tack-testenv
PIDS=$STATE_DIR/pids
KUBECONFIG_PATH=$STATE_DIR/kubeconfig

lock_state() {
	mkdir -p "$(dirname "$STATE_DIR")"
	exec 9>"$STATE_DIR.lock"
	flock -w 300 9 || die "could not lock $STATE_DIR.lock within 300s"
}

load_state() {
	# shellcheck source=/dev/null
	source "$STATE_DIR/state.env"
}

# pid_of <name>: the recorded pid, if that process is still the one we started.
pid_of() {
	local name=$1 n pid exe
	[[ -f $PIDS ]] || return 1
	while read -r n pid exe; do
		[[ $n == "$name" ]] || continue
		[[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$exe" ]] || return 1
		printf '%s\n' "$pid"
		return 0
	done <"$PIDS"
	return 1
}

kcurl() {
	curl -sS --fail --max-time 5 --cacert "$STATE_DIR/ca.crt" -H "@$STATE_DIR/auth-header" "$@"
}

api() {
	local path=$1
	shift
	kcurl "https://127.0.0.1:$APISERVER_PORT$path" "$@"
}

# healthy [bin dir]: every recorded process runs (from that bin dir, if given) and /readyz answers.
healthy() {
	local want=${1:-}
	[[ -f $STATE_DIR/state.env && -f $PIDS ]] || return 1
	load_state
	[[ -z $want || $want == "$BIN" ]] || return 1
	local c
	for c in "${COMPONENTS[@]}"; do
		pid_of "$c" >/dev/null || return 1
	done
	api /readyz >/dev/null 2>&1
}

stop_all() {
	local i name pid waited alive
	[[ -f $PIDS ]] || return 0
	local -a pids=()
	for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
		name=${COMPONENTS[i]}
		if pid=$(pid_of "$name"); then
			kill -TERM "$pid" 2>/dev/null || true
			pids+=("$pid")
		fi
	done
	waited=0
	while :; do
		alive=()
		for pid in "${pids[@]}"; do
			kill -0 "$pid" 2>/dev/null && alive+=("$pid")
		done
		((${#alive[@]} == 0)) && break
		if ((waited >= STOP_GRACE * 5)); then
			log "killing ${alive[*]} after ${STOP_GRACE}s"
			kill -KILL "${alive[@]}" 2>/dev/null || true
			break
		fi
		sleep 0.2
		waited=$((waited + 1))
	done
	rm -f "$PIDS"
}

remove_state() {
	[[ -d $STATE_DIR ]] || return 0
	[[ -f $STATE_DIR/$MARKER ]] || die "$STATE_DIR is not a tack-testenv state dir; not removing it"
	rm -rf "$STATE_DIR"
}

# ---------------------------------------------------------------- up

# N loopback ports that are free now, outside the ephemeral range.
free_ports() {
	python3 - "$1" <<'EOF'
import random, socket, sys
want, got, socks = int(sys.argv[1]), [], []
while len(got) < want:
    p = random.randrange(20000, 32000)
    if p in got:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        s.close()
        continue
    socks.append(s)
    got.append(p)
print(" ".join(map(str, got)))
EOF
}

# start <name> <args...>: run the cached binary in its own session, log to <name>.log, and record its pid
# once it has really exec'd. `$!` is not that pid: setsid forks when it is started as a process-group
# leader (a shell with job control), and right after the fork the process is still the shell or setsid,
# which made the liveness check fail at random under load.
start() {
	local name=$1
	shift
	local pidfile="$STATE_DIR/$name.pid" pid="" i
	rm -f "$pidfile"
	# Close the lock fds so that the daemons do not hold the locks.
	# shellcheck disable=SC2016 # $$, $0 and $@ belong to the inner shell
	setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$BIN/$name" "$@" \
		</dev/null >"$STATE_DIR/$name.log" 2>&1 8>&- 9>&- &
	for ((i = 0; i < 200; i++)); do
		if [[ -s $pidfile ]]; then
			pid=$(<"$pidfile")
			[[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$BIN/$name" ]] && break
		fi
		sleep 0.05
	done
	[[ -n $pid ]] || fail_step "$name" "$name did not start within 10s"
	printf '%s %s %s\n' "$name" "$pid" "$BIN/$name" >>"$PIDS"
}

# start_apiserver: kube-apiserver with the flags and port of state.env (`up` and `restart-apiserver` share it).
start_apiserver() {
	start kube-apiserver \
		--etcd-servers="http://127.0.0.1:$ETCD_PORT" \
		--bind-address=127.0.0.1 --secure-port="$APISERVER_PORT" --advertise-address=127.0.0.1 \
		--endpoint-reconciler-type=none \
		--cert-dir="$STATE_DIR/apiserver-certs" \
		--tls-cert-file="$STATE_DIR/apiserver.crt" --tls-private-key-file="$STATE_DIR/apiserver.key" \
		--client-ca-file="$STATE_DIR/ca.crt" --token-auth-file="$STATE_DIR/tokens.csv" \
		--authorization-mode=RBAC \
		--service-account-issuer=https://kubernetes.default.svc \
		--service-account-key-file="$STATE_DIR/sa.key" --service-account-signing-key-file="$STATE_DIR/sa.key" \
		--service-cluster-ip-range=10.96.0.0/16 --allow-privileged=true \
		--disable-admission-plugins=TaintNodesByCondition \
		--profiling=false --v=1
}

STEP=""
FAILED_LOG=""
up_failed() {
	local rc=$?
	trap - EXIT
	((rc == 0)) && return 0
	log "up failed at step '$STEP'${FAILED_LOG:+ (log: $FAILED_LOG)}; stopping what was started (logs stay in $STATE_DIR)"
	stop_all
	exit "$rc"
}

fail_step() {
	local logf=$STATE_DIR/$1.log
	FAILED_LOG=$logf
	log "step '$STEP' failed: $2"
	log "log file: $logf"
	if [[ -f $logf ]]; then
		echo "----- last 40 lines of $logf -----" >&2
		tail -n 40 "$logf" >&2
		echo "-----" >&2
	fi
	exit 1
}

# wait_until <component> <description> <command...>
wait_until() {
	local name=$1 what=$2 deadline
	shift 2
	deadline=$((SECONDS + START_BUDGET))
	until "$@" >/dev/null 2>&1; do
		pid_of "$name" >/dev/null || fail_step "$name" "$name exited while waiting for $what"
		((SECONDS < deadline)) || fail_step "$name" "no $what after ${START_BUDGET}s"
		sleep 0.2
	done
}

json_check() { # json_check <python expression on d> < json
	python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"
}

node_ready() {
	api "/api/v1/nodes/$NODE_NAME" |
		json_check 'any(c["type"] == "Ready" and c["status"] == "True" for c in d.get("status", {}).get("conditions", []))'
}

make_certs() {
	local d=$STATE_DIR
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=tack-testenv-ca \
		-keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver \
		-keyout "$d/apiserver.key" -out "$d/apiserver.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n' >"$d/apiserver.ext"
	openssl x509 -req -in "$d/apiserver.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 3650 -extfile "$d/apiserver.ext" -out "$d/apiserver.crt" 2>/dev/null
	openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
	chmod 600 "$d"/*.key
}

write_kubeconfig() {
	local ca
	ca=$(base64 -w0 <"$STATE_DIR/ca.crt")
	umask 077
	cat >"$KUBECONFIG_PATH" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: tack-testenv
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $ca
users:
- name: admin
  user:
    token: $TOKEN
contexts:
- name: tack-testenv
  context:
    cluster: tack-testenv
    user: admin
    namespace: default
current-context: tack-testenv
EOF
}

# The fake node is large (5,000 pods): the e2e suite leaves its namespaces behind for inspection, and a full
# run schedules hundreds of pods that a real node's 110 would not hold.
node_json() {
	cat <<EOF
{
  "apiVersion": "v1",
  "kind": "Node",
  "metadata": {
    "name": "$NODE_NAME",
    "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
    "labels": {
      "kubernetes.io/hostname": "$NODE_NAME", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
      "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64", "type": "kwok"
    }
  },
  "status": {
    "capacity": {"cpu": "1000", "memory": "4Ti", "pods": "5000", "ephemeral-storage": "100Ti"},
    "allocatable": {"cpu": "1000", "memory": "4Ti", "pods": "5000", "ephemeral-storage": "100Ti"},
    "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux", "kubeletVersion": "fake", "kubeProxyVersion": "fake"}
  }
}
EOF
}

cmd_up() {
	need go openssl curl python3 setsid flock base64 sha256sum
	local t0=$SECONDS
	cmd_build
	lock_state
	local want=$BIN
	if healthy "$want"; then
		log "already up and healthy ($STATE_DIR)"
		printf 'export KUBECONFIG=%s\n' "$KUBECONFIG_PATH"
		return 0
	fi
	if [[ -d $STATE_DIR ]]; then
		if [[ -f $STATE_DIR/$MARKER ]]; then
			log "found a stale, partial or outdated environment in $STATE_DIR; stopping it first"
			stop_all
			remove_state
		elif [[ -n $(ls -A "$STATE_DIR") ]]; then
			die "$STATE_DIR exists, is not empty and is not a tack-testenv state dir"
		fi
	fi
	BIN=$want
	mkdir -p "$STATE_DIR"
	chmod 700 "$STATE_DIR"
	touch "$STATE_DIR/$MARKER"
	trap up_failed EXIT

	STEP=certificates
	make_certs
	TOKEN=$(openssl rand -hex 24)
	printf '%s,tack-admin,tack-admin,system:masters\n' "$TOKEN" >"$STATE_DIR/tokens.csv"
	printf 'Authorization: Bearer %s\n' "$TOKEN" >"$STATE_DIR/auth-header"
	chmod 600 "$STATE_DIR/tokens.csv" "$STATE_DIR/auth-header"
	local ports
	read -r -a ports <<<"$(free_ports 5)"
	ETCD_PORT=${ports[0]} ETCD_PEER_PORT=${ports[1]} APISERVER_PORT=${ports[2]}
	KCM_PORT=${ports[3]} SCHEDULER_PORT=${ports[4]}
	{
		printf 'BIN=%q\nTOKEN=%q\n' "$BIN" "$TOKEN"
		printf 'ETCD_PORT=%s\nETCD_PEER_PORT=%s\nAPISERVER_PORT=%s\nKCM_PORT=%s\nSCHEDULER_PORT=%s\n' \
			"$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT" "$KCM_PORT" "$SCHEDULER_PORT"
		printf 'NODE_NAME=%s\n' "$NODE_NAME"
	} >"$STATE_DIR/state.env"
	chmod 600 "$STATE_DIR/state.env"
	: >"$PIDS"

	STEP=etcd
	start etcd --name=tack --data-dir="$STATE_DIR/etcd" --unsafe-no-fsync --log-level=warn \
		--listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
		--listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-cluster="tack=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls=""
	wait_until etcd "/health" curl -sf --max-time 2 "http://127.0.0.1:$ETCD_PORT/health"

	STEP="kube-apiserver"
	start_apiserver
	wait_until kube-apiserver "authenticated /readyz" api /readyz
	wait_until kube-apiserver "namespace default" api /api/v1/namespaces/default
	write_kubeconfig

	STEP="kube-controller-manager"
	local controllers
	controllers=$(
		IFS=,
		printf '%s' "${KCM_CONTROLLERS[*]}"
	)
	start kube-controller-manager --kubeconfig="$KUBECONFIG_PATH" \
		--authentication-kubeconfig="$KUBECONFIG_PATH" --authorization-kubeconfig="$KUBECONFIG_PATH" \
		--bind-address=127.0.0.1 --secure-port="$KCM_PORT" --cert-dir="$STATE_DIR/kcm-certs" \
		--leader-elect=false --controllers="$controllers" \
		--service-account-private-key-file="$STATE_DIR/sa.key" --root-ca-file="$STATE_DIR/ca.crt" \
		--profiling=false --v=1
	STEP="kube-scheduler"
	start kube-scheduler --kubeconfig="$KUBECONFIG_PATH" \
		--authentication-kubeconfig="$KUBECONFIG_PATH" --authorization-kubeconfig="$KUBECONFIG_PATH" \
		--bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" --cert-dir="$STATE_DIR/scheduler-certs" \
		--leader-elect=false --profiling=false --v=1
	STEP="fake node"
	api /api/v1/nodes -X POST -H 'Content-Type: application/json' -d "$(node_json)" >/dev/null ||
		fail_step kube-apiserver "could not create Node $NODE_NAME"
	STEP=kwok
	mkdir -p "$STATE_DIR/kwok"
	# KWOK_WORKDIR keeps kwok away from ~/.kwok (it would load ~/.kwok/kwok.yaml).
	KWOK_WORKDIR=$STATE_DIR/kwok start kwok --kubeconfig="$KUBECONFIG_PATH" \
		--manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
		--cidr=10.244.0.1/16 --node-ip=127.0.0.1

	STEP="kube-controller-manager"
	wait_until kube-controller-manager "/healthz" curl -skf --max-time 2 "https://127.0.0.1:$KCM_PORT/healthz"
	wait_until kube-controller-manager "ServiceAccount default/default" api /api/v1/namespaces/default/serviceaccounts/default
	STEP="kube-scheduler"
	wait_until kube-scheduler "/healthz" curl -skf --max-time 2 "https://127.0.0.1:$SCHEDULER_PORT/healthz"
	STEP=kwok
	wait_until kwok "Ready condition on Node $NODE_NAME" node_ready

	trap - EXIT
	log "up in $((SECONDS - t0))s: $(api /version | python3 -c 'import json,sys; print(json.load(sys.stdin)["gitVersion"])'), node $NODE_NAME, state in $STATE_DIR"
	printf 'export KUBECONFIG=%s\n' "$KUBECONFIG_PATH"
}

# Stop kube-apiserver only (etcd keeps its data, the other processes keep running), keep it down for
# DOWN seconds, start it again with the same flags and port, and wait until /readyz answers.
cmd_restart_apiserver() {
	local down=0 sig=TERM t0 pid waited=0 a
	for a in "$@"; do
		case $a in
		--kill) sig=KILL ;;
		*) down=$a ;;
		esac
	done
	[[ $down =~ ^[0-9]+([.][0-9]+)?$ ]] || die "restart-apiserver: DOWN must be a number of seconds, not '$down'"
	need curl setsid flock python3
	lock_state
	healthy || die "not running or not healthy ($STATE_DIR); run '$0 up' first"
	t0=$(date +%s.%N)
	pid=$(pid_of kube-apiserver) || die "no running kube-apiserver recorded in $PIDS"
	kill "-$sig" "$pid" 2>/dev/null || true
	# not our child: a killed process is gone once /proc no longer shows it running the binary
	while [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$BIN/kube-apiserver" ]]; do
		if ((waited == STOP_GRACE * 10)); then
			log "killing kube-apiserver (pid $pid) after ${STOP_GRACE}s"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		sleep 0.1
		waited=$((waited + 1))
	done
	grep -v '^kube-apiserver ' "$PIDS" >"$PIDS.tmp" || true
	mv -f "$PIDS.tmp" "$PIDS"
	[[ -f $STATE_DIR/kube-apiserver.log ]] && cat "$STATE_DIR/kube-apiserver.log" >>"$STATE_DIR/kube-apiserver.log.old"
	log "kube-apiserver (pid $pid) stopped after $(elapsed "$t0")s"
	sleep "$down"
	STEP="restart kube-apiserver"
	trap up_failed EXIT
	start_apiserver
	wait_until kube-apiserver "authenticated /readyz" api /readyz
	trap - EXIT
	log "kube-apiserver restarted: down for $(elapsed "$t0")s in all, pid $(pid_of kube-apiserver), port $APISERVER_PORT"
}

elapsed() { python3 -c "import sys,time; print('%.1f' % (time.time() - float(sys.argv[1])))" "$1"; }

cmd_down() {
	need flock
	lock_state
	if [[ ! -d $STATE_DIR ]]; then
		log "not running ($STATE_DIR does not exist)"
		return 0
	fi
	stop_all
	remove_state
	log "stopped and removed $STATE_DIR"
}

cmd_env() {
	[[ -f $KUBECONFIG_PATH ]] || die "no kubeconfig at $KUBECONFIG_PATH; run '$0 up' first"
	printf 'export KUBECONFIG=%s\n' "$KUBECONFIG_PATH"
}

cmd_status() {
	if [[ ! -f $STATE_DIR/state.env ]]; then
		echo "not running (no state in $STATE_DIR)"
		return 1
	fi
	load_state
	local c pid rc=0 v
	for c in "${COMPONENTS[@]}"; do
		if pid=$(pid_of "$c"); then
			printf '%-24s up   (pid %s)\n' "$c" "$pid"
		else
			printf '%-24s down\n' "$c"
			rc=1
		fi
	done
	if v=$(api /version 2>/dev/null); then
		printf 'server https://127.0.0.1:%s version %s\n' "$APISERVER_PORT" \
			"$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["gitVersion"], "(%s.%s)" % (d["major"], d["minor"]))' <<<"$v")"
	else
		echo "server https://127.0.0.1:$APISERVER_PORT not answering"
		rc=1
	fi
	printf 'kubeconfig %s\n' "$KUBECONFIG_PATH"
	return "$rc"
}

# wait_for <seconds> <description> <command...>: poll every 0.25 s.
wait_for() {
	local budget=$1 what=$2 deadline
	shift 2
	deadline=$((SECONDS + budget))
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || die "smoke: no $what after ${budget}s"
		sleep 0.25
	done
}

deployment_available() {
	api "/apis/apps/v1/namespaces/$1/deployments/smoke" |
		json_check 'any(c["type"] == "Available" and c["status"] == "True" for c in d.get("status", {}).get("conditions", []))'
}

namespace_gone() {
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$STATE_DIR/ca.crt" \
		-H "@$STATE_DIR/auth-header" "https://127.0.0.1:$APISERVER_PORT/api/v1/namespaces/$1")
	[[ $code == 404 ]]
}

# A Deployment becomes Available on the fake node, and a namespace deletion completes.
cmd_smoke() {
	healthy || die "not running; run '$0 up' first"
	local ns t0 json='Content-Type: application/json'
	ns=smoke-$(date +%s)-$$
	t0=$SECONDS
	api /api/v1/namespaces -X POST -H "$json" \
		-d "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$ns\"}}" >/dev/null
	api "/apis/apps/v1/namespaces/$ns/deployments" -X POST -H "$json" -d '{
	  "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "smoke"},
	  "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "smoke"}},
	    "template": {"metadata": {"labels": {"app": "smoke"}},
	      "spec": {"containers": [{"name": "c", "image": "example.invalid/smoke:1"}]}}}}' >/dev/null
	wait_for 60 "Available=True on deployment $ns/smoke" deployment_available "$ns"
	echo "deployment $ns/smoke Available=True after $((SECONDS - t0))s"
	t0=$SECONDS
	api "/api/v1/namespaces/$ns" -X DELETE >/dev/null
	wait_for 60 "deletion of namespace $ns" namespace_gone "$ns"
	echo "namespace $ns deleted after $((SECONDS - t0))s"
}

case ${1:-} in
smoke) cmd_smoke ;;
build)
	cmd_build
	printf '%s\n' "$BIN"
	;;
up) cmd_up ;;
down) cmd_down ;;
restart-apiserver)
	shift
	cmd_restart_apiserver "$@"
	;;
env) cmd_env ;;
status) cmd_status ;;
-h | --help | help) usage ;;
*)
	usage
	exit 2
	;;
esac
