//! Trust through the real binary: a new or changed runbook file is refused
//! headless (exit 2, no session, the commands and hash shown) until
//! `--trust`; trusted files run; resume needs no trust; the demo trusts its
//! own runbook.

use std::path::{Path, PathBuf};
use std::process::Output;

#[path = "support/cli.rs"]
mod cli;
use cli::{stepwise, text};

fn sessions(home: &Path) -> usize {
    std::fs::read_dir(home.join("sessions")).map_or(0, |r| r.count())
}

fn write_runbook(dir: &Path, command: &str) -> PathBuf {
    let path = dir.join("rb.yaml");
    let body = format!(
        "runbook: 1\nid: trusty\ntitle: Trusty\ninputs:\n  WHO: {{ default_from: touch default-from-ran; echo me }}\nsections:\n  - title: S\n    steps:\n      - title: Act\n        run: {command}\n      - title: Ask\n"
    );
    std::fs::write(&path, body).unwrap();
    path
}

fn run(home: &Path, work: &Path, rb: &Path, extra: &[&str]) -> Output {
    stepwise(home)
        .current_dir(work)
        .args(["run", "--headless", "--yes"])
        .args(extra)
        .arg(rb)
        .output()
        .unwrap()
}

#[test]
fn an_untrusted_file_is_refused_headless_until_trusted() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let rb = write_runbook(work.path(), "touch ran");
    let out = run(home.path(), work.path(), &rb, &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("$ touch ran"), "lists the commands: {t}");
    assert!(t.contains("$ touch default-from-ran; echo me"), "{t}");
    assert!(
        t.contains("re-run with --trust") || t.contains("Re-run with --trust"),
        "{t}"
    );
    let sha = stepwise::session::fsutil::sha256_hex(&std::fs::read(&rb).unwrap());
    assert!(t.contains(&sha), "shows the hash: {t}");
    assert_eq!(sessions(home.path()), 0, "a refused run created a session");
    assert!(!work.path().join("ran").exists());
    assert!(
        !work.path().join("default-from-ran").exists(),
        "default_from ran"
    );

    let out = run(home.path(), work.path(), &rb, &["--trust"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(work.path().join("ran").exists());
    assert!(home.path().join("trusted.json").is_file());

    // Trusted now: runs without the flag.
    let out = run(home.path(), work.path(), &rb, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_changed_file_must_be_trusted_again() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let rb = write_runbook(work.path(), "echo one");
    let out = run(home.path(), work.path(), &rb, &["--trust"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    write_runbook(work.path(), "touch changed");
    let out = run(home.path(), work.path(), &rb, &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("changed since it was last trusted"), "{t}");
    assert!(t.contains("$ touch changed"), "{t}");
    assert!(!work.path().join("changed").exists());
    assert_eq!(sessions(home.path()), 1);
}

#[test]
fn resume_uses_the_session_copy_and_needs_no_trust() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let rb = write_runbook(work.path(), "echo one");
    let out = stepwise(home.path())
        .current_dir(work.path())
        .args(["run", "--headless", "--trust"])
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    write_runbook(work.path(), "touch changed");
    let out = stepwise(home.path())
        .current_dir(work.path())
        .args(["resume", "--headless", "--yes"])
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("changed since this session started"), "{t}");
    assert!(
        !work.path().join("changed").exists(),
        "the changed file ran"
    );
}

#[test]
fn a_dry_run_of_an_untrusted_file_runs_no_default_from() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let rb = write_runbook(work.path(), "touch ran");
    let out = stepwise(home.path())
        .current_dir(work.path())
        .args(["run", "--dry-run"])
        .arg(&rb)
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("not trusted yet"), "{t}");
    assert!(!work.path().join("default-from-ran").exists());
}

#[test]
fn the_demo_trusts_its_own_runbook() {
    let home = tempfile::tempdir().unwrap();
    let out = stepwise(home.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["demo", "--headless", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let store = std::fs::read_to_string(home.path().join("trusted.json")).unwrap();
    assert!(store.contains("rollback.yaml"), "{store}");
}
