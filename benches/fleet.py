#!/usr/bin/env python3
"""Fleet benchmark (issue 16): `true` on 50 hosts over ssh, max_in_flight 50.

Starts a private sshd on loopback (50 aliases h01..h50 -> 127.0.0.2..51,
generated keys, known_hosts in a temp folder), then measures in one run:
  - stepwise: a fleet step `run: true` on the 50 hosts, headless;
  - plain:    `for h in ...; do ssh ... h true & done; wait` with the same
              ControlMaster settings (cold masters, like stepwise's);
  - ansible:  `ansible all -m command -a true -f 50`, when installed (same
              ControlMaster settings, pipelining on).
  - keys:     key -> screen latency in the interface (pty 80x24) while a
              fleet step runs on the 50 hosts, each printing a line every
              0.1 s: j/k move the selection, the Details pane (which shows
              the selected step's command) is the witness, as in bench.py #4.
              Target: median <= 16 ms, worst <= 50 ms, >= 30 keys sampled
              (fewer fails: the benchmark would not be measuring keys).
Stepwise and the loop run in turn, ROUNDS times (3 unless --rounds N),
the side that goes first alternating: one run of each swings by 20 % on
this 2-core machine (50 key exchanges, and the remote login's own start).
Prints each side's median wall time and every run, stepwise's end (its
journal's last event to its exit: the masters are closed there), the ratio of the
medians stepwise/plain (target <= 1.3) and of each round, and stepwise's
peak RSS (target <= 64 MiB, GNU time); exits 1 when a target is missed.
Usage: benches/fleet.py [--rounds N] [BINARY]
"""
import datetime, glob, json, os, re, shutil, statistics, subprocess, sys, tempfile, time, socket

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptyterm  # noqa: E402

N = 50
ARGS = sys.argv[1:]
ROUNDS = 3
if ARGS[:1] == ["--rounds"]:
    if len(ARGS) < 2 or not ARGS[1].isdigit():
        sys.exit("usage: benches/fleet.py [--rounds N] [BINARY]")
    ROUNDS, ARGS = max(1, int(ARGS[1])), ARGS[2:]
BIN = ARGS[0] if ARGS else "target/release/stepwise"


