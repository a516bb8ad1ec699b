//! `stepwise status`: where a session stands, in one line for a person and
//! as fields for a program; and the exit code a session ended with, for
//! `stepwise follow`. Pure: the fold, the standing and the time are
//! given; nothing is read or printed here.

use super::state::{Session, SessionStatus, StepStatus};
use super::store::Standing;
use crate::outcome::Exit;
use crate::runbook::model::OnFailure;
use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

/// The fields of the status line (`status --format json`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Status {
    pub session: String,
    pub runbook_title: String,
    /// `running` (a process holds it now), `completed`, `aborted`, `left`,
    /// `interrupted`, or `stopped` (no end recorded, nothing holds it).
    pub state: &'static str,
    /// The step running, else the first one not settled, else `None`.
    pub step: Option<StepNow>,
    pub done: usize,
    pub total: usize,
    pub failed: usize,
    /// Of `failed`: those whose `on_failure: continue` let the session go on.
    pub failed_allowed: usize,
    /// Of `failed`: those a cancel ended.
    pub cancelled: usize,
    pub skipped: usize,
    pub started_at: Option<DateTime<Utc>>,
    pub started_by: Option<String>,
    /// Who acted last (after a handover: who holds it now).
    pub operator: Option<String>,
    pub last_event_at: Option<DateTime<Utc>>,
    /// The one line, as printed.
    pub line: String,
}

/// The step a status is about.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepNow {
    /// 1-based position among all steps.
    pub number: usize,
    pub id: String,
    pub title: String,
    /// `running`, `failed`, `outcome unknown`, `waiting for a person`, `next`.
    pub state: &'static str,
    /// For a running step: how long its attempt has run.
    pub running_ms: Option<u64>,
}

/// Where `s` stands at `now`. `held` says whether a process holds its lock.
pub fn of(
    s: &Session,
    standing: Standing,
    held: bool,
    now: DateTime<Utc>,
    offset: FixedOffset,
) -> Status {
    let (failed, failed_allowed, skipped) = tally(s);
    let cancelled = s.steps.iter().filter(|st| st.cancelled().is_some()).count();
    let mut status = Status {
        session: s.id.clone(),
        runbook_title: s.runbook.title.clone(),
        state: state_word(standing, held),
        step: step_now(s, now),
        done: s.progress().0,
        total: s.steps.len(),
        failed,
        failed_allowed,
        cancelled,
        skipped,
        started_at: s.started_at,
        started_by: s.started_by.as_ref().map(|a| a.user.clone()),
        operator: s.operator.as_ref().map(|a| a.user.clone()),
        last_event_at: s.last_at,
        line: String::new(),
    };
    status.line = line(&status, now, offset);
    status
}

impl Status {
    /// The step journalled as running ended while no stepwise ran (its
    /// monitor's exit file says so, which a fold of the journal cannot
    /// know): said so, rather than "running" or "it may run on".
    pub fn step_ended_unjournalled(mut self, now: DateTime<Utc>, offset: FixedOffset) -> Status {
        if let Some(step) = self.step.as_mut().filter(|s| s.state == "running") {
            step.state = "ended while no stepwise ran";
            step.running_ms = None;
        }
        self.line = line(&self, now, offset);
        self
    }
}

fn state_word(standing: Standing, held: bool) -> &'static str {
    match standing {
        Standing::Completed => "completed",
        Standing::Aborted => "aborted",
        Standing::Damaged => "damaged",
        _ if held => "running",
        Standing::Left => "left",
        Standing::Interrupted => "interrupted",
        Standing::Unfinished => "unfinished",
    }
}

/// (failed, of those allowed by `on_failure: continue`, skipped)
fn tally(s: &Session) -> (usize, usize, usize) {
    let (mut failed, mut allowed, mut skipped) = (0, 0, 0);
    for st in &s.steps {
        match st.status {
            StepStatus::Failed => {
                failed += 1;
                let cont = s.runbook.step(&st.id).map(|d| d.on_failure);
                allowed += usize::from(cont == Some(OnFailure::Continue));
            }
            StepStatus::Skipped { .. } => skipped += 1,
            _ => {}
        }
    }
    (failed, allowed, skipped)
}

