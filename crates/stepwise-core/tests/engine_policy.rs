//! The engine's policy, driven through a scripted runner on tokio's paused
//! clock: retries, on_failure, timeouts, cancel during a retry delay,
//! optional sections, auto mode, the step environment, and the decisions
//! of a resume. Nothing here runs a process or sleeps for real: a delay of
//! ten minutes passes as soon as nothing else can happen. (The real
//! processes are `tests/process.rs` of the `stepwise` package.)

use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use stepwise_core::engine::command::{Command, End, Update};
use stepwise_core::engine::engine::{Engine, Setup};
use stepwise_core::engine::inputs::Given;
use stepwise_core::engine::open::{self, Opened, StartOptions};
use stepwise_core::runner::{Act, ScriptedRunner};
use stepwise_core::session::clock::Clock;
use stepwise_core::session::event::{Event, InputSource, Record, Stream};
use stepwise_core::session::state::{Session, StepStatus};
use stepwise_core::text::MASK;
use tokio::sync::mpsc;

/// The journal's clock, following tokio's (paused) time: record times
/// then agree with the delays the engine waited.
struct TokioClock {
    base: DateTime<Utc>,
    start: tokio::time::Instant,
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        let d = tokio::time::Instant::now() - self.start;
        self.base + chrono::TimeDelta::from_std(d).unwrap_or_default()
    }
}

fn clock() -> Arc<dyn Clock> {
    Arc::new(TokioClock {
        base: "2026-11-29T03:00:00Z".parse().unwrap(),
        start: tokio::time::Instant::now(),
    })
}

struct Harness {
    cmds: mpsc::Sender<Command>,
    updates: mpsc::Receiver<Update>,
    session: Session,
    records: Vec<Record>,
    engine: tokio::task::JoinHandle<End>,
    runner: Arc<ScriptedRunner>,
    lock: Option<stepwise_core::session::store::SessionLock>,
    home: tempfile::TempDir,
    dir: std::path::PathBuf,
}

struct Options {
    auto: bool,
    pause_at_optional: bool,
    inputs: Vec<(&'static str, &'static str)>,
    secrets: Vec<&'static str>,
    /// The engine sends regular updates by itself (headless).
    cadence: bool,
    /// The engine waits before closing over an undelivered update (the
    /// interface).
    asks_before_closing: bool,
}

const MANUAL: Options = Options {
    auto: false,
    pause_at_optional: false,
    inputs: Vec::new(),
    secrets: Vec::new(),
    cadence: false,
    asks_before_closing: false,
};

const AUTO: Options = Options {
    auto: true,
    pause_at_optional: false,
    inputs: Vec::new(),
    secrets: Vec::new(),
    cadence: false,
    asks_before_closing: false,
};

fn runbook(steps: &str) -> String {
    format!("runbook: 1\nid: t\ntitle: T\nsections:\n  - title: S\n    steps:\n{steps}")
}

fn start(yaml: &str, opts: Options, runner: ScriptedRunner) -> Harness {
    let home = tempfile::tempdir().unwrap();
    let runbook = stepwise_core::runbook::load::load_str("t.yaml", yaml).expect("valid runbook");
    let path = home.path().join("t.yaml");
    std::fs::write(&path, yaml).unwrap();
    let given: Vec<Given> = opts
        .inputs
        .iter()
        .map(|(k, v)| Given {
            name: (*k).into(),
            value: (*v).into(),
            source: InputSource::Var,
        })
        .collect();
    let opened = open::start(StartOptions {
        home: home.path(),
        runbook_path: &path,
        source: yaml.as_bytes(),
        runbook,
        auto: opts.auto,
        from_step: None,
        inputs: &given,
        clock: clock(),
        operator: None,
    })
    .unwrap();
    let values = given.into_iter().map(|g| (g.name, g.value)).collect();
    drive(opened, home, values, opts, Arc::new(runner))
}

