//! The JSON transcript, `"format": "stepwise-transcript/4"`: complete and
//! machine-readable. Runbook metadata, the session summary, inputs (secrets
//! masked), a per-step summary, and every journal record as it is in the
//! journal (secret values masked again, in case). Documented in
//! `docs/transcript-format.md`, schema in `assets/transcript.schema.json`.
//!
//! Pure: never does I/O. Field order is fixed by the structs, so the same
//! session gives the same bytes.

use super::context::{Context, JSON_FORMAT, MASK};
use super::report::{self, Counts};
use crate::session::event::{Actor, ExitInfo};
use crate::session::state::{Attempt, InputValue, Note, Session, StepState, StepStatus};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Serialize)]
struct Transcript<'a> {
    format: &'static str,
    runbook: RunbookMeta<'a>,
    session: SessionMeta<'a>,
    inputs: Vec<Value>,
    captures: Vec<Value>,
    steps: Vec<StepSummary<'a>>,
    notes: Vec<NoteOut<'a>>,
    /// Every status update sent or attempted (format 4).
    communications: Vec<UpdateOut<'a>>,
    /// The integrity check of the journal, when one was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    integrity: Option<IntegrityOut<'a>>,
    // `events` follows, written by `json_events` (see [`write`]).
}

#[derive(Serialize)]
struct IntegrityOut<'a> {
    events: usize,
    /// `intact`, `unchained` or `broken`.
    chain: &'static str,
    /// The last record's hash, when the chain is intact.
    head: Option<&'a str>,
    /// The first line that fails the check.
    problem: Option<ProblemOut<'a>>,
    warnings: &'a [String],
}

#[derive(Serialize)]
struct ProblemOut<'a> {
    line: usize,
    what: &'a str,
}

fn integrity(ctx: &Context) -> Option<IntegrityOut<'_>> {
    use crate::session::chain::Status;
    let i = ctx.integrity.as_ref()?;
    let chain = match (&i.chain, &i.problem) {
        (_, Some(_)) | (Status::Broken { .. }, _) => "broken",
        (Status::Intact { .. }, None) => "intact",
        (Status::Unchained, None) => "unchained",
    };
    Some(IntegrityOut {
        events: i.events,
        chain,
        head: i.head(),
        problem: i.problem.as_ref().map(|p| ProblemOut {
            line: p.line,
            what: &p.what,
        }),
        warnings: &i.warnings,
    })
}

#[derive(Serialize)]
struct RunbookMeta<'a> {
    id: &'a str,
    title: &'a str,
    description: Option<&'a str>,
    sha256: &'a str,
    path: &'a str,
    sections: Vec<SectionMeta<'a>>,
    follow_up: &'a [String],
}

#[derive(Serialize)]
struct SectionMeta<'a> {
    title: &'a str,
    optional: bool,
    steps: Vec<&'a str>,
}

#[derive(Serialize)]
struct SessionMeta<'a> {
    id: &'a str,
    status: &'static str,
    outcome: &'static str,
    outcome_detail: Option<String>,
    stopped_at: Option<StopOut>,
    started_at: Option<DateTime<Utc>>,
    ended_at: Option<DateTime<Utc>>,
    last_event_at: Option<DateTime<Utc>>,
    duration_ms: Option<i64>,
    operators: &'a [Actor],
    /// Who started the session.
    started_by: Option<&'a Actor>,
    /// Resumes by another operator than the one who acted last.
    handovers: Vec<HandoverOut<'a>>,
    /// Auto mode through the session: the mode it started in, then every
    /// change (format 2; format 1 had a single flag).
    auto: Vec<AutoOut<'a>>,
    dry_run: bool,
    from_step: Option<&'a str>,
    counts: CountsOut,
    session_dir: String,
    timezone: Zone<'a>,
}

#[derive(Serialize)]
struct AutoOut<'a> {
    at: DateTime<Utc>,
    on: bool,
    by: Option<&'a Actor>,
}

