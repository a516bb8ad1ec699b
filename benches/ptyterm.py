"""A pseudo-terminal for the benchmarks: spawn a program on an 80x24 pty,
drain its output as fast as it comes, and (optionally) keep a minimal
screen model so that a test can wait for text to appear.

The screen model understands what ratatui's crossterm backend writes:
cursor moves (CSI row;col H), SGR (ignored), erase (J/K), private modes
(ignored), UTF-8 text. It is not a terminal emulator; it is just enough
to tell "the selection moved" from the byte stream. Standard library only.
"""

import codecs
import contextlib
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

ROWS, COLS = 24, 80

_TOKEN = re.compile(
    r"\x1b\[([0-9;?<>=]*)([ -/]*)([@-~])"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC
    r"|\x1b[()][0-9A-Za-z]"  # charset
    r"|\x1b[^\[\]()]"  # other two-byte escapes
    r"|[\r\n\x08]"
    r"|[^\x1b\r\n\x08\x00-\x07\x0b-\x0c\x0e-\x1f]+"
    r"|[\x00-\x1f]"
)


class Screen:
    """Characters on a ROWS x COLS grid and a cursor."""

    def __init__(self, rows=ROWS, cols=COLS):
        self.rows, self.cols = rows, cols
        self.grid = [[" "] * cols for _ in range(rows)]
        self.r = self.c = 0
        self.tail = ""  # an escape sequence cut between two reads
        self.replies = []  # bytes the terminal must answer (cursor position)

    def feed(self, text):
        text = self.tail + text
        self.tail = ""
        pos = 0
        for m in _TOKEN.finditer(text):
            pos = m.end()
            tok = m.group(0)
            if tok[0] == "\x1b":
                self._escape(m)
            elif tok == "\r":
                self.c = 0
            elif tok == "\n":
                self.r = min(self.r + 1, self.rows - 1)
            elif tok == "\x08":
                self.c = max(self.c - 1, 0)
            elif tok[0] < " ":
                continue
            else:
                self._put(tok)
        # A lone or unfinished escape at the end waits for the next read.
        last = text.rfind("\x1b")
        if last >= 0 and last >= pos - 1 and not _TOKEN.match(text, last):
            self.tail = text[last:]

    def _put(self, s):
        row = self.grid[self.r]
        for ch in s:
            if self.c >= self.cols:
                continue
            row[self.c] = ch
            self.c += 1

    def _escape(self, m):
        if m.group(3) is None:
            return
        params, final = m.group(1), m.group(3)
        nums = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else []
        if final in "Hf":
            r = nums[0] if nums else 1
            c = nums[1] if len(nums) > 1 else 1
            self.r = min(max(r, 1), self.rows) - 1
            self.c = min(max(c, 1), self.cols) - 1
        elif final == "J" and (nums[:1] == [2] or nums[:1] == [3]):
            self.grid = [[" "] * self.cols for _ in range(self.rows)]
        elif final == "J":
            for rr in range(self.r, self.rows):
                start = self.c if rr == self.r else 0
                self.grid[rr][start:] = [" "] * (self.cols - start)
        elif final == "K":
            self.grid[self.r][self.c:] = [" "] * (self.cols - self.c)
        elif final == "G":
            self.c = min(max(nums[0] if nums else 1, 1), self.cols) - 1
        elif final == "C":
            self.c = min(self.c + (nums[0] if nums else 1), self.cols - 1)
        elif final == "D":
            self.c = max(self.c - (nums[0] if nums else 1), 0)
        elif final == "A":
            self.r = max(self.r - (nums[0] if nums else 1), 0)
        elif final == "B":
            self.r = min(self.r + (nums[0] if nums else 1), self.rows - 1)
        elif final == "n" and params == "6":
            self.replies.append(f"\x1b[{self.r + 1};{self.c + 1}R".encode())

    def text(self):
        return "\n".join("".join(row) for row in self.grid)

    def contains(self, needle):
        return any(needle in "".join(row) for row in self.grid)