fn drive(
    opened: Opened,
    home: tempfile::TempDir,
    values: Vec<(String, String)>,
    opts: Options,
    runner: Arc<ScriptedRunner>,
) -> Harness {
    let setup = Setup {
        session_dir: opened.dir.clone(),
        shell: vec!["sh".into(), "-ec".into()],
        base_dir: home.path().to_owned(),
        values,
        secrets: opts.secrets.iter().map(|s| s.to_string()).collect(),
        auto: opts.auto,
        pause_at_optional: opts.pause_at_optional,
        held: vec![],
        grace: Duration::from_secs(5),
        drain: Duration::from_secs(2),
        after_step: None,
        runner: runner.clone(),
        close_when_left: None,
        cadence_sends: opts.cadence,
        ask_before_closing: opts.asks_before_closing,
        fleet: Default::default(),
    };
    let (cmd_tx, cmd_rx) = mpsc::channel(16);
    let (up_tx, up_rx) = mpsc::channel(1024);
    let session = opened.session.clone();
    let engine = Engine::new(opened.journal, opened.session, setup, up_tx);
    Harness {
        cmds: cmd_tx,
        updates: up_rx,
        session,
        records: Vec::new(),
        engine: tokio::spawn(engine.run(cmd_rx)),
        runner,
        lock: Some(opened.lock),
        home,
        dir: opened.dir,
    }
}

impl Harness {
    /// Applies updates until the engine waits for a command (or ended);
    /// returns the refusals seen on the way.
    async fn settle(&mut self) -> Vec<String> {
        let mut refused = Vec::new();
        while let Some(u) = self.updates.recv().await {
            match u {
                Update::Record(r) => {
                    self.session.apply(&r);
                    self.records.push(r);
                }
                Update::Rejected(why) => refused.push(why),
                Update::Idle | Update::Ended(_) => break,
                Update::Output { .. } | Update::HostOutput { .. } | Update::EndedAway { .. } => {}
            }
        }
        refused
    }

    async fn send(&mut self, c: Command) -> Vec<String> {
        self.cmds.send(c).await.unwrap();
        self.settle().await
    }

    fn status(&self, id: &str) -> StepStatus {
        self.session.step(id).unwrap().status.clone()
    }

    fn events(&self) -> Vec<&Event> {
        self.records.iter().map(|r| &r.event).collect()
    }

    async fn end(self) -> End {
        drop(self.cmds);
        self.engine.await.unwrap()
    }
}

fn start_cmd(step: &str) -> Command {
    Command::Start { step: step.into() }
}

#[tokio::test(start_paused = true)]
async fn a_retry_waits_its_delay_on_the_clock_and_each_wait_is_journalled() {
    let yaml = runbook(
        "      - title: Flaky\n        run: check\n        retry: { attempts: 3, delay: 10m }\n",
    );
    let runner = ScriptedRunner::new().script(
        "flaky",
        [Act::exits(1, ""), Act::exits(1, ""), Act::exits(0, "ok\n")],
    );
    let t0 = tokio::time::Instant::now();
    let mut h = start(&yaml, AUTO, runner);
    h.settle().await;
    assert_eq!(h.status("flaky"), StepStatus::Succeeded);
    assert_eq!(h.session.step("flaky").unwrap().attempts.len(), 3);
    let waits: Vec<(u32, u32, i64)> = h
        .records
        .iter()
        .filter_map(|r| match &r.event {
            Event::RetryScheduled {
                attempt, of, due, ..
            } => Some((*attempt, *of, (*due - r.at).num_seconds())),
            _ => None,
        })
        .collect();
    assert_eq!(waits, [(2, 3, 600), (3, 3, 600)]);
    assert!(tokio::time::Instant::now() - t0 >= Duration::from_secs(1200));
    assert!(h.session.step("flaky").unwrap().retry.is_none());
    assert_eq!(h.end().await, End::Completed);
}

#[tokio::test(start_paused = true)]
async fn on_failure_abort_ends_the_session_continue_moves_on_and_ask_waits() {
    let abort = runbook(
        "      - title: A\n        run: x\n        on_failure: abort\n      - title: B\n        run: y\n",
    );
    let mut h = start(
        &abort,
        AUTO,
        ScriptedRunner::new().script("a", [Act::exits(2, "")]),
    );
    h.settle().await;
    assert!(matches!(
        h.session.status,
        stepwise_core::session::state::SessionStatus::Aborted { .. }
    ));
    assert_eq!(h.status("b"), StepStatus::Pending);
    assert_eq!(h.end().await, End::Aborted);

    let cont = runbook(
        "      - title: A\n        run: x\n        on_failure: continue\n      - title: B\n        run: y\n",
    );
    let mut h = start(
        &cont,
        AUTO,
        ScriptedRunner::new().script("a", [Act::exits(2, "")]),
    );
    h.settle().await;
    assert_eq!(h.status("a"), StepStatus::Failed);
    assert_eq!(h.status("b"), StepStatus::Succeeded);
    assert_eq!(h.end().await, End::Completed);

    let ask = runbook("      - title: A\n        run: x\n      - title: B\n        run: y\n");
    let mut h = start(
        &ask,
        AUTO,
        ScriptedRunner::new().script("a", [Act::exits(2, "")]),
    );
    h.settle().await;
    assert_eq!(h.status("a"), StepStatus::Failed);
    assert_eq!(
        h.status("b"),
        StepStatus::Pending,
        "ask waits for the operator"
    );
    assert_eq!(h.send(Command::Leave).await, Vec::<String>::new());
    assert_eq!(h.end().await, End::Left);
}