#[derive(Serialize)]
struct HandoverOut<'a> {
    at: DateTime<Utc>,
    from: &'a Actor,
    to: Option<&'a Actor>,
    reason: Option<&'a str>,
}

#[derive(Serialize)]
struct StopOut {
    step: String,
    state: String,
}

#[derive(Serialize)]
struct CountsOut {
    done: usize,
    skipped: usize,
    /// Counted in `failed` too (a reader of format 4 sees the same
    /// `failed`); how many of them a cancel ended.
    failed: usize,
    cancelled: usize,
    done_by_hand: usize,
    running: usize,
    unknown: usize,
    not_reached: usize,
    total: usize,
}

#[derive(Serialize)]
struct Zone<'a> {
    name: &'a str,
    utc_offset_seconds: i32,
}

#[derive(Serialize)]
struct Value {
    name: String,
    value: String,
    secret: bool,
    source: crate::session::event::InputSource,
    /// When a value given during the session was given (`source: changed`).
    changed_at: Option<DateTime<Utc>>,
    /// The values it replaced during the session, oldest first (secrets masked).
    earlier: Vec<String>,
}

#[derive(Serialize)]
struct StepSummary<'a> {
    id: &'a str,
    number: String,
    title: &'a str,
    section: usize,
    kind: &'static str,
    status: &'static str,
    confirmed_via: Option<crate::session::event::ConfirmedVia>,
    how: String,
    skip_reason: Option<&'a str>,
    settled_at: Option<DateTime<Utc>>,
    settled_by: Option<&'a Actor>,
    attempts: Vec<AttemptOut<'a>>,
    /// A fleet step's hosts, batches and answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    fleet: Option<super::fleet::FleetOut<'a>>,
    checklist: Vec<ChecklistItem<'a>>,
    notes: Vec<NoteOut<'a>>,
}

#[derive(Serialize)]
struct AttemptOut<'a> {
    number: u32,
    command: &'a str,
    started_at: DateTime<Utc>,
    /// `yes_flag` or `answer` when a flag started it for a person; else null.
    started_via: Option<crate::session::event::ConfirmedVia>,
    ended_at: Option<DateTime<Utc>>,
    exit: Option<ExitInfo>,
    duration_ms: Option<u64>,
    success: Option<bool>,
    timed_out: bool,
    cancelled: Option<&'a str>,
    stdout_bytes: u64,
    stderr_bytes: u64,
    log: String,
    /// A fleet step's attempt: each host that ran in it, and its log (the
    /// attempt itself has none). Absent for other steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    host_logs: Option<Vec<HostLogOut<'a>>>,
    tail: &'a [String],
    /// The log stops short of the output (a full disk): where and why.
    log_cut: Option<LogCutOut<'a>>,
    /// Processes of the step's group ended after its first process exited.
    leftovers: u32,
}

#[derive(Serialize)]
struct HostLogOut<'a> {
    host: &'a str,
    log: &'a str,
}

#[derive(Serialize)]
struct LogCutOut<'a> {
    kept: u64,
    lost: u64,
    reason: &'a str,
}

#[derive(Serialize)]
struct ChecklistItem<'a> {
    item: &'a str,
    checked: bool,
}

#[derive(Serialize)]
struct UpdateOut<'a> {
    at: DateTime<Utc>,
    by: Option<&'a Actor>,
    step: Option<&'a str>,
    idempotency_key: &'a str,
    status: &'static str,
    channels: &'a [String],
    text: &'a str,
    /// `delivered`, `failed` (some channel refused) or `unknown` (a crash
    /// came between the send and its answer).
    outcome: &'static str,
    results: Option<&'a [crate::comms::ChannelOutcome]>,
}

fn update(u: &crate::session::state::SentUpdate) -> UpdateOut<'_> {
    UpdateOut {
        at: u.at,
        by: u.by.as_ref(),
        step: u.step.as_deref(),
        idempotency_key: &u.key,
        status: u.status.word(),
        channels: &u.channels,
        text: &u.text,
        outcome: super::report::update_outcome(u),
        results: u.results.as_deref(),
    }
}

