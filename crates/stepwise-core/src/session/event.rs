//! Session events: everything that happens in a session, as data.
//!
//! The journal is a list of [`Record`]s, one JSON line each. Every reader
//! (the fold in `state.rs`, the TUI, headless output, exports) works from
//! these; nothing else records what happened. This module never does I/O.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One journal line: a sequence number, a UTC time, who did it, and what.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub seq: u64,
    pub at: DateTime<Utc>,
    /// The operator (`--operator`, else `$USER`) and host, for events a
    /// person caused or witnessed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Actor>,
    #[serde(flatten)]
    pub event: Event,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user: String,
    pub host: String,
}

/// Which pipe a piece of output came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Where an input's value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputSource {
    /// `--var K=V` on the command line.
    Var,
    /// The runbook's `default`.
    Default,
    /// The stdout of the input's `default_from` command.
    DefaultFrom,
    /// Typed by the operator in the inputs form, before the session began.
    Prompt,
    /// Given by the operator during the session (the interface's `i` key,
    /// or `set NAME=VALUE` on stdin headless), for the steps that run
    /// after it; usually replacing an earlier value. Journals written
    /// before this variant existed never hold it, so they load unchanged.
    Changed,
    /// `--var-file K=PATH` (a file, or `-` for stdin). Journals written
    /// before this variant recorded it as `var`.
    VarFile,
    /// The environment (`STEPWISE_VAR_K`). Journals written before this
    /// variant recorded it as `var`.
    Env,
}

impl InputSource {
    /// A word or two for tables and screens.
    pub fn label(self) -> &'static str {
        match self {
            InputSource::Var => "--var",
            InputSource::Default => "default",
            InputSource::DefaultFrom => "default_from",
            InputSource::Prompt => "typed",
            InputSource::Changed => "changed during the session",
            InputSource::VarFile => "--var-file",
            InputSource::Env => "STEPWISE_VAR_*",
        }
    }
}

/// How a human step was confirmed (or a batch answered).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmedVia {
    /// A person answered in the interface or on stdin.
    Operator,
    /// `--yes` answered for them.
    YesFlag,
    /// An `--answer STEP=…` answered for them (`done`; on a start:
    /// `run`, `rerun`, `continue`, or `done` for an automated step).
    Answer,
    /// Nobody could answer (headless, no answer given): stepwise stopped
    /// the rollout after the batch, recorded as nobody's. Batches only;
    /// journals written before it existed never hold it.
    Nobody,
}

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitInfo {
    /// Exit code when the process exited.
    pub code: Option<i32>,
    /// Signal number when it was killed by a signal.
    pub signal: Option<i32>,
}

impl std::fmt::Display for ExitInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.code, self.signal) {
            (Some(c), _) => write!(f, "exit {c}"),
            (None, Some(s)) => write!(f, "signal {s}"),
            (None, None) => write!(f, "unknown exit"),
        }
    }
}

/// How one channel took a status update (`update_result`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelOutcome {
    pub channel: String,
    pub ok: bool,
    /// `HTTP 200`, `exit 0`, `appended`, or why it failed (masked).
    pub detail: String,
    /// Not ok, but it may have arrived: the request went out and no answer
    /// came in time. Absent (false) in journals written before it existed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unsure: bool,
}

