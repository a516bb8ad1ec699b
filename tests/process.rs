//! One step attempt as a real process: `engine::process::run` with real `sh`
//! commands, real pipes, real process groups and a real log file.
//!
//! Waiting is done by awaiting (`run` itself, the chunk channel); the only
//! sleeps are inside the shell commands.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use stepwise::engine::process::{CAPTURE_LIMIT, Chunk, Outcome, Spec, default_shell, run};
use stepwise::engine::redact::{MASK, Redactor};
use stepwise::session::event::Stream;
use tempfile::TempDir;
use tokio::sync::{mpsc, watch};

/// A finished attempt: its outcome, every chunk received, the log file.
struct Ran {
    outcome: Outcome,
    chunks: Vec<Chunk>,
    log: Vec<u8>,
    _dir: TempDir,
}

impl Ran {
    fn stream(&self, stream: Stream) -> Vec<u8> {
        self.chunks
            .iter()
            .filter(|c| c.stream == stream)
            .flat_map(|c| c.bytes.iter().copied())
            .collect()
    }

    fn text(&self, stream: Stream) -> String {
        String::from_utf8_lossy(&self.stream(stream)).into_owned()
    }
}

/// `sh -c CMD`, logging into a fresh temporary folder, with short grace and
/// drain so that tests stay fast.
fn sh(cmd: &str) -> (Spec, TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut spec = Spec::new(
        vec!["sh".into(), "-c".into(), cmd.into()],
        dir.path().join("step.1.log"),
    );
    spec.grace = Duration::from_millis(300);
    spec.drain = Duration::from_millis(300);
    (spec, dir)
}

/// How long an attempt may take before the test says it hung: far more
/// than any here needs, so a loaded machine is never taken for a hang
/// (no test here asserts a duration).
const HUNG: Duration = Duration::from_secs(120);

/// Runs to the end, collecting every chunk.
async fn go((spec, dir): (Spec, TempDir)) -> Ran {
    let (_cancel, cancel) = watch::channel(false);
    let (tx, mut rx) = mpsc::channel(16);
    let log_path = spec.log_path.clone();
    let collect = async {
        let mut chunks = Vec::new();
        while let Some(c) = rx.recv().await {
            chunks.push(c);
        }
        chunks
    };
    let both = async { tokio::join!(run(spec, tx, cancel, None), collect) };
    let (outcome, chunks) = tokio::time::timeout(HUNG, both)
        .await
        .expect("the attempt never ended");
    Ran {
        outcome: outcome.expect("run"),
        chunks,
        log: std::fs::read(log_path).expect("log file"),
        _dir: dir,
    }
}

/// Whether `pid` is a live process (a zombie counts as dead: the container's
/// init may never reap it).
fn alive(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let state = stat[stat.rfind(')').expect("stat") + 1..]
        .trim_start()
        .chars()
        .next();
    !matches!(state, Some('Z' | 'X'))
}

/// Whether `pid` was alive; it is not any more (killed, so that a check
/// that fails leaves no process behind).
fn alive_then_killed(pid: i32) -> bool {
    let was = alive(pid);
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    );
    was
}

