//! `stepwise demo` in the interface, driven to completion with keys as a
//! person would: auto mode on, Enter on the next step, `y` to run a
//! confirmed command, a typed note where one is required, Enter on the
//! "Next batch?" question after the canary instance. The sandbox the demo
//! printed must be gone afterwards.

#[path = "support/pty.rs"]
mod pty;

use pty::{Term, keys};
use std::path::Path;
use std::time::{Duration, Instant};

/// The sandbox folder from "demo sandbox: <path> (service at …)".
fn sandbox_path(out: &str) -> String {
    let at = out.find("demo sandbox: ").expect("the sandbox line") + "demo sandbox: ".len();
    out[at..].split(" (").next().unwrap().trim().to_string()
}

/// Sends the one key the screen asks for now (Enter when nothing is asked).
fn answer(t: &Term, screen: &str) {
    if screen.contains("What now?") {
        panic!("a step failed in the demo:\n{screen}");
    } else if screen.contains("Run this command?") {
        t.send(b"y");
    } else if screen.contains("Ctrl-D send") {
        // An update step's draft: sent as drafted.
        t.send(keys::CTRL_D);
    } else if screen.contains("Ctrl-D done") {
        // Type the note only into an empty field, and send Ctrl-D only once
        // all of it is on screen: on a loaded machine a second typing could
        // otherwise land on the main screen after the prompt closed, where
        // its letters are hotkeys (`a` auto, `k` up).
        if screen.contains("Note (required)") && !screen.contains("demo") {
            t.type_text("demo walk-through");
            t.wait_text("demo walk-through");
        }
        t.send(keys::CTRL_D);
    } else {
        t.send(keys::ENTER);
    }
}

#[test]
fn the_demo_runs_to_completion_with_keys() {
    let home = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let env = [("STEPWISE_HOME", home.path())];
    let mut t = Term::spawn_in(repo, &["demo"], &env, (110, 32));
    t.wait_text("Deployment rollback");
    let sandbox = sandbox_path(&t.raw_text());
    assert!(Path::new(&sandbox).is_dir(), "sandbox {sandbox}");
    t.send(b"a");
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut batch_asked = false;
    while !t.has_exited() {
        assert!(
            Instant::now() < deadline,
            "the demo did not finish:\n{}",
            t.screen()
        );
        let before = t.screen();
        if before.contains("Next batch?") {
            assert!(
                before.contains("Next: batch 2, 2 host(s): blue-2, blue-3"),
                "{before}"
            );
            batch_asked = true;
        }
        answer(&t, &before);
        // Let the screen react before the next key (or give up waiting and
        // look again: a running step needs no key).
        let start = Instant::now();
        while t.screen() == before && start.elapsed() < Duration::from_secs(2) && !t.has_exited() {
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    assert_eq!(t.wait_exit(), Some(0), "{}", t.raw_text());
    assert!(batch_asked, "the canary's batch question never showed");
    let out = t.raw_text();
    assert!(out.contains("transcript:"), "{out}");
    assert!(out.contains("status updates the demo sent"), "{out}");
    assert!(
        out.contains("[resolved] Resolved: v1.4.2 is live again"),
        "{out}"
    );
    assert!(
        !Path::new(&sandbox).exists(),
        "the sandbox {sandbox} is still there"
    );
    let sessions = std::fs::read_dir(home.path().join("sessions")).unwrap();
    let dir = sessions.map(|e| e.unwrap().path()).next().unwrap();
    let summary = stepwise::session::store::summarize(&dir).unwrap();
    assert_eq!(
        summary.status,
        stepwise::session::store::Standing::Completed
    );
    assert_eq!(summary.done, summary.total);
}

#[test]
fn quitting_the_demo_exits_aborted_records_only_that_and_names_no_removed_path() {
    let home = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let env = [("STEPWISE_HOME", home.path())];
    let mut t = Term::spawn_in(repo, &["demo"], &env, (110, 32));
    t.wait_text("Deployment rollback");
    let sandbox = sandbox_path(&t.raw_text());
    t.send(b"q");
    t.wait_text("Quit");
    t.send(b"y");
    assert_eq!(t.wait_exit(), Some(5), "{}", t.raw_text());
    let out = t.raw_text();
    let after = &out[out.find("session closed").expect("the closing line")..];
    assert!(
        !after.contains(&sandbox),
        "a removed path is printed: {after}"
    );
    // Recorded as aborted by the operator, never as left (resumable) first.
    let sessions = home.path().join("sessions");
    let dir = std::fs::read_dir(&sessions)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap();
    assert!(!journal.contains(r#""type":"session_left""#), "{journal}");
    let aborted = journal
        .lines()
        .find(|l| l.contains(r#""type":"session_aborted""#))
        .expect(&journal);
    assert!(aborted.contains(r#""by":{"#), "{aborted}");
}
