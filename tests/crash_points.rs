//! Crash at every point: the real binary is killed with SIGKILL at many
//! moments of a session (automated steps with output, human steps, a retry
//! and a capture used later), then resumed headless until it completes.
//!
//! After every kill the test checks that the session completes, that no
//! human confirmation is lost or repeated, that "outcome unknown" is only
//! reported for a step whose last record before the kill was "step started",
//! and that every attempt's log is an intact prefix of what the step prints
//! and holds every line the operator saw before the kill.
//!
//! Kill moments: right after the Nth line stepwise printed (N = 0 … the
//! length of a full run), then the same lines plus a growing delay, so the
//! points fall between lines too. 50 points by default (about 30–60 s in a
//! debug build); `STEPWISE_SOAK_KILLS=500 cargo test --test crash_points`
//! runs a longer soak.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const RUNBOOK: &str = r#"runbook: 1
id: crash
title: Crash points
sections:
  - title: Before
    steps:
      - title: Count
        run: for i in 1 2 3 4 5 6; do echo "count $i"; sleep 0.02; done
      - title: Look around
        instructions: Check the dashboard.
      - title: Flaky
        run: |
          for i in 1 2 3; do echo "flaky $i"; sleep 0.02; done
          if [ -f "$MARKER" ]; then echo "flaky ok"; else : > "$MARKER"; echo "flaky fails once"; exit 1; fi
        retry: { attempts: 2, delay: 50ms }
  - title: After
    steps:
      - title: Version
        run: echo v9.8.7
        capture: VERSION
      - title: Approve
        note: required
      - title: Use version
        run: for i in 1 2 3 4; do echo "deploy $VERSION $i"; sleep 0.02; done
"#;

const HUMAN: [&str; 2] = ["look-around", "approve"];
const ANSWERS: [&str; 2] = ["look-around=done", "approve=done:approved"];

/// Every full output a step may print, one per possible path through it.
fn expected_outputs(step: &str) -> Vec<String> {
    let lines = |v: Vec<String>| v.iter().map(|l| format!("{l}\n")).collect::<String>();
    match step {
        "count" => vec![lines((1..=6).map(|i| format!("count {i}")).collect())],
        "flaky" => ["flaky fails once", "flaky ok"]
            .iter()
            .map(|end| {
                let mut v: Vec<String> = (1..=3).map(|i| format!("flaky {i}")).collect();
                v.push((*end).to_owned());
                lines(v)
            })
            .collect(),
        "version" => vec!["v9.8.7\n".to_owned()],
        "use-version" => vec![lines(
            (1..=4).map(|i| format!("deploy v9.8.7 {i}")).collect(),
        )],
        other => panic!("no output expected from {other}"),
    }
}

struct Scenario {
    dir: tempfile::TempDir,
}

impl Scenario {
    fn new() -> Scenario {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("rb.yaml"), RUNBOOK).unwrap();
        Scenario { dir }
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn stepwise(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_stepwise"));
        c.env("STEPWISE_HOME", self.home())
            .env("MARKER", self.dir.path().join("marker"))
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        c
    }

    fn run_cmd(&self) -> Command {
        let mut c = self.stepwise();
        c.args(["run", "--headless", "--trust", "rb.yaml"]);
        for a in ANSWERS {
            c.args(["--answer", a]);
        }
        c
    }

    /// The session folder. A folder still being created (`.new-<id>`, see
    /// `store::create_session_dir`) is not a session yet.
    fn session_dir(&self) -> Option<PathBuf> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(self.home().join("sessions"))
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
            .collect();
        assert!(dirs.len() <= 1, "more than one session: {dirs:?}");
        dirs.pop()
    }
}

/// Runs stepwise and kills it `delay` after it printed `after_lines` lines.
/// Returns the lines printed before the kill, and whether it was killed.
fn run_and_kill(s: &Scenario, after_lines: usize, delay: Duration) -> (Vec<String>, bool) {
    let mut child = s.run_cmd().stdout(Stdio::piped()).spawn().unwrap();
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let mut ended = false;
    while seen.len() < after_lines {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(l) => seen.push(l),
            Err(_) => {
                ended = true;
                break;
            }
        }
    }
    if !ended {
        std::thread::sleep(delay);
    }
    let killed = child.try_wait().unwrap().is_none();
    if killed {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
    }
    child.wait().unwrap();
    reader.join().unwrap();
    // Lines the reader got between the last check and the kill were printed
    // before it too.
    seen.extend(rx.try_iter());
    (seen, killed)
}

#[derive(Debug)]
struct Rec {
    kind: String,
    step: Option<String>,
    attempt: Option<u64>,
    value: serde_json::Value,
}

