//! Crash at every point: the real binary is killed with SIGKILL at many
//! moments of a session whose steps print continuously (a line every
//! 50 ms, then a marker file): during output, between steps, during a
//! retry delay, during a `tty: true` step. Then it is resumed headless
//! until the session completes.
//!
//! Each step's monitor holds it, so stepwise's death must change nothing
//! for the step. After every kill the test checks: every step ran to its
//! end exactly as often as it should (every marker written, none twice);
//! every attempt's log is byte-identical to what the step printed, with
//! the secret masked; no "outcome unknown" at all (no monitor dies here;
//! an attempt stepwise was killed before its monitor ran is journalled as
//! never started, has no log and runs again); every exit code in the
//! journal equals the step's real one, told by what the step printed (the
//! monitor's exit file is gone once the journal has the exit); no human
//! confirmation lost or repeated.
//!
//! Kill moments: spread evenly over a full run's duration. 20 points by
//! default; `STEPWISE_SOAK_KILLS=200 cargo test --test crash_points` runs
//! a longer soak.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNBOOK: &str = r#"runbook: 1
id: crash
title: Crash points
inputs:
  TOKEN: { secret: true }
sections:
  - title: Before
    steps:
      - title: Stream
        run: |
          for i in $(seq 1 60); do echo "stream $i/60"; if [ $i = 30 ]; then echo "token $TOKEN"; fi; sleep 0.05; done
          echo run >> "$MARKERS/stream"
      - title: Look around
        instructions: Check the dashboard.
      - title: Flaky
        run: |
          for i in $(seq 1 10); do echo "flaky $i"; sleep 0.05; done
          echo run >> "$MARKERS/flaky"
          if [ "$(wc -l < "$MARKERS/flaky")" -ge 2 ]; then echo "flaky ok"; else echo "flaky fails once"; exit 1; fi
        retry: { attempts: 2, delay: 1s }
      - title: Terminal
        tty: true
        run: |
          for i in $(seq 1 20); do echo "tty $i"; sleep 0.05; done
          echo run >> "$MARKERS/terminal"
  - title: After
    steps:
      - title: Version
        run: echo v9.8.7
        capture: VERSION
      - title: Approve
        note: required
      - title: Use version
        run: |
          for i in $(seq 1 20); do echo "deploy $VERSION $i"; sleep 0.05; done
          echo run >> "$MARKERS/use-version"
"#;

const TOKEN: &str = "tok-3141592653";
const HUMAN: [&str; 2] = ["look-around", "approve"];
const ANSWERS: [&str; 2] = ["look-around=done", "approve=done:approved"];
/// How many times each step with a marker runs to its end.
const RUNS: [(&str, usize); 4] = [
    ("stream", 1),
    ("flaky", 2),
    ("terminal", 1),
    ("use-version", 1),
];

/// Every full output a step may print, one per possible path through it.
fn expected_outputs(step: &str) -> Vec<String> {
    let lines =
        |v: Vec<String>, end: &str| v.iter().map(|l| format!("{l}{end}")).collect::<String>();
    match step {
        "stream" => {
            let mut v: Vec<String> = (1..=60).map(|i| format!("stream {i}/60")).collect();
            v.insert(30, "token ••••••".to_owned());
            vec![lines(v, "\n")]
        }
        "flaky" => ["flaky fails once", "flaky ok"]
            .iter()
            .map(|end| {
                let mut v: Vec<String> = (1..=10).map(|i| format!("flaky {i}")).collect();
                v.push((*end).to_owned());
                lines(v, "\n")
            })
            .collect(),
        "terminal" => vec![lines(
            (1..=20).map(|i| format!("tty {i}")).collect(),
            "\r\n",
        )],
        "version" => vec!["v9.8.7\n".to_owned()],
        "use-version" => vec![lines(
            (1..=20).map(|i| format!("deploy v9.8.7 {i}")).collect(),
            "\n",
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
        std::fs::create_dir(dir.path().join("markers")).unwrap();
        Scenario { dir }
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn stepwise(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_stepwise"));
        c.env("STEPWISE_HOME", self.home())
            .env("MARKERS", self.dir.path().join("markers"))
            .env("STEPWISE_VAR_TOKEN", TOKEN)
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

/// Runs stepwise and kills it `after` its start. Returns the lines it
/// printed before the kill, and whether it was killed (not ended).
fn run_and_kill(s: &Scenario, after: Duration) -> (Vec<String>, bool) {
    let mut child = s.run_cmd().stdout(Stdio::piped()).spawn().unwrap();
    let out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(out)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<String>>()
    });
    let deadline = Instant::now() + after;
    while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(5));
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
    // The step's monitor does not hold stepwise's stdout: the reader ends.
    (reader.join().unwrap(), killed)
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
            _ => panic!("{context}: resume failed:\n{text}"),
        }
    }
    panic!("{context}: the session never completed");
}

