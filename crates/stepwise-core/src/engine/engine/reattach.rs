//! Steps that outlive a stepwise (`impl Engine`, split from `engine.rs`):
//! taking up, on resume, an attempt an earlier stepwise left running
//! (re-attached through the runner, or journalled as outcome unknown when
//! nothing of it can be followed), and leaving a running step to its
//! monitor (quit "leave it running", SIGHUP).

use super::{CHUNKS_IN_FLIGHT, Engine, Running};
use crate::engine::process::Outcome;
use crate::runbook::model::Step;
use crate::runner::{AttemptId, Reattach};
use crate::session::event::Event;
use crate::session::fleet::HostStatus;
use crate::session::state::StepStatus;
use std::io;

impl Engine {
    /// For each step the journal shows running (an earlier stepwise ended
    /// while it ran): re-attach when its monitor still holds it or left its
    /// exit; pending again when it never started; otherwise its outcome is
    /// unknown.
    pub(super) async fn take_up_running(&mut self) -> io::Result<()> {
        let running: Vec<(String, u32)> = self
            .session
            .steps
            .iter()
            .filter_map(|st| match st.status {
                StepStatus::Running { attempt } => Some((st.id.clone(), attempt)),
                _ => None,
            })
            .collect();
        for (step, attempt) in running {
            if self.session.step(&step).is_some_and(|s| s.fleet.is_fleet()) {
                self.take_up_fleet(step, attempt).await?;
                continue;
            }
            if self.running.is_some() || !self.reattach(&step, attempt).await? {
                let event = Event::OutcomeUnknown { step, attempt };
                self.record(event, false).await?;
            }
        }
        Ok(())
    }

    /// A fleet step an earlier stepwise left running: each host's real
    /// exit is journalled first (`take_up_hosts`). The step has no process
    /// of its own to follow. With no host of the attempt started, it never
    /// started and runs again without a question. With a host whose exit
    /// nothing knows, or hosts the rollout had not reached, whether it is
    /// done is the operator's to say (outcome unknown: a re-run, or
    /// `continue`, runs only the hosts not done). With every host's exit
    /// known, the attempt ends as its rollout would have: succeeded within
    /// its failure budget, else failed.
    async fn take_up_fleet(&mut self, step: String, attempt: u32) -> io::Result<()> {
        self.take_up_hosts(&step, attempt).await?;
        let Some(st) = self.session.step(&step) else {
            return Ok(());
        };
        let this = || st.fleet.hosts.iter().filter(|h| h.attempt == attempt);
        let any_started = this().any(|h| h.status != HostStatus::Pending);
        let unsure = this().any(|h| matches!(h.status, HostStatus::Running | HostStatus::Unknown));
        // Hosts the plan had not reached carry no attempt of theirs.
        let not_reached = st.fleet.count(HostStatus::Pending) > 0;
        if !any_started {
            return self
                .record(Event::StepNotStarted { step, attempt }, false)
                .await;
        }
        if unsure || not_reached {
            // The operator's to say: a re-run runs only the hosts not done.
            return self
                .record(Event::OutcomeUnknown { step, attempt }, false)
                .await;
        }
        // Every host has its exit: the rollout had reached its end, and it
        // ends as it would have (within its failure budget, or not), its
        // `retry:` and `on_failure` applied as to any failure.
        let ok = !st.fleet.over_budget();
        let cancelled = st.fleet.stopped.as_deref() == Some(crate::engine::fleet::CANCELLED);
        let duration_ms = rollout_ms(st, attempt);
        let def = self.step_def(&step);
        let tries_left = st.tries_left(attempt, def.retry.attempts);
        let exit = Event::StepExited {
            step: step.clone(),
            attempt,
            exit: crate::session::event::ExitInfo {
                code: Some(if ok { 0 } else { 1 }),
                signal: None,
            },
            duration_ms,
            success: ok,
        };
        self.record(exit, false).await?;
        if ok {
            return Ok(());
        }
        self.on_failure(&def, attempt, tries_left, cancelled).await
    }

