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
fn dry_run_shows_a_hosts_from_command_as_written_and_its_ansible_group() {
    let dir = tempfile::tempdir().unwrap();
    let rb = concat!(env!("CARGO_MANIFEST_DIR"), "/runbooks/rollback.yaml");
    stepwise(dir.path())
        .args(["run", "--dry-run", rb])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "on instances: hosts from the output of (not run in a dry run):\n      $ printf '%s\\n' $INSTANCES\n",
        ));
    let inv = dir.path().join("inv.yaml");
    let book = "runbook: 1\nid: g\ntitle: G\ntargets:\n  web:\n    hosts_from: ansible-inventory --list\n    group: webservers\nsections:\n  - title: S\n    steps:\n      - id: w\n        title: W\n        on: web\n        run: uptime\n";
    std::fs::write(&inv, book).unwrap();
    stepwise(dir.path())
        .args(["run", "--dry-run"])
        .arg(&inv)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "on web: the hosts of Ansible group `webservers` in the output of (not run in a dry run):\n      $ ansible-inventory --list\n",
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
    // Each host's exit is in the journal, acknowledged to its monitor, so
    // no monitor left an exit file behind.
    let output: Vec<String> = std::fs::read_dir(session.join("output"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        output.contains(&"restart.blue-1.1.log".to_owned()),
        "{output:?}"
    );
    assert!(!output.iter().any(|f| f.ends_with(".exit")), "{output:?}");
}

/// Three local hosts; `blue-2` fails until the file `fixed` exists in the
/// runbook's folder. No confirm between batches: the budget stops it.
const FAILING: &str = "runbook: 1
id: failing
title: Failing fleet
targets:
  blue:
    transport: local
    hosts: [blue-1, blue-2, blue-3]
