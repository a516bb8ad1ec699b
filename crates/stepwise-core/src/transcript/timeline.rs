//! The timeline: one row per event a person cares about, in journal order,
//! with who did it. Output chunks are left out (they are in the logs); the
//! inputs given at the start are one row; a gap where stepwise was not
//! running is a row. Pure: no I/O (log times come in the `Context`).

use super::context::{Context, MASK};
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

/// The rows of a session's timeline. The inputs given at the start are one
/// row (their values are in the Inputs section); later changes are rows of
/// their own. A resume after stepwise stopped without a word is preceded by
/// a row for the gap, at the last sign of life (record or log write).
pub fn rows(s: &Session, ctx: &Context) -> Vec<Row> {
    // Each input's value so far, to say what a change replaced.
    let mut values: HashMap<&str, &str> = HashMap::new();
    let mut out = Vec::new();
    let mut inputs_shown = false;
    for (i, r) in ctx.records.iter().enumerate() {
        let what = match &r.event {
            Event::InputGiven {
                name,
                value,
                source,
                ..
            } => {
                let before = values.insert(name, value);
                if *source != InputSource::Changed {
                    if !std::mem::replace(&mut inputs_shown, true) {
                        out.push(row(s, r, inputs_at_start(&ctx.records)));
                    }
                    continue;
                }
                given(s, &r.event, before)
            }
            Event::RetryScheduled {
                step,
                attempt,
                of,
                due,
            } => format!(
                "{} scheduled in {}",
                fmt::capitalise(&retry_words(s, step, *attempt, *of)),
                fmt::duration_ms((*due - r.at).num_milliseconds().max(0) as u64)
            ),
            Event::SessionResumed { .. } => {
                out.extend(gap(s, ctx, i));
                resumed(&r.event, r.by.as_ref())
            }
            e => match what(s, e) {
                Some(w) => w,
                None => continue,
            },
        };
        out.push(row(s, r, what));
    }
    out
}

fn row(s: &Session, r: &Record, what: String) -> Row {
    let step = r
        .event
        .step()
        .and_then(|id| s.step(id))
        .map(|st| report::label(s, st))
        .unwrap_or_default();
    Row {
        at: r.at,
        step,
        what,
        who: who(r),
        tone: tone(s, &r.event),
    }
}

/// `13 inputs: 11 defaults, 2 discovered`: the values given before the
/// session began, counted by where they came from.
fn inputs_at_start(records: &[Record]) -> String {
    let sources = [
        (InputSource::Default, "default", "defaults"),
        (InputSource::DefaultFrom, "discovered", "discovered"),
        (InputSource::Var, "from --var", "from --var"),
        (InputSource::VarFile, "from --var-file", "from --var-file"),
        (
            InputSource::Env,
            "from the environment",
            "from the environment",
        ),
        (InputSource::Prompt, "typed", "typed"),
    ];
    let given: Vec<InputSource> = records
        .iter()
        .filter_map(|r| match &r.event {
            Event::InputGiven { source, .. } if *source != InputSource::Changed => Some(*source),
            _ => None,
        })
        .collect();
    let counts: Vec<String> = sources
        .iter()
        .filter_map(|(src, one, many)| {
            let n = given.iter().filter(|g| *g == src).count();
            (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }))
        })
        .collect();
    let noun = if given.len() == 1 { "input" } else { "inputs" };
    format!("{} {noun}: {}", given.len(), counts.join(", "))
}

/// Before the resume at `records[i]`: when stepwise had stopped without a
/// word (no "left", interruption or stop record: a crash), a row at its
/// last sign of life, its last record. A later write to a running step's
/// log is no sign: the step's monitor writes it, and outlives stepwise.
fn gap(s: &Session, ctx: &Context, i: usize) -> Option<Row> {
    let resume = ctx.records.get(i)?;
    // The fold found the stops nobody recorded (`Session::silent_stops`).
    let (at, _) = *s.silent_stops.iter().find(|(_, back)| *back == resume.at)?;
    let by = resume.by.as_ref().map_or("someone", |a| a.user.as_str());
    Some(Row {
        at,
        step: String::new(),
        what: format!(
            "stepwise stopped without a record of why (killed, crashed or its machine down) after {} (its last record); resumed at {} by {by}",
            fmt::clock(at, None),
            fmt::clock(resume.at, None)
        ),
        who: "stepwise".to_owned(),
        tone: "bad",
    })
}

/// See [`crate::session::state::StepState::retry_words`].
fn retry_words(s: &Session, step: &str, attempt: u32, of: u32) -> String {
    s.step(step).map_or_else(
        || format!("attempt {attempt} of {of}"),
        |st| st.retry_words(attempt, of),
    )
}

