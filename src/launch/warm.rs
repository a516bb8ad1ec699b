//! The runtime and the step runner of a session, made before the
//! session's folder: for a new session, the monitors' spawner and a spare
//! monitor start while the folder and journal are created and synced, so
//! the first step does not wait for them (docs/PERFORMANCE.md, ninth pass).
//!
//! Starts nothing a step could see: a spare claims and runs nothing
//! before its spec, and exits when this process hangs up.

use crate::outcome::Failure;
use crate::runbook::model::Runbook;
use crate::runner::{MonitorRunner, StepRunner};
use std::path::PathBuf;
use std::sync::Arc;

/// What a session runs on, made before it is opened.
pub struct Warm {
    /// One thread headless, one per core with the interface.
    pub rt: tokio::runtime::Runtime,
    /// The runner the engine is given (its spawner and spare, once
    /// prepared, are the ones the first step uses).
    pub runner: Arc<MonitorRunner>,
}

impl Warm {
    pub fn new(headless: bool) -> Result<Warm, Failure> {
        let rt = runtime_for(headless)
            .build()
            .map_err(|e| Failure::usage(format!("cannot start the runtime: {e}")))?;
        let runner = Arc::new(MonitorRunner::new(monitor_exe()));
        Ok(Warm { rt, runner })
    }

    /// Gets the runner ready now when a step of `runbook` runs a command
    /// (a fleet step's `ssh` to each host runs under a monitor too).
    pub fn prepare_for(&self, runbook: &Runbook) {
        if runbook.steps().any(|(_, s)| s.run.is_some()) {
            let _inside = self.rt.enter();
            self.runner.prepare();
        }
    }
}

/// The runtime a session runs on. Headless, nobody types and nothing is
/// drawn: one thread runs the engine, the monitor's link and the printer,
/// so a flood's output goes from the socket to stdout without a hand-off
/// between threads (a wake-up of another core each time; about 5 % of a
/// headless flood's time, docs/PERFORMANCE.md, ninth pass). The
/// interface keeps a thread per core: keys and frames must not wait
/// behind the engine.
fn runtime_for(headless: bool) -> tokio::runtime::Builder {
    let mut builder = if headless {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    builder.enable_all();
    builder
}

/// The binary that runs step monitors: this one (`stepwise __monitor`).
fn monitor_exe() -> PathBuf {
    std::env::current_exe().unwrap_or_else(|_| PathBuf::from("stepwise"))
}
