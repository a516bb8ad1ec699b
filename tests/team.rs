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

/// Starts `rb` headless in the background as `operator`, and returns once
/// its output has a line containing `until`.
fn spawn_until(home: &Path, rb: &Path, operator: &str, until: &str) -> std::process::Child {
    let mut child = stepwise(home)
        .current_dir(home)
        .args(["run", "--headless", "--trust", "--operator", operator])
        .arg(rb)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while std::io::BufRead::read_line(&mut reader, &mut line).unwrap() > 0 && !line.contains(until)
    {
        line.clear();
    }
    assert!(line.contains(until), "never printed {until:?}");
    // Keep draining so the runner never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    child
}

fn write_runbook(home: &Path, steps: &str) -> PathBuf {
    let rb = home.join("rb.yaml");
    std::fs::write(
        &rb,
        format!("runbook: 1\nid: rb\ntitle: Deployment rollback\nsections:\n  - title: S\n    steps:\n{steps}"),
    )
    .unwrap();
    rb
}

#[test]
fn status_names_the_running_step_and_sessions_marks_it_running() {
    let home = tempfile::tempdir().unwrap();
    let rb = write_runbook(
        home.path(),
        "      - title: Tolerated\n        run: exit 3\n        on_failure: continue\n      - title: Deploy v1.4.2\n        id: deploy\n        run: echo started; sleep 30\n      - title: Check\n        run: 'true'\n",
    );
    let mut child = spawn_until(home.path(), &rb, "alice", "deploy | started");
    let out = stepwise(home.path()).arg("status").output().unwrap();
    let line = text(&out);
    assert_eq!(out.status.code(), Some(0), "{line}");
    assert!(
        line.starts_with("Deployment rollback — step 2/3 Deploy v1.4.2 (running "),
        "{line}"
    );
    assert!(
        line.contains("— 1 failed (allowed), 0 skipped — started "),
        "{line}"
    );
    assert!(line.contains(" by alice, "), "{line}");
    let out = stepwise(home.path())
        .args(["status", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["state"], "running");
    assert_eq!(json["step"]["id"], "deploy");
    assert_eq!(json["failed_allowed"], 1);
    assert_eq!(json["started_by"], "alice");
    let list = text(&stepwise(home.path()).arg("sessions").output().unwrap());
    assert!(list.contains("running now"), "{list}");
    child.kill().unwrap();
    child.wait().unwrap();
    let list = text(&stepwise(home.path()).arg("sessions").output().unwrap());
    assert!(!list.contains("running now"), "{list}");
    let line = text(&stepwise(home.path()).arg("status").output().unwrap());
    assert!(
        line.contains("(running when its stepwise stopped; it may run on"),
        "{line}"
    );
}

/// `HH:MM:SS` of an RFC 3339 time, as the timeline prints it (UTC).
fn clock(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%H:%M:%S").to_string()
}

fn records(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("journal.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn at_of(r: &serde_json::Value) -> chrono::DateTime<chrono::Utc> {
    r["at"].as_str().unwrap().parse().unwrap()
}

/// `kill -9` leaves no record of the end: the timeline shows the gap, from
/// stepwise's last record (not the monitor's later writes to the running
/// step's log) to the resume, and who resumed; What went wrong lists it.
#[test]
fn a_kill_9_gap_is_a_timeline_row_with_the_right_times() {
    let home = tempfile::tempdir().unwrap();
    let rb = write_runbook(
        home.path(),
        "      - title: Wait\n        run: echo started; n=0; while [ ! -e go ] && [ $n -lt 6000 ]; do sleep 0.01; n=$((n+1)); done; echo still alive\n",
    );
    let mut child = spawn_until(home.path(), &rb, "alice", "wait | started");
    child.kill().unwrap();
    child.wait().unwrap();
    // The step ends only now, with no stepwise attached (however slow
    // the machine was between its first line and the kill).
    std::fs::write(home.path().join("go"), "").unwrap();
    // The step outlives stepwise under its monitor, and its monitor writes
    // its log after stepwise is gone: the gap starts at stepwise's own
    // last record all the same.
    let exit = session_dirs(home.path())[0].join("output/wait.1.exit");
    let begun = std::time::Instant::now();
    while !exit.exists() {
        assert!(begun.elapsed().as_secs() < 30, "the step never ended");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = stepwise(home.path())
        .args(["resume", "--headless", "--operator", "bob"])
        .args(["--answer", "wait=done:checked by hand"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dir = session_dirs(home.path())[0].clone();
    let recs = records(&dir);
    let resumed = recs
        .iter()
        .position(|r| r["type"] == "session_resumed")
        .unwrap();
    let last_record = at_of(&recs[resumed - 1]);
    let log_written: chrono::DateTime<chrono::Utc> =
        std::fs::metadata(dir.join("output/wait.1.log"))
            .unwrap()
            .modified()
            .unwrap()
            .into();
    let resume_at = at_of(&recs[resumed]);
    // The monitor wrote "still alive" after stepwise's last record.
    assert!(log_written > last_record, "{log_written} {last_record}");
    assert!(resume_at - last_record >= chrono::Duration::seconds(1));
    let id = dir.file_name().unwrap().to_string_lossy().into_owned();
    let md = export(home.path(), &id, "md");
    let expected = format!(
        "stepwise stopped without a record of why (killed, crashed or its machine down) after {} (its last record); resumed at {} by bob",
        clock(last_record),
        clock(resume_at)
    );
    assert!(md.contains(&expected), "{expected}\n{md}");
    assert!(export(home.path(), &id, "html").contains(&expected));
    // And "What went wrong" lists it with the failures.
    assert!(
        md.contains("its last record; the session was resumed at"),
        "{md}"
    );
}

/// The timeline tells the story: one row for the inputs given at the start,
/// an approval with who (here `--yes`, for alice) and the exact command, a failure the runbook
/// allows labelled so and kept out of "What went wrong", a note's text
/// where it was written and its `TODO:` line in the action items.
#[test]
fn the_timeline_tells_the_story() {
    let home = tempfile::tempdir().unwrap();
    let rb = home.path().join("rb.yaml");
    std::fs::write(
        &rb,
        "runbook: 1\nid: rb\ntitle: Story\ninputs:\n  A:\n    default: one\n  B:\n    default_from: echo two\n  C:\n    default: three\nsections:\n  - title: S\n    steps:\n      - title: Tolerated\n        run: echo bad; exit 3\n        on_failure: continue\n      - title: Deploy\n        id: deploy\n        confirm: true\n        run: echo deploying \"$A\"\n      - title: Check\n        id: check\nfollow_up:\n  - Write the postmortem\n",
    )
    .unwrap();
    let out = stepwise(home.path())
        .args([
            "run",
            "--headless",
            "--trust",
            "--yes",
            "--operator",
            "alice",
        ])
        .arg(&rb)
        .args(["--answer", "check=done:TODO: fix the tag script"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let id = session_dirs(home.path())[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let md = export(home.path(), &id, "md");
    let timeline = &md[md.find("## Timeline").unwrap()..md.find("## Steps").unwrap()];
    assert!(
        timeline.contains("| 3 inputs: 2 defaults, 1 discovered |"),
        "{timeline}"
    );
    assert!(!timeline.contains("Input A"), "{timeline}");
    assert!(
        timeline.contains("Run approved, attempt 1 started: echo deploying \"$A\" | --yes (alice@"),
        "{timeline}"
    );
    assert!(
        timeline.contains("Attempt 1 failed as allowed (on_failure: continue): exit 3"),
        "{timeline}"
    );
    assert!(
        timeline.contains("note: TODO: fix the tag script"),
        "{timeline}"
    );
    let wrong = &md[md.find("### What went wrong").unwrap()..md.find("### Action items").unwrap()];
    assert!(!wrong.contains("Tolerated"), "{wrong}");
    let actions = &md[md.find("### Action items").unwrap()..];
    assert!(actions.contains("TODO: fix the tag script"), "{actions}");
    assert!(md.contains("- [ ] Write the postmortem"), "{md}");
    assert!(md.contains("Full log: `output/tolerated.1.log`"), "{md}");
    let json: serde_json::Value = serde_json::from_str(&export(home.path(), &id, "json")).unwrap();
    assert_eq!(json["format"], "stepwise-transcript/4");
    assert_eq!(
        json["steps"][0]["attempts"][0]["log"],
        "output/tolerated.1.log"
    );
}
