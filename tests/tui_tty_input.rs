//! A `tty: true` step takes the keyboard (issue 14, item 3), in the real
//! binary in a pseudo-terminal: `read -s -p 'Password: '` is answered by
//! typing into it as it starts (no hotkey acts on what is typed), `Ctrl-]`
//! and `t` hand the keys back and forth, and nothing typed reaches the
//! journal, the transcript or the log.

#[path = "support/pty.rs"]
mod pty;

use pty::{PATIENCE, Term, keys};
use std::path::Path;

fn all_text(dir: &Path) -> String {
    let mut out = String::new();
    for e in walk(dir) {
        out.push_str(&String::from_utf8_lossy(
            &std::fs::read(e).unwrap_or_default(),
        ));
    }
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p);
        }
    }
    files
}

#[test]
fn a_tty_step_is_answered_by_typing_and_nothing_typed_is_kept() {
    let home = tempfile::tempdir().unwrap();
    let rb = home.path().join("rb.yaml");
    std::fs::write(
        &rb,
        "runbook: 1\nid: pw\ntitle: Password\nsections:\n  - title: Ask\n    steps:\n      \
         - title: Ask for a password\n        id: ask\n        tty: true\n        \
         run: \"echo cols $(tput cols); read -s -p 'Password: ' p; echo; echo \\\"got ${#p} characters\\\"\"\n",
    )
    .unwrap();
    let env = [("STEPWISE_HOME", home.path())];
    let mut t = Term::spawn(&["run", "--trust", rb.to_str().unwrap()], &env, (100, 30));
    t.wait_text("Ask for a password");
    t.send(keys::ENTER);
    // The prompt in the log pane (the command in Details says it too).
    t.wait_for("the prompt", PATIENCE, |s| s.contains("│Password:"));
    // Its terminal is the log pane's width (58 columns at 100) from its
    // first line, not the 80 of a pty nobody sized.
    assert!(t.screen().contains("│cols 58"), "{}", t.screen());
    // The step took the keys as it started: `c` (cancel), `n` (note), `a`
    // (auto) and `r` (retry) are the password's, not hotkeys.
    t.wait_text("typing into ask");
    t.type_text("cnar");
    // Ctrl-] gives the keys back; `t` gives them to the step again.
    t.send(b"\x1d");
    t.wait_text("keys are stepwise's again");
    t.send(b"t");
    t.wait_text("typing into ask");
    t.type_text("hunter2");
    t.send(keys::ENTER);
    // The step ends with the answer: the keys come back, the session is
    // done. Both are one frame, whose bytes may be read in two pieces:
    // the screen is awaited whole (a banner that never goes times out).
    t.wait_for("the session done, the keys back", PATIENCE, |s| {
        s.contains("Session completed") && !s.contains("typing into ask")
    });
    let screen = t.screen();
    assert!(!screen.contains("hunter2"), "{screen}");
    t.send(keys::ENTER);
    t.wait_exit();
    let kept = all_text(&home.path().join("sessions"));
    assert!(kept.contains("got 11 characters"), "the log has the output");
    assert!(
        !kept.contains("step_cancelled"),
        "a typed c cancelled: {kept}"
    );
    assert!(
        !kept.contains("auto_changed"),
        "a typed a changed the mode: {kept}"
    );
    assert!(
        !kept.contains("hunter2") && !kept.contains("cnar"),
        "something typed was kept: {kept}"
    );
}

/// A paste into a step whose program asked for bracketed paste (as a
/// shell or a REPL does) reaches it between the marks a terminal adds,
/// its line breaks as Enter (`\r`); one whose program did not ask gets
/// the text alone.
#[test]
fn a_paste_reaches_a_tty_step_as_a_terminal_would_send_it() {
    let home = tempfile::tempdir().unwrap();
    let rb = home.path().join("rb.yaml");
    std::fs::write(
        &rb,
        "runbook: 1\nid: paste\ntitle: Paste\nsections:\n  - title: S\n    steps:\n      \
         - title: Asks for paste\n        id: asks\n        tty: true\n        \
         run: \"printf '\\\\033[?2004hFirst: '; IFS= read -r a; printf '%s' \\\"$a\\\" | od -An -c | tr -s ' '\"\n      \
         - title: Plain\n        id: plain\n        tty: true\n        \
         run: \"printf 'Second: '; IFS= read -r b; printf '%s' \\\"$b\\\" | od -An -c | tr -s ' '\"\n",
    )
    .unwrap();
    let env = [("STEPWISE_HOME", home.path())];
    let mut t = Term::spawn(&["run", "--trust", rb.to_str().unwrap()], &env, (100, 30));
    t.wait_text("Asks for paste");
    t.send(keys::ENTER);
    t.wait_for("the first prompt", PATIENCE, |s| s.contains("│First:"));
    t.wait_text("typing into asks");
    t.send(b"\x1b[200~ab\n\x1b[201~");
    t.wait_text("✓  Asks for paste");
    t.send(keys::ENTER);
    t.wait_for("the second prompt", PATIENCE, |s| s.contains("│Second:"));
    t.wait_text("typing into plain");
    t.send(b"\x1b[200~cd\n\x1b[201~");
    t.wait_text("Session completed");
    t.send(keys::ENTER);
    assert_eq!(t.wait_exit(), Some(0));
    let sessions = home.path().join("sessions");
    let dir = std::fs::read_dir(&sessions)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let log = |name: &str| std::fs::read_to_string(dir.join("output").join(name)).unwrap();
    // `read` stops at the Enter: the start mark and the text before it,
    // and nothing else typed before them.
    assert!(
        log("asks.1.log").contains("~ 033 [ 2 0 0 ~ a b"),
        "{}",
        log("asks.1.log")
    );
    assert!(
        log("plain.1.log").contains(" c d"),
        "{}",
        log("plain.1.log")
    );
    assert!(
        !log("plain.1.log").contains("033"),
        "{}",
        log("plain.1.log")
    );
}
