//! The real binary in a pseudo-terminal: walk a small runbook, quit midway,
//! resume, finish; a flood of output; secrets; suspend and resume; a panic.
//!
//! Every wait polls the parsed screen with a generous deadline.

#[path = "support/pty.rs"]
mod pty;

use pty::{PATIENCE, Term, keys};
use std::path::{Path, PathBuf};
use std::time::Duration;

const SIZE: (u16, u16) = (100, 30);

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/runbooks/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// The only session folder under `home`.
fn session_dir(home: &Path) -> PathBuf {
    let dirs: Vec<_> = std::fs::read_dir(home.join("sessions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(dirs.len(), 1, "one session expected: {dirs:?}");
    dirs.into_iter().next().unwrap()
}

fn transcript(dir: &Path) -> String {
    let md = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "md"))
        .expect("a Markdown transcript in the session folder");
    std::fs::read_to_string(md).unwrap()
}

/// The id printed after `stepwise resume ` in the program's output.
fn resume_id(out: &str) -> String {
    let at = out.find("stepwise resume ").expect("a resume line") + "stepwise resume ".len();
    out[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

#[test]
fn walk_quit_resume_and_finish() {
    let home = tempfile::tempdir().unwrap();
    let env = [("STEPWISE_HOME", home.path())];
    let rb = fixture("e2e.yaml");
    let mut t = Term::spawn(&["run", "--trust", &rb], &env, SIZE);
    t.wait_text("Print the version");
    t.wait_text("Tell the team");
    t.wait_text("Not run yet. Enter runs it.");

    t.send(keys::ENTER);
    t.wait_text("✓  Print the version");
    // The selection moved on to the human step; go back to see the output.
    t.send(keys::UP);
    t.wait_text("running version v1.4.2");

    // Quit midway.
    t.send(b"q");
    t.wait_text("saved");
    t.send(b"y");
    assert_eq!(t.wait_exit(), Some(0));
    let out = t.raw_text();
    let id = resume_id(&out);
    assert!(id.contains("e2e"), "resume id {id:?} in:\n{out}");
    t.with_screen(|s| {
        assert!(!s.alternate_screen(), "alternate screen left");
        assert!(!s.hide_cursor(), "cursor visible");
    });

    // Resume in a new terminal: the history and its output are there.
    let mut t = Term::spawn(&["resume", &id], &env, SIZE);
    t.wait_text("✓  Print the version");
    t.wait_text("Tell the team");
    t.send(keys::UP);
    t.wait_text("running version v1.4.2");
    t.send(keys::DOWN);
    t.send(keys::ENTER);
    t.wait_text("Ctrl-D");
    // An empty note is refused with a clear message.
    t.send(keys::CTRL_D);
    t.wait_text("needs a note");
    t.type_text("paged the team in #incident-42");
    t.wait_text("paged the team in #incident-42");
    t.send(keys::CTRL_D);
    // The last screen stays until a key: the outcome, then leave.
    t.wait_text("Session completed: 2/2 steps settled");
    t.send(keys::ENTER);
    assert_eq!(t.wait_exit(), Some(0));

    let dir = session_dir(home.path());
    let journal = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    assert!(journal.contains("paged the team in #incident-42"));
    let md = transcript(&dir);
    assert!(md.contains("paged the team in #incident-42"), "{md}");
    assert!(md.contains("running version v1.4.2") || md.contains("Print the version"));
}

#[test]
fn keys_are_answered_during_a_flood() {
    let home = tempfile::tempdir().unwrap();
    let env = [("STEPWISE_HOME", home.path())];
    let rb = fixture("flood.yaml");
    let mut t = Term::spawn(&["run", "--trust", &rb], &env, SIZE);
    t.wait_text("Print a million lines");
    t.send(keys::ENTER);
    // Wait until the flood is visibly under way.
    t.wait_for("the flood", PATIENCE, |s| {
        s.contains("Log · flood") && s.contains("25000") && !s.contains("✓  Print a million")
    });
    t.send(keys::DOWN);
    // Answered while the flood still runs (it lasts four seconds at
    // least): judged on the screen that first shows the key, not by a
    // clock.
    let flood_over_when_shown = std::cell::Cell::new(false);
    t.wait_for("the selection to move", PATIENCE, |s| {
        let shown = s.contains("Log · after");
        if shown {
            flood_over_when_shown.set(s.contains("✓  Print a million"));
        }
        shown
    });
    assert!(
        !flood_over_when_shown.get(),
        "the key showed only once the flood was over"
    );
    t.wait_for("the step to complete", Duration::from_secs(120), |s| {
        s.contains("✓  Print a million lines")
    });
    t.send(b"q");
    t.send(b"y");
    assert_eq!(t.wait_exit(), Some(0));
    let log = std::fs::read(session_dir(home.path()).join("output/flood.1.log")).unwrap();
    let lines = log.iter().filter(|&&b| b == b'\n').count();
    assert_eq!(lines, 1_000_000, "the whole output is on disk");
}

#[test]
fn a_secret_never_reaches_the_screen() {
    let home = tempfile::tempdir().unwrap();
    let env = [("STEPWISE_HOME", home.path())];
    let rb = fixture("small.yaml");
    let secret = "hunter2-very-secret";
    let var = format!("TOKEN={secret}");
    let mut t = Term::spawn(
        &["run", "--trust", "--auto", "--var", &var, &rb],
        &env,
        SIZE,
    );
    t.wait_text("✓  Use the version");
    t.send(keys::UP);
    t.wait_text("token=");
    assert!(
        !t.raw_text().contains(secret),
        "the secret reached the terminal"
    );
    t.send(b"q");
    t.send(b"y");
    assert_eq!(t.wait_exit(), Some(0));
    assert!(!t.raw_text().contains(secret));
}

#[test]
fn suspend_and_continue_redraw_the_screen() {
    use nix::sys::signal::Signal;
    let home = tempfile::tempdir().unwrap();
    let env = [("STEPWISE_HOME", home.path())];
    let rb = fixture("e2e.yaml");
    let mut t = Term::spawn(&["run", "--trust", &rb], &env, SIZE);
    t.wait_text("Not run yet. Enter runs it.");
    t.signal(Signal::SIGTSTP);
    t.wait_for("the normal screen", PATIENCE, |_| {
        t.with_screen(|s| !s.alternate_screen())
    });
    t.signal(Signal::SIGCONT);
    t.wait_for("the screen to come back", PATIENCE, |s| {
        t.with_screen(|sc| sc.alternate_screen()) && s.contains("Not run yet. Enter runs it.")
    });
    // Keys work again (raw mode is back: Enter is one key, not a line).
    t.send(keys::ENTER);
    t.wait_text("✓  Print the version");
    t.send(b"q");
    t.send(b"y");
    assert_eq!(t.wait_exit(), Some(0));
}

/// The screens before a session (here the trust prompt; the picker and the
/// inputs form share its loop) give the terminal back on SIGTERM and SIGHUP,
/// exit 130, and start nothing.
fn a_stop_signal_on_the_trust_screen(sig: nix::sys::signal::Signal) {
    let home = tempfile::tempdir().unwrap();
    let rb = fixture("e2e.yaml");
    let mut t = Term::spawn(&["run", &rb], &[("STEPWISE_HOME", home.path())], SIZE);
    t.wait_text("Trust this runbook?");
    t.with_screen(|s| assert!(s.alternate_screen(), "the trust screen is up"));
    t.signal(sig);
    assert_eq!(t.wait_exit(), Some(130), "{}", t.raw_text());
    t.with_screen(|s| {
        assert!(!s.alternate_screen(), "the alternate screen was left");
        assert!(!s.hide_cursor(), "the cursor is visible");
    });
    assert!(
        t.raw_text().contains("no session was started"),
        "{}",
        t.raw_text()
    );
    assert!(
        !home.path().join("sessions").exists(),
        "a session was created"
    );
    assert!(!home.path().join("trusted.json").exists(), "it was trusted");
}

#[test]
fn sigterm_on_the_trust_screen_restores_the_terminal_and_exits_130() {
    a_stop_signal_on_the_trust_screen(nix::sys::signal::Signal::SIGTERM);
}

#[test]
fn sighup_on_the_trust_screen_restores_the_terminal_and_exits_130() {
    a_stop_signal_on_the_trust_screen(nix::sys::signal::Signal::SIGHUP);
}

/// A terminal that goes away (its window closed) under a screen before the
/// session ends stepwise (SIGHUP): it must not stay behind reading the dead
/// terminal. (A version that only set a flag on the signal spun at full CPU
/// inside the terminal library, which reads end-of-file forever there.)
#[test]
fn a_terminal_that_goes_away_under_the_trust_screen_ends_stepwise() {
    use std::io::Read;
    let home = tempfile::tempdir().unwrap();
    let rb = fixture("e2e.yaml");
    let (pty, pts) = pty_process::blocking::open().unwrap();
    pty.resize(pty_process::Size::new(SIZE.1, SIZE.0)).unwrap();
    let mut child = pty_process::blocking::Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args(["run", &rb])
        .env("STEPWISE_HOME", home.path())
        .env("TERM", "xterm-256color")
        .spawn(pts)
        .unwrap();
    let mut parser = vt100::Parser::new(SIZE.1, SIZE.0, 0);
    let mut buf = [0u8; 4096];
    while !parser.screen().contents().contains("Trust this runbook?") {
        let n = (&pty)
            .read(&mut buf)
            .expect("stepwise draws the trust screen");
        assert!(n > 0, "the terminal closed before the trust screen");
        parser.process(&buf[..n]);
    }
    drop(pty);
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > PATIENCE {
            let _ = child.kill();
            panic!("stepwise stayed behind its closed terminal");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(!status.success(), "{status:?}");
    assert!(
        !home.path().join("sessions").exists(),
        "a session was created"
    );
}

#[test]
fn a_panic_restores_the_terminal_and_keeps_the_journal() {
    let home = tempfile::tempdir().unwrap();
    let rb = fixture("e2e.yaml");
    let mut t = Term::spawn(
        &["run", "--trust", &rb],
        &[
            ("STEPWISE_HOME", home.path()),
            ("STEPWISE_TEST_PANIC", Path::new("after-first-draw")),
        ],
        SIZE,
    );
    let code = t.wait_exit();
    assert_ne!(code, Some(0));
    t.with_screen(|s| {
        assert!(!s.alternate_screen(), "the alternate screen was left");
        assert!(!s.hide_cursor(), "the cursor is visible");
    });
    assert!(t.raw_text().contains("STEPWISE_TEST_PANIC"));
    let journal = std::fs::read_to_string(session_dir(home.path()).join("journal.jsonl")).unwrap();
    let loaded =
        stepwise::session::journal::read(&session_dir(home.path()).join("journal.jsonl")).unwrap();
    assert!(!loaded.records.is_empty(), "{journal}");
}

/// Resuming with a screen asks for a secret that was never stored, typed
/// masked, instead of refusing until it comes back as a `--var` (which
/// shows in `ps` and in the shell's history).
#[test]
fn resume_with_a_screen_asks_for_the_secret_masked() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("rb.yaml"),
        "runbook: 1\nid: sec\ntitle: Secret\ninputs:\n  TOKEN: { secret: true }\nsections:\n  - title: S\n    steps:\n      - title: Ask\n      - title: Use\n        run: echo \"len=${#TOKEN}\"\n",
    )
    .unwrap();
    let first = std::process::Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .env("STEPWISE_HOME", home.path())
        .current_dir(work.path())
        .args([
            "run",
            "--headless",
            "--trust",
            "--var",
            "TOKEN=s3cr3t-xyz",
            "rb.yaml",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(4), "{first:?}");
    let env = [("STEPWISE_HOME", home.path())];
    let mut t = Term::spawn_in(work.path(), &["resume"], &env, SIZE);
    t.wait_text("Inputs for this session");
    t.type_text("s3cr3t-xyz");
    t.wait_text("••••••••••");
    t.send(b"\t");
    t.send(keys::ENTER);
    t.wait_text("A human step has no output");
    t.send(keys::ENTER);
    t.send(&[0x04]); // Ctrl-D: done
    t.wait_text("✓  Ask");
    t.send(keys::ENTER);
    t.wait_text("Session completed");
    t.send(keys::ENTER);
    assert_eq!(t.wait_exit(), Some(0));
    assert!(
        !t.raw_text().contains("s3cr3t-xyz"),
        "the secret reached the screen"
    );
    let dir = session_dir(home.path());
    let log = std::fs::read_to_string(dir.join("output/use.1.log")).unwrap();
    assert_eq!(log, "len=10\n", "the typed secret reached the step");
}

#[test]
fn the_inputs_form_asks_for_a_missing_value_and_runs_default_from_once() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let rb = work.path().join("rb.yaml");
    std::fs::write(
        &rb,
        "runbook: 1\nid: form\ntitle: Form\ninputs:\n  TAG:\n    description: The tag\n    pattern: '^v[0-9]+$'\n  WHEN: { default_from: 'echo ran >> df-count; echo now' }\nsections:\n  - title: S\n    steps:\n      - title: Show\n        run: echo \"tag=$TAG when=$WHEN\"\n",
    )
    .unwrap();
    let env = [("STEPWISE_HOME", home.path())];
    let mut t = Term::spawn_in(work.path(), &["run", "--trust", "rb.yaml"], &env, SIZE);
    t.wait_text("Inputs for this session");
    t.type_text("x1");
    t.send(b"\t");
    t.send(keys::ENTER);
    t.wait_text("must match the pattern");
    t.send(b"\x7f\x7f");
    t.type_text("v7");
    t.send(b"\t");
    t.send(keys::ENTER);
    t.wait_text("Not run yet. Enter runs it.");
    t.send(keys::ENTER);
    t.wait_text("Session completed");
    t.send(keys::ENTER);
    assert_eq!(t.wait_exit(), Some(0));
    let journal = std::fs::read_to_string(session_dir(home.path()).join("journal.jsonl")).unwrap();
    assert!(
        journal
            .contains("\"name\":\"TAG\",\"value\":\"v7\",\"secret\":false,\"source\":\"prompt\""),
        "{journal}"
    );
    let log = std::fs::read_to_string(session_dir(home.path()).join("output/show.1.log")).unwrap();
    assert_eq!(log, "tag=v7 when=now\n");
    let runs = std::fs::read_to_string(work.path().join("df-count")).unwrap();
    assert_eq!(runs.lines().count(), 1, "default_from ran more than once");
}

/// `stepwise run --trust --auto` of a one-step runbook (`run`) in a pty
/// of its own, read until `text` is on screen; then the terminal is
/// closed under it. Returns stepwise, still to be waited for.
fn close_the_terminal_once_shown(home: &Path, run: &str, text: &str) -> std::process::Child {
    use std::io::Read;
    let rb = home.join("one.yaml");
    let yaml = format!(
        "runbook: 1\nid: one\ntitle: One\nsections:\n  - title: S\n    steps:\n      - title: Migrate\n        run: {run}\n"
    );
    std::fs::write(&rb, yaml).unwrap();
    let (pty, pts) = pty_process::blocking::open().unwrap();
    pty.resize(pty_process::Size::new(SIZE.1, SIZE.0)).unwrap();
    let child = pty_process::blocking::Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args(["run", "--trust", "--auto"])
        .arg(&rb)
        .env("STEPWISE_HOME", home)
        .env("TERM", "xterm-256color")
        .current_dir(home)
        .spawn(pts)
        .unwrap();
    let mut parser = vt100::Parser::new(SIZE.1, SIZE.0, 0);
    let mut buf = [0u8; 4096];
    while !parser.screen().contents().contains(text) {
        let n = (&pty).read(&mut buf).expect("stepwise draws its screen");
        assert!(n > 0, "the terminal closed before {text:?} was shown");
        parser.process(&buf[..n]);
    }
    drop(pty);
    child
}

/// How stepwise ended, once it has: it must not stay behind.
fn exit_once_gone(child: &mut std::process::Child) -> std::process::ExitStatus {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > PATIENCE {
            let _ = child.kill();
            panic!("stepwise stayed behind its closed terminal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Issue 13: the terminal is closed under the interface while a step runs
/// (SIGHUP). stepwise journals the interruption and exits; the step runs
/// on under its monitor to its end; `resume` shows it finished.
#[test]
fn closing_the_terminal_under_a_running_step_leaves_it_running_to_its_end() {
    let home = tempfile::tempdir().unwrap();
    let run =
        "for i in $(seq 1 30); do echo \"migrating table $i/30\"; sleep 0.1; done; touch migrated";
    let mut child = close_the_terminal_once_shown(home.path(), run, "migrating table 3/30");
    exit_once_gone(&mut child);
    let dir = session_dir(home.path());
    let journal = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    assert!(journal.contains("\"signal\":\"SIGHUP\""), "{journal}");
    assert!(
        !journal.contains("step_exited"),
        "the step was ended: {journal}"
    );
    let start = std::time::Instant::now();
    while !home.path().join("migrated").exists() {
        assert!(start.elapsed() < PATIENCE, "the step died with stepwise");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args(["resume", "--headless"])
        .env("STEPWISE_HOME", home.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("migrating table 30/30") && text.contains("✓ migrate: exit 0"),
        "{text}"
    );
    let log = std::fs::read_to_string(dir.join("output/migrate.1.log")).unwrap();
    let want: String = (1..=30)
        .map(|i| format!("migrating table {i}/30\n"))
        .collect();
    assert_eq!(log, want, "the log lost output");
}

/// The terminal closed while the finished screen waits for a key: the
/// terminal fails or its input ends, and stepwise exits with the
/// session's own code instead of staying behind (it used to poll the
/// ended input forever at 100 % CPU, or panic in ratatui's `eprintln!`).
#[test]
fn closing_the_terminal_on_the_finished_screen_ends_stepwise() {
    let home = tempfile::tempdir().unwrap();
    let mut child = close_the_terminal_once_shown(home.path(), "echo quick", "Session completed");
    let status = exit_once_gone(&mut child);
    assert_eq!(status.code(), Some(0), "the session had completed");
    let journal = std::fs::read_to_string(session_dir(home.path()).join("journal.jsonl")).unwrap();
    assert!(journal.contains("session_completed"), "{journal}");
}

/// Issue 14 items 7 and 10 at 80x24: the bar keeps `? help` and `q quit`;
/// moving the selection off `▶` makes the list say which step `▶` marks,
/// `g` goes back to it, and the selection then follows `▶` as steps end.
#[test]
fn at_80_columns_the_two_marks_are_explained_and_g_goes_back() {
    let home = tempfile::tempdir().unwrap();
    let env = [("STEPWISE_HOME", home.path())];
    let rb = fixture("e2e.yaml");
    let mut t = Term::spawn(&["run", "--trust", &rb], &env, (80, 24));
    t.wait_text("Not run yet. Enter runs it.");
    let bar = |s: &str| s.lines().last().unwrap_or_default().to_string();
    t.wait_for("help and quit on the bar", PATIENCE, |s| {
        bar(s).contains("? help") && bar(s).contains("q quit")
    });
    t.send(keys::DOWN);
    t.wait_text("g goes there");
    t.wait_for("g on the bar", PATIENCE, |s| bar(s).contains("g to ▶"));
    t.send(b"g");
    t.wait_for("the legend gone", PATIENCE, |s| !s.contains("g goes there"));
    // Back on ▶, the selection follows it: Enter runs the step, and the
    // selection moves on to the human step with it.
    t.send(keys::ENTER);
    t.wait_text("✓  Print the version");
    t.wait_text("Log · latest output, from version");
    assert!(!t.screen().contains("g goes there"), "{}", t.screen());
    t.send(b"q");
    t.wait_text("saved");
    t.send(b"y");
    assert_eq!(t.wait_exit(), Some(0));
}

/// A resume's warning (the runbook file changed since the session began)
/// is printed before the screen opens, where the screen would hide it: it
/// is on the screen too.
#[test]
fn a_resume_shows_its_warning_on_the_screen() {
    let home = tempfile::tempdir().unwrap();
    let env = [("STEPWISE_HOME", home.path())];
    let rb = home.path().join("rb.yaml");
    std::fs::copy(fixture("e2e.yaml"), &rb).unwrap();
    let rb_text = rb.to_str().unwrap().to_owned();
    let mut t = Term::spawn(&["run", "--trust", &rb_text], &env, SIZE);
    t.wait_text("Print the version");
    t.send(b"q");
    t.wait_text("saved");
    t.send(b"y");
    assert_eq!(t.wait_exit(), Some(0));
    let id = resume_id(&t.raw_text());
    let mut text = std::fs::read_to_string(&rb).unwrap();
    text.push_str("# edited after the session began\n");
    std::fs::write(&rb, text).unwrap();
    let mut t = Term::spawn(&["resume", &id], &env, SIZE);
    t.wait_text("Print the version");
    t.wait_text("changed since this session started");
    t.send(b"q");
    t.send(b"q");
    t.wait_text("saved");
    t.send(b"y");
    assert_eq!(t.wait_exit(), Some(0));
}

/// A runbook whose last step is a status update to a pager that takes
/// updates once the file `up` exists beside it: its path.
fn last_update_runbook(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let rb = dir.join("last.yaml");
    std::fs::write(
        &rb,
        "runbook: 1\nid: last-update\ntitle: Last update\nchannels:\n  pager:\n    command: ./notify.sh\n\
         sections:\n  - title: S\n    steps:\n      - id: tell\n        title: Tell everyone it is over\n\
         \x20       update: Resolved.\n",
    )
    .unwrap();
    let notify = dir.join("notify.sh");
    std::fs::write(
        &notify,
        "#!/bin/sh\ncat > /dev/null\n[ -e up ] && exit 0\necho pager down >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&notify, std::fs::Permissions::from_mode(0o755)).unwrap();
    rb
}

/// Sends the last update from the interface and waits for the question
/// its refusal brings.
fn send_and_see_it_refused(t: &Term) {
    t.wait_text("Tell everyone it is over");
    t.send(keys::ENTER);
    t.wait_text("Ctrl-D send");
    t.send(keys::CTRL_D);
    t.wait_text("Not delivered");
    t.wait_text("pager: `./notify.sh` failed (exit status: 1): pager down");
}

/// The journal's update results (whether the pager took each) and
/// whether the session completed after them.
fn update_results(home: &Path) -> (Vec<bool>, bool) {
    let journal = std::fs::read_to_string(session_dir(home).join("journal.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let results = records
        .iter()
        .filter(|v| v["type"] == "update_result")
        .map(|v| v["results"][0]["ok"].as_bool().unwrap())
        .collect();
    (
        results,
        records.last().unwrap()["type"] == "session_completed",
    )
}

/// The last step, a status update, is refused by its channel: the session
/// does not close over it. The screen says what did not go through; once
/// the channel works, `r` sends it again and the session completes. The
/// journal has the refused send, the good one, then the end.
#[test]
fn a_last_update_that_failed_is_resent_before_the_session_closes() {
    let (home, dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let rb = last_update_runbook(dir.path());
    let env = [("STEPWISE_HOME", home.path())];
    let mut t = Term::spawn(&["run", "--trust", rb.to_str().unwrap()], &env, SIZE);
    send_and_see_it_refused(&t);
    std::fs::write(dir.path().join("up"), "").unwrap();
    t.send(b"r");
    t.wait_text("Session completed");
    t.send(keys::ENTER);
    assert_eq!(t.wait_exit(), Some(0));
    assert_eq!(update_results(home.path()), (vec![false, true], true));
}

/// Left open at the question (`q`), the session is resumed headless with
/// `--answer tell=resend` once the channel works: the update goes out and
/// the session completes.
#[test]
fn a_left_update_is_resent_by_a_headless_resume_answer() {
    let (home, dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let rb = last_update_runbook(dir.path());
    let env = [("STEPWISE_HOME", home.path())];
    let mut t = Term::spawn(&["run", "--trust", rb.to_str().unwrap()], &env, SIZE);
    send_and_see_it_refused(&t);
    t.send(b"q");
    assert_eq!(t.wait_exit(), Some(0));
    assert_eq!(update_results(home.path()), (vec![false], false));
    std::fs::write(dir.path().join("up"), "").unwrap();
    let resume = std::process::Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .env("STEPWISE_HOME", home.path())
        .args(["resume", "--headless", "--answer", "tell=resend"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&resume.stdout);
    assert_eq!(resume.status.code(), Some(0), "{said}");
    assert_eq!(
        update_results(home.path()),
        (vec![false, true], true),
        "{said}"
    );
}
