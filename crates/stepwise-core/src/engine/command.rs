//! What drivers (the TUI, headless mode) ask the engine to do, and what the
//! engine tells them back. Plain data; no behaviour.

use crate::session::event::{ConfirmedVia, Record, Stream};

/// A request from a driver.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Run an automated step (also re-runs a failed or outcome-unknown one);
    /// for an update step, send its draft (or re-send the last one).
    Start {
        step: String,
    },
    /// `Start`, answered in advance for a person (`--yes`, `--answer`):
    /// the journal's "step started" says so.
    StartAnswered {
        step: String,
        via: ConfirmedVia,
    },
    /// A `Skip` or `MarkDone` answered in advance (`--answer`): journalled
    /// as the flag's, with the operator named.
    Answered {
        cmd: Box<Command>,
        via: ConfirmedVia,
    },
    /// Send an update step with this text (edited by the operator; masked
    /// before it is journalled). `Start` sends the draft as it is.
    SendUpdate {
        step: String,
        text: String,
    },
    /// Send a regular update (`updates:`) now: this text, or the draft.
    SendCadence {
        text: Option<String>,
    },
    /// A human step is done.
    Confirm {
        step: String,
        note: Option<String>,
        checked: Vec<usize>,
        via: ConfirmedVia,
    },
    Skip {
        step: String,
        reason: String,
    },
    /// Skip every unsettled step of an optional section, with one reason.
    SkipSection {
        section: usize,
        reason: String,
    },
    MarkDone {
        step: String,
        note: Option<String>,
    },
    /// Cancel the running step.
    Cancel {
        reason: String,
    },
    Note {
        step: Option<String>,
        text: String,
    },
    /// Give an input a value during the session (one learnt late, or a
    /// correction), for the steps that run from then on. The value is
    /// real: a secret one is masked before it is journalled.
    GiveInput {
        name: String,
        value: String,
    },
    /// Turn auto mode on or off.
    SetAuto(bool),
    /// After a batch of a fleet step (`between_batches: confirm`): go on
    /// with the next batch, or stop the rollout.
    Rollout {
        step: String,
        proceed: bool,
        via: ConfirmedVia,
    },
    Abort {
        reason: String,
    },
    /// Complete the session though an update step was not delivered
    /// (an engine that asks before closing waits for this, a resend or a
    /// skip; see `Setup::ask_before_closing`).
    Close,
    /// The operator leaves; the session stays resumable.
    Leave,
    /// A headless driver stops: what comes next needs an answer it was
    /// not given (`reason` says which). Recorded as stepwise's, resumable.
    Stop {
        reason: String,
    },
    /// The driver itself stopped (its terminal failed): as
    /// [`Command::LeaveRunning`], recorded as stepwise's, with `reason`.
    DriverGone {
        reason: String,
    },
    /// The operator leaves with the running step still running, held by
    /// its monitor (`resume` re-attaches). With a runner whose steps cannot
    /// outlive stepwise this is [`Command::Leave`].
    LeaveRunning,
    /// A signal arrived. `stop_running` cancels the running step (SIGINT,
    /// SIGTERM); otherwise (SIGHUP) nothing new starts and the running step
    /// is left running under its monitor (or, with a runner whose steps
    /// cannot outlive stepwise, may finish first).
    Interrupt {
        signal: String,
        stop_running: bool,
    },
    /// Keys typed into (or a new size for) the running `tty: true` step's
    /// pseudo-terminal. Forwarded as is; never journalled, never logged.
    TtyInput(crate::runner::TtyInput),
}

/// Something the engine reports.
#[derive(Clone, Debug, PartialEq)]
pub enum Update {
    /// A record, after the journal has it.
    Record(Record),
    /// Live output of the running attempt (already redacted).
    Output {
        step: String,
        attempt: u32,
        stream: Stream,
        bytes: Vec<u8>,
    },
    /// Live output of one host of the running fleet step (already redacted).
    HostOutput {
        step: String,
        host: String,
        stream: Stream,
        bytes: Vec<u8>,
    },
    /// Nothing runs; the engine waits for the driver's next command.
    Idle,
    /// Not from an engine: a follower's watch found that the running
    /// attempt's monitor recorded how it ended while no stepwise was
    /// attached. Nothing journals it until a resume re-attaches.
    EndedAway {
        step: String,
        attempt: u32,
        exit: crate::session::event::ExitInfo,
        duration_ms: u64,
    },
    /// A command that cannot be carried out, and why.
    Rejected(String),
    /// The engine stopped.
    Ended(End),
}

/// Why the engine stopped.
#[derive(Clone, Debug, PartialEq)]
pub enum End {
    Completed,
    Aborted,
    Left,
    Interrupted(String),
    /// Writing failed (disk full, …): the message names the path.
    Failed(String),
}