def sh(*argv, **kw):
    subprocess.run(argv, check=True, **kw)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def setup(d):
    for k in ("host_key", "user_key"):
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{d}/{k}")
    os.rename(f"{d}/user_key.pub", f"{d}/authorized_keys")
    port = free_port()
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    hostkey = open(f"{d}/host_key.pub").read().split()[:2]
    server = [f"Port {port}", f"HostKey {d}/host_key", f"PidFile {d}/sshd.pid",
              f"AuthorizedKeysFile {d}/authorized_keys", "PasswordAuthentication no",
              "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no",
              "PermitRootLogin yes", "LogLevel ERROR", "MaxStartups 200", "MaxSessions 100",
              "Subsystem sftp internal-sftp",
              # Bash reads ~/.bashrc for a command over ssh only below
              # SHLVL 2. Root's here runs `pyenv init`, which took half of
              # either side's time (7-8 s against 3 s without it): on a
              # real fleet the login's own start runs on each host, not on
              # the two cores stepwise shares with the servers here.
              # (SetEnv needs OpenSSH 8.7 or later.)
              "SetEnv SHLVL=2"]
    client, known, hosts, listen = [], [], [], []
    for i in range(N):
        name, ip = f"h{i + 1:02d}", f"127.0.0.{i + 2}"
        hosts.append(name)
        listen.append(f"ListenAddress {ip}")
        client += [f"Host {name}", f"  HostName {ip}"]
        known.append(f"[{ip}]:{port} {hostkey[0]} {hostkey[1]}")
    client += ["Host *", f"  Port {port}", f"  User {user}", f"  IdentityFile {d}/user_key",
               "  IdentitiesOnly yes", f"  UserKnownHostsFile {d}/known_hosts",
               "  GlobalKnownHostsFile /dev/null", "  StrictHostKeyChecking yes", "  LogLevel ERROR"]
    for name, lines in (("ssh_config", client), ("known_hosts", known)):
        open(f"{d}/{name}", "w").write("\n".join(lines) + "\n")
    os.makedirs("/run/sshd", exist_ok=True)
    # sshd listens on at most 16 sockets: one server per 15 addresses.
    sshd = []
    for k in range(0, N, 15):
        cfg = f"{d}/sshd_config.{k}"
        lines = [l.replace("sshd.pid", f"sshd.{k}.pid") for l in server] + listen[k:k + 15]
        open(cfg, "w").write("\n".join(lines) + "\n")
        sshd.append(subprocess.Popen(["/usr/sbin/sshd", "-D", "-f", cfg, "-e"],
                                     stderr=open(f"{d}/sshd.{k}.log", "w")))
    for i in range(N):
        for _ in range(500):
            try:
                socket.create_connection((f"127.0.0.{i + 2}", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.02)
        else:
            sys.exit(f"sshd never listened on 127.0.0.{i + 2}: see {d}/sshd.*.log")
    return sshd, hosts


KEY_SAMPLES = 30
HOST_SECONDS = 8


def key_latency(d, hosts):
    """j/k between a running 50-host fleet step and the next step; a sample
    counts only while every host still runs (the first HOST_SECONDS - 2 s
    after the step's first host output)."""
    shown = {"fleet": "details-of-fleet", "after": "details-of-after"}
    rb = f"{d}/keys.yaml"
    open(rb, "w").write(
        "runbook: 1\nid: keys\ntitle: Keys\ntargets:\n  all:\n    hosts: [%s]\n"
        "sections:\n  - title: S\n    steps:\n      - id: t\n        title: T\n        on: all\n"
        "        run: |\n          # %s\n"
        "          for i in $(seq %d); do echo \"$TARGET tick $i\"; sleep 0.1; done\n"
        "        rollout: { max_in_flight: %d }\n"
        "      - id: after\n        title: After\n        run: 'true # %s'\n"
        % (", ".join(hosts), shown["fleet"], HOST_SECONDS * 10, N, shown["after"]))
    env = dict(os.environ, STEPWISE_HOME=f"{d}/home-keys", NO_COLOR="1")
    argv = [BIN, "run", "--trust", "--ssh-config", f"{d}/ssh_config", rb]
    term = ptyterm.Pty(argv, env=env, screen=True, tap=True)
    try:
        if term.wait_for("Not run yet", time.monotonic() + 30) is None:
            raise RuntimeError("the interface never showed the fleet step")
        term.write(b"\r")
        if term.wait_for("tick 1", time.monotonic() + 60) is None:
            raise RuntimeError("no host output on screen")
        until = time.monotonic() + HOST_SECONDS - 2
        # Timed as benchmark 4's keys are (see `ptyterm.time_keys`).
        samples, _ = ptyterm.time_keys(term, shown["fleet"], shown["after"],
                                       lambda: time.monotonic() < until)
        # Let the step end, then quit (the ssh masters close with it).
        term.wait_for("✓50", time.monotonic() + 60)
        term.write(b"q")
        term.wait_for("Quit", time.monotonic() + 10)
        term.write(b"y")
        term.drain(timeout=30)
    finally:
        term.kill()
    return samples


def fmt(times):
    return ", ".join(f"{t:.2f}" for t in times)


def stepwise_once(d, rb, r):
    """One headless run of the fleet step; (seconds, peak RSS in KiB,
    seconds from the journal's last event to the process's exit: the
    session's end, where the ssh masters are closed)."""
    env = dict(os.environ, STEPWISE_HOME=f"{d}/home{r}")
    t0 = time.monotonic()
    sh("/usr/bin/time", "-v", "-o", f"{d}/rss", BIN, "run", "--trust", "--headless",
       "--ssh-config", f"{d}/ssh_config", rb, env=env, stdout=subprocess.DEVNULL)
    took, ended = time.monotonic() - t0, time.time()
    kib = next(int(l.split()[-1]) for l in open(f"{d}/rss") if "Maximum resident" in l)
    journal = glob.glob(f"{d}/home{r}/sessions/*/journal.jsonl")[0]
    at = json.loads(open(journal).read().splitlines()[-1])["at"]
    # RFC 3339 in UTC, with 0 to 9 digits of fraction.
    whole, frac = re.fullmatch(r"(.+T\d\d:\d\d:\d\d)(\.\d+)?Z", at).groups()
    last = datetime.datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp() + float("0" + (frac or ""))
    return took, kib, ended - last


def loop_once(d, hosts):
    """One plain `ssh ... true &` loop with cold masters; seconds (closing
    its masters afterwards is not counted, though stepwise's is)."""
    cp = tempfile.mkdtemp(prefix="fp-", dir="/tmp")
    opts = (f"-F {d}/ssh_config -o BatchMode=yes -o ConnectTimeout=10 -o ControlMaster=auto "
            f"-o ControlPath={cp}/%C -o ControlPersist=60 -T")
    t0 = time.monotonic()
    sh("bash", "-c", f"for h in {' '.join(hosts)}; do ssh {opts} $h true & done; wait")
    took = time.monotonic() - t0
    sh("bash", "-c", f"for h in {' '.join(hosts)}; do ssh {opts} -O exit $h 2>/dev/null & done; wait")
    shutil.rmtree(cp, ignore_errors=True)
    return took


def main():
    d = tempfile.mkdtemp(prefix="fb-")
    sshd, hosts = setup(d)
    try:
        rb = f"{d}/fleet.yaml"
        open(rb, "w").write(
            "runbook: 1\nid: bench\ntitle: Bench\ntargets:\n  all:\n    hosts: [%s]\n"
            "sections:\n  - title: S\n    steps:\n      - id: t\n        title: T\n        on: all\n"
            "        run: 'true'\n        rollout: { max_in_flight: %d }\n" % (", ".join(hosts), N))
        runs = {"stepwise": [], "loop": []}
        rss, ends = 0, []
        for r in range(ROUNDS):
            # Alternate which side goes first: neither always meets the
            # freshly started (or just used) servers.
            order = ["stepwise", "loop"] if r % 2 == 0 else ["loop", "stepwise"]
            for side in order:
                if side == "stepwise":
                    took, kib, end = stepwise_once(d, rb, r)
                    rss = max(rss, kib)
                    ends.append(end)
                else:
                    took = loop_once(d, hosts)
                runs[side].append(took)
        ours, plain = statistics.median(runs["stepwise"]), statistics.median(runs["loop"])
        ansible = None
        if subprocess.run(["sh", "-c", "command -v ansible"], capture_output=True).returncode == 0:
            inv = f"{d}/inv.ini"
            open(inv, "w").write("\n".join(hosts) + "\n")
            # The same ControlMaster settings as stepwise and the loop.
            # Pipelining: modules go over the ssh session's stdin, as
            # Ansible's docs advise for speed (no sftp/scp copy per host).
            aenv = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="True", ANSIBLE_PIPELINING="True",
                        ANSIBLE_PYTHON_INTERPRETER="auto_silent",
                        ANSIBLE_SSH_ARGS=f"-F {d}/ssh_config -o ControlMaster=auto -o ControlPersist=60s")
            t0 = time.monotonic()
            sh("ansible", "all", "-i", inv, "-m", "command", "-a", "true", "-f", str(N), env=aenv,
               stdout=subprocess.DEVNULL)
            ansible = time.monotonic() - t0
        keys = key_latency(d, hosts)
        load = open("/proc/loadavg").read().split()[:3]
        print(f"fleet: `true` on {N} hosts, max_in_flight {N}, {ROUNDS} rounds alternating,"
              f" load {' '.join(load)}")
        print(f"  stepwise   {ours:6.2f} s median ({fmt(runs['stepwise'])})"
              f"   peak RSS {rss / 1024:.1f} MiB (target <= 64)")
        print(f"  plain loop {plain:6.2f} s median ({fmt(runs['loop'])})")
        print(f"  stepwise's end, last event to exit (closing the masters): "
              f"{', '.join(f'{e * 1000:.0f} ms' for e in ends)}")
        rounds = [a / b for a, b in zip(runs["stepwise"], runs["loop"])]
        print(f"  ratio      {ours / plain:6.2f}x of the medians (target <= 1.3);"
              f" by round {', '.join(f'{x:.2f}' for x in rounds)}")
        print(f"  ansible    {'%6.2f s' % ansible if ansible else 'not installed'}"
              + (f"   ({ansible / plain:.2f}x the plain loop, {ours / ansible:.2f}x stepwise/ansible)"
                 if ansible else ""))
        ok = ours / plain <= 1.3 and rss / 1024 <= 64
        if len(keys) < KEY_SAMPLES:
            print(f"  keys       only {len(keys)} sampled during the fleet step (need >= {KEY_SAMPLES}):"
                  " FAIL, the benchmark is not measuring key latency")
            ok = False
        else:
            med, worst = statistics.median(keys) * 1000, max(keys) * 1000
            p90 = sorted(keys)[int(len(keys) * 0.9)] * 1000
            print(f"  keys       {len(keys)} j/k during the fleet step (pty 80x24): median {med:.1f} ms"
                  f" (target <= 16), p90 {p90:.1f} ms, worst {worst:.1f} ms (target <= 50)")
            ok = ok and med <= 16 and worst <= 50
        print(f"  {'PASS' if ok else 'FAIL'}")
        if not ok:
            sys.exit(1)
    finally:
        for p in sshd:
            p.terminate()
            p.wait()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
