//! Issue #12 through the real binary, as an attacker with a shell on the
//! same machine or a careless operator would try it: edited session copies
//! and journals, planted symlinks, loose permissions, secrets in argv, a
//! full disk, leftovers, and the small things that hid what happened.
//! Each test fails on the code before its fix.

use std::path::{Path, PathBuf};
use std::process::Output;

#[path = "support/cli.rs"]
mod cli;
use cli::{session_dirs, stepwise, text};

/// Writes a runbook: `steps` are `(id, run)`; an empty `run` is a human step.
fn runbook(dir: &Path, id: &str, steps: &[(&str, &str)]) -> PathBuf {
    let mut y = format!("runbook: 1\nid: {id}\ntitle: {id}\nsections:\n  - title: S\n    steps:\n");
    for (step, run) in steps {
        y.push_str(&format!("      - id: {step}\n        title: {step}\n"));
        if !run.is_empty() {
            let run = serde_json::to_string(run).unwrap();
            y.push_str(&format!("        run: {run}\n"));
        }
    }
    let path = dir.join(format!("{id}.yaml"));
    std::fs::write(&path, y).unwrap();
    path
}

/// `stepwise run --headless --trust FILE ARGS…` in `home`.
fn run(home: &Path, rb: &Path, args: &[&str]) -> Output {
    stepwise(home)
        .args(["run", "--headless", "--trust"])
        .arg(rb)
        .args(args)
        .output()
        .unwrap()
}

fn only_session(home: &Path) -> PathBuf {
    let dirs = session_dirs(home);
    assert_eq!(dirs.len(), 1, "expected one session: {dirs:?}");
    dirs[0].clone()
}

fn id_of(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

// 4. The README's own tour command.

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
