//! Update steps through the real binary: exactly once across a `kill -9`
//! between the journalled intent and the result (the resume does not
//! re-send blindly; `--answer STEP=resend` re-sends with the same
//! idempotency key), a failed send that does not stop the session, and
//! the webhook URL (a secret input) never reaching the journal.

#[path = "support/http.rs"]
mod http;

use http::Reply;
use std::path::{Path, PathBuf};
use std::process::Stdio;

#[path = "support/sessions.rs"]
mod sessions;

use sessions::{only_session, stepwise, text};

fn runbook(dir: &Path) -> PathBuf {
    let path = dir.join("rb.yaml");
    std::fs::write(
        &path,
        r#"runbook: 1
id: comms
title: Comms
inputs:
  HOOK_URL: { secret: true }
  TAG: { default: v1.4.2 }
channels:
  status-page:
    webhook: { url: $HOOK_URL }
sections:
  - title: S
    steps:
      - id: tell
        title: Tell the stakeholders
        update: "Rolling back to $TAG ($PROGRESS)."
        status: identified
      - id: after
        title: after
        run: echo after
"#,
    )
    .unwrap();
    path
}

fn journal(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("journal.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn of_type<'a>(j: &'a [serde_json::Value], t: &str) -> Vec<&'a serde_json::Value> {
    j.iter().filter(|r| r["type"] == t).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_cut_by_kill_9_is_resent_only_when_asked_with_the_same_key() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let rb = runbook(tmp.path());
    let mut server = http::start(vec![Reply::Hang, http::ok()]).await;
    let url = format!("{}/hook/tok-SECRET-42", server.url);
    let mut child = stepwise(&home)
        .args(["run", "--headless", "--trust", "--yes"])
        .arg(&rb)
        .env("STEPWISE_VAR_HOOK_URL", &url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The server has the request: the intent is on disk, the result not yet.
    let first = server.requests.recv().await.unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    child.wait().unwrap();
    let dir = only_session(&home);
    let j = journal(&dir);
    assert_eq!(j.last().unwrap()["type"], "update_intent");
    let key = j.last().unwrap()["key"].as_str().unwrap().to_owned();
    assert_eq!(first.header("idempotency-key"), Some(key.as_str()));

    let id = dir.file_name().unwrap().to_str().unwrap().to_owned();
    let resume = |extra: &[&str]| {
        stepwise(&home)
            .args(["resume", &id, "--headless"])
            .args(extra)
            .env("STEPWISE_VAR_HOOK_URL", &url)
            .output()
            .unwrap()
    };
    let out = resume(&[]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("tell=resend"), "{}", text(&out));
    assert_eq!(of_type(&journal(&dir), "update_intent").len(), 1);

    let out = resume(&["--answer", "tell=resend"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let second = server.requests.recv().await.unwrap();
    assert_eq!(second.header("idempotency-key"), Some(key.as_str()));
    assert_eq!(first.body, second.body, "a re-send is the same update");
    assert!(server.requests.try_recv().is_err(), "sent more than twice");

    let j = journal(&dir);
    let intents = of_type(&j, "update_intent");
    assert_eq!(intents.len(), 2);
    assert_eq!(intents[1]["key"], key.as_str());
    let results = of_type(&j, "update_result");
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["results"][0]["ok"], true);
    let everything = sessions::all_files_text(&dir);
    assert!(
        !everything.contains("tok-SECRET-42"),
        "the webhook URL reached the disk"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_send_is_journalled_shown_and_the_session_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let rb = runbook(tmp.path());
    let mut server = http::start(vec![Reply::Answer(503, vec![], "maintenance".into())]).await;
    let out = stepwise(&home)
        .args(["run", "--headless", "--trust", "--yes"])
        .arg(&rb)
        .env("STEPWISE_VAR_HOOK_URL", &server.url)
        .output()
        .unwrap();
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("✗ status-page (HTTP 503: maintenance)"),
        "{shown}"
    );
    assert!(shown.contains("▶ after"), "{shown}");
    // Headless closes the session without asking (the interface asks):
    // the end of its output says which update never got through.
    let end = shown.find("completed — ").expect(&shown);
    assert!(
        shown[end..].contains("⚠ tell: not delivered to status-page when the session closed"),
        "{shown}"
    );
    server.requests.recv().await.unwrap();
    let j = journal(&only_session(&home));
    assert_eq!(of_type(&j, "update_result")[0]["results"][0]["ok"], false);
    // The record says so in an update's own words, not as an
    // `on_failure: continue` the runbook never set.
    let md = std::fs::read_dir(only_session(&home))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "md"))
        .unwrap();
    let md = std::fs::read_to_string(md).unwrap();
    assert!(md.contains("not delivered to every channel"), "{md}");
    assert!(!md.contains("on_failure: continue"), "{md}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_update_is_in_the_transcripts_communications_and_timeline() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let rb = runbook(tmp.path());
    let mut server = http::start(vec![http::ok()]).await;
    let out = stepwise(&home)
        .args(["run", "--headless", "--trust", "--yes"])
        .arg(&rb)
        .env("STEPWISE_VAR_HOOK_URL", &server.url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    server.requests.recv().await.unwrap();
    let id = only_session(&home)
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let export = |format: &str| {
        let o = stepwise(&home)
            .args(["export", &id, "--format", format])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    let md = export("md");
    assert!(md.contains("## Communications"), "{md}");
    assert!(md.contains("**identified**"), "{md}");
    assert!(
        md.contains("> Rolling back to v1.4.2 (0/2 steps done)."),
        "{md}"
    );
    assert!(
        md.contains("Update delivered: status-page (HTTP 200)"),
        "{md}"
    );
    let html = export("html");
    assert!(html.contains("<h2>Communications</h2>"), "{html}");
    let json: serde_json::Value = serde_json::from_str(&export("json")).unwrap();
    assert_eq!(json["format"], "stepwise-transcript/4");
    let c = &json["communications"][0];
    assert_eq!(c["status"], "identified");
    assert_eq!(c["outcome"], "delivered");
    assert_eq!(c["results"][0]["detail"], "HTTP 200");
    assert_eq!(json["steps"][0]["kind"], "update");
}

#[test]
fn bad_channels_and_update_steps_are_refused_with_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bad.yaml");
    std::fs::write(
        &path,
        "runbook: 1\nid: bad\ntitle: Bad\nchannels:\n  ops:\n    slack: {}\n  two:\n    file: x\n    command: y\n\
         sections:\n  - title: S\n    steps:\n      - id: u\n        title: U\n        update: hi\n        status: fixed\n\
         \x20     - id: h\n        title: H\n        status: resolved\n        run: echo\n        update: x\n",
    )
    .unwrap();
    let out = stepwise(tmp.path())
        .arg("validate")
        .arg(&path)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    for want in [
        "bad.yaml:6:5",
        "missing `webhook`",
        "channel `two` must have exactly",
        "bad.yaml:16:17",
        "found `fixed`",
        "`run:` or `update:`, not",
    ] {
        assert!(shown.contains(want), "no `{want}` in:\n{shown}");
    }
}
