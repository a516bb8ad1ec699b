//! The facts every transcript format states, computed once from the fold and
//! the records: counts, the outcome and where an unfinished session stopped,
//! how each step reached its status, the timeline rows, and the notes that
//! belong in the postmortem skeleton. Pure: no I/O, no clock.

use super::context::MASK;
use super::fmt;
use crate::runbook::model::{OnFailure, Step};
use crate::session::event::{ConfirmedVia, Event, Record};
use crate::session::state::{
    Attempt, InputValue, Note, Session, SessionStatus, StepState, StepStatus,
};
use chrono::{DateTime, Utc};

/// How many steps ended which way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Ran and passed, or confirmed by a person or a flag.
    pub done: usize,
    pub skipped: usize,
    /// Failed by a cancel (not counted in `failed`).
    pub cancelled: usize,
    pub failed: usize,
    pub done_by_hand: usize,
    /// Journalled as running, no end recorded (yet: a live session's
    /// running step; or stepwise stopped while it ran).
    pub running: usize,
    /// Outcome unknown (a resume found no exit for it).
    pub unknown: usize,
    pub not_reached: usize,
    pub total: usize,
}

pub fn counts(s: &Session) -> Counts {
    let mut c = Counts {
        total: s.steps.len(),
        ..Counts::default()
    };
    for st in &s.steps {
        match st.status {
            StepStatus::Succeeded | StepStatus::Confirmed { .. } => c.done += 1,
            StepStatus::Skipped { .. } => c.skipped += 1,
            StepStatus::Failed if st.cancelled().is_some() => c.cancelled += 1,
            StepStatus::Failed => c.failed += 1,
            StepStatus::DoneByHand => c.done_by_hand += 1,
            StepStatus::Running { .. } => c.running += 1,
            StepStatus::OutcomeUnknown { .. } => c.unknown += 1,
            StepStatus::Pending => c.not_reached += 1,
        }
    }
    c
}

/// How the session ended, or why it has not.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// `completed`, `aborted`, or `in progress — resumable`.
    pub word: &'static str,
    /// A sentence more: the abort reason, or why it is unfinished.
    pub detail: Option<String>,
    /// Where it stopped, for any session that did not complete.
    pub stopped_at: Option<Stop>,
}

#[derive(Clone, Debug)]
pub struct Stop {
    pub step: String,
    /// `2.1 Deploy the previous stable version`.
    pub label: String,
    /// What state that step was left in.
    pub state: String,
}

pub fn outcome(s: &Session, records: &[Record]) -> Outcome {
    let (word, detail) = match &s.status {
        SessionStatus::Completed => ("completed", None),
        SessionStatus::Aborted { reason } => ("aborted", Some(format!("Aborted: {reason}"))),
        SessionStatus::Left => ("in progress — resumable", Some(left_why(records))),
        SessionStatus::Active => ("in progress — resumable", Some(unfinished_why(records))),
    };
    let stopped_at = match s.status {
        SessionStatus::Completed => None,
        _ => stop_point(s),
    };
    Outcome {
        word,
        detail,
        stopped_at,
    }
}

/// Who left, or why stepwise stopped (a headless run that needed an
/// answer it was not given).
fn left_why(records: &[Record]) -> String {
    match crate::session::event::last_session_mark(records) {
        Some(Event::SessionLeft {
            reason: Some(reason),
        }) => format!(
            "stepwise stopped the session: {}; `stepwise resume` takes it up again.",
            reason.trim_end_matches('.')
        ),
        _ => "The operator left the session; `stepwise resume` takes it up again.".to_owned(),
    }
}

fn unfinished_why(records: &[Record]) -> String {
    match crate::session::event::last_session_mark(records) {
        Some(Event::SessionStopped { reason }) => stopped_on_error(reason),
        Some(Event::Interrupted { signal }) => {
            format!(
                "stepwise was interrupted by {signal}; `stepwise resume` takes the session up again."
            )
        }
        _ => "No end is recorded: stepwise is still running this session, or it was killed or \
              crashed. `stepwise resume` takes it up again."
            .to_owned(),
    }
}

