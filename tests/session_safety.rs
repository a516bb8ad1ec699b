//! Session safety with the real binary: the session lock, file permissions
//! under `umask 000`, signals (SIGTERM, SIGINT, SIGHUP) during a step, a
//! full disk, and a torn or damaged journal. Waits poll with deadlines; no
//! fixed sleeps stand in for something that can be awaited.

use std::io::BufRead;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[path = "support/cli.rs"]
mod cli;
#[path = "support/tmpfs.rs"]
mod tmpfs;
use cli::{session_dirs, stepwise, text};
use tmpfs::Tmpfs;

fn only_session(home: &Path) -> PathBuf {
    let dirs = session_dirs(home);
    assert_eq!(dirs.len(), 1, "expected one session: {dirs:?}");
    dirs[0].clone()
}

fn journal_text(home: &Path) -> String {
    std::fs::read_to_string(only_session(home).join("journal.jsonl")).unwrap()
}

/// Writes a runbook with the given steps (`(title, run)`; `run` empty = human).
fn runbook(dir: &Path, id: &str, steps: &[(&str, &str)]) -> PathBuf {
    let mut y = format!("runbook: 1\nid: {id}\ntitle: {id}\nsections:\n  - title: S\n    steps:\n");
    for (title, run) in steps {
        y.push_str(&format!("      - title: {title}\n"));
        if !run.is_empty() {
            y.push_str(&format!(
                "        run: {}\n",
                serde_json::to_string(run).unwrap()
            ));
        }
    }
    let path = dir.join(format!("{id}.yaml"));
    std::fs::write(&path, y).unwrap();
    path
}

/// A headless run in the background, its stdout lines readable with a deadline.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: String,
}

impl Running {
    fn start(home: &Path, rb: &Path, extra: &[&str]) -> Running {
        Running::start_with_stdin(home, rb, extra, Stdio::null())
    }

    fn start_with_stdin(home: &Path, rb: &Path, extra: &[&str], stdin: Stdio) -> Running {
        let mut child = stepwise(home)
            .args(["run", "--headless", "--trust"])
            .args(extra)
            .arg(rb)
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Running {
            child,
            lines,
            seen: String::new(),
        }
    }

    /// Waits (at most 60 s) for a stdout line containing `marker`; returns it.
    fn wait_for_line(&mut self, marker: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push_str(&l);
                    self.seen.push('\n');
                    if l.contains(marker) {
                        return l;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = self.child.kill();
        panic!("no line with `{marker}` in time; saw:\n{}", self.seen);
    }

    fn signal(&self, sig: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, sig).unwrap();
    }

    /// Waits for the process to exit within `limit`; returns code and stderr.
    fn wait_exit(mut self, limit: Duration) -> (Option<i32>, String) {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut err = String::new();
                if let Some(mut e) = self.child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(5)) {
                    self.seen.push_str(&l);
                    self.seen.push('\n');
                }
                return (status.code(), format!("{}{err}", self.seen));
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "stepwise did not exit within {limit:?}; saw:\n{}",
                    self.seen
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Alive means present in /proc and not a zombie.
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat[stat.rfind(')').unwrap() + 1..]
                .split_whitespace()
                .next();
            !matches!(state, Some("Z") | Some("X"))
        }
        Err(_) => false,
    }
}

fn wait_gone(pid: i32, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    !alive(pid)
}

fn kill_quietly(pid: i32) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    );
}

/// The pid printed by a step as `<step> | <pid>`.
fn printed_pid(line: &str) -> i32 {
    line.rsplit(' ').next().unwrap().trim().parse().unwrap()
}

// ---------------------------------------------------------------- the lock

#[test]
fn the_lock_refuses_a_second_process_and_is_free_after_sigkill() {
    let home = tempfile::tempdir().unwrap();
    let rb = runbook(
        home.path(),
        "locked",
        &[
            ("Hold", "echo $$; exec sleep 1000"),
            ("After", "echo after"),
        ],
    );
    let mut run = Running::start(home.path(), &rb, &[]);
    let step_pid = printed_pid(&run.wait_for_line("hold | "));
    let holder = run.child.id();
    let id = only_session(home.path())
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let second = stepwise(home.path())
        .args(["resume", "--headless", &id])
        .output()
        .unwrap();
    let t = text(&second);
    assert_eq!(second.status.code(), Some(2), "{t}");
    assert!(t.contains("another stepwise process"), "{t}");
    assert!(t.contains(&format!("pid {holder}")), "names the pid: {t}");
    let host = nix::unistd::gethostname().unwrap().into_string().unwrap();
    assert!(t.contains(&host), "names the host: {t}");

    run.child.kill().unwrap();
    run.child.wait().unwrap();
    // The step ran in its own session: a SIGKILLed stepwise cannot end it.
    kill_quietly(step_pid);
    let resumed = stepwise(home.path())
        .args(["resume", "--headless", &id, "--answer", "hold=skip:killed"])
        .output()
        .unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed));
}

