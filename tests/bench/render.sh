#!/usr/bin/env bash
# Benchmark (not a test): generate a chart that renders 2,000 objects (100 templates x 20 objects, with
# helper macros, toyaml, nindent, quote and sha256) and print the median wall time of `tack template`
# over several runs. When a `helm` binary is on PATH (or named by $HELM), the same chart written with Go
# templates is rendered by `helm template` too, and the ratio is printed.
# Usage: tests/bench/render.sh [RUNS]
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

# the same chart for Helm, in Go templates
helm_bin="${HELM:-$(command -v helm || true)}"
hchart="$work/hbench"
if [ -n "$helm_bin" ]; then
  mkdir -p "$hchart/templates"
  cp "$chart/Chart.yaml" "$chart/values.yaml" "$hchart/"
  cat > "$hchart/templates/_helpers.tpl" <<'GO'
{{- define "bench.fullname" -}}
{{ printf "%s-%s-%s" .root.Release.Name .root.Chart.Name .suffix | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- define "bench.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{ toYaml .Values.labels }}
{{- end }}
GO
  for t in $(seq 0 99); do
    cat > "$hchart/templates/cm-$t.yaml" <<GO
{{- range \$i := until (int .Values.perTemplate) }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "bench.fullname" (dict "root" \$ "suffix" (printf "t$t-%d" \$i)) }}
  labels:
    {{- include "bench.labels" \$ | nindent 4 }}
  annotations:
    checksum: {{ toYaml \$.Values.settings | sha256sum }}
data:
  index: {{ \$i | quote }}
  settings.yaml: |
    {{- toYaml \$.Values.settings | nindent 4 }}
{{- end }}
GO
  done
  hcount=$("$helm_bin" template "$hchart" | grep -c '^kind: ConfigMap')
  echo "helm objects rendered: $hcount"
fi

count=$("$bin" template "$chart" | grep -c '^kind: ConfigMap')
echo "objects rendered: $count"
python3 - "$bin" "$chart" "$runs" "$helm_bin" "$hchart" <<'PY'
import statistics, subprocess, sys, time
bin, chart, runs, helm, hchart = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
def bench(cmd):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    times.sort()
    return times
t = bench([bin, "template", chart])
print(f"tack template, 2000 objects: median {statistics.median(t)*1000:.1f} ms, "
      f"min {t[0]*1000:.1f} ms, max {t[-1]*1000:.1f} ms over {runs} runs")
if helm:
    h = bench([helm, "template", hchart])
    print(f"helm template, 2000 objects: median {statistics.median(h)*1000:.1f} ms, "
          f"min {h[0]*1000:.1f} ms, max {h[-1]*1000:.1f} ms over {runs} runs")
    print(f"ratio helm/tack (medians): {statistics.median(h)/statistics.median(t):.1f}x")
PY
