//! Helpers for the tests of issue #12 (integrity, full_disk, security,
//! honest_output): runbooks written on the fly, headless runs, and a
//! session stopped at a human step to tamper with.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

#[path = "cli.rs"]
mod cli;
#[allow(unused_imports)] // each test binary uses some of them
pub use cli::{all_files_text, session_dirs, stepwise, text};

/// Writes a runbook: `steps` are `(id, run)`; an empty `run` is a human step.
pub fn runbook(dir: &Path, id: &str, steps: &[(&str, &str)]) -> PathBuf {
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
pub fn run(home: &Path, rb: &Path, args: &[&str]) -> Output {
    stepwise(home)
        .args(["run", "--headless", "--trust"])
        .arg(rb)
        .args(args)
        .output()
        .unwrap()
}

pub fn only_session(home: &Path) -> PathBuf {
    let dirs = session_dirs(home);
    assert_eq!(dirs.len(), 1, "expected one session: {dirs:?}");
    dirs[0].clone()
}

pub fn id_of(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

/// A session stopped at the human step `wait` (exit 4), after `hello`
/// failed with exit 3 (its `on_failure: continue` lets the session go on),
/// with `after` still to run.
pub fn stopped_session(tmp: &Path) -> (PathBuf, PathBuf) {
    let home = tmp.join("home");
    let path = tmp.join("stopped.yaml");
    std::fs::write(
        &path,
        "runbook: 1\nid: stopped\ntitle: stopped\nsections:\n  - title: S\n    steps:\n      \
         - id: hello\n        title: hello\n        run: echo hi; exit 3\n        on_failure: continue\n      \
         - id: wait\n        title: wait\n      \
         - id: after\n        title: after\n        run: echo after\n",
    )
    .unwrap();
    let out = run(&home, &path, &[]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let dir = only_session(&home);
    (home, dir)
}

pub fn resume(home: &Path, what: &str, extra: &[&str]) -> Output {
    stepwise(home)
        .args(["resume", what, "--headless", "--answer", "wait=done:ok"])
        .args(extra)
        .current_dir(home.parent().unwrap())
        .output()
        .unwrap()
}