#[derive(Serialize)]
struct NoteOut<'a> {
    at: DateTime<Utc>,
    by: Option<&'a Actor>,
    text: &'a str,
}

pub fn render(s: &Session, ctx: &Context) -> String {
    let mut out = Vec::new();
    if let Err(e) = write(s, ctx, &mut out) {
        out = format!("{{\"format\": \"{JSON_FORMAT}\", \"error\": \"{e}\"}}\n").into_bytes();
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// [`render`] into a writer. Every field but the last, `events`, is
/// serialised here; the events are streamed by `json_events` in the same
/// pretty layout, so the whole is what serialising it at once would give.
pub fn write(s: &Session, ctx: &Context, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use std::io::Write as _;
    let t = Transcript {
        format: JSON_FORMAT,
        runbook: runbook_meta(s),
        session: session_meta(s, ctx),
        inputs: s.inputs.iter().map(|v| value(s, v)).collect(),
        captures: s.captures.iter().map(|v| value(s, v)).collect(),
        steps: s.steps.iter().map(|st| step(s, st, ctx)).collect(),
        notes: s.notes.iter().map(note).collect(),
        communications: s.updates.iter().map(update).collect(),
        integrity: integrity(ctx),
    };
    let mut head = serde_json::to_vec_pretty(&t).map_err(std::io::Error::other)?;
    // The head ends "\n}": the events go in before that brace.
    debug_assert!(head.ends_with(b"\n}"));
    head.truncate(head.len().saturating_sub(2));
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, out);
    out.write_all(&head)?;
    out.write_all(b",\n  \"events\": ")?;
    super::json_events::write(s, ctx, &mut out)?;
    out.write_all(b"\n}\n")?;
    out.flush()
}

fn runbook_meta(s: &Session) -> RunbookMeta<'_> {
    let rb = &s.runbook;
    RunbookMeta {
        id: &rb.id,
        title: &rb.title,
        description: rb.description.as_deref(),
        sha256: &s.runbook_sha256,
        path: &s.runbook_path,
        sections: rb
            .sections
            .iter()
            .map(|sec| SectionMeta {
                title: &sec.title,
                optional: sec.optional,
                steps: sec.steps.iter().map(|st| st.id.as_str()).collect(),
            })
            .collect(),
        follow_up: &rb.follow_up,
    }
}

fn session_meta<'a>(s: &'a Session, ctx: &'a Context) -> SessionMeta<'a> {
    let o = report::outcome(s, &ctx.records);
    let end = s.ended_at.or(s.last_at);
    SessionMeta {
        id: &s.id,
        status: match s.status {
            crate::session::state::SessionStatus::Active => "active",
            crate::session::state::SessionStatus::Left => "left",
            crate::session::state::SessionStatus::Completed => "completed",
            crate::session::state::SessionStatus::Aborted { .. } => "aborted",
        },
        outcome: o.word,
        outcome_detail: o.detail,
        stopped_at: o.stopped_at.map(|st| StopOut {
            step: st.step,
            state: st.state,
        }),
        started_at: s.started_at,
        ended_at: s.ended_at,
        last_event_at: s.last_at,
        duration_ms: s
            .started_at
            .zip(end)
            .map(|(a, b)| (b - a).num_milliseconds()),
        operators: &s.operators,
        started_by: s.started_by.as_ref(),
        handovers: s
            .handovers
            .iter()
            .map(|h| HandoverOut {
                at: h.at,
                from: &h.from,
                to: h.to.as_ref(),
                reason: h.reason.as_deref(),
            })
            .collect(),
        auto: s
            .auto_history
            .iter()
            .map(|c| AutoOut {
                at: c.at,
                on: c.on,
                by: c.by.as_ref(),
            })
            .collect(),
        dry_run: s.dry_run,
        from_step: s.from_step.as_deref(),
        counts: counts(report::counts(s)),
        session_dir: ctx.session_dir.to_string_lossy().into_owned(),
        timezone: Zone {
            name: &ctx.tz_name,
            utc_offset_seconds: ctx.local_offset.local_minus_utc(),
        },
    }
}