fn stop_point(s: &Session) -> Option<Stop> {
    let index = s
        .steps
        .iter()
        .position(|st| {
            matches!(
                st.status,
                StepStatus::Running { .. } | StepStatus::OutcomeUnknown { .. }
            )
        })
        .or_else(|| s.next_step())?;
    let st = &s.steps[index];
    let state = match &st.status {
        StepStatus::Running { attempt } => {
            format!("attempt {attempt} had started and no end is recorded")
        }
        StepStatus::OutcomeUnknown { attempt } => {
            format!(
                "attempt {attempt}: no exit was recorded (stepwise or the step's monitor stopped while it ran); its outcome is unknown"
            )
        }
        StepStatus::Failed => match st.attempts.last().filter(|a| a.cancelled.is_some()) {
            Some(a) => format!(
                "attempt {} was cancelled ({}) and was waiting for a decision",
                a.number,
                a.cancelled.as_deref().unwrap_or_default()
            ),
            None => "it failed and was waiting for a decision".to_owned(),
        },
        _ => "it had not started".to_owned(),
    };
    Some(Stop {
        step: st.id.clone(),
        label: label(s, st),
        state,
    })
}

/// `1.2` for the second step of the first section.
pub fn number(s: &Session, st: &StepState) -> String {
    let first = s
        .steps
        .iter()
        .position(|x| x.section == st.section)
        .unwrap_or(0);
    let index = s.step_index(&st.id).unwrap_or(first);
    format!("{}.{}", st.section + 1, index - first + 1)
}

/// `1.2 Confirm the previous stable version is available`.
pub fn label(s: &Session, st: &StepState) -> String {
    let title = s
        .runbook
        .step(&st.id)
        .map_or(st.id.as_str(), |d| d.title.as_str());
    format!("{} {title}", number(s, st))
}

/// A short key for styling a status: `passed`, `failed`, `skipped`, …
pub fn status_key(status: &StepStatus) -> &'static str {
    match status {
        StepStatus::Succeeded | StepStatus::Confirmed { .. } => "done",
        StepStatus::DoneByHand => "by-hand",
        StepStatus::Failed => "failed",
        StepStatus::Skipped { .. } => "skipped",
        StepStatus::Running { .. } | StepStatus::OutcomeUnknown { .. } => "unknown",
        StepStatus::Pending => "pending",
    }
}

/// The status and how it was reached, in words.
pub fn how_reached(st: &StepState, def: Option<&Step>) -> String {
    let by = fmt::who(st.settled_by.as_ref());
    match &st.status {
        StepStatus::Succeeded if st.attempts.len() > 1 => {
            format!(
                "ran and passed, on attempt {} of {}",
                st.attempts.len(),
                st.attempts.len()
            )
        }
        StepStatus::Succeeded => "ran and passed".to_owned(),
        // An update step's failed send never stops a session: its own
        // words, not an `on_failure` the runbook never set.
        StepStatus::Failed if def.is_some_and(Step::is_update) => {
            "not delivered to every channel (the session went on)".to_owned()
        }
        StepStatus::Failed if st.cancelled().is_some() => {
            format!("cancelled: {}", st.cancelled().unwrap_or_default())
        }
        StepStatus::Failed if def.is_some_and(|d| d.on_failure == OnFailure::Continue) => {
            "failed as allowed (on_failure: continue)".to_owned()
        }
        StepStatus::Failed => "failed".to_owned(),
        StepStatus::Confirmed {
            via: ConfirmedVia::Operator,
        } => format!("confirmed by a person ({by})"),
        StepStatus::Confirmed {
            via: ConfirmedVia::YesFlag,
        } => format!("confirmed with --yes ({by})"),
        StepStatus::Confirmed {
            via: ConfirmedVia::Answer,
        } => format!("confirmed by an --answer ({by})"),
        StepStatus::Confirmed {
            via: ConfirmedVia::Nobody,
        } => "confirmed by nobody".to_owned(),
        StepStatus::Skipped { .. } if st.settled_via == Some(ConfirmedVia::Answer) => {
            format!("skipped by an --answer ({by})")
        }
        StepStatus::Skipped { .. } => format!("skipped by {by}"),
        StepStatus::DoneByHand if st.settled_via == Some(ConfirmedVia::Answer) => {
            format!("done by hand, said by an --answer ({by})")
        }
        StepStatus::DoneByHand if st.attempts.is_empty() => format!("done by hand ({by})"),
        StepStatus::DoneByHand => format!("done by hand after the command did not pass ({by})"),
        StepStatus::OutcomeUnknown { attempt } => {
            format!(
                "outcome unknown: stepwise or the step's monitor stopped while attempt {attempt} ran"
            )
        }
        StepStatus::Running { attempt } => {
            format!(
                "attempt {attempt} started and no end is recorded (still running, or stepwise stopped)"
            )
        }
        StepStatus::Pending => "not reached".to_owned(),
    }
}

