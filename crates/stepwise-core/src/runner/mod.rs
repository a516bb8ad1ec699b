//! The seam between the engine and whatever carries out a step attempt.
//!
//! The engine decides (which attempt, when, what it means); a
//! [`StepRunner`] carries out: it starts an attempt of a step, streams its
//! output as [`Chunk`]s that name their place in the attempt's log, reports
//! how it ended ([`Outcome`]), stops it when the cancel signal goes `true`,
//! and says, for an attempt begun by an earlier stepwise process, what is
//! left of it ([`Reattach`]).
//!
//! Runners: [`MonitorRunner`] (a real process held by a monitor process
//! that outlives stepwise, in its own process group within the monitor's
//! session; what the binary uses), [`ProcessRunner`] (a real
//! process on this machine, in its own session and process group, held by
//! stepwise itself) and [`ScriptedRunner`] (a script, for tests
//! of the engine's policy on tokio's paused clock). A runner never touches
//! the journal or the screen: what it reports becomes session events only
//! through the engine.

pub mod monitor;
mod process;
mod scripted;
mod seam;
pub mod ssh;
mod ssh_mux;
pub mod tty_input;

pub use crate::engine::process::{Chunk, Outcome, Spec};
pub use monitor::MonitorRunner;
pub use process::ProcessRunner;
pub use scripted::{Act, Given, ScriptedRunner};
pub use seam::{AttemptId, GoAhead, MonitorLost, Reattach, Started, StepRunner, TtyInput};
pub use ssh::{SshOptions, SshRunner};