fn counts(c: Counts) -> CountsOut {
    CountsOut {
        done: c.done,
        skipped: c.skipped,
        failed: c.failed + c.cancelled,
        cancelled: c.cancelled,
        done_by_hand: c.done_by_hand,
        running: c.running,
        unknown: c.unknown,
        not_reached: c.not_reached,
        total: c.total,
    }
}

fn value(s: &Session, v: &InputValue) -> Value {
    Value {
        name: v.name.clone(),
        value: report::shown_value(s, v),
        secret: report::is_secret(s, &v.name, v.secret),
        source: v.source,
        changed_at: v.changed().then_some(v.at),
        earlier: v
            .earlier
            .iter()
            .map(|e| match report::is_secret(s, &v.name, v.secret) {
                true => MASK.to_owned(),
                false => e.clone(),
            })
            .collect(),
    }
}

fn step<'a>(s: &'a Session, st: &'a StepState, ctx: &'a Context) -> StepSummary<'a> {
    let def = s.runbook.step(&st.id);
    let checklist = def.map_or(&[][..], |d| d.checklist.as_slice());
    StepSummary {
        id: &st.id,
        number: report::number(s, st),
        title: def.map_or(st.id.as_str(), |d| d.title.as_str()),
        section: st.section,
        kind: if def.is_some_and(|d| d.is_automated()) {
            "automated"
        } else if def.is_some_and(|d| d.is_update()) {
            "update"
        } else {
            "human"
        },
        status: status(&st.status),
        confirmed_via: st.settled_via,
        how: report::how_reached(st, def),
        skip_reason: report::skip_reason(st),
        settled_at: st.settled_at,
        settled_by: st.settled_by.as_ref(),
        attempts: st.attempts.iter().map(|a| attempt(st, a, ctx)).collect(),
        fleet: super::fleet::json(&st.fleet),
        checklist: checklist
            .iter()
            .enumerate()
            .map(|(i, item)| ChecklistItem {
                item,
                checked: st.checked.contains(&i),
            })
            .collect(),
        notes: st.notes.iter().map(note).collect(),
    }
}

/// The step's state, one word: the `status` enum of the schema.
fn status(s: &StepStatus) -> &'static str {
    match s {
        StepStatus::Pending => "pending",
        StepStatus::Running { .. } => "running",
        StepStatus::Succeeded => "succeeded",
        StepStatus::Failed => "failed",
        StepStatus::Skipped { .. } => "skipped",
        StepStatus::Confirmed { .. } => "confirmed",
        StepStatus::DoneByHand => "done_by_hand",
        StepStatus::OutcomeUnknown { .. } => "outcome_unknown",
    }
}

fn attempt<'a>(st: &StepState, a: &'a Attempt, ctx: &'a Context) -> AttemptOut<'a> {
    AttemptOut {
        number: a.number,
        command: &a.command,
        started_at: a.started_at,
        started_via: a.via,
        ended_at: a.ended_at,
        exit: a.exit,
        duration_ms: a.duration_ms,
        success: a.success,
        timed_out: a.timed_out,
        cancelled: a.cancelled.as_deref(),
        stdout_bytes: a.stdout_bytes,
        stderr_bytes: a.stderr_bytes,
        // Relative to `session.session_dir` (format 3; absolute before).
        log: a.log.clone(),
        host_logs: st.fleet.is_fleet().then(|| {
            ctx.host_logs
                .get(&(st.id.clone(), a.number))
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .map(|(host, log)| HostLogOut { host, log })
                .collect()
        }),
        tail: ctx
            .tails
            .get(&(st.id.clone(), a.number))
            .map_or(&[][..], |t| t.as_slice()),
        log_cut: a.log_cut.as_ref().map(|c| LogCutOut {
            kept: c.kept,
            lost: c.lost,
            reason: &c.reason,
        }),
        leftovers: a.leftovers,
    }
}

fn note(n: &Note) -> NoteOut<'_> {
    NoteOut {
        at: n.at,
        by: n.by.as_ref(),
        text: &n.text,
    }
}
