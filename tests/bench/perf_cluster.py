#!/usr/bin/env python3
"""The cluster modes of perf.sh: list, stack and install on the test control plane.

Usage: perf_cluster.py MODE TACK RUNS WORKDIR [HELM] [PLAIN] [TOXIPROXY]
Every object is created in namespaces named bench-perf-*, removed at the end. With HELM (a helm binary),
install also times Helm's install, no-op upgrade and `upgrade --dry-run=server` (Helm has no diff of its
own) of the same objects. API requests per operation are read from the API server's /metrics
(apiserver_request_total by verb and resource), before and after one run of each operation. With PLAIN (the
apply_throughput example binary), each install round first runs the plain client at 16 and 64 in flight on
the same 2,000 ConfigMaps, so that tack is compared with the server's throughput of that moment (it moves
by tens of percent between minutes on a shared host) and not with a figure taken earlier. With TOXIPROXY (the
fault-injecting proxy's server binary, tests/netfault/netfault.sh path), stack also runs its diffs through a
proxy on loopback that delays every answer of the API server by LATENCY_MS (environment, default 30), as a
cluster in another region would.
"""
import collections
import concurrent.futures
import os
import re
import statistics
import subprocess
import sys
import json
import socket
import tempfile
import time
import urllib.request

mode, tack, runs, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
helm = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] else None
plain = sys.argv[6] if len(sys.argv) > 6 and sys.argv[6] else None
toxiproxy = sys.argv[7] if len(sys.argv) > 7 and sys.argv[7] else None
stamp = str(int(time.time()))[-6:]


def run(args, check=True, tool=None, env=None):
    cmd = [tool or tack] + args
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    if check and p.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)}: {p.stderr.strip()}")
    return p


def timed(args, n=runs, check=True, tool=None, env=None):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        run(args, check, tool, env)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


METRIC = re.compile(r'^apiserver_request_total\{([^}]*)\} ([0-9.e+]+)$')


def request_counts():
    """apiserver_request_total summed by (verb, resource), from the API server's /metrics."""
    text = subprocess.run(["kubectl", "get", "--raw", "/metrics"], check=True, capture_output=True,
                          text=True).stdout
    out = collections.Counter()
    for line in text.splitlines():
        m = METRIC.match(line)
        if m:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
            resource = labels.get("resource", "")
            if labels.get("subresource"):
                resource += "/" + labels["subresource"]
            if labels.get("dry_run"):
                resource += " (dry run)"
            out[(labels.get("verb", ""), resource)] += int(float(m.group(2)))
    return out


def counted(label, op):
    """Run `op` once and print the API requests it made. The other clients of the control plane (controllers,
    scheduler, kwok) keep renewing their leases and publishing events meanwhile: what they send during an
    idle pause as long as the operation is subtracted."""
    before = request_counts()
    t = time.perf_counter()
    op()
    took = time.perf_counter() - t
    after = request_counts()
    time.sleep(1)
    idle_before = request_counts()
    time.sleep(took)
    idle_after = request_counts()
    made = after - before
    made.subtract(idle_after - idle_before)
    made = {k: v for k, v in made.items() if v > 0}
    shown = ", ".join(f"{verb} {res} {n}" for (verb, res), n in sorted(made.items(), key=lambda kv: -kv[1]))
    print(f"  API requests, {label}: {sum(made.values())} ({shown})")


