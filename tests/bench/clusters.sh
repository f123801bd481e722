#!/usr/bin/env bash
# Benchmark (not a test): a stack of INSTANCES instances x OBJECTS ConfigMaps, spread over two control planes
# (even instances in cluster a, odd ones in b), against the same stack in one cluster. Prints the median wall
# time of `install --all`, a no-op `upgrade --all` and `diff --all -o markdown` over RUNS runs, and the API
# requests each cluster's server counted (configmaps, secrets, namespaces, discovery; the controllers' lease
# traffic and watches left out) during the first run of each.
#
# Needs two control planes:
#   tests/testenv/testenv.sh up; TACK_TESTENV_DIR=/tmp/tack-testenv-b tests/testenv/testenv.sh up
#   export KUBECONFIG=/tmp/tack-testenv/kubeconfig TACK_E2E_KUBECONFIG_B=/tmp/tack-testenv-b/kubeconfig
# Usage: tests/bench/clusters.sh [RUNS] [INSTANCES] [OBJECTS]    (TACK_BIN=path skips the release build)
set -euo pipefail
runs="${1:-3}"
instances="${2:-12}"
objects="${3:-200}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
: "${KUBECONFIG:?set KUBECONFIG to the first test control plane}"
: "${TACK_E2E_KUBECONFIG_B:?set TACK_E2E_KUBECONFIG_B to the second test control plane}"
bin="${TACK_BIN:-}"
if [[ -z "$bin" ]]; then
  cargo build --release --quiet
  bin="${CARGO_TARGET_DIR:-$root/target}/release/tack"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chart="$work/many"
mkdir -p "$chart/templates"
printf 'apiVersion: v2\nname: many\nversion: 1.0.0\n' > "$chart/Chart.yaml"
printf 'count: %s\n' "$objects" > "$chart/values.yaml"
cat > "$chart/templates/cms.yaml.j2" <<'J2'
{% for i in range(values.count) %}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ release.name }}-{{ i }}
data:
  index: {{ i | quote }}
  settings.yaml: |
    logLevel: info
    retries: 3
{% endfor %}
J2

python3 - "$bin" "$work" "$chart" "$runs" "$instances" "$objects" "$KUBECONFIG" "$TACK_E2E_KUBECONFIG_B" <<'PY'
import re, statistics, subprocess, sys, time
bin, work, chart, runs, instances, objects, kc_a, kc_b = sys.argv[1:9]
runs, instances = int(runs), int(instances)

def server_and_token(kc):
    def view(path):
        return subprocess.run(
            ["kubectl", "--kubeconfig", kc, "config", "view", "--minify", "--raw", "-o", f"jsonpath={path}"],
            check=True, capture_output=True, text=True).stdout
    return view("{.clusters[0].cluster.server}"), view("{.users[0].user.token}")

clusters = {"a": server_and_token(kc_a), "b": server_and_token(kc_b)}

def requests(name):
    """Non-watch requests on configmaps, secrets, namespaces and discovery the server counted so far."""
    server, token = clusters[name]
    out = subprocess.run(["curl", "-sk", "-H", f"Authorization: Bearer {token}", f"{server}/metrics"],
                         check=True, capture_output=True, text=True).stdout
    total = 0.0
    for line in out.splitlines():
        m = re.match(r'apiserver_request_total\{(.*)\} (\S+)', line)
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        if labels.get("verb") == "WATCH":
            continue
        if (labels.get("resource") or "(discovery)") in ("configmaps", "secrets", "namespaces", "(discovery)"):
            total += float(m.group(2))
    return total

def stack(path, mode, run):
    lines = [f"clusters:\n  a: {{kubeconfig: {kc_a}}}\n  b: {{kubeconfig: {kc_b}}}\n",
             f"defaults:\n  chart: {chart}\ninstances:\n"]
    for i in range(instances):
        c = "b" if mode == "two" and i % 2 else "a"
        lines.append(f"  - {{name: i{i}, namespace: bench-{mode}-{int(time.time())}-{run}-{i}, cluster: {c}}}\n")
    open(path, "w").write("".join(lines))

def timed(args):
    t = time.perf_counter()
    p = subprocess.run([bin] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit(f"error: tack {' '.join(args)} exited {p.returncode}\n{p.stderr[-2000:]}")
    return time.perf_counter() - t

for mode in ("one", "two"):
    f = f"{work}/tack-{mode}.yaml"
    times = {"install": [], "upgrade": [], "diff": []}
    counted = {}
    for run in range(runs):
        stack(f, mode, run)
        steps = [("install", ["install", "--all", "--create-namespace", "--stack", f]),
                 ("upgrade", ["upgrade", "--all", "--stack", f]),
                 ("diff", ["diff", "--all", "-o", "markdown", "--stack", f])]
        for name, args in steps:
            before = {c: requests(c) for c in clusters}
            times[name].append(timed(args))
            if run == 0:
                counted[name] = {c: int(requests(c) - before[c]) for c in clusters}
        timed(["uninstall", "--all", "--stack", f])
    where = "two clusters (even instances in a, odd in b)" if mode == "two" else "one cluster (a)"
    print(f"{instances} instances x {objects} ConfigMaps in {where}:")
    for name, ts in times.items():
        req = ", ".join(f"{c} {n}" for c, n in counted[name].items())
        runs_text = ", ".join(f"{t:.2f}" for t in ts)
        print(f"  {name:8s} median {statistics.median(ts):6.2f} s (runs {runs_text}); API requests: {req}")
PY
