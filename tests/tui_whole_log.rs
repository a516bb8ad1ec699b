//! The log pane pages through the whole attempt log on disk (issue 14,
//! items 1 and 2), in the real binary in a pseudo-terminal: `Home` shows
//! line 1 of a 200,000-line step, `/` finds line 12,345 and `n` the next
//! match, and a paused view stays on the same lines while output flows.

#[path = "support/pty.rs"]
mod pty;

use pty::{PATIENCE, Term, keys};
use std::path::{Path, PathBuf};

const SIZE: (u16, u16) = (100, 30);

fn runbook(dir: &Path, run: &str) -> PathBuf {
    let path = dir.join("rb.yaml");
    let text = format!(
        "runbook: 1\nid: big\ntitle: Big\nsections:\n  - title: Noise\n    steps:\n      \
         - title: Print many lines\n        id: big\n        run: {run}\n      \
         - title: Afterwards\n        id: after\n        run: echo after\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Whether a cell of the screen (between box lines) holds exactly `text`.
fn has_row(screen: &str, text: &str) -> bool {
    screen
        .lines()
        .any(|l| l.split('│').any(|cell| cell.trim() == text))
}

/// The log pane's rows (the cells right of the steps pane).
fn log_rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter_map(|l| {
            l.split('│')
                .map(str::trim)
                .find(|c| c.starts_with("batch"))
                .map(str::to_string)
        })
        .collect()
}

fn session_log(home: &Path) -> PathBuf {
    let dir = std::fs::read_dir(home.join("sessions"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    dir.join("output/big.1.log")
}

fn lines_on_disk(home: &Path) -> usize {
    std::fs::read(session_log(home))
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .unwrap_or(0)
}

#[test]
fn home_shows_line_one_and_search_covers_the_whole_log() {
    let home = tempfile::tempdir().unwrap();
    let rb = runbook(home.path(), "seq 200000 | sed 's/^/line /'");
    let env = [("STEPWISE_HOME", home.path())];
    let mut t = Term::spawn(&["run", "--trust", rb.to_str().unwrap()], &env, SIZE);
    t.wait_text("Print many lines");
    t.send(keys::ENTER);
    t.wait_for("the step to end", PATIENCE * 2, |s| {
        s.contains("✓  Print many")
    });
    t.send(keys::UP);
    t.wait_for("the whole log's end", PATIENCE, |s| {
        has_row(s, "line 200000")
    });
    t.send(b"\x1b[H");
    t.wait_for("line 1 at the top", PATIENCE, |s| {
        has_row(s, "line 1") && has_row(s, "line 2") && s.contains("PAUSED")
    });
    t.send(b"/");
    t.wait_text("Search the log");
    t.type_text("line 12345");
    t.send(keys::ENTER);
    t.wait_for("the match", PATIENCE, |s| {
        has_row(s, "line 12345") && s.contains(": line 12345")
    });
    // The next match is line 123450 (numbers are counted from the cursor on).
    t.send(b"n");
    t.wait_for("the next match", PATIENCE, |s| has_row(s, "line 123450"));
    t.send(b"N");
    t.wait_for("back to the first", PATIENCE, |s| has_row(s, "line 12345"));
    t.send(b"q");
    t.wait_text("Quit");
    t.send(b"y");
    t.wait_exit();
}

/// The log pane's rows once two reads 50 ms apart agree: the frame that
/// first shows `PAUSED` in the title may not have drawn its rows yet.
fn settled_rows(t: &Term) -> Vec<String> {
    let start = std::time::Instant::now();
    let mut last = log_rows(&t.screen());
    loop {
        std::thread::sleep(std::time::Duration::from_millis(50));
        let now = log_rows(&t.screen());
        if now == last || start.elapsed() > PATIENCE {
            return now;
        }
        last = now;
    }
}

#[test]
fn a_paused_view_stays_on_the_same_lines_while_output_flows() {
    let home = tempfile::tempdir().unwrap();
    let rb = runbook(
        home.path(),
        "for i in $(seq 40); do seq 5000 | sed \"s/^/batch $i row /\"; sleep 0.2; done",
    );
    let env = [("STEPWISE_HOME", home.path())];
    let mut t = Term::spawn(&["run", "--trust", rb.to_str().unwrap()], &env, SIZE);
    t.wait_text("Print many lines");
    t.send(keys::ENTER);
    t.wait_for("output", PATIENCE, |s| s.contains("batch 3 row"));
    t.send(b"\x1b[5~");
    t.wait_text("PAUSED");
    let before = settled_rows(&t);
    assert!(before.len() > 10, "{before:?}");
    let on_disk = lines_on_disk(home.path());
    t.wait_for("more output on disk", PATIENCE, |_| {
        lines_on_disk(home.path()) > on_disk + 20_000
    });
    let after = log_rows(&t.screen());
    assert_eq!(before, after, "the paused view moved");
    t.send(b"f");
    t.wait_for("following again", PATIENCE, |s| log_rows(s) != before);
    t.send(b"c");
    t.send(b"y");
    t.wait_text("Step failed");
    t.send(keys::ESC);
    // Esc and q sent together read as Alt-q: the dialog closes first.
    t.wait_for("the dialog closed", PATIENCE, |s| {
        !s.contains("Step failed")
    });
    t.send(b"q");
    t.wait_text("Quit?");
    t.send(b"y");
    t.wait_exit();
}
