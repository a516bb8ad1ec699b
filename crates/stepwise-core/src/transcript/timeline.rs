//! The timeline: one row per event a person cares about, in journal order.
//! Output chunks are left out (they are in the logs). Pure: no I/O.

use super::context::MASK;
use super::{fmt, report};
use crate::session::event::{ConfirmedVia, Event, InputSource, Record};
use crate::session::state::Session;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

#[derive(Clone, Debug)]
pub struct Row {
    pub at: DateTime<Utc>,
    /// The step's label (`1.2 Title`), or empty for session events.
    pub step: String,
    pub what: String,
    pub who: String,
    /// `good`, `bad` or empty: for colouring.
    pub tone: &'static str,
}

pub fn rows(s: &Session, records: &[Record]) -> Vec<Row> {
    // Each input's value so far, to say what a change replaced.
    let mut values: HashMap<&str, &str> = HashMap::new();
    records
        .iter()
        .filter_map(|r| {
            let what = match &r.event {
                Event::InputGiven { name, value, .. } => {
                    let before = values.insert(name, value);
                    given(s, &r.event, before)
                }
                Event::RetryScheduled {
                    attempt, of, due, ..
                } => format!(
                    "Attempt {attempt} of {of} scheduled in {}",
                    fmt::duration_ms((*due - r.at).num_milliseconds().max(0) as u64)
                ),
                Event::SessionResumed { .. } => resumed(&r.event, r.by.as_ref()),
                e => what(s, e)?,
            };
            let step = r
                .event
                .step()
                .and_then(|id| s.step(id))
                .map(|st| report::label(s, st))
                .unwrap_or_default();
            Some(Row {
                at: r.at,
                step,
                what,
                who: who(r),
                tone: tone(&r.event),
            })
        })
        .collect()
}

fn tone(e: &Event) -> &'static str {
    match e {
        Event::StepExited { success: true, .. }
        | Event::HumanConfirmed { .. }
        | Event::MarkedDone { .. }
        | Event::SessionCompleted => "good",
        Event::StepExited { success: false, .. }
        | Event::StepTimedOut { .. }
        | Event::StepCancelled { .. }
        | Event::OutcomeUnknown { .. }
        | Event::Interrupted { .. }
        | Event::SessionAborted { .. } => "bad",
        _ => "",
    }
}

fn who(r: &Record) -> String {
    let who = fmt::who(r.by.as_ref());
    match &r.event {
        Event::HumanConfirmed {
            via: ConfirmedVia::YesFlag,
            ..
        } => format!("--yes ({who})"),
        Event::HumanConfirmed {
            via: ConfirmedVia::Answer,
            ..
        } => format!("--answer ({who})"),
        _ => who,
    }
}

/// What happened, in words; `None` for events left out of the timeline.
fn what(s: &Session, e: &Event) -> Option<String> {
    Some(match e {
        Event::SessionStarted { .. } => started(e),
        Event::SessionResumed { .. } => resumed(e, None),
        Event::RunbookChanged { .. } => {
            "The runbook file changed since the session began; the session's copy is used"
                .to_owned()
        }
        Event::InputGiven { .. } => given(s, e, None),
        Event::StepStarted { attempt, .. } => format!("Attempt {attempt} started"),
        Event::OutputRecorded { .. } => return None,
        Event::StepExited {
            attempt,
            exit,
            duration_ms,
            success,
            ..
        } => {
            let word = if *success { "passed" } else { "failed" };
            format!(
                "Attempt {attempt} {word}: {exit} after {}",
                fmt::duration_ms(*duration_ms)
            )
        }
        Event::StepTimedOut {
            attempt, after_ms, ..
        } => {
            format!(
                "Attempt {attempt} timed out after {}",
                fmt::duration_ms(*after_ms)
            )
        }
        Event::StepCancelled {
            attempt, reason, ..
        } => format!("Attempt {attempt} cancelled: {reason}"),
        Event::Captured {
            name,
            value,
            secret,
            ..
        } => {
            let shown = if report::is_secret(s, name, *secret) {
                MASK
            } else {
                value.as_str()
            };
            format!("Captured {name} = {shown}")
        }
        Event::HumanConfirmed {
            note,
            checked,
            step,
            ..
        } => confirmed(s, step, note.is_some(), checked.len()),
        Event::StepSkipped { reason, .. } => format!("Skipped: {reason}"),
        Event::MarkedDone { .. } => "Marked done by hand".to_owned(),
        Event::NoteAdded { text, .. } => format!("Note: {}", first_line(text)),
        Event::OutcomeUnknown { attempt, .. } => {
            format!("Attempt {attempt} was running when stepwise stopped: outcome unknown")
        }
        Event::Interrupted { signal } => format!("stepwise interrupted by {signal}"),
        Event::SessionLeft => "Operator left the session (resumable)".to_owned(),
        Event::SessionAborted { reason } => format!("Session aborted: {reason}"),
        Event::SessionCompleted => "Session completed".to_owned(),
        Event::AutoChanged { on: true } => "Auto mode on".to_owned(),
        Event::AutoChanged { on: false } => "Auto mode off".to_owned(),
        Event::RetryScheduled { attempt, of, .. } => format!("Attempt {attempt} of {of} scheduled"),
        Event::RetryCancelled { reason, .. } => format!("Retry cancelled: {reason}"),
    })
}