fn step_now(s: &Session, now: DateTime<Utc>) -> Option<StepNow> {
    let i = s.running().or_else(|| s.next_step())?;
    let st = &s.steps[i];
    let def = s.runbook.step(&st.id)?;
    let state = match st.status {
        StepStatus::Running { .. } => "running",
        StepStatus::Failed => st.word(),
        StepStatus::OutcomeUnknown { .. } => "outcome unknown",
        _ if !def.is_automated() => "waiting for a person",
        _ => "next",
    };
    let running_ms = match st.status {
        StepStatus::Running { .. } => st
            .attempts
            .last()
            .map(|a| (now - a.started_at).num_milliseconds().max(0) as u64),
        _ => None,
    };
    Some(StepNow {
        number: i + 1,
        id: st.id.clone(),
        title: def.title.clone(),
        state,
        running_ms,
    })
}

/// `Deployment rollback — step 7/22 Deploy v1.4.2 (running 2m10s) — 1
/// failed (allowed), 0 skipped — started 19:38 by alice, 12m ago`.
fn line(st: &Status, now: DateTime<Utc>, offset: FixedOffset) -> String {
    let mut parts = vec![st.runbook_title.clone()];
    parts.push(match (&st.step, st.state) {
        (_, "completed" | "aborted") => st.state.to_owned(),
        (Some(step), _) => step_words(st, step),
        (None, _) => format!("all {} steps settled ({})", st.total, st.state),
    });
    parts.push(format!("{}, {} skipped", failed_words(st), st.skipped));
    if let Some(at) = st.started_at {
        let mut started = format!("started {}", at.with_timezone(&offset).format("%H:%M"));
        if let Some(by) = &st.started_by {
            started.push_str(&format!(" by {by}"));
        }
        started.push_str(&format!(", {} ago", short((now - at).num_milliseconds())));
        parts.push(started);
    }
    parts.join(" — ")
}

fn step_words(st: &Status, step: &StepNow) -> String {
    let how = match (step.state, step.running_ms, st.state) {
        ("running", Some(ms), "running") => format!("running {}", short(ms as i64)),
        // Journalled as running, and no stepwise holds the session: its
        // monitor may still run it (a pure fold cannot tell).
        ("running", _, word) => {
            let when = match word {
                "unfinished" => "its stepwise stopped".to_owned(),
                w => format!("the session was {w}"),
            };
            format!("running when {when}; it may run on: resume re-attaches")
        }
        (what, _, "running") => what.to_owned(),
        (what, _, word) => format!("{what}; session {word}"),
    };
    format!("step {}/{} {} ({how})", step.number, st.total, step.title)
}

/// `2 failed`, `1 failed (allowed)`, `3 failed (1 allowed, 1 cancelled)`.
fn failed_words(st: &Status) -> String {
    let n = st.failed;
    let all = |k: usize| k == n && st.failed_allowed + st.cancelled == n;
    let mut of = Vec::new();
    for (k, word) in [(st.failed_allowed, "allowed"), (st.cancelled, "cancelled")] {
        match k {
            0 => {}
            k if all(k) => of.push(word.to_owned()),
            k => of.push(format!("{k} {word}")),
        }
    }
    match of.is_empty() {
        true => format!("{n} failed"),
        false => format!("{n} failed ({})", of.join(", ")),
    }
}

/// The exit code a headless run of the session ended with, read from the
/// journal (`stepwise follow --plain` ends with it); `None` while a process
/// still holds it and no end is recorded. Left on a failed step is 3, left
/// waiting for a person 4; no end recorded and nothing holding it (a
/// signal, `kill -9`) is 130.
pub fn exit_of(s: &Session, held: bool) -> Option<Exit> {
    match s.status {
        SessionStatus::Completed => Some(Exit::Completed),
        SessionStatus::Aborted { .. } => Some(Exit::Aborted),
        SessionStatus::Left => {
            let waiting = s.next_step().map(|i| &s.steps[i].status);
            Some(match waiting {
                Some(StepStatus::Failed | StepStatus::OutcomeUnknown { .. }) => Exit::Failed,
                _ => Exit::WaitingForHuman,
            })
        }
        SessionStatus::Active if held => None,
        SessionStatus::Active => Some(Exit::Interrupted),
    }
}

/// `45s`, `2m10s`, `12m`, `1h05m`: short enough for one line.
pub fn short(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..600 => format!("{}m{:02}s", s / 60, s % 60),
        600..3600 => format!("{}m", s / 60),
        _ => format!("{}h{:02}m", s / 3600, s / 60 % 60),
    }
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
