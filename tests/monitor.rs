//! The step monitor through its runner (`MonitorRunner`, the real binary's
//! `__monitor` mode): the timeout is enforced with no stepwise attached,
//! cancel works after a re-attach, secrets reach the monitor only over its
//! socket, its files are private, and it does not outlive its step.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use stepwise::engine::process::Spec;
use stepwise::engine::redact::Redactor;
use stepwise::runner::monitor::files;
use stepwise::runner::{AttemptId, MonitorRunner, Reattach, StepRunner};

const PATIENCE: Duration = Duration::from_secs(30);

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

/// Polls until `cond` holds (a generous deadline, never a fixed sleep).
fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < PATIENCE, "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_timeout_is_enforced_with_no_stepwise_attached() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = spec(dir.path(), "echo begun; sleep 30");
    spec.timeout = Some(Duration::from_millis(300));
    spec.grace = Duration::from_millis(200);
    let log = spec.log_path.clone();
    let mut started = runner().start(&id(), spec, 8);
    started.chunks.recv().await.expect("the step printed");
    drop(started); // stepwise goes away
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
    let mut spec = spec(dir.path(), "echo \"token $TOKEN\"; sleep 0.5");
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
    while started.chunks.recv().await.is_some() {}
    let outcome = started.done.await.unwrap().unwrap();
    assert_eq!(outcome.exit.code, Some(0));
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
async fn an_acknowledged_exit_leaves_no_exit_file_and_the_monitor_goes() {
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
    wait_until("the monitor gone", || files::monitor_alive(&log).is_none());
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