#[tokio::test(start_paused = true)]
async fn a_timeout_is_journalled_and_fails_the_attempt_at_its_time() {
    let yaml = runbook("      - title: Slow\n        run: x\n        timeout: 30s\n");
    let runner = ScriptedRunner::new().script("slow", [Act::runs_for(Duration::from_secs(3600))]);
    let mut h = start(&yaml, MANUAL, runner);
    h.settle().await;
    let t0 = tokio::time::Instant::now();
    h.send(start_cmd("slow")).await;
    assert_eq!(h.status("slow"), StepStatus::Failed);
    assert!(h.events().iter().any(|e| matches!(
        e,
        Event::StepTimedOut {
            after_ms: 30_000,
            ..
        }
    )));
    let waited = tokio::time::Instant::now() - t0;
    assert!(
        waited >= Duration::from_secs(30) && waited < Duration::from_secs(60),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn cancel_during_a_retry_delay_is_journalled_and_no_attempt_follows() {
    let yaml = runbook(
        "      - title: Flaky\n        run: x\n        retry: { attempts: 3, delay: 5m }\n",
    );
    let runner = ScriptedRunner::new().script("flaky", [Act::exits(1, "")]);
    let mut h = start(&yaml, MANUAL, runner);
    h.settle().await;
    h.cmds.send(start_cmd("flaky")).await.unwrap();
    // Up to the retry's schedule: the engine is then waiting for its delay.
    while !h
        .events()
        .iter()
        .any(|e| matches!(e, Event::RetryScheduled { .. }))
    {
        if let Update::Record(r) = h.updates.recv().await.unwrap() {
            h.session.apply(&r);
            h.records.push(r);
        }
    }
    assert!(h.session.step("flaky").unwrap().retry.is_some());
    h.send(Command::Cancel {
        reason: "wrong tag".into(),
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert!(
        h.events()
            .iter()
            .any(|e| matches!(e, Event::RetryCancelled { reason, .. } if reason == "wrong tag"))
    );
    assert!(h.session.step("flaky").unwrap().retry.is_none());
    assert_eq!(h.runner.given().len(), 1, "no second attempt ran");
    assert_eq!(h.status("flaky"), StepStatus::Failed);
}

#[tokio::test(start_paused = true)]
async fn auto_mode_waits_at_an_optional_section_when_asked_and_runs_it_otherwise() {
    let yaml = "runbook: 1\nid: t\ntitle: T\nsections:\n  - title: Main\n    steps:\n      - title: A\n        run: x\n  - title: Extra\n    optional: true\n    steps:\n      - title: B\n        run: y\n";
    let paused = Options {
        pause_at_optional: true,
        ..AUTO
    };
    let mut h = start(yaml, paused, ScriptedRunner::new());
    h.settle().await;
    assert_eq!(h.status("a"), StepStatus::Succeeded);
    assert_eq!(
        h.status("b"),
        StepStatus::Pending,
        "waits at the optional section"
    );
    assert!(stepwise_core::policy::enters_optional_section(
        &h.session, 1
    ));

    let mut h = start(yaml, AUTO, ScriptedRunner::new());
    h.settle().await;
    assert_eq!(h.status("b"), StepStatus::Succeeded, "headless runs it");
    assert_eq!(h.end().await, End::Completed);
}

#[tokio::test(start_paused = true)]
async fn auto_mode_changes_are_journalled_and_it_stops_at_human_and_confirm_steps() {
    let yaml = runbook(
        "      - title: A\n        run: x\n      - title: Deploy\n        run: y\n        confirm: true\n      - title: C\n        run: z\n      - title: Human\n",
    );
    let mut h = start(&yaml, MANUAL, ScriptedRunner::new());
    h.settle().await;
    assert_eq!(
        h.status("a"),
        StepStatus::Pending,
        "manual mode runs nothing"
    );
    h.send(Command::SetAuto(true)).await;
    assert_eq!(h.status("a"), StepStatus::Succeeded);
    assert_eq!(
        h.status("deploy"),
        StepStatus::Pending,
        "confirm: true waits"
    );
    h.send(start_cmd("deploy")).await;
    assert_eq!(
        h.status("c"),
        StepStatus::Succeeded,
        "auto goes on after it"
    );
    assert_eq!(h.status("human"), StepStatus::Pending);
    h.send(Command::SetAuto(false)).await;
    h.send(Command::SetAuto(false)).await;
    let changes: Vec<bool> = h
        .records
        .iter()
        .filter_map(|r| match r.event {
            Event::AutoChanged { on } => {
                assert!(r.by.is_some(), "the operator is named");
                Some(on)
            }
            _ => None,
        })
        .collect();
    assert_eq!(changes, [true, false], "a repeat changes nothing");
    assert!(!h.session.auto);
    assert_eq!(
        h.session
            .auto_history
            .iter()
            .map(|c| c.on)
            .collect::<Vec<_>>(),
        [false, true, false]
    );
}

#[tokio::test(start_paused = true)]
async fn the_runner_gets_the_environment_the_confirm_screen_shows() {
    let yaml = "runbook: 1\nid: t\ntitle: T\ninputs:\n  TAG: {}\n  TOKEN: { secret: true }\nenv: { DEPLOY_ENV: production, TAG: from-env }\nsections:\n  - title: S\n    steps:\n      - title: Deploy\n        run: deploy\n        confirm: true\n        env: { REGION: eu }\n";
    let opts = Options {
        inputs: vec![("TAG", "v1.4.2"), ("TOKEN", "hunter2")],
        secrets: vec!["hunter2"],
        ..MANUAL
    };
    let mut h = start(yaml, opts, ScriptedRunner::new());
    h.settle().await;
    let def = h.session.runbook.step("deploy").unwrap().clone();
    let shown = stepwise_core::policy::shown_env(&h.session, &[], &def);
    h.send(start_cmd("deploy")).await;
    let given = h.runner.given()[0].env.clone();
    let names = |v: &[(String, String)]| v.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(names(&shown), names(&given), "same names, same order");
    for ((k, shown), (_, real)) in shown.iter().zip(&given) {
        if k == "TOKEN" {
            assert_eq!((shown.as_str(), real.as_str()), (MASK, "hunter2"));
        } else {
            assert_eq!(shown, real, "{k}");
        }
    }
    let get = |k: &str| given.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(
        get("TAG"),
        Some("v1.4.2"),
        "an input overrides the runbook's env"
    );
    assert_eq!(get("STEPWISE_STEP"), Some("deploy"));
    assert_eq!(get("STEPWISE_SESSION"), Some(h.session.id.as_str()));
}

#[tokio::test(start_paused = true)]
async fn a_capture_reaches_the_next_step_as_an_environment_variable() {
    let yaml = runbook(
        "      - title: Find\n        run: x\n        capture: CURRENT\n      - title: Use\n        run: y\n",
    );
    let runner = ScriptedRunner::new().script("find", [Act::exits(0, "  v1.5.0\n")]);
    let mut h = start(&yaml, AUTO, runner);
    h.settle().await;
    let env = &h.runner.given()[1].env;
    assert!(
        env.contains(&("CURRENT".into(), "v1.5.0".into())),
        "{env:?}"
    );
    assert!(
        h.events()
            .iter()
            .any(|e| matches!(e, Event::Captured { value, .. } if value == "v1.5.0"))
    );
}

#[tokio::test(start_paused = true)]
async fn a_required_note_a_skip_reason_and_a_single_answer_are_enforced_by_the_engine() {
    let yaml = runbook("      - title: Check\n        note: required\n      - title: Other\n");
    let mut h = start(&yaml, MANUAL, ScriptedRunner::new());
    h.settle().await;
    let confirm = |note: Option<&str>| Command::Confirm {
        step: "check".into(),
        note: note.map(Into::into),
        checked: vec![],
        via: stepwise_core::session::event::ConfirmedVia::Operator,
    };
    let refused = h.send(confirm(Some("  "))).await;
    assert_eq!(
        refused,
        ["`check` needs a note before it can be marked done"]
    );
    let refused = h
        .send(Command::Skip {
            step: "other".into(),
            reason: " ".into(),
        })
        .await;
    assert_eq!(refused, ["skipping needs a reason"]);
    assert!(
        h.send(confirm(Some("INC-42: 500s on /health")))
            .await
            .is_empty()
    );
    assert!(matches!(h.status("check"), StepStatus::Confirmed { .. }));
}

#[tokio::test(start_paused = true)]
async fn resume_refuses_a_rerun_while_the_runner_reports_the_earlier_attempt_alive() {
    let yaml = runbook("      - title: Migrate\n        run: x\n");
    let runner =
        ScriptedRunner::new().script("migrate", [Act::runs_for(Duration::from_secs(3600))]);
    let mut h = start(&yaml, MANUAL, runner);
    h.settle().await;
    h.cmds.send(start_cmd("migrate")).await.unwrap();
    while h.session.running().is_none() {
        if let Some(Update::Record(r)) = h.updates.recv().await {
            h.session.apply(&r);
        }
    }
    // stepwise dies with the step running: nothing more is written.
    h.engine.abort();
    drop(h.lock.take());
    let reopen = |h: &Harness| {
        open::resume(h.home.path(), h.dir.to_str().unwrap(), clock(), &|_| Ok(())).unwrap()
    };

    let opened = reopen(&h);
    // Opening leaves the step running: the engine takes it up (this
    // runner cannot re-attach, so its outcome is unknown).
    assert!(matches!(
        opened.session.step("migrate").unwrap().status,
        StepStatus::Running { attempt: 1 }
    ));
    let alive = Arc::new(ScriptedRunner::new().orphan("migrate", 4242));
    let home = std::mem::replace(&mut h.home, tempfile::tempdir().unwrap());
    let mut again = drive(opened, home, vec![], MANUAL, alive);
    again.settle().await;
    assert_eq!(
        again.status("migrate"),
        StepStatus::OutcomeUnknown { attempt: 1 }
    );
    let refused = again.send(start_cmd("migrate")).await;
    assert_eq!(refused.len(), 1);
    assert!(refused[0].contains("kill -TERM -- -4242"), "{}", refused[0]);
    assert!(again.runner.given().is_empty(), "nothing was started");
    again.engine.abort();
    drop(again.lock.take());

    let opened = open::resume(
        again.home.path(),
        again.dir.to_str().unwrap(),
        clock(),
        &|_| Ok(()),
    )
    .unwrap();
    let home = std::mem::replace(&mut again.home, tempfile::tempdir().unwrap());
    let mut gone = drive(
        opened,
        home,
        vec![],
        MANUAL,
        Arc::new(ScriptedRunner::new()),
    );
    gone.settle().await;
    assert!(gone.send(start_cmd("migrate")).await.is_empty());
    assert_eq!(
        gone.status("migrate"),
        StepStatus::Succeeded,
        "re-run once nothing is left of it"
    );
}

#[tokio::test(start_paused = true)]
async fn output_is_journalled_with_its_place_in_the_log() {
    let yaml = runbook("      - title: Talk\n        run: x\n");
    let act = Act {
        output: vec![
            (Duration::from_millis(10), Stream::Stdout, b"one\n".to_vec()),
            (Duration::from_millis(10), Stream::Stderr, b"two\n".to_vec()),
        ],
        lasts: Duration::ZERO,
        code: 0,
    };
    let mut h = start(&yaml, AUTO, ScriptedRunner::new().script("talk", [act]));
    h.settle().await;
    // Output records reach the journal, not the driver (it gets the bytes).
    let journal = stepwise_core::session::journal::read(&h.dir.join("journal.jsonl")).unwrap();
    let places: Vec<(Stream, u64, u64)> = journal
        .records
        .iter()
        .filter_map(|r| match &r.event {
            Event::OutputRecorded {
                stream,
                offset,
                len,
                ..
            } => Some((*stream, *offset, *len)),
            _ => None,
        })
        .collect();
    assert_eq!(places, [(Stream::Stdout, 0, 4), (Stream::Stderr, 4, 4)]);
    let log = std::fs::read_to_string(h.dir.join("output/talk.1.log")).unwrap();
    assert_eq!(log, "one\ntwo\n");
}

#[tokio::test(start_paused = true)]
async fn regular_updates_go_out_on_the_clock_from_what_the_journal_recorded() {
    let yaml = "runbook: 1\nid: t\ntitle: T\nchannels: { ops: { file: updates.jsonl } }\n\
                updates: { every: 30m }\nsections:\n  - title: S\n    steps:\n\
                \x20     - title: Quick\n        run: x\n      - title: Slow\n        run: y\n";
    let runner = ScriptedRunner::new()
        .script("quick", [Act::exits(0, "")])
        .script("slow", [Act::runs_for(Duration::from_secs(70 * 60))]);
    let opts = Options {
        cadence: true,
        ..AUTO
    };
    let t0 = tokio::time::Instant::now();
    let mut h = start(yaml, opts, runner);
    h.settle().await;
    assert_eq!(h.status("slow"), StepStatus::Succeeded);
    let sent: Vec<(i64, String, String)> = h
        .records
        .iter()
        .filter_map(|r| match &r.event {
            Event::UpdateIntent {
                step: None,
                key,
                text,
                ..
            } => {
                let secs = (r.at - h.session.started_at.unwrap()).num_seconds();
                Some((
                    secs,
                    key.rsplit(':').next().unwrap().to_owned(),
                    text.clone(),
                ))
            }
            _ => None,
        })
        .collect();
    // Every 30 minutes while Slow runs (70 minutes): at 30 and 60.
    assert_eq!(
        sent.iter().map(|s| (s.0, s.1.as_str())).collect::<Vec<_>>(),
        [(1800, "1"), (3600, "2")]
    );
    assert_eq!(
        sent[0].2,
        "T: 1/2 steps done after 30m.\nSince the last update: ✓ Quick.\nNow: Slow.\nExpected end: no estimate yet."
    );
    assert!(
        sent[1].2.contains("No step settled since the last update."),
        "{}",
        sent[1].2
    );
    let file = std::fs::read_to_string(h.home.path().join("updates.jsonl")).unwrap();
    assert_eq!(file.lines().count(), 2);
    assert!(tokio::time::Instant::now() - t0 >= Duration::from_secs(70 * 60));
    assert_eq!(h.end().await, End::Completed);
}

/// A session whose last update step could not be sent is not completed
/// by itself when the driver asks before closing (the interface): the
/// engine waits; a resend that gets through completes it. Without asking
/// (headless) it completes at once, as before.
#[tokio::test(start_paused = true)]
async fn an_undelivered_update_keeps_the_session_open_until_it_is_resent() {
    let yaml = "runbook: 1\nid: t\ntitle: T\nchannels: { ops: { file: out/updates.jsonl } }\n\
                sections:\n  - title: S\n    steps:\n      - title: Work\n        run: x\n\
                \x20     - title: Tell\n        update: Resolved\n";
    let runner = || ScriptedRunner::new().script("work", [Act::exits(0, "")]);
    let asking = Options {
        asks_before_closing: true,
        ..AUTO
    };
    let mut h = start(yaml, asking, runner());
    h.settle().await;
    h.send(start_cmd("tell")).await;
    assert_eq!(h.status("tell"), StepStatus::Failed);
    assert!(
        !h.events().contains(&&Event::SessionCompleted),
        "{:?}",
        h.events()
    );
    std::fs::create_dir(h.home.path().join("out")).unwrap();
    h.send(start_cmd("tell")).await;
    assert_eq!(h.status("tell"), StepStatus::Succeeded);
    assert_eq!(h.end().await, End::Completed);

    let mut h = start(yaml, AUTO, runner());
    h.settle().await;
    h.send(start_cmd("tell")).await;
    assert_eq!(h.status("tell"), StepStatus::Failed);
    assert!(h.events().contains(&&Event::SessionCompleted));
    assert_eq!(h.end().await, End::Completed);
}

/// `Close` completes a session waiting over an undelivered update, the
/// update left failed, and the completion is recorded as the operator's;
/// before the session waits, `Close` is refused.
#[tokio::test(start_paused = true)]
async fn close_completes_a_session_with_its_update_undelivered() {
    let yaml = "runbook: 1\nid: t\ntitle: T\nchannels: { ops: { file: out/updates.jsonl } }\n\
                sections:\n  - title: S\n    steps:\n      - title: Tell\n        update: Resolved\n";
    let asking = Options {
        asks_before_closing: true,
        ..AUTO
    };
    let mut h = start(yaml, asking, ScriptedRunner::new());
    h.settle().await;
    let refused = h.send(Command::Close).await;
    assert_eq!(refused, ["the session is not waiting to close"]);
    h.send(start_cmd("tell")).await;
    assert!(!h.events().contains(&&Event::SessionCompleted));
    h.send(Command::Close).await;
    assert_eq!(h.status("tell"), StepStatus::Failed);
    let end = h.records.last().unwrap();
    assert_eq!(end.event, Event::SessionCompleted);
    assert!(end.by.is_some(), "the operator's completion: {end:?}");
    assert_eq!(h.end().await, End::Completed);
}

/// Two update steps, Started then Over, to a channel that refuses them
/// until the folder `out` exists; the engine asks before closing, and
/// waits for its first command.
async fn two_updates() -> Harness {
    asking("runbook: 1\nid: t\ntitle: T\nchannels: { ops: { file: out/updates.jsonl } }\n\
            sections:\n  - title: S\n    steps:\n      - title: Started\n        update: Rolling back\n\
            \x20     - title: Over\n        update: Resolved\n")
    .await
}

/// `yaml` in auto mode, the engine asking before it closes the session;
/// waits for its first command.
async fn asking(yaml: &str) -> Harness {
    let asking = Options {
        asks_before_closing: true,
        ..AUTO
    };
    let mut h = start(yaml, asking, ScriptedRunner::new());
    h.settle().await;
    h
}

/// An update that failed and was overtaken by a later one that went
/// through is not asked about: sending the old status again would turn
/// the news back.
#[tokio::test(start_paused = true)]
async fn a_failed_update_overtaken_by_a_delivered_one_does_not_hold_the_close() {
    let mut h = two_updates().await;
    h.send(start_cmd("started")).await;
    assert_eq!(h.status("started"), StepStatus::Failed);
    std::fs::create_dir(h.home.path().join("out")).unwrap();
    h.send(start_cmd("over")).await;
    assert_eq!(h.status("over"), StepStatus::Succeeded);
    assert_eq!(h.status("started"), StepStatus::Failed);
    assert!(h.events().contains(&&Event::SessionCompleted));
    assert_eq!(h.end().await, End::Completed);
}

/// Overtaking goes channel by channel: a later update to the channel that
/// took the first one does not overtake it for the channel that refused
/// it, which never got any news; the session waits until that one goes.
#[tokio::test(start_paused = true)]
async fn a_later_update_to_other_channels_does_not_overtake_a_failed_one() {
    let yaml = "runbook: 1\nid: t\ntitle: T\nchannels:\n  ops: { file: ok/updates.jsonl }\n  pager: { file: out/updates.jsonl }\n\
                sections:\n  - title: S\n    steps:\n      - title: Started\n        update: Rolling back\n\
                \x20     - title: Over\n        update: Resolved\n        channels: [ops]\n";
    let mut h = asking(yaml).await;
    std::fs::create_dir(h.home.path().join("ok")).unwrap();
    h.send(start_cmd("started")).await;
    assert_eq!(h.status("started"), StepStatus::Failed);
    h.send(start_cmd("over")).await;
    assert_eq!(h.status("over"), StepStatus::Succeeded);
    assert_eq!(h.session.undelivered_updates(), [0]);
    assert!(!h.events().contains(&&Event::SessionCompleted));
    std::fs::create_dir(h.home.path().join("out")).unwrap();
    h.send(start_cmd("started")).await;
    assert!(h.events().contains(&&Event::SessionCompleted));
    assert_eq!(h.end().await, End::Completed);
}

/// A later update that reached the refusing channel overtakes the older
/// one even after it was itself resent to another channel only (a resend
/// goes to the channels that refused): every send of it counts.
#[tokio::test(start_paused = true)]
async fn a_resent_later_update_still_overtakes_by_its_first_send() {
    let yaml = "runbook: 1\nid: t\ntitle: T\nchannels:\n  pager: { file: out/updates.jsonl }\n  ops: { file: ops/updates.jsonl }\n\
                sections:\n  - title: S\n    steps:\n      - title: Started\n        update: Rolling back\n        channels: [pager]\n\
                \x20     - title: Over\n        update: Resolved\n";
    let mut h = asking(yaml).await;
    h.send(start_cmd("started")).await;
    assert_eq!(h.status("started"), StepStatus::Failed);
    std::fs::create_dir(h.home.path().join("out")).unwrap();
    h.send(start_cmd("over")).await;
    assert_eq!(h.status("over"), StepStatus::Failed, "ops refused it");
    assert_eq!(h.session.undelivered_updates(), [1]);
    std::fs::create_dir(h.home.path().join("ops")).unwrap();
    h.send(start_cmd("over")).await;
    assert_eq!(h.status("over"), StepStatus::Succeeded);
    assert_eq!(h.session.undelivered_updates(), Vec::<usize>::new());
    assert!(h.events().contains(&&Event::SessionCompleted));
    assert_eq!(h.end().await, End::Completed);
}

/// An attempt whose monitor went without an exit and left nothing (a held
/// attempt let go unreleased, its stepwise dead) never started: the engine
/// records that and the step waits to run again. One whose monitor may
/// have run it is an unknown outcome, as before.
#[tokio::test(start_paused = true)]
async fn a_lost_monitor_that_left_nothing_means_the_attempt_never_started() {
    let yaml = runbook("      - title: Deploy\n        run: x\n");
    let runner = ScriptedRunner::new().loses_monitor("deploy", true);
    let mut h = start(&yaml, MANUAL, runner);
    h.settle().await;
    h.send(start_cmd("deploy")).await;
    let not_started = Event::StepNotStarted {
        step: "deploy".into(),
        attempt: 1,
    };
    assert!(h.events().contains(&&not_started), "{:?}", h.events());
    assert_eq!(h.status("deploy"), StepStatus::Pending);

    let runner = ScriptedRunner::new().loses_monitor("deploy", false);
    let mut h = start(&yaml, MANUAL, runner);
    h.settle().await;
    h.send(start_cmd("deploy")).await;
    assert!(!h.events().contains(&&not_started), "{:?}", h.events());
    let unknown = |e: &&Event| matches!(e, Event::OutcomeUnknown { attempt: 1, .. });
    assert!(h.events().iter().any(unknown), "{:?}", h.events());
}

/// Overtaking goes by the runbook's order, not by when a send went out:
/// both updates failed, the older one sent again goes through, and the
/// session still waits for the newer one; once that one goes through it
/// completes.
#[tokio::test(start_paused = true)]
async fn an_older_update_sent_again_does_not_overtake_a_newer_one() {
    let mut h = two_updates().await;
    h.send(start_cmd("started")).await;
    h.send(start_cmd("over")).await;
    std::fs::create_dir(h.home.path().join("out")).unwrap();
    h.send(start_cmd("started")).await;
    assert_eq!(h.status("started"), StepStatus::Succeeded);
    assert!(!h.events().contains(&&Event::SessionCompleted));
    h.send(start_cmd("over")).await;
    assert!(h.events().contains(&&Event::SessionCompleted));
    assert_eq!(h.end().await, End::Completed);
}

/// A driver that stopped (its terminal failed) leaves the session
/// resumable, recorded as stepwise's with the reason, not as a person
/// leaving; a headless stop likewise.
#[tokio::test(start_paused = true)]
async fn a_driver_gone_or_a_headless_stop_is_recorded_as_stepwises_with_its_reason() {
    let ask = runbook("      - title: A\n        run: x\n      - title: B\n        run: y\n");
    for (cmd, reason) in [
        (
            Command::DriverGone {
                reason: "the interface stopped: its terminal failed".into(),
            },
            "the interface stopped: its terminal failed",
        ),
        (
            Command::Stop {
                reason: "`a` failed and no --answer said what to do next".into(),
            },
            "`a` failed and no --answer said what to do next",
        ),
    ] {
        let mut h = start(
            &ask,
            AUTO,
            ScriptedRunner::new().script("a", [Act::exits(2, "")]),
        );
        h.settle().await;
        assert_eq!(h.send(cmd).await, Vec::<String>::new());
        let left = h
            .records
            .iter()
            .find(|r| matches!(r.event, Event::SessionLeft { .. }))
            .expect("a session_left record");
        assert_eq!(
            left.event,
            Event::SessionLeft {
                reason: Some(reason.into())
            }
        );
        assert!(left.by.is_none(), "stepwise's, not an operator's");
        assert_eq!(h.end().await, End::Left);
    }
}
