#!/usr/bin/env bash
# Benchmark (not a test): install a generated chart of 500 ConfigMaps on the test control plane, then run a
# no-op upgrade; print the median wall time of each over several runs and the object write requests.
# Needs a running control plane: tests/testenv/testenv.sh up && eval "$(tests/testenv/testenv.sh env)".
# Usage: tests/bench/lifecycle.sh [RUNS]
set -euo pipefail
runs="${1:-5}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
: "${KUBECONFIG:?set KUBECONFIG to the test control plane (tests/testenv/testenv.sh env)}"
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-$root/target}/release/tack"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chart="$work/many"
mkdir -p "$chart/templates"
printf 'apiVersion: v2\nname: many\nversion: 1.0.0\n' > "$chart/Chart.yaml"
printf 'count: 500\n' > "$chart/values.yaml"
cat > "$chart/templates/cms.yaml.j2" <<'J2'
{% for i in range(values.count) %}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-{{ i }}
  labels:
    app.kubernetes.io/instance: {{ release.name }}
data:
  index: {{ i | quote }}
  payload: {{ ("value-" ~ i) | sha256 | quote }}
{% endfor %}
J2

python3 - "$bin" "$chart" "$runs" <<'PY'
import re, statistics, subprocess, sys, time
bin, chart, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
stamp = str(int(time.time()))
def timed(args):
    t = time.perf_counter()
    p = subprocess.run([bin, "--stats"] + args, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(args)}\n{p.stdout}\n{p.stderr}")
    m = re.search(r"object reads (\d+), object writes (\d+)", p.stderr)
    return dt, int(m.group(1)), int(m.group(2))
inst, noop = [], []
for r in range(runs):
    ns = f"bench-{stamp}-{r}"
    inst.append(timed(["install", "many", chart, "-n", ns, "--create-namespace"]))
    noop.append(timed(["upgrade", "many", chart, "-n", ns]))
    subprocess.run([bin, "uninstall", "many", "-n", ns], capture_output=True)
def report(name, rows):
    t = [r[0] for r in rows]
    print(f"{name}: median {statistics.median(t)*1000:.0f} ms (min {min(t)*1000:.0f}, max {max(t)*1000:.0f}) "
          f"over {len(t)} runs; object reads {rows[-1][1]}, object writes {rows[-1][2]}")
report("install of 500 ConfigMaps", inst)
report("no-op upgrade of 500 ConfigMaps", noop)
PY