/// How one attempt ended: `passed (exit 0 after 1.2 s)`.
pub fn attempt_result(a: &Attempt) -> String {
    let took = a
        .duration_ms
        .map(|d| format!(" after {}", fmt::duration_ms(d)))
        .unwrap_or_default();
    let exit = a
        .exit
        .map(|e| e.to_string())
        .unwrap_or_else(|| "no exit recorded".to_owned());
    if let Some(reason) = &a.cancelled {
        return format!("cancelled: {reason} ({exit}{took})");
    }
    if a.timed_out {
        return format!("timed out ({exit}{took})");
    }
    match a.success {
        Some(true) => format!("passed ({exit}{took})"),
        Some(false) => format!("failed ({exit}{took})"),
        None => "outcome unknown: no end recorded".to_owned(),
    }
}

/// An input or capture as shown: secrets (by the record or the runbook) masked.
pub fn shown_value(s: &Session, v: &InputValue) -> String {
    if is_secret(s, &v.name, v.secret) {
        MASK.to_owned()
    } else {
        v.value.clone()
    }
}

/// Where an input's value came from, in words: the source, or for a value
/// given during the session when (UTC and since the start) and, unless it
/// is secret, the value it replaced. The timeline has every change.
pub fn input_from(s: &Session, v: &InputValue) -> String {
    if !v.changed() {
        return v.source.label().to_owned();
    }
    let when = format!(
        "{} UTC ({})",
        fmt::clock(v.at, s.started_at),
        fmt::since(s.started_at, v.at)
    );
    let Some(was) = v.earlier.last() else {
        return format!("given during the session at {when}");
    };
    let times = match v.earlier.len() {
        1 => String::new(),
        n => format!(" {n} times, last"),
    };
    let mut out = format!("changed during the session{times} at {when}");
    if !is_secret(s, &v.name, v.secret) {
        out.push_str(&format!(", was “{was}”"));
    }
    out
}

pub fn is_secret(s: &Session, name: &str, flagged: bool) -> bool {
    flagged || s.runbook.input(name).is_some_and(|i| i.secret)
}

/// A note (or a labelled line of one) quoted in the postmortem skeleton.
#[derive(Clone, Debug)]
pub struct Quoted {
    /// `step 1.1 Identify the issue`, or `a session note`.
    pub source: String,
    pub note: Note,
}

