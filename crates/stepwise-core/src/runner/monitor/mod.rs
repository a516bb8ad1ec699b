//! Steps that outlive stepwise: each running attempt is held by a monitor
//! process (the same binary, `stepwise __monitor`), detached from stepwise's
//! session and terminal, like podman's conmon or containerd's shim. The
//! monitor owns the step's pipes (or pty), writes its log, enforces its
//! timeout, reaps it and records its exit beside the log (durably, unless
//! the attached stepwise acknowledged it as journalled); stepwise is a
//! client that can die and come back (`resume` re-attaches).
//!
//! Parts: `entry` (the hidden mode's dispatch), `fd0` (the inherited
//! socket), `wire` (frames on the socket), `record` (the spec sent over and
//! the exit record left behind), `files` (the files beside the log, the
//! short socket path, liveness), `serve` (the monitor's body), `client`
//! ([`MonitorRunner`], the `StepRunner` stepwise uses), `zygote` (the one
//! spawner per stepwise that forks each attempt's monitor).
//!
//! Never touches the journal: the engine journals what the runner reports.

mod client;
mod entry;
mod fd0;
pub mod files;
pub mod record;
pub mod serve;
mod wire;
pub mod zygote;

pub use client::MonitorRunner;
pub use entry::main;
pub use files::HIDDEN_COMMAND;
