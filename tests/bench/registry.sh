#!/usr/bin/env bash
# Benchmark (not a test): a generated chart of 2,000 ConfigMaps (one template file each). Reports the size and
# time of `tack package`, then pull + render + install from the test registry (a cold cache every run)
# against install from the folder, as the median wall time over several runs.
# Needs the control plane and the registry: tests/testenv/testenv.sh up && tests/registry/registry.sh up, and
# eval "$(tests/testenv/testenv.sh env)"; eval "$(tests/registry/registry.sh env)".
# Usage: tests/bench/registry.sh [RUNS]   (TACK_BIN=path/to/tack to measure another build)
set -euo pipefail
runs="${1:-5}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
: "${KUBECONFIG:?set KUBECONFIG to the test control plane (tests/testenv/testenv.sh env)}"
: "${TACK_TEST_REGISTRY:?start the test registry (tests/registry/registry.sh up) and eval its env}"
if [[ -z ${TACK_BIN:-} ]]; then
  cargo build --release --quiet
  TACK_BIN="${CARGO_TARGET_DIR:-$root/target}/release/tack"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chart="$work/many"
mkdir -p "$chart/templates"
printf 'apiVersion: v2\nname: many\nversion: 1.0.0\n' > "$chart/Chart.yaml"
printf 'payload: "%s"\n' "$(head -c 48 /dev/zero | tr '\0' x)" > "$chart/values.yaml"
for i in $(seq 0 1999); do
  cat > "$chart/templates/cm-$i.yaml.j2" <<J2
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-$i
  labels:
    app.kubernetes.io/instance: {{ release.name }}
data:
  index: "$i"
  payload: {{ (values.payload ~ "-$i") | sha256 | quote }}
J2
done

python3 - "$TACK_BIN" "$chart" "$runs" "$work" <<'PY'
import os, statistics, subprocess, sys, time
bin, chart, runs, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
reg, ca = os.environ["TACK_TEST_REGISTRY"], os.environ["TACK_TEST_REGISTRY_CA"]
env = dict(os.environ, DOCKER_CONFIG=f"{work}/docker")
stamp = str(int(time.time()))
def run(args, extra_env=None, stdin=None):
    t = time.perf_counter()
    p = subprocess.run([bin] + args, capture_output=True, text=True, env=dict(env, **(extra_env or {})), input=stdin)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(args)}\n{p.stdout}\n{p.stderr}")
    return dt
run(["registry", "login", reg, "-u", os.environ["TACK_TEST_REGISTRY_USER"], "--password-stdin", "--ca-file", ca],
    stdin=os.environ["TACK_TEST_REGISTRY_PASSWORD"])
pack = [run(["package", chart, "-d", f"{work}/pkg"]) for _ in range(runs)]
pkg = f"{work}/pkg/many-1.0.0.tgz"
size = os.path.getsize(pkg)
raw = sum(os.path.getsize(os.path.join(chart, d, f)) for d in ["", "templates"] for f in os.listdir(os.path.join(chart, d)) if os.path.isfile(os.path.join(chart, d, f)))
repo = f"oci://{reg}/bench/{stamp}"
push = run(["push", pkg, repo, "--ca-file", ca])
folder, oci = [], []
for r in range(runs):
    ns = f"bench-f-{stamp}-{r}"
    folder.append(run(["install", "many", chart, "-n", ns, "--create-namespace"]))
    subprocess.run([bin, "uninstall", "many", "-n", ns], capture_output=True, env=env)
    ns = f"bench-o-{stamp}-{r}"
    oci.append(run(["install", "many", f"{repo}/many", "--version", "1.0.0", "-n", ns, "--create-namespace", "--ca-file", ca],
                   extra_env={"TACK_CACHE_DIR": f"{work}/cache-{r}"}))
    subprocess.run([bin, "uninstall", "many", "-n", ns], capture_output=True, env=env)
tf = [run(["template", chart]) for _ in range(runs)]
to = [run(["template", f"{repo}/many", "--version", "1.0.0", "--ca-file", ca], extra_env={"TACK_CACHE_DIR": f"{work}/tcache-{r}"}) for r in range(runs)]
def ms(xs): return f"median {statistics.median(xs)*1000:.0f} ms (min {min(xs)*1000:.0f}, max {max(xs)*1000:.0f})"
print(f"package of 2,000 templates: {size} bytes ({raw} bytes of files), {ms(pack)} over {runs} runs; push {push*1000:.0f} ms")
print(f"install from the folder:               {ms(folder)} over {runs} runs")
print(f"pull + render + install from registry: {ms(oci)} over {runs} runs (cold cache each run)")
print(f"template from the folder:              {ms(tf)}")
print(f"pull + template from the registry:     {ms(to)} (cold cache each run)")
PY
