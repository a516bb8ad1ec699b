//! The engine in-process with real processes: commands in, journalled
//! updates out. The policy alone (retries, timeouts, delays) is tested
//! faster and without real waiting in the core's `engine_policy.rs`. Each scenario checks the statuses the fold reaches and the
//! records the journal holds.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use stepwise::engine::command::{Command, End, Update};
use stepwise::engine::engine::{Engine, Setup};
use stepwise::engine::open::{self, StartOptions};
use stepwise::session::clock::SystemClock;
use stepwise::session::event::{ConfirmedVia, Event, InputSource};
use stepwise::session::state::{Session, StepStatus};
use tokio::sync::mpsc;

struct Harness {
    cmds: mpsc::Sender<Command>,
    updates: mpsc::Receiver<Update>,
    session: Session,
    engine: tokio::task::JoinHandle<End>,
    _lock: stepwise::session::store::SessionLock,
    _home: tempfile::TempDir,
    work: tempfile::TempDir,
    /// The session folder.
    dir: std::path::PathBuf,
    /// The journal's fsync count, and its value when the engine started.
    syncs: (Arc<std::sync::atomic::AtomicU64>, u64),
    /// The retries the engine journalled: step, attempt to come, of how many.
    retries: Vec<(String, u32, u32)>,
}

fn start(yaml: &str, auto: bool, values: Vec<(&str, &str)>) -> Harness {
    start_with(yaml, auto, values, false)
}

fn start_with(
    yaml: &str,
    auto: bool,
    values: Vec<(&str, &str)>,
    pause_at_optional: bool,
) -> Harness {
    start_full(yaml, auto, values, pause_at_optional, vec![])
}

/// Like `start`, in manual mode, with the real values of secret inputs.
fn start_with_secrets(yaml: &str, values: Vec<(&str, &str)>, secrets: Vec<&str>) -> Harness {
    start_full(yaml, false, values, false, secrets)
}

fn start_full(
    yaml: &str,
    auto: bool,
    values: Vec<(&str, &str)>,
    pause_at_optional: bool,
    secrets: Vec<&str>,
) -> Harness {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let runbook = stepwise::runbook::load::load_str("test.yaml", yaml).expect("valid runbook");
    let path = work.path().join("test.yaml");
    std::fs::write(&path, yaml).unwrap();
    let opened = open::start(StartOptions {
        home: home.path(),
        runbook_path: &path,
        source: yaml.as_bytes(),
        runbook,
        auto,
        from_step: None,
        inputs: &[],
        clock: Arc::new(SystemClock),
        operator: None,
    })
    .unwrap();
    let values: Vec<(String, String)> = values
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    let setup = Setup {
        session_dir: opened.dir.clone(),
        shell: vec!["sh".into(), "-ec".into()],
        base_dir: work.path().to_owned(),
        values,
        secrets: secrets.into_iter().map(Into::into).collect(),
        auto,
        pause_at_optional,
        held: vec![],
        grace: Duration::from_millis(500),
        drain: Duration::from_millis(500),
        after_step: None,
        runner: Arc::new(stepwise::runner::ProcessRunner),
        close_when_left: None,
        cadence_sends: false,
        ask_before_closing: false,
        fleet: Default::default(),
    };
    let (cmd_tx, cmd_rx) = mpsc::channel(16);
    let (up_tx, up_rx) = mpsc::channel(1024);
    let session = opened.session.clone();
    let dir = opened.dir.clone();
    let lock = opened.lock;
    let counter = opened.journal.sync_counter();
    let syncs = (counter.clone(), counter.load(Ordering::SeqCst));
    let engine =
        tokio::spawn(Engine::new(opened.journal, opened.session, setup, up_tx).run(cmd_rx));
    Harness {
        cmds: cmd_tx,
        updates: up_rx,
        session,
        engine,
        _lock: lock,
        _home: home,
        work,
        dir,
        syncs,
        retries: Vec::new(),
    }
}

