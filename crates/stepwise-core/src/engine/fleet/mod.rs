//! The fleet coordinator: runs one attempt of a fleet step (`on:`) as a
//! rollout over its hosts, and hands the engine what happens on each host
//! ([`Happening`]) to journal. The engine still sees one running step; it
//! stays the only journal writer.
//!
//! - `hosts` resolves a step's targets to hosts (`hosts`, `hosts_from`).
//! - `rollout` schedules per-host attempts: batches in order, at most
//!   `max_in_flight` at once, the failure budget, the pause or the
//!   operator's answer between batches, cancel.
//! - `host` runs one host on its runner (ssh, or the local process runner
//!   with `TARGET` set) and says why it failed.
//!
//! Nothing here writes the journal or renders.

mod host;
mod hosts;
mod rollout;

pub use hosts::resolve;
pub use rollout::{Plan, Shared, run};

use crate::engine::process::Chunk;
use crate::session::event::ExitInfo;
use tokio::sync::oneshot;

/// What happens in a rollout, for the engine to journal and publish.
#[derive(Debug)]
pub enum Happening {
    /// The hosts and their batches (succeeded hosts of earlier attempts
    /// left out).
    Planned {
        batches: Vec<Vec<String>>,
        budget: u32,
    },
    /// A host is about to start; `ack` once that is journalled.
    Starting {
        host: String,
        batch: u32,
        log: String,
        ack: oneshot::Sender<()>,
    },
    Output {
        host: String,
        chunk: Chunk,
    },
    Exited {
        host: String,
        exit: ExitInfo,
        duration_ms: u64,
        success: bool,
        message: Option<String>,
    },
    /// Batch `batch` ended; `answer` true to go on with the next one.
    Waiting {
        batch: u32,
        answer: oneshot::Sender<bool>,
    },
    /// No new host starts, and why.
    Stopped {
        reason: String,
    },
}

/// Resolves once `cancel` is `true`; never, if its sender is gone.
pub(crate) async fn cancelled(cancel: &mut tokio::sync::watch::Receiver<bool>) {
    if cancel.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}
