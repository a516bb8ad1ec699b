//! The whole interface driven in memory: the real event loop, the real
//! engine (with a scripted runner), keys from a channel and a TestBackend
//! screen, no pseudo-terminal. Checks what the keys leave in the journal.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;
use std::time::Duration;
use stepwise::engine::engine::{Engine, Setup};
use stepwise::engine::open::{self, StartOptions};
use stepwise::runner::ScriptedRunner;
use stepwise::session::clock::SystemClock;
use stepwise::session::event::Event as Recorded;
use stepwise::session::journal;
use stepwise::tui::app::App;
use stepwise::tui::{MemoryHost, TuiEnd, event_loop};
use tokio::sync::mpsc;

const RUNBOOK: &str = "runbook: 1\nid: t\ntitle: T\nsections:\n  - title: S\n    steps:\n      - title: Build\n        run: make\n      - title: Ship\n        run: ship\n      - title: Tell the team\n";

fn key(c: char) -> std::io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

/// The journal's events, as written so far.
fn events(dir: &std::path::Path) -> Vec<Recorded> {
    journal::read(&dir.join("journal.jsonl"))
        .unwrap()
        .records
        .into_iter()
        .map(|r| r.event)
        .collect()
}

/// Waits until the journal holds `n` events matching `f`.
async fn until(dir: &std::path::Path, n: usize, f: impl Fn(&Recorded) -> bool) {
    for _ in 0..2000 {
        if events(dir).iter().filter(|e| f(e)).count() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the journal never got there: {:#?}", events(dir));
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_mode_toggled_with_a_is_journalled_both_ways_and_exported() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("t.yaml");
    std::fs::write(&path, RUNBOOK).unwrap();
    let runbook = stepwise::runbook::load::load_str("t.yaml", RUNBOOK).unwrap();
    let opened = open::start(StartOptions {
        home: home.path(),
        runbook_path: &path,
        source: RUNBOOK.as_bytes(),
        runbook,
        auto: false,
        from_step: None,
        inputs: &[],
        clock: Arc::new(SystemClock),
        operator: None,
    })
    .unwrap();
    let dir = opened.dir.clone();
    let setup = Setup {
        session_dir: dir.clone(),
        shell: vec!["sh".into(), "-c".into()],
        base_dir: home.path().to_owned(),
        values: vec![],
        secrets: vec![],
        auto: false,
        pause_at_optional: true,
        held: vec![],
        grace: Duration::from_secs(1),
        drain: Duration::from_secs(1),
        after_step: None,
        runner: Arc::new(ScriptedRunner::new()),
        close_when_left: None,
        cadence_sends: false,
        ask_before_closing: false,
        fleet: Default::default(),
    };
    let (cmd_tx, cmd_rx) = mpsc::channel(16);
    let (up_tx, up_rx) = mpsc::channel(64);
    let app = App::new(opened.session.clone(), vec![], chrono::Utc::now(), false);
    let engine =
        tokio::spawn(Engine::new(opened.journal, opened.session, setup, up_tx).run(cmd_rx));
    let (keys, keys_rx) = mpsc::unbounded_channel();
    let stream =
        futures::stream::unfold(
            keys_rx,
            |mut rx| async move { rx.recv().await.map(|k| (k, rx)) },
        );
    let tui = tokio::spawn(async move {
        let mut host = MemoryHost(Terminal::new(TestBackend::new(100, 30)).unwrap());
        let end = event_loop(&mut host, Box::pin(stream), None, app, cmd_tx, up_rx).await;
        (end, host)
    });

    keys.send(key('a')).unwrap();
    until(&dir, 2, |e| {
        matches!(e, Recorded::StepExited { success: true, .. })
    })
    .await;
    keys.send(key('a')).unwrap();
    until(&dir, 1, |e| {
        matches!(e, Recorded::AutoChanged { on: false })
    })
    .await;
    keys.send(key('q')).unwrap();
    keys.send(Ok(Event::Key(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    ))))
    .unwrap();
    let (end, host) = tui.await.unwrap();
    assert_eq!(end.unwrap().0, TuiEnd::Left);
    engine.await.unwrap();

    let changes: Vec<bool> = events(&dir)
        .iter()
        .filter_map(|e| match e {
            Recorded::AutoChanged { on } => Some(*on),
            _ => None,
        })
        .collect();
    assert_eq!(changes, [true, false]);
    let screen = format!("{:?}", host.0.backend());
    assert!(screen.contains("Tell the team"), "{screen}");

    let (session, records) = stepwise::session::store::read_session(&dir).unwrap();
    let ctx = stepwise::transcript::load_context(&dir, &session, records).unwrap();
    let render = |f| stepwise::transcript::render(&session, &ctx, f);
    use stepwise::transcript::Format;
    for format in [Format::Markdown, Format::Html] {
        let text = render(format);
        let on = text.find("Auto mode on").expect("auto on in the timeline");
        let off = text
            .find("Auto mode off")
            .expect("auto off in the timeline");
        assert!(on < off, "{format:?}: in the order they happened");
    }
    let json: serde_json::Value = serde_json::from_str(&render(Format::Json)).unwrap();
    let history: Vec<bool> = json["session"]["auto"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["on"].as_bool().unwrap())
        .collect();
    assert_eq!(history, [false, true, false], "start, then both changes");
}
