"""Benchmarks 12-14 (issue 19 #9 and issue 14 item 1): the whole-log pane
on a 1 GiB attempt log, from the interface on a pty (80x24).

12  `/` for a string on the log's last line, from the key that submits it
    to the match on screen, against `grep -c` of the same file (both with
    the file in the page cache); the interface's peak memory.
13  key -> screen latency of `Home`, `PgUp` and `/` on that log.
14  peak memory after the same paging and search on a 100 MiB and on a
    1 GiB log: flat means the same, whatever the log's size.

The log is made once per run of the suite: a runbook whose first step
prints numbered lines (`INFO 000000000001 GET /api/items 200`) up to the
size, then the needle; its second step is a human one, so the headless run
stops there and `stepwise resume` opens the session in the interface.
Called from bench.py (`bench.py 12 13 14`); standard library only.
"""

import os
import re
import shutil
import subprocess
import time

import ptyterm

NEEDLE = "the-last-line-needle"
LINE = re.compile(r"INFO (\d{12}) GET")
ROUNDS = 30


def _runbook(b, size):
    lines = size // 37
    # The needle is printed in two halves so that the Details pane, which
    # shows the command, never shows it whole.
    cmd = (f"awk 'BEGIN {{ for (i = 1; i <= {lines}; i++) printf \"INFO %012d GET /api/items 200\\n\", i; "
           f"print \"{NEEDLE[:9]}\" \"{NEEDLE[9:]}\" }}'")
    path = os.path.join(b.work, f"whole-log-{size}.yaml")
    with open(path, "w") as f:
        f.write("runbook: 1\nid: whole-log\ntitle: Whole log\nsections:\n  - title: S\n    steps:\n"
                f"      - id: flood\n        title: Flood\n        run: {_yaml(cmd)}\n"
                "      - id: inspect\n        title: Inspect\n        instructions: Look at the log.\n")
    return path, lines


def _yaml(s):
    return "'" + s.replace("'", "''") + "'"


