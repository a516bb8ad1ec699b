//! `stepwise follow --plain` against a session another process runs
//! headless: the same lines in the same order, the same exit code, no
//! lock taken and nothing written.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "support/cli.rs"]
mod cli;
use cli::{session_dirs, stepwise, text};

fn write_runbook(home: &Path, steps: &str) -> PathBuf {
    let rb = home.join("rb.yaml");
    std::fs::write(
        &rb,
        format!("runbook: 1\nid: rb\ntitle: Deployment rollback\nsections:\n  - title: S\n    steps:\n{steps}"),
    )
    .unwrap();
    rb
}

/// The runner, headless, in the background; returns once its session
/// folder exists.
fn start_runner(home: &Path, rb: &Path) -> Child {
    let child = stepwise(home)
        .current_dir(home)
        .args(["run", "--headless", "--trust", "--operator", "alice"])
        .arg(rb)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    // Published under its id once its first records are written.
    let published = |d: &PathBuf| {
        !d.file_name().unwrap().to_string_lossy().starts_with('.')
            && d.join("journal.jsonl").is_file()
    };
    while !session_dirs(home).iter().any(published) {
        assert!(Instant::now() < deadline, "the session never appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

fn follower(home: &Path) -> Command {
    let mut c = stepwise(home);
    c.args(["follow", "--plain"]);
    c
}

/// Lines without their `[HH:MM:SS] ` time (the runner stamps the time it
/// prints, the follower the time of the record).
fn untimed(out: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| match l.strip_prefix('[') {
            Some(rest) => rest.split_once("] ").map_or(l, |(_, r)| r).to_owned(),
            None => l.to_owned(),
        })
        .collect()
}

const STEPS: &str = "      - title: One
        run: echo one; sleep 0.3; echo uno >&2
      - title: Tolerated
        run: echo bad; exit 3
        on_failure: continue
      - title: Two
        run: for i in 1 2 3; do echo two $i; sleep 0.1; done
      - title: Fails
        run: echo failing; exit 1
";

#[test]
fn follow_plain_prints_the_runners_lines_in_order_and_its_exit_code() {
    let home = tempfile::tempdir().unwrap();
    let rb = write_runbook(home.path(), STEPS);
    let runner = start_runner(home.path(), &rb);
    let followed = follower(home.path()).output().unwrap();
    let ran = runner.wait_with_output().unwrap();
    assert_eq!(ran.status.code(), Some(3), "stopped on a failed step");
    assert_eq!(followed.status.code(), Some(3), "{}", text(&followed));
    let mut seen = untimed(&followed.stdout);
    let header = seen.remove(0);
    assert!(header.ends_with("— Deployment rollback"), "{header}");
    // The runner's own advice on what to do next is the driver's, not a record.
    let expected: Vec<String> = untimed(&ran.stdout)
        .into_iter()
        .filter(|l| !l.starts_with("✗ stopped:"))
        .collect();
    assert_eq!(seen, expected);
    assert!(seen.contains(&"    one ! uno".to_owned()), "{seen:?}");
}

#[test]
fn follow_plain_on_a_finished_session_prints_it_and_ends_with_its_code() {
    let home = tempfile::tempdir().unwrap();
    let rb = write_runbook(home.path(), "      - title: Quick\n        run: echo hi\n");
    let ran = stepwise(home.path())
        .args(["run", "--headless", "--trust"])
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(ran.status.code(), Some(0));
    let followed = follower(home.path()).output().unwrap();
    assert_eq!(followed.status.code(), Some(0), "{}", text(&followed));
    let t = text(&followed);
    assert!(t.contains("    quick | hi"), "{t}");
    assert!(t.contains("completed — 1/1 steps settled"), "{t}");
}

/// A headless session that closed over an update its channel refused:
/// the follower ends with the runner's lines, the line naming that update
/// included.
#[test]
fn follow_plain_names_an_update_not_delivered_when_the_session_closed() {
    let home = tempfile::tempdir().unwrap();
    let rb = home.path().join("rb.yaml");
    std::fs::write(
        home.path().join("notify.sh"),
        "#!/bin/sh\ncat >/dev/null\necho down >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(
        home.path().join("notify.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    std::fs::write(
        &rb,
        "runbook: 1\nid: rb\ntitle: T\nchannels:\n  pager:\n    command: ./notify.sh\nsections:\n  - title: S\n    steps:\n      - id: tell\n        title: Tell\n        update: Resolved.\n",
    )
    .unwrap();
    let ran = stepwise(home.path())
        .current_dir(home.path())
        .args(["run", "--headless", "--trust", "--yes"])
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(ran.status.code(), Some(0), "{}", text(&ran));
    let warning = "⚠ tell: not delivered to pager when the session closed";
    let ran_lines = untimed(&ran.stdout);
    assert_eq!(
        ran_lines.last().map(String::as_str),
        Some(warning),
        "{ran_lines:?}"
    );
    let followed = follower(home.path()).output().unwrap();
    assert_eq!(followed.status.code(), Some(0), "{}", text(&followed));
    let seen = untimed(&followed.stdout);
    assert_eq!(seen.last().map(String::as_str), Some(warning), "{seen:?}");
}

/// Followers take no lock and write nothing: one frozen (SIGSTOP, like a
/// stuck ssh pipe) and two live ones leave the runner to finish as it
/// would alone, and the session folder holds only what the runner wrote.
#[test]
fn followers_never_block_the_runner_nor_write() {
    let home = tempfile::tempdir().unwrap();
    let rb = write_runbook(
        home.path(),
        "      - title: Noisy\n        run: seq 1 20000; sleep 0.2\n      - title: After\n        run: echo after\n",
    );
    let runner = start_runner(home.path(), &rb);
    let spawn = || {
        follower(home.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let frozen = spawn();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(frozen.id() as i32),
        nix::sys::signal::Signal::SIGSTOP,
    )
    .unwrap();
    let live: Vec<Child> = (0..2).map(|_| spawn()).collect();
    let ran = runner.wait_with_output().unwrap();
    assert_eq!(ran.status.code(), Some(0));
    for f in live {
        let out = f.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let t = String::from_utf8_lossy(&out.stdout);
        assert!(
            t.contains("    noisy | 20000\n"),
            "every output line arrives"
        );
    }
    let dir = &session_dirs(home.path())[0];
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(
        names
            .iter()
            .all(
                |n| ["journal.jsonl", "lock", "output", "runbook.yaml"].contains(&n.as_str())
                    || n.ends_with(".md")
            ),
        "{names:?}"
    );
    let mut frozen = frozen;
    frozen.kill().unwrap();
    frozen.wait().unwrap();
}

/// A step that prints a line and then waits (quiet, still running) has
/// that line journalled while it runs, so a follower shows it before the
/// step ends, not only at its next output or its exit.
#[test]
fn a_quiet_running_steps_last_line_reaches_a_follower() {
    let home = tempfile::tempdir().unwrap();
    let rb = write_runbook(
        home.path(),
        "      - title: Waits\n        run: x=now; echo waiting-$x; n=0; while [ ! -e go ] && [ $n -lt 6000 ]; do sleep 0.01; n=$((n+1)); done\n",
    );
    let runner = start_runner(home.path(), &rb);
    let mut follow = follower(home.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let out = follow.stdout.take().unwrap();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let seen = loop {
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(line) if line.contains("waiting-now") => break true,
            Ok(_) => {}
            Err(_) => break false,
        }
    };
    // Only now is the step let go: the line was shown while it ran.
    std::fs::write(home.path().join("go"), "").unwrap();
    assert!(seen, "the follower never showed the quiet step's line");
    assert_eq!(runner.wait_with_output().unwrap().status.code(), Some(0));
    assert_eq!(follow.wait().unwrap().code(), Some(0));
}

/// A fleet step's output is journalled per host (`host_output_recorded`):
/// a follower prints each host's lines as the runner does.
#[test]
fn follow_plain_shows_a_fleet_steps_host_output() {
    let home = tempfile::tempdir().unwrap();
    let rb = home.path().join("fleet.yaml");
    std::fs::write(
        &rb,
        "runbook: 1\nid: fl\ntitle: Fleet\ntargets:\n  two:\n    transport: local\n    hosts: [h1, h2]\nsections:\n  - title: S\n    steps:\n      - id: go\n        title: Go\n        on: two\n        run: echo \"hello from $TARGET\"; echo \"oops on $TARGET\" >&2; printf \"tail of $TARGET\"\n",
    )
    .unwrap();
    let ran = stepwise(home.path())
        .current_dir(home.path())
        .args(["run", "--headless", "--trust"])
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(ran.status.code(), Some(0), "{}", text(&ran));
    let followed = follower(home.path()).output().unwrap();
    assert_eq!(followed.status.code(), Some(0), "{}", text(&followed));
    let seen = untimed(&followed.stdout);
    for line in [
        "    go [h1] | hello from h1",
        "    go [h2] | hello from h2",
        "    go [h1] ! oops on h1",
        "    go [h2] ! oops on h2",
        // A last line without a newline: printed at the step's end, whole.
        "    go [h1] | tail of h1",
        "    go [h2] | tail of h2",
    ] {
        assert!(seen.contains(&line.to_owned()), "{line:?} not in {seen:#?}");
    }
}

/// A runner killed with `kill -9` wrote no end: the follower says so (not
/// "interrupted", which is a signal the journal names), at the runner's
/// last record rather than its own clock, names the step that was
/// running, and ends with 130.
#[test]
fn follow_plain_after_a_kill_9_says_stepwise_stopped_without_a_word() {
    let home = tempfile::tempdir().unwrap();
    let rb = write_runbook(
        home.path(),
        "      - title: Waits\n        run: echo waiting; n=0; while [ ! -e go ] && [ $n -lt 6000 ]; do sleep 0.01; n=$((n+1)); done\n",
    );
    let mut runner = start_runner(home.path(), &rb);
    let dir = session_dirs(home.path())[0].clone();
    let journal = dir.join("journal.jsonl");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&journal)
        .unwrap_or_default()
        .contains("output_recorded")
    {
        assert!(Instant::now() < deadline, "the step never printed");
        std::thread::sleep(Duration::from_millis(10));
    }
    runner.kill().unwrap();
    runner.wait().unwrap();
    let followed = follower(home.path()).output().unwrap();
    std::fs::write(home.path().join("go"), "").unwrap();
    let t = text(&followed);
    assert_eq!(followed.status.code(), Some(130), "{t}");
    assert!(
        t.contains("stepwise stopped without a record of why (killed or crashed) after its last record — 0/1 steps settled"),
        "{t}"
    );
    assert!(!t.contains("] interrupted"), "{t}");
    assert!(
        t.contains("`waits` was running when stepwise stopped"),
        "{t}"
    );
}

/// A step whose last line has no newline: the follower prints it with the
/// step's name, as the runner does.
#[test]
fn follow_plain_names_the_step_of_an_unfinished_last_line() {
    let home = tempfile::tempdir().unwrap();
    let rb = write_runbook(
        home.path(),
        "      - title: Part\n        run: echo first; printf 'partial line'\n",
    );
    let ran = stepwise(home.path())
        .args(["run", "--headless", "--trust"])
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(ran.status.code(), Some(0), "{}", text(&ran));
    assert!(
        text(&ran).contains("    part | partial line"),
        "{}",
        text(&ran)
    );
    let followed = follower(home.path()).output().unwrap();
    let t = text(&followed);
    assert!(t.contains("    part | partial line"), "{t}");
}
