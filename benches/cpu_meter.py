"""The CPU time of a command and of every process it starts, for the
benchmarks' "for information" lines.

Wall-clock ratios on a shared 2-core host move by 20-40 % between runs
of the same binary; the CPU a run consumes moves less, so it says
whether a change made stepwise cheaper when the wall clock cannot.
`wait4` of the command would miss stepwise's step monitors (forked by
its spawner, which lets the kernel reap them), so the benchmark process
moves itself, once, into a cgroup of its own (cgroup v1 `cpuacct.usage`
or cgroup v2 `cpu.stat`, whichever the machine has): everything it
starts from then on is counted there, and a run's CPU is the group's
growth during the run less the benchmark process's own. Nothing is added
to the timed path (no `preexec_fn`, which would also stop Python from
using `vfork`). Where no group can be made and joined (not root, no
cgroup file system), `CpuMeter.open()` returns `None` and the figure is
left out. `close()` moves the process back and removes the group.
"""

import os
import resource

V1 = "/sys/fs/cgroup/cpuacct"
V2 = ("/sys/fs/cgroup", "/sys/fs/cgroup/unified")


class CpuMeter:
    def __init__(self, path, parent, read):
        self.path, self.parent, self._read = path, parent, read
        self.last_ns = None

    @staticmethod
    def open():
        """A meter on a group made for this process and joined, or None."""
        bases = []
        if os.path.exists(os.path.join(V1, "cpuacct.usage")):
            bases.append((V1, _read_v1))
        bases += [(p, _read_v2) for p in V2 if os.path.exists(os.path.join(p, "cgroup.controllers"))]
        for base, read in bases:
            path = os.path.join(base, f"stepwise-bench-{os.getpid()}")
            try:
                os.makedirs(path, exist_ok=True)
                meter = CpuMeter(path, base, read)
                meter.read_ns()
                _join(path)
                return meter
            except (OSError, ValueError):
                _remove(path)
        return None

    def read_ns(self):
        return self._read(self.path)

    def measure(self, run):
        """Calls `run()`; keeps the CPU that every process of this group
        but this one used meanwhile in `last_ns`; returns what `run`
        returned."""
        group, own = self.read_ns(), _own_ns()
        result = run()
        self.last_ns = (self.read_ns() - group) - (_own_ns() - own)
        return result

    def close(self):
        try:
            _join(self.parent)
        except OSError:
            return
        _remove(self.path)


def _join(path):
    with open(os.path.join(path, "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))


def _remove(path):
    try:
        os.rmdir(path)
    except OSError:
        pass


def _own_ns():
    """This process's CPU so far (all its threads, user + system)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return int((r.ru_utime + r.ru_stime) * 1e9)


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