/// The log of each attempt: byte-identical to one of the step's possible
/// outputs (every attempt runs to its end under its monitor), and holding
/// every line stepwise showed before the kill. An attempt journalled as
/// never started (stepwise killed before its monitor ran it) has no log.
/// Each exit in the journal is the step's real one.
fn check_logs(
    dir: &Path,
    records: &[Rec],
    shown: &BTreeMap<(String, u64), Vec<String>>,
    ctx: &str,
) {
    for r in records.iter().filter(|r| r.kind == "step_started") {
        let (step, attempt) = (r.step.clone().unwrap(), r.attempt.unwrap());
        let log_path = dir.join(r.value["log"].as_str().unwrap());
        let key = (step.clone(), attempt);
        let never = records
            .iter()
            .any(|n| n.kind == "step_not_started" && n.step == r.step && n.attempt == r.attempt);
        if never {
            assert!(
                !log_path.exists(),
                "{ctx}: {step}.{attempt} never started, has a log"
            );
            assert!(
                !shown.contains_key(&key),
                "{ctx}: {step}.{attempt} never started, showed output"
            );
            continue;
        }
        let log = match std::fs::read(&log_path) {
            Ok(log) => String::from_utf8(log).expect("a log with broken bytes"),
            Err(e) => panic!("{ctx}: {}: {e}", log_path.display()),
        };
        assert!(
            expected_outputs(&step).contains(&log),
            "{ctx}: log of {step}.{attempt} is {log:?}"
        );
        assert!(!log.contains(TOKEN), "{ctx}: the secret reached the log");
        for (i, line) in shown.get(&key).into_iter().flatten().enumerate() {
            assert_eq!(
                log.lines().nth(i).map(|l| l.trim_end_matches('\r')),
                Some(line.as_str()),
                "{ctx}: {step}.{attempt} showed a line its log lacks"
            );
        }
        let recorded: u64 = records
            .iter()
            .filter(|o| o.kind == "output_recorded" && o.step.as_ref() == Some(&step))
            .filter(|o| o.attempt == Some(attempt))
            .map(|o| o.value["len"].as_u64().unwrap())
            .sum();
        assert_eq!(
            recorded,
            log.len() as u64,
            "{ctx}: the journal's output records of {step}.{attempt} do not cover its log"
        );
        let exited = records
            .iter()
            .find(|e| e.kind == "step_exited" && e.step == r.step && e.attempt == r.attempt)
            .unwrap_or_else(|| panic!("{ctx}: {step}.{attempt} has no exit"));
        // The step's real exit code, from what it printed (its log is one
        // of the full outputs checked above).
        let real = if log.contains("flaky fails once") {
            1
        } else {
            0
        };
        assert_eq!(
            exited.value["exit"]["code"],
            serde_json::json!(real),
            "{ctx}: {step}.{attempt}: the journal's exit is not the step's"
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
                .push(text.trim_end_matches('\r').to_owned());
        }
    }
    out
}

/// What was going on when stepwise was killed, from the journal's tail.
fn phase(records: &[Rec]) -> &'static str {
    let running = running_steps(records);
    if running.contains("terminal") {
        return "tty step";
    }
    if !running.is_empty() {
        return "output";
    }
    match records.iter().rev().find(|r| r.kind != "output_recorded") {
        Some(r) if r.kind == "retry_scheduled" => "retry delay",
        _ => "between steps",
    }
}