fn tone(s: &Session, e: &Event) -> &'static str {
    match e {
        Event::StepExited { success: true, .. }
        | Event::HumanConfirmed { .. }
        | Event::MarkedDone { .. }
        | Event::SessionCompleted => "good",
        Event::StepExited { step, attempt, .. } | Event::StepTimedOut { step, attempt, .. }
            if report::failed_as_allowed(s, step, *attempt) =>
        {
            ""
        }
        Event::StepExited { success: false, .. }
        | Event::StepTimedOut { .. }
        | Event::StepCancelled { .. }
        | Event::OutcomeUnknown { .. }
        | Event::Interrupted { .. }
        | Event::LogCut { .. }
        | Event::SessionStopped { .. }
        | Event::HostExited { success: false, .. }
        | Event::RolloutStopped { .. }
        | Event::SessionAborted { .. } => "bad",
        Event::UpdateResult { results, .. } if results.iter().any(|c| !c.ok) => "bad",
        Event::UpdateResult { .. } => "good",
        _ => "",
    }
}

/// `Update delivered: incident (HTTP 200)` or which channels failed, why.
fn update_result(results: &[crate::comms::ChannelOutcome]) -> String {
    let each: Vec<String> = results
        .iter()
        .map(|c| format!("{} ({})", c.channel, one_line(&c.detail)))
        .collect();
    let word = if results.iter().all(|c| c.ok) {
        "Update delivered"
    } else if results.iter().all(|c| c.ok || c.unsure) {
        "Update delivery unknown (no answer in time)"
    } else {
        "Update NOT delivered everywhere"
    };
    format!("{word}: {}", each.join("; "))
}

