#!/usr/bin/env python3
# Usage: python3 benches/step_cost_ab.py [--keep] [--premon PREMON_BIN] BEFORE_BIN AFTER_BIN RUNS
"""Benchmark 5's commands, alternating binaries in one loop: 200 `true`
steps, --auto --headless, a fresh home each run; and 200 x `bash -c true`.
With --premon (a build from before the step monitor existed), that binary
runs in the same loop too and the monitor's share per step is printed:
(binary - premon) / 200 for before and after. Sessions go to TMPDIR
(`TMPDIR=/dev/shm` for tmpfs).

--keep removes the sessions at the end of the loop instead of after each
run. On an ext4 without a journal (this machine's), creating a file skips
every inode of its block group deleted in the last 30 s (5.5 min while
its inode-table block is dirty) one by one (`recently_deleted` in
ext4's inode allocator), so each run's deleted sessions make the next
runs' file creations slower, run after run: a cost of the benchmark's
own clean-up, which no session pays in use.

--settle syncs the disk before every timed run (baseline and binaries
alike), so that no run waits behind the write-back of the runs before it
(benchmark 5 does this too; see docs/PERFORMANCE.md, "The flood's
sync")."""
import os, shutil, subprocess, sys, tempfile, time, json, statistics
args = sys.argv[1:]
keep = settle = False
while args[0] in ("--keep", "--settle"):
    keep |= args[0] == "--keep"
    settle |= args[0] == "--settle"
    args = args[1:]
bins = []
if args[0] == "--premon":
    bins.append(("premon", args[1]))
    args = args[2:]
before, after, runs = args[0], args[1], int(args[2])
bins += [("before", before), ("after", after)]
work = tempfile.mkdtemp(prefix="alt5-")
rb = os.path.join(work, "steps200.yaml")
lines = ["runbook: 1", "id: bench-steps200", "title: Bench", "sections:", "  - title: Bench", "    steps:"]
for i in range(200):
    lines += [f"      - id: t{i:03d}", f"        title: t{i:03d}", f"        run: {json.dumps('true')}"]
open(rb, "w").write("\n".join(lines) + "\n")
script = os.path.join(work, "true200.sh")
open(script, "w").write("#!/bin/bash\nfor i in $(seq 200); do bash -c true; done\n")
def remove(path):
    # A monitor may still write beside its log for a moment after stepwise
    # exits (main's exit file, before it lingers): try again shortly.
    for _ in range(50):
        try:
            shutil.rmtree(path); return
        except OSError:
            time.sleep(0.1)
    shutil.rmtree(path, ignore_errors=True)
def timed(argv):
    if settle:
        os.sync()
    t = time.perf_counter(); subprocess.check_call(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); return time.perf_counter() - t
res = {"base": []}
res.update({name: [] for name, _ in bins})
loads = [os.getloadavg()[0]]
for r in range(runs):
    res["base"].append(timed(["bash", script]))
    # Each binary takes each slot after the baseline in turn: the slot
    # measured differently for the same binary (perf_ab.py's A/A run).
    k = r % len(bins)
    for name, b in bins[k:] + bins[:k]:
        home = tempfile.mkdtemp(dir=work)
        res[name].append(timed([b, "--home", home, "run", rb, "--auto", "--headless", "--trust"]))
        if not keep:
            remove(home)
    loads.append(os.getloadavg()[0])
med = {k: statistics.median(v) for k, v in res.items()}
print(f"sessions in {work} ({tempfile.gettempdir()}; {'kept to the end' if keep else 'removed after each run'}{'; disk synced before each run' if settle else ''}); load (1 min) over the run: min {min(loads):.2f} max {max(loads):.2f}; now {os.getloadavg()}")
for k in res:
    print(f"{k}: median {med[k]*1000:.0f} ms  ({med[k]/200*1000:.2f} ms/step)  runs {[round(x*1000) for x in res[k]]}")
print(" ".join(f"{k}/base {med[k]/med['base']:.2f};" for k, _ in bins) + f" after/before {med['after']/med['before']:.2f}")
print(f"after - before per step: {(med['after']-med['before'])/200*1000:.2f} ms")
if "premon" in med:
    for k in ("before", "after"):
        print(f"the monitor's share per step ({k} - premon): {(med[k]-med['premon'])/200*1000:.2f} ms")
remove(work)
