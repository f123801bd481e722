#!/usr/bin/env bash
# Benchmark (not a test): generate a chart that renders 2,000 objects (100 templates x 20 objects, with
# helper macros, toyaml, nindent, quote and sha256) and print the median wall time of `tack template`
# over several runs. Usage: tests/bench/render.sh [RUNS]
set -euo pipefail
runs="${1:-15}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-$root/target}/release/tack"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chart="$work/bench"
mkdir -p "$chart/templates"
cat > "$chart/Chart.yaml" <<'YAML'
apiVersion: v2
name: bench
version: 1.0.0
YAML
cat > "$chart/values.yaml" <<'YAML'
perTemplate: 20
labels:
  team: platform
  cost-center: "1234"
settings:
  logLevel: info
  retries: 3
  endpoints: [a.example.com, b.example.com]
YAML
cat > "$chart/templates/_helpers.j2" <<'J2'
{%- macro fullname(suffix) -%}
{{ (release.name ~ "-" ~ chart.name ~ "-" ~ suffix) | trunc(63) | trimsuffix("-") }}
{%- endmacro %}
{%- macro labels() -%}
app.kubernetes.io/name: {{ chart.name }}
app.kubernetes.io/instance: {{ release.name }}
{{ values.labels | toyaml }}
{%- endmacro %}
J2
for t in $(seq 0 99); do
  cat > "$chart/templates/cm-$t.yaml.j2" <<J2
{% import "_helpers.j2" as h %}
{% for i in range(values.perTemplate) %}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ h.fullname("t$t-" ~ i) }}
  labels:
    {{- h.labels() | nindent(4) }}
  annotations:
    checksum: {{ (values.settings | toyaml) | sha256 }}
data:
  index: {{ i | quote }}
  settings.yaml: |
    {{- values.settings | toyaml | nindent(4) }}
{% endfor %}
J2
done

count=$("$bin" template "$chart" | grep -c '^kind: ConfigMap')
echo "objects rendered: $count"
python3 - "$bin" "$chart" "$runs" <<'PY'
import statistics, subprocess, sys, time
bin, chart, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
times = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run([bin, "template", chart], check=True, stdout=subprocess.DEVNULL)
    times.append(time.perf_counter() - t)
times.sort()
print(f"tack template, 2000 objects: median {statistics.median(times)*1000:.1f} ms, "
      f"min {times[0]*1000:.1f} ms, max {times[-1]*1000:.1f} ms over {runs} runs")
PY
