#!/usr/bin/env bash
# Benchmark (not a test): install a generated release of 500 ConfigMaps on the test control plane, change 10
# of them, then print the median wall time of `tack diff` over several runs and the API requests one diff
# makes: tack's own counters (--stats) and, as a cross-check, the API server's request counters.
#
# Needs the control plane: tests/testenv/testenv.sh up && eval "$(tests/testenv/testenv.sh env)"
# Usage: tests/bench/diff.sh [RUNS] [OBJECTS]
set -euo pipefail
runs="${1:-9}"
objects="${2:-500}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
if [[ -z "${KUBECONFIG:-}" || ! -f "$KUBECONFIG" ]]; then
  echo "error: KUBECONFIG is not set to the test control plane" >&2
  echo "hint: tests/testenv/testenv.sh up && eval \"\$(tests/testenv/testenv.sh env)\"" >&2
  exit 1
fi
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-$root/target}/release/tack"

work="$(mktemp -d)"
ns="bench-diff-$(date +%s)"
cleanup() {
  "$bin" uninstall bench -n "$ns" >/dev/null 2>&1 || true
  kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

chart="$work/bench"
mkdir -p "$chart/templates"
cat > "$chart/Chart.yaml" <<'YAML'
apiVersion: v2
name: bench
version: 1.0.0
YAML
cat > "$chart/values.yaml" <<YAML
count: $objects
version: 1
# the objects whose data follows .version (10 of them)
changed: [0, 50, 100, 150, 200, 250, 300, 350, 400, 450]
YAML
cat > "$chart/templates/cms.yaml.j2" <<'J2'
{% for i in range(values.count) %}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: bench-{{ i }}
  labels:
    app.kubernetes.io/name: bench
data:
  index: {{ i | quote }}
  version: {{ (values.version if i in values.changed else 1) | string | quote }}
  settings.yaml: |
    logLevel: info
    retries: 3
{% endfor %}
J2

echo "installing $objects ConfigMaps in namespace $ns"
"$bin" install bench "$chart" -n "$ns" --create-namespace >/dev/null

check="$("$bin" diff bench "$chart" -n "$ns" --set version=2 -o summary)"
echo "$check" | tail -1
echo "$check" | grep -q "Plan: 0 to add, 10 to change, 0 to delete ($((objects - 10)) unchanged)." || {
  echo "error: expected 10 changed objects" >&2
  exit 1
}

server="$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')"
token="$(kubectl config view --minify --raw -o jsonpath='{.users[0].user.token}')"
metrics() { curl -sk -H "Authorization: Bearer $token" "$server/metrics" | grep '^apiserver_request_total{'; }

metrics > "$work/before"
"$bin" --stats diff bench "$chart" -n "$ns" --set version=2 -o summary 2> "$work/stats" >/dev/null
metrics > "$work/after"
grep '^tack stats:' "$work/stats"

python3 - "$bin" "$chart" "$ns" "$runs" "$work/before" "$work/after" "$objects" <<'PY'
import re, statistics, subprocess, sys, time
bin, chart, ns, runs, before, after, objects = sys.argv[1:8]
runs = int(runs)

def load(path):
    out = {}
    for line in open(path):
        m = re.match(r'apiserver_request_total\{(.*)\} (\S+)', line)
        if m:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
            out[m.group(1)] = (labels, float(m.group(2)))
    return out

b, a = load(before), load(after)
rows = {}
for key, (labels, value) in a.items():
    delta = value - b.get(key, (labels, 0.0))[1]
    if delta <= 0 or labels.get("verb") == "WATCH":
        continue
    resource = labels.get("resource") or "(discovery)"
    if resource not in ("configmaps", "secrets", "(discovery)"):
        continue  # leases, nodes, events: the controllers' own traffic
    dry = " dry-run" if labels.get("dry_run") else ""
    name = f'{labels.get("verb")}{dry} {resource}'
    rows[name] = rows.get(name, 0) + delta
print("API server requests during one diff (configmaps, secrets, discovery; controllers' traffic excluded):")
for name, n in sorted(rows.items()):
    print(f"  {int(n):4d}  {name}")
print(f"  {int(sum(rows.values())):4d}  total")

times = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run([bin, "diff", "bench", chart, "-n", ns, "--set", "version=2", "-o", "summary"],
                   check=True, stdout=subprocess.DEVNULL)
    times.append(time.perf_counter() - t)
times.sort()
print(f"tack diff, {objects}-object release, 10 changed: "
      f"median {statistics.median(times)*1000:.0f} ms, min {times[0]*1000:.0f} ms, "
      f"max {times[-1]*1000:.0f} ms over {runs} runs")
PY
