//! The rollout of one fleet step attempt: batches in order, at most
//! `max_in_flight` hosts at once, failures counted against the budget
//! (when they exceed it, no new host starts and the running ones finish),
//! and the pause or the operator's answer between batches.

use super::Happening;
use super::host;
use super::hosts::{self, HostEntry};
use crate::engine::process::{Outcome, Spec};
use crate::engine::redact::Redactor;
use crate::runbook::model::{Between, Runbook, Step};
use crate::runner::StepRunner;
use crate::session::event::ExitInfo;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;

/// Everything a rollout needs, prepared by the engine.
pub struct Plan {
    pub book: Runbook,
    pub def: Step,
    pub shell: Vec<String>,
    pub base_dir: PathBuf,
    pub limit: Option<Vec<String>>,
    /// Hosts that succeeded in an earlier attempt: never run again.
    pub done: Vec<String>,
    pub shared: Shared,
}

/// What every host of the attempt shares.
pub struct Shared {
    pub step: String,
    pub attempt: u32,
    pub session_dir: PathBuf,
    pub local: Arc<dyn StepRunner>,
    pub ssh: Arc<dyn StepRunner>,
    /// The shell argv and the command (the command last).
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: Option<PathBuf>,
    pub timeout: Option<Duration>,
    pub grace: Duration,
    pub drain: Duration,
    pub redactor: Arc<Redactor>,
    pub expect_exit: Vec<i32>,
}

impl Shared {
    /// The spec of one host: `TARGET` and `TARGET_INDEX` besides the values.
    pub fn spec(&self, host: &str, index: usize, log_path: PathBuf) -> Spec {
        let mut spec = Spec::new(self.argv.clone(), log_path);
        spec.env = self.env.clone();
        spec.env.push(("TARGET".into(), host.to_owned()));
        spec.env.push(("TARGET_INDEX".into(), index.to_string()));
        spec.cwd = self.cwd.clone();
        spec.timeout = self.timeout;
        spec.grace = self.grace;
        spec.drain = self.drain;
        spec.redactor = self.redactor.clone();
        spec
    }
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
    let all = hosts::resolve(&plan.book, &plan.def, &plan.shell, &plan.base_dir, limit).await?;
    let todo: Vec<String> = all
        .iter()
        .map(|h| h.host.clone())
        .filter(|h| !plan.done.contains(h))
        .collect();
    let rollout = &plan.def.rollout;
    let batches = rollout.batches_of(&todo);
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
    for (i, batch) in batches.into_iter().enumerate() {
        let n = i as u32 + 1;
        r.batch(&batch, n, rollout.max_in_flight).await;
        if r.stopped || n as usize == count || !r.between(rollout.between_batches, n).await {
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
            self.stop("the step was cancelled".into()).await;
        }
    }

    async fn failed(&mut self) {
        self.failures += 1;
        if self.failures > self.budget && !self.stopped {
            let reason = format!(
                "{} host(s) failed, more than the {} allowed (`max_failures`): no new host starts",
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
                    _ = super::cancelled(&mut self.cancel) => false,
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
                    _ = super::cancelled(&mut self.cancel) => false,
                };
                if !go {
                    let reason = format!("stopped after batch {n}");
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
