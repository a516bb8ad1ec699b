//! The engine's side of a fleet step (`impl Engine`, split from
//! `engine.rs`): it starts the fleet coordinator as the step's one running
//! attempt, and journals what the coordinator reports of each host
//! (started, output, exited), the batches and the operator's answers.
//! The coordinator decides the order of hosts; it never writes.

use super::{Engine, FleetLink, Running};
use crate::engine::command::Update;
use crate::engine::fleet::{self, Happening, Plan, Shared};
use crate::runbook::model::Step;
use crate::runner::{SshRunner, StepRunner};
use crate::session::event::{ConfirmedVia, Event};
use std::io;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// Host events (output, exits) of a fleet step in flight to the engine:
/// all its hosts share them.
const HAPPENINGS_IN_FLIGHT: usize = 8;

impl Engine {
    /// Starts attempt `attempt` of fleet step `def` (its "step started"
    /// is journalled already).
    pub(super) fn start_fleet(
        &mut self,
        def: &Step,
        attempt: u32,
        tries_left: u32,
    ) -> io::Result<()> {
        let ssh = self.ssh_runner()?;
        let template = self.spec_for(def, def.run.as_deref().unwrap_or(""), Default::default());
        let fleet = self.session.step(&def.id).map(|s| &s.fleet);
        let done = fleet.map(|f| f.succeeded()).unwrap_or_default();
        let earlier = fleet.map(|f| f.numbered()).unwrap_or_default();
        let plan = Plan {
            book: self.session.runbook.clone(),
            def: def.clone(),
            shell: self.setup.shell.clone(),
            base_dir: self.setup.base_dir.clone(),
            limit: self.session.limit.clone(),
            done,
            earlier,
            shared: Shared {
                step: def.id.clone(),
                attempt,
                session_dir: self.setup.session_dir.clone(),
                local: self.setup.runner.clone(),
                ssh,
                argv: template.argv,
                env: template.env,
                cwd: template.cwd,
                timeout: def.timeout,
                grace: self.setup.grace,
                drain: self.setup.drain,
                redactor: self.redactor.clone(),
                expect_exit: def.expect_exit.clone(),
                ssh_options: self.setup.fleet.ssh_options.clone(),
            },
        };
        let (tx, happenings) = mpsc::channel(HAPPENINGS_IN_FLIGHT);
        let (cancel, cancel_rx) = watch::channel(false);
        let task = tokio::spawn(fleet::run(plan, tx, cancel_rx));
        // The step's own chunk channel stays empty: output comes per host.
        let (_, chunks) = mpsc::channel(1);
        self.running = Some(Running {
            step: def.id.clone(),
            attempt,
            tries_left,
            cancel,
            cancel_reason: None,
            chunks,
            task,
            pending: None,
            last_flush: tokio::time::Instant::now(),
            log: self.setup.session_dir.join("output"),
            lost: 0,
            timeout_at: None,
            timed_out: false,
            input: None,
            fleet: Some(FleetLink {
                happenings,
                waiting: None,
            }),
        });
        Ok(())
    }

    fn ssh_runner(&mut self) -> io::Result<Arc<dyn StepRunner>> {
        if let Some(r) = &self.setup.fleet.ssh {
            return Ok(r.clone());
        }
        let options = self.setup.fleet.ssh_options.clone();
        let local = self.setup.runner.clone();
        let r: Arc<dyn StepRunner> = Arc::new(SshRunner::new(options, local)?);
        self.setup.fleet.ssh = Some(r.clone());
        Ok(r)
    }

    /// `--limit` given: journalled when it differs from the session's.
    pub(super) async fn set_limit(&mut self) -> io::Result<()> {
        let Some(hosts) = self.setup.fleet.limit.clone() else {
            return Ok(());
        };
        if self.session.limit.as_ref() == Some(&hosts) {
            return Ok(());
        }
        self.record(Event::HostsLimited { hosts }, true).await
    }

