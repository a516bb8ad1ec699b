//! The engine: decides what happens next in a session and makes it happen.
//!
//! It takes [`Command`]s from a driver, runs automated steps as real
//! processes, writes every event to the journal *first* and only then
//! publishes it as an [`Update`], once it is on disk (fsync). A successful
//! step's exit shares the fsync of whatever comes next (group commit, see
//! `finish_attempt`). It never renders, prompts or prints: the TUI and
//! headless mode are drivers of this same loop.
//!
//! A write that fails (disk full) ends the session with [`End::Failed`],
//! naming the file, and journals why (`session_stopped`) when the journal
//! can still take it. A step whose log fills up is not killed (stopping a
//! half-done deploy would be worse): it runs to its end with its output
//! still shown live, where its log was cut and how much output was lost
//! (`log_cut`) and its result are journalled if the journal can still be
//! written, and then the session stops before any other step starts. A
//! step whose process-group record cannot be written never starts. It
//! stays resumable once space is freed.

mod facts;
mod fleet;
mod fleet_resume;
mod reattach;
mod updates;

use super::command::{Command, End, Update};
use super::process::{self, Chunk, Outcome};
use super::redact::Redactor;
use crate::runbook::model::{OnFailure, Step};
use crate::runner::{AttemptId, Reattach, StepRunner};
use crate::session::event::{ConfirmedVia, Event, InputSource, Record, Stream};
use crate::session::journal::Journal;
use crate::session::state::{Session, SessionStatus, StepStatus};
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Output chunks (up to 64 KiB each) between a step's reader and the
/// engine. With [`UPDATES_IN_FLIGHT`] this bounds the output held in memory
/// (about half a MiB) whatever a step prints: a slow driver slows the
/// reading of the pipe (backpressure) instead of growing a queue. Deeper
/// queues made no flood faster, only the peak memory higher (issue 19 #3,
/// docs/PERFORMANCE.md).
pub const CHUNKS_IN_FLIGHT: usize = 4;
/// Updates between the engine and a driver (a driver's channel capacity).
pub const UPDATES_IN_FLIGHT: usize = 4;

/// Everything the engine needs besides the journal and the folded session.
pub struct Setup {
    pub session_dir: PathBuf,
    /// The shell argv; the command text is appended.
    pub shell: Vec<String>,
    /// Folder that relative `working_dir`s are taken from (the runbook's folder).
    pub base_dir: PathBuf,
    /// Input values, real (secrets included; they never leave memory).
    pub values: Vec<(String, String)>,
    pub secrets: Vec<String>,
    pub auto: bool,
    pub grace: Duration,
    pub drain: Duration,
    /// In auto mode, stop before an optional section instead of running it
    /// (the interface offers it; headless runs it).
    pub pause_at_optional: bool,
    /// Steps auto mode leaves to the driver (they have an answer waiting).
    pub held: Vec<String>,
    /// Called after each step settles (the transcript refresh).
    pub after_step: Option<Box<dyn Fn() + Send + Sync>>,
    /// Carries out the attempts ([`crate::runner::MonitorRunner`] for real).
    pub runner: Arc<dyn StepRunner>,
    /// When the session would be left resumable (the operator quits, a
    /// signal), close it as aborted with this reason instead: for a session
    /// nothing could resume (the demo, whose sandbox is removed).
    pub close_when_left: Option<String>,
    /// Send regular updates (`updates:`) when due, without asking: for a
    /// driver with no person at it (headless). The interface offers them.
    pub cadence_sends: bool,
    /// How fleet steps reach their hosts, and which hosts.
    pub fleet: FleetSetup,
    /// With every step settled but an update step not delivered, wait
    /// for [`Command::Close`] (or a resend, a skip) instead of completing
    /// the session: for a driver with a person at it, who may want to send
    /// it again. Headless completes at once.
    pub ask_before_closing: bool,
}

/// The fleet part of [`Setup`].
#[derive(Default)]
pub struct FleetSetup {
    /// Carries out fleet hosts over ssh; `None`: an [`crate::runner::SshRunner`]
    /// with these `ssh` options, made when a fleet step first starts.
    pub ssh: Option<Arc<dyn StepRunner>>,
    pub ssh_options: crate::runner::SshOptions,
    /// `--limit`: run fleet steps on these hosts only (journalled).
    pub limit: Option<Vec<String>>,
}

struct Running {
    step: String,
    attempt: u32,
    /// Attempts left after this one in the current run (retry).
    tries_left: u32,
    cancel: watch::Sender<bool>,
    /// Why it was cancelled, and whether a person asked (a signal, or a
    /// headless stop, is stepwise's own).
    cancel_reason: Option<(String, bool)>,
    chunks: mpsc::Receiver<Chunk>,
    task: tokio::task::JoinHandle<io::Result<Outcome>>,
    pending: Option<(Stream, u64, u64)>,
    /// When output was last journalled: pending output is journalled at
    /// most [`OUTPUT_RECORD_EVERY`] after it.
    last_flush: tokio::time::Instant,
    /// The attempt's log file.
    log: PathBuf,
    /// Output bytes shown live that the log could not take (a full disk).
    lost: u64,
    /// When the step's `timeout:` runs out; `None` once that is journalled.
    timeout_at: Option<tokio::time::Instant>,
    /// The keyboard of a `tty: true` attempt a person can type into.
    input: Option<mpsc::Sender<crate::runner::TtyInput>>,
    /// The timeout was journalled when it happened (see `on_timeout`).
    timed_out: bool,
    /// A fleet step: its coordinator's reports (`chunks` stays empty).
    fleet: Option<FleetLink>,
}

/// The engine's end of a running fleet coordinator.
struct FleetLink {
    happenings: mpsc::Receiver<crate::engine::fleet::Happening>,
    /// The batch whose end waits for the operator, and where the answer goes.
    waiting: Option<(u32, tokio::sync::oneshot::Sender<bool>)>,
}