/// One kill point, end to end; what was going on at the kill.
fn crash_once(after: Duration) -> &'static str {
    let ctx = format!("kill after {after:?}");
    let s = Scenario::new();
    let (shown, killed) = run_and_kill(&s, after);
    let before = s.session_dir().map(|d| journal(&d)).unwrap_or_default();
    let running = running_steps(&before);
    let at = phase(&before);
    if s.session_dir().is_none() || before.is_empty() {
        // Killed before the session existed: nothing to resume; start again.
        let out = s.run_cmd().output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{ctx}: a fresh run failed");
    } else if !before.iter().any(|r| r.kind == "session_completed") {
        assert!(killed, "{ctx}: the run ended on its own, unfinished");
        let asked = resume_until_complete(&s, &ctx);
        for step in &asked {
            // Only the failed first attempt of `flaky` (killed in its retry
            // delay) is asked about; never a step whose monitor lived.
            assert_eq!(step, "flaky", "{ctx}: asked about {step}");
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
    let after_kill = journal(&dir);
    assert!(
        after_kill.iter().any(|r| r.kind == "session_completed"),
        "{ctx}: not completed"
    );
    for step in HUMAN {
        let n = after_kill
            .iter()
            .filter(|r| r.kind == "human_confirmed" && r.step.as_deref() == Some(step))
            .count();
        assert_eq!(n, 1, "{ctx}: {step} confirmed {n} times");
    }
    // No monitor dies here: no outcome is ever unknown.
    if let Some(r) = after_kill.iter().find(|r| r.kind == "outcome_unknown") {
        let step = r.step.as_ref().unwrap();
        panic!("{ctx}: outcome unknown for {step} though its monitor was never killed");
    }
    for r in after_kill.iter().filter(|r| r.kind == "step_not_started") {
        let step = r.step.as_ref().unwrap();
        assert!(running.contains(step), "{ctx}: {step} was not running");
    }
    for (step, runs) in RUNS {
        let marker = s.dir.path().join("markers").join(step);
        let n = std::fs::read_to_string(&marker)
            .unwrap_or_default()
            .lines()
            .count();
        assert_eq!(
            n, runs,
            "{ctx}: {step} ran to its end {n} times, not {runs}"
        );
    }
    check_logs(&dir, &after_kill, &shown_by_attempt(&shown), &ctx);
    at
}

fn kill_points() -> usize {
    std::env::var("STEPWISE_SOAK_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
}

/// Where each phase of a finished run was, as a time after stepwise's
/// start (`spawned`, the wall clock then): the middle of the tty step,
/// of the retry delay and of the streaming step.
fn phase_middles(
    dir: &Path,
    spawned: chrono::DateTime<chrono::Utc>,
) -> Vec<(&'static str, Duration)> {
    let records = journal(dir);
    let at = |kind: &str, step: &str, nth: usize| {
        let r = records
            .iter()
            .filter(|r| r.kind == kind && r.step.as_deref() == Some(step))
            .nth(nth)?;
        let t: chrono::DateTime<chrono::Utc> = r.value["at"].as_str()?.parse().ok()?;
        (t - spawned).to_std().ok()
    };
    let middle = |from: Option<Duration>, to: Option<Duration>| Some((from? + to?) / 2);
    [
        (
            "tty step",
            middle(
                at("step_started", "terminal", 0),
                at("step_exited", "terminal", 0),
            ),
        ),
        (
            "retry delay",
            middle(
                at("retry_scheduled", "flaky", 0),
                at("step_started", "flaky", 1),
            ),
        ),
        (
            "output",
            middle(
                at("step_started", "stream", 0),
                at("step_exited", "stream", 0),
            ),
        ),
    ]
    .into_iter()
    .filter_map(|(phase, mid)| Some((phase, mid?)))
    .collect()
}

#[test]
fn sigkill_at_every_point_then_resume_loses_nothing() {
    // A full run, to know how long it lasts and where its phases are.
    let s = Scenario::new();
    let spawned = chrono::Utc::now();
    let begun = Instant::now();
    let out = s.run_cmd().output().unwrap();
    let full = begun.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let kills = kill_points();
    let mut phases: BTreeMap<&str, usize> = BTreeMap::new();
    for k in 0..kills {
        let at = full.mul_f64((k as f64 + 0.5) / kills as f64);
        *phases.entry(crash_once(at)).or_default() += 1;
    }
    // A phase the even points missed (this run was slower or quicker
    // than the first) gets one kill in its middle, as the first run had it.
    for (phase, middle) in phase_middles(&s.session_dir().unwrap(), spawned) {
        if !phases.contains_key(phase) {
            *phases.entry(crash_once(middle)).or_default() += 1;
        }
    }
    eprintln!("{kills} kill points over a {full:?} run: {phases:?}");
    for phase in ["output", "tty step", "retry delay"] {
        assert!(
            phases.contains_key(phase),
            "no kill fell in: {phase} ({phases:?})"
        );
    }
}
