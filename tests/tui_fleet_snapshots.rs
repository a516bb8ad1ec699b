//! A fleet step on screen (TestBackend + insta, fixed clock, 80x24 and
//! 100x30): the question between two batches, the fleet failure prompt,
//! the host grid in the log pane and one host's own log.

#[path = "tui_fixture.rs"]
mod fixture;

use crossterm::event::KeyCode;
use fixture::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use stepwise::engine::command::Update;
use stepwise::runbook::model::{HostTransport, Target};
use stepwise::session::event::{Event, ExitInfo, Record, Stream};
use stepwise::session::state::Session;
use stepwise::tui::app::{App, Msg};
use stepwise::tui::view;

fn fleet_app(records: &[Record]) -> App {
    let mut book = runbook();
    book.targets.push(Target {
        name: "web".into(),
        hosts: vec!["web-1".into(), "web-2".into(), "web-3".into()],
        hosts_from: None,
        group: None,
        transport: HostTransport::Local,
    });
    let deploy = book
        .sections
        .iter_mut()
        .flat_map(|s| s.steps.iter_mut())
        .find(|s| s.id == "deploy")
        .unwrap();
    deploy.on = vec!["web".into()];
    deploy.confirm = false;
    let session = Session::from_records(book, records);
    let now = t0() + chrono::Duration::seconds(125);
    let mut app = App::new(session, vec!["API_TOKEN".into()], now, false);
    app.update(Msg::Resize(100, 30));
    app
}

fn host_started(seq: u64, host: &str, batch: u32) -> Record {
    rec(
        seq,
        80,
        Event::HostStarted {
            step: "deploy".into(),
            attempt: 1,
            host: host.into(),
            batch,
            log: format!("output/deploy.{host}.1.log"),
        },
    )
}

fn host_exited(seq: u64, host: &str, code: i32, message: Option<&str>) -> Record {
    rec(
        seq,
        81,
        Event::HostExited {
            step: "deploy".into(),
            attempt: 1,
            host: host.into(),
            exit: ExitInfo {
                code: Some(code),
                signal: None,
            },
            duration_ms: 1500,
            success: code == 0,
            message: message.map(Into::into),
        },
    )
}

fn host_output(app: &mut App, host: &str, text: &str) {
    app.update(Msg::Engine(Update::HostOutput {
        step: "deploy".into(),
        host: host.into(),
        stream: Stream::Stdout,
        bytes: text.as_bytes().to_vec(),
    }));
}

/// The records of `midway()`, then deploy started and planned in
/// `batches` (no failure allowed).
fn deploy_planned(batches: &[&[&str]]) -> Vec<Record> {
    let mut r = midway();
    r.push(started_step(7, 75, "deploy", 1));
    let batches = batches
        .iter()
        .map(|b| b.iter().map(|h| h.to_string()).collect())
        .collect();
    r.push(rec(
        8,
        75,
        Event::FleetPlanned {
            step: "deploy".into(),
            attempt: 1,
            batches,
            budget: 0,
            numbers: vec![],
        },
    ));
    r
}

/// deploy runs on web-1 (the canary batch), which succeeds: the rollout
/// waits before web-2 and web-3.
fn after_the_canary() -> App {
    let r = deploy_planned(&[&["web-1"], &["web-2", "web-3"]]);
    let mut app = fleet_app(&r);
    engine(&mut app, host_started(9, "web-1", 1));
    host_output(&mut app, "web-1", "deploying v1.4.2\nweb-1 healthy\n");
    engine(&mut app, host_exited(10, "web-1", 0, None));
    let waiting = Event::BatchWaiting {
        step: "deploy".into(),
        attempt: 1,
        batch: 1,
    };
    engine(&mut app, rec(11, 82, waiting));
    app
}

/// The operator says go on after the canary batch.
fn go_on_after_batch_one(app: &mut App) {
    let answered = Event::BatchAnswered {
        step: "deploy".into(),
        attempt: 1,
        batch: 1,
        proceed: true,
        via: stepwise::session::event::ConfirmedVia::Operator,
    };
    engine(app, rec(12, 90, answered));
}

/// The second batch: web-3 fails, the budget (0) stops the rollout.
fn failed(mut app: App) -> App {
    go_on_after_batch_one(&mut app);
    engine(&mut app, host_started(13, "web-2", 2));
    engine(&mut app, host_started(14, "web-3", 2));
    host_output(&mut app, "web-3", "deploying v1.4.2\ndisk full on /srv\n");
    engine(&mut app, host_exited(15, "web-3", 1, None));
    let stopped = Event::RolloutStopped {
        step: "deploy".into(),
        attempt: 1,
        reason: "1 host(s) failed, more than the 0 allowed (`max_failures`): no new host starts"
            .into(),
    };
    engine(&mut app, rec(16, 91, stopped));
    host_output(&mut app, "web-2", "deploying v1.4.2\nweb-2 healthy\n");
    engine(&mut app, host_exited(17, "web-2", 0, None));
    engine(&mut app, exited(18, 92, "deploy", 1, 1));
    app.update(Msg::Engine(Update::Idle));
    app
}

fn snap(name: &str, app: &mut App) {
    for (w, h) in [(100, 30), (80, 24)] {
        app.update(Msg::Resize(w, h));
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| view::render(f, app)).unwrap();
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
    }
}

#[test]
fn the_batch_question_shows_the_batch_results() {
    let mut app = after_the_canary();
    snap("fleet_batch_question", &mut app);
}

#[test]
fn a_failed_fleet_step_gets_the_fleet_failure_prompt() {
    let mut app = failed(after_the_canary());
    snap("fleet_failure_prompt", &mut app);
}

