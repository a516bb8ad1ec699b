//! The step monitor through its runner (`MonitorRunner`, the real binary's
//! `__monitor` mode): the timeout is enforced with no stepwise attached,
//! cancel works after a re-attach, secrets reach the monitor only over its
//! socket, its files are private, it lets its attempt go once its exit is
//! recorded, and it runs the next attempt of its stepwise, if any.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use stepwise::engine::process::Spec;
use stepwise::engine::redact::Redactor;
use stepwise::runner::monitor::files;
use stepwise::runner::{AttemptId, MonitorRunner, Reattach, StepRunner};

#[path = "support/procs.rs"]
mod procs;
use procs::{live_children, proc_stat, sigkill, wait_until};

fn runner() -> MonitorRunner {
    MonitorRunner::new(PathBuf::from(env!("CARGO_BIN_EXE_stepwise")))
}

fn id() -> AttemptId {
    AttemptId {
        step: "s".into(),
        attempt: 1,
        target: None,
    }
}

fn spec(dir: &Path, command: &str) -> Spec {
    let argv = vec!["sh".into(), "-c".into(), command.into()];
    Spec::new(argv, dir.join("s.1.log"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_timeout_is_enforced_with_no_stepwise_attached() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = spec(dir.path(), "echo begun; sleep 30");
    // Long enough for stepwise to go before it (a loaded machine too).
    spec.timeout = Some(Duration::from_secs(2));
    spec.grace = Duration::from_millis(200);
    let log = spec.log_path.clone();
    let mut started = runner().start(&id(), spec, 8);
    started.chunks.recv().await.expect("the step printed");
    drop(started); // stepwise goes away
    assert!(
        files::read_exit(&log).is_none(),
        "the step timed out before its stepwise went"
    );
    wait_until("an exit file", || files::read_exit(&log).is_some());
    let exit = files::read_exit(&log).unwrap();
    assert!(exit.timed_out, "{exit:?}");
    assert_eq!(exit.signal, Some(15));
    wait_until("the monitor gone", || files::monitor_alive(&log).is_none());
    assert_eq!(
        runner().reattach(&id(), &log),
        Reattach::Finished {
            ended_at: exit.ended_at
        }
    );
    // A later stepwise takes the finished attempt up: output, then exit.
    let mut again = runner().attach(&id(), &log, 0, 8).expect("attachable");
    let first = again.chunks.recv().await.unwrap();
    assert_eq!(first.bytes, b"begun\n");
    let outcome = again.done.await.unwrap().unwrap();
    assert!(outcome.timed_out);
    assert_eq!(outcome.log_len, 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_works_after_a_reattach() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec(dir.path(), "echo one; sleep 0.2; echo two >&2; sleep 30");
    let log = spec.log_path.clone();
    let mut started = runner().start(&id(), spec, 8);
    let mut seen = 0;
    while seen < 8 {
        seen += started.chunks.recv().await.unwrap().bytes.len();
    }
    drop(started);
    assert!(matches!(
        runner().reattach(&id(), &log),
        Reattach::Live { .. }
    ));
    // Re-attached from offset 4: the rest comes from the log, stream kept.
    let mut again = runner().attach(&id(), &log, 4, 8).unwrap();
    let chunk = again.chunks.recv().await.unwrap();
    assert_eq!((chunk.offset, chunk.bytes.as_slice()), (4, &b"two\n"[..]));
    assert_eq!(chunk.stream, stepwise::session::event::Stream::Stderr);
    again.cancel.send(true).unwrap();
    while again.chunks.recv().await.is_some() {}
    let outcome = again.done.await.unwrap().unwrap();
    assert!(outcome.cancelled, "{outcome:?}");
    wait_until("the monitor gone", || files::monitor_alive(&log).is_none());
    assert_eq!(only_files(dir.path()), ["s.1.exit", "s.1.log", "s.1.pid"]);
}

/// The names in `dir`, sorted: the monitor leaves no socket file.
fn only_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_reach_the_monitor_only_over_its_socket_and_its_files_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "hunter2-monitor-secret";
    // The step waits for the gate, so the monitor is there to look at.
    let gate = tempfile::tempdir().unwrap();
    let go = gate.path().join("go");
    let command = format!(
        "echo \"token $TOKEN\"; n=0; while [ ! -e '{}' ] && [ $n -lt 6000 ]; do sleep 0.01; n=$((n+1)); done",
        go.display()
    );
    let mut spec = spec(dir.path(), &command);
    spec.env = vec![("TOKEN".into(), secret.into())];
    spec.redactor = Arc::new(Redactor::new([secret]));
    let log = spec.log_path.clone();
    let mut started = runner().start(&id(), spec, 8);
    let chunk = started.chunks.recv().await.unwrap();
    assert_eq!(chunk.bytes, "token ••••••\n".as_bytes());
    let pid = files::monitor_alive(&log).expect("a live monitor");
    for what in ["cmdline", "environ"] {
        let bytes = std::fs::read(format!("/proc/{pid}/{what}")).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(secret),
            "the secret is in the monitor's {what}"
        );
    }
    std::fs::write(&go, "").unwrap();
    while started.chunks.recv().await.is_some() {}
    let outcome = started.done.await.unwrap().unwrap();
    assert_eq!(outcome.exit.code, Some(0));
    // Unacknowledged, the monitor makes its exit file durable (written
    // aside, then renamed) before it goes: list the folder after that.
    wait_until("the monitor gone", || files::monitor_alive(&log).is_none());
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let entry = entry.unwrap();
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            "the secret reached {}",
            entry.path().display()
        );
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} is {mode:o}", entry.path().display());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_reach_a_tty_step_after_a_reattach() {
    use stepwise::runner::TtyInput;
    let dir = tempfile::tempdir().unwrap();
    let mut spec = spec(dir.path(), "echo ready; read line; echo \"got $line\"");
    spec.tty = true;
    spec.interactive = true;
    let log = spec.log_path.clone();
    let mut started = runner().start(&id(), spec, 8);
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("ready") {
        seen.extend(started.chunks.recv().await.expect("the prompt").bytes);
    }
    drop(started); // stepwise goes away; the step waits for its line
    assert!(matches!(
        runner().reattach(&id(), &log),
        Reattach::Live { .. }
    ));
    let mut again = runner().attach(&id(), &log, 0, 8).unwrap();
    let keys = again
        .input
        .clone()
        .expect("a re-attached attempt takes keys");
    keys.send(TtyInput::Resize {
        rows: 30,
        cols: 100,
    })
    .await
    .unwrap();
    keys.send(TtyInput::Bytes(b"hello\r".to_vec()))
        .await
        .unwrap();
    let mut out = Vec::new();
    while let Some(c) = again.chunks.recv().await {
        out.extend(c.bytes);
    }
    let outcome = again.done.await.unwrap().unwrap();
    assert_eq!(
        outcome.exit.code,
        Some(0),
        "{}",
        String::from_utf8_lossy(&out)
    );
    assert!(
        String::from_utf8_lossy(&out).contains("got hello"),
        "{}",
        String::from_utf8_lossy(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_acknowledged_exit_leaves_no_exit_file_and_lets_the_attempt_go() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec(dir.path(), "echo done; exit 4");
    let log = spec.log_path.clone();
    let r = runner();
    let mut started = r.start(&id(), spec, 8);
    while started.chunks.recv().await.is_some() {}
    let outcome = started.done.await.unwrap().unwrap();
    assert_eq!(outcome.exit.code, Some(4));
    // The engine's word that its journal has the exit durably.
    r.exit_recorded(&id());
    // The monitor lets the attempt's socket go (it may wait for another
    // attempt as a spare).
    wait_until("the attempt's monitor gone", || {
        files::monitor_alive(&log).is_none()
    });
    assert!(files::read_exit(&log).is_none(), "the journal has it");
    assert_eq!(only_files(dir.path()), ["s.1.log", "s.1.pid"]);
}

/// An exit nobody acknowledged (stepwise went right after reading it) is
/// left in the exit file for a resume.
#[tokio::test(flavor = "multi_thread")]
async fn an_exit_nobody_acknowledged_is_left_in_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec(dir.path(), "echo done; exit 5");
    let log = spec.log_path.clone();
    let r = runner();
    let mut started = r.start(&id(), spec, 8);
    while started.chunks.recv().await.is_some() {}
    let outcome = started.done.await.unwrap().unwrap();
    assert_eq!(outcome.exit.code, Some(5));
    drop(r); // stepwise goes away without a word
    wait_until("the monitor gone", || files::monitor_alive(&log).is_none());
    assert_eq!(files::read_exit(&log).expect("the exit file").code, Some(5));
}