    /// Journals (and publishes) one thing that happened in the rollout.
    pub(super) async fn on_happening(&mut self, h: Happening) -> io::Result<()> {
        let Some(run) = self.running.as_ref() else {
            return Ok(());
        };
        let (step, attempt) = (run.step.clone(), run.attempt);
        match h {
            Happening::Planned { batches, budget } => {
                let plain = batches.iter().zip(1..).all(|((n, _), i)| *n == i);
                let numbers = match plain {
                    true => Vec::new(),
                    false => batches.iter().map(|(n, _)| *n).collect(),
                };
                let e = Event::FleetPlanned {
                    step,
                    attempt,
                    batches: batches.into_iter().map(|(_, b)| b).collect(),
                    budget,
                    numbers,
                };
                self.record(e, false).await
            }
            Happening::Starting {
                host,
                batch,
                log,
                ack,
            } => {
                let e = Event::HostStarted {
                    step,
                    attempt,
                    host,
                    batch,
                    log,
                };
                self.record(e, false).await?;
                let _ = ack.send(());
                Ok(())
            }
            Happening::Output { host, chunk } => {
                self.host_output(&step, attempt, host, chunk).await
            }
            Happening::Exited {
                host,
                exit,
                duration_ms,
                success,
                message,
            } => {
                let e = Event::HostExited {
                    step,
                    attempt,
                    host,
                    exit,
                    duration_ms,
                    success,
                    message,
                };
                self.record(e, false).await
            }
            Happening::Waiting { batch, answer } => {
                if let Some(link) = self.running.as_mut().and_then(|r| r.fleet.as_mut()) {
                    link.waiting = Some((batch, answer));
                }
                self.record(
                    Event::BatchWaiting {
                        step,
                        attempt,
                        batch,
                    },
                    false,
                )
                .await
            }
            Happening::Stopped { reason } => {
                self.record(
                    Event::RolloutStopped {
                        step,
                        attempt,
                        reason,
                    },
                    false,
                )
                .await
            }
        }
    }

    /// The operator's answer after a batch: go on, or stop the rollout.
    /// A host's output: journalled (lazily, like a step's) when its
    /// monitor logged it, then shown.
    pub(super) async fn host_output(
        &mut self,
        step: &str,
        attempt: u32,
        host: String,
        chunk: crate::engine::process::Chunk,
    ) -> io::Result<()> {
        if chunk.logged {
            let e = Event::HostOutputRecorded {
                step: step.to_owned(),
                attempt,
                host: host.clone(),
                stream: chunk.stream,
                offset: chunk.offset,
                len: chunk.bytes.len() as u64,
            };
            let record = self.journal.append_lazy(e)?;
            self.session.apply(&record);
        }
        let u = Update::HostOutput {
            step: step.to_owned(),
            host,
            stream: chunk.stream,
            bytes: chunk.bytes,
        };
        self.send(u).await;
        Ok(())
    }

    pub(super) async fn answer_batch(
        &mut self,
        step: String,
        proceed: bool,
        via: ConfirmedVia,
    ) -> io::Result<()> {
        let waiting = self
            .running
            .as_mut()
            .filter(|r| r.step == step)
            .and_then(|r| r.fleet.as_mut())
            .and_then(|f| f.waiting.take());
        let Some((batch, answer)) = waiting else {
            self.send(Update::Rejected(format!(
                "`{step}` is not waiting between batches"
            )))
            .await;
            return Ok(());
        };
        let attempt = self.running.as_ref().map_or(0, |r| r.attempt);
        let e = Event::BatchAnswered {
            step,
            attempt,
            batch,
            proceed,
            via,
        };
        self.record(e, via != ConfirmedVia::Nobody).await?;
        let _ = answer.send(proceed);
        Ok(())
    }

    /// Whether the processes of a fleet step's last attempt still run on this
    /// machine (the local `ssh` or the local process of a host).
    pub(super) fn fleet_survivor(&self, id: &str, attempt: u32) -> Option<(String, i32)> {
        let st = self.session.step(id)?;
        st.fleet
            .hosts
            .iter()
            .filter(|h| h.attempt == attempt)
            .find_map(|h| {
                let log = self.setup.session_dir.join(h.log.as_ref()?);
                crate::engine::process::survivor::still_running(&log)
                    .map(|pgid| (h.host.clone(), pgid))
            })
    }
}