// ---------------------------------------------------------- permissions

fn check_private(path: &Path, bad: &mut Vec<String>) {
    let meta = std::fs::symlink_metadata(path).unwrap();
    let mode = meta.permissions().mode() & 0o777;
    let want = if meta.is_dir() { 0o700 } else { 0o600 };
    if mode != want {
        bad.push(format!("{} is {mode:o}, want {want:o}", path.display()));
    }
    if meta.is_dir() {
        for e in std::fs::read_dir(path).unwrap() {
            check_private(&e.unwrap().path(), bad);
        }
    }
}

fn under_umask_000(home: &Path, args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("umask 000; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_stepwise"))
        .args(args)
        .env("STEPWISE_HOME", home)
        .output()
        .unwrap()
}

#[test]
fn every_folder_is_0700_and_every_file_0600_under_umask_000() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let transcripts = tmp.path().join("transcripts");
    let rb = runbook(
        tmp.path(),
        "perms",
        &[
            ("Out", "echo out; echo err >&2"),
            ("Fail", "exit 1"),
            ("Later", "echo later"),
        ],
    );
    let rb_s = rb.to_str().unwrap();
    let tdir = transcripts.to_str().unwrap();
    let first = under_umask_000(
        &home,
        &[
            "run",
            "--headless",
            "--trust",
            "--transcript-dir",
            tdir,
            rb_s,
        ],
    );
    assert_eq!(first.status.code(), Some(3), "{}", text(&first));
    let second = under_umask_000(
        &home,
        &[
            "resume",
            "--headless",
            "--transcript-dir",
            tdir,
            "--answer",
            "fail=rerun",
        ],
    );
    assert_eq!(second.status.code(), Some(3), "{}", text(&second));
    let third = under_umask_000(
        &home,
        &[
            "resume",
            "--headless",
            "--transcript-dir",
            tdir,
            "--answer",
            "fail=skip:test",
        ],
    );
    assert_eq!(third.status.code(), Some(0), "{}", text(&third));
    let mut bad = Vec::new();
    check_private(&home, &mut bad);
    assert!(home.join("trusted.json").is_file());
    let logs = std::fs::read_dir(only_session(&home).join("output"))
        .unwrap()
        .count();
    assert!(logs >= 3, "expected a log per attempt, found {logs}");
    for e in std::fs::read_dir(&transcripts).unwrap() {
        let p = e.unwrap().path();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        if mode != 0o600 {
            bad.push(format!("{} is {mode:o}, want 600", p.display()));
        }
    }
    assert!(bad.is_empty(), "not private:\n{}", bad.join("\n"));
}

// -------------------------------------------------------------- signals

/// SIGTERM or SIGINT while a step waits on a background grandchild.
fn a_stopping_signal_ends_the_step_group(sig: nix::sys::signal::Signal) {
    let home = tempfile::tempdir().unwrap();
    let rb = runbook(
        home.path(),
        "sig",
        &[
            ("Wait", "sleep 1000 & echo $!; wait"),
            ("After", "echo after"),
        ],
    );
    let mut run = Running::start(home.path(), &rb, &[]);
    let grandchild = printed_pid(&run.wait_for_line("wait | "));
    assert!(alive(grandchild));
    run.signal(sig);
    // Grace period (5 s) + 1 s.
    let gone = wait_gone(grandchild, Duration::from_secs(6));
    kill_quietly(grandchild);
    assert!(gone, "the grandchild {grandchild} survived {sig:?}");
    let (code, out) = run.wait_exit(Duration::from_secs(30));
    assert_eq!(code, Some(130), "{out}");
    let journal = journal_text(home.path());
    assert!(journal.contains("\"type\":\"interrupted\""), "{journal}");
    assert!(journal.contains(&format!("{sig:?}")), "{journal}");
    assert!(journal.contains("\"type\":\"step_cancelled\""), "{journal}");
    assert!(
        !journal.contains("\"step\":\"after\""),
        "no new step: {journal}"
    );
    let resumed = stepwise(home.path())
        .args([
            "resume",
            "--headless",
            "--answer",
            "wait=skip:interrupted in a test",
        ])
        .output()
        .unwrap();
    let t = text(&resumed);
    assert_eq!(resumed.status.code(), Some(0), "{t}");
    assert!(t.contains("after | after"), "{t}");
}

