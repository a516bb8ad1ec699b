//! The next step handed over ahead, through the real binary (headless):
//! while a step runs, the step auto mode runs next has its bash started
//! and held before its command; it runs only after the step before it
//! ended and its own start was journalled. A step handed over and then
//! not taken (a retry came first) is let go and later runs once; a held
//! step whose working directory was replaced runs in the new one; a crash
//! of stepwise (and of the held step's monitor) leaves nothing that ran
//! and nothing that keeps the step from running on resume.
//!
//! The steps here wait for the next step's held shell by polling its
//! process-group note (`output/<step>.1.pid`), with a bound: a step that
//! never sees it fails the test instead of hanging.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

#[path = "support/cli.rs"]
mod cli;
use cli::{session_dirs, stepwise, text};

/// Shell text that waits (at most 30 s) until step `b`'s first attempt
/// has its note with a pid in it, i.e. its shell was spawned, held; exits
/// 9 if it never comes.
const WAIT_FOR_B: &str = "n=\"$STEPWISE_HOME/sessions/$STEPWISE_SESSION/output/b.1.pid\"; \
     i=0; until grep -q '^0*[1-9]' \"$n\" 2>/dev/null; do i=$((i+1)); \
     [ $i -lt 3000 ] || exit 9; sleep 0.01; done";

fn write(dir: &Path, name: &str, yaml: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, yaml).unwrap();
    path
}

fn steps(id: &str, body: &str) -> String {
    format!("runbook: 1\nid: {id}\ntitle: {id}\nsections:\n  - title: S\n    steps:\n{body}")
}

fn step(id: &str, run: &str, extra: &str) -> String {
    let run = serde_json::to_string(run).unwrap();
    format!("      - id: {id}\n        title: {id}\n        run: {run}\n{extra}")
}

fn run(home: &Path, rb: &Path) -> Output {
    stepwise(home)
        .args(["run", "--headless", "--trust"])
        .arg(rb)
        .output()
        .unwrap()
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count())
}

#[test]
fn the_next_step_s_shell_is_started_while_the_step_before_it_runs() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    let a = format!("{WAIT_FOR_B}; [ ! -e b-ran ] || exit 8");
    let body =
        step("a", &a, "") + &step("b", "echo ran >> b-ran; echo \"b ran in $SECONDS s\"", "");
    let rb = write(dir, "ahead.yaml", &steps("ahead", &body));
    let out = run(dir, &rb);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("✓ a: exit 0"), "{t}");
    assert!(t.contains("b | b ran in 0 s"), "{t}");
    assert_eq!(lines(&dir.join("b-ran")), 1, "{t}");
}

#[test]
fn a_step_handed_over_and_not_taken_is_let_go_and_later_runs_once() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    // Both attempts of `a` see `b` handed over; the first fails, so the
    // retry comes before `b`, whose held shell is let go.
    let a = format!("{WAIT_FOR_B}; [ -e once ] && exit 0; touch once; exit 1");
    let retry = "        retry: { attempts: 2, delay: 0s }\n";
    let body = step("a", &a, retry) + &step("b", "echo ran >> b-ran", "");
    let rb = write(dir, "retry.yaml", &steps("retry", &body));
    let out = run(dir, &rb);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("a (attempt 2)"), "{t}");
    assert_eq!(lines(&dir.join("b-ran")), 1, "{t}");
    let session = &session_dirs(dir)[0];
    let journal = std::fs::read_to_string(session.join("journal.jsonl")).unwrap();
    let b_starts = journal
        .lines()
        .filter(|l| l.contains("\"type\":\"step_started\"") && l.contains("\"step\":\"b\""))
        .count();
    assert_eq!(b_starts, 1, "{journal}");
}

#[test]
fn a_held_step_whose_folder_was_replaced_runs_in_the_new_one() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    std::fs::create_dir(dir.join("work")).unwrap();
    std::fs::write(dir.join("work/old"), "").unwrap();
    let a = format!("{WAIT_FOR_B}; rm -rf work && mkdir work && touch work/new");
    let body = step("a", &a, "") + &step("b", "pwd -P; ls", "        working_dir: work\n");
    let rb = write(dir, "moved.yaml", &steps("moved", &body));
    let out = run(dir, &rb);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("b | new"), "{t}");
    assert!(!t.contains("b | old"), "{t}");
}

/// Polls until `cond` holds (a generous deadline, never a fixed sleep).
fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < Duration::from_secs(30), "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn note_of_b(home: &Path) -> PathBuf {
    session_dirs(home)[0].join("output/b.1.pid")
}

fn noted_pid(note: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(note).ok()?;
    text.split_whitespace()
        .next()?
        .parse()
        .ok()
        .filter(|&p| p > 0)
}

fn parent_of(pid: i32) -> i32 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    after.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Runs `a` (which waits for `b` handed over, then for the file `go-on`)
/// and kills stepwise with SIGKILL once `b` is held; with `monitor_too`,
/// also the monitor holding `b`. Then lets `a` end and resumes: `b` runs
/// once, after `a`.
fn crash_while_b_is_held(monitor_too: bool) {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    let a = format!("{WAIT_FOR_B}; touch a-saw; until [ -e go-on ]; do sleep 0.01; done");
    let body = step("a", &a, "") + &step("b", "echo ran >> b-ran", "");
    let rb = write(dir, "crash.yaml", &steps("crash", &body));
    let mut child = stepwise(dir)
        .args(["run", "--headless", "--trust"])
        .arg(&rb)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_until("a saw b held", || dir.join("a-saw").exists());
    let note = note_of_b(dir);
    let bash = noted_pid(&note).expect("b's held shell");
    let monitor = parent_of(bash);
    child.kill().unwrap();
    child.wait().unwrap();
    if monitor_too {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(monitor),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
    } else {
        wait_until("b's note removed", || !note.exists());
    }
    wait_until("b's held shell gone", || {
        !Path::new(&format!("/proc/{bash}")).exists()
            || std::fs::read_to_string(format!("/proc/{bash}/stat"))
                .is_ok_and(|s| s.contains(") Z"))
    });
    assert!(
        !dir.join("b-ran").exists(),
        "b ran before its start was journalled"
    );
    std::fs::write(dir.join("go-on"), "").unwrap();
    let out = stepwise(dir)
        .args(["resume", "--headless"])
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert_eq!(lines(&dir.join("b-ran")), 1, "{t}");
}

#[test]
fn a_crash_of_stepwise_lets_the_held_step_go_and_resume_runs_it_once() {
    crash_while_b_is_held(false);
}

#[test]
fn a_crash_of_stepwise_and_the_held_step_s_monitor_leaves_it_to_run_once_on_resume() {
    crash_while_b_is_held(true);
}