/// The race a `kill -9` of stepwise can leave: the attempt journalled as
/// started and its spec sent, stepwise dead before the monitor ran. The
/// monitor claims the attempt, sees its stepwise gone and runs nothing;
/// the runner then says the attempt never started (a resume runs it once,
/// without a question). Deterministic: stepwise's end is closed before
/// the monitor even starts.
#[test]
fn a_monitor_whose_stepwise_went_before_it_ran_runs_nothing() {
    use std::io::Write;
    use std::os::fd::OwnedFd;
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let spec = spec(dir.path(), &format!("touch {}", marker.display()));
    let log = spec.log_path.clone();
    let json = serde_json::to_vec(&stepwise::runner::monitor::record::WireSpec::from_spec(
        &spec,
    ))
    .unwrap();
    let (mut ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
    ours.write_all(b"S").unwrap();
    ours.write_all(&(json.len() as u32).to_be_bytes()).unwrap();
    ours.write_all(&json).unwrap();
    drop(ours); // stepwise is gone, its spec sent
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .arg(files::HIDDEN_COMMAND)
        .stdin(std::process::Stdio::from(OwnedFd::from(theirs)))
        .status()
        .unwrap();
    assert!(status.success(), "{status:?}");
    assert!(!marker.exists(), "the step ran without its stepwise");
    assert_eq!(only_files(dir.path()), Vec::<String>::new());
    assert_eq!(runner().reattach(&id(), &log), Reattach::NeverStarted);
}

/// Runs attempt `n` of step `s` with `command` to its exit, which the
/// engine then records: its output, as text.
async fn run_recorded(r: &MonitorRunner, dir: &Path, n: u32, command: &str) -> String {
    let id = AttemptId { attempt: n, ..id() };
    let argv = vec!["sh".into(), "-c".into(), command.into()];
    let mut started = r.start(&id, Spec::new(argv, dir.join(format!("s.{n}.log"))), 8);
    let mut out = Vec::new();
    while let Some(c) = started.chunks.recv().await {
        out.extend_from_slice(&c.bytes);
    }
    let outcome = started.done.await.unwrap().unwrap();
    assert_eq!(outcome.exit.code, Some(0), "attempt {n}");
    r.exit_recorded(&id);
    String::from_utf8(out).unwrap()
}

/// The pid of the monitor that runs a step (the parent of its shell).
const MONITOR_PID: &str = "echo $PPID";

/// Once its exit is recorded, a step's monitor runs the next attempt (no
/// fork per step); the monitors left waiting (it, and the spare forked
/// ahead) go, with the spawner, once stepwise does.
#[tokio::test(flavor = "multi_thread")]
async fn the_monitor_of_a_recorded_step_runs_the_next_and_goes_when_stepwise_does() {
    let dir = tempfile::tempdir().unwrap();
    let r = runner();
    let first = run_recorded(&r, dir.path(), 1, MONITOR_PID).await;
    let second = run_recorded(&r, dir.path(), 2, MONITOR_PID).await;
    assert_eq!(first, second, "the second attempt had a monitor of its own");
    let monitor: i32 = first.trim().parse().unwrap();
    let log = dir.path().join("s.2.log");
    wait_until("the attempt let go", || {
        files::monitor_alive(&log).is_none()
    });
    let spawner = proc_stat(monitor).unwrap().ppid;
    wait_until("that monitor and one spare waiting", || {
        let waiting = live_children(spawner);
        waiting.len() == 2 && waiting.contains(&monitor)
    });
    drop(r); // stepwise goes
    wait_until("the monitors and the spawner gone", || {
        live_children(spawner).is_empty() && proc_stat(spawner).is_none_or(|s| !s.alive())
    });
}

/// A monitor left waiting that is gone when the next attempt comes (killed
/// here) is passed over: the attempt runs, once, under another monitor.
#[tokio::test(flavor = "multi_thread")]
async fn a_waiting_monitor_that_went_is_passed_over_and_the_step_runs_once() {
    let dir = tempfile::tempdir().unwrap();
    let r = runner();
    let first: i32 = run_recorded(&r, dir.path(), 1, MONITOR_PID)
        .await
        .trim()
        .parse()
        .unwrap();
    let spawner = proc_stat(first).unwrap().ppid;
    wait_until("the spare forked ahead", || {
        live_children(spawner).len() == 2
    });
    for pid in live_children(spawner) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGKILL).unwrap();
    }
    wait_until("both gone", || live_children(spawner).is_empty());
    let marker = dir.path().join("runs");
    let command = format!("echo x >> {}; echo $PPID", marker.display());
    let second: i32 = run_recorded(&r, dir.path(), 2, &command)
        .await
        .trim()
        .parse()
        .unwrap();
    assert_ne!(second, first);
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "x\n", "run once");
}