/// The complete records of a journal; a torn last line is left out.
fn journal(dir: &Path) -> Vec<Rec> {
    let bytes = std::fs::read(dir.join("journal.jsonl")).unwrap_or_default();
    let mut out = Vec::new();
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        if !line.ends_with(b"\n") {
            break;
        }
        let v: serde_json::Value = serde_json::from_slice(line).expect("a damaged journal line");
        out.push(Rec {
            kind: v["type"].as_str().unwrap().to_owned(),
            step: v["step"].as_str().map(str::to_owned),
            attempt: v["attempt"].as_u64(),
            value: v,
        });
    }
    out
}

/// Steps whose last lifecycle record is "step started": really running.
fn running_steps(records: &[Rec]) -> BTreeSet<String> {
    let mut last: BTreeMap<&str, &str> = BTreeMap::new();
    for r in records {
        let bookkeeping = ["output_recorded", "captured", "note_added"].contains(&r.kind.as_str());
        if let (Some(step), false) = (&r.step, bookkeeping) {
            last.insert(step, &r.kind);
        }
    }
    last.into_iter()
        .filter(|(_, k)| *k == "step_started")
        .map(|(s, _)| s.to_owned())
        .collect()
}

/// The process group a refused re-run names ("… process group 123, …").
fn survivor_named(text: &str) -> Option<i32> {
    let rest = text
        .split("still running outside stepwise (process group ")
        .nth(1)?;
    rest.split(',').next()?.parse().ok()
}

/// Waits until no live process is left in `pgid` (zombies do not count).
fn wait_group_gone(pgid: i32, context: &str) {
    let start = Instant::now();
    while stepwise::engine::process::survivor::group_alive(pgid) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{context}: group {pgid} never ended"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Resumes until the session completes; returns the steps stepwise asked a
/// decision about (outcome unknown or failed), in order.
fn resume_until_complete(s: &Scenario, context: &str) -> Vec<String> {
    let mut asked = Vec::new();
    for _ in 0..12 {
        let mut c = s.stepwise();
        c.args(["resume", "--headless"]);
        for a in ANSWERS {
            c.args(["--answer", a]);
        }
        for step in &asked {
            c.args(["--answer", &format!("{step}=rerun")]);
        }
        let out = c.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if let Some(pgid) = survivor_named(&text) {
            // The killed stepwise's step still runs (its own process
            // group): a re-run is refused until it ends, as it should be.
            // Wait for it, as an operator would, and ask again.
            wait_group_gone(pgid, context);
            continue;
        }
        match out.status.code() {
            Some(0) => return asked,
            Some(3 | 4) => {
                let step = text
                    .split("--answer ")
                    .nth(1)
                    .and_then(|t| t.split('=').next())
                    .unwrap_or_else(|| panic!("{context}: no step named in:\n{text}"))
                    .to_owned();
                assert!(!asked.contains(&step), "{context}: asked twice:\n{text}");
                asked.push(step);
            }
            _ => {
                let ps = Command::new("sh").arg("-c").arg("ps -ef | grep -v grep | grep -E 'stepwise|sleep|bash'; cat /proc/locks; ls -l /proc/*/fd 2>/dev/null | grep lock").output().unwrap();
                panic!(
                    "{context}: resume failed:\n{text}\n{}",
                    String::from_utf8_lossy(&ps.stdout)
                )
            }
        }
    }
    panic!("{context}: the session never completed");
}

/// The log of each attempt: an intact prefix of one of the step's possible
/// outputs (whole when the attempt exited), starting with every line shown
/// before the kill.
fn check_logs(
    dir: &Path,
    records: &[Rec],
    shown: &BTreeMap<(String, u64), Vec<String>>,
    ctx: &str,
) {
    let exited: BTreeSet<(String, u64)> = records
        .iter()
        .filter(|r| r.kind == "step_exited")
        .map(|r| (r.step.clone().unwrap(), r.attempt.unwrap()))
        .collect();
    for r in records.iter().filter(|r| r.kind == "step_started") {
        let (step, attempt) = (r.step.clone().unwrap(), r.attempt.unwrap());
        let log_path = dir.join(r.value["log"].as_str().unwrap());
        let whole = exited.contains(&(step.clone(), attempt));
        let key = (step.clone(), attempt);
        let log = match std::fs::read(&log_path) {
            Ok(log) => String::from_utf8(log).expect("a log with broken bytes"),
            // Killed between "step started" and the log's creation: the step
            // never ran, so nothing can have been written or shown.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !whole => {
                assert!(!shown.contains_key(&key), "{ctx}: shown output, no log");
                String::new()
            }
            Err(e) => panic!("{ctx}: {}: {e}", log_path.display()),
        };
        let fits = expected_outputs(&step).iter().any(|full| {
            if whole {
                *full == log
            } else {
                full.starts_with(&log)
            }
        });
        assert!(
            fits,
            "{ctx}: log of {step}.{attempt} (exited: {whole}) is {log:?}"
        );
        for (i, line) in shown.get(&key).into_iter().flatten().enumerate() {
            assert_eq!(
                log.lines().nth(i),
                Some(line.as_str()),
                "{ctx}: {step}.{attempt} showed a line its log lacks"
            );
        }
        let recorded: u64 = records
            .iter()
            .filter(|o| o.kind == "output_recorded" && o.step.as_ref() == Some(&step))
            .filter(|o| o.attempt == Some(attempt))
            .map(|o| o.value["offset"].as_u64().unwrap() + o.value["len"].as_u64().unwrap())
            .max()
            .unwrap_or(0);
        assert!(
            recorded <= log.len() as u64,
            "{ctx}: the journal claims output the log of {step}.{attempt} lacks"
        );
    }
}

