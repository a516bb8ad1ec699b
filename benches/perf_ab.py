#!/usr/bin/env python3
# Usage: python3 benches/perf_ab.py BEFORE_BIN AFTER_BIN RUNS [1 2 4 8 10]
"""Issue 19's second pass, before against after in one loop: benchmarks 1
(headless 10M-line flood), 2 (the same in the TUI, pty 80x24), 4 (keys
during a 6 s flood, as bench.py presses them; run it alone, with 20 rounds
or more: a run's worst key is mostly the platform's), 8 (export
of a 100,000-event session: time, peak memory, and the outputs of both
binaries compared byte for byte) and 10 (`stepwise validate
runbooks/rollback.yaml`), alternating the baseline, BEFORE and AFTER in
every round so both face the same load. Uses bench.py's helpers; prints
medians and ratios, no PASS/FAIL (bench.py says that)."""
import filecmp
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


class Args:
    def __init__(self, binary, runs):
        self.bin, self.runs, self.lines, self.reference = binary, runs, 10_000_000, None


def med(xs):
    return statistics.median(xs)


def in_turn(bins, round_no):
    """The binaries in this round's order: reversed every other round. The
    slot right after the baseline was measured 13-16 % slower than the next
    one for the same binary (an A/A run of the floods), so each binary takes
    each slot equally often."""
    order = list(bins.items())
    return order[::-1] if round_no % 2 else order


def flood(b, bins, tui):
    rb = b.runbook("flood", [("flood", f"seq 1 {b.lines}")])
    res = {"seq > file": [], **{k: [] for k in bins}}
    cpu = {k: [] for k in res}
    mark = bench.cpu_times()
    for r in range(b.runs):
        t, ref = b.seq_to_file()
        res["seq > file"].append(t)
        cpu["seq > file"].append(b.last_cpu())
        for name, binary in in_turn(bins, r):
            b.bin = binary
            home = b.home()
            if tui:
                b.settle()
                res[name].append(b.tui(home, rb)[0])
            else:
                res[name].append(b.headless_flood(home, rb))
            cpu[name].append(b.last_cpu())
            b.check_log(home, "flood", ref)
            shutil.rmtree(home)
    base = med(res["seq > file"])
    title = "2 TUI flood (pty 80x24)" if tui else "1 headless flood"
    print(f"#{title}, {b.runs} rounds, load {bench.load()}, host steal {bench.steal_since(mark)}")
    for k, v in res.items():
        print(f"  {k}: median {med(v) * 1000:.0f} ms, ratio {med(v) / base:.2f}  runs {[round(x * 1000) for x in v]}")
    if None not in cpu["seq > file"]:
        # The CPU of every process of a run (`cpu_meter`): steadier than
        # the wall clock on a shared host.
        cbase = med(cpu["seq > file"])
        for k, v in cpu.items():
            print(f"  CPU {k}: median {med(v) / 1e6:.0f} ms, ratio {med(v) / cbase:.2f}")


def keys(b, bins):
    rb = b.key_runbook()
    runs = {k: [] for k in bins}
    mark = bench.cpu_times()
    for r in range(b.runs):
        for name, binary in in_turn(bins, r):
            b.bin = binary
            home = b.home()
            runs[name].append(b.tui(home, rb, keys=b.press_keys)[1])
            shutil.rmtree(home)
    print(f"#4 keys during a 6 s flood, {b.runs} rounds, load {bench.load()}, host steal {bench.steal_since(mark)}, "
          f"reads stamped at real-time priority: {'yes' if b.keys_realtime else 'no'}")
    for k, got in runs.items():
        every = sorted(x for run in got for x in run)
        n = len(every)
        if not n:
            print(f"  {k}: no keys sampled")
            continue
        worst = sorted(max(run) for run in got if run)
        p = [med(every) * 1000] + [every[int(n * q)] * 1000 for q in (0.9, 0.99)]
        print(f"  {k}: {n} keys, median {p[0]:.2f} ms, p90 {p[1]:.2f} ms, p99 {p[2]:.1f} ms; "
              f"runs whose worst key is over 50 ms: {sum(w > 0.05 for w in worst)} of {len(got)}; "
              f"worst keys, ms {[round(w * 1000, 1) for w in worst]}")


def export(b, bins):
    template = b.big_session()
    print(f"#8 export of 100,000 events, {b.runs} rounds, load {bench.load()}")
    for fmt in ["md", "html", "json"]:
        res = {k: ([], []) for k in bins}
        home = b.fresh_copy(template)
        outs = {}
        for r in range(b.runs):
            for name, binary in in_turn(bins, r):
                stats = os.path.join(b.work, "time.txt")
                outs[name] = os.path.join(b.work, f"{name}.{fmt}")
                t = bench.timed(["/usr/bin/time", "-v", "-o", stats, binary, "--home", home, "export",
                                 b.big_id, "--format", fmt, "-o", outs[name]])
                res[name][0].append(t)
                res[name][1].append(bench.peak_rss_kib(stats) / 1024)
        names = list(bins)
        same = filecmp.cmp(outs[names[0]], outs[names[1]], shallow=False)
        for k, (ts, rss) in res.items():
            print(f"  {fmt} {k}: median {med(ts) * 1000:.0f} ms, peak {med(rss):.1f} MiB (worst {max(rss):.1f})")
        print(f"  {fmt}: outputs byte-identical: {same} ({os.path.getsize(outs[names[0]])} bytes)")
        shutil.rmtree(home)


def validate(b, bins):
    rb = os.path.join(bench.ROOT, "runbooks", "rollback.yaml")
    res = {"true": [], **{k: [] for k in bins}}
    for r in range(max(b.runs, 40)):
        res["true"].append(bench.timed(["true"]))
        for name, binary in in_turn(bins, r):
            res[name].append(bench.timed([binary, "validate", rb]))
    print(f"#10 validate runbooks/rollback.yaml, {len(res['true'])} rounds, load {bench.load()}")
    for k, v in res.items():
        print(f"  {k}: median {med(v) * 1000:.2f} ms  p90 {sorted(v)[int(len(v) * 0.9)] * 1000:.2f} ms")


def main():
    before, after, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    only = sys.argv[4:] or ["1", "2", "8", "10"]
    bins = {"before": os.path.abspath(before), "after": os.path.abspath(after)}
    b = bench.Bench(Args(bins["after"], runs))
    b.cpu = bench.cpu_meter.CpuMeter.open()
    try:
        for key in only:
            {"1": lambda: flood(b, bins, False), "2": lambda: flood(b, bins, True), "4": lambda: keys(b, bins),
             "8": lambda: export(b, bins), "10": lambda: validate(b, bins)}[key]()
    finally:
        if b.cpu:
            b.cpu.close()
        shutil.rmtree(b.work, ignore_errors=True)


if __name__ == "__main__":
    main()