fn who(r: &Record) -> String {
    let who = fmt::who(r.by.as_ref());
    match &r.event {
        Event::HumanConfirmed {
            via: ConfirmedVia::YesFlag,
            ..
        }
        | Event::BatchAnswered {
            via: ConfirmedVia::YesFlag,
            ..
        }
        | Event::StepStarted {
            via: Some(ConfirmedVia::YesFlag),
            ..
        } => format!("--yes ({who})"),
        Event::HumanConfirmed {
            via: ConfirmedVia::Answer,
            ..
        }
        | Event::BatchAnswered {
            via: ConfirmedVia::Answer,
            ..
        }
        | Event::StepStarted {
            via: Some(ConfirmedVia::Answer),
            ..
        }
        | Event::StepSkipped {
            via: Some(ConfirmedVia::Answer),
            ..
        }
        | Event::MarkedDone {
            via: Some(ConfirmedVia::Answer),
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
        Event::StepStarted {
            step,
            attempt,
            command,
            ..
        } if s.runbook.step(step).is_some_and(|d| d.confirm) => {
            format!(
                "Run approved, attempt {attempt} started: {}",
                one_line(command)
            )
        }
        Event::StepStarted { attempt, .. } => format!("Attempt {attempt} started"),
        Event::OutputRecorded { .. } | Event::HostOutputRecorded { .. } => return None,
        Event::HostsLimited { .. }
        | Event::FleetPlanned { .. }
        | Event::HostStarted { .. }
        | Event::HostExited { .. }
        | Event::BatchWaiting { .. }
        | Event::BatchAnswered { .. }
        | Event::RolloutStopped { .. } => return fleet_what(e),
        Event::StepExited {
            step,
            attempt,
            exit,
            duration_ms,
            success,
        } => {
            // Cancelled (the row before says by whom): it ended on that.
            let cancelled = s
                .step(step)
                .and_then(|st| st.attempts.iter().find(|a| a.number == *attempt))
                .is_some_and(|a| a.cancelled.is_some());
            let word = match success {
                true => "passed",
                false if report::failed_as_allowed(s, step, *attempt) => {
                    "failed as allowed (on_failure: continue)"
                }
                false if cancelled => "ended as cancelled",
                false => "failed",
            };
            format!(
                "Attempt {attempt} {word}: {exit} after {}",
                fmt::duration_ms(*duration_ms)
            )
        }
        Event::StepTimedOut {
            step,
            attempt,
            after_ms,
        } => {
            let allowed = if report::failed_as_allowed(s, step, *attempt) {
                " (failed as allowed: on_failure: continue)"
            } else {
                ""
            };
            format!(
                "Attempt {attempt} timed out after {}{allowed}",
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
        } => confirmed(s, step, note.as_deref(), checked.len()),
        Event::StepSkipped { reason, .. } => format!("Skipped: {reason}"),
        Event::MarkedDone { note: None, .. } => "Marked done by hand".to_owned(),
        Event::MarkedDone { note: Some(n), .. } => {
            format!("Marked done by hand; note: {}", one_line(n))
        }
        Event::NoteAdded { text, .. } => format!("Note: {}", one_line(text)),
        Event::OutcomeUnknown { attempt, .. } => {
            format!(
                "Attempt {attempt}: outcome unknown (stepwise or the step's monitor stopped while it ran)"
            )
        }
        Event::StepNotStarted { attempt, .. } => {
            format!("Attempt {attempt} never started (stepwise stopped first): run again")
        }
        Event::Interrupted { signal } => format!("stepwise interrupted by {signal}"),
        Event::SessionLeft { reason: None } => "Operator left the session (resumable)".to_owned(),
        Event::SessionLeft {
            reason: Some(reason),
        } => format!(
            "stepwise stopped the session (resumable): {}",
            one_line(reason)
        ),
        Event::SessionAborted { reason } => format!("Session aborted: {reason}"),
        Event::SessionCompleted => "Session completed".to_owned(),
        Event::AutoChanged { on: true } => "Auto mode on".to_owned(),
        Event::AutoChanged { on: false } => "Auto mode off".to_owned(),
        Event::RetryScheduled {
            step, attempt, of, ..
        } => format!(
            "{} scheduled",
            fmt::capitalise(&retry_words(s, step, *attempt, *of))
        ),
        Event::UpdateIntent {
            status,
            channels,
            text,
            ..
        } => format!(
            "Update ({}) to {}: {}",
            status.word(),
            channels.join(", "),
            one_line(text)
        ),
        Event::UpdateResult { results, .. } => update_result(results),
        Event::RetryCancelled { reason, .. } => format!("Retry cancelled: {reason}"),
        Event::LogCut {
            attempt,
            kept,
            lost,
            reason,
            ..
        } => {
            let cut = crate::session::state::LogCut {
                kept: *kept,
                lost: *lost,
                reason: reason.clone(),
            };
            format!("Attempt {attempt}: {}", report::log_cut(&cut))
        }
        Event::SessionStopped { reason } => report::stopped_on_error(reason),
        Event::LeftoversEnded { attempt, count, .. } => {
            format!("Attempt {attempt}: {}", report::leftovers(*count))
        }
        Event::StepReattached {
            attempt, ended_at, ..
        } => reattached(*attempt, *ended_at),
    })
}

/// A re-attach in words. Shared with headless output.
pub fn reattached(attempt: u32, ended_at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    match ended_at {
        Some(at) => format!(
            "Attempt {attempt} finished while stepwise was not running (at {}); its real exit follows",
            at.format("%H:%M:%S UTC")
        ),
        None => format!("Re-attached to attempt {attempt}, still running under its monitor"),
    }
}

/// A fleet event in words: the plan, each host's start and end, the
/// batches and their confirmations.
fn fleet_what(e: &Event) -> Option<String> {
    Some(match e {
        Event::HostsLimited { hosts } => format!("Limited to hosts {}", hosts.join(", ")),
        Event::FleetPlanned {
            attempt,
            batches,
            budget,
            ..
        } => {
            let sizes: Vec<String> = batches.iter().map(|b| b.len().to_string()).collect();
            let hosts: usize = batches.iter().map(Vec::len).sum();
            format!(
                "Attempt {attempt}: rollout to {} in batches of {} (failures allowed: {budget})",
                crate::session::fleet::FleetState::hosts_word(hosts),
                sizes.join(", ")
            )
        }
        Event::HostStarted { host, batch, .. } => format!("[{host}] started (batch {batch})"),
        Event::HostExited {
            host,
            exit,
            success,
            message,
            ..
        } => {
            let word = if *success { "succeeded" } else { "failed" };
            match message {
                Some(m) => format!("[{host}] {word} ({exit}): {}", one_line(m)),
                None => format!("[{host}] {word} ({exit})"),
            }
        }
        Event::BatchWaiting { batch, .. } => {
            format!("Batch {batch} done; waiting for the operator")
        }
        Event::BatchAnswered {
            batch,
            proceed: true,
            ..
        } => format!("After batch {batch}: continue"),
        Event::BatchAnswered {
            batch,
            proceed: false,
            via: ConfirmedVia::Nobody,
            ..
        } => format!("After batch {batch}: stop the rollout (nobody to confirm the next one)"),
        Event::BatchAnswered {
            batch,
            proceed: false,
            ..
        } => format!("After batch {batch}: stop the rollout"),
        Event::RolloutStopped { reason, .. } => format!("Rollout stopped: {}", one_line(reason)),
        _ => return None,
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

fn confirmed(s: &Session, step: &str, note: Option<&str>, ticked: usize) -> String {
    let mut out = "Confirmed done".to_owned();
    let items = s.runbook.step(step).map_or(0, |d| d.checklist.len());
    if items > 0 {
        out.push_str(&format!("; {ticked} of {items} checklist items ticked"));
    }
    if let Some(note) = note {
        out.push_str(&format!("; note: {}", one_line(note)));
    }
    out
}

pub fn source_word(source: InputSource) -> &'static str {
    source.label()
}

/// A note or a command whole, on one line: its lines joined by ` / `.
fn one_line(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join(" / ")
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