/// A resume in words: `Handed over from alice to bob: shift change`, or
/// `Session resumed by bob`. Shared with headless output and `follow`.
pub fn resumed(e: &Event, by: Option<&crate::session::event::Actor>) -> String {
    let Event::SessionResumed {
        handed_over_from,
        reason,
        ..
    } = e
    else {
        return String::new();
    };
    let to = by.map_or("someone", |a| a.user.as_str());
    let mut out = match handed_over_from {
        Some(from) => format!("Handed over from {} to {to}", from.user),
        None if by.is_some() => format!("Session resumed by {to}"),
        None => "Session resumed".to_owned(),
    };
    if let Some(reason) = reason {
        out.push_str(&format!(": {}", first_line(reason)));
    }
    out
}

/// An input given: at the start, `Input NAME = value (--var)`; during the
/// session, what it was changed from (the postmortem needs both values).
fn given(s: &Session, e: &Event, before: Option<&str>) -> String {
    let Event::InputGiven {
        name,
        value,
        secret,
        source,
    } = e
    else {
        return String::new();
    };
    let secret = report::is_secret(s, name, *secret);
    let shown = |v: &str| if secret { MASK.to_owned() } else { quoted(v) };
    match (source, before) {
        (InputSource::Changed, Some(_)) if secret => {
            format!("Input {name} changed to a new secret value")
        }
        (InputSource::Changed, Some(old)) => {
            format!(
                "Input {name} changed from {} to {}",
                quoted(old),
                shown(value)
            )
        }
        (InputSource::Changed, None) => format!("Input {name} given: {}", shown(value)),
        _ => {
            let plain = if secret { MASK } else { value.as_str() };
            format!("Input {name} = {plain} ({})", source_word(*source))
        }
    }
}

/// A value in a sentence: quoted, so an empty one is still visible.
fn quoted(v: &str) -> String {
    format!("“{v}”")
}

fn started(e: &Event) -> String {
    let Event::SessionStarted {
        auto,
        dry_run,
        from_step,
        ..
    } = e
    else {
        return String::new();
    };
    let mut s = "Session started".to_owned();
    let mut modes = Vec::new();
    if *auto {
        modes.push("auto mode".to_owned());
    }
    if *dry_run {
        modes.push("--dry-run".to_owned());
    }
    if let Some(step) = from_step {
        modes.push(format!("--from {step}"));
    }
    if !modes.is_empty() {
        s.push_str(&format!(" ({})", modes.join(", ")));
    }
    s
}

fn confirmed(s: &Session, step: &str, note: bool, ticked: usize) -> String {
    let mut out = "Confirmed done".to_owned();
    let items = s.runbook.step(step).map_or(0, |d| d.checklist.len());
    if items > 0 {
        out.push_str(&format!("; {ticked} of {items} checklist items ticked"));
    }
    if note {
        out.push_str("; note written");
    }
    out
}

pub fn source_word(source: InputSource) -> &'static str {
    source.label()
}

/// The first line of a note, cut at 100 characters.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    let cut: String = line.chars().take(100).collect();
    if cut.len() < line.len() || text.lines().nth(1).is_some() {
        format!("{cut} …")
    } else {
        cut
    }
}
