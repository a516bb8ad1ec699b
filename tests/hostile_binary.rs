//! Hostile runbooks through the real binary: every file of
//! `tests/fixtures/hostile/` (plus a few generated here, too big to commit)
//! given to `stepwise validate` and `stepwise run --headless --trust`.
//!
//! Each must exit 2 with a short, clear message (or succeed where the file is
//! valid: a BOM, CRLF line endings), create no session folder, leave no file
//! behind in STEPWISE_HOME. How fast they are refused is measured by the
//! benchmarks (`benches/run.sh`), not asserted here: a timed assertion on a
//! shared, loaded machine fails for the machine's sake, not the code's.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The longest message a refusal may print: a person reads it at 3 a.m.
const MAX_MESSAGE_BYTES: usize = 8 * 1024;

fn hostile_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile")
}

fn stepwise(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stepwise"));
    c.env("STEPWISE_HOME", home).env("NO_COLOR", "1");
    c
}

/// Every path under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        out.push(p.clone());
        if p.is_dir() {
            out.extend(files_under(&p));
        }
    }
    out
}

/// Runs one command on `file`; checks the time, the code and what was left.
fn check(args: &[&str], file: &Path, valid: bool) {
    let home = tempfile::tempdir().unwrap();
    let out = stepwise(home.path()).args(args).arg(file).output().unwrap();
    let name = format!("{} {}", args.join(" "), file.display());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if valid {
        assert_eq!(out.status.code(), Some(0), "{name}: {text}");
        return;
    }
    assert_eq!(out.status.code(), Some(2), "{name}: {text}");
    assert!(
        text.len() < MAX_MESSAGE_BYTES,
        "{name}: a {} byte message",
        text.len()
    );
    assert!(!text.contains("panicked"), "{name}: {text}");
    assert!(
        text.contains("runbook") || text.contains("YAML"),
        "{name}: no clear message: {text}"
    );
    let left = files_under(home.path());
    assert!(left.is_empty(), "{name}: left behind {left:?}");
}

fn check_both(file: &Path, valid: bool) {
    check(&["validate"], file, valid);
    check(&["run", "--headless", "--trust", "--yes"], file, valid);
}

#[test]
fn every_committed_hostile_file_is_refused_cleanly() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(hostile_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    files.sort();
    assert!(files.len() >= 12, "the corpus shrank: {files:?}");
    for f in files {
        let valid = f.to_string_lossy().contains("-accepted");
        check_both(&f, valid);
    }
}

/// A runbook whose one step has this title.
fn with_title(title: &str) -> String {
    format!(
        "runbook: 1\nid: big\ntitle: Big\nsections:\n  - title: S\n    steps:\n      - title: \"{title}\"\n"
    )
}

#[test]
fn generated_monsters_are_refused_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    // 10 MB: refused by size before parsing.
    let mut ten_mb = with_title("x").into_bytes();
    ten_mb.resize(10 * 1024 * 1024, b'#');
    check_both(&write("ten-mb.yaml", &ten_mb), false);
    // 100,000 steps: refused by the size limit (about 2 MB).
    let mut many =
        String::from("runbook: 1\nid: many\ntitle: Many\nsections:\n  - title: S\n    steps:\n");
    for i in 0..100_000 {
        many.push_str(&format!("      - title: s{i}\n"));
    }
    check_both(&write("many-steps.yaml", many.as_bytes()), false);
    // An enormous string just under the size limit, in a human step: refused
    // by the title length limit, or accepted — never slow.
    let huge = with_title(&"a".repeat(1000 * 1000));
    let huge_path = write("huge-string.yaml", huge.as_bytes());
    for args in [
        &["validate"][..],
        &["run", "--headless", "--trust", "--yes"][..],
    ] {
        let home = tempfile::tempdir().unwrap();
        let out = stepwise(home.path())
            .args(args)
            .arg(&huge_path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(
            text.len() < MAX_MESSAGE_BYTES,
            "{args:?}: a {} byte message",
            text.len()
        );
    }
}

/// The largest number of steps that fits in the size limit gets a short
/// answer (its time is benchmark material, see the module docs).
#[test]
fn the_most_steps_that_fit_get_a_short_answer() {
    let dir = tempfile::tempdir().unwrap();
    let mut text =
        String::from("runbook: 1\nid: many\ntitle: Many\nsections:\n  - title: S\n    steps:\n");
    let mut n = 0;
    while text.len() < 1000 * 1000 - 40 {
        text.push_str(&format!("      - title: s{n}\n"));
        n += 1;
    }
    let p = dir.path().join("many.yaml");
    std::fs::write(&p, &text).unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = stepwise(home.path())
        .arg("validate")
        .arg(&p)
        .output()
        .unwrap();
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(
        msg.len() < MAX_MESSAGE_BYTES,
        "{n} steps: {} bytes",
        msg.len()
    );
    // Accepted, or refused with a clear limit.
    if out.status.code() != Some(0) {
        assert_eq!(out.status.code(), Some(2));
        assert!(msg.contains("limit") || msg.contains("too"), "{msg}");
    }
}
