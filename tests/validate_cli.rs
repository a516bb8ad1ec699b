//! `stepwise validate` and `stepwise schema` as a user runs them: exit
//! codes, the summary line on stdout, diagnostics on stderr.

use assert_cmd::Command;
use predicates::prelude::*;

fn stepwise() -> Command {
    let mut cmd = Command::cargo_bin("stepwise").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    cmd
}

#[test]
fn valid_runbooks_print_their_summary_and_exit_0() {
    stepwise()
        .args([
            "validate",
            "runbooks/examples/hello.yaml",
            "runbooks/examples/db-failover-drill.yaml",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "ok: Hello, stepwise — 3 sections, 8 steps (6 automated, 2 human)\n",
        ))
        .stdout(predicate::str::contains(
            "ok: Database failover drill — 4 sections, 10 steps (6 automated, 4 human)\n",
        ));
}

#[test]
fn an_invalid_runbook_prints_diagnostics_and_exits_2() {
    stepwise()
        .args(["validate", "tests/fixtures/invalid/unknown-key.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown key `timout` in a step"))
        .stderr(predicate::str::contains(
            "tests/fixtures/invalid/unknown-key.yaml:9:9",
        ))
        .stderr(predicate::str::contains("did you mean `timeout`?"));
}

#[test]
fn one_bad_file_among_good_ones_still_exits_2() {
    stepwise()
        .args([
            "validate",
            "runbooks/examples/hello.yaml",
            "tests/fixtures/invalid/retry-zero.yaml",
        ])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("ok: Hello, stepwise"))
        .stderr(predicate::str::contains("`retry.attempts` is 0"));
}

#[test]
fn hostile_inputs_exit_2_without_a_panic() {
    for path in [
        "tests/fixtures/hostile/billion-laughs.yaml",
        "tests/fixtures/hostile/deep-nesting.yaml",
        "tests/fixtures/hostile/binary.yaml",
        "tests/fixtures/hostile/invalid-utf8.yaml",
        "tests/fixtures/hostile",
        "tests/fixtures/no-such-file.yaml",
        "tests/fixtures/invalid/empty.yaml",
    ] {
        stepwise()
            .args(["validate", path])
            .timeout(std::time::Duration::from_secs(10))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("panicked").not());
    }
}

/// The binary parses on its main thread (no parser thread): nesting up to
/// the limit, in this debug build, must still fit its stack and come back
/// as a problem, not a crash.
#[test]
fn nesting_up_to_the_limit_is_parsed_on_the_main_thread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.yaml");
    let text = format!(
        "runbook: 1\nid: t\ntitle: T\nsections: [{{ title: S, steps: [{{ title: a, instructions: {}x{} }}] }}]\n",
        "[".repeat(55),
        "]".repeat(55)
    );
    std::fs::write(&path, text).unwrap();
    stepwise()
        .arg("validate")
        .arg(&path)
        .timeout(std::time::Duration::from_secs(10))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("panicked").not())
        .stderr(predicate::str::contains("instructions"));
}

#[test]
fn schema_prints_the_committed_schema() {
    let committed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/runbook.schema.json"),
    )
    .unwrap();
    let out = stepwise()
        .arg("schema")
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let printed: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let committed: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(printed, committed);
}

/// `description:` on a step is the common slip for `instructions:`: the
/// help names the right key rather than the indentation.
#[test]
fn description_on_a_step_points_at_instructions() {
    let dir = tempfile::tempdir().unwrap();
    let rb = dir.path().join("rb.yaml");
    std::fs::write(
        &rb,
        "runbook: 1\nid: x\ntitle: X\nsections:\n  - title: S\n    steps:\n      - title: A\n        description: do it\n",
    )
    .unwrap();
    stepwise()
        .arg("validate")
        .arg(&rb)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("rb.yaml:8:9"))
        .stderr(predicate::str::contains("goes in `instructions:`"));
}

/// `- Posted in #ops` loses `#ops` to a YAML comment: validate says where,
/// and how to keep it, and the runbook is still valid.
#[test]
fn a_comment_cutting_text_short_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let rb = dir.path().join("c.yaml");
    std::fs::write(
        &rb,
        "runbook: 1\nid: t\ntitle: T\nsections:\n  - title: S\n    steps:\n      - title: Tell\n        id: tell\n        checklist:\n          - Posted in #ops\n          - \"Quoted in #ops\"\n",
    )
    .unwrap();
    stepwise()
        .arg("validate")
        .arg(&rb)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "c.yaml:10:23: warning: `#ops` starts a YAML comment",
        ))
        .stderr(predicate::str::contains("quote the whole value").count(1));
}

/// `run: true` is a boolean to YAML: the help says to quote it, with the
/// very text to write.
#[test]
fn a_command_yaml_reads_as_a_boolean_is_told_to_be_quoted() {
    let dir = tempfile::tempdir().unwrap();
    let rb = dir.path().join("bool.yaml");
    std::fs::write(
        &rb,
        "runbook: 1\nid: t\ntitle: T\nsections:\n  - title: S\n    steps:\n      - title: A\n        run: true\n",
    )
    .unwrap();
    stepwise()
        .env("COLUMNS", "200")
        .arg("validate")
        .arg(&rb)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`run` must be a string, found a boolean",
        ))
        .stderr(predicate::str::contains(
            "YAML reads this as a boolean: quote it, `run: \"true\"`",
        ));
}
