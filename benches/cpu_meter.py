"""The CPU time of a command and of every process it starts, for the
benchmarks' "for information" lines.

Wall-clock ratios on a shared 2-core host move by 20-40 % between runs
of the same binary; the CPU a run consumes moves far less, so it says
whether a change made stepwise cheaper when the wall clock cannot.
`wait4` of the command would miss stepwise's step monitors (forked by
its spawner, which lets the kernel reap them), so the command runs in a
cgroup of its own: cgroup v1 `cpuacct.usage` or cgroup v2 `cpu.stat`
(`usage_usec`), whichever the machine has. Where neither can be made
(not root, no cgroup file system), `CpuMeter.open()` returns `None` and
the figure is left out. Measuring only: it never changes what runs.
"""

import os

GROUP = "stepwise-bench"


class CpuMeter:
    def __init__(self, path, read):
        self.path = path
        self._read = read
        self.last_ns = None

    @staticmethod
    def open():
        """A meter on a cgroup made for it, or None."""
        v1 = "/sys/fs/cgroup/cpuacct"
        v2 = [p for p in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified")
              if os.path.exists(os.path.join(p, "cgroup.controllers"))]
        for base, read in [(v1, _read_v1)] + [(p, _read_v2) for p in v2]:
            path = os.path.join(base, GROUP)
            try:
                os.makedirs(path, exist_ok=True)
                meter = CpuMeter(path, read)
                meter.read_ns()
                return meter
            except (OSError, ValueError):
                continue
        return None

    def enter(self):
        """Moves the calling process into the group (a `preexec_fn`: the
        child, before it execs the command)."""
        with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))

    def read_ns(self):
        return self._read(self.path)

    def measure(self, run):
        """Calls `run()` (which starts the command with `enter` as its
        `preexec_fn` and waits for it); keeps the CPU it took in
        `last_ns`; returns what `run` returned."""
        before = self.read_ns()
        result = run()
        self.last_ns = self.read_ns() - before
        return result


def _read_v1(path):
    with open(os.path.join(path, "cpuacct.usage")) as f:
        return int(f.read())


def _read_v2(path):
    with open(os.path.join(path, "cpu.stat")) as f:
        for line in f:
            key, value = line.split()
            if key == "usage_usec":
                return int(value) * 1000
    raise ValueError("no usage_usec in cpu.stat")
