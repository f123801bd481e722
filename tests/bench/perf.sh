#!/usr/bin/env bash
# Benchmark (not a test): the performance figures of docs/performance.md in one place.
#
#   tests/bench/perf.sh render [--runs N] [--sherpack BIN] [--helm BIN]
#       `template` of generated charts of 10, 4,001 and 20,000 objects (gen_render_chart.py: the same
#       template bodies for each tool), tack side by side with Sherpack and Helm when their binaries are
#       given: median wall time, median peak memory and the ratios to tack.
#   tests/bench/perf.sh list [--runs N]
#       `list -A` over 200 releases of 10 revisions each, and `history` and `status` of one of them, on the
#       test control plane (needs KUBECONFIG, see docs/testenv.md).
#   tests/bench/perf.sh stack [--runs N]
#       `diff --all` of a stack of 12 instances of 200 objects each, against one instance alone, with every
#       object changed and with one object changed per instance; then both again through a fault-injecting
#       proxy (tests/netfault/netfault.sh builds it) that delays every answer by LATENCY_MS (default 30).
#   tests/bench/perf.sh install [--runs N] [--helm BIN]
#       First the API server's own throughput for server-side apply of 2,000 new ConfigMaps by a plain
#       client at concurrencies 1 to 64 (apply_throughput.rs), then `tack install` of the same 2,000
#       ConfigMaps, its no-op upgrade and diff, side by side with Helm's install, no-op upgrade and
#       `upgrade --dry-run=server` when a Helm binary is given (tests/oracle/helm.sh build makes one), and
#       the API requests of each (lifecycle.sh, diff.sh and clusters.sh measure the rest). Each install
#       round also runs the plain client just before tack and prints tack's ratio to it, round by round.
#
# The cluster modes print the API requests each operation made, read from the API server's /metrics.
#
# tack is built here (release); Sherpack and Helm are built by whoever runs this, outside the repository
# (see docs/performance.md).
set -euo pipefail
mode="${1:-render}"
shift || true
runs=7 sherpack="" helm="${HELM:-$(command -v helm || true)}"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --sherpack) sherpack="$2"; shift 2 ;;
    --helm) helm="$2"; shift 2 ;;
    *) echo "error: unknown argument \`$1\`" >&2; exit 2 ;;
  esac
done
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
cargo build --release --quiet
tack="${CARGO_TARGET_DIR:-$root/target}/release/tack"
work="$(mktemp -d)"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"

need_cluster() {
  if [[ -z "${KUBECONFIG:-}" || ! -f "$KUBECONFIG" ]]; then
    echo "error: KUBECONFIG is not set to the test control plane" >&2
    echo "hint: tests/testenv/testenv.sh up && eval \"\$(tests/testenv/testenv.sh env)\"" >&2
    exit 1
  fi
}

render() {
  for size in "10 2 2" "4001 667 1000" "20000 3334 4999"; do
    set -- $size
    local objects="$1" dir="$work/c$1"
    python3 "$here/gen_render_chart.py" "$dir" "$2" "$3"
    local got
    got=$("$tack" template "$dir/tack" | grep -c '^kind:')
    [ "$got" = "$objects" ] || { echo "error: tack rendered $got objects, not $objects" >&2; exit 1; }
    local cmds=("tack=$tack template $dir/tack")
    if [ -n "$sherpack" ]; then
      got=$("$sherpack" template bench "$dir/sherpack" | grep -c '^kind:')
      [ "$got" = "$objects" ] || { echo "error: sherpack rendered $got objects, not $objects" >&2; exit 1; }
      cmds+=("sherpack=$sherpack template bench $dir/sherpack")
    fi
    if [ -n "$helm" ]; then
      got=$("$helm" template bench "$dir/helm" | grep -c '^kind:')
      [ "$got" = "$objects" ] || { echo "error: helm rendered $got objects, not $objects" >&2; exit 1; }
      cmds+=("helm=$helm template bench $dir/helm")
    fi
    echo
    echo "template, $objects objects (ratios: each tool / tack)"
    python3 "$here/sidebyside.py" "$runs" "${cmds[@]}"
  done
}

case "$mode" in
  render) render ;;
  list)
    need_cluster
    python3 "$here/perf_cluster.py" "$mode" "$tack" "$runs" "$work" ;;
  stack)
    need_cluster
    proxy=$("$root/tests/netfault/netfault.sh" path)
    python3 "$here/perf_cluster.py" stack "$tack" "$runs" "$work" "" "" "$proxy" ;;
  install)
    need_cluster
    cargo build --release --quiet --example apply_throughput
    plain="${CARGO_TARGET_DIR:-$root/target}/release/examples/apply_throughput"
    "$plain" --runs "$runs"
    echo
    python3 "$here/perf_cluster.py" install "$tack" "$runs" "$work" "$helm" "$plain" ;;
  *) echo "error: unknown mode \`$mode\` (render, list, stack or install)" >&2; exit 2 ;;
esac