/// A waiting monitor that cannot claim the attempt (its socket is held:
/// here by the test) runs nothing and says so; so does the fresh one
/// asked next, and the attempt fails as not started.
#[tokio::test(flavor = "multi_thread")]
async fn a_waiting_monitor_that_cannot_claim_the_attempt_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let r = runner();
    run_recorded(&r, dir.path(), 1, MONITOR_PID).await;
    let log = dir.path().join("s.2.log");
    let _held = files::bind(&log).unwrap();
    let marker = dir.path().join("ran");
    let id = AttemptId { attempt: 2, ..id() };
    let argv = vec!["touch".into(), marker.display().to_string()];
    let mut started = r.start(&id, Spec::new(argv, log), 8);
    while started.chunks.recv().await.is_some() {}
    let err = started.done.await.unwrap().unwrap_err();
    assert!(err.to_string().contains("not started"), "{err}");
    assert!(!marker.exists(), "the step ran without its claim");
}

/// One monitor runs at most `ATTEMPTS_PER_MONITOR` attempts; the next one
/// comes to another, and every attempt runs.
#[tokio::test(flavor = "multi_thread")]
async fn a_monitor_runs_a_bounded_number_of_attempts() {
    use stepwise::runner::monitor::serve::ATTEMPTS_PER_MONITOR;
    let dir = tempfile::tempdir().unwrap();
    let r = runner();
    let mut pids = Vec::new();
    for n in 1..=ATTEMPTS_PER_MONITOR + 1 {
        pids.push(run_recorded(&r, dir.path(), n, MONITOR_PID).await);
    }
    let cap = ATTEMPTS_PER_MONITOR as usize;
    assert!(pids[..cap].iter().all(|p| *p == pids[0]), "{pids:?}");
    assert_ne!(pids[cap], pids[0]);
}

