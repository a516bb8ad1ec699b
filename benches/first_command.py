#!/usr/bin/env python3
# Usage: python3 benches/first_command.py RUNS BIN [BIN...]
"""How long a headless run takes from stepwise's exec to the exec of its
first step's command (`seq`), by binary, alternating in one loop: the
start-up a flood pays (benchmarks 1 and 2) before its first line. Reads
the kernel's `sched_process_exec` events with `perf` (root), so the
timing costs the run nothing; a fresh home each run (the trust store is
written and synced, as in benchmarks 1 and 2). Prints each binary's
median and its runs, in ms."""
import os, shutil, statistics, subprocess, sys, tempfile

runs, bins = int(sys.argv[1]), [os.path.abspath(b) for b in sys.argv[2:]]
work = tempfile.mkdtemp(prefix="first-command-")
rb = os.path.join(work, "flood.yaml")
with open(rb, "w") as f:
    f.write("runbook: 1\nid: bench-first\ntitle: First\nsections:\n  - title: S\n    steps:\n"
            "      - id: flood\n        title: flood\n        run: \"seq 1 1000\"\n")


def first_command_ms(binary):
    home, data = os.path.join(work, "home"), os.path.join(work, "ev.data")
    shutil.rmtree(home, ignore_errors=True)
    subprocess.run(["perf", "record", "-q", "-a", "-e", "sched:sched_process_exec", "-o", data, "--",
                    binary, "--home", home, "run", rb, "--auto", "--headless", "--trust"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    script = subprocess.run(["perf", "script", "-i", data, "-F", "time,trace"],
                            capture_output=True, text=True, check=True).stdout
    stamps = [(float(l.split()[0].rstrip(":")), l) for l in script.splitlines() if l.strip()]
    start = next(t for t, l in stamps if f"filename={binary} " in l)
    seq = next(t for t, l in stamps if "filename=/usr/bin/seq " in l)
    return (seq - start) * 1000


took = {b: [] for b in bins}
for _ in range(runs):
    for b in bins:
        took[b].append(first_command_ms(b))
for b in bins:
    print(f"{b}: median {statistics.median(took[b]):.2f} ms, runs {[round(x, 2) for x in took[b]]}")
shutil.rmtree(work)
