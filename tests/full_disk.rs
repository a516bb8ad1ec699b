//! Issue #12, items 2 and 7 through the real binary, on a 2 MiB tmpfs
//! (`support/tmpfs.rs`: skipped with a reason where mounting is not
//! allowed, a failure with `CI` set): a step never starts without the record of its process group, and the
//! record after a full disk says what was lost, with its own exit code.

use std::path::{Path, PathBuf};
use std::process::Output;

#[path = "support/sessions.rs"]
mod sessions;
#[path = "support/tmpfs.rs"]
mod tmpfs;
use sessions::*;
use tmpfs::Tmpfs;

/// A 2 MiB home that a step fills up (the journal's open page still takes
/// a few records; nothing new fits): `steps` may use `$FILL` for the
/// command that does it.
fn full_disk_run(tmp: &Path, steps: &[(&str, &str)]) -> Option<(Tmpfs, PathBuf, Output)> {
    let home = tmp.join("home");
    let disk = Tmpfs::mount(&home, "2m")?;
    let fill = format!(
        "cat /dev/zero > {}/filler 2>/dev/null || true",
        home.display()
    );
    let steps: Vec<(&str, String)> = steps
        .iter()
        .map(|(id, run)| (*id, run.replace("$FILL", &fill)))
        .collect();
    let steps: Vec<(&str, &str)> = steps.iter().map(|(i, r)| (*i, r.as_str())).collect();
    let rb = runbook(tmp, "full", &steps);
    let out = run(&home, &rb, &[]);
    Some((disk, home, out))
}

#[test]
fn a_step_whose_process_record_cannot_be_written_never_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("runs");
    let deploy = format!("echo deploy >> {}; sleep 1", runs.display());
    let Some((_disk, home, out)) =
        full_disk_run(tmp.path(), &[("fill", "$FILL"), ("then", &deploy)])
    else {
        return;
    };
    let t = text(&out);
    assert_eq!(out.status.code(), Some(6), "{t}");
    assert!(
        // The step's monitor records itself first, then the step's group.
        (t.contains("then.1.monitor") || t.contains("then.1.pid")) && t.contains("No space left"),
        "{t}"
    );
    assert!(!runs.exists(), "the step ran without its record: {t}");
    std::fs::remove_file(home.join("filler")).unwrap();
    let out = stepwise(&home)
        .args(["resume", "--headless", "--answer", "then=rerun"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&runs).unwrap(), "deploy\n");
}

#[test]
fn a_log_cut_by_a_full_disk_is_journalled_with_its_own_exit_code_and_said_in_the_transcript() {
    let tmp = tempfile::tempdir().unwrap();
    let flood = "$FILL; head -c 300000 /dev/zero | tr '\\0' x; echo; echo flooded";
    let Some((_disk, home, out)) = full_disk_run(tmp.path(), &[("then", flood)]) else {
        return;
    };
    let t = text(&out);
    assert_eq!(out.status.code(), Some(6), "not 3, no step failed: {t}");
    assert!(t.contains("then | flooded"), "shown live: {t}");
    assert!(t.contains("its log was cut at byte 0"), "{t}");
    let dir = only_session(&home);
    let journal = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    assert!(journal.contains("\"type\":\"log_cut\""), "{journal}");
    assert!(journal.contains("\"lost\":300009"), "{journal}");
    assert!(
        journal.contains("\"type\":\"session_stopped\""),
        "{journal}"
    );
    let md = stepwise(&home)
        .args(["export", &id_of(&dir)])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("_No output was kept._"), "{md}");
    assert!(
        md.contains("**Output lost:** the log was cut at byte 0 (")
            && md.contains("300009 more bytes"),
        "{md}"
    );
    assert!(
        md.contains("stepwise stopped the session because it could not write its record"),
        "{md}"
    );
    assert!(!md.contains("still running"), "{md}");
}
