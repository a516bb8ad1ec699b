//! What the engine journals about an attempt besides its start and exit
//! (`impl Engine`, split from `engine.rs`): a timeout when it happens, a
//! cancel, the leftovers of its process group, a log cut short, and an
//! attempt that never ran because its record could not be written.
//! Journals only; decides nothing.

use super::{Engine, Running};
use crate::engine::process::Outcome;
use crate::runbook::model::Step;
use crate::session::event::{Event, ExitInfo};
use std::io;

impl Engine {
    /// The running step's `timeout:` ran out: its process runner ends the
    /// group now (SIGTERM, then SIGKILL after the grace). Journalled at
    /// once, so the operator hears of it when it happens, not after the
    /// grace; the attempt counts as timed out whatever its exit.
    pub(super) async fn on_timeout(&mut self) -> io::Result<()> {
        let Some(run) = self.running.as_mut() else {
            return Ok(());
        };
        run.timeout_at = None;
        run.timed_out = true;
        let (step, attempt) = (run.step.clone(), run.attempt);
        let def = self.step_def(&step);
        let after_ms = def.timeout.map_or(0, |t| t.as_millis() as u64);
        let event = Event::StepTimedOut {
            step,
            attempt,
            after_ms,
        };
        self.record(event, false).await
    }

    /// What the record says of an attempt besides its exit, before it: a
    /// timeout not journalled yet, a cancel, the leftovers of its group
    /// that were ended, a log cut short.
    pub(super) async fn record_attempt_facts(
        &mut self,
        run: &Running,
        outcome: &Outcome,
        def: &Step,
    ) -> io::Result<()> {
        let (step, attempt) = (run.step.clone(), run.attempt);
        if outcome.timed_out && !run.timed_out {
            let after_ms = def.timeout.map_or(0, |t| t.as_millis() as u64);
            let event = Event::StepTimedOut {
                step: step.clone(),
                attempt,
                after_ms,
            };
            self.record(event, false).await?;
        }
        if let Some((reason, by_operator)) = run
            .cancel_reason
            .clone()
            .filter(|_| outcome.cancelled || outcome.exit.signal.is_some())
        {
            let event = Event::StepCancelled {
                step: step.clone(),
                attempt,
                reason,
            };
            self.record(event, by_operator).await?;
        }
        if outcome.leftovers > 0 {
            let count = outcome.leftovers as u32;
            let ended = Event::LeftoversEnded {
                step: step.clone(),
                attempt,
                count,
            };
            self.record_deferred(ended).await?;
        }
        if let Some(e) = &outcome.log_error {
            let cut = Event::LogCut {
                step,
                attempt,
                kept: outcome.log_len,
                lost: run.lost,
                reason: e.to_string(),
            };
            self.record(cut, false).await?;
        }
        Ok(())
    }

    /// Best effort, before the session stops on a full disk: the attempt
    /// did not run (a note says why) and ended without an exit, so a
    /// resume offers to run it, knowing nothing of it is running.
    pub(super) async fn record_never_ran(&mut self, run: &Running, e: &io::Error) {
        let (step, attempt) = (run.step.clone(), run.attempt);
        let text = format!("attempt {attempt} was not started: {e}");
        let note = Event::NoteAdded {
            step: Some(step.clone()),
            text,
        };
        let exit = ExitInfo {
            code: None,
            signal: None,
        };
        let exited = Event::StepExited {
            step,
            attempt,
            exit,
            duration_ms: 0,
            success: false,
        };
        if self.record(note, false).await.is_ok() {
            let _ = self.record(exited, false).await;
        }
    }
}
