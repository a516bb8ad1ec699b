//! The seam itself: which attempt ([`AttemptId`]), what a started attempt
//! hands the engine ([`Started`]), what is left of an earlier one
//! ([`Reattach`]), the engine's word that a held attempt may run
//! ([`GoAhead`]), and the [`StepRunner`] trait every runner implements.

use crate::engine::process::{Chunk, Outcome, Spec};
use std::io;
use std::path::Path;
use tokio::sync::{mpsc, watch};

/// Which attempt: the step, its attempt number (from 1), and later the
/// target host of a fleet step.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AttemptId {
    pub step: String,
    pub attempt: u32,
    /// The host, for one host of a fleet step.
    pub target: Option<String>,
}

/// A started attempt, as the engine holds it.
pub struct Started {
    /// Output, in log order; closed once the attempt's output is drained.
    pub chunks: mpsc::Receiver<Chunk>,
    /// Set to `true` to cancel (SIGTERM, grace, SIGKILL for a process).
    pub cancel: watch::Sender<bool>,
    /// How the attempt ended; an error when it could not run at all.
    pub done: tokio::task::JoinHandle<io::Result<Outcome>>,
    /// Keys and size for the pseudo-terminal of a `tty: true` attempt;
    /// `None` for a pipe attempt (its stdin is `/dev/null`) or a runner
    /// that cannot take input. What goes in here is never journalled.
    pub input: Option<mpsc::Sender<TtyInput>>,
}

pub use super::tty_input::TtyInput;

/// The error of an attempt whose monitor went away (killed) after it had
/// started the step, without recording how the step ended: the step may
/// still run. Not a failure to start: its outcome is unknown.
#[derive(Debug)]
pub struct MonitorLost;

impl std::fmt::Display for MonitorLost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the step's monitor ended without recording how the step ended")
    }
}

impl std::error::Error for MonitorLost {}

impl MonitorLost {
    pub fn error() -> io::Error {
        io::Error::other(MonitorLost)
    }

    /// Whether `e` says the attempt's monitor was lost.
    pub fn is(e: &io::Error) -> bool {
        e.get_ref().is_some_and(|inner| inner.is::<MonitorLost>())
    }
}

/// The engine's word, for an attempt started ahead of its journal's sync
/// ([`StepRunner::start_held`]), that its "started" record is durable:
/// only then may anything of the attempt run. Dropped unsent (the sync
/// failed), the attempt never runs.
pub struct GoAhead(Box<dyn FnOnce() + Send>);

impl GoAhead {
    /// The runner's side: what saying "go" does.
    pub fn new(go: impl FnOnce() + Send + 'static) -> GoAhead {
        GoAhead(Box::new(go))
    }

    /// The start is durable: the attempt may run.
    pub fn send(self) {
        (self.0)()
    }
}

/// What is left of an attempt that an earlier stepwise process started
/// and never saw end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reattach {
    /// Nothing of it runs any more (or nothing can be known of it).
    Gone,
    /// Processes of it still run in process group `pgid`, which this
    /// runner cannot follow: running the step again would run it twice.
    Orphaned { pgid: i32 },
    /// Its monitor (process `monitor`) still holds it: [`StepRunner::attach`]
    /// follows it to its end.
    Live { monitor: i32 },
    /// It ended at `ended_at` while no stepwise was attached; its exit was
    /// recorded and [`StepRunner::attach`] hands it over.
    Finished {
        ended_at: chrono::DateTime<chrono::Utc>,
    },
    /// It never ran and never will: the stepwise that started it stopped
    /// before its monitor ran the step (the monitor, if it got as far as
    /// claiming the attempt, saw that and ran nothing). Running the step
    /// again runs it once.
    NeverStarted,
}

/// Carries out step attempts for the engine. See the module docs.
pub trait StepRunner: Send + Sync {
    /// Starts the attempt described by `spec`. Output chunks go to a
    /// bounded channel of `capacity` (backpressure: a slow engine slows
    /// the reading, it never grows a queue).
    fn start(&self, id: &AttemptId, spec: Spec, capacity: usize) -> Started;

    /// Like [`StepRunner::start`], for an attempt whose "started" record is
    /// written and not yet durable: the runner gets it ready meanwhile (a monitor
    /// claims its socket and spawns a bash step held before its command),
    /// and runs nothing of it before [`GoAhead::send`]; a go-ahead dropped
    /// unsent lets it go, and its `done` ends once nothing of it is left.
    /// The spec comes back when this runner cannot (the default): the
    /// engine syncs, then calls `start`.
    fn start_held(
        &self,
        id: &AttemptId,
        spec: Spec,
        capacity: usize,
    ) -> Result<(Started, GoAhead), Box<Spec>> {
        let _ = (id, capacity);
        Err(Box::new(spec))
    }

    /// What is left of attempt `id`, whose log is `log`, started by an
    /// earlier stepwise process.
    fn reattach(&self, id: &AttemptId, log: &Path) -> Reattach;

    /// Takes up attempt `id` (see [`Reattach::Live`], [`Reattach::Finished`]):
    /// its output from log offset `from` on (what the journal already has
    /// is not sent again), then live output and its real outcome. `None`
    /// when this runner cannot (the default).
    fn attach(&self, id: &AttemptId, log: &Path, from: u64, capacity: usize) -> Option<Started> {
        let _ = (id, log, from, capacity);
        None
    }

    /// The exit of attempt `id` is durable in the journal: a runner that
    /// keeps its own durable record of exits may spare that work.
    fn exit_recorded(&self, id: &AttemptId) {
        let _ = id;
    }

    /// An attempt is likely to start soon (a session with a command left
    /// to run is starting): a runner may get ready ahead of need. Must
    /// return at once, and start nothing a step could see.
    fn prepare(&self) {}

    /// Whether an attempt keeps running when its [`Started`] is dropped
    /// (stepwise leaving with the step running, or losing its terminal).
    fn survives_detach(&self) -> bool {
        false
    }
}

/// The output channel of an attempt: the runner's end and the engine's.
pub(crate) type OutputChannel = (mpsc::Sender<Chunk>, mpsc::Receiver<Chunk>);
/// The cancel signal of an attempt: the engine's end and the runner's.
pub(crate) type CancelChannel = (watch::Sender<bool>, watch::Receiver<bool>);

/// The channels a runner hands out with a started attempt.
pub(crate) fn channels(capacity: usize) -> (OutputChannel, CancelChannel) {
    (mpsc::channel(capacity), watch::channel(false))
}