/// A pipe step spawned by its monitor leads its own process group (what
/// timeouts, cancel and the leftover sweep signal), and has no terminal
/// it could open: its monitor's session has none (and only a session
/// leader could take one), so a prompt on `/dev/tty` fails at once
/// instead of waiting for keys nobody can type.
#[tokio::test(flavor = "multi_thread")]
async fn a_pipe_step_leads_its_own_group_and_has_no_terminal_to_open() {
    let dir = tempfile::tempdir().unwrap();
    let command = "if (exec 3</dev/tty) 2>/dev/null; then echo tty; else echo no-tty; fi; \
                   cut -d' ' -f1,4,5,6,7 /proc/$$/stat";
    let r = runner();
    let mut started = r.start(&id(), spec(dir.path(), command), 8);
    let mut out = Vec::new();
    while let Some(c) = started.chunks.recv().await {
        out.extend_from_slice(&c.bytes);
    }
    started.done.await.unwrap().unwrap();
    r.exit_recorded(&id());
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("no-tty"), "{text}");
    let ids: Vec<i32> = lines
        .next()
        .unwrap()
        .split(' ')
        .map(|n| n.parse().unwrap())
        .collect();
    let (pid, ppid, pgid, sid, tty) = (ids[0], ids[1], ids[2], ids[3], ids[4]);
    assert_eq!(pgid, pid, "the step leads its own group: {text}");
    assert_eq!(sid, ppid, "in the session its monitor leads: {text}");
    assert_ne!(sid, pid, "spawned without a setsid of its own: {text}");
    assert_eq!(tty, 0, "no controlling terminal: {text}");
    let note = std::fs::read_to_string(dir.path().join("s.1.pid")).unwrap();
    let noted: i32 = note.split(' ').next().unwrap().parse().unwrap();
    assert_eq!(noted, pid, "the note names the step's group: {note}");
}

fn bash_spec(dir: &Path, command: &str) -> Spec {
    let argv = ["bash", "-eo", "pipefail", "-c", command];
    Spec::new(argv.map(String::from).to_vec(), dir.join("s.1.log"))
}

/// The pid the attempt's note names, once its process is spawned.
fn noted_pid(log: &Path) -> Option<i32> {
    let note = std::fs::read_to_string(stepwise::engine::process::survivor::note_path(log)).ok()?;
    note.split_whitespace()
        .next()?
        .parse()
        .ok()
        .filter(|&p| p > 0)
}

/// Whether `pid` sleeps reading a pipe (a held bash, before its go-ahead).
fn reads_a_pipe(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/wchan")).is_ok_and(|w| w.contains("pipe_read"))
}