def prepared(b, size):
    """A home holding an unfinished session whose flood log is `size` bytes
    (about); cached for the run of the suite. Returns (home, log path, lines)."""
    cache = getattr(b, "whole_log_homes", {})
    b.whole_log_homes = cache
    if size in cache:
        return cache[size]
    rb, lines = _runbook(b, size)
    home = b.home()
    code = subprocess.call(b.stepwise(home, "run", rb, "--auto", "--headless", "--trust"),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = os.path.join(b.session_dir(home), "output", "flood.1.log")
    if not os.path.exists(log) or os.path.getsize(log) < size * 0.9:
        raise RuntimeError(f"the flood step did not write its log (exit {code})")
    cache[size] = (home, log, lines)
    return cache[size]


def _wait(term, pred, timeout=10.0):
    """Pumps until `pred(screen text)` holds; the time it did, or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not term.pump(max(0.0, min(0.02, deadline - time.monotonic()))):
            return None
        if pred(term.screen.text()):
            return time.perf_counter()
    return None


def _numbers(text):
    return [int(n) for n in LINE.findall(text)]


def _settle(term, quiet=0.05):
    """Reads what the interface still draws until it is quiet."""
    end = time.monotonic() + quiet
    while time.monotonic() < end:
        term.pump(0.01)


def _key(term, data, pred, what):
    t0 = time.perf_counter()
    term.write(data)
    seen = _wait(term, pred)
    if seen is None:
        raise RuntimeError(f"{what}: the screen did not change within 10 s")
    _settle(term)
    return seen - t0


def open_log(b, home):
    """The interface on the session, the flood step's log in view."""
    term = ptyterm.Pty(b.stepwise(home, "resume"), screen=True)
    if _wait(term, lambda t: "Inspect" in t, 20) is None:
        raise RuntimeError("the interface did not show the session")
    _key(term, b"k", lambda t: "Log · flood" in t, "selecting the flood step")
    _key(term, b"\x1b[F", lambda t: NEEDLE in t, "End")
    return term


def search(term):
    """`/`, the needle, Enter: seconds from Enter to the match on screen."""
    _key(term, b"/", lambda t: "Search" in t, "/")
    term.write(NEEDLE.encode())
    _settle(term)
    took = _key(term, b"\r", lambda t: "”: line" in t, "the search")
    # Esc leaves the match, End follows again: the next search starts over.
    _key(term, b"\x1b", lambda t: "”: line" not in t, "Esc")
    _key(term, b"\x1b[F", lambda t: NEEDLE in t and "PAUSED" not in t, "End")
    return took


def paging(term, lines):
    """ROUNDS rounds of End, 3 x PgUp, Home, `/` (closed with Esc)."""
    got = {"Home": [], "PgUp": [], "/": []}
    for _ in range(ROUNDS):
        _key(term, b"\x1b[F", lambda t: NEEDLE in t and "PAUSED" not in t, "End")
        for _ in range(3):
            low = min(_numbers(term.screen.text()) or [lines + 1])
            got["PgUp"].append(_key(term, b"\x1b[5~", lambda t, low=low: min(_numbers(t) or [low]) < low,
                                    "PgUp"))
        got["Home"].append(_key(term, b"\x1b[H", lambda t: "INFO 000000000001 GET" in t, "Home"))
        got["/"].append(_key(term, b"/", lambda t: "Search" in t, "/"))
        _key(term, b"\x1b", lambda t: "Search" not in t, "Esc")
    return got


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def leave(term):
    term.write(b"q")
    _settle(term, 0.3)
    term.write(b"y")
    try:
        term.drain(timeout=20)
    except Exception:
        term.kill()


def grep_c(log):
    t0 = time.perf_counter()
    out = subprocess.run(["grep", "-c", NEEDLE, log], capture_output=True, text=True)
    took = time.perf_counter() - t0
    if out.stdout.strip() != "1":
        raise RuntimeError(f"grep -c found {out.stdout.strip()!r}")
    return took


def session(b, size, searches):
    """Opens the log of `size`, searches `searches` times, pages; returns
    (search times, grep times, key samples, peak MiB, log bytes)."""
    home, log, lines = prepared(b, size)
    grep_c(log)  # the file into the page cache, as for the interface
    term = open_log(b, home)
    try:
        found, base = [], []
        for _ in range(searches):
            base.append(grep_c(log))
            found.append(search(term))
        keys = paging(term, lines)
        mib = peak_rss_mib(term.proc.pid)
    finally:
        leave(term)
    return found, base, keys, mib, os.path.getsize(log)


GIB = 1 << 30


def b12_search(b, report, median):
    found, base, keys, mib, size = session(b, GIB, max(b.runs, 5))
    b.whole_log_keys, b.whole_log_mib = keys, mib
    ratio = median(found) / median(base)
    report(12, "whole-log search: `/` for the last line of a 1 GiB attempt log (pty 80x24) vs grep -c", [
        f"log {size / 2**20:.0f} MiB; stepwise median {median(found) * 1000:.0f} ms (Enter to the match "
        f"on screen), grep -c median {median(base) * 1000:.0f} ms",
        f"ratio {ratio:.2f} (target <= 1.5); the interface's peak memory {mib:.1f} MiB (target <= 64)",
        f"runs: stepwise {[round(x, 3) for x in found]} grep {[round(x, 3) for x in base]}",
    ], ratio <= 1.5 and mib <= 64)


def b13_log_keys(b, report, median):
    keys = getattr(b, "whole_log_keys", None)
    if keys is None:
        _, _, keys, _, _ = session(b, GIB, 0)
    lines, ok = [], True
    for key, xs in keys.items():
        med, worst = median(xs) * 1000, max(xs) * 1000
        ok &= len(xs) >= 30 and med <= 16 and worst <= 50
        lines.append(f"{key}: {len(xs)} keys, median {med:.1f} ms (target <= 16), worst {worst:.1f} ms "
                     f"(target <= 50), p90 {sorted(xs)[int(len(xs) * 0.9)] * 1000:.1f} ms")
    report(13, "key -> screen on a 1 GiB log: Home, PgUp, / (pty 80x24)", lines, ok)


def b14_log_memory(b, report, median):
    big = getattr(b, "whole_log_mib", None)
    if big is None:
        big = session(b, GIB, 1)[3]
    small = session(b, 100 << 20, 1)[3]
    growth = (big - small) / small
    report(14, "memory of the whole-log pane: paging and search on 100 MiB vs 1 GiB", [
        f"peak {small:.1f} MiB with a 100 MiB log, {big:.1f} MiB with 1 GiB ({growth * 100:+.1f}%, "
        f"target < 10%; <= 64 MiB)",
    ], abs(growth) < 0.10 and big <= 64)
