//! The expected end of a session: for every step still to settle, the
//! median time that step took in earlier sessions of the same runbook
//! (rehearsals and dry runs count; human steps too), less what the current
//! step has already taken. A step's time is from the previous settle (or
//! the session's start) to its own settle; skipped steps are no sample.
//! With no earlier sample for any step left, there is no estimate: never a
//! made-up number. Pure, except [`load`], which reads the home's journals.

use crate::session::state::{Session, StepStatus};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashMap;
use std::path::Path;

/// Said wherever an estimate would go when there is none.
pub const NO_ESTIMATE: &str = "no estimate yet";

/// Durations (ms) per step id, from earlier sessions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    per_step: HashMap<String, Vec<i64>>,
}

impl History {
    /// Adds the settled, non-skipped steps of one earlier session.
    pub fn add(&mut self, s: &Session) {
        for (id, ms) in step_durations(s) {
            self.per_step.entry(id).or_default().push(ms);
        }
    }

    pub fn median(&self, id: &str) -> Option<i64> {
        let mut v = self.per_step.get(id)?.clone();
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        let n = v.len();
        Some(if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2
        })
    }
}

/// Each settled, non-skipped step with how long it took: from the previous
/// settle (or the start) to its own.
pub fn step_durations(s: &Session) -> Vec<(String, i64)> {
    let Some(start) = s.started_at else {
        return Vec::new();
    };
    let mut settled: Vec<(&str, DateTime<Utc>, bool)> = s
        .steps
        .iter()
        .filter_map(|st| {
            let at = st.settled_at?;
            let skipped = matches!(st.status, StepStatus::Skipped { .. });
            Some((st.id.as_str(), at, skipped))
        })
        .collect();
    settled.sort_by_key(|(_, at, _)| *at);
    let mut prev = start;
    let mut out = Vec::new();
    for (id, at, skipped) in settled {
        if !skipped {
            out.push((id.to_owned(), (at - prev).num_milliseconds().max(0)));
        }
        prev = at;
    }
    out
}

/// When `s` should end, seen at `now`; `None` without history for any step left.
pub fn expected_end(s: &Session, h: &History, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let left: Vec<usize> = (0..s.steps.len()).filter(|&i| !s.is_settled(i)).collect();
    left.first()?;
    let medians: Vec<Option<i64>> = left.iter().map(|&i| h.median(&s.steps[i].id)).collect();
    if medians.iter().all(Option::is_none) {
        return None;
    }
    let since = last_boundary(s).map_or(0, |b| (now - b).num_milliseconds().max(0));
    let current = medians[0].map_or(0, |m| (m - since).max(0));
    let rest: i64 = medians[1..].iter().flatten().sum();
    Some(now + TimeDelta::milliseconds(current + rest))
}

/// The last settle of the session, or its start: where the current step's
/// time began.
fn last_boundary(s: &Session) -> Option<DateTime<Utc>> {
    s.steps
        .iter()
        .filter_map(|st| st.settled_at)
        .max()
        .or(s.started_at)
}

/// `14:05 UTC`, or `no estimate yet`.
pub fn words(end: Option<DateTime<Utc>>) -> String {
    match end {
        Some(t) => t.format("%H:%M UTC").to_string(),
        None => NO_ESTIMATE.to_owned(),
    }
}

/// The history of `runbook_id` from every other session in `sessions_dir`
/// (a folder of session folders). Unreadable sessions are left out.
pub fn load(sessions_dir: &Path, runbook_id: &str, except: &str) -> History {
    let mut h = History::default();
    let Ok(entries) = std::fs::read_dir(sessions_dir) else {
        return h;
    };
    for e in entries.flatten() {
        let dir = e.path();
        if dir.file_name().is_some_and(|n| n == except) || !dir.join("journal.jsonl").is_file() {
            continue;
        }
        if let Ok((s, _)) = crate::session::store::read_session(&dir)
            && s.runbook.id == runbook_id
        {
            h.add(&s);
        }
    }
    h
}
