//! The next step, handed over ahead (`impl Engine`, split from
//! `engine.rs`): in auto mode, while a step runs, the step that auto mode
//! will start after it (if it succeeds) is given to a step monitor at
//! once, held: its shell starts and waits before its command (see
//! `process::hold`). On its turn, if the step and its whole spec are
//! still what was handed over, the engine journals its start, syncs, and
//! only then says go: the write-ahead rule holds, and the shell's start
//! is no longer between two steps. Anything else (a failure, a retry, a
//! skip, a value that changed) withdraws it: its monitor kills the held
//! shell, which never ran its command, and lets the attempt go.
//!
//! Never journals anything itself, and never lets a command run before
//! its start is durable.

use super::{Ahead, CHUNKS_IN_FLIGHT, Engine};
use crate::engine::process::{self, Spec};
use crate::runner::{AttemptId, GoAhead, Started};
use crate::session::state::StepStatus;
use std::time::Duration;

/// How long a withdrawn attempt's monitor may take to let it go.
const WITHDRAW_PATIENCE: Duration = Duration::from_secs(5);

impl Ahead {
    /// Whether this is attempt `which`, to be run with `spec`.
    pub(super) fn is(&self, which: &AttemptId, spec: &Spec) -> bool {
        &self.which == which && process::same_run(&self.spec, spec)
    }

    /// The attempt and its go-ahead.
    pub(super) fn take(self) -> (Started, GoAhead) {
        (self.started, self.go)
    }

    /// Withdraws it, and waits (within reason) until its monitor has let
    /// it go, so the same attempt can be started anew.
    pub(super) async fn withdraw(self) {
        drop(self.go);
        let _ = tokio::time::timeout(WITHDRAW_PATIENCE, self.started.done).await;
    }
}

impl Engine {
    /// The index of the step auto mode would start once the running one
    /// succeeds, if it would start one by itself.
    fn next_after_running(&self) -> Option<usize> {
        let run = self.running.as_ref()?;
        let def = self.step_def(&run.step);
        // Its capture changes the next step's environment.
        if run.fleet.is_some() || def.capture.is_some() || self.retry.is_some() {
            return None;
        }
        let here = self.session.steps.iter().position(|s| s.id == run.step)?;
        let next =
            (0..self.session.steps.len()).find(|&i| i != here && !self.session.is_settled(i))?;
        let st = &self.session.steps[next];
        (st.status == StepStatus::Pending && self.starts_by_itself(next)).then_some(next)
    }

    /// In auto mode, hands the step that comes next over ahead (see the
    /// module docs). Nothing when the runner cannot hold an attempt.
    pub(super) fn start_ahead(&mut self) {
        if !self.auto || self.stopping.is_some() || self.ahead.is_some() {
            return;
        }
        let Some(i) = self.next_after_running() else {
            return;
        };
        let def = self.step_def(&self.session.steps[i].id);
        if def.is_fleet() || def.tty {
            return;
        }
        let attempt = self.session.steps[i].attempts.len() as u32 + 1;
        let (which, log_path) = self.attempt_files(&def.id, attempt);
        let command = def.run.clone().unwrap_or_default();
        let kept = self.spec_for(&def, &command, log_path.clone());
        let given = self.spec_for(&def, &command, log_path);
        if let Ok((started, go)) = self
            .setup
            .runner
            .start_held(&which, given, CHUNKS_IN_FLIGHT)
        {
            self.ahead = Some(Ahead {
                which,
                spec: kept,
                started,
                go,
            });
        }
    }
}
