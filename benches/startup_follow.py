"""Benchmarks 10 (startup) and 11 (followers), issue 19. Each takes the
`Bench` of bench.py (binary, runs, work folder, helpers) and reports
through `bench.report`."""

import json
import os
import shutil
import subprocess
import threading
import time

import ptyterm


def _first_frame(term, deadline):
    """Pumps until anything is drawn; the time it was, or None."""
    while time.monotonic() < deadline:
        if not term.pump(0.005):
            return None
        if term.screen.text().strip():
            return time.perf_counter()
    return None


def b10_startup(b, report, median):
    """`stepwise run runbooks/rollback.yaml` in a pty to its first drawn
    frame (a fresh home: the trust screen), and `stepwise validate` of the
    same runbook, each against `true` spawned the same way."""
    rb = os.path.join(b.root, "runbooks", "rollback.yaml")
    frame, base = [], []
    for _ in range(max(b.runs, 20)):
        home = b.home()
        t0 = time.perf_counter()
        term = ptyterm.Pty(b.stepwise(home, "run", rb), screen=True)
        seen = _first_frame(term, time.monotonic() + 10)
        term.kill()
        if seen is None:
            raise RuntimeError("no frame was drawn within 10 s")
        frame.append(seen - t0)
        shutil.rmtree(home)
        t0 = time.perf_counter()
        ptyterm.Pty(["true"], screen=True).drain(timeout=10)
        base.append(time.perf_counter() - t0)
    val, true = [], []
    for _ in range(max(b.runs, 20)):
        true.append(b.timed(["true"]))
        val.append(b.timed([b.bin, "validate", rb]))
    med_frame, med_val = median(frame) * 1000, median(val) * 1000
    report(10, "startup: first frame of `stepwise run runbooks/rollback.yaml`, and validate", [
        f"first frame median {med_frame:.1f} ms (target <= 50), worst {max(frame) * 1000:.1f} ms; "
        f"`true` in a pty {median(base) * 1000:.1f} ms",
        f"validate median {med_val:.1f} ms (target <= 5); `true` {median(true) * 1000:.1f} ms",
    ], med_frame <= 50 and med_val <= 5)


def _runbook(b, name, steps):
    return b.runbook(name, steps)


def _session_dir(home, deadline):
    sessions = os.path.join(home, "sessions")
    while time.monotonic() < deadline:
        # A session is made in a hidden `.new-…` folder and renamed.
        made = [n for n in os.listdir(sessions) if not n.startswith(".")] if os.path.isdir(sessions) else []
        if made:
            return os.path.join(sessions, made[0])
        time.sleep(0.005)
    raise RuntimeError("the session folder did not appear")


def _flood_run(b, rb, followers):
    """Wall time of a headless run of `rb` with `followers` `stepwise
    follow --plain` attached before its flood begins (the first step
    sleeps 1 s for them to attach, alone or not)."""
    home = b.home()
    t0 = time.perf_counter()
    run = subprocess.Popen(b.stepwise(home, "run", rb, "--auto", "--headless", "--trust"),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _session_dir(home, time.monotonic() + 10)
    watchers = [subprocess.Popen(b.stepwise(home, "follow", "--plain"),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for _ in range(followers)]
    code = run.wait()
    took = time.perf_counter() - t0
    for w in watchers:
        w.wait(timeout=120)
    shutil.rmtree(home)
    if code != 0:
        raise RuntimeError(f"the run exited {code}")
    return took


def _latencies(b):
    """Milliseconds from each step_exited record's time in the journal to
    the moment a `follow --plain` printed that step's exit line."""
    steps = [(f"s{i:02d}", "sleep 0.2") for i in range(20)]
    rb = _runbook(b, "follow-latency", steps)
    home = b.home()
    run = subprocess.Popen(b.stepwise(home, "run", rb, "--auto", "--headless", "--trust"),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    folder = _session_dir(home, time.monotonic() + 10)
    follower = subprocess.Popen(b.stepwise(home, "follow", "--plain"), stdout=subprocess.PIPE, text=True)
    printed = {}
    for line in follower.stdout:
        now = time.time()
        for sid, _ in steps:
            if f"✓ {sid}:" in line:
                printed[sid] = now
    follower.wait()
    run.wait()
    journalled = {}
    with open(os.path.join(folder, "journal.jsonl")) as f:
        for raw in f:
            rec = json.loads(raw)
            if rec.get("type") == "step_exited":
                journalled[rec["step"]] = _epoch(rec["at"])
    shutil.rmtree(home)
    return [(printed[s] - journalled[s]) * 1000 for s in journalled if s in printed]


def _epoch(at):
    """Seconds since the epoch of an RFC 3339 UTC time with nanoseconds."""
    from datetime import datetime, timezone
    whole, _, frac = at.rstrip("Z").partition(".")
    t = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
    return t + float("0." + (frac or "0"))


def b11_followers(b, report, median):
    """The 10M-line headless flood with 3 followers attached, against the
    same run alone (alternating), and how soon a follower shows an event."""
    rb = _runbook(b, "follow-flood", [("wait", "sleep 1"), ("flood", f"seq 1 {b.lines}")])
    alone, followed = [], []
    for _ in range(b.runs):
        alone.append(_flood_run(b, rb, 0))
        followed.append(_flood_run(b, rb, 3))
    ratio = median(followed) / median(alone)
    lat = _latencies(b)
    if len(lat) < 20:
        raise RuntimeError(f"the follower printed {len(lat)} of 20 step exits")
    worst = max(lat)
    report(11, "followers: the flood with 3 `stepwise follow --plain` attached", [
        f"runner median alone {median(alone):.2f} s, with 3 followers {median(followed):.2f} s; "
        f"ratio {ratio:.2f} (target <= 1.10)",
        f"journal -> follower's screen: median {median(lat):.0f} ms, worst {worst:.0f} ms "
        f"(target <= 200) over {len(lat)} events",
    ], ratio <= 1.10 and worst <= 200)