/// Starts `spec` held and waits until its bash waits for its go-ahead:
/// the attempt, its go-ahead and that bash's pid.
fn held_and_waiting(
    r: &MonitorRunner,
    spec: Spec,
) -> (stepwise::runner::Started, stepwise::runner::GoAhead, i32) {
    let log = spec.log_path.clone();
    let Ok((started, go)) = r.start_held(&id(), spec, 8) else {
        panic!("the monitor runner holds attempts");
    };
    wait_until("the held bash spawned", || noted_pid(&log).is_some());
    let bash = noted_pid(&log).unwrap();
    wait_until("bash waiting for its go-ahead", || reads_a_pipe(bash));
    (started, go, bash)
}

/// A held bash step that would touch `marker`, waiting for its go-ahead
/// (see [`held_and_waiting`]); its log is `s.1.log` beside the marker.
fn held_toucher(
    r: &MonitorRunner,
    marker: &Path,
) -> (stepwise::runner::Started, stepwise::runner::GoAhead, i32) {
    let dir = marker.parent().unwrap();
    let spec = bash_spec(dir, &format!("touch '{}'", marker.display()));
    held_and_waiting(r, spec)
}

/// A bash step handed over before its start is durable is spawned at once
/// and held: it waits before its command. The go-ahead never comes (the
/// journal's sync failed, or stepwise died): the held bash is killed,
/// its note removed, nothing ran, and the attempt never started.
#[tokio::test(flavor = "multi_thread")]
async fn a_held_bash_step_without_its_go_ahead_runs_nothing_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (marker, log) = (dir.path().join("ran"), dir.path().join("s.1.log"));
    let r = runner();
    let (started, go, bash) = held_toucher(&r, &marker);
    assert!(!marker.exists(), "the command ran before its go-ahead");
    drop(go);
    let err = started
        .done
        .await
        .unwrap()
        .expect_err("an attempt never released");
    assert!(err.to_string().contains("not run"), "{err}");
    wait_until("the held bash gone", || {
        proc_stat(bash).is_none_or(|s| !s.alive())
    });
    wait_until("the monitor gone", || files::monitor_alive(&log).is_none());
    assert!(!marker.exists(), "the command ran without its go-ahead");
    assert_eq!(only_files(dir.path()), Vec::<String>::new());
    assert_eq!(r.reattach(&id(), &log), Reattach::NeverStarted);
}

/// A resume re-attaches to a held attempt's monitor while it still waits
/// for the go-ahead of a stepwise that has just died (the resume holds the
/// session's lock, so that one is dead): the monitor lets the attempt go,
/// nothing runs and nothing is left, the re-attached link loses its
/// monitor, and what the monitor left says the attempt never started,
/// which the engine then records (not an unknown outcome: the soak test
/// `crash_points` hit this race).
#[tokio::test(flavor = "multi_thread")]
async fn a_resume_attached_to_a_held_attempt_whose_stepwise_died_finds_it_never_started() {
    let dir = tempfile::tempdir().unwrap();
    let (marker, log) = (dir.path().join("ran"), dir.path().join("s.1.log"));
    let r = runner();
    let (started, go, bash) = held_toucher(&r, &marker);
    let resumed = runner();
    assert!(matches!(
        resumed.reattach(&id(), &log),
        Reattach::Live { .. }
    ));
    let attached = resumed.attach(&id(), &log, 0, 8).expect("a live monitor");
    drop(go);
    drop(started);
    let err = attached
        .done
        .await
        .unwrap()
        .expect_err("the monitor let the attempt go");
    assert!(stepwise::runner::MonitorLost::is(&err), "{err}");
    wait_until("the held bash gone", || {
        proc_stat(bash).is_none_or(|s| !s.alive())
    });
    assert!(!marker.exists(), "the command ran without its go-ahead");
    assert_eq!(resumed.reattach(&id(), &log), Reattach::NeverStarted);
}

