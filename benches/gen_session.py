#!/usr/bin/env python3
"""Generates a stepwise session folder with a given number of journal events,
for the resume and export benchmarks.

The session looks like one that crashed: STEPS automated steps ran (each a
`step_started`, many `output_recorded` runs and a `step_exited`), a few notes
were added, and the last step was running when the process died, so resuming
it stops at the "outcome unknown" decision (headless exit code 4).

Every `output_recorded` names a real byte range of a real log file under
`output/`, so exports read real tails. Every line is hash-chained as
stepwise writes it (src/session/chain.rs), so loading costs what it costs
for a real journal. Writes:
  HOME/sessions/<id>/{journal.jsonl,runbook.yaml,output/*.log}
and prints the session id.

Usage: gen_session.py HOME EVENTS [--steps N] [--record-bytes B]
"""

import argparse
import datetime as dt
import hashlib
import json
import os


def runbook_text(steps):
    lines = [
        "runbook: 1",
        "id: bench-resume",
        "title: Resume benchmark",
        "sections:",
        "  - title: Work",
        "    steps:",
    ]
    for i in range(steps):
        lines += [
            f"      - id: s{i:03d}",
            f"        title: Step {i}",
            "        run: seq 1 1000",
        ]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("home")
    ap.add_argument("events", type=int)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--record-bytes", type=int, default=400)
    a = ap.parse_args()

    text = runbook_text(a.steps)
    sha = hashlib.sha256(text.encode()).hexdigest()
    sid = "20260101T000000Z-bench-resume-0001"
    folder = os.path.join(a.home, "sessions", sid)
    os.makedirs(os.path.join(folder, "output"), mode=0o700, exist_ok=True)
    os.chmod(os.path.join(a.home, "sessions"), 0o700)
    os.chmod(folder, 0o700)
    rb_path = os.path.join(folder, "runbook.yaml")
    with open(rb_path, "w") as f:
        f.write(text)

    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    seq = 0
    out = open(os.path.join(folder, "journal.jsonl"), "w")
    # The hash chain, as stepwise writes it (src/session/chain.rs): each
    # line ends with ,"hash":"<sha256(previous hash, "\n", line without it)>"}.
    prev = hashlib.sha256(
        f"stepwise-journal-chain/1\n{sha}\n{sid}\n".encode()
    ).hexdigest()

    def emit(event, by=False):
        nonlocal seq, prev
        seq += 1
        at = (t0 + dt.timedelta(milliseconds=seq)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        rec = {"seq": seq, "at": at}
        if by:
            rec["by"] = {"user": "bench", "host": "bench"}
        rec.update(event)
        body = json.dumps(rec, separators=(",", ":"), ensure_ascii=False)
        prev = hashlib.sha256((prev + "\n" + body).encode()).hexdigest()
        out.write(body[:-1] + ',"hash":"' + prev + '"}\n')

    emit(
        {
            "type": "session_started",
            "session_id": sid,
            "runbook_id": "bench-resume",
            "runbook_title": "Resume benchmark",
            "runbook_path": rb_path,
            "runbook_sha256": sha,
            "auto": True,
            "dry_run": False,
            "stepwise_version": "0.1.0",
            "pid": 1,
        },
        by=True,
    )
    notes = 10
    # Events left for the steps: 1 start + 1 exit per finished step, 1 start
    # for the one that was running, the rest are output records.
    fixed = 1 + notes + 2 * (a.steps - 1) + 1
    outputs = max(a.events - fixed, a.steps)
    per_step = outputs // a.steps
    extra = outputs - per_step * a.steps
    line = (b"x" * (a.record_bytes - 1)) + b"\n"
    for i in range(a.steps):
        step = f"s{i:03d}"
        log = f"output/{step}.1.log"
        emit({"type": "step_started", "step": step, "attempt": 1,
              "command": "seq 1 1000", "log": log}, by=True)
        n = per_step + (extra if i == a.steps - 1 else 0)
        with open(os.path.join(folder, log), "wb") as f:
            f.write(line * n)
        for k in range(n):
            emit({"type": "output_recorded", "step": step, "attempt": 1,
                  "stream": "stdout", "offset": k * a.record_bytes, "len": a.record_bytes})
        if i < notes:
            emit({"type": "note_added", "step": step, "text": f"note {i}: looked fine"}, by=True)
        if i < a.steps - 1:
            emit({"type": "step_exited", "step": step, "attempt": 1,
                  "exit": {"code": 0, "signal": None}, "duration_ms": 1000, "success": True})
    out.close()
    for root, dirs, files in os.walk(folder):
        for name in files:
            os.chmod(os.path.join(root, name), 0o600)
    print(sid)
    if seq != a.events:
        raise SystemExit(f"generated {seq} events, asked for {a.events}")


if __name__ == "__main__":
    main()