/// What the session recorded that belongs under the postmortem headings.
/// Never invents: it quotes notes (see [`postmortem`] for the rules) and
/// lists failures as the journal recorded them.
#[derive(Clone, Debug, Default)]
pub struct Postmortem {
    pub root_cause: Vec<Quoted>,
    pub impact: Vec<Quoted>,
    pub went_well: Vec<Quoted>,
    pub went_wrong: Vec<Quoted>,
    pub action_items: Vec<Quoted>,
    /// Facts: failed, timed out, cancelled or unknown attempts, steps done
    /// by hand, interruptions, the abort reason.
    pub failures: Vec<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Heading {
    RootCause,
    Impact,
    WentWell,
    WentWrong,
    Action,
}

/// The rules, as the transcript states them under "Postmortem notes".
pub const POSTMORTEM_HINT: &str = "A skeleton for the review. Under each heading: the notes written during the \
session on steps whose id or title mentions a cause, an issue or the impact, and any note line that starts \
with “Root cause:”, “Impact:”, “Went well:”, “Went wrong:”, “Action:” or “TODO:”; under What went wrong, also \
the failures the journal recorded. Nothing else is filled in: blanks are left for the team.";

/// Rule 1: every note on a step whose id or title has a word starting with
/// one of these is about the root cause (`Identify the issue causing…`) …
const ROOT_CAUSE_WORDS: [&str; 2] = ["caus", "issue"];
/// … or about the impact.
const IMPACT_WORDS: [&str; 1] = ["impact"];
/// Rule 2: a line of any note that starts with one of these labels
/// (any case) goes under that heading, from the label to the end of the line.
const LABELS: [(&str, Heading); 8] = [
    ("root cause:", Heading::RootCause),
    ("cause:", Heading::RootCause),
    ("impact:", Heading::Impact),
    ("went well:", Heading::WentWell),
    ("went wrong:", Heading::WentWrong),
    ("action item:", Heading::Action),
    ("action:", Heading::Action),
    ("todo:", Heading::Action),
];

pub fn postmortem(s: &Session) -> Postmortem {
    let mut pm = Postmortem::default();
    let mut troubles: Vec<(DateTime<Utc>, String)> = Vec::new();
    for st in &s.steps {
        let title = s.runbook.step(&st.id).map_or("", |d| d.title.as_str());
        let words = format!("{} {title}", st.id).to_lowercase();
        let whole = if mentions(&words, &ROOT_CAUSE_WORDS) {
            Some(Heading::RootCause)
        } else if mentions(&words, &IMPACT_WORDS) {
            Some(Heading::Impact)
        } else {
            None
        };
        let source = format!("step {}", label(s, st));
        for note in &st.notes {
            if let Some(h) = whole {
                pm.push(h, &source, note.clone());
            }
            pm.labelled(whole, &source, note);
        }
        troubles.extend(step_troubles(s, st));
    }
    for note in &s.notes {
        pm.labelled(None, "a session note", note);
    }
    for (at, signal) in &s.interruptions {
        troubles.push((*at, format!("stepwise was interrupted by {signal}")));
    }
    for (last, resumed) in &s.silent_stops {
        troubles.push((
            *last,
            format!(
                "stepwise stopped without a record of why (killed, crashed or its machine down) after this, its last record; the session was resumed at {}",
                fmt::utc(*resumed)
            ),
        ));
    }
    if let (SessionStatus::Aborted { reason }, Some(at)) = (&s.status, s.ended_at) {
        troubles.push((at, format!("the session was aborted: {reason}")));
    }
    // In the order they happened (they were gathered step by step).
    troubles.sort_by_key(|(at, _)| *at);
    pm.failures = troubles
        .into_iter()
        .map(|(at, what)| format!("{} — {what}", fmt::utc(at)))
        .collect();
    pm
}

impl Postmortem {
    fn push(&mut self, h: Heading, source: &str, note: Note) {
        let list = match h {
            Heading::RootCause => &mut self.root_cause,
            Heading::Impact => &mut self.impact,
            Heading::WentWell => &mut self.went_well,
            Heading::WentWrong => &mut self.went_wrong,
            Heading::Action => &mut self.action_items,
        };
        list.push(Quoted {
            source: source.to_owned(),
            note,
        });
    }