/// What happened. Serialized with a `type` field in snake_case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    SessionStarted {
        session_id: String,
        runbook_id: String,
        runbook_title: String,
        /// The path the runbook was started from, as given.
        runbook_path: String,
        runbook_sha256: String,
        auto: bool,
        dry_run: bool,
        /// The step `--from` started at, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from_step: Option<String>,
        stepwise_version: String,
        pid: u32,
    },
    /// A process took the session up again (after a quit or a crash).
    /// Recorded with the operator who resumed (`by`).
    SessionResumed {
        pid: u32,
        /// The operator who held the session last, when someone else takes
        /// it up (a handover). Older journals never hold it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        handed_over_from: Option<Actor>,
        /// Why the session was taken up (`stepwise resume --reason`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The runbook file on disk differs from the session's copy.
    RunbookChanged {
        path: String,
        session_sha256: String,
        current_sha256: String,
    },
    InputGiven {
        name: String,
        /// The value, or `••••••` for a secret.
        value: String,
        secret: bool,
        source: InputSource,
    },
    StepStarted {
        step: String,
        attempt: u32,
        /// The command text exactly as it runs (values are in the environment).
        command: String,
        /// Relative to the session folder: `output/<step>.<attempt>.log`.
        log: String,
        /// Started by an answer given in advance, for a person: `--yes`
        /// or `--answer` (a `confirm: true` step's approval, a re-run).
        /// Absent when a person started it, or stepwise did (auto mode, a
        /// scheduled retry: the record's `by` says which).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        via: Option<ConfirmedVia>,
    },
    /// A run of output from one stream, stored in the attempt's log at
    /// `offset..offset+len`.
    OutputRecorded {
        step: String,
        attempt: u32,
        stream: Stream,
        offset: u64,
        len: u64,
    },
    StepExited {
        step: String,
        attempt: u32,
        exit: ExitInfo,
        duration_ms: u64,
        /// Whether the exit counts as success (`expect_exit`).
        success: bool,
    },
    StepTimedOut {
        step: String,
        attempt: u32,
        after_ms: u64,
    },
    StepCancelled {
        step: String,
        attempt: u32,
        reason: String,
    },
    /// A `capture:` value was stored.
    Captured {
        step: String,
        name: String,
        value: String,
        secret: bool,
    },
    HumanConfirmed {
        step: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        /// The checklist items ticked, by index.
        #[serde(default)]
        checked: Vec<usize>,
        via: ConfirmedVia,
    },
    StepSkipped {
        step: String,
        reason: String,
        /// Answered in advance (`--answer STEP=skip:…`), not typed by a
        /// person then. Older journals never hold it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        via: Option<ConfirmedVia>,
    },
    MarkedDone {
        step: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        /// Answered in advance (`--answer STEP=done:…`). Older journals
        /// never hold it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        via: Option<ConfirmedVia>,
    },
    NoteAdded {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
        text: String,
    },
    /// The step was running when the process holding the session died.
    OutcomeUnknown {
        step: String,
        attempt: u32,
    },
    /// A signal reached stepwise (`SIGINT`, `SIGTERM`, `SIGHUP`).
    Interrupted {
        signal: String,
    },
    /// The operator left the session; it can be resumed. With a
    /// `reason`, nobody left: a headless stepwise stopped because what
    /// came next needed an answer it was not given (recorded as
    /// stepwise's, `by` absent). Journals written before the reason
    /// existed never hold one.
    SessionLeft {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    SessionAborted {
        reason: String,
    },
    SessionCompleted,
    /// Auto mode was turned on or off (`a` in the interface; a driver that
    /// starts in a mode other than the journal's last one records it too).
    /// Journals written before this variant existed never hold it.
    AutoChanged {
        on: bool,
    },
    /// A failed attempt will be tried again at `due` (`retry:`): the step
    /// is not settled, only waiting. Its next "step started" ends the wait,
    /// and so does the end of the process that scheduled it (the schedule
    /// lives in that process; a resume leaves the decision to the operator).
    RetryScheduled {
        step: String,
        /// The attempt to come, and how many the step may have.
        attempt: u32,
        of: u32,
        due: DateTime<Utc>,
    },
    /// The operator cancelled a scheduled retry before it started.
    RetryCancelled {
        step: String,
        reason: String,
    },
    /// An attempt's log could not be written to its end (a full disk): it
    /// holds the first `kept` bytes of the attempt's (masked) output;
    /// `lost` more bytes were shown live but are in no file. Journals
    /// written before this event existed never hold it.
    LogCut {
        step: String,
        attempt: u32,
        kept: u64,
        lost: u64,
        reason: String,
    },
    /// stepwise stopped the session on an error: it could not write its
    /// record (a full disk, an I/O error). Resumable once the cause is
    /// fixed; written only when the journal itself could still take it.
    SessionStopped {
        reason: String,
    },
    /// After the attempt's first process exited (and its output was
    /// drained), `count` processes of its group were still alive and were
    /// ended (SIGTERM, then SIGKILL). Journals written before this event
    /// existed never hold it.
    LeftoversEnded {
        step: String,
        attempt: u32,
        count: u32,
    },
    /// A resume found the attempt (left running by an earlier stepwise)
    /// still held by its monitor: re-attached, its output and exit follow
    /// as usual. With `ended_at`, it had finished then, while no stepwise
    /// was running; its exit (real code and duration) follows. Journals
    /// written before this event existed never hold it.
    StepReattached {
        step: String,
        attempt: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ended_at: Option<DateTime<Utc>>,
    },
    /// An update is about to be sent (journalled, fsync'd, before any
    /// channel sees it): the text exactly as it will go (masked), its
    /// status word, the channels, and the key every send of it carries.
    /// An intent with no `update_result` after it was cut short by a
    /// crash: its delivery is unknown and a resume asks before re-sending.
    /// Journals written before this event existed never hold it.
    UpdateIntent {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
        key: String,
        status: crate::runbook::model::UpdateStatus,
        channels: Vec<String>,
        text: String,
    },
    /// How each channel took the update of `key` (an error text is masked).
    UpdateResult {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
        key: String,
        results: Vec<ChannelOutcome>,
    },
    /// The session runs on these hosts only (`--limit`), from now on.
    /// Journals written before the fleet events existed never hold them.
    HostsLimited {
        hosts: Vec<String>,
    },
    /// A fleet step's attempt will run on these hosts, in these batches
    /// (hosts that succeeded in an earlier attempt are left out).
    FleetPlanned {
        step: String,
        attempt: u32,
        batches: Vec<Vec<String>>,
        /// The failures the rollout takes before it stops.
        budget: u32,
        /// Each batch's number, when not 1, 2, …: a plan that goes on with
        /// an earlier one keeps its batches' numbers. Absent in journals
        /// written before it existed, and when the numbers are 1, 2, ….
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        numbers: Vec<u32>,
    },
    /// One host of a fleet step's attempt started; its log is
    /// `output/<step>.<host>.<attempt>.log`.
    HostStarted {
        step: String,
        attempt: u32,
        host: String,
        batch: u32,
        log: String,
    },
    /// A run of one host's output, stored in its log at `offset..offset+len`.
    HostOutputRecorded {
        step: String,
        attempt: u32,
        host: String,
        stream: Stream,
        offset: u64,
        len: u64,
    },
    HostExited {
        step: String,
        attempt: u32,
        host: String,
        exit: ExitInfo,
        duration_ms: u64,
        success: bool,
        /// Why, in words, when the host could not be reached or run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// A batch ended and the rollout waits for the operator
    /// (`between_batches: confirm`).
    BatchWaiting {
        step: String,
        attempt: u32,
        /// The batch that ended (from 1).
        batch: u32,
    },
    /// The operator answered after a batch: go on with the next, or stop.
    BatchAnswered {
        step: String,
        attempt: u32,
        batch: u32,
        proceed: bool,
        via: ConfirmedVia,
    },
    /// The rollout started no more hosts (failure budget exceeded, a
    /// stop after a batch, a cancel).
    RolloutStopped {
        step: String,
        attempt: u32,
        reason: String,
    },
    /// A resume found that the attempt, journalled as started by an
    /// earlier stepwise, never ran (that stepwise stopped before the
    /// step's monitor ran it): the step is pending again and runs as a
    /// new attempt, without a question. Journals written before this
    /// event existed never hold it.
    StepNotStarted {
        step: String,
        attempt: u32,
    },
}

impl Event {
    /// The step this event is about, if any.
    pub fn step(&self) -> Option<&str> {
        use Event::*;
        match self {
            StepStarted { step, .. }
            | OutputRecorded { step, .. }
            | StepExited { step, .. }
            | StepTimedOut { step, .. }
            | StepCancelled { step, .. }
            | Captured { step, .. }
            | HumanConfirmed { step, .. }
            | StepSkipped { step, .. }
            | MarkedDone { step, .. }
            | OutcomeUnknown { step, .. }
            | RetryScheduled { step, .. }
            | RetryCancelled { step, .. }
            | LogCut { step, .. }
            | LeftoversEnded { step, .. }
            | StepReattached { step, .. }
            | FleetPlanned { step, .. }
            | HostStarted { step, .. }
            | HostOutputRecorded { step, .. }
            | HostExited { step, .. }
            | BatchWaiting { step, .. }
            | BatchAnswered { step, .. }
            | RolloutStopped { step, .. }
            | StepNotStarted { step, .. } => Some(step),
            NoteAdded { step, .. } | UpdateIntent { step, .. } | UpdateResult { step, .. } => {
                step.as_deref()
            }
            _ => None,
        }
    }

    /// Whether this event marks where a stepwise process began or ended
    /// its part of the session (started, resumed, stopped, interrupted,
    /// left, aborted, completed).
    pub fn is_session_mark(&self) -> bool {
        use Event::*;
        matches!(
            self,
            SessionStarted { .. }
                | SessionResumed { .. }
                | Interrupted { .. }
                | SessionStopped { .. }
                | SessionLeft { .. }
                | SessionAborted { .. }
                | SessionCompleted
        )
    }
}

/// The last session mark of a journal ([`Event::is_session_mark`]): how
/// its last stepwise ended, when it said so. An interruption is followed
/// by the records of what it stopped (the running step's cancellation and
/// exit), so the last record alone does not tell.
pub fn last_session_mark(records: &[Record]) -> Option<&Event> {
    records
        .iter()
        .rev()
        .map(|r| &r.event)
        .find(|e| e.is_session_mark())
}
