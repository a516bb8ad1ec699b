//! The runner of real processes on this machine: each attempt is spawned
//! by `engine::process::run` in its own session and process group, and
//! the group's id is kept beside the log so a later stepwise can tell
//! whether it still runs.

use super::seam::{AttemptId, Reattach, Started, StepRunner, channels};
use crate::engine::process::{self, Spec};
use std::path::Path;

/// Keys (and sizes) on their way to a tty step's terminal.
const KEYS_IN_FLIGHT: usize = 256;

/// Runs attempts as real local processes. Stateless.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessRunner;

impl StepRunner for ProcessRunner {
    fn start(&self, _id: &AttemptId, spec: Spec, capacity: usize) -> Started {
        let ((tx, chunks), (cancel, cancel_rx)) = channels(capacity);
        let (input, keys) = if spec.tty && spec.interactive {
            let (tx, rx) = tokio::sync::mpsc::channel(KEYS_IN_FLIGHT);
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let done = tokio::spawn(process::run(spec, tx, cancel_rx, keys));
        Started {
            chunks,
            cancel,
            done,
            input,
        }
    }

    fn reattach(&self, _id: &AttemptId, log: &Path) -> Reattach {
        match process::survivor::still_running(log) {
            Some(pgid) => Reattach::Orphaned { pgid },
            None => Reattach::Gone,
        }
    }
}
