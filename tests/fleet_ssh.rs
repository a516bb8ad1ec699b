//! Fleet steps over a real OpenSSH server (a private `sshd` on loopback,
//! started by each test): canary and confirm, the failure budget, an
//! unknown host key and a down host, secrets masked and values kept out
//! of the remote process list, cancel, `kill -9` (the hosts' attempts,
//! held by monitors, finish), resume (their real exits journalled), and
//! the session's masters ended over their sockets.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/sshd.rs"]
mod sshd;

use cli::{all_files_text, session_dirs, stepwise, text};
use sshd::{Alias, Sshd};
use std::path::Path;

fn runbook(dir: &Path, hosts: &str, run: &str, rollout: &str) -> std::path::PathBuf {
    let yaml = format!(
        "runbook: 1\nid: fleet\ntitle: Fleet\ninputs:\n  TOKEN:\n    secret: true\n    required: false\n    default: ''\n\
         targets:\n  web:\n    hosts: [{hosts}]\nsections:\n  - title: Roll\n    steps:\n      - id: deploy\n        title: Deploy\n        on: web\n        run: |\n          {run}\n        rollout: {rollout}\n"
    );
    let path = dir.join("fleet.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

fn journal(home: &Path) -> String {
    let dir = session_dirs(home).pop().expect("a session");
    std::fs::read_to_string(dir.join("journal.jsonl")).unwrap()
}

fn position(hay: &str, needle: &str) -> usize {
    hay.find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in:\n{hay}"))
}

fn four() -> Vec<Alias> {
    vec![
        Alias::Up("web-1"),
        Alias::Up("web-2"),
        Alias::Up("web-3"),
        Alias::Up("web-4"),
    ]
}

#[test]
fn a_canary_then_the_rest_after_a_confirm_with_secrets_masked() {
    if !sshd::available() {
        return;
    }
    let server = Sshd::start(&four());
    let tmp = tempfile::tempdir().unwrap();
    let rb = runbook(
        tmp.path(),
        "web-1, web-2, web-3, web-4",
        r#"echo "deploying $TARGET index $TARGET_INDEX token=$TOKEN"; echo oops >&2"#,
        r#"{ batches: [1, "100%"], max_in_flight: 2, between_batches: confirm }"#,
    );
    let home = tmp.path().join("home");
    let out = stepwise(&home)
        .args([
            "run",
            "--trust",
            "--headless",
            "--answer",
            "deploy=continue",
            "--ssh-config",
        ])
        .arg(&server.config)
        .arg(&rb)
        .env("STEPWISE_VAR_TOKEN", "s3cr3t-t0ken")
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("deploy [web-3] | deploying web-3 index 2 token=••••••"),
        "{t}"
    );
    assert!(t.contains("deploy [web-1] ! oops"), "{t}");
    assert!(t.contains("[web-4] ✓ deploy: exit 0"), "{t}");
    assert!(t.contains("4 hosts: ✓4 ✗0"), "{t}");
    assert!(!t.contains("s3cr3t-t0ken"), "{t}");
    let j = journal(&home);
    // The canary ran alone; the rest only after the go-ahead.
    let canary = position(
        &j,
        r#""type":"host_exited","step":"deploy","attempt":1,"host":"web-1""#,
    );
    let waiting = position(&j, r#""type":"batch_waiting""#);
    let answered = position(&j, r#""type":"batch_answered""#);
    let second = position(
        &j,
        r#""type":"host_started","step":"deploy","attempt":1,"host":"web-2""#,
    );
    assert!(
        canary < waiting && waiting < answered && answered < second,
        "{j}"
    );
    let dir = session_dirs(&home).pop().unwrap();
    assert!(!all_files_text(&dir).contains("s3cr3t-t0ken"));
    assert!(dir.join("output/deploy.web-4.1.log").exists());
}

#[test]
fn a_failing_host_stops_the_rollout_by_the_budget() {
    if !sshd::available() {
        return;
    }
    let server = Sshd::start(&four());
    let tmp = tempfile::tempdir().unwrap();
    let rb = runbook(
        tmp.path(),
        "web-1, web-2, web-3, web-4",
        r#"if [ "$TARGET" = web-2 ]; then echo broken; exit 3; fi; echo fine"#,
        r#"{ batches: [1, 1, 2], max_failures: 0 }"#,
    );
    let home = tmp.path().join("home");
    let out = stepwise(&home)
        .args(["run", "--trust", "--headless", "--ssh-config"])
        .arg(&server.config)
        .arg(&rb)
        .output()
        .unwrap();
    let t = text(&out);
    assert_ne!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("[web-2] ✗ deploy: exit 3"), "{t}");
    assert!(
        t.contains("rollout stopped: 1 host(s) had failed then, more than the 0 allowed"),
        "{t}"
    );
    let j = journal(&home);
    assert!(
        !j.contains(r#""type":"host_started","step":"deploy","attempt":1,"host":"web-3""#),
        "{j}"
    );
    assert!(t.contains("web-3      3  · pending"), "{t}");
    assert!(t.contains("web-1      1  ✓ succeeded"), "{t}");
}

/// A host runs the command with the step's shell, as a local step would:
/// by default `bash -eo pipefail -c` (a failing pipeline fails the host),
/// and the runbook's own `shell:` when it sets one.
#[test]
fn a_host_runs_the_command_with_the_runbooks_shell() {
    if !sshd::available() {
        return;
    }
    let server = Sshd::start(&[Alias::Up("web-1")]);
    let tmp = tempfile::tempdir().unwrap();
    let rb = runbook(
        tmp.path(),
        "web-1",
        r#"echo "shell=$0 opts=$-"; false | true; echo "after the pipeline""#,
        r#"{ batches: ["100%"] }"#,
    );
    let home = tmp.path().join("home");
    let run = |rb: &Path| {
        stepwise(&home)
            .args(["run", "--trust", "--headless", "--ssh-config"])
            .arg(&server.config)
            .arg(rb)
            .output()
            .unwrap()
    };
    let out = run(&rb);
    let t = text(&out);
    assert_eq!(
        out.status.code(),
        Some(3),
        "pipefail did not fail the host: {t}"
    );
    assert!(t.contains("[web-1] | shell=bash"), "{t}");
    assert!(!t.contains("| after the pipeline"), "{t}");
    // The runbook's own shell, quoted word by word.
    let yaml = std::fs::read_to_string(&rb).unwrap();
    let own = tmp.path().join("own.yaml");
    std::fs::write(
        &own,
        yaml.replacen("targets:", "shell: [sh, -ec]\ntargets:", 1),
    )
    .unwrap();
    let out = run(&own);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("[web-1] | shell=sh opts=e"), "{t}");
    assert!(t.contains("[web-1] | after the pipeline"), "{t}");
}

#[test]
fn an_unknown_host_key_and_a_down_host_are_said_and_the_others_go_on() {
    if !sshd::available() {
        return;
    }
    let server = Sshd::start(&[
        Alias::Up("web-1"),
        Alias::UnknownKey("stranger"),
        Alias::Down("down"),
        Alias::Up("web-4"),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let rb = runbook(
        tmp.path(),
        "web-1, stranger, down, web-4",
        r#"echo "hello from $TARGET""#,
        r#"{ max_failures: 2, max_in_flight: 4 }"#,
    );
    let home = tmp.path().join("home");
    let out = stepwise(&home)
        .args(["run", "--trust", "--headless", "--ssh-config"])
        .arg(&server.config)
        .arg(&rb)
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("the host key of stranger is unknown or changed"),
        "{t}"
    );
    // The hint is the command that reaches the host as stepwise does.
    let hint = format!("run `ssh -F '{}' stranger` once", server.config.display());
    assert!(t.contains(&hint), "{t}");
    assert!(t.contains("connection to down refused"), "{t}");
    assert!(t.contains("[web-1] ✓ deploy"), "{t}");
    assert!(t.contains("[web-4] ✓ deploy"), "{t}");
    // Host-key checking stays on: the stranger's key was not added.
    let known = std::fs::read_to_string(server.dir.path().join("known_hosts")).unwrap();
    assert_eq!(known.lines().count(), 2);
}

#[test]
fn values_never_reach_the_remote_process_list() {
    if !sshd::available() {
        return;
    }
    let server = Sshd::start(&[Alias::Up("web-1")]);
    let tmp = tempfile::tempdir().unwrap();
    let ps = tmp.path().join("ps.txt");
    let run = format!(r#"ps -eo args > {}; echo "$TOKEN" | wc -c"#, ps.display());
    let rb = runbook(tmp.path(), "web-1", &run, "{}");
    let home = tmp.path().join("home");
    let out = stepwise(&home)
        .args(["run", "--trust", "--headless", "--ssh-config"])
        .arg(&server.config)
        .arg(&rb)
        .env("STEPWISE_VAR_TOKEN", "s3cr3t-in-env")
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let listing = std::fs::read_to_string(&ps).unwrap();
    assert!(
        listing.contains("STEPWISE_SCRIPT"),
        "the wrapper ran: {listing}"
    );
    assert!(!listing.contains("s3cr3t-in-env"), "{listing}");
    assert!(!listing.contains("export TOKEN"), "{listing}");
    assert!(
        t.contains("deploy [web-1] | 14"),
        "the value reached the command: {t}"
    );
}

#[test]
fn the_masters_end_with_the_session_over_their_sockets() {
    if !sshd::available() {
        return;
    }
    let server = Sshd::start(&four());
    let tmp = tempfile::tempdir().unwrap();
    // The masters' control sockets go here: an ssh master's process title
    // names its socket, so this test finds its own masters. (stepwise
    // takes XDG_RUNTIME_DIR only when it is shorter than 40 bytes.)
    let sockets = tmp.path().join("rt");
    std::fs::create_dir(&sockets).unwrap();
    assert!(sockets.as_os_str().len() < 40, "{}", sockets.display());
    let masters = format!("^ssh: {}/sw-", sockets.display());
    // The "remote" side is this machine: each host's command sees the
    // masters while they run.
    let rb = runbook(
        tmp.path(),
        "web-1, web-2, web-3",
        &format!("pgrep -f '{masters}' >/dev/null && echo master-seen"),
        "{}",
    );
    // An `ssh` first on PATH that runs the real one, but notes and
    // refuses `-O` (`ssh -O exit`): the masters must end without it.
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let real = which_ssh();
    let noted = tmp.path().join("ssh-O-was-run");
    let wrapper = format!(
        "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = -O ] && {{ touch '{}'; exit 1; }}; done\nexec '{}' \"$@\"\n",
        noted.display(),
        real
    );
    std::fs::write(bin.join("ssh"), wrapper).unwrap();
    let exec = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(bin.join("ssh"), exec).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = stepwise(&tmp.path().join("home"))
        .args(["run", "--trust", "--headless", "--ssh-config"])
        .arg(&server.config)
        .arg(&rb)
        .env("PATH", path)
        .env("XDG_RUNTIME_DIR", &sockets)
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("3 hosts: ✓3 ✗0"), "{t}");
    assert!(t.contains("deploy [web-2] | master-seen"), "{t}");
    // Left alone, they would live on for `ControlPersist` (60 s).
    assert!(
        eventually_within(20, || !running(&masters)),
        "an ssh master of the session still runs"
    );
    assert!(!noted.exists(), "a master needed `ssh -O exit`");
}

/// The `ssh` on PATH.
fn which_ssh() -> String {
    let out = std::process::Command::new("sh")
        .args(["-c", "command -v ssh"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Whether a process whose command line contains `pattern` runs (the
/// remote side here is this machine).
fn running(pattern: &str) -> bool {
    let out = std::process::Command::new("pgrep")
        .args(["-f", pattern])
        .output()
        .expect("pgrep runs");
    out.status.success()
}

/// Waits (bounded) until `cond` holds; false if it never did.
fn eventually(cond: impl FnMut() -> bool) -> bool {
    eventually_within(30, cond)
}

/// Waits up to `seconds` until `cond` holds; false if it never did.
fn eventually_within(seconds: u32, mut cond: impl FnMut() -> bool) -> bool {
    for _ in 0..seconds * 20 {
        if cond() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    false
}

fn journal_has(home: &Path, needle: &str) -> bool {
    session_dirs(home)
        .pop()
        .and_then(|d| std::fs::read_to_string(d.join("journal.jsonl")).ok())
        .is_some_and(|j| j.contains(needle))
}

#[test]
fn cancel_leaves_no_remote_process() {
    if !sshd::available() {
        return;
    }
    let server = Sshd::start(&[Alias::Up("web-1"), Alias::Up("web-2")]);
    let tmp = tempfile::tempdir().unwrap();
    let rb = runbook(
        tmp.path(),
        "web-1, web-2",
        "sleep 4242",
        "{ max_in_flight: 2 }",
    );
    let home = tmp.path().join("home");
    let mut child = stepwise(&home)
        .args(["run", "--trust", "--headless", "--ssh-config"])
        .arg(&server.config)
        .arg(&rb)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    assert!(
        eventually(|| running("^sleep 4242")),
        "the remote step started"
    );
    assert!(eventually(|| journal_has(
        &home,
        r#""host":"web-2","batch":1"#
    )));
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    child.wait().unwrap();
    assert!(
        eventually(|| !running("^sleep 4242")),
        "a remote `sleep 4242` outlived the cancel"
    );
    let j = journal(&home);
    assert!(j.contains(r#""type":"rollout_stopped""#), "{j}");
    // Each host says it was cancelled, not that its command failed.
    for e in events(&home, "host_exited") {
        assert_eq!(e["message"], "cancelled with the step", "{e}");
    }
}

/// The journal's events of one type, as JSON.
fn events(home: &Path, kind: &str) -> Vec<serde_json::Value> {
    journal(home)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == kind)
        .collect()
}

/// A host's exit in attempt `attempt`: (code, success, message).
fn host_exit(home: &Path, host: &str, attempt: u64) -> (i64, bool, String) {
    let all = events(home, "host_exited");
    let e = all
        .iter()
        .find(|e| e["host"] == host && e["attempt"] == attempt)
        .unwrap_or_else(|| panic!("no exit of {host} in attempt {attempt}: {all:?}"));
    (
        e["exit"]["code"].as_i64().unwrap_or(-1),
        e["success"].as_bool().unwrap_or(false),
        e["message"].as_str().unwrap_or("").to_owned(),
    )
}

#[test]
fn after_kill_9_the_remote_attempts_finish_and_a_resume_journals_their_real_exits() {
    if !sshd::available() {
        return;
    }
    let server = Sshd::start(&[Alias::Up("web-1"), Alias::Up("web-2"), Alias::Up("web-3")]);
    let tmp = tempfile::tempdir().unwrap();
    let marks = tmp.path().join("marks");
    std::fs::create_dir(&marks).unwrap();
    let m = marks.display();
    // web-2 and web-3 (the second batch) wait for `go`, which comes only
    // after stepwise was killed; then web-2 succeeds and web-3 fails.
    let run = format!(
        r#"echo ran >> {m}/$TARGET; if [ "$TARGET" != web-1 ] && [ ! -e {m}/again ]; then touch {m}/started-$TARGET; while [ ! -e {m}/go ]; do sleep 0.05; done; echo "finished $TARGET"; touch {m}/done-$TARGET; [ "$TARGET" = web-2 ] || exit 3; fi"#
    );
    let rb = runbook(
        tmp.path(),
        "web-1, web-2, web-3",
        &run,
        "{ batches: [1, 2] }",
    );
    let home = tmp.path().join("home");
    let mut child = stepwise(&home)
        .args(["run", "--trust", "--headless", "--ssh-config"])
        .arg(&server.config)
        .arg(&rb)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let both = || {
        ["web-2", "web-3"]
            .iter()
            .all(|h| marks.join(format!("started-{h}")).exists())
    };
    assert!(eventually(both), "the second batch started");
    assert!(eventually(|| journal_has(
        &home,
        r#""host":"web-3","batch":2"#
    )));
    child.kill().unwrap();
    child.wait().unwrap();
    // Held by their monitors, the hosts' `ssh` and the remote side go on.
    std::fs::write(marks.join("go"), "").unwrap();
    let done = || {
        ["web-2", "web-3"]
            .iter()
            .all(|h| marks.join(format!("done-{h}")).exists())
    };
    assert!(
        eventually(done),
        "the remote attempts finished without stepwise"
    );
    std::fs::write(marks.join("again"), "").unwrap();
    let out = stepwise(&home)
        .args([
            "resume",
            "--headless",
            "--answer",
            "deploy=rerun",
            "--ssh-config",
        ])
        .arg(&server.config)
        .env("STEPWISE_VAR_TOKEN", "")
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    // Their real exits, from their monitors; web-2 is not run again.
    let (code, ok, why) = host_exit(&home, "web-2", 1);
    assert_eq!((code, ok), (0, true), "{why}");
    assert!(why.contains("while stepwise was not running"), "{why}");
    assert_eq!(host_exit(&home, "web-3", 1).0, 3);
    let lines = |h: &str| {
        std::fs::read_to_string(marks.join(h))
            .unwrap()
            .lines()
            .count()
    };
    assert_eq!(
        (lines("web-1"), lines("web-2"), lines("web-3")),
        (1, 1, 2),
        "{t}"
    );
    let dir = session_dirs(&home).pop().unwrap();
    let log = std::fs::read_to_string(dir.join("output/deploy.web-2.1.log")).unwrap();
    assert!(log.contains("finished web-2"), "{log}");
    let j = journal(&home);
    assert!(
        j.contains(r#""type":"fleet_planned","step":"deploy","attempt":2,"batches":[["web-3"]]"#),
        "{j}"
    );
    // Every host ran and every exit is known: the attempt ended as its
    // rollout would have (failed: web-3 exited 3, over the budget of 0),
    // not "never started" nor "outcome unknown"; the answer re-ran only the
    // host not done.
    assert!(
        j.contains(r#""type":"step_exited","step":"deploy","attempt":1,"exit":{"code":1"#),
        "{j}"
    );
    assert!(!j.contains("outcome_unknown"), "{j}");
    assert!(!j.contains("step_not_started"), "{j}");
}
