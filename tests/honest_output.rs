//! Issue #12, items 4, 9 and 10 through the real binary: what the operator
//! is told is true and complete — the README's export command works, a
//! timeout is said when it happens, leftovers of a step are said, a last
//! line keeps its label, a note that is not UTF-8 is refused aloud.

use std::path::Path;

#[path = "support/sessions.rs"]
mod sessions;
use sessions::*;

#[test]
fn export_to_a_bare_file_name_writes_it_in_the_current_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let rb = runbook(tmp.path(), "bare", &[("hello", "echo hi")]);
    let out = run(&home, &rb, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let id = id_of(&only_session(&home));
    for (format, name) in [("html", "incident.html"), ("md", "incident.md")] {
        let out = stepwise(&home)
            .current_dir(tmp.path())
            .args(["export", &id, "--format", format, "-o", name])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let written = std::fs::read_to_string(tmp.path().join(name)).unwrap();
        assert!(written.contains("bare"), "{written}");
    }
}

#[test]
fn a_last_output_line_without_a_newline_keeps_its_step_label() {
    let tmp = tempfile::tempdir().unwrap();
    let rb = runbook(
        tmp.path(),
        "tail",
        &[("hello", "printf 'first\\ntail without newline'")],
    );
    let out = run(&tmp.path().join("home"), &rb, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stdout.contains("    hello | first\n"), "{stdout}");
    assert!(
        stdout.contains("    hello | tail without newline\n"),
        "{stdout}"
    );
}

#[test]
fn a_note_typed_on_stdin_that_is_not_utf8_is_refused_with_a_clear_error() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("note.yaml");
    std::fs::write(
        &path,
        "runbook: 1\nid: note\ntitle: note\nsections:\n  - title: S\n    steps:\n      \
         - id: why\n        title: Why\n        note: required\n",
    )
    .unwrap();
    let mut child = stepwise(&tmp.path().join("home"))
        .args(["run", "--headless", "--trust"])
        .arg(&path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"done\nlatin-1 caf\xe9 note\n").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(4), "{t}");
    assert!(
        t.contains("line 2 typed on stdin is not valid UTF-8 (byte 12 of it)"),
        "{t}"
    );
}

/// Runs `stepwise ARGS…` with stdout read line by line; returns each line
/// with the time it arrived, from the start, and the exit code.
fn timed_lines(home: &Path, args: &[&std::ffi::OsStr]) -> (Vec<(f64, String)>, Option<i32>) {
    use std::io::BufRead;
    let start = std::time::Instant::now();
    let mut child = stepwise(home)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let lines = reader
        .lines()
        .map_while(Result::ok)
        .map(|l| (start.elapsed().as_secs_f64(), l))
        .collect();
    (lines, child.wait().unwrap().code())
}

#[test]
fn a_timeout_is_said_when_it_happens_not_after_the_grace() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("slow.yaml");
    std::fs::write(
        &path,
        "runbook: 1\nid: slow\ntitle: slow\nsections:\n  - title: S\n    steps:\n      \
         - id: stubborn\n        title: Stubborn\n        timeout: 1s\n        \
         run: trap '' TERM; echo started; sleep 30\n",
    )
    .unwrap();
    let home = tmp.path().join("home");
    let args = ["run", "--headless", "--trust"].map(std::ffi::OsStr::new);
    let (lines, code) = timed_lines(&home, &[&args[..], &[path.as_os_str()]].concat());
    assert_eq!(code, Some(3), "{lines:?}");
    let at = |marker: &str| {
        lines
            .iter()
            .find(|(_, l)| l.contains(marker))
            .unwrap_or_else(|| panic!("no `{marker}` in {lines:?}"))
            .0
    };
    let said = at("timed out after 1s, sending SIGTERM");
    let exited = at("✗ stubborn: signal 9");
    assert!(
        said < exited - 3.0,
        "the timeout was said at {said:.1}s, the SIGKILL came at {exited:.1}s: {lines:?}"
    );
}

#[test]
fn leftovers_ended_after_a_step_are_journalled_and_shown_and_the_duration_is_the_real_span() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let rb = runbook(
        tmp.path(),
        "forky",
        &[(
            "forky",
            "for i in $(seq 200); do sleep 300 & done; echo forked",
        )],
    );
    let out = run(&home, &rb, &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let said =
        "forky (attempt 1): ended 200 leftover processes of the step's group after it exited";
    assert!(t.contains(said), "{t}");
    let dir = only_session(&home);
    let loaded = stepwise::session::journal::read(&dir.join("journal.jsonl")).unwrap();
    use stepwise::session::event::Event;
    let at = |kind: &str| {
        loaded
            .records
            .iter()
            .find(|r| serde_json::to_value(&r.event).unwrap()["type"] == kind)
            .unwrap_or_else(|| panic!("no {kind}"))
    };
    assert!(matches!(
        at("leftovers_ended").event,
        Event::LeftoversEnded { count: 200, .. }
    ));
    let span = (at("step_exited").at - at("step_started").at).num_milliseconds();
    let Event::StepExited { duration_ms, .. } = at("step_exited").event else {
        unreachable!()
    };
    // At least the leftovers' ending (not the first process's quick exit),
    // and within the journal's span from its start to its exit (the
    // records' times are taken on each side of the attempt; 100 ms for
    // the two clocks' steps), however slowly the machine wrote them.
    assert!(
        duration_ms as i64 >= 2000 && duration_ms as i64 <= span + 100,
        "the duration ({duration_ms} ms) is not the attempt's span ({span} ms)"
    );
    let md = stepwise(&home)
        .args(["export", &id_of(&dir)])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(
        md.contains("**Leftovers:** ended 200 leftover processes"),
        "{md}"
    );
}