    /// Re-attaches to `step`'s attempt if its runner can (or journals that
    /// it never started); false if neither.
    async fn reattach(&mut self, step: &str, attempt: u32) -> io::Result<bool> {
        let Some(a) = self
            .session
            .step(step)
            .and_then(|s| s.attempts.iter().find(|a| a.number == attempt))
        else {
            return Ok(false);
        };
        let log = self.setup.session_dir.join(&a.log);
        let from = a.stdout_bytes + a.stderr_bytes;
        let which = AttemptId {
            step: step.to_owned(),
            attempt,
            target: None,
        };
        let ended_at = match self.setup.runner.reattach(&which, &log) {
            Reattach::Live { .. } => None,
            Reattach::Finished { ended_at } => Some(ended_at),
            Reattach::Gone | Reattach::Orphaned { .. } => return Ok(false),
            Reattach::NeverStarted => {
                let step = step.to_owned();
                self.record(Event::StepNotStarted { step, attempt }, false)
                    .await?;
                return Ok(true);
            }
        };
        let runner = self.setup.runner.clone();
        let Some(started) = runner.attach(&which, &log, from, CHUNKS_IN_FLIGHT) else {
            return Ok(false);
        };
        let def = self.step_def(step);
        let tries_left = self
            .session
            .step(step)
            .map_or(0, |st| st.tries_left(attempt, def.retry.attempts));
        let event = Event::StepReattached {
            step: step.to_owned(),
            attempt,
            ended_at,
        };
        self.record(event, false).await?;
        self.running = Some(Running {
            step: step.to_owned(),
            attempt,
            // Attempts left of the run it belongs to.
            tries_left,
            cancel: started.cancel,
            cancel_reason: None,
            chunks: started.chunks,
            task: started.done,
            input: started.input,
            fleet: None,
            pending: None,
            last_flush: tokio::time::Instant::now(),
            log,
            lost: 0,
            // The monitor enforces the timeout; it is journalled at the exit.
            timeout_at: None,
            timed_out: false,
        });
        Ok(true)
    }

    /// Whether a running step can be left to run on: its runner keeps it
    /// alive, and the session can be resumed (not the demo's).
    pub(super) fn can_detach(&self) -> bool {
        self.setup.runner.survives_detach() && self.setup.close_when_left.is_none()
    }

    /// Leaves the running step to its monitor: what output the journal
    /// lacks is recorded (a resume re-attaches from there), then the
    /// connection is dropped. The step runs on.
    pub(super) async fn detach(&mut self) -> io::Result<()> {
        let Some(mut run) = self.running.take() else {
            return Ok(());
        };
        if let Some(p) = run.pending.take() {
            self.record_output(&run.step, run.attempt, p)?;
        }
        drop(run);
        self.retry = None;
        self.sync().await
    }

    /// Whether a step's `capture:` survived: a capture made while no
    /// stepwise was attached is kept on disk only when it is not secret.
    /// When it is lost the attempt cannot count as a success; a note says
    /// so (run the step again).
    pub(super) async fn capture_kept(
        &mut self,
        def: &Step,
        run: &Running,
        outcome: &Outcome,
    ) -> io::Result<bool> {
        if def.capture.is_none() || outcome.stdout.is_some() {
            return Ok(true);
        }
        let text = format!(
            "attempt {} finished while stepwise was not running; its capture {} may hold a \
             secret, so its monitor did not keep it on disk: run the step again to capture it",
            run.attempt,
            def.capture.as_deref().unwrap_or("")
        );
        let note = Event::NoteAdded {
            step: Some(run.step.clone()),
            text,
        };
        self.record(note, false).await?;
        Ok(false)
    }
}

/// How long the rollout of `attempt` took: from the attempt's start to
/// its last host's end (not to the resume that journals it, which may
/// come hours later).
fn rollout_ms(st: &crate::session::state::StepState, attempt: u32) -> u64 {
    let Some(began) = st.attempts.iter().find(|a| a.number == attempt) else {
        return 0;
    };
    let ends = st.fleet.hosts.iter().filter(|h| h.attempt == attempt);
    let last = ends
        .filter_map(|h| {
            Some(h.started_at? + chrono::TimeDelta::milliseconds(h.duration_ms? as i64))
        })
        .max();
    last.map_or(0, |end| {
        (end - began.started_at).num_milliseconds().max(0) as u64
    })
}
