#!/usr/bin/env python3
# Usage: python3 benches/step_cost_ab.py BEFORE_BIN AFTER_BIN RUNS
"""Benchmark 5's commands, alternating two binaries in one loop: 200 `true`
steps, --auto --headless, a fresh home each run; and 200 x `bash -c true`."""
import os, shutil, subprocess, sys, tempfile, time, json, statistics
before, after, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
work = tempfile.mkdtemp(prefix="alt5-")
rb = os.path.join(work, "steps200.yaml")
lines = ["runbook: 1", "id: bench-steps200", "title: Bench", "sections:", "  - title: Bench", "    steps:"]
for i in range(200):
    lines += [f"      - id: t{i:03d}", f"        title: t{i:03d}", f"        run: {json.dumps('true')}"]
open(rb, "w").write("\n".join(lines) + "\n")
script = os.path.join(work, "true200.sh")
open(script, "w").write("#!/bin/bash\nfor i in $(seq 200); do bash -c true; done\n")
def timed(argv):
    t = time.perf_counter(); subprocess.check_call(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); return time.perf_counter() - t
res = {"base": [], "before": [], "after": []}
for _ in range(runs):
    res["base"].append(timed(["bash", script]))
    for name, b in (("before", before), ("after", after)):
        home = tempfile.mkdtemp(dir=work)
        res[name].append(timed([b, "--home", home, "run", rb, "--auto", "--headless", "--trust"]))
        shutil.rmtree(home)
med = {k: statistics.median(v) for k, v in res.items()}
print(f"load {os.getloadavg()}")
for k in res:
    print(f"{k}: median {med[k]*1000:.0f} ms  ({med[k]/200*1000:.2f} ms/step)  runs {[round(x*1000) for x in res[k]]}")
print(f"ratio before/base {med['before']/med['base']:.2f}; after/base {med['after']/med['base']:.2f}; after/before {med['after']/med['before']:.2f}")
print(f"monitor cost per step: {(med['after']-med['before'])/200*1000:.2f} ms")
shutil.rmtree(work)