# The tap: a process of its own at real-time priority (SCHED_FIFO 10, where
# that is permitted) that only reads the pty's master and passes each read
# on, stamped with the time it returned (CLOCK_MONOTONIC, the clock of
# time.perf_counter), as frames of <f64 time, u32 length, bytes>. Its
# first frame says whether the policy was allowed (length 0x80000000 |
# allowed); a read of nothing (the pty closed) ends it, and so does the
# harness's death (PR_SET_PDEATHSIG), which closes its copy of the master.
# Why: at the normal policy a reader waits for a core among the flood it
# measures (a key was once timed at 217 ms, of which 210 passed before the
# harness even began to wait: docs/PERFORMANCE.md, fourteenth pass); but a
# harness that also parses the screen must not run at real-time priority
# while a flood is drawn, or its parsing holds a core the program it times
# needs (sixteenth pass). So the tap, which does almost nothing, stamps,
# and the harness parses at the normal policy, as a terminal would. Being
# real-time with a 1 MiB pipe, the tap never lets the program's writes
# block, which a slow terminal emulator could.
TAP = r"""
import ctypes, os, signal, struct, sys, time
master, out, harness = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
if os.getppid() != harness:
    sys.exit(1)
try:
    os.sched_setscheduler(0, os.SCHED_FIFO | os.SCHED_RESET_ON_FORK, os.sched_param(10))
    allowed = 1
except (OSError, AttributeError):
    allowed = 0
os.write(out, struct.pack("<dI", time.perf_counter(), 0x80000000 | allowed))
while True:
    try:
        data = os.read(master, 1 << 16)
    except OSError:
        data = b""
    frame = struct.pack("<dI", time.perf_counter(), len(data)) + data
    while frame:
        frame = frame[os.write(out, frame):]
    if not data:
        break
"""
_FRAME = struct.Struct("<dI")


def time_keys(term, here, there, going, starts=None):
    """Presses `j` and `k` in turn on `term` while `going()` holds, moving
    the selection between two steps whose Details show `here` (selected
    at first) and `there`; the latency of each key, from writing it to
    the moment the tap read the bytes that put its text on screen (`term`
    must have a tap: `Pty(tap=True)`). `starts`, when given, gets each
    timed key's write time (time.perf_counter). Returns (latencies in
    seconds, whether the tap was allowed real-time priority)."""
    if term.tap is None:
        raise ValueError("keys are timed on a pty with a tap")
    out = []
    target = there
    while not term.closed and going():
        t0 = time.perf_counter()
        term.write(b"j" if target == there else b"k")
        seen = term.wait_for(target, time.monotonic() + 2)
        if seen is None or not going():
            break
        out.append(seen - t0)
        if starts is not None:
            starts.append(t0)
        target = here if target == there else there
        pause = time.monotonic() + 0.03
        while time.monotonic() < pause and term.pump(0.02):
            pass
    return out, term.tap_realtime


