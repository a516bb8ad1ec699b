//! Regular updates (`updates: { every: … }`): when the next one is due,
//! and its draft, made from what the journal recorded since the last
//! update (steps settled, failures, skips), where the session is now and
//! the expected end. Pure: the caller gives the clock reading.

use crate::runbook::model::Cadence;
use crate::session::state::{Session, StepStatus};
use chrono::{DateTime, TimeDelta, Utc};

/// When the next regular update is due: `every` after the last update of
/// any kind, or after the start. `None` without a cadence or once the
/// session is over.
pub fn due(s: &Session) -> Option<DateTime<Utc>> {
    let c = s.runbook.cadence.as_ref()?;
    if s.status.is_finished() {
        return None;
    }
    let last = s.updates.last().map(|u| u.at).or(s.started_at)?;
    Some(last + TimeDelta::from_std(c.every).unwrap_or_default())
}

/// The channels a regular update goes to.
pub fn channels(s: &Session, c: &Cadence) -> Vec<String> {
    if c.channels.is_empty() {
        s.runbook.channels.iter().map(|c| c.name.clone()).collect()
    } else {
        c.channels.clone()
    }
}

/// The draft: progress, what settled since the last update, where the
/// session is, the expected end. Not masked (titles and reasons are the
/// runbook's and the operator's, already masked in the journal).
pub fn draft(s: &Session, now: DateTime<Utc>, expected_end: Option<DateTime<Utc>>) -> String {
    let since = s.updates.last().map(|u| u.at);
    let p = super::draft::progress(s);
    let mut lines = vec![format!(
        "{}: {}/{} steps done after {}.",
        s.runbook.title,
        p.done,
        p.total,
        elapsed(s, now)
    )];
    let recent: Vec<String> = s
        .steps
        .iter()
        .filter(|st| st.settled_at.is_some_and(|t| since.is_none_or(|x| t > x)))
        .filter_map(|st| {
            let title = &s.runbook.step(&st.id)?.title;
            Some(match &st.status {
                StepStatus::Failed => format!("✗ {title} (failed)"),
                StepStatus::Skipped { reason } => format!("↷ {title} (skipped: {reason})"),
                _ => format!("✓ {title}"),
            })
        })
        .collect();
    if recent.is_empty() {
        lines.push("No step settled since the last update.".into());
    } else {
        lines.push(format!("Since the last update: {}.", recent.join("; ")));
    }
    if let Some(now_at) = super::draft::current_step(s) {
        lines.push(format!("Now: {now_at}."));
    }
    lines.push(format!(
        "Expected end: {}.",
        super::estimate::words(expected_end)
    ));
    lines.join("\n")
}

fn elapsed(s: &Session, now: DateTime<Utc>) -> String {
    let secs = s
        .started_at
        .map_or(0, |t| (now - t).num_seconds().max(0) as u64);
    super::draft::human_duration(secs)
}
