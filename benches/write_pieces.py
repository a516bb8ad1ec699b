#!/usr/bin/env python3
"""What the file system charges for the same bytes written in pieces of
different sizes and alignments (docs/PERFORMANCE.md, eighth pass).

Writes 199 MB (a 10M-line flood printed headless) to a new file in DIR
(default: the system's temporary folder) once per piece size, twice over,
and prints the system time each took. Each file is removed and the disk
synced before the next, so no run pays for another's write-back.

    python3 benches/write_pieces.py [DIR]

Standard library only.
"""

import os
import resource
import sys
import tempfile
import time

TOTAL = 199_000_000

# (label, piece size, bytes written first to put the pieces off a boundary)
CASES = [
    ("134,003 B (the printer's chunks)", 134_003, 0),
    ("52,000 B (a pipe read)", 52_000, 0),
    ("4 KiB (seq's writes)", 4096, 0),
    ("64 KiB on boundaries", 65_536, 0),
    ("128 KiB on boundaries", 131_072, 0),
    ("128 KiB, 100 B off", 131_072, 100),
    ("1 MiB on boundaries", 1 << 20, 0),
]


def one(path, size, off):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    os.sync()
    piece = b"y" * size
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if off:
            os.write(fd, b"z" * off)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_stime
        t = time.perf_counter()
        written = 0
        while written < TOTAL:
            written += os.write(fd, piece)
        wall = time.perf_counter() - t
        system = resource.getrusage(resource.RUSAGE_SELF).ru_stime - before
    finally:
        os.close(fd)
        os.remove(path)
    return wall, system


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else tempfile.gettempdir()
    path = os.path.join(folder, f"write_pieces.{os.getpid()}")
    print(f"199 MB into {folder}, load average {os.getloadavg()[0]:.2f}")
    for _ in range(2):
        for label, size, off in CASES:
            wall, system = one(path, size, off)
            print(f"  {label:34} wall {wall * 1000:6.1f} ms  system {system * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