def chart(name, objects, payload=""):
    d = os.path.join(work, name)
    os.makedirs(os.path.join(d, "templates"), exist_ok=True)
    with open(os.path.join(d, "Chart.yaml"), "w") as f:
        f.write(f"apiVersion: v2\nname: {name}\nversion: 1.0.0\n")
    with open(os.path.join(d, "values.yaml"), "w") as f:
        f.write(f"count: {objects}\nrev: 0\nchanged: {objects}\n")
    with open(os.path.join(d, "templates", "cms.yaml.j2"), "w") as f:
        f.write("{% for i in range(values.count) %}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                "  name: {{ release.name }}-cm-{{ i }}\ndata:\n  index: {{ i | quote }}\n"
                "  rev: {{ (values.rev if i < values.changed else 0) | quote }}\n"
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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SlowLink:
    """A toxiproxy server on loopback in front of the API server, delaying every answer by `ms`, and a
    kubeconfig that talks through it."""

    def __init__(self, ms):
        port = free_port()
        self.api = f"127.0.0.1:{port}"
        self.server = subprocess.Popen([toxiproxy, "-host", "127.0.0.1", "-port", str(port)],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            sys.exit(f"error: {toxiproxy} did not listen on {self.api}")
        text = open(os.environ["KUBECONFIG"]).read()
        line = next(l for l in text.splitlines() if l.strip().startswith("server: https://127.0.0.1:"))
        upstream = line.strip()[len("server: https://"):]
        listen = f"127.0.0.1:{free_port()}"
        self.call("/proxies", {"name": "apiserver", "listen": listen, "upstream": upstream})
        self.call("/proxies/apiserver/toxics", {"name": "slow", "type": "latency", "stream": "downstream",
                                                "attributes": {"latency": ms, "jitter": 0}})
        self.dir = tempfile.mkdtemp(dir=work)
        self.env = dict(os.environ, KUBECONFIG=os.path.join(self.dir, "kubeconfig"))
        with open(self.env["KUBECONFIG"], "w") as f:
            f.write(text.replace(line, f"    server: https://{listen}"))

    def call(self, path, body):
        req = urllib.request.Request(f"http://{self.api}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        urllib.request.urlopen(req, timeout=5).read()

    def close(self):
        self.server.kill()
        self.server.wait()


def stack_mode():
    """`diff --all` of a stack against the diff of one of its instances: every object changed (each one a
    server-side dry run, so the API server's throughput bounds the stack), one object changed per instance
    (most of the time is rendering, reading records and live objects, one dry run), and both again through a
    slow link when the proxy is given."""
    instances, objects = 12, 200
    c = chart("app", objects)
    with open(os.path.join(work, "tack.yaml"), "w") as f:
        f.write(f"defaults:\n  chart: {c}\ninstances:\n")
        for i in range(instances):
            f.write(f"  - name: i{i}\n    namespace: bench-perf-{stamp}-s{i}\n")
    stack = os.path.join(work, "tack.yaml")
    namespaces = [f"bench-perf-{stamp}-s{i}" for i in range(instances)]
    cases = [("every object changed", ["--set", "rev=1"]),
             ("one object changed per instance", ["--set", "rev=1", "--set", "changed=1"])]
    links = [("local API server", None)]
    slow = None
    try:
        run(["install", "--all", "--stack", stack, "--create-namespace"])
        if toxiproxy:
            ms = int(os.environ.get("LATENCY_MS", "30"))
            slow = SlowLink(ms)
            links.append((f"through a link adding {ms} ms to every answer", slow.env))
        print(f"stack of {instances} instances x {objects} ConfigMaps, medians of {runs} runs")
        for link, env in links:
            print(f"{link}:")
            for case, changed in cases:
                one = ["diff", "--instance", "i0", "--stack", stack] + changed
                every = ["diff", "--all", "--stack", stack] + changed
                single = timed(one, check=False, env=env)
                whole = timed(every, check=False, env=env)
                print(f"  {case}: one instance {single * 1000:.0f} ms, diff --all {whole * 1000:.0f} ms "
                      f"({whole / single:.1f}x one instance; the sum would be {instances}x)")
        for case, changed in cases:
            one = ["diff", "--instance", "i0", "--stack", stack] + changed
            every = ["diff", "--all", "--stack", stack] + changed
            counted(f"diff of one instance, {case}", lambda: run(one, check=False))
            counted(f"diff --all, {case}", lambda: run(every, check=False))
    finally:
        if slow:
            slow.close()
        delete_namespaces(namespaces)


def helm_chart(name, objects):
    """The chart of `chart` in Go templates, for Helm."""
    d = os.path.join(work, "helm-" + name)
    os.makedirs(os.path.join(d, "templates"), exist_ok=True)
    with open(os.path.join(d, "Chart.yaml"), "w") as f:
        f.write(f"apiVersion: v2\nname: {name}\nversion: 1.0.0\n")
    with open(os.path.join(d, "values.yaml"), "w") as f:
        f.write(f"count: {objects}\nrev: 0\n")
    with open(os.path.join(d, "templates", "cms.yaml"), "w") as f:
        f.write("{{- range $i := until (int .Values.count) }}\n---\napiVersion: v1\nkind: ConfigMap\n"
                "metadata:\n  name: {{ $.Release.Name }}-cm-{{ $i }}\ndata:\n  index: {{ $i | quote }}\n"
                "  rev: {{ $.Values.rev | quote }}\n{{- end }}\n")
    return d


def delete_and_wait(ns):
    """Delete a namespace and wait until it is gone, so its removal does not load the next measurement."""
    subprocess.run(["kubectl", "delete", "namespace", ns, "--wait=true", "--timeout=300s"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def plain_round(objects):
    """The plain client's best wall time for `objects` new ConfigMaps, at 16 and 64 in flight, now."""
    p = subprocess.run([plain, "--runs", "1", "--objects", str(objects), "--concurrency", "16,64"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"error: {plain}: {p.stderr.strip()}")
    walls = [float(m.group(1)) for m in re.finditer(r"^\s*\d+\s+([0-9.]+) s", p.stdout, re.M)]
    if not walls:
        sys.exit(f"error: no wall time in the output of {plain}:\n{p.stdout}")
    return min(walls)


def install_mode():
    objects = 2000
    tools = [("tack", tack, chart("many", objects))]
    if helm:
        tools.append(("helm", helm, helm_chart("many", objects)))

    def ops(tool, c, ns):
        """(label, arguments, exit codes that are success) of install, no-op upgrade and diff."""
        diff = ["diff", "many", c, "-n", ns] if tool == tack else \
            ["upgrade", "many", c, "-n", ns, "--dry-run=server"]
        return [("install", ["install", "many", c, "-n", ns, "--create-namespace"]),
                ("no-op upgrade", ["upgrade", "many", c, "-n", ns]),
                ("diff" if tool == tack else "upgrade --dry-run=server", diff)]

    def once(tool, c, ns, count=False):
        took = []
        for label, args in ops(tool, c, ns):
            def op():
                p = run(args, check=False, tool=tool)
                if p.returncode not in (0, 2) or (p.returncode == 2 and label != "diff"):
                    sys.exit(f"error: {tool} {' '.join(args)}: {p.stderr.strip()}")
            t = time.perf_counter()
            counted(label, op) if count else op()
            took.append(time.perf_counter() - t)
        return took

    times = {name: [] for name, _, _ in tools}
    plain_best = []
    namespaces = []
    try:
        for n in range(runs):
            if plain:
                plain_best.append(plain_round(objects))
            for name, tool, c in tools:
                ns = f"bench-perf-{stamp}-{name}{n}"
                namespaces.append(ns)
                times[name].append(once(tool, c, ns))
                delete_and_wait(ns)
        print(f"{objects} ConfigMaps, medians of {runs} runs (each in a new namespace):")
        first = None
        for name, tool, _ in tools:
            medians = [statistics.median(t[k] for t in times[name]) for k in range(3)]
            labels = [label for label, _ in ops(tool, "C", "NS")]
            first = first or medians
            ratio = "" if medians is first else \
                " (" + ", ".join(f"{m / f:.1f}x" for m, f in zip(medians, first)) + " tack)"
            print(f"  {name}: " + ", ".join(f"{label} {m:.2f} s" for label, m in zip(labels, medians)) + ratio)
        if plain_best:
            tack_installs = [t[0] for t in times["tack"]]
            ratios = [t / p for t, p in zip(tack_installs, plain_best)]
            print(f"plain client, best of 16 and 64 in flight, each round just before tack: "
                  + ", ".join(f"{p:.2f} s" for p in plain_best))
            print(f"  tack install / plain client: median of the rounds' ratios "
                  f"{statistics.median(ratios):.2f}x (each round: "
                  + ", ".join(f"{r:.2f}x" for r in ratios) + "); ratio of medians "
                  f"{statistics.median(tack_installs) / statistics.median(plain_best):.2f}x")
        for name, tool, c in tools:
            ns = f"bench-perf-{stamp}-{name}-counted"
            namespaces.append(ns)
            print(f"{name}, one run counted:")
            once(tool, c, ns, count=True)
            delete_and_wait(ns)
    finally:
        delete_namespaces(namespaces)


{"list": list_mode, "stack": stack_mode, "install": install_mode}[mode]()
