//! The terminal's input as the interface reads it (`src/tui/tty_events.rs`),
//! in the real binary in a pseudo-terminal: a resized window is drawn
//! again at its size, a byte sequence stepwise cannot read does not stop
//! the screen, and the terminal the shell shares with stepwise keeps its
//! flags (stepwise reads a non-blocking copy of its own).

#[path = "support/pty.rs"]
mod pty;

use pty::{PATIENCE, Term, keys};
use std::path::Path;

const SIZE: (u16, u16) = (100, 30);

/// A runbook whose one step prints `tick-1` … `tick-12`, a quarter of a
/// second apart.
fn ticking_runbook(dir: &Path) -> std::path::PathBuf {
    let rb = dir.join("ticks.yaml");
    std::fs::write(
        &rb,
        "runbook: 1\nid: ticks\ntitle: Ticks\nsections:\n  - title: Only\n    steps:\n      \
         - title: Tick\n        id: tick\n        \
         run: for i in $(seq 1 12); do echo tick-$i; sleep 0.25; done\n",
    )
    .unwrap();
    rb
}

/// The ticking runbook's session, on its first screen.
fn start(home: &Path) -> Term {
    let rb = ticking_runbook(home);
    let t = Term::spawn(
        &["run", "--trust", rb.to_str().unwrap()],
        &[("STEPWISE_HOME", home)],
        SIZE,
    );
    t.wait_text("Not run yet. Enter runs it.");
    t
}

/// Waits for the session's end and leaves it.
fn leave_completed(t: &mut Term) {
    t.wait_text("Session completed");
    t.send(keys::ENTER);
    assert_eq!(t.wait_exit(), Some(0));
}

#[test]
fn a_resized_window_is_drawn_again_at_its_new_size() {
    let home = tempfile::tempdir().unwrap();
    let mut t = start(home.path());
    t.resize((44, 12));
    t.wait_text("44x12).");
    let (cols, rows) = (90, 26);
    t.resize((cols, rows));
    // The status bar (the runbook's title) is on the last row of the new
    // size only once stepwise has drawn again.
    t.wait_for("the status bar on the last row of 26", PATIENCE, |s| {
        s.lines()
            .nth(usize::from(rows) - 1)
            .is_some_and(|l| l.contains("Ticks"))
    });
    // Keys still work at the new size.
    t.send(keys::ENTER);
    leave_completed(&mut t);
}

/// `ESC O Z` is no key crossterm knows: it reads the three bytes and makes
/// nothing of them. Read on a blocking terminal, the next read would wait
/// for the next key on the interface's thread, and the screen would stop.
#[test]
fn a_byte_sequence_that_is_no_key_does_not_stop_the_screen() {
    let home = tempfile::tempdir().unwrap();
    let mut t = start(home.path());
    t.send(keys::ENTER);
    t.wait_text("tick-1");
    t.send(b"\x1bOZ");
    // No key after it: the step's output still reaches the screen.
    t.wait_text("tick-12");
    leave_completed(&mut t);
}

/// The status flags of the shell's standard input, as `grep` finds them
/// in `/proc/self/fdinfo/0` (the same open terminal as the shell's).
const FLAGS: &str = "grep '^flags' /proc/self/fdinfo/0";

#[test]
fn the_shells_terminal_keeps_its_flags_through_a_session() {
    let home = tempfile::tempdir().unwrap();
    let rb = ticking_runbook(home.path());
    let env = [("STEPWISE_HOME", home.path()), ("RB", rb.as_path())];
    let script = format!("{FLAGS}; \"$STEPWISE\" run --trust \"$RB\"; {FLAGS}; echo shell-done");
    let mut t = Term::spawn_shell(&script, &env, SIZE);
    t.wait_text("Not run yet. Enter runs it.");
    t.send(b"q");
    t.wait_text("y/Enter");
    t.send(b"y");
    t.wait_raw("shell-done");
    assert_eq!(t.wait_exit(), Some(0));
    let out = t.raw_text();
    let flags: Vec<u32> = out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("flags:"))
        .map(|f| u32::from_str_radix(f.trim(), 8).expect("octal flags"))
        .collect();
    assert_eq!(flags.len(), 2, "flags before and after, in:\n{out}");
    let nonblock = nix::fcntl::OFlag::O_NONBLOCK.bits() as u32;
    assert_eq!(flags[0] & nonblock, 0, "the terminal came blocking");
    assert_eq!(flags[0], flags[1], "the terminal's flags changed:\n{out}");
}

