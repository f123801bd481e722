#!/usr/bin/env python3
"""Run commands side by side (A B C A B C ...) and print, for each, the median wall time, the median
peak memory (the command's own, read by GNU time) and the ratio of its median to the first command's.

Usage: sidebyside.py RUNS LABEL=COMMAND [LABEL=COMMAND ...]
Each COMMAND is split as a shell splits words; its output is thrown away. Exits non-zero when a run
fails.
"""
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

runs = int(sys.argv[1])
cmds = []
for arg in sys.argv[2:]:
    label, _, cmd = arg.partition("=")
    cmds.append((label, shlex.split(cmd)))


def once(argv):
    # the peak is read by GNU time (its own small process forks the command): a child forked from this
    # interpreter would have the interpreter's memory counted in its peak
    with tempfile.NamedTemporaryFile("r") as peak:
        t = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", peak.name] + argv,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t
        if p.returncode != 0:
            sys.exit(f"error: `{shlex.join(argv)}` exited with {p.returncode}")
        kib = peak.read().split()[-1]
    return wall, int(kib) / 1024


for _, argv in cmds:  # warm-up: file cache, page cache of the binaries
    once(argv)
results = {label: [] for label, _ in cmds}
for _ in range(runs):
    for label, argv in cmds:
        results[label].append(once(argv))

base = None
print(f"{'':<28}{'wall ms':>10}{'peak MiB':>10}{'wall ratio':>12}{'mem ratio':>11}   (medians of {runs})")
for label, _ in cmds:
    r = results[label]
    wall = statistics.median(x[0] for x in r) * 1000
    peak = statistics.median(x[1] for x in r)
    if base is None:
        base = (wall, peak)
    print(f"{label:<28}{wall:>10.1f}{peak:>10.1f}{wall / base[0]:>11.2f}x{peak / base[1]:>10.2f}x")
