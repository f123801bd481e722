#!/usr/bin/env python3
"""The cluster modes of perf.sh: list, stack and install on the test control plane.

Usage: perf_cluster.py MODE TACK RUNS WORKDIR
Every object is created in namespaces named bench-perf-*, removed at the end.
"""
import concurrent.futures
import os
import statistics
import subprocess
import sys
import time

mode, tack, runs, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
stamp = str(int(time.time()))[-6:]


def run(args, check=True):
    p = subprocess.run([tack] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if check and p.returncode != 0:
        sys.exit(f"error: tack {' '.join(args)}: {p.stderr.strip()}")
    return p


def timed(args, n=runs, check=True):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        run(args, check)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def chart(name, objects, payload=""):
    d = os.path.join(work, name)
    os.makedirs(os.path.join(d, "templates"), exist_ok=True)
    with open(os.path.join(d, "Chart.yaml"), "w") as f:
        f.write(f"apiVersion: v2\nname: {name}\nversion: 1.0.0\n")
    with open(os.path.join(d, "values.yaml"), "w") as f:
        f.write(f"count: {objects}\nrev: 0\n")
    with open(os.path.join(d, "templates", "cms.yaml.j2"), "w") as f:
        f.write("{% for i in range(values.count) %}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                "  name: {{ release.name }}-cm-{{ i }}\ndata:\n  index: {{ i | quote }}\n  rev: {{ values.rev | quote }}\n"
                + payload + "{% endfor %}\n")
    return d


def delete_namespaces(names):
    subprocess.run(["kubectl", "delete", "namespace", "--wait=false"] + names,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def list_mode():
    releases, revisions = 200, 10
    c = chart("small", 1, "  payload: {{ 'x' * 2000 }}\n")
    namespaces = [f"bench-perf-{stamp}-{n % 10}" for n in range(releases)]

    def one(n):
        for rev in range(revisions):
            run(["upgrade", "--install", f"r{n}", c, "-n", namespaces[n], "--create-namespace",
                 "--set", f"rev={rev}"])

    t = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(releases)))
    print(f"set-up: {releases} releases x {revisions} revisions in {time.perf_counter() - t:.0f} s")
    try:
        print(f"list -A:            median {timed(['list', '-A']) * 1000:.0f} ms over {runs} runs")
        print(f"history r7:         median {timed(['history', 'r7', '-n', namespaces[7]]) * 1000:.0f} ms")
        print(f"status r7:          median {timed(['status', 'r7', '-n', namespaces[7]]) * 1000:.0f} ms")
    finally:
        delete_namespaces(sorted(set(namespaces)))


def stack_mode():
    instances, objects = 12, 200
    c = chart("app", objects)
    with open(os.path.join(work, "tack.yaml"), "w") as f:
        f.write(f"defaults:\n  chart: {c}\ninstances:\n")
        for i in range(instances):
            f.write(f"  - name: i{i}\n    namespace: bench-perf-{stamp}-s{i}\n")
    stack = os.path.join(work, "tack.yaml")
    namespaces = [f"bench-perf-{stamp}-s{i}" for i in range(instances)]
    try:
        run(["install", "--all", "--stack", stack, "--create-namespace"])
        changed = ["--set", "rev=1"]
        single = timed(["diff", "--instance", "i0", "--stack", stack] + changed, check=False)
        whole = timed(["diff", "--all", "--stack", stack] + changed, check=False)
        print(f"diff of one instance ({objects} objects):   median {single * 1000:.0f} ms")
        print(f"diff --all ({instances} instances):          median {whole * 1000:.0f} ms "
              f"({whole / single:.1f}x one instance; the sum would be {instances}x)")
    finally:
        delete_namespaces(namespaces)


def install_mode():
    objects = 2000
    c = chart("many", objects)
    times = []
    try:
        for n in range(runs):
            ns = f"bench-perf-{stamp}-i{n}"
            t = time.perf_counter()
            run(["install", "many", c, "-n", ns, "--create-namespace"])
            times.append(time.perf_counter() - t)
            delete_namespaces([ns])
        print(f"install of {objects} ConfigMaps: median {statistics.median(times):.2f} s over {runs} runs")
    finally:
        delete_namespaces([f"bench-perf-{stamp}-i{n}" for n in range(runs)])


{"list": list_mode, "stack": stack_mode, "install": install_mode}[mode]()