/// Output lines stepwise showed, by attempt (`    step | text`).
fn shown_by_attempt(lines: &[String]) -> BTreeMap<(String, u64), Vec<String>> {
    let mut out: BTreeMap<(String, u64), Vec<String>> = BTreeMap::new();
    let mut current: BTreeMap<String, u64> = BTreeMap::new();
    for l in lines {
        if let Some(rest) = l.split("] ▶ ").nth(1) {
            let (step, tail) = rest.split_once(" (attempt ").unwrap();
            let n: u64 = tail.split(')').next().unwrap().parse().unwrap();
            current.insert(step.to_owned(), n);
        } else if let Some((step, text)) = l.trim_start().split_once(" | ") {
            let attempt = current[step];
            out.entry((step.to_owned(), attempt))
                .or_default()
                .push(text.to_owned());
        }
    }
    out
}

/// One kill point, end to end.
fn crash_once(after_lines: usize, delay: Duration) {
    let ctx = format!("kill after line {after_lines} + {delay:?}");
    let s = Scenario::new();
    let (shown, killed) = run_and_kill(&s, after_lines, delay);
    let before = s.session_dir().map(|d| journal(&d)).unwrap_or_default();
    let running = running_steps(&before);
    if s.session_dir().is_none() || before.is_empty() {
        // Killed before the session existed: nothing to resume; start again.
        let out = s.run_cmd().output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{ctx}: a fresh run failed");
    } else if !before.iter().any(|r| r.kind == "session_completed") {
        assert!(killed, "{ctx}: the run ended on its own, unfinished");
        let asked = resume_until_complete(&s, &ctx);
        for step in &asked {
            let failed = step == "flaky" && !running.contains(step);
            assert!(
                running.contains(step) || failed,
                "{ctx}: asked about {step}, running were {running:?}"
            );
        }
    }
    let dir = s.session_dir().unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(s.home().join("sessions"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "{ctx}: a half-made session was left: {leftovers:?}"
    );
    let after = journal(&dir);
    assert!(
        after.iter().any(|r| r.kind == "session_completed"),
        "{ctx}: not completed"
    );
    for step in HUMAN {
        let n = after
            .iter()
            .filter(|r| r.kind == "human_confirmed" && r.step.as_deref() == Some(step))
            .count();
        assert_eq!(n, 1, "{ctx}: {step} confirmed {n} times");
    }
    let unknown: Vec<&String> = after
        .iter()
        .filter(|r| r.kind == "outcome_unknown")
        .filter_map(|r| r.step.as_ref())
        .collect();
    for step in &unknown {
        assert!(running.contains(*step), "{ctx}: {step} was not running");
    }
    assert_eq!(
        unknown.len(),
        running.len(),
        "{ctx}: {running:?} vs {unknown:?}"
    );
    check_logs(&dir, &after, &shown_by_attempt(&shown), &ctx);
}

fn kill_points() -> usize {
    std::env::var("STEPWISE_SOAK_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
}

#[test]
fn sigkill_at_every_point_then_resume_loses_nothing() {
    // A full run, to know how many lines it prints.
    let s = Scenario::new();
    let out = s.run_cmd().output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let total = String::from_utf8_lossy(&out.stdout).lines().count();
    let started = Instant::now();
    let kills = kill_points();
    for k in 0..kills {
        let line = k % (total + 1);
        let delay = Duration::from_millis(7 * (k / (total + 1)) as u64);
        crash_once(line, delay);
    }
    eprintln!("{kills} kill points in {:?}", started.elapsed());
}
