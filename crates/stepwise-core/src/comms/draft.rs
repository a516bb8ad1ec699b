//! Drafts an update step's message from the session as folded: the
//! template filled with inputs, captures and the built-ins, then masked.
//! Pure: the caller passes the clock reading and the real values.

use crate::engine::redact::Redactor;
use crate::runbook::model::{Step, UpdateStatus};
use crate::session::state::{Session, StepStatus};
use chrono::{DateTime, Utc};

/// What an update step would send now.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    pub step: String,
    /// Masked: safe to show, journal and send.
    pub text: String,
    pub status: UpdateStatus,
    pub channels: Vec<String>,
}

pub use super::estimate::NO_ESTIMATE;

/// The draft of `def` (an update step) at `now`, with the session's
/// expected end (`$EXPECTED_END`). `values` are the real input and capture
/// values; the result is masked with `redactor`.
pub fn draft(
    session: &Session,
    def: &Step,
    values: &[(String, String)],
    redactor: &Redactor,
    now: DateTime<Utc>,
    expected_end: Option<DateTime<Utc>>,
) -> Option<Draft> {
    let spec = def.update.as_ref()?;
    let mut all = values.to_vec();
    all.extend(builtins(session, now, expected_end));
    let text = redactor.redact_str(&super::template::render(&spec.template, &all));
    let channels = if spec.channels.is_empty() {
        session
            .runbook
            .channels
            .iter()
            .map(|c| c.name.clone())
            .collect()
    } else {
        spec.channels.clone()
    };
    Some(Draft {
        step: def.id.clone(),
        text,
        status: spec.status,
        channels,
    })
}

/// The draft shown to the operator before it is sent (the editor, the
/// headless question): filled from the values as journalled, where
/// secrets are already masks ([`crate::policy::draft_values`]).
pub fn shown(
    session: &Session,
    def: &Step,
    now: DateTime<Utc>,
    expected_end: Option<DateTime<Utc>>,
) -> Option<Draft> {
    let values = crate::policy::draft_values(session, def);
    let none = Redactor::new(Vec::<String>::new());
    draft(session, def, &values, &none, now, expected_end)
}

/// `$PROGRESS`, `$CURRENT_STEP`, `$ELAPSED`, `$EXPECTED_END`.
pub fn builtins(
    session: &Session,
    now: DateTime<Utc>,
    expected_end: Option<DateTime<Utc>>,
) -> Vec<(String, String)> {
    let p = progress(session);
    let elapsed = session
        .started_at
        .map(|s| human_duration((now - s).num_seconds().max(0) as u64))
        .unwrap_or_else(|| "0m".into());
    vec![
        (
            "PROGRESS".into(),
            format!("{}/{} steps done", p.done, p.total),
        ),
        (
            "CURRENT_STEP".into(),
            current_step(session).unwrap_or_else(|| "none".into()),
        ),
        ("ELAPSED".into(), elapsed),
        ("EXPECTED_END".into(), super::estimate::words(expected_end)),
    ]
}

/// Settled, total, failed and skipped steps.
pub fn progress(session: &Session) -> super::payload::Progress {
    let (done, total) = session.progress();
    let count = |f: fn(&StepStatus) -> bool| session.steps.iter().filter(|s| f(&s.status)).count();
    super::payload::Progress {
        done,
        total,
        failed: count(|s| matches!(s, StepStatus::Failed)),
        skipped: count(|s| matches!(s, StepStatus::Skipped { .. })),
    }
}

/// The title of the first unsettled step that is not an update step.
pub fn current_step(session: &Session) -> Option<String> {
    (0..session.steps.len())
        .filter(|&i| !session.is_settled(i))
        .filter_map(|i| session.runbook.step(&session.steps[i].id))
        .find(|s| !s.is_update())
        .map(|s| s.title.clone())
}

/// `45s`, `12m`, `1h 05m`.
pub fn human_duration(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}