/// What a running attempt does next.
enum Progress {
    Chunk(Chunk),
    Fleet(crate::engine::fleet::Happening),
    /// Its output is drained (a fleet: its coordinator ended).
    Over,
}

struct PendingRetry {
    step: String,
    tries_left: u32,
    at: tokio::time::Instant,
}

pub struct Engine {
    journal: Journal,
    session: Session,
    setup: Setup,
    values: Vec<(String, String)>,
    redactor: Arc<Redactor>,
    updates: mpsc::Sender<Update>,
    running: Option<Running>,
    retry: Option<PendingRetry>,
    auto: bool,
    stopping: Option<End>,
    /// Records written but not yet fsync'd (a deferred step exit): applied
    /// to the session at once, announced to the driver only once durable.
    held: Vec<Record>,
    /// The operator said to close the session with its updates as they
    /// are ([`Command::Close`]).
    close_as_is: bool,
    /// The driver's log pane (rows, columns), for the next tty step's pty.
    tty_size: Option<(u16, u16)>,
}

impl Engine {
    pub fn new(
        journal: Journal,
        session: Session,
        setup: Setup,
        updates: mpsc::Sender<Update>,
    ) -> Engine {
        let redactor = Arc::new(Redactor::new(setup.secrets.clone()));
        Engine {
            values: setup.values.clone(),
            auto: setup.auto,
            journal,
            session,
            setup,
            redactor,
            updates,
            running: None,
            retry: None,
            stopping: None,
            held: Vec::new(),
            close_as_is: false,
            tty_size: None,
        }
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Whether a step still to settle runs a command on this machine (a
    /// fleet step runs it over ssh).
    fn has_command_to_run(&self) -> bool {
        (0..self.session.steps.len())
            .filter(|&i| !self.session.is_settled(i))
            .filter_map(|i| self.session.runbook.step(&self.session.steps[i].id))
            .any(|def| def.run.is_some() && !def.is_fleet())
    }

    /// Runs until the session completes, is aborted, left or interrupted.
    pub async fn run(mut self, mut cmds: mpsc::Receiver<Command>) -> End {
        if self.has_command_to_run() {
            self.setup.runner.prepare();
        }
        // A resume in another mode than the journal's last one says so.
        let auto = self.auto;
        let started = match self.set_auto(auto, false).await {
            Ok(()) => match self.set_limit().await {
                Ok(()) => match self.take_up_running().await {
                    Ok(()) => self.run_loop(&mut cmds).await,
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        let end = match started {
            Ok(end) => end,
            Err(e) => {
                // A deferred exit (a step that succeeded before its log
                // failed) is still made durable if the journal allows, and
                // so is why the session stops (a journal that failed
                // refuses both).
                let _ = self.sync().await;
                self.kill_running().await;
                let reason = e.to_string();
                let stopped = Event::SessionStopped {
                    reason: reason.clone(),
                };
                let _ = self.record(stopped, false).await;
                End::Failed(reason)
            }
        };
        let end = self.close_if_left(end).await;
        self.send(Update::Ended(end.clone())).await;
        end
    }

    async fn run_loop(&mut self, cmds: &mut mpsc::Receiver<Command>) -> io::Result<End> {
        loop {
            if let Some(end) = self.check_end().await? {
                self.sync().await?;
                return Ok(end);
            }
            if self.running.is_none() && self.retry.is_none() {
                if self.start_auto_next().await? {
                    continue;
                }
                // Nothing runs next by itself: a deferred step exit (see
                // `finish_attempt`) is made durable before anyone is asked.
                self.sync().await?;
                self.send(Update::Idle).await;
            }
            let retry_at = self.retry.as_ref().map(|r| r.at);
            let timeout_at = self.running.as_ref().and_then(|r| r.timeout_at);
            let cadence_at = self.cadence_at();
            let output_at = self.output_record_at();
            tokio::select! {
                biased;
                cmd = cmds.recv() => match cmd {
                    Some(c) => self.handle(c).await?,
                    None => self.handle(Command::Leave).await?,
                },
                p = progress(&mut self.running) => self.on_progress(p).await?,
                _ = sleep_until(retry_at), if retry_at.is_some() => self.start_retry().await?,
                _ = sleep_until(timeout_at), if timeout_at.is_some() => self.on_timeout().await?,
                _ = sleep_until(cadence_at), if cadence_at.is_some() => self.send_cadence(None).await?,
                _ = sleep_until(output_at), if output_at.is_some() => self.record_pending_output()?,
            }
        }
    }

    /// Decides whether the loop is over; completes the session when every
    /// step is settled.
    async fn check_end(&mut self) -> io::Result<Option<End>> {
        if self.running.is_some() {
            return Ok(None);
        }
        if let Some(end) = self.stopping.clone() {
            return Ok(Some(end));
        }
        match self.session.status {
            SessionStatus::Completed => return Ok(Some(End::Completed)),
            SessionStatus::Aborted { .. } => return Ok(Some(End::Aborted)),
            SessionStatus::Left => return Ok(Some(End::Left)),
            SessionStatus::Active => {}
        }
        if self.retry.is_none() && self.session.next_step().is_none() {
            if self.asks_before_closing() {
                return Ok(None);
            }
            // Closed by the operator's word over an undelivered update.
            self.record(Event::SessionCompleted, self.close_as_is)
                .await?;
            return Ok(Some(End::Completed));
        }
        Ok(None)
    }

    /// Whether the engine waits, every step settled, for the operator's
    /// word before it completes the session.
    fn waits_to_close(&self) -> bool {
        self.running.is_none()
            && self.retry.is_none()
            && self.session.next_step().is_none()
            && self.asks_before_closing()
    }

    /// Whether the session waits for the operator before it completes: an
    /// update step was not delivered, and the driver asks (see
    /// [`Setup::ask_before_closing`]) or holds an answer for it (a resume's
    /// `--answer STEP=resend`).
    fn asks_before_closing(&self) -> bool {
        let asked = |i: usize| {
            self.setup.ask_before_closing || self.setup.held.contains(&self.session.steps[i].id)
        };
        !self.close_as_is && self.session.undelivered_updates().into_iter().any(asked)
    }

    /// In auto mode, starts the next step when it is automated, pending and
    /// not marked `confirm: true`.
    async fn start_auto_next(&mut self) -> io::Result<bool> {
        if !self.auto || self.stopping.is_some() {
            return Ok(false);
        }
        let Some(i) = self.session.next_step() else {
            return Ok(false);
        };
        let st = &self.session.steps[i];
        if st.status != StepStatus::Pending || !self.starts_by_itself(i) {
            return Ok(false);
        }
        let (id, step) = (st.id.clone(), self.step_def(&st.id));
        self.start(&id, step.retry.attempts.saturating_sub(1), false, None)
            .await?;
        Ok(true)
    }

    /// Whether auto mode starts step `i` by itself when its turn comes:
    /// automated, not marked `confirm: true`, not the first of an optional
    /// section a person is asked about, and not held by the driver.
    fn starts_by_itself(&self, i: usize) -> bool {
        let id = &self.session.steps[i].id;
        let step = self.step_def(id);
        if !step.is_automated() || step.confirm {
            return false;
        }
        if self.setup.pause_at_optional && crate::policy::enters_optional_section(&self.session, i)
        {
            return false;
        }
        // A step the driver holds an answer for (e.g. `--answer STEP=skip:…`)
        // is the driver's to decide.
        !self.setup.held.iter().any(|h| h == id)
    }

    /// Hands typed keys or a size to the running attempt's terminal, if
    /// it takes any (dropped otherwise: a key must never wait).
    fn forward_tty(&mut self, input: crate::runner::TtyInput) {
        // The next tty step's pty opens at the last size asked for.
        if let crate::runner::TtyInput::Resize { rows, cols } = input {
            self.tty_size = Some((rows, cols));
        }
        if let Some(tx) = self.running.as_ref().and_then(|r| r.input.as_ref()) {
            let _ = tx.try_send(input);
        }
    }

    fn step_def(&self, id: &str) -> Step {
        self.session
            .runbook
            .step(id)
            .cloned()
            .expect("session steps come from the runbook")
    }

    async fn handle(&mut self, cmd: Command) -> io::Result<()> {
        // Typing goes to the step and nowhere else: not checked against
        // the session, never masked into a record, never journalled.
        if let Command::TtyInput(input) = cmd {
            self.forward_tty(input);
            return Ok(());
        }
        // A start answered in advance is a start: checked and run as one,
        // its journalled start saying who answered.
        let (cmd, via) = match cmd {
            Command::StartAnswered { step, via } => (Command::Start { step }, Some(via)),
            Command::Answered { cmd, via } => (*cmd, Some(via)),
            cmd => (cmd, None),
        };
        if let Err(why) = self.check_allowed(&cmd) {
            self.send(Update::Rejected(why)).await;
            return Ok(());
        }
        match self.mask_operator_text(cmd) {
            Command::Start { step } if self.step_def(&step).is_update() => {
                self.send_update(&step, None).await?
            }
            Command::SendUpdate { step, text } => self.send_update(&step, Some(text)).await?,
            Command::SendCadence { text } => self.send_cadence(text).await?,
            Command::Start { step } => {
                let tries = self.step_def(&step).retry.attempts.saturating_sub(1);
                self.retry = None;
                self.start(&step, tries, true, via).await?;
            }
            Command::Confirm {
                step,
                note,
                checked,
                via,
            } => {
                let event = Event::HumanConfirmed {
                    step,
                    note,
                    checked,
                    via,
                };
                self.record(event, true).await?;
            }
            Command::Skip { step, reason } => {
                self.clear_retry_for(&step);
                self.record(Event::StepSkipped { step, reason, via }, true)
                    .await?;
            }
            Command::SkipSection { section, reason } => self.skip_section(section, &reason).await?,
            Command::MarkDone { step, note } => {
                self.clear_retry_for(&step);
                let note = match self.session.step(&step) {
                    Some(s) if s.fleet.is_fleet() => s.fleet.marked_done_note(note),
                    _ => note,
                };
                self.record(Event::MarkedDone { step, note, via }, true)
                    .await?;
            }
            Command::Cancel { reason } => {
                // Between two attempts of a retry, cancel stops the retry.
                if self.running.is_none()
                    && let Some(r) = self.retry.take()
                {
                    let event = Event::RetryCancelled {
                        step: r.step,
                        reason,
                    };
                    return self.record(event, true).await;
                }
                self.cancel(reason, true)
            }
            Command::Note { step, text } => {
                self.record(Event::NoteAdded { step, text }, true).await?
            }
            Command::GiveInput { name, value } => self.give_input(name, value).await?,
            Command::SetAuto(on) => self.set_auto(on, true).await?,
            Command::Rollout { step, proceed, via } => {
                self.answer_batch(step, proceed, via).await?
            }
            Command::Abort { reason } => {
                self.kill_running().await;
                self.retry = None;
                self.record(Event::SessionAborted { reason }, true).await?;
            }
            Command::Close => self.close_as_is = true,
            Command::Leave => self.leave(None).await?,
            Command::Stop { reason } => self.leave(Some(reason)).await?,
            Command::LeaveRunning if self.can_detach() => {
                self.detach().await?;
                self.record(Event::SessionLeft { reason: None }, true)
                    .await?
            }
            Command::LeaveRunning => self.leave(None).await?,
            Command::DriverGone { reason } if self.can_detach() => {
                self.detach().await?;
                let left = Event::SessionLeft {
                    reason: Some(reason),
                };
                self.record(left, false).await?
            }
            Command::DriverGone { reason } => self.leave(Some(reason)).await?,
            Command::Interrupt {
                signal,
                stop_running,
            } => self.interrupt(signal, stop_running).await?,
            Command::TtyInput(input) => self.forward_tty(input),
            // Made a `Start` above.
            Command::StartAnswered { .. } | Command::Answered { .. } => {}
        }
        Ok(())
    }

    /// The operator leaves: a running step is cancelled and its end
    /// journalled first; the session stays resumable. One that must not be
    /// resumed (`close_when_left`, the demo) is recorded as aborted by the
    /// operator instead, with its reason: never "left (resumable)" first.
    /// `stopped`: nobody left, a headless driver stopped for this reason
    /// (recorded as stepwise's).
    async fn leave(&mut self, stopped: Option<String>) -> io::Result<()> {
        let by_operator = stopped.is_none();
        let why = stopped
            .clone()
            .unwrap_or("the operator left the session".into());
        self.cancel(why, by_operator);
        self.wait_running().await?;
        self.retry = None;
        match self.setup.close_when_left.clone() {
            Some(reason) => {
                self.stopping = Some(End::Left);
                self.record(Event::SessionAborted { reason }, by_operator)
                    .await
            }
            None => {
                let left = Event::SessionLeft { reason: stopped };
                self.record(left, by_operator).await
            }
        }
    }

    /// A signal: journalled, then nothing new starts; SIGINT and SIGTERM
    /// also cancel the running step (SIGHUP lets it finish).
    async fn interrupt(&mut self, signal: String, stop_running: bool) -> io::Result<()> {
        let event = Event::Interrupted {
            signal: signal.clone(),
        };
        self.record(event, false).await?;
        if stop_running {
            self.cancel(format!("stepwise received {signal}"), false);
        } else if self.can_detach() {
            self.detach().await?;
        }
        self.retry = None;
        self.stopping = Some(End::Interrupted(signal));
        Ok(())
    }

    /// A session that ends resumable but must not be resumed
    /// (`close_when_left`) is recorded as aborted, with the reason. The
    /// end reported to the driver stays what happened (left, interrupted).
    async fn close_if_left(&mut self, end: End) -> End {
        let Some(reason) = self.setup.close_when_left.clone() else {
            return end;
        };
        let recorded = matches!(self.session.status, SessionStatus::Aborted { .. });
        if matches!(end, End::Left | End::Interrupted(_))
            && !recorded
            && let Err(e) = self.record(Event::SessionAborted { reason }, false).await
        {
            return End::Failed(e.to_string());
        }
        end
    }

    /// Turns auto mode on or off and journals the change (by the operator,
    /// or by the driver that started in another mode than the last one).
    async fn set_auto(&mut self, on: bool, by_operator: bool) -> io::Result<()> {
        self.auto = on;
        if self.session.auto == on {
            return Ok(());
        }
        self.record(Event::AutoChanged { on }, by_operator).await
    }

    /// Masks secrets in what the operator typed (notes, reasons) before it
    /// is journalled: a token pasted into a note is a secret too.
    fn mask_operator_text(&self, cmd: Command) -> Command {
        let r = &self.redactor;
        let mask = |t: String| r.redact_str(&t);
        match cmd {
            Command::Confirm {
                step,
                note,
                checked,
                via,
            } => Command::Confirm {
                step,
                note: note.map(mask),
                checked,
                via,
            },
            Command::Skip { step, reason } => Command::Skip {
                step,
                reason: mask(reason),
            },
            Command::SkipSection { section, reason } => Command::SkipSection {
                section,
                reason: mask(reason),
            },
            Command::MarkDone { step, note } => Command::MarkDone {
                step,
                note: note.map(mask),
            },
            Command::Cancel { reason } => Command::Cancel {
                reason: mask(reason),
            },
            Command::Note { step, text } => Command::Note {
                step,
                text: mask(text),
            },
            Command::Abort { reason } => Command::Abort {
                reason: mask(reason),
            },
            other => other,
        }
    }

    /// Refuses commands that make no sense now, with a reason for the operator.
    fn check_allowed(&self, cmd: &Command) -> Result<(), String> {
        let target = match cmd {
            Command::Close if !self.waits_to_close() => {
                return Err("the session is not waiting to close".into());
            }
            Command::GiveInput { name, value } => return self.check_input(name, value),
            Command::Start { step }
            | Command::SendUpdate { step, .. }
            | Command::Confirm { step, .. }
            | Command::Skip { step, .. }
            | Command::MarkDone { step, .. } => step,
            Command::Note {
                step: Some(step), ..
            } => {
                return self.step_exists(step);
            }
            _ => return Ok(()),
        };
        self.step_exists(target)?;
        if self.running.as_ref().is_some_and(|r| &r.step == target) {
            return Err(format!("`{target}` is running; cancel it first"));
        }
        let def = self.step_def(target);
        let settled = self.session.step(target).map(|st| &st.status).filter(|st| {
            matches!(
                st,
                StepStatus::Succeeded
                    | StepStatus::Confirmed { .. }
                    | StepStatus::DoneByHand
                    | StepStatus::Skipped { .. }
            )
        });
        match cmd {
            // A second answer to a step already settled (two key presses
            // racing a slow disk) must not settle it again.
            Command::Confirm { .. } | Command::Skip { .. } | Command::MarkDone { .. }
                if settled.is_some() =>
            {
                Err(format!(
                    "`{target}` is already {}",
                    settled.map_or("settled", |s| s.label())
                ))
            }
            Command::SendUpdate { .. } if !def.is_update() => {
                Err(format!("`{target}` is not an update step"))
            }
            Command::Start { .. } | Command::SendUpdate { .. } if def.is_update() => {
                match settled {
                    Some(s) => Err(format!("`{target}` is already {}", s.label())),
                    None => Ok(()),
                }
            }
            Command::Confirm { .. } if def.is_update() => {
                Err(format!("`{target}` is an update step: send it, or skip it"))
            }
            Command::Start { .. } if !def.is_automated() => {
                Err(format!("`{target}` is a human step: confirm or skip it"))
            }
            Command::Start { .. } if self.running.is_some() => {
                Err("another step is running; wait for it or cancel it".into())
            }
            Command::Start { .. } if self.stopping.is_some() => {
                Err("stepwise is stopping; no new step starts".into())
            }
            Command::Start { .. } => self.check_not_still_running(target),
            Command::Confirm { .. } if def.is_automated() => Err(format!(
                "`{target}` is automated: run it, or mark it done by hand"
            )),
            // A note added earlier (`n`) counts for `note: required`.
            Command::Confirm { .. } if crate::policy::has_note(&self.session, target) => Ok(()),
            Command::Confirm { note, .. } => crate::policy::check_note(&def, note.as_deref()),
            Command::Skip { reason, .. } if reason.trim().is_empty() => {
                Err("skipping needs a reason".into())
            }
            _ => Ok(()),
        }
    }

    /// Refuses an input value the start of a session would refuse (the same
    /// check), or a change while a step runs: a running command must not
    /// see one value and its log be read against another. The value itself
    /// is never part of a refusal (it may be a secret).
    fn check_input(&self, name: &str, value: &str) -> Result<(), String> {
        let inputs = &self.session.runbook.inputs;
        let Some(input) = self.session.runbook.input(name) else {
            if inputs.is_empty() {
                return Err("this runbook has no inputs".into());
            }
            let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
            return Err(format!(
                "the runbook has no input named {name} (inputs: {})",
                names.join(", ")
            ));
        };
        if let Some(run) = &self.running {
            return Err(format!(
                "`{}` is running; {name} can change once it has ended",
                run.step
            ));
        }
        super::inputs::check_given(input, value)?;
        let current = self.values.iter().rev().find(|(k, _)| k == name);
        if current.map_or("", |(_, v)| v.as_str()) == value {
            return Err(format!("{name} already has this value; nothing changed"));
        }
        if !input.secret && self.redactor.redact_str(value) != value {
            return Err(format!(
                "{name} is not a secret input and the value holds a secret: it would be written to the journal"
            ));
        }
        Ok(())
    }

    /// Journals a value given during the session (a secret as the mask,
    /// its real value added to the redactor first), then hands the real
    /// value to the steps that run from now on, as an environment variable.
    async fn give_input(&mut self, name: String, value: String) -> io::Result<()> {
        let secret = self.session.runbook.input(&name).is_some_and(|i| i.secret);
        let shown = self.adopt(&value, secret);
        let event = Event::InputGiven {
            name: name.clone(),
            value: shown,
            secret,
            source: InputSource::Changed,
        };
        self.record(event, true).await?;
        self.values.retain(|(k, _)| k != &name);
        self.values.push((name, value));
        Ok(())
    }

    /// Refuses to start a step again while the processes of its last
    /// attempt still run: a stepwise killed with SIGKILL leaves its step
    /// running in its own process group, and a second run of a deploy
    /// beside the first is the worst outcome of a resume.
    fn check_not_still_running(&self, id: &str) -> Result<(), String> {
        let Some(last) = self.session.step(id).and_then(|s| s.attempts.last()) else {
            return Ok(());
        };
        if let Some((host, pgid)) = self.fleet_survivor(id, last.number) {
            return Err(format!(
                "`{id}` attempt {} still runs for host {host} outside stepwise (process group \
                 {pgid}): wait for it to end, or stop it with `kill -TERM -- -{pgid}`, then run it again",
                last.number
            ));
        }
        let log = self.setup.session_dir.join(&last.log);
        let which = AttemptId {
            step: id.to_owned(),
            attempt: last.number,
            target: None,
        };
        match self.setup.runner.reattach(&which, &log) {
            Reattach::Gone | Reattach::Finished { .. } | Reattach::NeverStarted => Ok(()),
            Reattach::Live { monitor } => Err(format!(
                "`{id}` attempt {} is still running under its monitor (pid {monitor}): \
                 resume re-attaches to it; stop it with `kill -TERM {monitor}`",
                last.number
            )),
            Reattach::Orphaned { pgid } => Err(format!(
                "`{id}` attempt {} is still running outside stepwise (process group {pgid}, \
                 which nothing holds any more): wait for it to end, or stop it with \
                 `kill -TERM -- -{pgid}`, then run it again; or mark it done or skip it",
                last.number
            )),
        }
    }

    fn step_exists(&self, id: &str) -> Result<(), String> {
        match self.session.step(id) {
            Some(_) => Ok(()),
            None => Err(format!("there is no step `{id}`")),
        }
    }

    fn clear_retry_for(&mut self, step: &str) {
        if self.retry.as_ref().is_some_and(|r| r.step == step) {
            self.retry = None;
        }
    }

    async fn skip_section(&mut self, section: usize, reason: &str) -> io::Result<()> {
        let ids: Vec<String> = (0..self.session.steps.len())
            .filter(|&i| self.session.steps[i].section == section && !self.session.is_settled(i))
            .map(|i| self.session.steps[i].id.clone())
            .filter(|id| self.running.as_ref().is_none_or(|r| &r.step != id))
            .collect();
        for step in ids {
            self.clear_retry_for(&step);
            let reason = reason.to_owned();
            self.record(
                Event::StepSkipped {
                    step,
                    reason,
                    via: None,
                },
                true,
            )
            .await?;
        }
        Ok(())
    }

    /// Journals "step started" (durably), then spawns the process.
    /// `by_operator`: started by a person (recorded with their name), not
    /// by stepwise itself (auto mode, a scheduled retry); `via`: answered
    /// in advance for that person (`--yes`, `--answer`).
    async fn start(
        &mut self,
        id: &str,
        tries_left: u32,
        by_operator: bool,
        via: Option<ConfirmedVia>,
    ) -> io::Result<()> {
        let def = self.step_def(id);
        let attempt = self.session.step(id).map_or(0, |s| s.attempts.len() as u32) + 1;
        let log = format!("{}/{id}.{attempt}.log", crate::session::store::OUTPUT_DIR);
        let command = def.run.clone().unwrap_or_default();
        let started = Event::StepStarted {
            step: id.to_owned(),
            attempt,
            command: command.clone(),
            log: log.clone(),
            via,
        };
        if def.is_fleet() {
            self.record(started, by_operator).await?;
            return self.start_fleet(&def, attempt, tries_left);
        }
        let log_path = self.setup.session_dir.join(&log);
        let spec = self.spec_for(&def, &command, log_path.clone());
        let which = AttemptId {
            step: id.to_owned(),
            attempt,
            target: None,
        };
        let started = self
            .start_recorded(started, by_operator, &which, spec)
            .await?;
        self.running = Some(Running {
            step: id.to_owned(),
            attempt,
            tries_left,
            cancel: started.cancel,
            cancel_reason: None,
            chunks: started.chunks,
            task: started.done,
            pending: None,
            last_flush: tokio::time::Instant::now(),
            log: log_path,
            lost: 0,
            timeout_at: def.timeout.map(|t| tokio::time::Instant::now() + t),
            timed_out: false,
            input: started.input,
            fleet: None,
        });
        Ok(())
    }

    /// Journals `started` and starts the attempt, which runs only once the
    /// record is durable. A runner that can hold the attempt gets it before
    /// the sync (a monitor spawns a bash step, held before its command,
    /// meanwhile) and its go-ahead right after, before the driver hears of
    /// anything; the others are started after the sync.
    async fn start_recorded(
        &mut self,
        started: Event,
        by_operator: bool,
        which: &AttemptId,
        spec: process::Spec,
    ) -> io::Result<crate::runner::Started> {
        let record = self.journal.append_unsynced(started, by_operator)?;
        let held = self.setup.runner.start_held(which, spec, CHUNKS_IN_FLIGHT);
        // A failed sync drops a held attempt's go-ahead unsent: nothing runs.
        self.journal.sync()?;
        let attempt = match held {
            Ok((attempt, go)) => {
                go.send();
                attempt
            }
            Err(spec) => self.setup.runner.start(which, *spec, CHUNKS_IN_FLIGHT),
        };
        self.announce_held().await;
        self.session.apply(&record);
        self.announce(record).await;
        Ok(attempt)
    }

    fn spec_for(&self, def: &Step, command: &str, log_path: PathBuf) -> process::Spec {
        let mut argv = self.setup.shell.clone();
        argv.push(command.to_owned());
        let cwd = def
            .working_dir
            .as_ref()
            .or(self.session.runbook.working_dir.as_ref())
            .map(|d| self.setup.base_dir.join(d))
            .or_else(|| Some(self.setup.base_dir.clone()));
        process::Spec {
            argv,
            env: crate::policy::step_env(&self.session, &self.values, def),
            cwd,
            log_path,
            timeout: def.timeout,
            grace: self.setup.grace,
            drain: self.setup.drain,
            capture_stdout: def.capture.is_some(),
            tty: def.tty,
            // A driver that stops before optional sections has a person at
            // a screen, who can type into a tty step; headless, its stdin
            // gives end-of-file.
            interactive: def.tty && self.setup.pause_at_optional,
            tty_size: self.tty_size,
            redactor: self.redactor.clone(),
            hide_stdout: def.capture.is_some() && self.derives_from_secret(def),
            stdin: None,
            feed: None,
        }
    }

    async fn on_chunk(&mut self, c: Chunk) -> io::Result<()> {
        let Some(run) = self.running.as_mut() else {
            return Ok(());
        };
        let len = c.bytes.len() as u64;
        let (step, attempt) = (run.step.clone(), run.attempt);
        if !c.logged {
            // The log could not take these bytes (disk full): they are shown
            // live but never recorded as being in the file (`LogCut` says
            // how many were lost).
            run.lost += len;
            return self.publish_output(step, attempt, c).await;
        }
        let flush = match run.pending {
            Some((s, off, l)) if s == c.stream && off + l == c.offset => {
                run.pending = Some((s, off, l + len));
                None
            }
            prev => {
                run.pending = Some((c.stream, c.offset, len));
                prev
            }
        };
        if let Some(prev) = flush {
            self.record_output(&step, attempt, prev)?;
        }
        if self
            .running
            .as_ref()
            .is_some_and(|r| r.last_flush.elapsed() >= OUTPUT_RECORD_EVERY)
        {
            self.record_pending_output()?;
        }
        self.publish_output(step, attempt, c).await
    }

    /// When the running step's pending output is due to be journalled
    /// (a quiet step's last line too, not only at its next output).
    fn output_record_at(&self) -> Option<tokio::time::Instant> {
        let run = self.running.as_ref()?;
        run.pending.map(|_| run.last_flush + OUTPUT_RECORD_EVERY)
    }

    /// Journals the running step's output not yet recorded (lazily, with
    /// no sync: followers read it from the journal).
    fn record_pending_output(&mut self) -> io::Result<()> {
        let Some(run) = self.running.as_mut() else {
            return Ok(());
        };
        run.last_flush = tokio::time::Instant::now();
        let Some(p) = run.pending.take() else {
            return Ok(());
        };
        let (step, attempt) = (run.step.clone(), run.attempt);
        self.record_output(&step, attempt, p)
    }

    async fn publish_output(&mut self, step: String, attempt: u32, c: Chunk) -> io::Result<()> {
        self.send(Update::Output {
            step,
            attempt,
            stream: c.stream,
            bytes: c.bytes,
        })
        .await;
        Ok(())
    }

    fn record_output(&mut self, step: &str, attempt: u32, p: (Stream, u64, u64)) -> io::Result<()> {
        let event = Event::OutputRecorded {
            step: step.to_owned(),
            attempt,
            stream: p.0,
            offset: p.1,
            len: p.2,
        };
        let record = self.journal.append_lazy(event)?;
        self.session.apply(&record);
        // Output records are not sent one by one: drivers get the bytes live.
        Ok(())
    }

    /// Whether what attempt `attempt` of `step` left beside its log says
    /// it never ran (see [`crate::runner::Reattach::NeverStarted`]).
    fn never_started(&self, step: &str, attempt: u32, log: &std::path::Path) -> bool {
        let id = crate::runner::AttemptId {
            step: step.to_owned(),
            attempt,
            target: None,
        };
        matches!(
            self.setup.runner.reattach(&id, log),
            crate::runner::Reattach::NeverStarted
        )
    }

    /// The process is gone and its output drained: journal the result and
    /// decide on retry, abort or continue.
    async fn finish_attempt(&mut self) -> io::Result<()> {
        let Some(mut run) = self.running.take() else {
            return Ok(());
        };
        if let Some(p) = run.pending.take() {
            self.record_output(&run.step, run.attempt, p)?;
        }
        let outcome = match (&mut run.task).await {
            Ok(Ok(o)) => o,
            // A full disk stops the session. The process never ran (not
            // even its group's record could be written): said, if it can be.
            Ok(Err(e)) if e.kind() == io::ErrorKind::StorageFull => {
                self.record_never_ran(&run, &e).await;
                return Err(e);
            }
            // Its monitor went without an exit. What it left says whether
            // the step ran: a held attempt whose stepwise died before the
            // go-ahead (this one re-attached meanwhile) is let go with
            // nothing run and nothing left. Otherwise the step may run on:
            // not a failure, its outcome is unknown, and the prompt says
            // whether processes of it still run.
            Ok(Err(e)) if crate::runner::MonitorLost::is(&e) => {
                let (step, attempt) = (run.step.clone(), run.attempt);
                if run.fleet.is_none() && self.never_started(&step, attempt, &run.log) {
                    return self
                        .record(Event::StepNotStarted { step, attempt }, false)
                        .await;
                }
                return self
                    .record(Event::OutcomeUnknown { step, attempt }, false)
                    .await;
            }
            // Anything else that kept the process from starting (a missing
            // working directory, shell or program) fails this attempt only.
            Ok(Err(e)) => return self.not_started(run, e).await,
            Err(e) => return Err(io::Error::other(format!("the step runner failed: {e}"))),
        };
        let def = self.step_def(&run.step);
        let (step, attempt) = (run.step.clone(), run.attempt);
        let timed_out = outcome.timed_out || run.timed_out;
        self.record_attempt_facts(&run, &outcome, &def).await?;
        // A fleet coordinator's exit is 0 when its rollout went through.
        let expected = |c: i32| match run.fleet {
            Some(_) => c == 0,
            None => def.expect_exit.contains(&c),
        };
        let success = !timed_out
            && run.cancel_reason.is_none()
            && outcome.exit.code.is_some_and(expected)
            && self.capture_kept(&def, &run, &outcome).await?;
        // The capture is journalled before the exit that settles the step:
        // a crash between the two leaves the step running (outcome unknown,
        // decided by the operator), never done with its capture lost.
        if success {
            self.capture(&def, &outcome).await?;
        }
        let exited = Event::StepExited {
            step: step.clone(),
            attempt,
            exit: outcome.exit,
            duration_ms: outcome.duration.as_millis() as u64,
            success,
        };
        // Group commit: a successful exit is written now and made durable by
        // the next fsync, which comes before anything else happens: the next
        // step's "started" record (fsync'd before its command runs), or the sync
        // before the engine waits (`run_loop`). So it is still on disk
        // before the next step begins, at one fsync per step instead of two.
        // Drivers and the transcript hear of it only once it is durable
        // (`held`). A failure is synced at once (`after_failure`).
        self.record_deferred(exited).await?;
        if !success {
            self.after_failure(&def, &run).await?;
        }
        match &outcome.log_error {
            None => Ok(()),
            Some(e) => Err(log_failure(&run.log, outcome.log_len, e)),
        }
    }

    /// The attempt's process never ran: say why on the step, record the
    /// attempt as failed, and let `on_failure` decide as for any failure.
    async fn not_started(&mut self, run: Running, e: io::Error) -> io::Result<()> {
        let def = self.step_def(&run.step);
        let (step, attempt) = (run.step.clone(), run.attempt);
        let text = format!("attempt {attempt} could not start: {e}");
        self.record(
            Event::NoteAdded {
                step: Some(step.clone()),
                text,
            },
            false,
        )
        .await?;
        let exit = crate::session::event::ExitInfo {
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
        self.record(exited, false).await?;
        self.after_failure(&def, &run).await
    }

    /// Journals a `capture:` value and makes it available to later steps.
    async fn capture(&mut self, def: &Step, outcome: &Outcome) -> io::Result<()> {
        let (Some(name), Some(out)) = (&def.capture, &outcome.stdout) else {
            return Ok(());
        };
        // `out` is the raw stdout: later steps get the real value. It is
        // secret when made from a secret input, or when it holds one.
        let value = String::from_utf8_lossy(out).trim().to_owned();
        let secret = self.derives_from_secret(def) || self.redactor.redact_str(&value) != value;
        let shown = self.adopt(&value, secret);
        self.values.retain(|(k, _)| k != name);
        self.values.push((name.clone(), value));
        let event = Event::Captured {
            step: def.id.clone(),
            name: name.clone(),
            value: shown,
            secret,
        };
        self.record(event, false).await
    }

    /// A value the steps will see from now on: a secret one is masked in
    /// everything shown or written from now on (an earlier secret stays
    /// masked too: it may still be printed). Returns the value as it may be
    /// journalled: the mask for a secret.
    fn adopt(&mut self, value: &str, secret: bool) -> String {
        if !secret {
            return value.to_owned();
        }
        if !value.is_empty() {
            self.setup.secrets.push(value.to_owned());
            self.redactor = Arc::new(Redactor::new(&self.setup.secrets));
        }
        super::redact::MASK.to_owned()
    }

    /// A capture is made from a secret when its command reads a secret input
    /// (its stdout is then hidden: see `Spec::hide_stdout`).
    fn derives_from_secret(&self, def: &Step) -> bool {
        let run = def.run.as_deref().unwrap_or("");
        self.session
            .runbook
            .inputs
            .iter()
            .filter(|i| i.secret)
            .any(|i| {
                run.contains(&format!("${}", i.name)) || run.contains(&format!("${{{}", i.name))
            })
    }

    async fn after_failure(&mut self, def: &Step, run: &Running) -> io::Result<()> {
        let cancelled = run.cancel_reason.is_some();
        self.on_failure(def, run.attempt, run.tries_left, cancelled)
            .await
    }

    /// After attempt `attempt` of `def` failed: a retry while `tries_left`,
    /// else its `on_failure` (abort the session, or wait / go on). Nothing
    /// when it was cancelled or the session is stopping.
    pub(super) async fn on_failure(
        &mut self,
        def: &Step,
        attempt: u32,
        tries_left: u32,
        cancelled: bool,
    ) -> io::Result<()> {
        if cancelled || self.stopping.is_some() {
            return self.sync().await;
        }
        if tries_left > 0 {
            self.retry = Some(PendingRetry {
                step: def.id.clone(),
                tries_left: tries_left - 1,
                at: tokio::time::Instant::now() + def.retry.delay,
            });
            let delay = chrono::TimeDelta::from_std(def.retry.delay).unwrap_or_default();
            let event = Event::RetryScheduled {
                step: def.id.clone(),
                attempt: attempt + 1,
                of: def.retry.attempts,
                due: self.journal.now() + delay,
            };
            return self.record(event, false).await;
        }
        match def.on_failure {
            OnFailure::Abort => {
                let reason = format!("step `{}` failed and its on_failure is abort", def.id);
                self.record(Event::SessionAborted { reason }, false).await
            }
            OnFailure::Ask | OnFailure::Continue => self.sync().await,
        }
    }

    async fn start_retry(&mut self) -> io::Result<()> {
        if let Some(r) = self.retry.take() {
            self.start(&r.step, r.tries_left, false, None).await?;
        }
        Ok(())
    }

    fn cancel(&mut self, reason: String, by_operator: bool) {
        if let Some(run) = self.running.as_mut() {
            run.cancel_reason.get_or_insert((reason, by_operator));
            let _ = run.cancel.send(true);
        }
    }

    /// Lets the running step end (after a cancel) and journals its result.
    async fn wait_running(&mut self) -> io::Result<()> {
        while self.running.is_some() {
            let p = progress(&mut self.running).await;
            self.on_progress(p).await?;
        }
        Ok(())
    }

    async fn on_progress(&mut self, p: Progress) -> io::Result<()> {
        match p {
            Progress::Chunk(c) => self.on_chunk(c).await,
            Progress::Fleet(h) => self.on_happening(h).await,
            Progress::Over => self.finish_attempt().await,
        }
    }

    async fn kill_running(&mut self) {
        self.cancel("the session was aborted".into(), true);
        let _ = self.wait_running().await;
    }

    async fn record(&mut self, event: Event, by_operator: bool) -> io::Result<()> {
        let record = self.journal.append(event, by_operator)?;
        self.announce_held().await;
        self.session.apply(&record);
        self.announce(record).await;
        Ok(())
    }

    /// Like [`Engine::record`], without the fsync: the caller guarantees a
    /// sync before the engine does anything else (see `finish_attempt`).
    /// The driver hears of it once it is durable.
    async fn record_deferred(&mut self, event: Event) -> io::Result<()> {
        let record = self.journal.append_lazy(event)?;
        self.session.apply(&record);
        self.held.push(record);
        Ok(())
    }

    /// Makes everything written durable, then announces what was held.
    async fn sync(&mut self) -> io::Result<()> {
        self.journal.sync()?;
        self.announce_held().await;
        Ok(())
    }

    async fn announce_held(&mut self) {
        for record in std::mem::take(&mut self.held) {
            self.announce(record).await;
        }
    }

    /// Tells the driver of a durable record, and the transcript refresher
    /// when it settles a step.
    async fn announce(&self, record: Record) {
        let settles = settles_a_step(&record.event);
        if let Some(id) = exit_of(&record.event) {
            // Durable now: the attempt's monitor need not write its exit file.
            self.setup.runner.exit_recorded(&id);
        }
        self.send(Update::Record(record)).await;
        if settles && let Some(hook) = &self.setup.after_step {
            hook();
        }
    }

    async fn send(&self, u: Update) {
        let _ = self.updates.send(u).await;
    }
}

/// The error that stops a session whose step log could not be written.
fn log_failure(path: &std::path::Path, kept: u64, e: &io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!(
            "cannot write the step's output log {}: {e}. The step ran to its end and its result is recorded; \
             the log holds its first {kept} bytes. Free space, then `stepwise resume`.",
            path.display()
        ),
    )
}

async fn progress(running: &mut Option<Running>) -> Progress {
    match running {
        Some(Running { fleet: Some(f), .. }) => match f.happenings.recv().await {
            Some(h) => Progress::Fleet(h),
            None => Progress::Over,
        },
        Some(r) => match r.chunks.recv().await {
            Some(c) => Progress::Chunk(c),
            None => Progress::Over,
        },
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// How often a running step's output is journalled (one record for what
/// came in that time, per stream run): often enough for a follower to see
/// a quiet step's last line soon, rarely enough that a flood adds few
/// records.
const OUTPUT_RECORD_EVERY: Duration = Duration::from_millis(250);

fn settles_a_step(e: &Event) -> bool {
    matches!(
        e,
        Event::StepExited { .. }
            | Event::HumanConfirmed { .. }
            | Event::StepSkipped { .. }
            | Event::MarkedDone { .. }
            // An update step's sending, and a regular update: the record
            // of who was told what belongs in the transcript at once.
            | Event::UpdateResult { .. }
    )
}

/// The attempt whose exit this record journals: a step's, or one host's
/// of a fleet step.
fn exit_of(event: &Event) -> Option<crate::runner::AttemptId> {
    let (step, attempt, target) = match event {
        Event::StepExited { step, attempt, .. } => (step, attempt, None),
        Event::HostExited {
            step,
            attempt,
            host,
            ..
        } => (step, attempt, Some(host.clone())),
        _ => return None,
    };
    Some(crate::runner::AttemptId {
        step: step.clone(),
        attempt: *attempt,
        target,
    })
}