fn first_pid(text: &str) -> i32 {
    text.lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .expect("a pid on the first line")
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn exit_codes_and_signals_are_recorded() {
    let ok = go(sh("exit 0")).await.outcome;
    assert_eq!((ok.exit.code, ok.exit.signal), (Some(0), None));
    let three = go(sh("exit 3")).await.outcome;
    assert_eq!((three.exit.code, three.exit.signal), (Some(3), None));
    let killed = go(sh("kill -KILL $$")).await.outcome;
    assert_eq!((killed.exit.code, killed.exit.signal), (None, Some(9)));
    assert!(!killed.timed_out && !killed.cancelled);
}

#[tokio::test]
async fn stdout_and_stderr_are_kept_apart_and_placed_in_the_log() {
    let ran = go(sh("echo out1; echo err1 >&2; echo out2")).await;
    assert_eq!(ran.text(Stream::Stdout), "out1\nout2\n");
    assert_eq!(ran.text(Stream::Stderr), "err1\n");
    assert_eq!(ran.outcome.log_len, ran.log.len() as u64);
    assert_eq!(ran.log.len(), "out1\nout2\nerr1\n".len());
    for c in &ran.chunks {
        let at = c.offset as usize;
        assert_eq!(&ran.log[at..at + c.bytes.len()], c.bytes.as_slice());
    }
}

#[tokio::test]
async fn environment_cwd_stdin_and_log_mode() {
    let (mut spec, dir) = sh(r#"echo "$GIT_TERMINAL_PROMPT $STEP_VALUE $(pwd)"; cat; echo end"#);
    spec.env = vec![("STEP_VALUE".into(), "'; touch pwned #".into())];
    spec.cwd = Some(dir.path().to_path_buf());
    let log_path = spec.log_path.clone();
    let cwd = dir.path().canonicalize().expect("cwd");
    let ran = go((spec, dir)).await;
    assert_eq!(
        ran.text(Stream::Stdout),
        format!("0 '; touch pwned # {}\nend\n", cwd.display())
    );
    assert!(!cwd.join("pwned").exists());
    let mode = std::fs::metadata(&log_path)
        .expect("log")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test]
async fn an_existing_log_or_a_missing_program_is_an_error() {
    let (spec, dir) = sh("echo hi");
    std::fs::write(&spec.log_path, "earlier attempt").expect("write");
    let (tx, _rx) = mpsc::channel(1);
    let (_c, cancel) = watch::channel(false);
    assert!(run(spec, tx.clone(), cancel.clone(), None).await.is_err());
    assert_eq!(
        std::fs::read(dir.path().join("step.1.log")).expect("log"),
        b"earlier attempt"
    );

    let spec = Spec::new(
        vec!["/nonexistent/stepwise-prog".into()],
        dir.path().join("step.2.log"),
    );
    let err = run(spec, tx, cancel, None)
        .await
        .expect_err("no such program");
    assert!(
        err.to_string().contains("/nonexistent/stepwise-prog"),
        "{err}"
    );
}

#[tokio::test]
async fn timeout_kills_the_whole_group_including_a_background_grandchild() {
    let (mut spec, dir) = sh("sleep 1000 & echo $!; sleep 1000");
    // Long enough for the shell to print its grandchild's pid first.
    spec.timeout = Some(Duration::from_secs(2));
    let ran = go((spec, dir)).await;
    assert!(ran.outcome.timed_out && !ran.outcome.cancelled);
    assert_eq!(ran.outcome.exit.signal, Some(15));
    let grandchild = first_pid(&ran.text(Stream::Stdout));
    assert!(!alive(grandchild), "grandchild {grandchild} survived");
}

#[tokio::test]
async fn sigkill_follows_when_sigterm_is_ignored() {
    let (mut spec, dir) = sh("trap '' TERM; sleep 1000 & echo $!; sleep 1000");
    // Long enough for the shell to set its trap first.
    spec.timeout = Some(Duration::from_secs(2));
    let ran = go((spec, dir)).await;
    assert!(ran.outcome.timed_out);
    assert_eq!(ran.outcome.exit.signal, Some(9));
    assert!(!alive(first_pid(&ran.text(Stream::Stdout))));
}

#[tokio::test]
async fn cancel_through_the_channel_ends_the_group() {
    let (spec, _dir) = sh("sleep 1000 & echo $!; sleep 1000");
    let (cancel_tx, cancel) = watch::channel(false);
    let (tx, mut rx) = mpsc::channel(16);
    let operator = async {
        // The grandchild's pid arrives once it runs: then the operator cancels.
        let first = rx.recv().await.expect("first chunk");
        cancel_tx.send(true).expect("cancel");
        while rx.recv().await.is_some() {}
        first
    };
    let (outcome, first) = tokio::join!(run(spec, tx, cancel, None), operator);
    let outcome = outcome.expect("run");
    assert!(outcome.cancelled && !outcome.timed_out);
    assert_eq!(outcome.exit.signal, Some(15));
    assert!(!alive(first_pid(&String::from_utf8_lossy(&first.bytes))));
}

#[tokio::test]
async fn a_cancel_before_the_start_spawns_nothing() {
    let (spec, dir) = sh("touch ran");
    let (tx, _rx) = mpsc::channel(1);
    let (_c, cancel) = watch::channel(true);
    let mut spec = spec;
    spec.cwd = Some(dir.path().to_path_buf());
    let outcome = run(spec, tx, cancel, None).await.expect("run");
    assert!(outcome.cancelled);
    assert_eq!((outcome.exit.code, outcome.exit.signal), (None, None));
    assert!(!dir.path().join("ran").exists());
}

#[tokio::test]
async fn a_grandchild_holding_the_pipes_does_not_hang_the_step() {
    // Were the step to wait for the grandchild, `go` would say it hung.
    let ran = go(sh("(sleep 1000 & echo $!); echo hi")).await;
    assert_eq!(ran.outcome.exit.code, Some(0));
    assert!(ran.text(Stream::Stdout).ends_with("hi\n"));
    // Still in the step's group: ended with it (killed here if not).
    let grandchild = first_pid(&ran.text(Stream::Stdout));
    assert!(
        !alive_then_killed(grandchild),
        "the grandchild outlived its step"
    );
}

#[tokio::test]
async fn a_grandchild_that_left_the_group_is_abandoned_after_the_drain() {
    // It escaped the group, so it cannot be killed; the drain still ends
    // (were the step to wait for it, `go` would say it hung: its 300 s
    // are longer than `HUNG`). Killed here.
    let ran = go(sh("setsid sleep 300 & echo $!")).await;
    let escaped = first_pid(&ran.text(Stream::Stdout));
    assert!(
        alive_then_killed(escaped),
        "the escaped grandchild was ended"
    );
}

#[tokio::test]
async fn background_processes_without_the_pipes_end_with_the_step() {
    let ran = go(sh("sleep 1000 >/dev/null 2>&1 & echo $!")).await;
    assert_eq!(ran.outcome.exit.code, Some(0));
    assert!(!alive(first_pid(&ran.text(Stream::Stdout))));
}

#[tokio::test]
async fn invalid_utf8_and_nul_bytes_pass_through_exactly() {
    let ran = go(sh(r"printf '\377\376\000abc\n\200'; printf '\000\377' >&2")).await;
    assert_eq!(ran.stream(Stream::Stdout), b"\xff\xfe\x00abc\n\x80");
    assert_eq!(ran.stream(Stream::Stderr), b"\x00\xff");
    // The two streams interleave in the log in arrival order; each chunk
    // names its place.
    let mut chunks = ran.chunks.clone();
    chunks.sort_by_key(|c| c.offset);
    let rebuilt: Vec<u8> = chunks.iter().flat_map(|c| c.bytes.clone()).collect();
    assert_eq!(ran.log, rebuilt);
    assert_eq!(ran.log.len(), 10);
}

#[tokio::test]
async fn a_100_mb_line_completes_in_bounded_memory() {
    const SIZE: u64 = 100_000_000;
    let (mut spec, dir) = sh("head -c 100000000 /dev/zero | tr '\\0' a");
    spec.capture_stdout = true;
    let log_path = spec.log_path.clone();
    let (_c, cancel) = watch::channel(false);
    let (tx, mut rx) = mpsc::channel::<Chunk>(16);
    let count = async {
        let mut total = 0u64;
        while let Some(c) = rx.recv().await {
            assert!(c.bytes.iter().all(|&b| b == b'a'));
            total += c.bytes.len() as u64;
        }
        total
    };
    let (outcome, received) = tokio::join!(run(spec, tx, cancel, None), count);
    let outcome = outcome.expect("run");
    assert_eq!(outcome.exit.code, Some(0));
    assert_eq!((outcome.log_len, received), (SIZE, SIZE));
    assert_eq!(std::fs::metadata(&log_path).expect("log").len(), SIZE);
    assert_eq!(outcome.stdout.map(|s| s.len()), Some(CAPTURE_LIMIT));
    let peak_kib = peak_rss_kib();
    assert!(peak_kib < 64 * 1024, "peak RSS {peak_kib} KiB");
    drop(dir);
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[tokio::test]
async fn a_secret_split_across_two_writes_never_appears() {
    let (mut spec, dir) = sh(
        "printf 'abc'; sleep 0.1; printf 'def\\n'; printf 'xxabc' >&2; sleep 0.1; printf 'defyy' >&2",
    );
    spec.redactor = Arc::new(Redactor::new(["abcdef"]));
    spec.capture_stdout = true;
    let ran = go((spec, dir)).await;
    assert_eq!(ran.text(Stream::Stdout), format!("{MASK}\n"));
    assert_eq!(ran.text(Stream::Stderr), format!("xx{MASK}yy"));
    for c in &ran.chunks {
        assert!(!contains(&c.bytes, b"abcdef"));
    }
    assert!(!contains(&ran.log, b"abcdef"));
    // The capture alone keeps the real bytes, in memory, for later steps'
    // environment; the engine masks a capture holding a secret everywhere
    // it is recorded (see tests/headless.rs).
    assert_eq!(ran.outcome.stdout, Some(b"abcdef\n".to_vec()));
}

#[tokio::test]
async fn reading_dev_tty_fails_fast() {
    let (mut spec, dir) = sh("cat /dev/tty");
    spec.timeout = Some(Duration::from_secs(20));
    let ran = go((spec, dir)).await;
    assert!(!ran.outcome.timed_out);
    assert_ne!(ran.outcome.exit.code, Some(0));
    assert!(ran.text(Stream::Stderr).contains("/dev/tty"));
}

#[tokio::test]
async fn a_gone_receiver_does_not_stop_the_step_or_the_log() {
    let (spec, dir) = sh("seq 1 100000");
    let log_path = spec.log_path.clone();
    let (tx, rx) = mpsc::channel(1);
    drop(rx);
    let (_c, cancel) = watch::channel(false);
    let outcome = run(spec, tx, cancel, None).await.expect("run");
    let expected: String = (1..=100_000).map(|n| format!("{n}\n")).collect();
    assert_eq!(outcome.log_len, expected.len() as u64);
    assert_eq!(std::fs::read(&log_path).expect("log"), expected.as_bytes());
    drop(dir);
}

#[tokio::test]
async fn a_stalled_receiver_cannot_block_a_timeout() {
    let (mut spec, dir) = sh("yes");
    spec.timeout = Some(Duration::from_millis(200));
    let (tx, rx) = mpsc::channel(1);
    let (_c, cancel) = watch::channel(false);
    // The receiver is alive but never reads.
    let outcome = run(spec, tx, cancel, None).await.expect("run");
    assert!(outcome.timed_out);
    drop((rx, dir));
}

#[tokio::test]
async fn tty_steps_see_a_terminal_on_one_stream() {
    let (mut spec, dir) =
        sh("[ -t 1 ] && echo is-a-tty; [ -t 0 ] || echo stdin-is-not; echo err >&2");
    spec.tty = true;
    let ran = go((spec, dir)).await;
    assert_eq!(ran.outcome.exit.code, Some(0));
    assert!(ran.stream(Stream::Stderr).is_empty());
    assert_eq!(
        ran.text(Stream::Stdout),
        "is-a-tty\r\nstdin-is-not\r\nerr\r\n"
    );
    assert_eq!(ran.log, ran.stream(Stream::Stdout));
}

#[tokio::test]
async fn tty_steps_time_out_like_any_other() {
    let (mut spec, dir) = sh("sleep 1000 & echo $!; sleep 1000");
    spec.tty = true;
    spec.timeout = Some(Duration::from_secs(2));
    let ran = go((spec, dir)).await;
    assert!(ran.outcome.timed_out);
    assert!(!alive(first_pid(&ran.text(Stream::Stdout))));
}

#[test]
fn the_default_shell_fails_fast() {
    let shell = default_shell();
    let bash = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .any(|d| d.join("bash").is_file());
    if bash {
        assert_eq!(shell, ["bash", "-eo", "pipefail", "-c"]);
    } else {
        assert_eq!(shell, ["sh", "-ec"]);
    }
}

/// A benchmark, not a timed test (`cargo test --release --test process --
/// --ignored --nocapture`): `seq 1 10000000` through `run` against the same
/// command redirected to a file. The product's budget is 2x.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn throughput_of_ten_million_lines() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plain = dir.path().join("plain.out");
    let started = Instant::now();
    let status = std::process::Command::new("sh")
        .args(["-c", &format!("seq 1 10000000 > {}", plain.display())])
        .status()
        .expect("sh");
    assert!(status.success());
    let to_file = started.elapsed();
    for secrets in [vec![], vec!["s3cr3t-token".to_string()]] {
        let (mut spec, _dir) = sh("seq 1 10000000");
        spec.redactor = Arc::new(Redactor::new(&secrets));
        let (_c, cancel) = watch::channel(false);
        let (tx, mut rx) = mpsc::channel::<Chunk>(16);
        let started = Instant::now();
        let count = async {
            let mut n = 0;
            while let Some(c) = rx.recv().await {
                n += c.bytes.len();
            }
            n
        };
        let (outcome, received) = tokio::join!(run(spec, tx, cancel, None), count);
        let elapsed = started.elapsed();
        assert_eq!(outcome.expect("run").log_len, received as u64);
        let ratio = elapsed.as_secs_f64() / to_file.as_secs_f64();
        println!(
            "{received} bytes: to a file {to_file:?}, through run ({} secrets) {elapsed:?}: {ratio:.2}x",
            secrets.len()
        );
    }
}

/// Live (non-zombie) processes whose process group is `pgid`.
fn live_in_group(pgid: i32) -> Vec<i32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc") {
        let Ok(pid) = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .parse::<i32>()
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the command name (which ends with ')'): state, ppid, pgrp.
        let rest: Vec<&str> = stat
            .rsplit_once(')')
            .map_or("", |(_, r)| r)
            .split_whitespace()
            .collect();
        if rest.len() > 2 && rest[0] != "Z" && rest[2] == pgid.to_string() {
            found.push(pid);
        }
    }
    found
}

