//! What a rollout reports to the engine ([`Happening`]) and how its tasks
//! wait for a cancel. Data and one helper; nothing else.

use crate::engine::process::Chunk;
use crate::session::event::ExitInfo;
use tokio::sync::oneshot;

/// What happens in a rollout, for the engine to journal and publish.
#[derive(Debug)]
pub enum Happening {
    /// The hosts and their batches (succeeded hosts of earlier attempts
    /// left out).
    Planned {
        /// Each batch with its number (see `FleetPlanned::numbers`).
        batches: Vec<(u32, Vec<String>)>,
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
pub(crate) async fn until_cancelled(cancel: &mut tokio::sync::watch::Receiver<bool>) {
    if cancel.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}