impl Harness {
    /// Applies updates until the engine is idle (or ended); returns the
    /// rejections seen on the way.
    async fn settle(&mut self) -> Vec<String> {
        let mut rejected = Vec::new();
        loop {
            let u = tokio::time::timeout(Duration::from_secs(20), self.updates.recv())
                .await
                .expect("the engine answered within 20 s")
                .expect("the engine is alive");
            match u {
                Update::Record(r) => {
                    if let Event::RetryScheduled {
                        step, attempt, of, ..
                    } = &r.event
                    {
                        self.retries.push((step.clone(), *attempt, *of));
                    }
                    self.session.apply(&r)
                }
                Update::Rejected(why) => rejected.push(why),
                Update::Idle | Update::Ended(_) => return rejected,
                Update::Output { .. } | Update::HostOutput { .. } | Update::EndedAway { .. } => {}
            }
        }
    }

    /// Starts `step` and applies updates until its first output arrives.
    async fn start_until_output(&mut self, step: &str) {
        let start = Command::Start { step: step.into() };
        self.cmds.send(start).await.unwrap();
        loop {
            match self.updates.recv().await.unwrap() {
                Update::Record(r) => self.session.apply(&r),
                Update::Output { .. } => return,
                _ => {}
            }
        }
    }

    async fn send(&mut self, c: Command) -> Vec<String> {
        self.cmds.send(c).await.unwrap();
        self.settle().await
    }

    fn status(&self, id: &str) -> StepStatus {
        self.session.step(id).unwrap().status.clone()
    }

    /// The fsyncs the engine made so far.
    fn syncs(&self) -> u64 {
        self.syncs.0.load(Ordering::SeqCst) - self.syncs.1
    }

    async fn end(self) -> End {
        drop(self.cmds);
        self.engine.await.unwrap()
    }
}

const THREE: &str = "runbook: 1\nid: t\ntitle: T\nsections:\n  - title: S\n    steps:\n      - title: One\n        run: echo one\n      - title: Two\n        run: echo two\n      - title: Human\n        note: required\n";

#[tokio::test(flavor = "multi_thread")]
async fn auto_mode_runs_automated_steps_back_to_back_and_stops_at_a_human_step() {
    let mut h = start(THREE, true, vec![]);
    h.settle().await;
    assert_eq!(h.status("one"), StepStatus::Succeeded);
    assert_eq!(h.status("two"), StepStatus::Succeeded);
    assert_eq!(h.status("human"), StepStatus::Pending);
    assert_eq!(h.session.next_step(), Some(2));
}

/// Group commit: a step's exit is made durable by the fsync of the next
/// step's "started" record (due before its spawn anyway), and the last exit
/// by the sync before the engine waits for a person. Two automated steps
/// then a human one: three fsyncs where one per record would make four.
#[tokio::test(flavor = "multi_thread")]
async fn auto_mode_fsyncs_once_per_step_and_before_it_waits_for_a_person() {
    let mut h = start(THREE, true, vec![]);
    h.settle().await;
    assert_eq!(h.status("two"), StepStatus::Succeeded);
    assert_eq!(h.syncs(), 3, "one per step started, one before waiting");
    h.send(Command::Confirm {
        step: "human".into(),
        note: Some("ok".into()),
        checked: vec![],
        via: ConfirmedVia::Operator,
    })
    .await;
    assert_eq!(
        h.syncs(),
        5,
        "the confirmation and the completion, each synced"
    );
    assert_eq!(h.end().await, End::Completed);
}

