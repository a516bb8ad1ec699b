//! `stepwise follow` in a pseudo-terminal: the checklist screen over a
//! session another process runs, read only, fed from the journal; how long
//! a record takes to reach the screen.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/pty.rs"]
mod pty;

use pty::{PATIENCE, Term};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

const SIZE: (u16, u16) = (100, 30);

/// The step `Wait` runs until the test creates `go` in `home` (or at least
/// 30 s: a failed test removes `home`, and its step must not spin on).
fn start_runner(home: &Path) -> std::process::Child {
    let rb = home.join("rb.yaml");
    std::fs::write(
        &rb,
        "runbook: 1\nid: rb\ntitle: Gate\nsections:\n  - title: S\n    steps:\n      - title: Wait for the gate\n        id: wait\n        run: echo waiting; n=0; while [ ! -e go ] && [ $n -lt 6000 ]; do sleep 0.005; n=$((n+1)); done; echo through\n      - title: Then this\n        run: 'true'\n",
    )
    .unwrap();
    cli::stepwise(home)
        .current_dir(home)
        .args(["run", "--headless", "--trust", "--operator", "alice"])
        .arg(&rb)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The one published session folder, once it exists.
fn session_dir(home: &Path) -> std::path::PathBuf {
    let start = Instant::now();
    loop {
        let found = cli::session_dirs(home).into_iter().find(|d| {
            !d.file_name().unwrap().to_string_lossy().starts_with('.')
                && d.join("journal.jsonl").is_file()
        });
        if let Some(d) = found {
            return d;
        }
        assert!(start.elapsed() < PATIENCE, "no session appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The steps pane row of `title`.
fn row<'a>(screen: &'a str, title: &str) -> &'a str {
    screen.lines().find(|l| l.contains(title)).unwrap_or("")
}

/// Polls every millisecond until `journal` holds a line with `what`; the
/// instant it was seen.
fn seen_in_journal(journal: &Path, what: &str) -> Instant {
    let start = Instant::now();
    loop {
        if std::fs::read_to_string(journal)
            .unwrap_or_default()
            .contains(what)
        {
            return Instant::now();
        }
        assert!(start.elapsed() < PATIENCE, "the journal never held {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The latency from the journal to the screen is printed, not asserted
/// (a loaded machine stalls any thread; benchmark #11 measures it).
#[test]
fn follow_shows_a_step_turn_from_running_to_done_and_refuses_keys() {
    let home = tempfile::tempdir().unwrap();
    let mut runner = start_runner(home.path());
    let dir = session_dir(home.path());
    let env = [("STEPWISE_HOME", home.path())];
    let t = Term::spawn(&["follow"], &env, SIZE);
    t.wait_text("FOLLOWING — READ ONLY");
    t.wait_text("waiting");
    assert!(!row(&t.screen(), "Wait for the gate").contains('✓'));
    // Keys that would change the session are refused, on screen.
    t.send(b"s");
    t.wait_text("read only");

    std::fs::write(home.path().join("go"), "").unwrap();
    let recorded = seen_in_journal(&dir.join("journal.jsonl"), "\"type\":\"step_exited\"");
    let shown = loop {
        if row(&t.screen(), "Wait for the gate").contains('✓') {
            break Instant::now();
        }
        assert!(
            recorded.elapsed() < PATIENCE,
            "never shown:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(1));
    };
    let latency = shown.saturating_duration_since(recorded);
    eprintln!("follow latency: journal record → screen in {latency:?}");
    assert_eq!(runner.wait().unwrap().code(), Some(0));
    t.wait_text("READ ONLY (completed)");
    t.send(b"q");
    let mut t = t;
    assert_eq!(t.wait_exit(), Some(0));
}

/// A follower of a session nobody runs any more says so, and goes on
/// watching: a later resume shows on it, to the end.
#[test]
fn a_follower_says_when_nobody_runs_the_session_and_picks_up_a_resume() {
    let home = tempfile::tempdir().unwrap();
    let rb = home.path().join("ask.yaml");
    std::fs::write(
        &rb,
        "runbook: 1\nid: ask\ntitle: Ask\nsections:\n  - title: S\n    steps:\n      - title: Look at the graph\n        id: look\n        instructions: Look.\n      - title: Then this\n        run: echo then\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        cli::stepwise(home.path())
            .current_dir(home.path())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = run(&["run", "--headless", "--trust", rb.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(4), "{}", cli::text(&out));
    let env = [("STEPWISE_HOME", home.path())];
    let t = Term::spawn(&["follow"], &env, SIZE);
    t.wait_text("FOLLOWING — READ ONLY");
    t.wait_text("No stepwise runs this session now");
    let out = run(&["resume", "--headless", "--answer", "look=done:seen"]);
    assert_eq!(out.status.code(), Some(0), "{}", cli::text(&out));
    t.wait_for("the resumed steps done", PATIENCE, |s| {
        s.contains("✓  Look at the graph") && s.contains("✓  Then this")
    });
    t.wait_text("READ ONLY (completed)");
    t.send(b"q");
    let mut t = t;
    assert_eq!(t.wait_exit(), Some(0));
}

/// A step left running by a stepwise that died still writes its log; a
/// follower shows that output from the log (nobody journals it), and when
/// a resume journals the same bytes later they are not shown twice. Its
/// end (the monitor's exit file) is said before a resume journals it.
#[test]
fn a_follower_shows_a_left_steps_output_from_its_log_once() {
    let home = tempfile::tempdir().unwrap();
    let rb = home.path().join("left.yaml");
    std::fs::write(
        &rb,
        "runbook: 1\nid: left\ntitle: Left\nsections:\n  - title: S\n    steps:\n      - title: Wait twice\n        id: wait\n        run: x=gate; echo before-the-$x; n=0; while [ ! -e go ] && [ $n -lt 6000 ]; do sleep 0.005; n=$((n+1)); done; echo after-the-$x; n=0; while [ ! -e done ] && [ $n -lt 6000 ]; do sleep 0.005; n=$((n+1)); done\n      - title: Then this\n        run: 'true'\n",
    )
    .unwrap();
    let mut runner = cli::stepwise(home.path())
        .current_dir(home.path())
        .args(["run", "--headless", "--trust"])
        .arg(&rb)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let env = [("STEPWISE_HOME", home.path())];
    let dir = session_dir(home.path());
    seen_in_journal(&dir.join("journal.jsonl"), "\"type\":\"output_recorded\"");
    let t = Term::spawn(&["follow"], &env, SIZE);
    t.wait_text("before-the-gate");
    runner.kill().unwrap();
    runner.wait().unwrap();
    t.wait_text("No stepwise runs this session now");
    std::fs::write(home.path().join("go"), "").unwrap();
    t.wait_text("after-the-gate");
    std::fs::write(home.path().join("done"), "").unwrap();
    // Its monitor records the exit, which nothing journals: the follower
    // says it ended rather than counting on.
    t.wait_text("ended while no stepwise ran: exit 0");
    let out = cli::stepwise(home.path())
        .current_dir(home.path())
        .args(["resume", "--headless"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", cli::text(&out));
    t.wait_text("READ ONLY (completed)");
    // The resume journalled the bytes the follower had shown from the log.
    let journal = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    assert!(journal.matches("output_recorded").count() >= 2, "{journal}");
    t.send(b"\x1b[A"); // back to the first step, whose log it shows
    // Its whole frame: the title is drawn before the rows under it.
    t.wait_for("the first step's log", PATIENCE, |s| {
        s.find("Log · wait").is_some_and(|at| {
            s[at..].contains("after-the-gate") && s[at..].contains("before-the-gate")
        })
    });
    let screen = t.screen();
    let log = &screen[screen.find("Log · wait").unwrap()..];
    assert_eq!(log.matches("after-the-gate").count(), 1, "{screen}");
    assert_eq!(log.matches("before-the-gate").count(), 1, "{screen}");
    t.send(b"q");
    let mut t = t;
    assert_eq!(t.wait_exit(), Some(0));
}

/// The follower screen shows a fleet step's hosts' output (journalled per
/// host), and the Hosts table their last lines.
#[test]
fn a_follower_screen_shows_a_fleet_steps_host_output() {
    let home = tempfile::tempdir().unwrap();
    let rb = home.path().join("fleet.yaml");
    std::fs::write(
        &rb,
        "runbook: 1\nid: fl\ntitle: Fleet\ntargets:\n  two:\n    transport: local\n    hosts: [h1, h2]\nsections:\n  - title: S\n    steps:\n      - id: go\n        title: Go\n        on: two\n        run: x=from; echo \"hello $x $TARGET\"\n",
    )
    .unwrap();
    let out = cli::stepwise(home.path())
        .current_dir(home.path())
        .args(["run", "--headless", "--trust"])
        .arg(&rb)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", cli::text(&out));
    let env = [("STEPWISE_HOME", home.path())];
    let t = Term::spawn(&["follow"], &env, SIZE);
    t.wait_text("READ ONLY (completed)");
    t.wait_text("[h1] hello from h1");
    t.wait_text("[h2] hello from h2");
    // The Hosts table of the Details pane: each host's last line.
    t.wait_for("the hosts' last lines", PATIENCE, |s| {
        s.lines()
            .any(|l| l.contains("h2") && l.contains("succeeded") && l.contains("hello from h2"))
    });
    t.send(b"q");
    let mut t = t;
    assert_eq!(t.wait_exit(), Some(0));
}