#[test]
fn the_host_grid_and_a_host_log_in_the_log_pane() {
    let mut app = failed(after_the_canary());
    app.update(key(KeyCode::Esc));
    app.update(ch('h'));
    app.update(ch('j'));
    app.update(ch('j'));
    snap("fleet_host_grid", &mut app);
    app.update(key(KeyCode::Enter));
    snap("fleet_host_log", &mut app);
    app.update(key(KeyCode::Esc));
    assert!(app.grid_shown());
    app.update(key(KeyCode::Esc));
    assert!(app.hosts.is_none());
}

/// A fleet step taken up after stepwise died during its second batch: the
/// hosts' own exits were journalled, the step's outcome is the operator's
/// to say; the prompt shows the hosts, not a process group.
#[test]
fn a_fleet_step_left_running_asks_with_its_hosts() {
    let mut app = after_the_canary();
    go_on_after_batch_one(&mut app);
    engine(&mut app, host_started(13, "web-2", 2));
    engine(
        &mut app,
        host_exited(
            14,
            "web-2",
            0,
            Some("finished while stepwise was not running"),
        ),
    );
    let unknown = Event::OutcomeUnknown {
        step: "deploy".into(),
        attempt: 1,
    };
    engine(&mut app, rec(15, 95, unknown));
    app.update(Msg::Engine(Update::Idle));
    app.update(Msg::Resize(100, 30));
    let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
    t.draw(|f| view::render(f, &app)).unwrap();
    let screen = t.backend().to_string();
    assert!(screen.contains("Outcome unknown"), "{screen}");
    assert!(
        screen.contains("each started host's exit is recorded"),
        "{screen}"
    );
    assert!(screen.contains("3 hosts: ✓2, 1 not reached"), "{screen}");
    assert!(
        screen.contains("r goes on with the rest: web-3"),
        "{screen}"
    );
    assert!(!screen.contains("Its monitor is gone"), "{screen}");
}

/// A follower (read only) is not asked "Next batch?" with keys it cannot
/// use (its Details pane says the batch waits, as for anyone).
#[test]
fn a_follower_is_not_asked_the_batch_question() {
    let r = deploy_planned(&[&["web-1"], &["web-2"]]);
    let mut app = fleet_app(&r);
    app.read_only = true;
    engine(&mut app, host_started(9, "web-1", 1));
    engine(&mut app, host_exited(10, "web-1", 0, None));
    let waiting = Event::BatchWaiting {
        step: "deploy".into(),
        attempt: 1,
        batch: 1,
    };
    engine(&mut app, rec(11, 82, waiting));
    assert!(app.session.step("deploy").unwrap().fleet.waiting.is_some());
    assert!(app.modal.is_none(), "{:?}", app.modal);
}

/// A fleet step outcome unknown in an interface that never saw its output
/// (a resume): the prompt's "Last output" reads the hosts' logs from the
/// session folder, rather than saying none was recorded.
#[test]
fn the_unknown_prompt_of_a_fleet_step_shows_its_hosts_last_lines() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("output")).unwrap();
    std::fs::write(
        dir.path().join("output/deploy.web-1.1.log"),
        "deploying v1.4.2\nweb-1 healthy\n",
    )
    .unwrap();
    let mut r = deploy_planned(&[&["web-1"], &["web-2", "web-3"]]);
    r.push(host_started(9, "web-1", 1));
    r.push(host_exited(10, "web-1", 0, None));
    let mut app = fleet_app(&r);
    app.session_dir = Some(dir.path().to_path_buf());
    let unknown = Event::OutcomeUnknown {
        step: "deploy".into(),
        attempt: 1,
    };
    engine(&mut app, rec(11, 95, unknown));
    app.update(Msg::Engine(Update::Idle));
    let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
    t.draw(|f| view::render(f, &app)).unwrap();
    let screen = t.backend().to_string();
    assert!(screen.contains("Outcome unknown"), "{screen}");
    assert!(screen.contains("[web-1] web-1 healthy"), "{screen}");
    assert!(!screen.contains("none recorded"), "{screen}");
}

/// A rollout stopped after its canary with no go-ahead (nobody went on):
/// no host failed, so the prompt says the rollout stopped, not that the
/// step's hosts failed, and `r` goes on with the rest.
#[test]
fn a_rollout_stopped_between_batches_is_not_called_a_failure() {
    let mut app = after_the_canary();
    let answered = Event::BatchAnswered {
        step: "deploy".into(),
        attempt: 1,
        batch: 1,
        proceed: false,
        via: stepwise::session::event::ConfirmedVia::Nobody,
    };
    engine(&mut app, rec(12, 90, answered));
    let stopped = Event::RolloutStopped {
        step: "deploy".into(),
        attempt: 1,
        reason: "no go-ahead after batch 1".into(),
    };
    engine(&mut app, rec(13, 91, stopped));
    engine(&mut app, exited(14, 92, "deploy", 1, 1));
    app.update(Msg::Engine(Update::Idle));
    app.update(Msg::Resize(100, 30));
    let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
    t.draw(|f| view::render(f, &app)).unwrap();
    let screen = t.backend().to_string();
    assert!(
        screen.contains("Rollout stopped between batches"),
        "{screen}"
    );
    assert!(!screen.contains("Fleet step failed"), "{screen}");
    assert!(screen.contains("■ "), "{screen}");
    assert!(
        screen.contains("Rollout stopped: no go-ahead after batch 1."),
        "{screen}"
    );
    assert!(
        screen.contains("r goes on with the rest: web-2, web-3"),
        "{screen}"
    );
}