#[tokio::test]
async fn a_fork_happy_step_is_cleaned_up_completely_on_cancel() {
    let (spec, _dir) = sh("for i in $(seq 200); do sleep 1000 & done; echo \"ready $$\"; wait");
    let (cancel_tx, cancel) = watch::channel(false);
    let (tx, mut rx) = mpsc::channel(16);
    let operator = async {
        let mut seen = String::new();
        while !seen.contains('\n') {
            let c: Chunk = rx.recv().await.expect("the step says it is ready");
            seen.push_str(&String::from_utf8_lossy(&c.bytes));
        }
        let pgid: i32 = seen
            .trim()
            .trim_start_matches("ready ")
            .parse()
            .expect("pgid");
        assert!(
            live_in_group(pgid).len() >= 200,
            "the 200 children run in the step's group"
        );
        cancel_tx.send(true).expect("cancel");
        while rx.recv().await.is_some() {}
        pgid
    };
    let (outcome, pgid) = tokio::join!(run(spec, tx, cancel, None), operator);
    assert!(outcome.expect("run").cancelled);
    assert_eq!(
        live_in_group(pgid),
        Vec::<i32>::new(),
        "processes of the group survived the cancel"
    );
}

/// With a person at the screen (`interactive`), a tty step's stdin is its
/// pseudo-terminal and typed keys arrive: `read -s` is answered, and what
/// was typed is in neither the output nor the log (no echo).
#[tokio::test]
async fn an_interactive_tty_step_reads_typed_keys() {
    use stepwise::runner::TtyInput;
    let (mut spec, _dir) = sh("read -s -p 'Password: ' p; echo; echo \"got ${#p}\"");
    spec.argv[0] = "bash".into(); // `read -s` is bash's
    spec.tty = true;
    spec.interactive = true;
    let log_path = spec.log_path.clone();
    let (_cancel, cancel) = watch::channel(false);
    let (tx, mut rx) = mpsc::channel::<Chunk>(16);
    let (keys, keys_rx) = mpsc::channel(8);
    let typist = async move {
        let mut seen = Vec::new();
        let mut typed = false;
        while let Some(c) = rx.recv().await {
            seen.extend_from_slice(&c.bytes);
            if String::from_utf8_lossy(&seen).contains("Password:") && !typed {
                typed = true;
                keys.send(TtyInput::Resize { rows: 20, cols: 60 })
                    .await
                    .unwrap();
                keys.send(TtyInput::Bytes(b"hunter2\r".to_vec()))
                    .await
                    .unwrap();
            }
        }
        seen
    };
    let (outcome, seen) = tokio::join!(run(spec, tx, cancel, Some(keys_rx)), typist);
    assert_eq!(outcome.expect("run").exit.code, Some(0));
    let out = String::from_utf8_lossy(&seen).into_owned();
    assert!(out.contains("got 7"), "{out:?}");
    let log = std::fs::read_to_string(log_path).unwrap();
    assert!(
        !log.contains("hunter2") && !out.contains("hunter2"),
        "{log:?}"
    );
}

/// Headless (not interactive), a tty step that reads gets end-of-file.
#[tokio::test]
async fn a_headless_tty_step_that_reads_gets_end_of_file() {
    let (mut spec, dir) = sh("read -r line; echo \"read exit $?\"");
    spec.tty = true;
    let ran = go((spec, dir)).await;
    assert!(
        ran.text(Stream::Stdout).contains("read exit 1"),
        "{:?}",
        ran.text(Stream::Stdout)
    );
}