/// A paste arrives whole (bracketed paste, which the interface turns on
/// and off again): on the main screen its letters are no commands (a
/// pasted `q` asks nothing, a pasted Enter runs nothing); in a reason's
/// field its lines join into the one reason that goes into the journal.
#[test]
fn a_paste_goes_into_the_field_whole_and_never_acts_as_keys() {
    let home = tempfile::tempdir().unwrap();
    let mut t = start(home.path());
    t.wait_raw("\x1b[?2004h");
    t.send(b"\x1b[200~q\ry a\r\x1b[201~");
    t.wait_text("A paste goes into a text field");
    assert!(!t.screen().contains("tick-1"), "{}", t.screen());
    assert!(!t.screen().contains("Quit"), "{}", t.screen());
    t.send(b"s");
    t.wait_text("why?");
    t.send(b"\x1b[200~vendor down\r\nsee INC-4821 q\r\x1b[201~");
    t.wait_text("vendor down see INC-4821 q");
    t.send(keys::ENTER);
    t.wait_text("Session completed");
    t.send(keys::ENTER);
    assert_eq!(t.wait_exit(), Some(0));
    assert!(
        t.raw_text().contains("\x1b[?2004l"),
        "bracketed paste left on"
    );
    let dirs: Vec<_> = std::fs::read_dir(home.path().join("sessions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let journal = std::fs::read_to_string(dirs[0].join("journal.jsonl")).unwrap();
    assert!(
        journal.contains(r#""reason":"vendor down see INC-4821 q""#),
        "{journal}"
    );
}

/// Before any session: a paste on the trust screen is no key (a pasted
/// `t` does not trust the runbook, a pasted `a` does not start it), and a
/// paste into the inputs form fills the field without submitting it (its
/// trailing newline is no Enter).
#[test]
fn a_paste_before_the_session_neither_trusts_nor_submits() {
    let home = tempfile::tempdir().unwrap();
    let rb = home.path().join("rb.yaml");
    std::fs::write(
        &rb,
        "runbook: 1\nid: p\ntitle: P\ninputs:\n  TICKET: { description: The ticket }\nsections:\n  - title: S\n    steps:\n      - title: Touch\n        run: echo \"$TICKET\" > touched\n",
    )
    .unwrap();
    let env = [("STEPWISE_HOME", home.path())];
    let mut t = Term::spawn_in(home.path(), &["run", "rb.yaml"], &env, SIZE);
    t.wait_text("Trust this runbook?");
    t.wait_raw("\x1b[?2004h");
    t.send(b"\x1b[200~take a look\r\x1b[201~");
    // Still asked: nothing was trusted, no session began.
    t.send(b"\x1b[B");
    t.wait_text("Trust this runbook?");
    assert!(!home.path().join("sessions").exists());
    assert!(
        !t.screen().contains("Inputs for this session"),
        "{}",
        t.screen()
    );
    t.send(b"t");
    t.wait_text("Inputs for this session");
    t.send(b"\x1b[200~INC-42\r\n\x1b[201~");
    t.wait_text("INC-42");
    assert!(
        !home.path().join("sessions").exists(),
        "the paste submitted the form"
    );
    t.send(keys::ENTER);
    t.wait_text("Not run yet. Enter runs it.");
    t.send(keys::ENTER);
    leave_completed(&mut t);
    let touched = std::fs::read_to_string(home.path().join("touched")).unwrap();
    assert_eq!(touched, "INC-42\n");
}
