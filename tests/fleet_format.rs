//! The fleet fields of the runbook format as a user meets them: `validate`
//! diagnostics (file:line:col, what, how to fix), `--dry-run` listing each
//! fleet step's hosts and batches, and a local-transport fleet run.

use assert_cmd::Command;
use predicates::prelude::*;

fn stepwise(home: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("stepwise").unwrap();
    cmd.env("NO_COLOR", "1").env("STEPWISE_HOME", home);
    cmd
}

const BAD: &str = "runbook: 1
id: bad
title: Bad
targets:
  web:
    hosts: [web-1, -oProxyCommand=x]
    transport: carrier
sections:
  - title: S
    steps:
      - id: deploy
        title: Deploy
        on: wbe
        run: echo
        rollout: { batches: [0], max_failures: \"200%\" }
      - id: other
        title: Other
        rollout: { batches: [1] }
";

#[test]
fn validate_points_at_each_fleet_mistake() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, BAD).unwrap();
    stepwise(dir.path())
        .arg("validate")
        .arg(&path)
        .assert()
        .failure()
        .stderr(predicate::str::contains("bad.yaml:6:20"))
        .stderr(predicate::str::contains(
            "`-oProxyCommand=x` is not a valid ssh destination",
        ))
        .stderr(predicate::str::contains(
            "`transport` must be `ssh` or `local`, found `carrier`",
        ))
        .stderr(predicate::str::contains("did you mean `web`?"))
        .stderr(predicate::str::contains(
            "`batches` takes a number (1 or more)",
        ))
        .stderr(predicate::str::contains(
            "`max_failures` takes a number (0 or more)",
        ))
        .stderr(predicate::str::contains("`rollout` without `on`"));
}

#[test]
fn dry_run_lists_hosts_and_batches() {
    let dir = tempfile::tempdir().unwrap();
    let rb = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/runbooks/examples/fleet-rehearsal.yaml"
    );
    stepwise(dir.path())
        .args(["run", "--dry-run", rb])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "on blue (local): blue-1, blue-2, blue-3",
        ))
        .stdout(predicate::str::contains("batch 1: blue-1\n"))
        .stdout(predicate::str::contains("batch 2: blue-2, blue-3\n"))
        .stdout(predicate::str::contains(
            "between batches: ask the operator",
        ));
}

#[test]
fn a_local_fleet_runs_each_host_with_target_set_and_limit_is_journalled() {
    let dir = tempfile::tempdir().unwrap();
    let rb = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/runbooks/examples/fleet-rehearsal.yaml"
    );
    let out = stepwise(dir.path())
        .args([
            "run",
            "--trust",
            "--headless",
            "--yes",
            "--answer",
            "restart=continue",
        ])
        .args(["--limit", "blue-1,blue-3", rb])
        .output()
        .unwrap();
    let t = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("restart [blue-3] | restarting on blue-3 (host 1)"),
        "{t}"
    );
    assert!(!t.contains("[blue-2]"), "{t}");
    assert!(t.contains("2 hosts: ✓2 ✗0"), "{t}");
    let sessions = dir.path().join("sessions");
    let session = std::fs::read_dir(sessions)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let journal = std::fs::read_to_string(session.join("journal.jsonl")).unwrap();
    assert!(
        journal.contains(r#""type":"hosts_limited","hosts":["blue-1","blue-3"]"#),
        "{journal}"
    );
}