sections:
  - title: S
    steps:
      - id: restart
        title: Restart
        on: blue
        run: |
          echo \"ran on $TARGET\" >> ran.txt
          test \"$TARGET\" != blue-2 || test -e fixed
        rollout: { batches: [1, \"100%\"], max_in_flight: 1 }
      - id: after
        title: After
        run: echo after
";

fn failing_fleet(dir: &std::path::Path) -> std::path::PathBuf {
    let rb = dir.join("failing.yaml");
    std::fs::write(&rb, FAILING).unwrap();
    rb
}

fn only_session(home: &std::path::Path) -> String {
    let dirs: Vec<_> = std::fs::read_dir(home.join("sessions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs.into_iter().next().unwrap()
}

#[test]
fn a_failed_fleet_step_is_retried_on_its_failed_hosts_only_then_accepted_or_aborted() {
    let dir = tempfile::tempdir().unwrap();
    let rb = failing_fleet(dir.path());
    let out = stepwise(dir.path())
        .args(["run", "--trust", "--headless"])
        .arg(&rb)
        .output()
        .unwrap();
    let t = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(t.contains("restart=retry (its failed hosts only)"), "{t}");
    assert!(t.contains("restart=accept:<reason>"), "{t}");
    let id = only_session(dir.path());
    // retry: blue-2 again (still failing), never blue-1; the budget stops
    // it before blue-3 again.
    let out = stepwise(dir.path())
        .args(["resume", "--headless", "--answer", "restart=retry", &id])
        .output()
        .unwrap();
    let t = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{t}");
    let ran = std::fs::read_to_string(dir.path().join("ran.txt")).unwrap();
    assert_eq!(ran.matches("blue-1").count(), 1, "{ran}");
    assert_eq!(ran.matches("blue-2").count(), 2, "{ran}");
    // accept: recorded with the hosts not done, and the session goes on.
    accept_naming_blue_2_and_3(dir.path(), &id);
}

/// Answers the failed `restart` with accept: the session completes, and
/// the note names the hosts not done, blue-3 (never reached) too.
fn accept_naming_blue_2_and_3(home: &std::path::Path, id: &str) {
    let out = stepwise(home)
        .args([
            "resume",
            "--headless",
            "--answer",
            "restart=accept:blue-2 is retired",
        ])
        .arg(id)
        .output()
        .unwrap();
    let t = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("after |") || t.contains("✓ after"), "{t}");
    let journal =
        std::fs::read_to_string(home.join("sessions").join(id).join("journal.jsonl")).unwrap();
    assert!(
        journal.contains(
            "Failure accepted with 2 host(s) not done (blue-2, blue-3): blue-2 is retired"
        ),
        "{journal}"
    );
}

#[test]
fn abort_answers_a_failed_fleet_step_and_a_reason_is_needed_to_accept() {
    let dir = tempfile::tempdir().unwrap();
    let rb = failing_fleet(dir.path());
    stepwise(dir.path())
        .args(["run", "--trust", "--headless", "--answer", "restart=accept"])
        .arg(&rb)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("accepting needs a reason"));
    let out = stepwise(dir.path())
        .args([
            "run",
            "--trust",
            "--headless",
            "--answer",
            "restart=abort:wrong window",
        ])
        .arg(&rb)
        .output()
        .unwrap();
    let t = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(5), "{t}");
    assert!(t.contains("session aborted: wrong window"), "{t}");
}

/// `hosts_from` gets the runbook's input values as environment variables,
/// as a step's command does: the hosts come from `--var`, and a value that
/// looks like shell text stays data (it is never pasted into the command).
const FROM_INPUTS: &str = "runbook: 1
id: from-inputs
title: Hosts from inputs
inputs:
  INSTANCES: { default: solo }
targets:
  blue:
    transport: local
    hosts_from: printf '%s\\n' $INSTANCES
sections:
  - title: S
    steps:
      - id: restart
        title: Restart
        on: blue
        run: echo \"restarting $TARGET\"
";

#[test]
fn hosts_from_gets_input_values_as_environment_variables() {
    let dir = tempfile::tempdir().unwrap();
    let rb = dir.path().join("from-inputs.yaml");
    std::fs::write(&rb, FROM_INPUTS).unwrap();
    let run = |vars: &[&str]| {
        let mut cmd = stepwise(dir.path());
        cmd.args(["run", "--trust", "--headless", "--yes"]);
        for v in vars {
            cmd.args(["--var", v]);
        }
        cmd.arg(&rb).output().unwrap()
    };
    let out = run(&[]);
    let t = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("restart [solo] | restarting solo"), "{t}");
    assert!(t.contains("1 host: ✓1 ✗0"), "{t}");
    let out = run(&["INSTANCES=a-1 a-2;touch${IFS}pwned a-3"]);
    let t = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{t}");
    for host in ["a-1", "a-2;touch${IFS}pwned", "a-3"] {
        assert!(
            t.contains(&format!("restart [{host}] | restarting {host}")),
            "{t}"
        );
    }
    assert!(!dir.path().join("pwned").exists());
}

/// `continue` answers the batches of a rollout; it does not re-run hosts
/// that failed beyond the budget. Two answers for one step are refused
/// before anything runs. Accepting the failure names every host not done,
/// those the rollout never reached too.
#[test]
fn continue_does_not_retry_failed_hosts_and_accept_names_the_hosts_never_reached() {
    let dir = tempfile::tempdir().unwrap();
    let rb = failing_fleet(dir.path());
    let out = stepwise(dir.path())
        .args([
            "run",
            "--trust",
            "--headless",
            "--answer",
            "restart=continue",
        ])
        .args(["--answer", "restart=accept:known broken"])
        .arg(&rb)
        .output()
        .unwrap();
    let t = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("step `restart` has an answer already"), "{t}");
    assert!(!dir.path().join("ran.txt").exists(), "a step ran");
    assert!(!dir.path().join("sessions").exists(), "a session was made");
    let out = stepwise(dir.path())
        .args([
            "run",
            "--trust",
            "--headless",
            "--answer",
            "restart=continue",
        ])
        .arg(&rb)
        .output()
        .unwrap();
    let t = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(t.contains("failed on its hosts"), "{t}");
    let ran = std::fs::read_to_string(dir.path().join("ran.txt")).unwrap();
    assert_eq!(
        ran.matches("blue-2").count(),
        1,
        "re-run by continue: {ran}"
    );
    assert!(!ran.contains("blue-3"), "{ran}");
    accept_naming_blue_2_and_3(dir.path(), &only_session(dir.path()));
}

