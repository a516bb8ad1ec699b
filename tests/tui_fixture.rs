//! A hand-made runbook and session for the TUI tests (shared by
//! `tui_app.rs` and `tui_snapshots.rs`).
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::Duration;
use stepwise::engine::command::Update;
use stepwise::runbook::model::*;
use stepwise::session::event::*;
use stepwise::session::state::Session;
use stepwise::tui::app::{App, Msg};

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 3, 0, 0).unwrap()
}

pub fn step(id: &str, title: &str, run: Option<&str>) -> Step {
    match run {
        Some(command) => Step::new(id, title).running(command),
        None => Step::new(id, title),
    }
}

fn input(name: &str, default: Option<&str>, pattern: Option<&str>, secret: bool) -> Input {
    Input {
        name: name.into(),
        description: Some(format!("The {name}")),
        default: default.map(Into::into),
        default_from: None,
        pattern: pattern.map(Into::into),
        choices: vec![],
        required: !secret,
        secret,
    }
}

pub fn runbook() -> Runbook {
    let mut identify = step("identify", "Identify the issue", None);
    identify.instructions = Some("Write the symptom and the ticket link in the note.".into());
    identify.note = NoteRule::Required;
    let mut exists = step(
        "tag-exists",
        "Confirm the stable tag exists",
        Some("git rev-parse --verify \"refs/tags/$STABLE_TAG\""),
    );
    exists.timeout = Some(Duration::from_secs(30));
    let mut deploy = step(
        "deploy",
        "Deploy the previous stable version",
        Some("./deploy.sh \"$STABLE_TAG\""),
    );
    deploy.confirm = true;
    deploy.timeout = Some(Duration::from_secs(600));
    let mut health = step(
        "health",
        "Test that the rollback succeeded",
        Some("curl -fsS \"$HEALTH_URL\""),
    );
    health.retry = Retry {
        attempts: 3,
        delay: Duration::from_secs(3),
    };
    let mut notify = step("notify", "Notify affected parties", None);
    notify.checklist = vec![
        "Development team".into(),
        "Operations team".into(),
        "Key stakeholders".into(),
    ];
    let section = |title: &str, optional, steps| Section {
        title: title.into(),
        description: None,
        optional,
        steps,
    };
    Runbook {
        id: "deployment-rollback".into(),
        title: "Deployment rollback".into(),
        description: None,
        inputs: vec![
            input("STABLE_TAG", Some("v1.4.2"), Some(r"v\d+\.\d+\.\d+"), false),
            input("API_TOKEN", None, None, true),
        ],
        env: vec![("DEPLOY_ENV".into(), "production".into())],
        working_dir: None,
        shell: None,
        transcript_dir: None,
        sections: vec![
            section("Pre-rollback checks", false, vec![identify, exists]),
            section("Steps for rolling back", false, vec![deploy, health]),
            section("Communication plan", false, vec![notify]),
            section(
                "Troubleshooting",
                true,
                vec![step("logs", "Check the logs", None)],
            ),
        ],
        follow_up: vec![],
        channels: vec![],
        cadence: None,
        targets: vec![],
    }
}

pub fn rec(seq: u64, secs: i64, event: Event) -> Record {
    Record {
        seq,
        at: t0() + chrono::Duration::seconds(secs),
        by: None,
        event,
    }
}

pub fn started() -> Vec<Record> {
    vec![
        rec(
            1,
            0,
            Event::SessionStarted {
                session_id: "20240501T030000Z-deployment-rollback".into(),
                runbook_id: "deployment-rollback".into(),
                runbook_title: "Deployment rollback".into(),
                runbook_path: "runbooks/rollback.yaml".into(),
                runbook_sha256: "abc".into(),
                auto: false,
                dry_run: false,
                from_step: None,
                stepwise_version: "0.1.0".into(),
                pid: 1,
            },
        ),
        rec(
            2,
            0,
            Event::InputGiven {
                name: "STABLE_TAG".into(),
                value: "v1.4.2".into(),
                secret: false,
                source: InputSource::Default,
            },
        ),
        rec(
            3,
            0,
            Event::InputGiven {
                name: "API_TOKEN".into(),
                value: "s3cr3t-should-not-show".into(),
                secret: true,
                source: InputSource::Var,
            },
        ),
    ]
}

pub fn started_step(seq: u64, secs: i64, step: &str, attempt: u32) -> Record {
    rec(
        seq,
        secs,
        Event::StepStarted {
            step: step.into(),
            attempt,
            command: "cmd".into(),
            log: format!("output/{step}.{attempt}.log"),
            via: None,
        },
    )
}

pub fn exited(seq: u64, secs: i64, step: &str, attempt: u32, code: i32) -> Record {
    rec(
        seq,
        secs,
        Event::StepExited {
            step: step.into(),
            attempt,
            exit: ExitInfo {
                code: Some(code),
                signal: None,
            },
            duration_ms: 1200,
            success: code == 0,
        },
    )
}

/// A session half-way: identify confirmed, tag-exists succeeded, deploy next.
pub fn midway() -> Vec<Record> {
    let mut r = started();
    r.push(rec(
        4,
        60,
        Event::HumanConfirmed {
            step: "identify".into(),
            note: Some("5xx spike, INC-42".into()),
            checked: vec![],
            via: ConfirmedVia::Operator,
        },
    ));
    r.push(started_step(5, 70, "tag-exists", 1));
    r.push(exited(6, 71, "tag-exists", 1, 0));
    r
}

pub fn app_with(records: &[Record]) -> App {
    let session = Session::from_records(runbook(), records);
    let now = t0() + chrono::Duration::seconds(125);
    let mut app = App::new(session, vec!["API_TOKEN".into()], now, true);
    app.update(Msg::Resize(100, 30));
    app
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

pub fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub fn engine(app: &mut App, r: Record) {
    app.update(Msg::Engine(Update::Record(r)));
}

pub fn output(app: &mut App, step: &str, attempt: u32, stream: Stream, text: &str) {
    app.update(Msg::Engine(Update::Output {
        step: step.into(),
        attempt,
        stream,
        bytes: text.as_bytes().to_vec(),
    }));
}

pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(ch(c));
    }
}