#[test]
fn sigterm_ends_the_running_steps_process_group_and_exits_130() {
    a_stopping_signal_ends_the_step_group(nix::sys::signal::Signal::SIGTERM);
}

#[test]
fn sigint_ends_the_running_steps_process_group_and_exits_130() {
    a_stopping_signal_ends_the_step_group(nix::sys::signal::Signal::SIGINT);
}

#[test]
fn sighup_leaves_the_running_step_running_starts_nothing_new_and_resume_takes_it_up() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let go = dir.path().join("go");
    let first = format!(
        "echo waiting; while [ ! -e '{}' ]; do sleep 0.05; done; echo finished",
        go.display()
    );
    let rb = runbook(
        home.path(),
        "hup",
        &[("First", first.as_str()), ("Second", "echo second")],
    );
    let mut run = Running::start(home.path(), &rb, &[]);
    run.wait_for_line("first | waiting");
    run.signal(nix::sys::signal::Signal::SIGHUP);
    // stepwise exits at once, journalling the interruption; the step is
    // left to its monitor, still running.
    let (code, out) = run.wait_exit(Duration::from_secs(30));
    assert_eq!(code, Some(130), "{out}");
    let journal = journal_text(home.path());
    assert!(journal.contains("\"type\":\"interrupted\""), "{journal}");
    assert!(!journal.contains("\"type\":\"step_exited\""), "{journal}");
    assert!(
        !journal.contains("\"type\":\"step_cancelled\""),
        "{journal}"
    );
    assert!(
        !journal
            .lines()
            .any(|l| l.contains("\"type\":\"step_started\"") && l.contains("\"step\":\"second\"")),
        "a new step started after SIGHUP: {journal}"
    );
    std::fs::write(&go, "").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .env("STEPWISE_HOME", home.path())
        .args(["resume", "--headless"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("first | finished"), "{text}");
    let journal = journal_text(home.path());
    let exited = journal
        .lines()
        .find(|l| l.contains("\"type\":\"step_exited\"") && l.contains("\"step\":\"first\""))
        .unwrap_or_else(|| panic!("no step_exited for first: {journal}"));
    assert!(exited.contains("\"success\":true"), "{exited}");
    assert!(
        journal.contains("\"type\":\"step_reattached\""),
        "{journal}"
    );
}

#[test]
fn sigterm_while_waiting_for_a_typed_answer_exits_130() {
    let home = tempfile::tempdir().unwrap();
    let rb = runbook(
        home.path(),
        "typed",
        &[("Ask me", ""), ("Later", "echo later")],
    );
    let mut run = Running::start_with_stdin(home.path(), &rb, &[], Stdio::piped());
    // Keep stdin open and silent: stepwise blocks waiting for an answer.
    let _keep_open = run.child.stdin.take();
    run.wait_for_line("? ask-me");
    run.signal(nix::sys::signal::Signal::SIGTERM);
    let (code, out) = run.wait_exit(Duration::from_secs(30));
    assert_eq!(code, Some(130), "{out}");
    assert!(journal_text(home.path()).contains("\"type\":\"interrupted\""));
}

// ------------------------------------------------------------ disk full