/// The driver hears of a step's exit only once the fsync that covers it
/// is done: one per started step before it, and one more for the last exit.
#[tokio::test(flavor = "multi_thread")]
async fn a_step_exit_reaches_the_driver_only_once_it_is_durable() {
    let mut h = start(THREE, true, vec![]);
    let mut exits = 0;
    loop {
        let u = tokio::time::timeout(Duration::from_secs(20), h.updates.recv())
            .await
            .expect("the engine answered")
            .expect("the engine is alive");
        match u {
            Update::Record(r) => {
                if matches!(r.event, stepwise::session::event::Event::StepExited { .. }) {
                    exits += 1;
                    // Exit k is covered by step k+1's "started" (or, for
                    // the last one, the sync before waiting): k+1 fsyncs.
                    assert!(
                        h.syncs() > exits,
                        "exit {exits} announced after {} fsyncs",
                        h.syncs()
                    );
                }
                h.session.apply(&r);
            }
            Update::Idle | Update::Ended(_) => break,
            _ => {}
        }
    }
    assert_eq!(exits, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn manual_mode_runs_nothing_until_asked_and_a_required_note_is_enforced() {
    let mut h = start(THREE, false, vec![]);
    h.settle().await;
    assert_eq!(h.status("one"), StepStatus::Pending);
    h.send(Command::Start { step: "one".into() }).await;
    assert_eq!(h.status("one"), StepStatus::Succeeded);
    let confirm = |note: Option<&str>| Command::Confirm {
        step: "human".into(),
        note: note.map(Into::into),
        checked: vec![],
        via: ConfirmedVia::Operator,
    };
    let rejected = h.send(confirm(Some("  "))).await;
    assert!(rejected[0].contains("needs a note"), "{rejected:?}");
    assert_eq!(h.status("human"), StepStatus::Pending);
    let rejected = h
        .send(Command::Start {
            step: "human".into(),
        })
        .await;
    assert!(rejected[0].contains("human step"), "{rejected:?}");
    h.send(Command::Skip {
        step: "two".into(),
        reason: "not needed".into(),
    })
    .await;
    h.send(confirm(Some("INC-7"))).await;
    assert_eq!(h.end().await, End::Completed);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_runs_a_second_attempt_that_can_pass() {
    let yaml = "runbook: 1\nid: t\ntitle: T\nsections:\n  - title: S\n    steps:\n      - title: Flaky\n        run: if [ -e marker ]; then echo ok; else touch marker; exit 1; fi\n        retry: { attempts: 3, delay: 10ms }\n";
    let mut h = start(yaml, true, vec![]);
    h.settle().await;
    let st = h.session.step("flaky").unwrap();
    assert_eq!(st.status, StepStatus::Succeeded);
    assert_eq!(st.attempts.len(), 2);
    assert_eq!(
        h.retries,
        [("flaky".to_owned(), 2, 3)],
        "the wait was journalled"
    );
    assert_eq!(st.attempts[0].success, Some(false));
    assert!(h.work.path().join("marker").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn on_failure_abort_ends_the_session_and_continue_moves_on() {
    let abort = "runbook: 1\nid: t\ntitle: T\nsections:\n  - title: S\n    steps:\n      - title: Bad\n        run: exit 4\n        on_failure: abort\n      - title: Never\n        run: echo never\n";
    let mut h = start(abort, true, vec![]);
    h.settle().await;
    assert_eq!(h.status("never"), StepStatus::Pending);
    assert_eq!(h.end().await, End::Aborted);
    let cont = abort.replace("on_failure: abort", "on_failure: continue");
    let mut h = start(&cont, true, vec![]);
    h.settle().await;
    assert_eq!(h.status("bad"), StepStatus::Failed);
    assert_eq!(h.status("never"), StepStatus::Succeeded);
    assert_eq!(h.end().await, End::Completed);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failure_with_ask_waits_and_expect_exit_accepts_listed_codes() {
    let yaml = "runbook: 1\nid: t\ntitle: T\nsections:\n  - title: S\n    steps:\n      - title: Three\n        run: exit 3\n        expect_exit: [0, 3]\n      - title: Bad\n        run: exit 1\n      - title: After\n        run: echo after\n";
    let mut h = start(yaml, true, vec![]);
    h.settle().await;
    assert_eq!(h.status("three"), StepStatus::Succeeded);
    assert_eq!(h.status("bad"), StepStatus::Failed);
    assert_eq!(
        h.status("after"),
        StepStatus::Pending,
        "auto mode must stop at a failure"
    );
    h.send(Command::MarkDone {
        step: "bad".into(),
        note: Some("fixed by hand".into()),
    })
    .await;
    assert_eq!(h.status("bad"), StepStatus::DoneByHand);
    assert_eq!(h.status("after"), StepStatus::Succeeded);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_capture_flows_into_a_later_step_as_an_environment_variable() {
    let yaml = "runbook: 1\nid: t\ntitle: T\ninputs:\n  NAME: { default: x }\nsections:\n  - title: S\n    steps:\n      - title: Find\n        run: printf '  v1.4.2\\n'\n        capture: VERSION\n      - title: Use\n        run: 'test \"$VERSION\" = v1.4.2 && printf %s \"$NAME\" > got'\n";
    let mut h = start(yaml, true, vec![("NAME", "'; touch pwned #")]);
    h.settle().await;
    assert_eq!(h.status("use"), StepStatus::Succeeded);
    assert!(
        h.session
            .captures
            .iter()
            .any(|c| c.name == "VERSION" && c.value == "v1.4.2")
    );
    assert!(!h.work.path().join("pwned").exists());
    let got = std::fs::read_to_string(h.work.path().join("got")).unwrap();
    assert_eq!(
        got, "'; touch pwned #",
        "the value reached the command literally"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_stops_a_running_step_and_a_timeout_is_recorded() {
    let yaml = "runbook: 1\nid: t\ntitle: T\nsections:\n  - title: S\n    steps:\n      - title: Long\n        run: echo started; sleep 30\n      - title: Slow\n        run: sleep 30\n        timeout: 200ms\n";
    let mut h = start(yaml, false, vec![]);
    h.settle().await;
    // Wait for the step's first output, then cancel it.
    h.start_until_output("long").await;
    h.send(Command::Cancel {
        reason: "wrong host".into(),
    })
    .await;
    let long = h.session.step("long").unwrap();
    assert_eq!(long.status, StepStatus::Failed);
    assert_eq!(long.attempts[0].cancelled.as_deref(), Some("wrong host"));
    h.send(Command::Start {
        step: "slow".into(),
    })
    .await;
    let slow = h.session.step("slow").unwrap();
    assert_eq!(slow.status, StepStatus::Failed);
    assert!(slow.attempts[0].timed_out);
}

#[tokio::test(flavor = "multi_thread")]
async fn skipping_an_optional_section_skips_each_of_its_steps_with_one_reason() {
    let yaml = "runbook: 1\nid: t\ntitle: T\nsections:\n  - title: Main\n    steps:\n      - title: A\n        run: echo a\n  - title: Troubleshooting\n    optional: true\n    steps:\n      - title: Logs\n        run: echo logs\n      - title: Ask\n";
    let mut h = start(yaml, false, vec![]);
    h.settle().await;
    h.send(Command::SkipSection {
        section: 1,
        reason: "healthy now".into(),
    })
    .await;
    for id in ["logs", "ask"] {
        assert_eq!(
            h.status(id),
            StepStatus::Skipped {
                reason: "healthy now".into()
            }
        );
    }
    h.send(Command::Start { step: "a".into() }).await;
    assert_eq!(h.end().await, End::Completed);
}

#[tokio::test(flavor = "multi_thread")]
async fn leaving_records_the_session_as_left_and_notes_attach_to_steps() {
    let mut h = start(THREE, false, vec![]);
    h.settle().await;
    h.send(Command::Note {
        step: Some("two".into()),
        text: "owner: Ana".into(),
    })
    .await;
    assert_eq!(h.session.step("two").unwrap().notes[0].text, "owner: Ana");
    h.cmds.send(Command::Leave).await.unwrap();
    h.settle().await;
    assert!(matches!(
        h.session.status,
        stepwise::session::state::SessionStatus::Left
    ));
    assert!(matches!(h.engine.await.unwrap(), End::Left));
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_mode_can_wait_at_an_optional_section_instead_of_running_it() {
    let yaml = "runbook: 1\nid: t\ntitle: T\nsections:\n  - title: Main\n    steps:\n      - title: A\n        run: echo a\n  - title: Troubleshooting\n    optional: true\n    steps:\n      - title: Logs\n        run: echo logs\n      - title: More\n        run: echo more\n";
    let mut h = start_with(yaml, true, vec![], true);
    h.settle().await;
    assert_eq!(h.status("a"), StepStatus::Succeeded);
    assert_eq!(
        h.status("logs"),
        StepStatus::Pending,
        "auto mode ran an optional section unasked"
    );
    // Once the operator starts it, auto mode carries on through the section.
    h.send(Command::Start {
        step: "logs".into(),
    })
    .await;
    assert_eq!(h.status("more"), StepStatus::Succeeded);
    assert_eq!(h.end().await, End::Completed);
}

const FLAKY_OPTIONAL: &str = "runbook: 1\nid: t\ntitle: T\nsections:\n  - title: Main\n    steps:\n      - title: A\n        run: echo a\n  - title: Extra\n    optional: true\n    steps:\n      - title: Flaky\n        run: echo try >> tries; exit 1\n        retry: { attempts: 3, delay: 2s }\n";

/// Starts `flaky` and waits for its first attempt to fail (a retry is then
/// pending for 2 s).
async fn first_attempt_failed(h: &mut Harness) {
    h.send(Command::Start { step: "a".into() }).await;
    h.cmds
        .send(Command::Start {
            step: "flaky".into(),
        })
        .await
        .unwrap();
    while h.session.step("flaky").unwrap().status != StepStatus::Failed {
        if let Update::Record(r) = h.updates.recv().await.unwrap() {
            h.session.apply(&r);
        }
    }
}

fn tries(h: &Harness) -> usize {
    std::fs::read_to_string(h.work.path().join("tries")).map_or(0, |s| s.lines().count())
}

#[tokio::test(flavor = "multi_thread")]
async fn skipping_a_section_during_a_retry_delay_stops_the_retry() {
    let mut h = start(FLAKY_OPTIONAL, false, vec![]);
    h.settle().await;
    first_attempt_failed(&mut h).await;
    h.send(Command::SkipSection {
        section: 1,
        reason: "healthy".into(),
    })
    .await;
    let tries_then = tries(&h);
    assert!(matches!(h.status("flaky"), StepStatus::Skipped { .. }));
    assert_eq!(h.end().await, End::Completed, "the skipped step came back");
    assert_eq!(tries_then, 1);
}

// Cancel during a retry delay: `crates/stepwise-core/tests/engine_policy.rs`
// (on a paused clock, where waiting past the delay costs nothing).

// ---- Giving an input during the session -------------------------------

const TAGGED: &str = r#"runbook: 1
id: t
title: T
inputs:
  TAG: { pattern: '^v\d+$' }
  TARGET: { choices: [staging, production], default: staging }
sections:
  - title: S
    steps:
      - title: Before
        run: echo "tag=$TAG"
      - title: After
        run: echo "tag=$TAG target=$TARGET"
      - title: Long
        run: echo started; sleep 30
"#;

impl Harness {
    /// The bytes of an attempt's log.
    fn log(&self, step: &str, attempt: u32) -> String {
        let path = self.dir.join(format!("output/{step}.{attempt}.log"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    async fn give(&mut self, name: &str, value: &str) -> Vec<String> {
        self.send(Command::GiveInput {
            name: name.into(),
            value: value.into(),
        })
        .await
    }

    fn input(&self, name: &str) -> stepwise::session::state::InputValue {
        self.session
            .inputs
            .iter()
            .find(|i| i.name == name)
            .cloned()
            .unwrap_or_else(|| panic!("no input {name}"))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_input_given_during_the_session_reaches_the_steps_after_it() {
    let mut h = start(TAGGED, false, vec![("TAG", "v1"), ("TARGET", "staging")]);
    h.settle().await;
    h.send(Command::Start {
        step: "before".into(),
    })
    .await;
    assert_eq!(h.log("before", 1), "tag=v1\n");
    assert_eq!(h.give("TAG", "v2").await, Vec::<String>::new());
    assert_eq!(h.give("TARGET", "production").await, Vec::<String>::new());
    h.send(Command::Start {
        step: "after".into(),
    })
    .await;
    assert_eq!(h.log("after", 1), "tag=v2 target=production\n");
    let tag = h.input("TAG");
    assert_eq!(tag.value, "v2");
    assert_eq!(tag.source, InputSource::Changed);
    // The journal holds the change, by the operator, and a resume folds it.
    let journal = std::fs::read_to_string(h.dir.join("journal.jsonl")).unwrap();
    let line = journal
        .lines()
        .find(|l| l.contains(r#""source":"changed""#) && l.contains(r#""name":"TAG""#))
        .expect("the change is journalled");
    assert!(
        line.contains(r#""value":"v2""#) && line.contains(r#""by":"#),
        "{line}"
    );
    let loaded = stepwise::session::journal::read(&h.dir.join("journal.jsonl")).unwrap();
    let folded = Session::from_records(h.session.runbook.clone(), loaded.records.iter());
    assert_eq!(
        folded
            .inputs
            .iter()
            .find(|i| i.name == "TAG")
            .unwrap()
            .value,
        "v2"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_input_change_is_refused_for_a_bad_value_an_unknown_name_or_a_running_step() {
    let mut h = start(TAGGED, false, vec![("TAG", "v1"), ("TARGET", "staging")]);
    h.settle().await;
    let refused = h.give("TAG", "1.4.2").await;
    assert!(
        refused[0].contains("TAG must match the pattern"),
        "{refused:?}"
    );
    let refused = h.give("TARGET", "prod").await;
    assert!(
        refused[0].contains("must be one of: staging, production"),
        "{refused:?}"
    );
    let refused = h.give("TAG", "").await;
    assert!(refused[0].contains("TAG needs a value"), "{refused:?}");
    let refused = h.give("STABLE_TAG", "v2").await;
    assert!(
        refused[0].contains("no input named STABLE_TAG (inputs: TAG, TARGET)"),
        "{refused:?}"
    );
    let refused = h.give("TAG", "v1").await;
    assert!(refused[0].contains("already has this value"), "{refused:?}");
    // While a step runs.
    h.start_until_output("long").await;
    h.cmds
        .send(Command::GiveInput {
            name: "TAG".into(),
            value: "v2".into(),
        })
        .await
        .unwrap();
    let refused = loop {
        match h.updates.recv().await.unwrap() {
            Update::Rejected(why) => break why,
            Update::Record(r) => h.session.apply(&r),
            _ => {}
        }
    };
    assert!(refused.contains("`long` is running"), "{refused}");
    h.send(Command::Cancel {
        reason: "enough".into(),
    })
    .await;
    assert!(
        h.session.inputs.iter().all(|i| !i.changed()),
        "nothing changed"
    );
    let journal = std::fs::read_to_string(h.dir.join("journal.jsonl")).unwrap();
    assert!(!journal.contains(r#""source":"changed""#), "{journal}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_given_during_the_session_is_used_but_never_stored() {
    let yaml = r#"runbook: 1
id: t
title: T
inputs:
  TOKEN: { secret: true }
  TICKET: { required: false }
sections:
  - title: S
    steps:
      - title: Use
        run: 'echo "token=$TOKEN"; test "${TOKEN#n3w-}" = s3cret-value && echo matched'
"#;
    let old = "0ld-s3cret-value";
    let new = "n3w-s3cret-value";
    let mut h = start_with_secrets(yaml, vec![("TOKEN", old)], vec![old]);
    h.settle().await;
    assert_eq!(h.give("TOKEN", new).await, Vec::<String>::new());
    // A plain input cannot carry a secret into the journal.
    let refused = h.give("TICKET", &format!("INC-1 {new}")).await;
    assert!(refused[0].contains("holds a secret"), "{refused:?}");
    // A note that quotes it is masked too.
    h.send(Command::Note {
        step: None,
        text: format!("rotated to {new}"),
    })
    .await;
    h.send(Command::Start { step: "use".into() }).await;
    assert_eq!(
        h.status("use"),
        StepStatus::Succeeded,
        "the step got the new value"
    );
    assert_eq!(h.log("use", 1), "token=••••••\nmatched\n");
    let token = h.input("TOKEN");
    assert!(token.secret && token.changed());
    assert_eq!(token.value, "••••••");
    for entry in walk(&h.dir) {
        let bytes = std::fs::read(&entry).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(new),
            "{} holds the new secret",
            entry.display()
        );
        assert!(
            !text.contains(old),
            "{} holds the old secret",
            entry.display()
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p);
        }
    }
    files
}

/// What stepwise starts on its own (auto mode, a scheduled retry) is
/// journalled without an operator; a step a person starts carries them.
#[tokio::test(flavor = "multi_thread")]
async fn steps_started_by_stepwise_itself_are_not_recorded_as_the_operators() {
    let yaml = "runbook: 1\nid: t\ntitle: T\nsections:\n  - title: S\n    steps:\n      - title: Flaky\n        run: if [ -e marker ]; then echo ok; else touch marker; exit 1; fi\n        retry: { attempts: 3, delay: 10ms }\n";
    let started_by = |dir: &std::path::Path| -> Vec<bool> {
        let journal = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
        journal
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["type"] == "step_started")
            .map(|v| v.get("by").is_some())
            .collect()
    };
    let mut h = start(yaml, true, vec![]);
    h.settle().await;
    assert_eq!(h.status("flaky"), StepStatus::Succeeded);
    assert_eq!(started_by(&h.dir), [false, false], "auto start, then retry");
    let mut h = start(yaml, false, vec![]);
    h.settle().await;
    h.send(Command::Start {
        step: "flaky".into(),
    })
    .await;
    assert_eq!(h.status("flaky"), StepStatus::Succeeded);
    assert_eq!(started_by(&h.dir), [true, false], "by hand, then the retry");
}
