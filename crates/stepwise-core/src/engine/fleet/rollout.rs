//! The rollout of one fleet step attempt: batches in order, at most
//! `max_in_flight` hosts at once, failures counted against the budget
//! (when they exceed it, no new host starts and the running ones finish),
//! and the pause or the operator's answer between batches.

use super::happening::{Happening, until_cancelled};
use super::host;
use super::hosts::{self, HostEntry};
use super::shared::Shared;
use crate::engine::process::Outcome;
use crate::runbook::model::{Between, Runbook, Step};
use crate::session::event::ExitInfo;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;

/// Why a rollout stopped when its step was cancelled (journalled in
/// `rollout_stopped`; a resume reads it back).
pub const CANCELLED: &str = "the step was cancelled";

/// Everything a rollout needs, prepared by the engine.
pub struct Plan {
    pub book: Runbook,
    pub def: Step,
    pub shell: Vec<String>,
    pub base_dir: PathBuf,
    pub limit: Option<Vec<String>>,
    /// Hosts that succeeded in an earlier attempt: never run again.
    pub done: Vec<String>,
    /// The batches of the step's last plan, with their numbers (empty for
    /// its first attempt): a new attempt goes on with them (see
    /// [`crate::runbook::model::Rollout::batches_after`]).
    pub earlier: Vec<(u32, Vec<String>)>,
    pub shared: Shared,
}

/// Runs the rollout to its end; the outcome is exit 0 when it went
/// through within its failure budget, 1 otherwise.
pub async fn run(
    plan: Plan,
    tx: mpsc::Sender<Happening>,
    cancel: watch::Receiver<bool>,
) -> io::Result<Outcome> {
    let began = Instant::now();
    let limit = plan.limit.as_deref();
    let ctx = hosts::Context {
        shell: &plan.shell,
        cwd: &plan.base_dir,
        env: &plan.shared.env,
    };
    let all = hosts::resolve(&plan.book, &plan.def, &ctx, limit).await?;
    let todo: Vec<String> = all
        .iter()
        .map(|h| h.host.clone())
        .filter(|h| !plan.done.contains(h))
        .collect();
    let rollout = &plan.def.rollout;
    let batches = rollout.batches_after(&plan.earlier, &todo);
    let budget = rollout.budget(all.len());
    let planned = Happening::Planned {
        batches: batches.clone(),
        budget: budget as u32,
    };
    tx.send(planned)
        .await
        .map_err(|_| io::Error::other("the engine is gone"))?;
    let mut r = Rollout {
        shared: Arc::new(plan.shared),
        all,
        tx,
        cancel,
        failures: 0,
        budget,
        stopped: false,
    };
    let count = batches.len();
    for (i, (n, batch)) in batches.into_iter().enumerate() {
        r.batch(&batch, n, rollout.max_in_flight).await;
        if r.stopped || i + 1 == count || !r.between(rollout.between_batches, n).await {
            break;
        }
    }
    let cancelled = *r.cancel.borrow();
    let ok = !r.stopped && !cancelled;
    Ok(outcome(ok, cancelled, began.elapsed()))
}

struct Rollout {
    shared: Arc<Shared>,
    all: Vec<HostEntry>,
    tx: mpsc::Sender<Happening>,
    cancel: watch::Receiver<bool>,
    failures: usize,
    budget: usize,
    stopped: bool,
}

impl Rollout {
    async fn batch(&mut self, batch: &[String], n: u32, max_in_flight: usize) {
        let mut queue = batch.iter();
        let mut running = JoinSet::new();
        loop {
            while running.len() < max_in_flight && !self.stopped && !*self.cancel.borrow() {
                let Some(name) = queue.next() else { break };
                let Some(index) = self.all.iter().position(|h| &h.host == name) else {
                    continue;
                };
                let task = host::run(
                    self.shared.clone(),
                    self.all[index].clone(),
                    index,
                    n,
                    self.tx.clone(),
                    self.cancel.clone(),
                );
                running.spawn(task);
            }
            match running.join_next().await {
                None => break,
                Some(Ok(true)) => {}
                Some(_) => self.failed().await,
            }
        }
        if *self.cancel.borrow() && !self.stopped {
            self.stop(CANCELLED.into()).await;
        }
    }

    async fn failed(&mut self) {
        self.failures += 1;
        if self.failures > self.budget && !self.stopped {
            let reason = format!(
                "{} host(s) had failed then, more than the {} allowed (`max_failures`): no new host started",
                self.failures, self.budget
            );
            self.stop(reason).await;
        }
    }

    async fn stop(&mut self, reason: String) {
        self.stopped = true;
        let _ = self.tx.send(Happening::Stopped { reason }).await;
    }

    /// Between batch `n` and the next; false to go no further.
    async fn between(&mut self, between: Between, n: u32) -> bool {
        match between {
            Between::None => true,
            Between::Pause(d) => {
                tokio::select! {
                    _ = tokio::time::sleep(d) => true,
                    _ = until_cancelled(&mut self.cancel) => false,
                }
            }
            Between::Confirm => {
                let (answer, answered) = oneshot::channel();
                if self
                    .tx
                    .send(Happening::Waiting { batch: n, answer })
                    .await
                    .is_err()
                {
                    return false;
                }
                let go = tokio::select! {
                    a = answered => a.unwrap_or(false),
                    _ = until_cancelled(&mut self.cancel) => false,
                };
                if !go {
                    let reason = format!("no go-ahead after batch {n}");
                    self.stop(reason).await;
                }
                go
            }
        }
    }
}

fn outcome(ok: bool, cancelled: bool, duration: Duration) -> Outcome {
    Outcome {
        exit: ExitInfo {
            code: Some(if ok { 0 } else { 1 }),
            signal: None,
        },
        timed_out: false,
        cancelled,
        duration,
        leftovers: 0,
        log_len: 0,
        stdout: None,
        log_error: None,
    }
}
