//! A fleet step in the real binary, in a pseudo-terminal at 80x24 and
//! 100x30: the question between two batches is a dialog with the batch's
//! results, a failed fleet step gets the fleet failure prompt (retry
//! failed hosts, accept with a reason, abort), the host grid and a
//! host's own log with search (`h`, j/k, Enter, `/`, Esc), and the
//! accepted failure is recorded.

#[path = "support/pty.rs"]
mod pty;

use pty::{Term, keys};

const RUNBOOK: &str = "runbook: 1
id: tui-fleet
title: TUI fleet
targets:
  blue:
    transport: local
    hosts: [blue-1, blue-2, blue-3, blue-4]
sections:
  - title: Roll out
    steps:
      - id: restart
        title: Restart the service on every host, canary first
        on: blue
        run: |
          echo \"restarting on $TARGET\"
          test \"$TARGET\" != blue-3
        rollout:
          batches: [1, \"100%\"]
          max_in_flight: 1
          between_batches: confirm
      - title: Check the dashboards
        instructions: Error rates flat on every host?
";

fn walk(size: (u16, u16)) {
    let home = tempfile::tempdir().unwrap();
    let rb = home.path().join("fleet.yaml");
    std::fs::write(&rb, RUNBOOK).unwrap();
    let env = [("STEPWISE_HOME", home.path())];
    let mut t = Term::spawn(&["run", "--trust", rb.to_str().unwrap()], &env, size);
    t.wait_text("Not run yet. Enter runs it.");
    t.send(keys::ENTER);
    t.wait_text("Batch 1 of 2 is done: ✓1 ✗0");
    t.wait_text("✓ blue-1 succeeded");
    t.wait_text("Next: batch 2, 3 host(s)");
    t.wait_text("Go on with the next batch");
    t.wait_text("Stop the rollout");
    // Esc leaves the question for later; Enter on the step asks again.
    t.send(keys::ESC);
    t.wait_for("the dialog closed", pty::PATIENCE, |s| {
        !s.contains("Next batch?")
    });
    t.send(keys::ENTER);
    t.wait_text("Next batch?");
    t.send(keys::ENTER);
    t.wait_text("Fleet step failed");
    t.wait_text("1 failed");
    t.wait_text("r runs again: blue-3");
    t.wait_text("Accept the failure and go on");
    // Decide later: first a look at the failed host's own log.
    t.send(keys::ESC);
    t.wait_for("the prompt closed", pty::PATIENCE, |s| {
        !s.contains("Fleet step failed")
    });
    hosts_and_a_host_log(&t);
    t.send(keys::ENTER);
    t.wait_text("Fleet step failed");
    t.send(b"c");
    t.wait_text("Accept the failed hosts and go on: why?");
    t.type_text("blue-3 is being retired");
    t.send(keys::ENTER);
    t.wait_text("Error rates flat on every host?");
    t.send(b"q");
    t.wait_text("Quit");
    t.send(b"y");
    t.wait_exit();
    let sessions = home.path().join("sessions");
    let dir = std::fs::read_dir(sessions)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap();
    assert!(
        journal.contains(
            "Failure accepted with 2 host(s) not done (blue-3, blue-4): blue-3 is being retired"
        ),
        "{journal}"
    );
}

/// `h`: the host grid in the log pane; j/j picks blue-3, Enter opens its
/// own log (no `[host]` prefix), `/` finds a line in it, Esc Esc back.
fn hosts_and_a_host_log(t: &Term) {
    t.send(b"h");
    t.wait_text("Hosts · restart");
    t.wait_text("✗ blue-3");
    t.wait_text("· blue-4");
    t.send(b"j");
    t.send(b"j");
    t.send(keys::ENTER);
    t.wait_text("Log · restart [blue-3]");
    t.wait_text("  restarting on blue-3");
    t.send(b"/");
    t.wait_text("Search the log");
    t.type_text("restarting");
    t.send(keys::ENTER);
    t.wait_text("“restarting”: line 1");
    t.send(keys::ESC);
    t.wait_for("the matches left", pty::PATIENCE, |s| {
        !s.contains("“restarting”")
    });
    t.send(keys::ESC);
    t.wait_text("Hosts · restart");
    t.send(keys::ESC);
    t.wait_for("the step's log again", pty::PATIENCE, |s| {
        !s.contains("Hosts · restart") && s.contains("Log · restart")
    });
}

#[test]
fn batch_question_and_fleet_failure_prompt_at_80x24() {
    walk((80, 24));
}

#[test]
fn batch_question_and_fleet_failure_prompt_at_100x30() {
    walk((100, 30));
}
