#!/usr/bin/env python3
"""Splits benchmark 5's time into stepwise's fixed cost and its cost per
step (issue 19 #5, nineteenth pass).

Runs, alternating, in one loop: a 1-step, a 2-step and a 200-step runbook
of `true` steps (headless, auto, trusted), and the baseline (200 x
`bash -c true` from a bash loop). Prints each median, the cost per step
((200-step - 1-step) / 199), the fixed cost (the 1-step run less one
step), the ratio of benchmark 5, and that ratio without the fixed cost.
The disk is synced before each timed run. Standard library only.

    python3 benches/step_split.py [--bin target/release/stepwise] [--runs 9]
"""

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time


def runbook(work, name, n):
    lines = ["runbook: 1", f"id: split-{name}", f"title: Split {name}", "sections:",
             "  - title: S", "    steps:"]
    for i in range(n):
        lines += [f"      - id: t{i:03d}", f"        title: t{i:03d}",
                  f"        run: {json.dumps('true')}"]
    path = os.path.join(work, f"{name}.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def timed(cmd):
    subprocess.run(["sync"], check=True)
    t = time.monotonic()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {done.stderr.decode()[:400]}")
    return (time.monotonic() - t) * 1000


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(root, "target/release/stepwise"))
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="step-split-")
    books = {n: runbook(work, f"s{n}", n) for n in (1, 2, 200)}
    loop = os.path.join(work, "true200.sh")
    with open(loop, "w") as f:
        f.write("#!/bin/bash\nfor i in $(seq 200); do bash -c true; done\n")
    times = {k: [] for k in ("s1", "s2", "s200", "base")}
    for r in range(args.runs):
        for n, rb in books.items():
            home = os.path.join(work, f"home-{n}-{r}")
            times[f"s{n}"].append(timed([args.bin, "--home", home, "run", rb,
                                         "--auto", "--headless", "--trust"]))
        times["base"].append(timed(["bash", loop]))
    m = {k: statistics.median(v) for k, v in times.items()}
    for k, v in times.items():
        print(f"{k:5} median {m[k]:7.1f} ms   runs: " + " ".join(f"{x:.0f}" for x in v))
    per_step = (m["s200"] - m["s1"]) / 199
    fixed = m["s1"] - per_step
    print(f"per step {per_step:.2f} ms (baseline {m['base'] / 200:.2f} ms); fixed {fixed:.1f} ms")
    print(f"ratio (benchmark 5) {m['s200'] / m['base']:.2f}; "
          f"without the fixed cost {(m['s200'] - fixed) / m['base']:.2f}")
    print(f"load {os.getloadavg()[0]:.2f}; sessions left in {work}")


if __name__ == "__main__":
    main()