    /// Rule 2, skipping the heading the whole note already went under.
    fn labelled(&mut self, whole: Option<Heading>, source: &str, note: &Note) {
        for line in note.text.lines().map(str::trim_start) {
            let lower = line.to_lowercase();
            let Some((_, h)) = LABELS.iter().find(|(l, _)| lower.starts_with(*l)) else {
                continue;
            };
            if Some(*h) != whole {
                let text = line.to_owned();
                self.push(
                    *h,
                    source,
                    Note {
                        text,
                        ..note.clone()
                    },
                );
            }
        }
    }
}
/// Whether a word in `text` starts with one of `stems`.
fn mentions(text: &str, stems: &[&str]) -> bool {
    text.split(|c: char| !c.is_alphanumeric())
        .any(|word| stems.iter().any(|stem| word.starts_with(stem)))
}

/// Whether attempt `attempt` of `step` is the failure the runbook allows
/// (`on_failure: continue`): the step's last attempt, and the step failed.
pub fn failed_as_allowed(s: &Session, step: &str, attempt: u32) -> bool {
    let Some(st) = s.step(step) else {
        return false;
    };
    st.status == StepStatus::Failed
        && st.attempts.last().is_some_and(|a| a.number == attempt)
        && s.runbook
            .step(step)
            .is_some_and(|d| d.on_failure == OnFailure::Continue)
}

/// What went wrong at a step; an allowed failure (`on_failure: continue`)
/// is not one.
fn step_troubles(s: &Session, st: &StepState) -> Vec<(DateTime<Utc>, String)> {
    let label = label(s, st);
    let mut out: Vec<(DateTime<Utc>, String)> = st
        .attempts
        .iter()
        .filter(|a| a.success != Some(true))
        .filter(|a| !failed_as_allowed(s, &st.id, a.number))
        .map(|a| {
            let at = a.ended_at.unwrap_or(a.started_at);
            let what = format!("{label}: attempt {} {}", a.number, attempt_result(a));
            (at, what)
        })
        .collect();
    if let (StepStatus::DoneByHand, Some(at)) = (&st.status, st.settled_at) {
        out.push((at, format!("{label}: marked done by hand")));
    }
    out
}

/// `Last line of output` / `Last 20 lines of output`.
pub fn last_lines(n: usize) -> String {
    if n == 1 {
        "Last line of output".to_owned()
    } else {
        format!("Last {n} lines of output")
    }
}

/// Why a step was skipped, if it was.
pub fn skip_reason(st: &StepState) -> Option<&str> {
    match &st.status {
        StepStatus::Skipped { reason } => Some(reason),
        _ => None,
    }
}

/// The Started, Ended and Duration lines of a header, as (label, text).
pub fn when(s: &Session, off: chrono::FixedOffset, tz: &str) -> Vec<(&'static str, String)> {
    let mut lines = Vec::new();
    if let Some(at) = s.started_at {
        lines.push(("Started", fmt::stamp(at, off, tz)));
    }
    match (s.ended_at, s.last_at) {
        (Some(end), _) => lines.push(("Ended", fmt::stamp(end, off, tz))),
        (None, Some(last)) => lines.push((
            "Ended",
            format!("not recorded (last event {})", fmt::stamp(last, off, tz)),
        )),
        _ => {}
    }
    if let (Some(start), Some(end)) = (s.started_at, s.ended_at.or(s.last_at)) {
        let ms = (end - start).num_milliseconds().max(0) as u64;
        let to = if s.ended_at.is_none() {
            " (to the last recorded event)"
        } else {
            ""
        };
        lines.push(("Duration", format!("{}{to}", fmt::duration_ms(ms))));
    }
    lines
}

/// `ana@bastion-1, bob@bastion-2`, or `none recorded`.
pub fn operators(s: &Session) -> String {
    if s.operators.is_empty() {
        return "none recorded".to_owned();
    }
    let names: Vec<String> = s.operators.iter().map(|a| fmt::who(Some(a))).collect();
    names.join(", ")
}

/// `UTC, with local time (Europe/Paris, UTC+01:00) in brackets`.
pub fn times_note(off: chrono::FixedOffset, tz: &str) -> String {
    format!(
        "UTC, with local time ({tz}, {}) in brackets",
        fmt::offset_name(off)
    )
}

/// A fact about the record itself: its integrity check, and what loading
/// it dropped. An `alarm` is said loudly, at the top.
#[derive(Clone, Debug)]
pub struct RecordNote {
    pub label: &'static str,
    pub text: String,
    pub alarm: bool,
}

/// What a transcript says about the journal it was made from (nothing
/// when no check was made).
pub fn record_notes(ctx: &super::Context) -> Vec<RecordNote> {
    use crate::session::chain::Status;
    let Some(i) = &ctx.integrity else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    let note = |label, text, alarm| RecordNote { label, text, alarm };
    if let Some(p) = &i.problem {
        notes.push(note(
            "WARNING — the journal fails its integrity check",
            format!(
                "line {}: {}. What this transcript shows from there on may not be what happened; \
                 `{}` repeats the check",
                p.line, p.what, ctx.verify
            ),
            true,
        ));
    }
    let journal = match (&i.chain, &i.problem) {
        (Status::Intact { head }, None) => format!(
            "{} events, hash chain intact; chain head {head}. \
             `{} --head {head}` checks that the journal still holds exactly these records",
            i.events, ctx.verify
        ),
        (Status::Unchained, _) => format!(
            "{} events, unchained (written by an older stepwise): changes to it cannot be detected",
            i.events
        ),
        _ => format!("{} events, {}", i.events, i.chain.describe()),
    };
    notes.push(note("Journal", journal, false));
    for w in &i.warnings {
        notes.push(note("Warning", w.clone(), false));
    }
    notes
}

/// An attempt's log cut short, in words: where, why, and what was lost.
pub fn log_cut(cut: &crate::session::state::LogCut) -> String {
    let lost = match cut.lost {
        0 => String::new(),
        n => format!("; {n} more bytes of output were shown live but are kept nowhere"),
    };
    format!(
        "the log was cut at byte {} ({}){lost}",
        cut.kept, cut.reason
    )
}

/// Why stepwise stopped a session on an error, in words.
pub fn stopped_on_error(reason: &str) -> String {
    format!(
        "stepwise stopped the session because it could not write its record: {}. \
         Nothing after that was recorded.",
        reason.trim_end().trim_end_matches('.')
    )
}

/// Processes of a step's group ended after its first process exited.
pub fn leftovers(count: u32) -> String {
    let what = if count == 1 { "process" } else { "processes" };
    format!("ended {count} leftover {what} of the step's group after it exited")
}

/// How an update fared: `delivered`, `failed` or `unknown`.
pub fn update_outcome(u: &crate::session::state::SentUpdate) -> &'static str {
    match &u.results {
        None => "unknown",
        Some(_) if u.delivered() => "delivered",
        Some(_) => "failed",
    }
}

/// Where an attempt's whole output is, `code` marking the path up: its
/// log, or for a fleet step its hosts' logs (the step itself has none).
pub fn full_log(st: &StepState, a: &Attempt, code: impl Fn(&str) -> String) -> String {
    if st.fleet.is_fleet() {
        let pattern = format!(
            "{}/{}.<host>.{}.log",
            crate::session::store::OUTPUT_DIR,
            st.id,
            a.number
        );
        format!(
            "Each host's full log: {} (the host's name made file-safe)",
            code(&pattern)
        )
    } else {
        format!("Full log: {}", code(&a.log))
    }
}