def _set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _controlling_tty():
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Pty:
    """A child process on a fresh pty of ROWS x COLS."""

    def __init__(self, argv, env=None, cwd=None, screen=False, rows=ROWS, cols=COLS, tap=False):
        """`tap`: the pty is read by a tap (`TAP`), which stamps each read
        at real-time priority, and this harness parses what it passes on
        at the normal policy: for timing keys during a flood."""
        master, slave = os.openpty()
        _set_size(slave, rows, cols)
        full_env = dict(os.environ if env is None else env)
        full_env.setdefault("TERM", "xterm-256color")
        full_env["LINES"], full_env["COLUMNS"] = str(rows), str(cols)
        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=full_env,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_controlling_tty,
            close_fds=True,
        )
        os.close(slave)
        self.fd = master
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.screen = Screen(rows, cols) if screen else None
        self.bytes_read = 0
        # When the last read returned (time.perf_counter), before its
        # bytes were parsed: the moment they reached the terminal.
        self.read_at = None
        self.closed = False
        self.tap = None
        self.tap_realtime = None
        self.watched, self.watched_at = None, None
        if tap:
            self._start_tap()

    def _start_tap(self):
        """Starts the tap on the master; this harness reads its frames."""
        r, w = os.pipe2(os.O_CLOEXEC)
        with contextlib.suppress(OSError):  # room for frames while the harness parses
            fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 1 << 20)
        self.tap = subprocess.Popen([sys.executable, "-c", TAP, str(self.fd), str(w), str(os.getpid())],
                                    pass_fds=(self.fd, w), stdin=subprocess.DEVNULL)
        os.close(w)
        self.tap_in, self.tap_buf = r, b""
        while len(self.tap_buf) < _FRAME.size:  # its first frame: the policy it got
            if not select.select([r], [], [], 10)[0] or not (more := os.read(r, _FRAME.size)):
                self.kill()
                self.wait(timeout=10)
                raise RuntimeError("the pty's tap did not start")
            self.tap_buf += more
        _, allowed = _FRAME.unpack_from(self.tap_buf)
        self.tap_realtime = allowed == 0x80000001
        self.tap_buf, self.tap_at = bytearray(self.tap_buf[_FRAME.size:]), 0

    def _read(self, timeout):
        """The next read of the pty: (bytes, when it was read), None when
        nothing came within `timeout`; b"" at EOF."""
        if self.tap is None:
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if not ready:
                return None
            try:
                data = os.read(self.fd, 1 << 16)
            except OSError:  # EIO: the last writer closed the pty
                data = b""
            return data, time.perf_counter()
        buf = self.tap_buf
        while True:
            at_frame = self.tap_at
            if len(buf) - at_frame >= _FRAME.size:
                at, n = _FRAME.unpack_from(buf, at_frame)
                end = at_frame + _FRAME.size + n
                if len(buf) >= end:
                    self.tap_at = end
                    return bytes(buf[at_frame + _FRAME.size:end]), at
            ready, _, _ = select.select([self.tap_in], [], [], timeout)
            if not ready:
                return None
            more = os.read(self.tap_in, 1 << 20)
            if not more:
                return b"", time.perf_counter()
            del buf[:at_frame]
            buf += more
            self.tap_at, timeout = 0, 0

    def pump(self, timeout):
        """Reads what is there (waiting at most `timeout` s); False at EOF.
        With a tap, one read of the pty at a time."""
        if self.closed:
            return False
        got = self._read(timeout)
        if got is None:
            return True
        data, self.read_at = got
        if not data:
            self.closed = True
            return False
        self.bytes_read += len(data)
        if self.screen is not None:
            self.screen.feed(self.decoder.decode(data))
            for reply in self.screen.replies:
                os.write(self.fd, reply)
            self.screen.replies.clear()
            if self.watched is not None and self.watched_at is None and self.screen.contains(self.watched):
                self.watched_at = self.read_at
        return True

    def watch(self, needle):
        """From now on, `watched_at` is the time the bytes that first put
        `needle` on screen were read (None until then)."""
        self.watched, self.watched_at = needle, None

    def write(self, data):
        os.write(self.fd, data)

    def wait_for(self, needle, deadline):
        """Pumps until the screen contains `needle`; the time the bytes that
        put it there were read (time.perf_counter), or None. The screen
        model's own parsing of them is not counted: it is this harness's
        time (a Python model sharing two cores with the flood it watches),
        as a real terminal's rendering would be the terminal's."""
        since = time.perf_counter()
        while time.monotonic() < deadline:
            if not self.pump(max(0.0, min(0.05, deadline - time.monotonic()))):
                return None
            if self.screen.contains(needle):
                read = self.read_at
                return read if read is not None and read >= since else time.perf_counter()
        return None

    def drain(self, timeout=600):
        """Reads until the child closes the pty, then reaps it; its exit code."""
        deadline = time.monotonic() + timeout
        while self.pump(1.0):
            if time.monotonic() > deadline:
                self.kill()
                raise TimeoutError("the program on the pty did not finish")
        return self.wait(timeout=max(1, deadline - time.monotonic()))

    def wait(self, timeout=60):
        try:
            code = self.proc.wait(timeout=timeout)
        finally:
            self.closed = True
            if self.fd is not None:
                os.close(self.fd)
                self.fd = None
            self._stop_tap()
        return code

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._stop_tap()

    def _stop_tap(self):
        if self.tap is not None:
            self.tap.kill()
            self.tap.wait()
            os.close(self.tap_in)
            self.tap = None
