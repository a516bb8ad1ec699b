#!/usr/bin/env python3
# Usage: python3 benches/held_bash.py [ROUNDS]
"""A probe of the machine's bash, not of stepwise: how much of
`bash -eo pipefail -c true` is the shell's start. Each round times 200
plain runs (spawn to exit), then 200 runs of a bash held before its
command the way a step monitor holds one (`BASH_ENV` naming a pipe with
a script that reads one line from a second pipe): timed from the
go-ahead to its exit, after the shell had 5 ms to start. The difference
is what a held start can take off a step (docs/PERFORMANCE.md,
twenty-second pass)."""
import os, statistics, subprocess, sys, time

BASH = ["bash", "-eo", "pipefail", "-c", "true"]


def plain():
    t = time.perf_counter()
    subprocess.run(BASH, check=True)
    return time.perf_counter() - t


def held():
    go_r, go_w = os.pipe()
    sc_r, sc_w = os.pipe()
    script = (f"IFS= read -r -u {go_r} g && [[ $g == go ]] || exit 125\n"
              f"exec {go_r}<&- {sc_r}<&-\nunset -v BASH_ENV g\n")
    os.write(sc_w, script.encode())
    os.close(sc_w)
    env = dict(os.environ, BASH_ENV=f"/dev/fd/{sc_r}")
    p = subprocess.Popen(BASH, env=env, pass_fds=(go_r, sc_r))
    os.close(go_r)
    os.close(sc_r)
    time.sleep(0.005)
    t = time.perf_counter()
    os.write(go_w, b"go\n")
    os.close(go_w)
    if p.wait() != 0:
        sys.exit("the held bash did not run its command")
    return time.perf_counter() - t


for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 3):
    a = statistics.median(plain() for _ in range(200)) * 1e3
    b = statistics.median(held() for _ in range(200)) * 1e3
    print(f"plain {a:.3f} ms   held, from its go-ahead {b:.3f} ms   start share {1 - b / a:.0%}")
