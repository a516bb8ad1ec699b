//! The seam between the engine and whatever carries out a step attempt.
//!
//! The engine decides (which attempt, when, what it means); a
//! [`StepRunner`] carries out: it starts an attempt of a step, streams its
//! output as [`Chunk`]s that name their place in the attempt's log, reports
//! how it ended ([`Outcome`]), stops it when the cancel signal goes `true`,
//! and says, for an attempt begun by an earlier stepwise process, what is
//! left of it ([`Reattach`]).
//!
//! Runners: [`ProcessRunner`] (a real process on this machine, in its own
//! session and process group) and [`ScriptedRunner`] (a script, for tests
//! of the engine's policy on tokio's paused clock). A runner never touches
//! the journal or the screen: what it reports becomes session events only
//! through the engine.

mod process;
mod scripted;

pub use crate::engine::process::{Chunk, Outcome, Spec};
pub use process::ProcessRunner;
pub use scripted::{Act, Given, ScriptedRunner};

use std::io;
use std::path::Path;
use tokio::sync::{mpsc, watch};

/// Which attempt: the step, its attempt number (from 1), and later the
/// target host of a fleet step.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AttemptId {
    pub step: String,
    pub attempt: u32,
}

/// A started attempt, as the engine holds it.
pub struct Started {
    /// Output, in log order; closed once the attempt's output is drained.
    pub chunks: mpsc::Receiver<Chunk>,
    /// Set to `true` to cancel (SIGTERM, grace, SIGKILL for a process).
    pub cancel: watch::Sender<bool>,
    /// How the attempt ended; an error when it could not run at all.
    pub done: tokio::task::JoinHandle<io::Result<Outcome>>,
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
}

/// Carries out step attempts for the engine. See the module docs.
pub trait StepRunner: Send + Sync {
    /// Starts the attempt described by `spec`. Output chunks go to a
    /// bounded channel of `capacity` (backpressure: a slow engine slows
    /// the reading, it never grows a queue).
    fn start(&self, id: &AttemptId, spec: Spec, capacity: usize) -> Started;

    /// What is left of attempt `id`, whose log is `log`, started by an
    /// earlier stepwise process.
    fn reattach(&self, id: &AttemptId, log: &Path) -> Reattach;
}

/// The channels a runner hands out with a started attempt.
pub(crate) fn channels(
    capacity: usize,
) -> (
    (mpsc::Sender<Chunk>, mpsc::Receiver<Chunk>),
    (watch::Sender<bool>, watch::Receiver<bool>),
) {
    (mpsc::channel(capacity), watch::channel(false))
}
