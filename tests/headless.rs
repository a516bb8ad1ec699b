//! The real binary, headless: runs, answers, captures, secrets, injection,
//! exit codes, SIGKILL and resume.

use std::path::{Path, PathBuf};

#[path = "support/cli.rs"]
mod cli;
use cli::{all_files_text, session_dirs, stepwise, text};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/runbooks")
        .join(name)
}

/// Runs `rb` headless (in `home`, with `extra` options) until its step
/// `wait` printed "started"; the running stepwise.
fn start_until_started(home: &Path, rb: &Path, extra: &[&str]) -> std::process::Child {
    let mut child = stepwise(home)
        .current_dir(home)
        .args(["run", "--headless", "--trust"])
        .args(extra)
        .arg(rb)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while std::io::BufRead::read_line(&mut reader, &mut line).unwrap() > 0
        && !line.contains("wait | started")
    {
        line.clear();
    }
    assert!(line.contains("started"), "the step never printed");
    child
}

/// Runs `rb` headless (in `home`) and SIGKILLs stepwise once its step
/// `wait` printed "started"; the step's own process group lives on.
fn kill_once_started(home: &Path, rb: &Path) {
    let mut child = start_until_started(home, rb, &[]);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Writes `yaml` to `home/name`; its path.
fn runbook_file(home: &Path, name: &str, yaml: &str) -> PathBuf {
    let rb = home.join(name);
    std::fs::write(&rb, yaml).unwrap();
    rb
}

/// One human step, `ask`, and then `more` (more steps, as YAML).
fn ask_runbook(home: &Path, more: &str) -> PathBuf {
    let yaml = format!(
        "runbook: 1\nid: ask\ntitle: Ask\nsections:\n  - title: S\n    steps:\n      - id: ask\n        title: Ask\n        instructions: Look.\n{more}"
    );
    runbook_file(home, "ask.yaml", &yaml)
}

/// An update step `tell` to a file channel, and then `more`.
fn update_runbook(home: &Path, more: &str) -> PathBuf {
    let yaml = format!(
        "runbook: 1\nid: upd\ntitle: Upd\nchannels:\n  ops:\n    file: {}\nsections:\n  - title: S\n    steps:\n      - id: tell\n        title: Tell\n        update: rollback under way\n        channels: [ops]\n{more}",
        home.join("updates.txt").display()
    );
    runbook_file(home, "upd.yaml", &yaml)
}

/// `stepwise run --headless --trust ARGS RB` in `home`, nothing on stdin.
fn run_headless(home: &Path, args: &[&str], rb: &Path) -> std::process::Output {
    stepwise(home)
        .current_dir(home)
        .args(["run", "--headless", "--trust"])
        .args(args)
        .arg(rb)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

/// The journal of the one session in `home`.
fn only_journal(home: &Path) -> String {
    std::fs::read_to_string(session_dirs(home)[0].join("journal.jsonl")).unwrap()
}

/// Polls `cond` every 10 ms for at most 20 s; whether it came true.
fn eventually(cond: impl Fn() -> bool) -> bool {
    let start = std::time::Instant::now();
    while !cond() {
        if start.elapsed().as_secs() >= 20 {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    true
}

#[test]
fn headless_run_with_answers_completes_and_writes_the_record() {
    let home = tempfile::tempdir().unwrap();
    let out = stepwise(home.path())
        .args([
            "run",
            "--headless",
            "--trust",
            "--var",
            "TOKEN=s3cr3t-value",
        ])
        .arg(fixture("small.yaml"))
        .args(["--answer", "tell-the-team=done:paged #ops and #dev"])
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("say-hello | hello from stepwise"), "{t}");
    assert!(t.contains("say-hello ! to stderr"), "{t}");
    assert!(t.contains("captured VERSION = v1.4.2"), "{t}");
    assert!(t.contains("transcript: "), "{t}");
    let dirs = session_dirs(home.path());
    assert_eq!(dirs.len(), 1);
    let journal = std::fs::read_to_string(dirs[0].join("journal.jsonl")).unwrap();
    assert!(journal.contains("paged #ops and #dev"));
    assert!(journal.contains("\"type\":\"session_completed\""));
    let everything = all_files_text(&dirs[0]);
    assert!(
        !everything.contains("s3cr3t-value"),
        "the secret reached disk"
    );
    assert!(!t.contains("s3cr3t-value"), "the secret reached the screen");
    assert!(everything.contains("token=••••••"));
}

/// With neither `$USER` nor `$LOGNAME` (containers, tmux panes), the
/// operator recorded is the account of the user id, not "unknown".
#[test]
fn the_operator_is_the_accounts_name_when_user_is_unset() {
    let home = tempfile::tempdir().unwrap();
    let out = stepwise(home.path())
        .env_remove("USER")
        .env_remove("LOGNAME")
        .args(["run", "--headless", "--trust", "--yes", "--var", "TOKEN=x"])
        .arg(fixture("small.yaml"))
        .args(["--answer", "tell-the-team=done:paged"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let me = nix::unistd::User::from_uid(nix::unistd::getuid())
        .unwrap()
        .expect("the test's user has an account")
        .name;
    let journal =
        std::fs::read_to_string(session_dirs(home.path())[0].join("journal.jsonl")).unwrap();
    assert!(journal.contains(&format!("\"user\":\"{me}\"")), "{journal}");
    assert!(!journal.contains("\"user\":\"unknown\""), "{journal}");
}

/// The pid of the monitor holding `log`'s attempt (it answers on its
/// socket).
fn monitor_pid(session: &Path, log: &str) -> i32 {
    let log = session.join(format!("output/{log}.log"));
    stepwise::runner::monitor::files::monitor_alive(&log).expect("a live monitor")
}

/// One step that sleeps a minute the first time it runs (it leaves a
/// marker) and ends at once when run again.
const SLOW_ONCE: &str = "runbook: 1\nid: slow\ntitle: Slow\nsections:\n  - title: S\n    steps:\n      - title: Wait\n        run: if [ -e marker ]; then echo quick; else touch marker; echo started; sleep 60; fi\n";

/// When the monitor itself is killed too (the rare case it leaves), the
/// step's process group may still live: the outcome is unknown, and a
/// re-run is refused, with the group to stop, until the group is gone.
#[test]
fn with_its_monitor_killed_too_a_rerun_is_refused_while_the_step_still_runs() {
    let home = tempfile::tempdir().unwrap();
    let rb = home.path().join("slow.yaml");
    std::fs::write(&rb, SLOW_ONCE).unwrap();
    kill_once_started(home.path(), &rb);
    let session = session_dirs(home.path())[0].clone();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(monitor_pid(&session, "wait.1")),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    while stepwise::runner::monitor::files::monitor_alive(&session.join("output/wait.1.log"))
        .is_some()
    {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let rerun = || {
        stepwise(home.path())
            .args(["resume", "--headless", "--answer", "wait=rerun"])
            .output()
            .unwrap()
    };
    let out = rerun();
    let t = text(&out);
    assert_ne!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("outcome unknown"), "{t}");
    assert!(t.contains("still running outside stepwise"), "{t}");
    assert!(!t.contains("wait | quick"), "it ran a second time: {t}");
    let note = session.join("output/wait.1.pid");
    let pgid: i32 = std::fs::read_to_string(&note)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(t.contains(&format!("kill -TERM -- -{pgid}")), "{t}");
    nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(pgid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let gone = std::time::Instant::now();
    while stepwise::engine::process::survivor::group_alive(pgid) {
        assert!(
            gone.elapsed() < std::time::Duration::from_secs(10),
            "the group lingers"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = rerun();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("wait | quick"), "{}", text(&out));
}

/// An attempt journalled as started that never ran (stepwise killed
/// before the step's monitor ran it: no monitor, no exit, no process-group
/// note; made here by stopping everything and removing what ran) is run
/// again on resume as a new attempt, without a question.
#[test]
fn an_attempt_that_never_started_runs_again_on_resume_without_a_question() {
    let home = tempfile::tempdir().unwrap();
    let session = killed_with_its_monitor_and_group(home.path());
    std::fs::remove_file(session.join("output/wait.1.pid")).unwrap();
    std::fs::remove_file(session.join("output/wait.1.log")).unwrap();
    let (code, t) = resume_headless(home.path());
    assert_eq!(code, Some(0), "{t}");
    assert!(t.contains("wait (attempt 1) never started"), "{t}");
    assert!(t.contains("wait | quick"), "{t}");
    assert!(!t.contains("outcome unknown"), "{t}");
    let journal = std::fs::read_to_string(session.join("journal.jsonl")).unwrap();
    assert!(journal.contains("\"step_not_started\""), "{journal}");
}

/// "Never started" needs every sign of it: an attempt whose process-group
/// note is missing but whose log holds output did run, so resume asks.
#[test]
fn an_attempt_with_output_but_no_group_note_is_not_taken_for_never_started() {
    let home = tempfile::tempdir().unwrap();
    let session = killed_with_its_monitor_and_group(home.path());
    std::fs::remove_file(session.join("output/wait.1.pid")).unwrap();
    let (code, t) = resume_headless(home.path());
    assert_eq!(code, Some(4), "{t}");
    assert!(t.contains("outcome unknown"), "{t}");
    assert!(!t.contains("never started"), "{t}");
    assert!(!t.contains("wait | quick"), "{t}");
}

/// `stepwise resume --headless` in `home`: its exit code and its output.
fn resume_headless(home: &std::path::Path) -> (Option<i32>, String) {
    let out = stepwise(home)
        .current_dir(home)
        .args(["resume", "--headless"])
        .output()
        .unwrap();
    (out.status.code(), text(&out))
}

/// The slow-once step started, then stepwise, its monitor and the step's
/// process group all killed (what is left after the machine lost them):
/// the session folder.
fn killed_with_its_monitor_and_group(home: &std::path::Path) -> std::path::PathBuf {
    let rb = home.join("slow.yaml");
    std::fs::write(&rb, SLOW_ONCE).unwrap();
    kill_once_started(home, &rb);
    let session = session_dirs(home)[0].clone();
    let log = session.join("output/wait.1.log");
    let pgid = stepwise::engine::process::survivor::still_running(&log).unwrap();
    let kill = nix::sys::signal::Signal::SIGKILL;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(monitor_pid(&session, "wait.1")),
        kill,
    )
    .unwrap();
    nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pgid), kill).unwrap();
    while stepwise::runner::monitor::files::monitor_alive(&log).is_some()
        || stepwise::engine::process::survivor::group_alive(pgid)
    {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    session
}

#[test]
fn a_required_note_without_an_answer_waits_for_a_human_with_exit_4() {
    let home = tempfile::tempdir().unwrap();
    let out = stepwise(home.path())
        .args(["run", "--headless", "--trust", "--yes"])
        .arg(fixture("small.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let resumed = stepwise(home.path())
        .args([
            "resume",
            "--headless",
            "--answer",
            "tell-the-team=done:all told",
        ])
        .output()
        .unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed));
}

#[test]
fn hostile_input_values_are_passed_literally() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    for payload in [
        "'; touch pwned #",
        "$(touch pwned)",
        "`touch pwned`",
        "--rm -rf",
        "../../x\ny",
    ] {
        let out = stepwise(home.path())
            .current_dir(work.path())
            .args(["run", "--headless", "--trust", "--var"])
            .arg(format!("GREETING={payload}"))
            .arg(fixture("small.yaml"))
            .args(["--answer", "tell-the-team=skip:test"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(text(&out).contains(&format!("say-hello | {}", payload.lines().next().unwrap())));
        assert!(!work.path().join("pwned").exists());
        assert!(!fixture("pwned").exists());
    }
}

/// `kill -9` of a headless stepwise mid-step (a CI job killed): the step
/// runs on under its monitor; resume re-attaches, shows its output, and
/// journals its real exit; no outcome unknown, nothing run twice.
#[test]
fn sigkill_mid_step_then_resume_reattaches_and_journals_the_real_exit() {
    let home = tempfile::tempdir().unwrap();
    let rb = home.path().join("slow.yaml");
    std::fs::write(
        &rb,
        "runbook: 1\nid: slow\ntitle: Slow\nsections:\n  - title: S\n    steps:\n      - title: Wait\n        run: echo started; sleep 1; echo finished; touch done.$$; exit 3\n        on_failure: continue\n      - title: After\n        run: echo after\n",
    )
    .unwrap();
    kill_once_started(home.path(), &rb);
    let out = stepwise(home.path())
        .args(["resume", "--headless"])
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("taken up"), "{t}");
    assert!(t.contains("wait: exit 3"), "{t}");
    assert!(t.contains("wait | finished"), "{t}");
    assert!(t.contains("after | after"), "{t}");
    let runs = std::fs::read_dir(home.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("done.")
        })
        .count();
    assert_eq!(runs, 1, "the step ran once");
    let session = &session_dirs(home.path())[0];
    let journal = std::fs::read_to_string(session.join("journal.jsonl")).unwrap();
    assert!(!journal.contains("outcome_unknown"), "{journal}");
    assert!(
        journal.contains("\"type\":\"step_reattached\""),
        "{journal}"
    );
    assert!(journal.contains("\"exit\":{\"code\":3"), "{journal}");
    let log = std::fs::read_to_string(session.join("output/wait.1.log")).unwrap();
    assert_eq!(log, "started\nfinished\n");
}

#[test]
fn a_failed_step_stops_with_exit_3_and_sessions_lists_it() {
    let home = tempfile::tempdir().unwrap();
    let rb = home.path().join("fail.yaml");
    std::fs::write(&rb, "runbook: 1\nid: fail\ntitle: Fail\nsections:\n  - title: S\n    steps:\n      - title: Boom\n        run: exit 7\n").unwrap();
    let out = stepwise(home.path())
        .args(["run", "--headless", "--trust"])
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let list = stepwise(home.path()).args(["sessions"]).output().unwrap();
    assert!(text(&list).contains("fail"), "{}", text(&list));
    assert!(text(&list).contains("0/1"), "{}", text(&list));
}

/// A demo left before its end cannot be resumed (its sandbox goes with
/// it): it is closed as aborted, with the reason, and no resume command is
/// offered; `stepwise sessions` does not list it as resumable.
#[test]
fn a_demo_left_unfinished_is_closed_not_offered_for_resume() {
    let home = tempfile::tempdir().unwrap();
    let out = stepwise(home.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["demo", "--headless"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let t = text(&out);
    // It stopped to wait for a person, but nothing can answer it later:
    // aborted (5), and said so in its last line.
    assert_eq!(out.status.code(), Some(5), "{t}");
    assert!(t.contains("aborted — "), "{t}");
    assert!(!t.contains("waiting for a human answer —"), "{t}");
    assert!(!t.contains("Resume it with"), "{t}");
    assert!(t.contains("session closed: the demo was left"), "{t}");
    let dir = &session_dirs(home.path())[0];
    let journal = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    let last = journal.lines().last().unwrap();
    assert!(last.contains("\"type\":\"session_aborted\""), "{last}");
    assert!(last.contains("sandbox went with it"), "{last}");
    let listed = stepwise(home.path())
        .args(["sessions", "--all"])
        .output()
        .unwrap();
    assert!(!text(&listed).contains("resumable"), "{}", text(&listed));
    let resume = stepwise(home.path()).arg("resume").output().unwrap();
    assert_eq!(resume.status.code(), Some(2), "{}", text(&resume));
}

/// Two full demos at once (one home, so the session store is shared), and
/// the first one's record read closely: one pair of demo runs serves both
/// promises (they are the slowest tests of this binary).
#[test]
fn two_headless_demos_at_once_roll_back_for_real_and_clean_up() {
    let home = tempfile::tempdir().unwrap();
    let spawn = || {
        stepwise(home.path())
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["demo", "--headless", "--yes"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let outs: Vec<_> = [a, b]
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for out in &outs {
        let t = text(out);
        assert_eq!(out.status.code(), Some(0), "{t}");
        assert!(
            t.contains("✗ health-before: exit"),
            "health must fail before the rollback: {t}"
        );
        assert!(
            t.contains("✓ test-rollback: exit 0"),
            "health must pass after it: {t}"
        );
        for said in [
            "deploy-stable: 3 hosts in batches of 1, 2 (failures allowed: 0)",
            "[blue-1] ▶ deploy-stable (batch 1)",
            "⏸ deploy-stable: batch 1 done; waiting for a go-ahead",
            "[blue-3] ▶ deploy-stable (batch 2)",
            "3 hosts: ✓3 ✗0",
        ] {
            assert!(
                t.contains(said),
                "the demo rolls back as a fleet: {said}\n{t}"
            );
        }
        let sandbox = t
            .lines()
            .find_map(|l| l.strip_prefix("demo sandbox: "))
            .and_then(|l| l.split(' ').next())
            .expect("the demo names its sandbox");
        assert!(
            !Path::new(sandbox).exists(),
            "the sandbox {sandbox} was left behind"
        );
    }
    let dirs = session_dirs(home.path());
    assert_eq!(dirs.len(), 2);
    let transcript = std::fs::read_dir(&dirs[0])
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "md"))
        .expect("a transcript in the session folder");
    let md = std::fs::read_to_string(transcript).unwrap();
    let section = |id: &str| -> String {
        md.split("#### ")
            .find(|s| s.contains(&format!("**Id:** `{id}`")))
            .unwrap_or_else(|| panic!("no section for {id} in the transcript"))
            .to_owned()
    };
    let before = section("health-before");
    assert!(
        before.contains("failed (exit") && before.contains("answered 500"),
        "{before}"
    );
    let after = section("test-rollback");
    assert!(
        after.contains("passed (exit 0") && after.contains("\"status\":\"ok\""),
        "{after}"
    );
    // A step that requires a note got the demo's, recorded as --yes's.
    let identify = section("identify-issue");
    assert!(identify.contains("confirmed with --yes"), "{identify}");
    assert!(identify.contains("no real incident"), "{identify}");
    assert!(!identify.contains("--answer"), "{identify}");
}

#[test]
fn export_writes_each_format_without_the_secret() {
    let home = tempfile::tempdir().unwrap();
    let out = stepwise(home.path())
        .args([
            "run",
            "--headless",
            "--trust",
            "--var",
            "TOKEN=s3cr3t-value",
        ])
        .arg(fixture("small.yaml"))
        .args(["--answer", "tell-the-team=done:told"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let id = session_dirs(home.path())[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    for (format, marker) in [
        ("md", "# Small runbook"),
        ("json", "stepwise-transcript/4"),
        ("html", "<!DOCTYPE html>"),
    ] {
        let out = stepwise(home.path())
            .args(["export", &id[..12], "--format", format])
            .output()
            .unwrap();
        let body = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(
            body.to_lowercase().contains(&marker.to_lowercase()),
            "{format}: {body}"
        );
        assert!(!body.contains("s3cr3t-value"), "{format} leaks the secret");
    }
}

#[test]
fn dry_run_shows_the_plan_masks_secrets_and_runs_nothing() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let rb = work.path().join("rb.yaml");
    std::fs::write(&rb, "runbook: 1\nid: dry\ntitle: Dry\ninputs:\n  TOKEN: { secret: true }\n  NEEDED: {}\nsections:\n  - title: S\n    steps:\n      - title: Touch\n        run: touch ran-for-real \"$TOKEN\"\n").unwrap();
    let out = stepwise(home.path())
        .current_dir(work.path())
        .args(["run", "--dry-run", "--var", "TOKEN=hunter2"])
        .arg(&rb)
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("$ touch ran-for-real \"$TOKEN\""), "{t}");
    assert!(t.contains("TOKEN=••••••") && !t.contains("hunter2"), "{t}");
    assert!(t.contains("A real run needs values for: NEEDED"), "{t}");
    assert!(!work.path().join("ran-for-real").exists());
    assert!(
        session_dirs(home.path()).is_empty(),
        "a dry run created a session"
    );
}

#[test]
fn a_capture_made_from_a_secret_must_be_given_again_on_resume_and_a_refusal_writes_nothing() {
    let home = tempfile::tempdir().unwrap();
    let rb = home.path().join("cap.yaml");
    std::fs::write(&rb, "runbook: 1\nid: cap\ntitle: Cap\ninputs:\n  API_TOKEN: { secret: true }\nsections:\n  - title: S\n    steps:\n      - title: Derive\n        run: echo \"Bearer $API_TOKEN\"\n        capture: AUTH\n      - title: Pause\n        note: required\n      - title: Use\n        run: test \"$AUTH\" = \"Bearer abc123\"\n").unwrap();
    let out = stepwise(home.path())
        .args(["run", "--headless", "--trust", "--var", "API_TOKEN=abc123"])
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        text(&out).contains("--var-file API_TOKEN=PATH --var-file AUTH=PATH"),
        "the resume hint names the secrets: {}",
        text(&out)
    );
    let journal = session_dirs(home.path())[0].join("journal.jsonl");
    let before = std::fs::read(&journal).unwrap();
    let refused = stepwise(home.path())
        .args([
            "resume",
            "--headless",
            "--answer",
            "pause=done:ok",
            "--var",
            "API_TOKEN=abc123",
        ])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains("AUTH secret and never stored"),
        "{}",
        text(&refused)
    );
    assert_eq!(
        std::fs::read(&journal).unwrap(),
        before,
        "a refused resume wrote to the journal"
    );
    let done = stepwise(home.path())
        .args([
            "resume",
            "--headless",
            "--answer",
            "pause=done:ok",
            "--var",
            "API_TOKEN=abc123",
            "--var",
            "AUTH=Bearer abc123",
        ])
        .output()
        .unwrap();
    assert_eq!(done.status.code(), Some(0), "{}", text(&done));
}

/// Runs `inputs` (YAML under `inputs:`) headless to a required note,
/// then resumes with the note and `env`; the last step runs `check`.
/// Returns the first run's output and the resume's.
fn paused_then_resumed(
    home: &Path,
    inputs: &str,
    check: &str,
    env: &[(&str, &str)],
) -> (std::process::Output, std::process::Output) {
    let rb = home.join("paused.yaml");
    let yaml = format!(
        "runbook: 1\nid: paused\ntitle: Paused\ninputs:\n{inputs}sections:\n  - title: S\n    steps:\n      - title: Pause\n        note: required\n      - title: Use\n        run: {check}\n"
    );
    std::fs::write(&rb, yaml).unwrap();
    let out = stepwise(home)
        .args(["run", "--headless", "--trust"])
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let done = stepwise(home)
        .args(["resume", "--headless", "--answer", "pause=done:ok"])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (out, done)
}

/// A secret left at the runbook's own default is not asked for again on
/// resume (the session's copy of the runbook holds it), and the steps
/// after the resume get that default, not an empty value.
#[test]
fn a_secret_left_at_its_default_is_not_asked_again_on_resume() {
    let home = tempfile::tempdir().unwrap();
    let inputs = "  PIN: { secret: true, required: false, default: \"\" }\n  KEY: { secret: true, default: k-default }\n";
    let check = "test -z \"$PIN\" && test \"$KEY\" = k-default";
    let (out, done) = paused_then_resumed(home.path(), inputs, check, &[]);
    assert!(!text(&out).contains("--var-file"), "{}", text(&out));
    assert_eq!(done.status.code(), Some(0), "{}", text(&done));
}

/// A secret left at its default but given anew on resume gets the new
/// value, not the default.
#[test]
fn a_defaulted_secret_given_anew_on_resume_gets_the_new_value() {
    let home = tempfile::tempdir().unwrap();
    let inputs = "  KEY: { secret: true, default: k-default }\n";
    let env = [("STEPWISE_VAR_KEY", "k-new")];
    let (_, done) = paused_then_resumed(home.path(), inputs, "test \"$KEY\" = k-new", &env);
    assert_eq!(done.status.code(), Some(0), "{}", text(&done));
}

#[test]
fn an_answer_for_a_step_the_runbook_lacks_is_refused_before_anything_runs() {
    let home = tempfile::tempdir().unwrap();
    let out = stepwise(home.path())
        .args(["run", "--headless", "--trust"])
        .arg(fixture("small.yaml"))
        .args(["--answer", "tell-the-tam=done:x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("no step `tell-the-tam`"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("tell-the-team"),
        "the valid ids are listed: {}",
        text(&out)
    );
    assert!(session_dirs(home.path()).is_empty());
}

#[test]
fn resume_from_another_folder_runs_steps_in_the_runbooks_folder() {
    let home = tempfile::tempdir().unwrap();
    let proj = tempfile::tempdir().unwrap();
    std::fs::write(proj.path().join("rb.yaml"), "runbook: 1\nid: where\ntitle: Where\nsections:\n  - title: S\n    steps:\n      - title: Human\n      - title: Where\n        run: pwd\n").unwrap();
    let out = stepwise(home.path())
        .current_dir(proj.path())
        .args(["run", "--headless", "--trust", "rb.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let elsewhere = tempfile::tempdir().unwrap();
    let out = stepwise(home.path())
        .current_dir(elsewhere.path())
        .args(["resume", "--headless", "--answer", "human=done"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let real = std::fs::canonicalize(proj.path()).unwrap();
    assert!(
        text(&out).contains(&format!("where | {}", real.display())),
        "{}",
        text(&out)
    );
}

#[test]
fn an_answer_to_skip_an_automated_step_is_obeyed_in_auto_mode() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let rb = work.path().join("rb.yaml");
    std::fs::write(&rb, "runbook: 1\nid: skip\ntitle: Skip\nsections:\n  - title: S\n    steps:\n      - title: Dangerous\n        run: touch ran\n      - title: After\n        run: echo after\n").unwrap();
    let out = stepwise(home.path())
        .current_dir(work.path())
        .args([
            "run",
            "--headless",
            "--trust",
            "--answer",
            "dangerous=skip:not today",
        ])
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!work.path().join("ran").exists(), "the skipped step ran");
    assert!(
        text(&out).contains("dangerous skipped: not today"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_step_that_cannot_start_fails_that_step_not_the_session() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let rb = work.path().join("rb.yaml");
    std::fs::write(&rb, "runbook: 1\nid: nodir\ntitle: No dir\nsections:\n  - title: S\n    steps:\n      - title: Bad dir\n        run: echo hi\n        working_dir: nope\n").unwrap();
    let out = stepwise(home.path())
        .args(["run", "--headless", "--trust"])
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("does not exist"), "{}", text(&out));
    std::fs::create_dir(work.path().join("nope")).unwrap();
    let out = stepwise(home.path())
        .args(["resume", "--headless", "--answer", "bad-dir=rerun"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_capture_gets_the_real_value_while_disk_and_screen_get_the_mask() {
    let home = tempfile::tempdir().unwrap();
    let rb = home.path().join("rb.yaml");
    std::fs::write(&rb, "runbook: 1\nid: cap\ntitle: Cap\ninputs:\n  TOKEN: { secret: true }\nsections:\n  - title: S\n    steps:\n      - title: Header\n        run: echo \"Bearer $TOKEN\"\n        capture: HDR\n      - title: Use\n        run: test \"$HDR\" = \"Bearer $TOKEN\" && echo header ok\n").unwrap();
    let out = stepwise(home.path())
        .args(["run", "--headless", "--trust", "--var", "TOKEN=s3cr3t-tok"])
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("use | header ok"), "{}", text(&out));
    assert!(!text(&out).contains("s3cr3t-tok"));
    let all = all_files_text(&home.path().join("sessions"));
    assert!(!all.contains("s3cr3t-tok"), "the secret reached disk");
    assert!(
        all.contains("kept as a secret capture"),
        "the hidden stdout is said so in the log"
    );
}

#[test]
fn abort_typed_on_stdin_asks_for_a_reason_and_exits_5() {
    use std::io::Write as _;
    let home = tempfile::tempdir().unwrap();
    let rb = home.path().join("rb.yaml");
    std::fs::write(&rb, "runbook: 1\nid: ab\ntitle: Ab\nsections:\n  - title: S\n    steps:\n      - title: Human\n").unwrap();
    let mut child = stepwise(home.path())
        .args(["run", "--headless", "--trust"])
        .arg(&rb)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"abort\nwrong host\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    let journal =
        std::fs::read_to_string(session_dirs(home.path())[0].join("journal.jsonl")).unwrap();
    assert!(journal.contains("\"reason\":\"wrong host\""), "{journal}");
}

#[test]
fn set_typed_on_stdin_changes_an_input_for_the_steps_after_it() {
    use std::io::Write as _;
    let home = tempfile::tempdir().unwrap();
    let rb = home.path().join("rb.yaml");
    std::fs::write(
        &rb,
        "runbook: 1\nid: set\ntitle: Set\ninputs:\n  TAG: { pattern: '^v\\d+$' }\n  TOKEN: { secret: true }\nsections:\n  - title: S\n    steps:\n      - title: Before\n        run: echo \"tag=$TAG\"\n      - title: Check\n      - title: After\n        run: 'echo \"tag=$TAG token=$TOKEN\"'\n",
    )
    .unwrap();
    let mut child = stepwise(home.path())
        .args(["run", "--headless", "--trust", "--var", "TAG=v1", "--var"])
        .arg("TOKEN=0ld-t0ken")
        .arg(&rb)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"set TAG=latest\nset TAG=v2\nset TOKEN=n3w-t0ken\nset oops\ndone\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("done | skip <reason> | abort | set NAME=VALUE"),
        "{shown}"
    );
    assert!(
        shown.contains("refused: TAG must match the pattern"),
        "{shown}"
    );
    assert!(
        shown.contains("input TAG changed to v2, for the steps from now on"),
        "{shown}"
    );
    assert!(shown.contains("input TOKEN changed to ••••••"), "{shown}");
    assert!(
        shown.contains("not understood: write set NAME=VALUE"),
        "{shown}"
    );
    assert!(shown.contains("before | tag=v1"), "{shown}");
    assert!(shown.contains("after | tag=v2 token=••••••"), "{shown}");
    assert!(!shown.contains("t0ken"), "{shown}");
    let dir = &session_dirs(home.path())[0];
    let everything = all_files_text(dir);
    assert!(
        !everything.contains("t0ken"),
        "a secret reached the session folder"
    );
    assert!(
        everything.contains("changed from “v1” to “v2”"),
        "the transcript says so"
    );
}

/// The resume command printed for a session kept under `--home` names that
/// home, so pasting it (without `STEPWISE_HOME`) finds the session; and a
/// secret input missing headless is steered to `--var-file`, not `--var`.
#[test]
fn the_printed_resume_command_names_the_home_and_works_when_pasted() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("on call home");
    let rb = dir.path().join("wait.yaml");
    std::fs::write(
        &rb,
        "runbook: 1\nid: wait\ntitle: Wait\ninputs:\n  TOKEN:\n    secret: true\n    required: true\nsections:\n  - title: S\n    steps:\n      - id: look\n        title: Look\n        instructions: Look at it.\n        note: required\n",
    )
    .unwrap();
    let bare = || {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_stepwise"));
        c.env_remove("STEPWISE_HOME").env("HOME", dir.path());
        c
    };
    let out = bare()
        .arg("--home")
        .arg(&home)
        .args(["run", "--headless", "--trust"])
        .arg(&rb)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("give it with --var-file TOKEN=PATH"), "{t}");
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cret\n").unwrap();
    let out = bare()
        .arg("--home")
        .arg(&home)
        .args(["run", "--headless", "--trust", "--var-file"])
        .arg(format!("TOKEN={}", token.display()))
        .arg(&rb)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(4), "{t}");
    let line = t
        .lines()
        .find(|l| l.trim_start().starts_with("stepwise --home"))
        .unwrap_or_else(|| panic!("no resume command naming the home: {t}"));
    let quoted = format!("'{}'", home.display());
    assert!(line.contains(&format!("--home {quoted} resume ")), "{line}");
    // Pasted into a shell, with the secret given as it says.
    let cmd = line.trim().strip_prefix("stepwise ").unwrap().replace(
        "--var-file TOKEN=PATH",
        &format!("--var-file TOKEN={}", token.display()),
    );
    let pasted = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{} {cmd} --headless < /dev/null",
            env!("CARGO_BIN_EXE_stepwise")
        ))
        .env_remove("STEPWISE_HOME")
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let pt = text(&pasted);
    assert_eq!(pasted.status.code(), Some(4), "the pasted resume: {pt}");
    assert!(!pt.contains("no session matches"), "{pt}");
}

/// The step's monitor killed while stepwise is attached: the step may run
/// on, so its outcome is unknown (never "could not start"), and a re-run
/// is refused while its group runs.
#[test]
fn a_monitor_killed_under_an_attached_stepwise_leaves_the_outcome_unknown() {
    let home = tempfile::tempdir().unwrap();
    let rb = home.path().join("slow.yaml");
    std::fs::write(&rb, SLOW_ONCE).unwrap();
    let child = stepwise(home.path())
        .args(["run", "--headless", "--trust"])
        .arg(&rb)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let session = loop {
        let dirs = session_dirs(home.path());
        let log = dirs.first().map(|d| d.join("output/wait.1.log"));
        if let Some(log) =
            log.filter(|l| std::fs::read_to_string(l).is_ok_and(|t| t.contains("started")))
        {
            break log.parent().unwrap().parent().unwrap().to_owned();
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "no start"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(monitor_pid(&session, "wait.1")),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    let t = text(&out);
    let rerun = stepwise(home.path())
        .args(["resume", "--headless", "--answer", "wait=rerun"])
        .output()
        .unwrap();
    let journal = std::fs::read_to_string(session.join("journal.jsonl")).unwrap();
    let pgid: i32 = std::fs::read_to_string(session.join("output/wait.1.pid"))
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let _ = nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(pgid),
        nix::sys::signal::Signal::SIGKILL,
    );
    assert_eq!(out.status.code(), Some(4), "{t}");
    assert!(
        journal.contains(r#""type":"outcome_unknown","step":"wait","attempt":1"#),
        "{journal}"
    );
    assert!(!journal.contains("could not start"), "{journal}");
    assert!(!journal.contains(r#""type":"step_exited""#), "{journal}");
    assert!(t.contains("its outcome is unknown"), "{t}");
    let rt = text(&rerun);
    assert_ne!(rerun.status.code(), Some(0), "{rt}");
    assert!(rt.contains("still running outside stepwise"), "{rt}");
    assert!(!rt.contains("wait | quick"), "it ran a second time: {rt}");
}

/// `--answer STEP=abort:<reason>` on a human step aborts the session when
/// the step comes (a human step never fails, so it is not held for a
/// failure), with the reason recorded.
#[test]
fn an_abort_answer_for_a_human_step_aborts_when_it_comes() {
    let home = tempfile::tempdir().unwrap();
    let rb = ask_runbook(home.path(), "");
    let out = run_headless(home.path(), &["--answer", "ask=abort:wrong incident"], &rb);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    let journal = only_journal(home.path());
    let last = journal.lines().last().unwrap();
    assert!(last.contains("\"type\":\"session_aborted\""), "{last}");
    assert!(last.contains("wrong incident"), "{last}");
}

/// A human step with `note: required`, stopped for a person: the hint
/// asks for the note, and does not offer `--yes` (which gives none).
#[test]
fn the_hint_for_a_step_that_needs_a_note_asks_for_the_note() {
    let home = tempfile::tempdir().unwrap();
    let rb = runbook_file(
        home.path(),
        "note.yaml",
        "runbook: 1\nid: note\ntitle: Note\nsections:\n  - title: S\n    steps:\n      - id: ask\n        title: Ask\n        instructions: Look.\n        note: required\n",
    );
    let out = run_headless(home.path(), &[], &rb);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(4), "{t}");
    assert!(
        t.contains("it needs a note: answer with --answer ask=done:<note>"),
        "{t}"
    );
    assert!(!t.contains("--yes"), "{t}");
}

/// Where each input's value came from is recorded as given: `--var`,
/// `--var-file` and the environment apart (a postmortem must not read
/// that a secret was put on the command line when it was not).
#[test]
fn inputs_record_whether_they_came_from_var_var_file_or_the_environment() {
    let home = tempfile::tempdir().unwrap();
    let rb = runbook_file(
        home.path(),
        "in.yaml",
        "runbook: 1\nid: in\ntitle: In\ninputs:\n  A: {}\n  B: {}\n  TOKEN:\n    secret: true\nsections:\n  - title: S\n    steps:\n      - id: go\n        title: Go\n        run: 'true'\n",
    );
    let token = home.path().join("token");
    std::fs::write(&token, "s3cr3t-value\n").unwrap();
    let out = stepwise(home.path())
        .env("STEPWISE_VAR_A", "from-env")
        .args([
            "run",
            "--headless",
            "--trust",
            "--var",
            "B=from-var",
            "--var-file",
        ])
        .arg(format!("TOKEN={}", token.display()))
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let journal = only_journal(home.path());
    let source = |name: &str| {
        let line = journal
            .lines()
            .find(|l| {
                l.contains("\"type\":\"input_given\"")
                    && l.contains(&format!("\"name\":\"{name}\""))
            })
            .unwrap_or_else(|| panic!("no input_given for {name}: {journal}"));
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        v["source"].as_str().unwrap().to_owned()
    };
    assert_eq!(source("A"), "env");
    assert_eq!(source("B"), "var");
    assert_eq!(source("TOKEN"), "var_file");
    let md = stepwise(home.path())
        .args(["export"])
        .arg(session_dirs(home.path())[0].file_name().unwrap())
        .output()
        .unwrap();
    let t = text(&md);
    assert!(t.contains("STEPWISE_VAR_*"), "{t}");
    assert!(t.contains("--var-file"), "{t}");
}

/// The transcript is written again once an update step has sent its
/// update, as when any step settles: a stepwise killed during the next
/// step leaves a transcript that has the update.
#[test]
fn a_sent_update_is_in_the_transcript_before_the_next_step_ends() {
    let home = tempfile::tempdir().unwrap();
    let rb = update_runbook(
        home.path(),
        "      - id: wait\n        title: Wait\n        run: echo started; n=0; while [ $n -lt 600 ]; do sleep 0.05; n=$((n+1)); done\n",
    );
    let mut child = start_until_started(home.path(), &rb, &["--yes"]);
    // The refresh runs beside the engine: give it a moment to land.
    let dir = session_dirs(home.path()).remove(0);
    let transcript = || {
        std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .find(|e| e.path().extension().is_some_and(|x| x == "md"))
            .and_then(|e| std::fs::read_to_string(e.path()).ok())
            .unwrap_or_default()
    };
    eventually(|| transcript().contains("rollback under way"));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        transcript().contains("rollback under way"),
        "{}",
        transcript()
    );
}

/// A session left to wait: the printed resume command repeats the
/// `--ssh-config` the run was given (without it the hosts only that file
/// names are unreachable on resume).
#[test]
fn the_printed_resume_command_repeats_the_ssh_config() {
    let home = tempfile::tempdir().unwrap();
    let rb = ask_runbook(home.path(), "");
    let config = home.path().join("ssh_config");
    std::fs::write(&config, "Host *\n").unwrap();
    let out = run_headless(
        home.path(),
        &["--ssh-config", config.to_str().unwrap()],
        &rb,
    );
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains(&format!("--ssh-config {}", config.display())),
        "{t}"
    );
}

/// A session resumed from a folder outside the home: the printed resume
/// command names that folder, not the id (which names the home's copy, or
/// nothing).
#[test]
fn a_session_outside_the_home_is_named_by_its_folder_in_the_resume_command() {
    let home = tempfile::tempdir().unwrap();
    let rb = ask_runbook(
        home.path(),
        "      - id: two\n        title: Two\n        instructions: Look again.\n",
    );
    let out = run_headless(home.path(), &[], &rb);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let inside = session_dirs(home.path()).remove(0);
    let elsewhere = tempfile::tempdir().unwrap();
    let outside = elsewhere.path().join(inside.file_name().unwrap());
    std::fs::rename(&inside, &outside).unwrap();
    let out = stepwise(home.path())
        .args(["resume", "--headless", "--trust", "--answer", "ask=done"])
        .arg(&outside)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(4), "{t}");
    assert!(t.contains(&format!("resume {}", outside.display())), "{t}");
}

/// `stepwise status` on a session whose stepwise was killed while a step
/// ran, after that step ended under its monitor: it says the step ended
/// (the exit file says so), not that it is running.
#[test]
fn status_says_a_left_step_ended_once_its_monitor_wrote_the_exit() {
    let home = tempfile::tempdir().unwrap();
    let rb = runbook_file(
        home.path(),
        "slow.yaml",
        "runbook: 1\nid: slow\ntitle: Slow\nsections:\n  - title: S\n    steps:\n      - id: wait\n        title: Wait\n        run: echo started; n=0; while [ ! -e go ] && [ $n -lt 6000 ]; do sleep 0.01; n=$((n+1)); done\n",
    );
    kill_once_started(home.path(), &rb);
    // The step ends only once its stepwise is gone.
    std::fs::write(home.path().join("go"), "").unwrap();
    let exit = session_dirs(home.path())[0].join("output/wait.1.exit");
    assert!(eventually(|| exit.exists()), "no exit file");
    let out = stepwise(home.path())
        .args(["status", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let state = v["step"]["state"].as_str().unwrap_or_default();
    assert_eq!(state, "ended while no stepwise ran", "{v}");
    assert!(v["step"]["running_ms"].is_null(), "{v}");
    assert!(!v["line"].as_str().unwrap().contains("may run on"), "{v}");
}

/// An update step stopped for a person: the hint names `send`, the
/// answer update steps take, not `done`.
#[test]
fn the_hint_for_an_update_step_says_send() {
    let home = tempfile::tempdir().unwrap();
    let rb = update_runbook(home.path(), "");
    let out = run_headless(home.path(), &[], &rb);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(4), "{t}");
    assert!(t.contains("--answer tell=send"), "{t}");
    assert!(!t.contains("tell=done"), "{t}");
}

/// The question of an update step shows the draft it would send, values
/// filled in and secrets masked, not the raw template.
#[test]
fn an_update_question_shows_the_draft_not_the_template() {
    let home = tempfile::tempdir().unwrap();
    let yaml = format!(
        "runbook: 1\nid: upd\ntitle: Upd\nenv:\n  REGION: eu-west-1\ninputs:\n  TAG: {{ default: v1.2 }}\n  TOKEN: {{ secret: true, default: s3cret }}\nchannels:\n  ops:\n    file: {}\nsections:\n  - title: S\n    steps:\n      - id: tell\n        title: Tell\n        update: Rolling back $TAG in $REGION ($PROGRESS) with $TOKEN\n",
        home.path().join("updates.txt").display()
    );
    let rb = runbook_file(home.path(), "upd.yaml", &yaml);
    let out = run_headless(home.path(), &[], &rb);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(4), "{t}");
    assert!(t.contains("update (investigating) → ops:"), "{t}");
    assert!(
        t.contains("      Rolling back v1.2 in eu-west-1 (0/1 steps done) with ••••••"),
        "{t}"
    );
    assert!(!t.contains('$') && !t.contains("s3cret"), "{t}");
}

/// `export -o` naming a folder says so and how to name the file, rather
/// than "Not a directory"; a dry run with no input value known yet has no
/// empty Inputs heading.
#[test]
fn export_to_a_folder_and_a_dry_run_without_values_say_what_they_mean() {
    let home = tempfile::tempdir().unwrap();
    let rb = runbook_file(
        home.path(),
        "in.yaml",
        "runbook: 1\nid: in\ntitle: In\ninputs:\n  TAG: {}\nsections:\n  - title: S\n    steps:\n      - id: go\n        title: Go\n        run: echo \"$TAG\"\n",
    );
    let dry = stepwise(home.path())
        .args(["run", "--dry-run"])
        .arg(&rb)
        .output()
        .unwrap();
    let t = text(&dry);
    assert!(!t.contains("Inputs (passed to commands"), "{t}");
    assert!(t.contains("TAG"), "the missing input is listed: {t}");
    let out = run_headless(home.path(), &["--var", "TAG=v1"], &rb);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let id = session_dirs(home.path())[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let out = stepwise(home.path())
        .args(["export", &id, "-o"])
        .arg(home.path())
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("is a folder: give the file to write"), "{t}");
}

/// `status --format json` gives the expected end as a time (RFC 3339
/// UTC) once an earlier session of the runbook gives an estimate, and
/// `null` (not a sentence) while there is none.
#[test]
fn status_json_gives_the_expected_end_as_a_time_or_null() {
    // The session left waiting, named (another, completed, may have
    // begun in the same second).
    let expected_end = |home: &Path| {
        let left = session_dirs(home)
            .into_iter()
            .find(|d| {
                !std::fs::read_to_string(d.join("journal.jsonl"))
                    .unwrap()
                    .contains("session_completed")
            })
            .unwrap();
        let out = stepwise(home)
            .args(["status", "--format", "json"])
            .arg(&left)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["state"], "left", "{v}");
        v["expected_end"].clone()
    };
    let home = tempfile::tempdir().unwrap();
    let rb = ask_runbook(home.path(), "");
    assert_eq!(run_headless(home.path(), &[], &rb).status.code(), Some(4));
    assert_eq!(expected_end(home.path()), serde_json::Value::Null);

    let home = tempfile::tempdir().unwrap();
    let rb = ask_runbook(home.path(), "");
    let done = run_headless(home.path(), &["--answer", "ask=done"], &rb);
    assert_eq!(done.status.code(), Some(0), "{}", text(&done));
    assert_eq!(run_headless(home.path(), &[], &rb).status.code(), Some(4));
    let end = expected_end(home.path());
    let end = end.as_str().unwrap_or_else(|| panic!("{end}"));
    assert!(chrono::DateTime::parse_from_rfc3339(end).is_ok(), "{end}");
    assert!(end.ends_with('Z'), "{end}");
}

/// A `confirm: true` step that `--yes` ran, and a re-run an `--answer`
/// gave, are recorded as the flag's, not as a person's approval: in the
/// journal, the timeline's Who and the JSON attempts.
#[test]
fn a_run_approved_by_a_flag_is_recorded_as_the_flags() {
    let home = tempfile::tempdir().unwrap();
    let marker = home.path().join("ok");
    let rb = runbook_file(
        home.path(),
        "yes.yaml",
        &format!(
            "runbook: 1\nid: yes\ntitle: Yes\nsections:\n  - title: S\n    steps:\n      - id: deploy\n        title: Deploy\n        run: echo deploying\n        confirm: true\n      - id: flaky\n        title: Flaky\n        run: test -e {}\n",
            marker.display()
        ),
    );
    let out = run_headless(home.path(), &["--yes"], &rb);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    std::fs::write(&marker, "").unwrap();
    let out = stepwise(home.path())
        .args(["resume", "--headless", "--answer", "flaky=rerun"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let journal = only_journal(home.path());
    let started: Vec<&str> = journal
        .lines()
        .filter(|l| l.contains("\"step_started\""))
        .collect();
    assert_eq!(started.len(), 3, "{journal}");
    assert!(
        started[0].contains("\"via\":\"yes_flag\""),
        "{}",
        started[0]
    );
    assert!(
        !started[1].contains("\"via\""),
        "stepwise's own start: {}",
        started[1]
    );
    assert!(started[2].contains("\"via\":\"answer\""), "{}", started[2]);
    let dir = session_dirs(home.path())[0].clone();
    let md = stepwise(home.path())
        .arg("export")
        .arg(&dir)
        .output()
        .unwrap();
    let md = text(&md);
    let row = |what: &str| {
        md.lines()
            .find(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no {what:?} row in {md}"))
            .to_owned()
    };
    assert!(row("Run approved, attempt 1").contains("| --yes ("), "{md}");
    assert!(row("Attempt 2 started").contains("| --answer ("), "{md}");
    let json = stepwise(home.path())
        .arg("export")
        .arg(&dir)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let via =
        |step: usize, attempt: usize| v["steps"][step]["attempts"][attempt]["started_via"].clone();
    assert_eq!(via(0, 0), "yes_flag");
    assert_eq!(via(1, 0), serde_json::Value::Null);
    assert_eq!(via(1, 1), "answer");
}

/// Ctrl-C (SIGINT) stops a headless run with exit 130, cancelling its
/// running step; the record says so everywhere: listed as interrupted,
/// the transcript's outcome names the signal (the step's cancellation and
/// exit are journalled after the interruption, so the last record is not
/// it), the stop point says the step was cancelled, not that it failed,
/// and a headless resume says the same.
#[test]
fn an_interrupt_is_recorded_as_one_not_as_a_crash_or_a_failure() {
    let home = interrupted_while_waiting(
        "runbook: 1\nid: wait\ntitle: Wait\nsections:\n  - title: S\n    steps:\n      - id: wait\n        title: Wait\n        run: echo started; sleep 30\n",
    );
    let list = text(&stepwise(home.path()).arg("sessions").output().unwrap());
    assert!(list.contains("interrupted (resumable)"), "{list}");
    let dir = session_dirs(home.path())[0].clone();
    let md = text(
        &stepwise(home.path())
            .arg("export")
            .arg(&dir)
            .output()
            .unwrap(),
    );
    assert!(md.contains("stepwise was interrupted by SIGINT"), "{md}");
    assert!(!md.contains("killed or crashed"), "{md}");
    assert!(
        md.contains("attempt 1 was cancelled (stepwise received SIGINT)"),
        "{md}"
    );
    let resumed = stepwise(home.path())
        .args(["resume", "--headless"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(resumed.status.code(), Some(3), "{}", text(&resumed));
    assert!(
        text(&resumed).contains("`wait` was cancelled (stepwise received SIGINT)"),
        "{}",
        text(&resumed)
    );
    // And the record of that stop says the same.
    let md = text(
        &stepwise(home.path())
            .arg("export")
            .arg(&dir)
            .output()
            .unwrap(),
    );
    assert!(
        md.contains("stepwise stopped the session (resumable): `wait` was cancelled (stepwise received SIGINT)"),
        "{md}"
    );
    // The interruption before the resume is not taken for a crash, and
    // the attempt's exit row says it ended on the cancel.
    assert!(!md.contains("(last record)"), "{md}");
    assert!(md.contains("Attempt 1 ended as cancelled: signal"), "{md}");
}

/// A headless run of `runbook` (its first step prints `started` and
/// waits), sent SIGINT once that line is printed; exits 130.
fn interrupted_while_waiting(runbook: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let rb = runbook_file(home.path(), "wait.yaml", runbook);
    let out_path = home.path().join("out.txt");
    let mut child = stepwise(home.path())
        .current_dir(home.path())
        .args(["run", "--headless", "--trust"])
        .arg(&rb)
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .spawn()
        .unwrap();
    let printed = || std::fs::read_to_string(&out_path).unwrap_or_default();
    assert!(
        eventually(|| printed().contains("| started")),
        "{}",
        printed()
    );
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130), "{}", printed());
    home
}

/// The transcript of the only session under `home`, in `format`.
fn export_only_session(home: &Path, format: &str) -> String {
    let dir = session_dirs(home)[0].clone();
    text(
        &stepwise(home)
            .arg("export")
            .arg(&dir)
            .args(["--format", format])
            .output()
            .unwrap(),
    )
}

/// A skip and a mark-done given by `--answer` are recorded as the flag's
/// (the journal's `via`, the timeline's Who, the status line and the
/// JSON), not as a person's decision at the time.
#[test]
fn a_skip_or_done_given_by_an_answer_is_recorded_as_the_flags() {
    let home = tempfile::tempdir().unwrap();
    let rb = runbook_file(
        home.path(),
        "two.yaml",
        "runbook: 1\nid: two\ntitle: Two\nsections:\n  - title: S\n    steps:\n      - id: boom\n        title: Boom\n        run: exit 1\n      - id: bang\n        title: Bang\n        run: exit 2\n",
    );
    let out = run_headless(home.path(), &[], &rb);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let resume = |answer: &str| {
        stepwise(home.path())
            .args(["resume", "--headless", "--answer", answer])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let out = resume("boom=skip:known flake");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let out = resume("bang=done:ran it by hand");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let journal = only_journal(home.path());
    for kind in ["step_skipped", "marked_done"] {
        let line = journal.lines().find(|l| l.contains(kind)).unwrap();
        assert!(line.contains(r#""via":"answer""#), "{line}");
    }
    let export = |format: &str| export_only_session(home.path(), format);
    let md = export("md");
    let row = |what: &str| {
        md.lines()
            .find(|l| l.contains(what))
            .unwrap_or("")
            .to_owned()
    };
    assert!(row("Skipped: known flake").contains("| --answer ("), "{md}");
    assert!(row("Marked done by hand").contains("| --answer ("), "{md}");
    assert!(md.contains("skipped by an --answer ("), "{md}");
    let v: serde_json::Value = serde_json::from_str(&export("json")).unwrap();
    assert_eq!(v["steps"][0]["confirmed_via"], "answer");
    assert_eq!(v["steps"][1]["confirmed_via"], "answer");
}

/// A step ended by a cancel reads "cancelled" wherever a person looks
/// (heading, status line, counts, `stepwise status`), while the JSON keeps
/// format 4's `failed` and says how many of them were cancelled.
#[test]
fn a_cancelled_step_reads_cancelled_not_failed_in_the_record() {
    let home = interrupted_while_waiting(
        "runbook: 1\nid: wait\ntitle: Wait\nsections:\n  - title: S\n    steps:\n      - id: wait\n        title: Wait\n        run: echo started; sleep 30\n      - id: boom\n        title: Boom\n        run: exit 1\n        on_failure: continue\n",
    );
    let export = |format: &str| export_only_session(home.path(), format);
    let md = export("md");
    assert!(md.contains("#### 1.1 Wait ❌ — cancelled"), "{md}");
    assert!(
        md.contains("- **Status:** cancelled: stepwise received SIGINT"),
        "{md}"
    );
    // A signal cancelled it, not a person: the timeline's Who is stepwise.
    assert!(
        md.contains("Attempt 1 cancelled: stepwise received SIGINT | stepwise |"),
        "{md}"
    );
    assert!(
        md.contains(
            "0 done, 0 skipped, 0 failed, 0 done by hand, 1 cancelled, 1 not reached (of 2)"
        ),
        "{md}"
    );
    let html = export("html");
    assert!(
        html.contains(r#"<span class="pill failed">1 cancelled</span>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<span class="pill failed">cancelled</span>"#),
        "{html}"
    );
    let json: serde_json::Value = serde_json::from_str(&export("json")).unwrap();
    let counts = &json["session"]["counts"];
    assert_eq!(
        (counts["failed"].as_u64(), counts["cancelled"].as_u64()),
        (Some(1), Some(1)),
        "{counts}"
    );
    assert_eq!(json["steps"][0]["status"], "failed");
    let status = text(&stepwise(home.path()).arg("status").output().unwrap());
    assert!(status.contains("Wait (cancelled"), "{status}");
}

/// A headless run that stops because the next decision needs an answer
/// it was not given is recorded as stepwise's stop, with that reason: no
/// operator left it.
#[test]
fn a_headless_stop_is_recorded_as_stepwises_with_its_reason() {
    let home = tempfile::tempdir().unwrap();
    let rb = runbook_file(
        home.path(),
        "boom.yaml",
        "runbook: 1\nid: boom\ntitle: Boom\nsections:\n  - title: S\n    steps:\n      - id: boom\n        title: Boom\n        run: exit 7\n",
    );
    let out = run_headless(home.path(), &[], &rb);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let dir = session_dirs(home.path())[0].clone();
    let md = text(
        &stepwise(home.path())
            .arg("export")
            .arg(&dir)
            .output()
            .unwrap(),
    );
    assert!(!md.contains("Operator left"), "{md}");
    let row = md
        .lines()
        .find(|l| l.contains("stepwise stopped the session (resumable)"))
        .unwrap_or_else(|| panic!("no stop row in {md}"));
    assert!(
        row.contains("`boom` failed and no --answer said what to do next"),
        "{row}"
    );
    assert!(row.trim_end().ends_with("| stepwise |"), "{row}");
    assert!(
        md.contains("stepwise stopped the session: `boom` failed"),
        "the outcome says why: {md}"
    );
}

/// With `--answer` and a piped stdin, stdin is not read: the question is
/// shown without a prompt to type into, and its hint does not offer
/// stdin.
#[test]
fn no_prompt_is_printed_where_stdin_is_not_read() {
    let home = tempfile::tempdir().unwrap();
    let rb = runbook_file(
        home.path(),
        "go.yaml",
        "runbook: 1\nid: go\ntitle: Go\nsections:\n  - title: S\n    steps:\n      - id: deploy\n        title: Deploy\n        run: echo deploying\n        confirm: true\n      - id: other\n        title: Other\n        run: 'true'\n",
    );
    let out = run_headless(home.path(), &["--answer", "other=skip:x"], &rb);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("? deploy — Deploy"), "{t}");
    assert!(!t.contains("answer (run"), "{t}");
    assert!(
        t.contains("answer with --answer deploy=run, --yes\n"),
        "{t}"
    );
}