#[test]
fn a_full_disk_stops_the_session_naming_the_path_and_resume_works_after() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let Some(disk) = Tmpfs::mount(&home, "1m") else {
        return;
    };
    let rb = runbook(
        tmp.path(),
        "full",
        &[
            ("Before", "echo before"),
            (
                "Flood",
                "head -c 3000000 /dev/zero | tr '\\0' x; echo; echo flooded",
            ),
            ("After", "echo after"),
        ],
    );
    let out = stepwise(&home)
        .args(["run", "--headless", "--trust"])
        .arg(&rb)
        .output()
        .unwrap();
    let t = text(&out);
    assert_ne!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("error:") && t.contains(home.to_str().unwrap()),
        "the error names the path: {t}"
    );
    assert!(t.contains("No space left on device"), "{t}");
    let dir = only_session(&home);
    let loaded = stepwise::session::journal::read(&dir.join("journal.jsonl"))
        .expect("the journal still loads");
    let kinds: Vec<String> = loaded
        .records
        .iter()
        .map(|r| serde_json::to_value(&r.event).unwrap()["type"].to_string())
        .collect();
    assert!(kinds.iter().any(|k| k.contains("session_started")));
    assert!(
        loaded.records.iter().any(|r| matches!(&r.event,
            stepwise::session::event::Event::StepExited { step, success: true, .. } if step == "before")),
        "the step before the flood is recorded: {kinds:?}"
    );
    assert!(
        !loaded.records.iter().any(|r| matches!(&r.event,
            stepwise::session::event::Event::StepStarted { step, .. } if step == "after")),
        "no step starts after the write failed: {kinds:?}"
    );
    disk.grow("16m");
    let resumed = stepwise(&home)
        .args([
            "resume",
            "--headless",
            "--answer",
            "flood=done:output checked by hand",
        ])
        .output()
        .unwrap();
    let t = text(&resumed);
    assert_eq!(resumed.status.code(), Some(0), "{t}");
    assert!(t.contains("after | after"), "{t}");
}

// -------------------------------------------------------- torn journal

/// A session stopped waiting for a human, whose journal has a line with a
/// multi-byte character near its end.
fn stopped_session(home: &Path) -> PathBuf {
    let rb = runbook(
        home,
        "torn",
        &[("Echo", "echo one"), ("Ask", ""), ("Last", "echo last")],
    );
    let out = stepwise(home)
        .args(["run", "--headless", "--trust"])
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let out = stepwise(home)
        .args(["resume", "--headless"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    only_session(home).join("journal.jsonl")
}

/// Appends a note line with "ü" (as a torn last write) and truncates in it.
fn tear(journal: &Path, mid_utf8: bool) -> Vec<u8> {
    let full = std::fs::read(journal).unwrap();
    let seq = full.iter().filter(|&&b| b == b'\n').count() + 1;
    let line = format!(
        "{{\"seq\":{seq},\"at\":\"2026-01-01T00:00:00Z\",\"type\":\"note_added\",\"text\":\"grüße\"}}"
    );
    let mut torn = full.clone();
    let cut = if mid_utf8 {
        line.find('ü').unwrap() + 1
    } else {
        line.find("note_added").unwrap() + 4
    };
    torn.extend_from_slice(&line.as_bytes()[..cut]);
    std::fs::write(journal, &torn).unwrap();
    full
}

fn torn_tail_recovers(mid_utf8: bool) {
    let home = tempfile::tempdir().unwrap();
    let journal = stopped_session(home.path());
    let intact = tear(&journal, mid_utf8);
    let out = stepwise(home.path())
        .args(["resume", "--headless", "--answer", "ask=done:all good"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        err.contains("warning:") && err.contains("cut short"),
        "{err}"
    );
    let after = std::fs::read(&journal).unwrap();
    assert!(after.starts_with(&intact), "the intact part was changed");
    let loaded = stepwise::session::journal::read(&journal).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert!(String::from_utf8_lossy(&after).contains("session_completed"));
}

#[test]
fn a_journal_torn_mid_line_is_recovered_with_a_warning() {
    torn_tail_recovers(false);
}

#[test]
fn a_journal_torn_mid_utf8_character_is_recovered_with_a_warning() {
    torn_tail_recovers(true);
}

#[test]
fn a_damaged_middle_line_is_refused_by_number_and_left_byte_identical() {
    let home = tempfile::tempdir().unwrap();
    let journal = stopped_session(home.path());
    let text_before = std::fs::read_to_string(&journal).unwrap();
    let mut lines: Vec<String> = text_before.lines().map(str::to_owned).collect();
    assert!(lines.len() > 4);
    lines[2] = lines[2].replacen("\"seq\":", "\"seq\":x", 1);
    let damaged = format!("{}\n", lines.join("\n"));
    std::fs::write(&journal, &damaged).unwrap();
    let out = stepwise(home.path())
        .args(["resume", "--headless", "--answer", "ask=done:x"])
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("line 3"), "{t}");
    assert_eq!(std::fs::read(&journal).unwrap(), damaged.as_bytes());
}