/// A fleet step's transcript shows its hosts' output (the failed host's
/// first) and points at the hosts' logs, not at a step log that does not
/// exist.
#[test]
fn a_fleet_transcript_shows_the_hosts_output_and_their_logs() {
    let dir = tempfile::tempdir().unwrap();
    let rb = dir.path().join("two.yaml");
    std::fs::write(
        &rb,
        "runbook: 1\nid: two\ntitle: Two\ntargets:\n  t:\n    transport: local\n    hosts: [a, ops@b]\nsections:\n  - title: S\n    steps:\n      - id: go\n        title: Go\n        on: t\n        run: |\n          echo \"hello from $TARGET\"\n          test \"$TARGET\" != ops@b || { echo \"b broke\" >&2; exit 7; }\n        rollout: { batches: [\"100%\"], max_failures: 1 }\n",
    )
    .unwrap();
    let out = stepwise(dir.path())
        .args(["run", "--trust", "--headless"])
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let id = only_session(dir.path());
    for format in ["md", "html"] {
        let out = stepwise(dir.path())
            .args(["export", &id, "--format", format])
            .output()
            .unwrap();
        let t = String::from_utf8_lossy(&out.stdout);
        // A host written `user@host` has a file-safe log name, found too.
        assert!(t.contains("[ops@b] b broke"), "{format}: {t}");
        assert!(t.contains("[a] hello from a"), "{format}: {t}");
        assert!(
            t.find("[ops@b] b broke") < t.find("[a] hello from a"),
            "{format}: {t}"
        );
        assert!(
            t.contains("output/go.&lt;host&gt;.1.log") || t.contains("output/go.<host>.1.log"),
            "{format}: {t}"
        );
        assert!(!t.contains("output/go.1.log"), "{format}: {t}");
        assert!(!t.contains("No output"), "{format}: {t}");
    }
    // JSON: the attempt names each host's log, and each one exists.
    let out = stepwise(dir.path())
        .args(["export", &id, "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let session_dir = json["session"]["session_dir"].as_str().unwrap();
    let logs = &json["steps"][0]["attempts"][0]["host_logs"];
    let hosts: Vec<&str> = logs
        .as_array()
        .unwrap_or_else(|| panic!("no host_logs: {json}"))
        .iter()
        .map(|l| l["host"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, ["a", "ops@b"], "{logs}");
    for l in logs.as_array().unwrap() {
        let path = std::path::Path::new(session_dir).join(l["log"].as_str().unwrap());
        assert!(path.is_file(), "{} does not exist", path.display());
    }
}

/// Headless with nobody to confirm the next batch: the rollout stops
/// there, recorded as nobody's answer, and the run ends waiting for a
/// person (4), with one hint; a resume
/// with `continue` rolls out to the rest and completes.
#[test]
fn a_batch_nobody_confirms_waits_for_a_person_and_continue_finishes_it() {
    let dir = tempfile::tempdir().unwrap();
    let rb = confirm_fleet(dir.path(), "echo $TARGET >> ran.txt");
    let out = stepwise(dir.path())
        .current_dir(dir.path())
        .args(["run", "--trust", "--headless"])
        .arg(&rb)
        .write_stdin("")
        .output()
        .unwrap();
    let t = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{t}");
    assert_eq!(t.matches("--answer go=continue").count(), 1, "{t}");
    assert!(!t.contains("retry"), "{t}");
    // The stop is nobody's: no operator is credited with it.
    let j = std::fs::read_to_string(only_journal(dir.path())).unwrap();
    let stop = j
        .lines()
        .find(|l| l.contains(r#""type":"batch_answered""#))
        .expect(&j);
    assert!(stop.contains(r#""via":"nobody""#), "{stop}");
    assert!(!stop.contains(r#""by":"#), "{stop}");
    let md = transcript_of(dir.path());
    assert!(
        md.contains("After batch 1 (attempt 1): stop, by nobody (no one to confirm, headless)"),
        "{md}"
    );
    let (code, t) = resume_headless(dir.path(), &["--answer", "go=continue"]);
    assert_eq!(code, Some(0), "{t}");
    assert_eq!(hosts_ran(dir.path()), ["a", "b", "c"], "each host once");
    // The plan goes on as batch 2, and the transcript lists every batch
    // by its number.
    assert!(
        t.contains("go: 2 hosts in batches 2 of the plan, of 2"),
        "{t}"
    );
    let md = transcript_of(dir.path());
    assert!(md.contains("- Batch 1: a\n- Batch 2: b, c\n"), "{md}");
}

/// `--yes` answers each batch, and the record says it was `--yes`, not
/// an `--answer`.
#[test]
fn a_batch_answered_by_yes_is_recorded_as_yes() {
    let dir = tempfile::tempdir().unwrap();
    let rb = confirm_fleet(dir.path(), "'true'");
    stepwise(dir.path())
        .current_dir(dir.path())
        .args(["run", "--trust", "--headless", "--yes"])
        .arg(&rb)
        .assert()
        .code(0);
    let j = std::fs::read_to_string(only_journal(dir.path())).unwrap();
    assert!(j.contains(r#""proceed":true,"via":"yes_flag""#), "{j}");
    let md = transcript_of(dir.path());
    assert!(
        md.contains("After batch 1 (attempt 1): continue, by --yes ("),
        "{md}"
    );
}

/// The Markdown transcript of the one session in `dir`.
fn transcript_of(dir: &std::path::Path) -> String {
    let folder = only_journal(dir).parent().unwrap().to_owned();
    let md = std::fs::read_dir(folder)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "md"))
        .expect("a transcript");
    std::fs::read_to_string(md).unwrap()
}

/// A stepwise that died while its fleet step waited between batches (the
/// journal ends at `batch_waiting`): hosts were left unreached, so whether
/// the step is done is the operator's to say (outcome unknown; it is not
/// ended as failed, which `on_failure: continue` would pass over), and
/// `continue` then runs only the hosts not done, in the batches first
/// planned.
#[test]
fn a_rollout_left_between_batches_asks_and_continue_runs_only_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let rb = confirm_fleet(dir.path(), "echo $TARGET >> ran.txt");
    stepwise(dir.path())
        .current_dir(dir.path())
        .args(["run", "--trust", "--headless"])
        .arg(&rb)
        .write_stdin("")
        .assert()
        .code(4);
    // As if stepwise had been killed at the question.
    let journal = cut_journal_after(dir.path(), "batch_waiting", false);
    let (code, t) = resume_headless(dir.path(), &["--answer", "go=continue"]);
    assert_eq!(code, Some(0), "{t}");
    let j = std::fs::read_to_string(&journal).unwrap();
    assert!(
        j.contains(r#""type":"outcome_unknown","step":"go","attempt":1"#),
        "{j}"
    );
    assert_eq!(hosts_ran(dir.path()), ["a", "b", "c"], "each host once");
    // The plan goes on as first made (canary a, then b and c together),
    // not as a new canary of b then c; b and c keep their batch's number.
    assert!(
        j.contains(r#""type":"fleet_planned","step":"go","attempt":2,"batches":[["b","c"]],"budget":0,"numbers":[2]"#),
        "{j}"
    );
    assert!(j.contains(r#""host":"b","batch":2"#), "{j}");
}

/// A fleet step marked done by hand while hosts are not done (here: a
/// rollout stopped after its first batch) records which hosts those are
/// with the note, as an accepted failure does.
#[test]
fn marking_a_fleet_step_done_by_hand_names_the_hosts_not_done() {
    let dir = tempfile::tempdir().unwrap();
    let rb = confirm_fleet(dir.path(), "'true'");
    stepwise(dir.path())
        .args(["run", "--trust", "--headless"])
        .arg(&rb)
        .write_stdin("")
        .assert()
        .code(4);
    stepwise(dir.path())
        .args([
            "resume",
            "--headless",
            "--answer",
            "go=done:checked by hand",
        ])
        .assert()
        .code(0);
    let j = std::fs::read_to_string(only_journal(dir.path())).unwrap();
    assert!(
        j.contains(r#""note":"Marked done with 2 host(s) not done (b, c): checked by hand""#),
        "{j}"
    );
}

/// Host names that would share a log file are refused by `validate`; a
/// `--limit` host no target lists is refused before anything runs; a
/// `hosts_from` command printing something that is not a host name
/// (`-oProxyCommand=…`) fails the step, naming it, and runs nothing.
#[test]
fn host_names_are_checked_in_hosts_limit_and_hosts_from() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = |hosts: &str| {
        format!(
            "runbook: 1\nid: h\ntitle: H\ntargets:\n  t:\n    transport: local\n    {hosts}\nsections:\n  - title: S\n    steps:\n      - id: w\n        title: W\n        on: t\n        run: echo ran >> ran.txt\n"
        )
    };
    let coll = dir.path().join("coll.yaml");
    std::fs::write(&coll, fleet("hosts: [u@h1, u_h1]")).unwrap();
    stepwise(dir.path())
        .arg("validate")
        .arg(&coll)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("would share one log file"));
    let across = dir.path().join("across.yaml");
    let two = "runbook: 1\nid: h\ntitle: H\ntargets:\n  t:\n    transport: local\n    hosts: [u@h1]\n  v:\n    transport: local\n    hosts: [u_h1]\nsections:\n  - title: S\n    steps:\n      - id: w\n        title: W\n        on: [t, v]\n        run: echo ran\n";
    std::fs::write(&across, two).unwrap();
    stepwise(dir.path())
        .arg("validate")
        .arg(&across)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`u_h1` of `v` and `u@h1` of `t` would share one log file",
        ));
    let ok = dir.path().join("ok.yaml");
    std::fs::write(&ok, fleet("hosts: [a, b]")).unwrap();
    stepwise(dir.path())
        .current_dir(dir.path())
        .args(["run", "--trust", "--headless", "--limit", "a,nothere"])
        .arg(&ok)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no target of the runbook lists nothere",
        ));
    assert!(!dir.path().join("ran.txt").exists());
    let from = dir.path().join("from.yaml");
    std::fs::write(
        &from,
        fleet("hosts_from: printf 'a\\n-oProxyCommand=touch pwned\\n'"),
    )
    .unwrap();
    let out = stepwise(dir.path())
        .current_dir(dir.path())
        .args(["run", "--trust", "--headless"])
        .arg(&from)
        .output()
        .unwrap();
    let t = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(t.contains("which is not a host name"), "{t}");
    assert!(!dir.path().join("ran.txt").exists(), "a host ran");
    assert!(!dir.path().join("pwned").exists());
}

/// A stepwise that died after every host's exit was journalled but before
/// the step's own end: on resume the step ends as its rollout did
/// (succeeded), with no question and no attempt of zero hosts.
#[test]
fn a_rollout_whose_every_host_ended_resumes_as_succeeded() {
    let dir = tempfile::tempdir().unwrap();
    run_two_hosts(dir.path(), "run: echo $TARGET >> ran.txt\n", 0);
    let journal = cut_journal_after(dir.path(), "host_exited", true);
    let (code, t) = resume_headless(dir.path(), &[]);
    assert_eq!(code, Some(0), "{t}");
    let j = std::fs::read_to_string(&journal).unwrap();
    assert!(!j.contains("outcome_unknown"), "{j}");
    assert!(!j.contains(r#""attempt":2"#), "{j}");
    assert_eq!(hosts_ran(dir.path()), ["a", "b"], "each host once");
}

/// The same with a host that failed, beyond the budget, and `on_failure:
/// abort`: on resume the step ends failed and its `on_failure` applies (the
/// session is aborted, exit 5), as it would have without the crash; the
/// step's duration ends at its last host's end, not at the resume.
#[test]
fn a_rollout_resumed_as_failed_applies_its_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    let rest = "run: test $TARGET = a\n        on_failure: abort\n      - id: after\n        title: After\n        run: echo after >> ran.txt\n";
    run_two_hosts(dir.path(), rest, 5);
    let journal = cut_journal_after(dir.path(), "host_exited", true);
    // Time passes before the resume: it is not the step's.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let (code, t) = resume_headless(dir.path(), &[]);
    assert_eq!(code, Some(5), "{t}");
    let j = std::fs::read_to_string(&journal).unwrap();
    let aborted = j
        .lines()
        .find(|l| l.contains(r#""type":"session_aborted""#))
        .expect(&j);
    assert!(aborted.contains("on_failure is abort"), "{aborted}");
    assert!(!dir.path().join("ran.txt").exists(), "the next step ran");
    let exited: serde_json::Value = serde_json::from_str(
        j.lines()
            .find(|l| l.contains(r#""type":"step_exited""#))
            .expect(&j),
    )
    .unwrap();
    let ms = exited["duration_ms"].as_u64().unwrap();
    // Counted with the downtime, the step would be at least as long as
    // from its start to the resume.
    let at = |kind: &str| {
        let line = j
            .lines()
            .find(|l| l.contains(&format!(r#""type":"{kind}""#)))
            .expect(&j);
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        chrono::DateTime::parse_from_rfc3339(v["at"].as_str().unwrap()).unwrap()
    };
    let start_to_resume = (at("session_resumed") - at("step_started")).num_milliseconds();
    assert!(
        (ms as i64) < start_to_resume,
        "the downtime was counted: {ms} ms of {start_to_resume} ms"
    );
}

/// Runs, headless in `dir`, a fleet step `go` on local hosts a and b
/// whose fields from `run:` on are `rest`; it must exit with `code`.
fn run_two_hosts(dir: &std::path::Path, rest: &str, code: i32) {
    let rb = dir.join("two.yaml");
    let head = "runbook: 1\nid: two\ntitle: Two\ntargets:\n  t:\n    transport: local\n    hosts: [a, b]\nsections:\n  - title: S\n    steps:\n      - id: go\n        title: Go\n        on: t\n        ";
    std::fs::write(&rb, format!("{head}{rest}")).unwrap();
    stepwise(dir)
        .current_dir(dir)
        .args(["run", "--trust", "--headless"])
        .arg(&rb)
        .assert()
        .code(code);
}

/// A fleet step `go` on local hosts a, b and c, in batches of 1 then the
/// rest, with a question between them; each host runs `run`.
fn confirm_fleet(dir: &std::path::Path, run: &str) -> std::path::PathBuf {
    let rb = dir.join("confirm.yaml");
    std::fs::write(
        &rb,
        format!("runbook: 1\nid: confirm\ntitle: Confirm\ntargets:\n  t:\n    transport: local\n    hosts: [a, b, c]\nsections:\n  - title: S\n    steps:\n      - id: go\n        title: Go\n        on: t\n        run: {run}\n        rollout: {{ batches: [1, \"100%\"], between_batches: confirm }}\n"),
    )
    .unwrap();
    rb
}

/// The journal of the one session in `dir`.
fn only_journal(dir: &std::path::Path) -> std::path::PathBuf {
    dir.join("sessions")
        .join(only_session(dir))
        .join("journal.jsonl")
}

/// Cuts the journal of the one session in `dir` after the first (or
/// `last`) record of type `kind`, as if stepwise had been killed there (a
/// prefix of the hash chain is still whole); its path.
fn cut_journal_after(dir: &std::path::Path, kind: &str, last: bool) -> std::path::PathBuf {
    let journal = only_journal(dir);
    let text = std::fs::read_to_string(&journal).unwrap();
    let needle = format!("\"type\":\"{kind}\"");
    let at = if last {
        text.rfind(&needle)
    } else {
        text.find(&needle)
    }
    .unwrap();
    let end = at + text[at..].find('\n').unwrap() + 1;
    std::fs::write(&journal, &text[..end]).unwrap();
    journal
}

/// `stepwise resume --headless ARGS` in `dir`: its exit code and stdout.
fn resume_headless(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = stepwise(dir)
        .current_dir(dir)
        .args(["resume", "--headless"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The hosts that wrote `ran.txt` in `dir`, sorted.
fn hosts_ran(dir: &std::path::Path) -> Vec<String> {
    let ran = std::fs::read_to_string(dir.join("ran.txt")).unwrap();
    let mut hosts: Vec<String> = ran.lines().map(str::to_owned).collect();
    hosts.sort_unstable();
    hosts
}