/// What a command sees of its shell: the same held as run directly by
/// stepwise (no monitor, no hold): no `BASH_ENV`, no extra descriptor,
/// no variable or function of the hold, `$_` and `$-` as bash sets them.
/// The descriptors are listed by a glob in bash itself: `ls | wc` raced
/// bash's closing of its own pipeline's ends.
#[tokio::test(flavor = "multi_thread")]
async fn a_held_bash_step_runs_on_its_go_ahead_and_sees_what_an_unheld_one_does() {
    let looks = "echo \"underscore=$_ opts=$- env=${BASH_ENV-none}\"; fds=(/proc/$$/fd/*); echo \"fds=${fds[*]##*/}\"; \
                 set | grep -c '^_sw' || true; declare -F | wc -l";
    let dir = tempfile::tempdir().unwrap();
    let r = runner();
    // Held for sure: its bash waits on the go-ahead's pipe first.
    let (mut started, go, _) = held_and_waiting(&r, bash_spec(dir.path(), looks));
    go.send();
    let mut held = Vec::new();
    while let Some(c) = started.chunks.recv().await {
        held.extend_from_slice(&c.bytes);
    }
    let outcome = started.done.await.unwrap().unwrap();
    assert_eq!(outcome.exit.code, Some(0));
    let plain_dir = tempfile::tempdir().unwrap();
    let direct = stepwise::runner::ProcessRunner;
    let mut plain = direct.start(&id(), bash_spec(plain_dir.path(), looks), 8);
    let mut unheld = Vec::new();
    while let Some(c) = plain.chunks.recv().await {
        unheld.extend_from_slice(&c.bytes);
    }
    plain.done.await.unwrap().unwrap();
    let (held, unheld) = (
        String::from_utf8(held).unwrap(),
        String::from_utf8(unheld).unwrap(),
    );
    assert!(held.contains("env=none"), "{held}");
    assert_eq!(held, unheld);
}

/// Runs a held attempt: `meanwhile` is done once its bash waits for its
/// go-ahead; then it is released. Its output.
async fn held_then_released(spec: Spec, meanwhile: impl FnOnce(i32)) -> String {
    let r = runner();
    let (mut started, go, bash) = held_and_waiting(&r, spec);
    meanwhile(bash);
    go.send();
    let mut out = Vec::new();
    while let Some(c) = started.chunks.recv().await {
        out.extend_from_slice(&c.bytes);
    }
    let outcome = started.done.await.unwrap().unwrap();
    assert_eq!(
        outcome.exit.code,
        Some(0),
        "{outcome:?} {}",
        String::from_utf8_lossy(&out)
    );
    String::from_utf8(out).unwrap()
}

/// A held bash killed while it waited (here by hand; in use, by anything
/// that kills processes by name) is not taken for the step's end: the
/// step is spawned anew on its go-ahead and runs once.
#[tokio::test(flavor = "multi_thread")]
async fn a_held_bash_killed_before_its_go_ahead_is_spawned_anew() {
    let dir = tempfile::tempdir().unwrap();
    let out = held_then_released(bash_spec(dir.path(), "echo ran"), |bash| {
        sigkill(bash);
        wait_until("the held bash dead", || {
            proc_stat(bash).is_none_or(|s| !s.alive())
        });
    })
    .await;
    assert_eq!(out, "ran\n");
}

/// A held bash whose working directory was replaced while it waited is
/// not used: the step runs in the directory now at that path.
#[tokio::test(flavor = "multi_thread")]
async fn a_held_bash_whose_folder_was_replaced_runs_in_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    std::fs::write(work.join("old"), "").unwrap();
    let mut spec = bash_spec(dir.path(), "ls");
    spec.cwd = Some(work.clone());
    let out = held_then_released(spec, |_| {
        std::fs::remove_dir_all(&work).unwrap();
        std::fs::create_dir(&work).unwrap();
        std::fs::write(work.join("new"), "").unwrap();
    })
    .await;
    assert_eq!(out, "new\n");
}

/// A held attempt whose monitor is killed before its release (its bash
/// then reads end of file and exits, its command never run) is told apart
/// from one whose end is unknown: its note still says "held", so the
/// attempt never started; a new monitor runs it, once, in its place.
#[tokio::test(flavor = "multi_thread")]
async fn a_held_attempt_whose_monitor_was_killed_never_started_and_runs_later() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let command = format!("echo run >> '{}'", marker.display());
    let spec = bash_spec(dir.path(), &command);
    let log = spec.log_path.clone();
    let r = runner();
    let (started, go, bash) = held_and_waiting(&r, spec);
    let monitor = proc_stat(bash).unwrap().ppid;
    sigkill(monitor);
    wait_until("the held bash gone", || {
        proc_stat(bash).is_none_or(|s| !s.alive())
    });
    drop((started, go));
    assert_eq!(r.reattach(&id(), &log), Reattach::NeverStarted);
    let mut again = r.start(&id(), bash_spec(dir.path(), &command), 8);
    while again.chunks.recv().await.is_some() {}
    let outcome = again.done.await.unwrap().unwrap();
    assert_eq!(outcome.exit.code, Some(0), "{outcome:?}");
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "run\n");
}
