//! The real binary, as a team: operators named with `--operator`, a
//! handover at `resume`, and what every transcript says about who did what.

use std::path::{Path, PathBuf};

#[path = "support/cli.rs"]
mod cli;
use cli::{session_dirs, stepwise, text};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/runbooks")
        .join(name)
}

fn export(home: &Path, id: &str, format: &str) -> String {
    let out = stepwise(home)
        .args(["export", id, "--format", format])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// alice runs until the human step waits; bob takes over on the same
/// account with `--operator bob --reason "shift change"` and confirms it.
fn handed_over_session(home: &Path) -> String {
    let out = stepwise(home)
        .args(["run", "--headless", "--trust", "--operator", "alice"])
        .arg(fixture("small.yaml"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "waits for a person: {}",
        text(&out)
    );
    let out = stepwise(home)
        .args(["resume", "--headless", "--operator", "bob"])
        .args(["--reason", "shift change"])
        .args(["--answer", "tell-the-team=done:paged #ops"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dir = &session_dirs(home)[0];
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn a_handover_names_both_operators_in_every_transcript() {
    let home = tempfile::tempdir().unwrap();
    let id = handed_over_session(home.path());
    let host = stepwise::session::store::hostname();

    let md = export(home.path(), &id, "md");
    assert!(md.contains(&format!("alice@{host}")), "{md}");
    assert!(md.contains(&format!("bob@{host}")), "{md}");
    assert!(
        md.contains("Handed over from alice to bob: shift change"),
        "{md}"
    );
    let html = export(home.path(), &id, "html");
    assert!(html.contains(&format!("alice@{host}")), "{html}");
    assert!(
        html.contains("Handed over from alice to bob: shift change"),
        "{html}"
    );

    let json: serde_json::Value = serde_json::from_str(&export(home.path(), &id, "json")).unwrap();
    let session = &json["session"];
    assert_eq!(session["started_by"]["user"], "alice");
    let handover = &session["handovers"][0];
    assert_eq!(handover["from"]["user"], "alice");
    assert_eq!(handover["to"]["user"], "bob");
    assert_eq!(handover["reason"], "shift change");
    let step = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "tell-the-team")
        .unwrap();
    assert_eq!(step["settled_by"]["user"], "bob", "{step}");
}

/// Every human action in the journal names its operator: the start and
/// the inputs by alice, the resume and the answer by bob.
#[test]
fn every_human_record_carries_its_operator() {
    let home = tempfile::tempdir().unwrap();
    handed_over_session(home.path());
    let journal =
        std::fs::read_to_string(session_dirs(home.path())[0].join("journal.jsonl")).unwrap();
    let user_of = |kind: &str| -> Vec<String> {
        journal
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|r| r["type"] == kind)
            .map(|r| r["by"]["user"].as_str().unwrap_or("(none)").to_owned())
            .collect()
    };
    assert_eq!(user_of("session_started"), ["alice"]);
    assert!(user_of("input_given").iter().all(|u| u == "alice"));
    assert_eq!(user_of("session_resumed"), ["bob"]);
    assert_eq!(user_of("human_confirmed"), ["bob"]);
}

/// Resumed by the same operator: no handover, the reason still recorded.
#[test]
fn a_resume_by_the_same_operator_is_not_a_handover() {
    let home = tempfile::tempdir().unwrap();
    let rb = fixture("small.yaml");
    let run = stepwise(home.path())
        .args(["run", "--headless", "--trust", "--operator", "alice"])
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(4), "{}", text(&run));
    let out = stepwise(home.path())
        .args(["resume", "--headless", "--operator", "alice"])
        .args(["--reason", "coffee", "--answer", "tell-the-team=done:ok"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let id = session_dirs(home.path())[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let md = export(home.path(), &id, "md");
    assert!(md.contains("Session resumed by alice: coffee"), "{md}");
    assert!(!md.contains("Handed over"), "{md}");
}

#[test]
fn an_operator_name_with_spaces_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let out = stepwise(home.path())
        .args(["run", "--headless", "--trust", "--operator", "a b"])
        .arg(fixture("small.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--operator"), "{}", text(&out));
    assert!(session_dirs(home.path()).is_empty());
}
