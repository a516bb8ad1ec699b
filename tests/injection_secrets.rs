//! Injection and secrets through the real binary, in every mode.
//!
//! Injection: hostile input values and values captured from a step's output
//! reach commands as literal data (environment variables), in `run`, after
//! `resume`, and in the `--dry-run` display, which shows them as quoted data
//! without changing them.
//!
//! Secrets: a secret input and a capture derived from it are absent from
//! every file under STEPWISE_HOME, from every export and from stdout and
//! stderr, whether the step prints them whole, split across writes, or on
//! stderr.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/cli.rs"]
mod cli;
use cli::text;

const PAYLOADS: [&str; 7] = [
    "'; touch pwned #",
    "$(touch pwned)",
    "`touch pwned`",
    "a\nb; touch pwned",
    "--option=1 -rf",
    "../../etc/passwd",
    "\"; touch pwned; echo \"",
];

const INJECTION: &str = r#"runbook: 1
id: inject
title: Injection
inputs:
  VALUE: {}
sections:
  - title: S
    steps:
      - title: Echo input
        run: printf '%s\n' "$VALUE" > input.out
      - title: Capture
        run: printf '%s' "$VALUE"
        capture: CAPTURED
      - title: Echo capture
        run: printf '%s\n' "$CAPTURED" > capture.out
      - title: Pause
      - title: After resume
        run: printf '%s|%s\n' "$VALUE" "$CAPTURED" > resumed.out
"#;

fn stepwise(home: &Path, cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stepwise"));
    c.env("STEPWISE_HOME", home)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null());
    c
}

fn no_pwned(dirs: &[&Path]) {
    for d in dirs {
        assert!(
            !d.join("pwned").exists(),
            "a payload ran in {}",
            d.display()
        );
    }
}

#[test]
fn hostile_values_reach_commands_literally_in_run_resume_and_dry_run() {
    for payload in PAYLOADS {
        let work = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let rb = work.path().join("rb.yaml");
        std::fs::write(&rb, INJECTION).unwrap();
        let var = format!("VALUE={payload}");
        // Dry run: the commands as written, the value as quoted data.
        let dry = stepwise(home.path(), work.path())
            .args(["run", "--dry-run", "--trust", "--var", &var])
            .arg(&rb)
            .output()
            .unwrap();
        let shown = text(&dry);
        assert_eq!(dry.status.code(), Some(0), "{shown}");
        assert!(shown.contains(r#"$ printf '%s\n' "$CAPTURED" > capture.out"#));
        let quoted = stepwise::dryrun::shown_value(payload);
        assert!(
            payload.contains('/') || quoted.starts_with('"'),
            "{payload:?} shown bare"
        );
        assert!(
            shown.contains(&format!("  VALUE={quoted}\n")),
            "{payload:?} not shown as data: {shown}"
        );
        assert!(!work.path().join("input.out").exists(), "a dry run ran");
        // Run: stops at the human step, waiting.
        let run = stepwise(home.path(), work.path())
            .args(["run", "--headless", "--trust", "--var", &var])
            .arg(&rb)
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(4), "{}", text(&run));
        let read = |name: &str| std::fs::read_to_string(work.path().join(name)).unwrap();
        assert_eq!(read("input.out"), format!("{payload}\n"));
        assert_eq!(read("capture.out"), format!("{}\n", payload.trim()));
        // Resume: the stored input and capture still reach the command as data.
        let resumed = stepwise(home.path(), work.path())
            .args(["resume", "--headless", "--answer", "pause=done"])
            .output()
            .unwrap();
        assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed));
        assert_eq!(
            read("resumed.out"),
            format!("{payload}|{}\n", payload.trim())
        );
        no_pwned(&[
            work.path(),
            home.path(),
            Path::new(env!("CARGO_MANIFEST_DIR")),
        ]);
    }
}

const SECRET: &str = "hunter2-Zq9";

const SECRETS: &str = r#"runbook: 1
id: secrets
title: Secrets
inputs:
  TOKEN: { secret: true }
sections:
  - title: S
    steps:
      - title: Whole
        run: echo "token=$TOKEN"; echo "err=$TOKEN" >&2
      - title: Split
        run: |
          half=${#TOKEN}; half=$((half / 2))
          printf '%s' "${TOKEN:0:$half}"; sleep 0.1; printf '%s\n' "${TOKEN:$half}"
          printf '%s' "${TOKEN:0:3}" >&2; sleep 0.1; printf '%s\n' "${TOKEN:3}" >&2
      - title: Derive
        run: printf 'Bearer %s' "$TOKEN"
        capture: HEADER
      - title: Use derived
        run: echo "header=$HEADER"; echo "header=$HEADER" >&2
      - title: Confirm
"#;

/// Every file under `dir`, as bytes, with its path.
fn all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(all_files(&p));
        } else {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_secret_and_its_derived_capture_never_reach_disk_exports_or_output() {
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let rb = work.path().join("rb.yaml");
    std::fs::write(&rb, SECRETS).unwrap();
    let derived = format!("Bearer {SECRET}");
    let var = format!("TOKEN={SECRET}");
    let mut outputs = Vec::new();
    let run = stepwise(home.path(), work.path())
        .args(["run", "--headless", "--trust", "--var", &var])
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(4), "{}", text(&run));
    outputs.push(run);
    // A capture made from a secret is never stored either: resume asks
    // for it again, like the secret input itself.
    let header = format!("HEADER={derived}");
    let resumed = stepwise(home.path(), work.path())
        .args(["resume", "--headless", "--var", &var, "--var", &header])
        .args([
            "--answer",
            &format!("confirm=done:pasted {SECRET} by mistake"),
        ])
        .output()
        .unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed));
    outputs.push(resumed);
    let session = std::fs::read_dir(home.path().join("sessions"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let id = session.file_name().unwrap().to_string_lossy().into_owned();
    for format in ["md", "json", "html"] {
        let out = stepwise(home.path(), work.path())
            .args(["export", &id, "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        outputs.push(out);
    }
    let out_file = work.path().join("exported.html");
    let written = stepwise(home.path(), work.path())
        .args(["export", &id, "--format", "html", "-o"])
        .arg(&out_file)
        .output()
        .unwrap();
    assert_eq!(written.status.code(), Some(0));
    let mut everything = all_files(home.path());
    everything.push((out_file.clone(), std::fs::read(&out_file).unwrap()));
    for (i, o) in outputs.iter().enumerate() {
        everything.push((PathBuf::from(format!("stdout #{i}")), o.stdout.clone()));
        everything.push((PathBuf::from(format!("stderr #{i}")), o.stderr.clone()));
    }
    for (path, bytes) in &everything {
        for needle in [SECRET, derived.as_str(), &SECRET[3..], &SECRET[..8]] {
            assert!(
                !contains(bytes, needle),
                "{} holds {needle:?}",
                path.display()
            );
        }
    }
    // The steps did print it: the logs hold the mask where it was.
    let logs: Vec<u8> = all_files(&session.join("output"))
        .into_iter()
        .flat_map(|(_, b)| b)
        .collect();
    assert!(contains(&logs, "token=••••••"));
    assert!(contains(&logs, "header=••••••"));
}
