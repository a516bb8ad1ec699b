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
            let def = s.runbook.step(&st.id)?;
            // An update step that sent is the last update itself.
            if def.update.is_some() && st.status == StepStatus::Succeeded {
                return None;
            }
            let title = &def.title;
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

#[cfg(test)]
mod tests {
    use crate::session::event::Record;
    use crate::session::state::Session;

    /// Records as the journal holds them, one JSON object per line.
    fn session(book: &str, lines: &[&str]) -> Session {
        let runbook = crate::runbook::load::load_str("t.yaml", book).unwrap();
        let records: Vec<Record> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        Session::from_records(runbook, records.iter())
    }

    #[test]
    fn the_update_step_that_sent_the_last_update_is_not_listed_as_settled_since() {
        let book = "runbook: 1\nid: t\ntitle: T\nchannels: { ops: { file: u.jsonl } }\nupdates: { every: 30m }\nsections:\n  - title: S\n    steps:\n      - title: Quick\n        run: x\n      - title: Tell\n        update: going\n";
        let at = |s: u32| format!("\"seq\":{s},\"at\":\"2026-12-02T10:00:{s:02}Z\"");
        let lines = [
            format!(
                "{{{},\"type\":\"session_started\",\"session_id\":\"s\",\"runbook_id\":\"t\",\"runbook_title\":\"T\",\"runbook_path\":\"t.yaml\",\"runbook_sha256\":\"x\",\"auto\":true,\"dry_run\":false,\"stepwise_version\":\"0\",\"pid\":1}}",
                at(1)
            ),
            format!(
                "{{{},\"type\":\"step_started\",\"step\":\"quick\",\"attempt\":1,\"command\":\"x\",\"log\":\"output/quick.1.log\"}}",
                at(2)
            ),
            format!(
                "{{{},\"type\":\"step_exited\",\"step\":\"quick\",\"attempt\":1,\"exit\":{{\"code\":0}},\"duration_ms\":5,\"success\":true}}",
                at(3)
            ),
            format!(
                "{{{},\"type\":\"update_intent\",\"step\":\"tell\",\"key\":\"tell:1\",\"status\":\"investigating\",\"channels\":[\"ops\"],\"text\":\"going\"}}",
                at(4)
            ),
            format!(
                "{{{},\"type\":\"update_result\",\"step\":\"tell\",\"key\":\"tell:1\",\"results\":[{{\"channel\":\"ops\",\"ok\":true,\"detail\":\"appended\"}}]}}",
                at(5)
            ),
        ];
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let s = session(book, &lines);
        let now = s.started_at.unwrap() + chrono::TimeDelta::minutes(30);
        let text = super::draft(&s, now, None);
        assert!(
            text.contains("No step settled since the last update."),
            "{text}"
        );
    }
}
