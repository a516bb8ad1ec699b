//! The session state: a pure fold of journal records over the runbook.
//!
//! `Session::apply` is the only way state changes. The engine, the TUI,
//! headless output, resume and every export read this same structure, so
//! there is no second bookkeeping to drift. Must never do I/O or read clocks.

use super::event::{Actor, ConfirmedVia, Event, ExitInfo, Record};
use crate::runbook::model::{OnFailure, Runbook};
use chrono::{DateTime, Utc};

/// Where a step stands.
#[derive(Clone, Debug, PartialEq)]
pub enum StepStatus {
    Pending,
    Running {
        attempt: u32,
    },
    Succeeded,
    /// The last attempt failed (exit, timeout or cancel).
    Failed,
    Skipped {
        reason: String,
    },
    /// A human step confirmed done.
    Confirmed {
        via: ConfirmedVia,
    },
    /// Marked done by hand after a failure or an unknown outcome.
    DoneByHand,
    /// Running when the process holding the session died.
    OutcomeUnknown {
        attempt: u32,
    },
}

impl StepStatus {
    /// A short word for listings.
    pub fn label(&self) -> &'static str {
        match self {
            StepStatus::Pending => "pending",
            StepStatus::Running { .. } => "running",
            StepStatus::Succeeded => "succeeded",
            StepStatus::Failed => "failed",
            StepStatus::Skipped { .. } => "skipped",
            StepStatus::Confirmed { .. } => "done",
            StepStatus::DoneByHand => "done by hand",
            StepStatus::OutcomeUnknown { .. } => "outcome unknown",
        }
    }
}

/// Overall state of the session.
#[derive(Clone, Debug, PartialEq)]
pub enum SessionStatus {
    Active,
    /// The operator quit; resumable.
    Left,
    Completed,
    Aborted {
        reason: String,
    },
}

impl SessionStatus {
    pub fn is_finished(&self) -> bool {
        matches!(
            self,
            SessionStatus::Completed | SessionStatus::Aborted { .. }
        )
    }
    pub fn label(&self) -> &'static str {
        match self {
            SessionStatus::Active => "in progress",
            SessionStatus::Left => "in progress",
            SessionStatus::Completed => "completed",
            SessionStatus::Aborted { .. } => "aborted",
        }
    }
}

/// One run of an automated step's command.
#[derive(Clone, Debug, PartialEq)]
pub struct Attempt {
    pub number: u32,
    pub started_at: DateTime<Utc>,
    pub command: String,
    /// Relative to the session folder.
    pub log: String,
    pub ended_at: Option<DateTime<Utc>>,
    pub exit: Option<ExitInfo>,
    pub duration_ms: Option<u64>,
    pub success: Option<bool>,
    pub timed_out: bool,
    pub cancelled: Option<String>,
    pub stdout_bytes: u64,
    pub stderr_bytes: u64,
    /// The log could not be written to its end (`log_cut`).
    pub log_cut: Option<LogCut>,
    /// Processes of the step's group ended after its first process exited.
    pub leftovers: u32,
    /// A resume re-attached to it (`step_reattached`).
    pub reattached: bool,
    /// It ended then, while no stepwise was running (`step_reattached`).
    pub ended_away: Option<DateTime<Utc>>,
    /// A person started it (its record names an operator); stepwise's own
    /// starts (auto mode, a scheduled retry) name none.
    pub by_operator: bool,
    /// Answered in advance for that person (`--yes`, `--answer`).
    pub via: Option<super::event::ConfirmedVia>,
}

/// Where an attempt's log stops short, and why (a full disk).
#[derive(Clone, Debug, PartialEq)]
pub struct LogCut {
    /// Bytes the log holds.
    pub kept: u64,
    /// Bytes shown live after that, kept in no file.
    pub lost: u64,
    pub reason: String,
}

impl Attempt {
    fn started(number: u32, at: DateTime<Utc>, command: &str, log: &str) -> Attempt {
        Attempt {
            number,
            started_at: at,
            command: command.to_owned(),
            log: log.to_owned(),
            ended_at: None,
            exit: None,
            duration_ms: None,
            success: None,
            timed_out: false,
            cancelled: None,
            stdout_bytes: 0,
            stderr_bytes: 0,
            log_cut: None,
            leftovers: 0,
            reattached: false,
            ended_away: None,
            by_operator: false,
            via: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Note {
    pub at: DateTime<Utc>,
    pub by: Option<Actor>,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StepState {
    pub id: String,
    pub section: usize,
    pub status: StepStatus,
    pub attempts: Vec<Attempt>,
    pub notes: Vec<Note>,
    pub checked: Vec<usize>,
    /// When the step reached its current settled status.
    pub settled_at: Option<DateTime<Utc>>,
    pub settled_by: Option<Actor>,
    /// Answered in advance (`--yes`, `--answer`), when its settling was.
    pub settled_via: Option<ConfirmedVia>,
    /// A failed attempt waiting for its next try (`retry:`).
    pub retry: Option<ScheduledRetry>,
    /// Each host of a fleet step (empty for another step).
    pub fleet: super::fleet::FleetState,
}

impl StepState {
    /// Why its last attempt was cancelled, when that is how it failed: a
    /// cancelled step is failed to the engine (the same question follows)
    /// and `cancelled` in every word a person reads.
    pub fn cancelled(&self) -> Option<&str> {
        if self.status != StepStatus::Failed {
            return None;
        }
        self.attempts.last()?.cancelled.as_deref()
    }

    /// Its status in one word for a person: `cancelled` for a step failed
    /// by a cancel, else the status's own label.
    pub fn word(&self) -> &'static str {
        match self.cancelled() {
            Some(_) => "cancelled",
            None => self.status.label(),
        }
    }

    /// `attempt 2 of 3`, or after a person ran the step again,
    /// `attempt 5 (2 of 3 since it was run again)`: a scheduled retry's
    /// attempt among the `of` its run may have (counted from the last
    /// attempt a person started, as [`StepState::tries_left`] counts).
    pub fn retry_words(&self, attempt: u32, of: u32) -> String {
        let first = self
            .attempts
            .iter()
            .filter(|a| a.number < attempt && a.by_operator)
            .map(|a| a.number)
            .max()
            .unwrap_or(1);
        match attempt + 1 - first {
            k if k == attempt => format!("attempt {attempt} of {of}"),
            k => format!("attempt {attempt} ({k} of {of} since it was run again)"),
        }
    }

    /// The automatic retries left after attempt `attempt` of a step whose
    /// `retry:` allows `attempts`: counted from the first attempt of its
    /// run (the last one a person started, else the first), as the
    /// engine counts them while it runs.
    pub fn tries_left(&self, attempt: u32, attempts: u32) -> u32 {
        let first = self
            .attempts
            .iter()
            .filter(|a| a.number <= attempt && a.by_operator)
            .map(|a| a.number)
            .max()
            .unwrap_or(1);
        attempts.saturating_sub(attempt.saturating_sub(first) + 1)
    }
}

/// A retry the engine scheduled and has not started yet.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledRetry {
    /// The attempt to come, of how many.
    pub attempt: u32,
    pub of: u32,
    pub due: DateTime<Utc>,
}

/// One send of a status update: what went where, and how each channel
/// took it (`None` until the result is journalled; after a crash, unknown).
#[derive(Clone, Debug, PartialEq)]
pub struct SentUpdate {
    pub at: DateTime<Utc>,
    pub by: Option<Actor>,
    pub step: Option<String>,
    pub key: String,
    pub status: crate::runbook::model::UpdateStatus,
    pub channels: Vec<String>,
    pub text: String,
    pub results: Option<Vec<super::event::ChannelOutcome>>,
}

impl SentUpdate {
    /// Every channel took it.
    pub fn delivered(&self) -> bool {
        self.results
            .as_ref()
            .is_some_and(|r| r.iter().all(|c| c.ok))
    }
}

/// Auto mode turned on or off, and by whom (the first one is the mode the
/// session started in).
#[derive(Clone, Debug, PartialEq)]
pub struct AutoChange {
    pub at: DateTime<Utc>,
    pub on: bool,
    pub by: Option<Actor>,
}

/// A resume by another operator than the one who acted last.
#[derive(Clone, Debug, PartialEq)]
pub struct Handover {
    pub at: DateTime<Utc>,
    pub from: Actor,
    /// The operator who took the session up (absent only in a hand-made
    /// journal).
    pub to: Option<Actor>,
    pub reason: Option<String>,
}

/// An input's (or a capture's) current value: the latest record wins.
#[derive(Clone, Debug, PartialEq)]
pub struct InputValue {
    pub name: String,
    /// As journalled: the mask for a secret.
    pub value: String,
    pub secret: bool,
    pub source: super::event::InputSource,
    /// When the current value was given.
    pub at: DateTime<Utc>,
    /// The values it replaced during the session, oldest first (as
    /// journalled: masks for a secret). Empty when it never changed.
    pub earlier: Vec<String>,
}

impl InputValue {
    /// Whether the value was given or changed after the session began.
    pub fn changed(&self) -> bool {
        self.source == super::event::InputSource::Changed
    }
}

/// The whole session, folded from its records.
#[derive(Clone, Debug)]
pub struct Session {
    pub runbook: Runbook,
    pub id: String,
    pub runbook_path: String,
    pub runbook_sha256: String,
    pub started_at: Option<DateTime<Utc>>,
    pub last_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub status: SessionStatus,
    /// Whether auto mode is on now.
    pub auto: bool,
    /// Every change of auto mode, the starting mode first.
    pub auto_history: Vec<AutoChange>,
    pub dry_run: bool,
    pub from_step: Option<String>,
    /// Everyone who acted, in order of first appearance.
    pub operators: Vec<Actor>,
    /// Who started the session.
    pub started_by: Option<Actor>,
    /// Who acted last: the operator holding the session, or who left it.
    pub operator: Option<Actor>,
    /// Every handover between operators, in order.
    pub handovers: Vec<Handover>,
    pub inputs: Vec<InputValue>,
    /// Captured values (secret ones hold the mask).
    pub captures: Vec<InputValue>,
    pub steps: Vec<StepState>,
    /// Notes not attached to a step.
    pub notes: Vec<Note>,
    pub runbook_changed: Option<(String, String)>,
    pub interruptions: Vec<(DateTime<Utc>, String)>,
    /// Each stop nobody recorded (a `kill -9`, a crash, a machine gone):
    /// stepwise's last record before it, and the resume after it.
    pub silent_stops: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// The last stop so far was recorded (left, interrupted, stopped):
    /// the next resume follows a stop that was said.
    stop_said: bool,
    /// Every status update sent or attempted, in order (`update_intent`).
    pub updates: Vec<SentUpdate>,
    pub last_seq: u64,
    pub records: usize,
    /// The hosts the session is limited to (`--limit`), if it is.
    pub limit: Option<Vec<String>>,
}

impl Session {
    /// Secret values a resumed session needs again, since none was stored:
    /// secret inputs that were given or are required, and captures made
    /// from a secret (later steps would otherwise run with them empty).
    /// A secret whose value was the runbook's own `default` is not among
    /// them: the session's copy of the runbook holds it (see
    /// [`Session::secret_defaults`]).
    pub fn secrets_to_give_again(&self) -> Vec<String> {
        let inputs = self.runbook.inputs.iter().filter(|i| i.secret);
        let given = |name: &str| self.inputs.iter().any(|g| g.name == name);
        let defaulted = self.secret_defaults();
        let from_default = |name: &str| defaulted.iter().any(|(n, _)| n == name);
        inputs
            .filter(|i| (i.required || given(&i.name)) && !from_default(&i.name))
            .map(|i| i.name.clone())
            .chain(
                self.captures
                    .iter()
                    .filter(|c| c.secret)
                    .map(|c| c.name.clone()),
            )
            .collect()
    }

    /// Secret inputs whose current value is the runbook's `default`
    /// (never changed since), with that value: a resume takes them from
    /// the runbook instead of asking again.
    pub fn secret_defaults(&self) -> Vec<(String, String)> {
        use super::event::InputSource;
        self.inputs
            .iter()
            .filter(|g| g.secret && g.source == InputSource::Default)
            .filter_map(|g| {
                let def = self.runbook.input(&g.name)?.default.clone()?;
                Some((g.name.clone(), def))
            })
            .collect()
    }

    /// An empty session over a runbook; apply records to fill it.
    pub fn new(runbook: Runbook) -> Session {
        let steps = runbook
            .steps()
            .map(|(section, s)| StepState {
                id: s.id.clone(),
                section,
                status: StepStatus::Pending,
                attempts: Vec::new(),
                notes: Vec::new(),
                checked: Vec::new(),
                settled_at: None,
                settled_by: None,
                settled_via: None,
                retry: None,
                fleet: Default::default(),
            })
            .collect();
        Session {
            runbook,
            id: String::new(),
            runbook_path: String::new(),
            runbook_sha256: String::new(),
            started_at: None,
            last_at: None,
            ended_at: None,
            status: SessionStatus::Active,
            auto: false,
            auto_history: Vec::new(),
            dry_run: false,
            from_step: None,
            operators: Vec::new(),
            started_by: None,
            operator: None,
            handovers: Vec::new(),
            inputs: Vec::new(),
            captures: Vec::new(),
            steps,
            notes: Vec::new(),
            runbook_changed: None,
            interruptions: Vec::new(),
            silent_stops: Vec::new(),
            stop_said: false,
            updates: Vec::new(),
            last_seq: 0,
            records: 0,
            limit: None,
        }
    }

    /// Folds a list of records.
    pub fn from_records<'a>(
        runbook: Runbook,
        records: impl IntoIterator<Item = &'a Record>,
    ) -> Session {
        let mut s = Session::new(runbook);
        for r in records {
            s.apply(r);
        }
        s
    }

    pub fn step(&self, id: &str) -> Option<&StepState> {
        self.steps.iter().find(|s| s.id == id)
    }

    pub fn step_index(&self, id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.id == id)
    }

    fn step_mut(&mut self, id: &str) -> Option<&mut StepState> {
        self.steps.iter_mut().find(|s| s.id == id)
    }

    /// Whether a step needs nothing more: done, skipped, or failed with
    /// `on_failure: continue`.
    pub fn is_settled(&self, index: usize) -> bool {
        let st = &self.steps[index];
        match st.status {
            StepStatus::Succeeded
            | StepStatus::Skipped { .. }
            | StepStatus::Confirmed { .. }
            | StepStatus::DoneByHand => true,
            StepStatus::Failed => self
                .runbook
                .step(&st.id)
                .is_some_and(|s| s.on_failure == OnFailure::Continue),
            _ => false,
        }
    }

    /// The update steps whose last send did not reach every channel (a
    /// failed update step, whether or not the runbook set
    /// `on_failure: continue`) and that no update step after them in the
    /// runbook has overtaken, in runbook order: what an operator at a
    /// screen is asked about before the session closes. An update is
    /// overtaken when every channel that refused it took a later update
    /// step's send (sending an old status again after a newer one went out
    /// would turn that status page back); a later update to other channels
    /// overtakes nothing.
    pub fn undelivered_updates(&self) -> Vec<usize> {
        let is_update = |i: usize| {
            self.runbook
                .step(&self.steps[i].id)
                .is_some_and(|s| s.is_update())
        };
        // Any send of that step counts: a resend goes only to the
        // channels that refused the send before it.
        let reached = |j: usize, channel: &str| {
            let id = self.steps[j].id.as_str();
            self.updates
                .iter()
                .filter(|u| u.step.as_deref() == Some(id))
                .flat_map(|u| u.results.iter().flatten())
                .any(|c| c.ok && c.channel == channel)
        };
        let n = self.steps.len();
        let overtaken = |i: usize| {
            let later = || ((i + 1)..n).filter(|&j| is_update(j));
            let refused = self.refusals(&self.steps[i].id);
            match refused.is_empty() {
                // Failed before any channel answered: a later update that
                // went through overtakes it.
                true => later().any(|j| self.steps[j].status == StepStatus::Succeeded),
                false => refused
                    .iter()
                    .all(|c| later().any(|j| reached(j, &c.channel))),
            }
        };
        (0..n)
            .filter(|&i| {
                is_update(i) && self.steps[i].status == StepStatus::Failed && !overtaken(i)
            })
            .collect()
    }

    /// The last send of an update step, if it was sent.
    fn last_send(&self, step: &str) -> Option<&SentUpdate> {
        self.updates
            .iter()
            .rev()
            .find(|u| u.step.as_deref() == Some(step))
    }

    /// The channels that did not take `step`'s last send, with what each
    /// answered (none when it has not been sent).
    pub fn refusals(&self, step: &str) -> Vec<&super::event::ChannelOutcome> {
        let results = self.last_send(step).and_then(|u| u.results.as_ref());
        results.into_iter().flatten().filter(|c| !c.ok).collect()
    }

    /// The first step that is not settled, in runbook order.
    pub fn next_step(&self) -> Option<usize> {
        (0..self.steps.len()).find(|&i| !self.is_settled(i))
    }

    /// The step currently running, if any.
    pub fn running(&self) -> Option<usize> {
        self.steps
            .iter()
            .position(|s| matches!(s.status, StepStatus::Running { .. }))
    }

    /// (settled, total)
    pub fn progress(&self) -> (usize, usize) {
        let done = (0..self.steps.len())
            .filter(|&i| self.is_settled(i))
            .count();
        (done, self.steps.len())
    }

    /// Folds one record into the state.
    pub fn apply(&mut self, r: &Record) {
        self.last_seq = r.seq;
        self.records += 1;
        if let (Event::SessionResumed { .. }, Some(before)) = (&r.event, self.last_at)
            && !std::mem::take(&mut self.stop_said)
        {
            self.silent_stops.push((before, r.at));
        }
        self.stop_said |= matches!(
            r.event,
            Event::SessionLeft { .. } | Event::Interrupted { .. } | Event::SessionStopped { .. }
        );
        self.last_at = Some(r.at);
        if let Some(by) = &r.by {
            if !self.operators.contains(by) {
                self.operators.push(by.clone());
            }
            self.operator = Some(by.clone());
        }
        match &r.event {
            Event::SessionStarted {
                session_id,
                runbook_path,
                runbook_sha256,
                auto,
                dry_run,
                from_step,
                ..
            } => {
                self.id = session_id.clone();
                self.runbook_path = runbook_path.clone();
                self.runbook_sha256 = runbook_sha256.clone();
                self.started_at = Some(r.at);
                self.started_by = r.by.clone();
                self.set_auto(r, *auto);
                self.dry_run = *dry_run;
                self.from_step = from_step.clone();
            }
            Event::SessionResumed {
                handed_over_from,
                reason,
                ..
            } => {
                if let Some(from) = handed_over_from {
                    self.handovers.push(Handover {
                        at: r.at,
                        from: from.clone(),
                        to: r.by.clone(),
                        reason: reason.clone(),
                    });
                }
                // A new resume checks the file again and records any change.
                self.runbook_changed = None;
                self.drop_retries();
                self.status = SessionStatus::Active;
                self.ended_at = None;
            }
            Event::RunbookChanged {
                session_sha256,
                current_sha256,
                ..
            } => self.runbook_changed = Some((session_sha256.clone(), current_sha256.clone())),
            Event::InputGiven { .. } | Event::Captured { .. } => self.apply_value(r),
            Event::NoteAdded { step, text } => {
                let note = Note {
                    at: r.at,
                    by: r.by.clone(),
                    text: text.clone(),
                };
                match step.as_deref().and_then(|id| self.step_mut(id)) {
                    Some(st) => st.notes.push(note),
                    None => self.notes.push(note),
                }
            }
            Event::Interrupted { signal } => {
                self.interruptions.push((r.at, signal.clone()));
                self.drop_retries();
            }
            Event::SessionLeft { .. } => {
                self.status = SessionStatus::Left;
                self.drop_retries();
            }
            Event::SessionAborted { reason } => {
                self.drop_retries();
                self.status = SessionStatus::Aborted {
                    reason: reason.clone(),
                };
                self.ended_at = Some(r.at);
            }
            Event::SessionCompleted => {
                self.status = SessionStatus::Completed;
                self.ended_at = Some(r.at);
            }
            Event::AutoChanged { on } => self.set_auto(r, *on),
            Event::UpdateIntent { .. } | Event::UpdateResult { .. } => self.apply_update(r),
            Event::HostsLimited { hosts } => self.limit = Some(hosts.clone()),
            _ => self.apply_step_event(r),
        }
    }

    /// An input given, or a value captured: the latest record wins; an
    /// input keeps the values it replaced.
    fn apply_value(&mut self, r: &Record) {
        match &r.event {
            Event::InputGiven {
                name,
                value,
                secret,
                source,
            } => {
                let mut v = InputValue {
                    name: name.clone(),
                    value: value.clone(),
                    secret: *secret,
                    source: *source,
                    at: r.at,
                    earlier: Vec::new(),
                };
                match self.inputs.iter_mut().find(|i| &i.name == name) {
                    Some(slot) => {
                        v.earlier = std::mem::take(&mut slot.earlier);
                        v.earlier.push(std::mem::take(&mut slot.value));
                        *slot = v;
                    }
                    None => self.inputs.push(v),
                }
            }
            Event::Captured {
                name,
                value,
                secret,
                ..
            } => {
                let v = InputValue {
                    name: name.clone(),
                    value: value.clone(),
                    secret: *secret,
                    source: super::event::InputSource::DefaultFrom,
                    at: r.at,
                    earlier: Vec::new(),
                };
                match self.captures.iter_mut().find(|i| &i.name == name) {
                    Some(slot) => *slot = v,
                    None => self.captures.push(v),
                }
            }
            _ => {}
        }
    }

    /// An update intent or result: the list of updates, and the status of
    /// an update step (running between the two; then succeeded when every
    /// channel took it, failed otherwise).
    fn apply_update(&mut self, r: &Record) {
        match &r.event {
            Event::UpdateIntent {
                step,
                key,
                status,
                channels,
                text,
            } => {
                self.updates.push(SentUpdate {
                    at: r.at,
                    by: r.by.clone(),
                    step: step.clone(),
                    key: key.clone(),
                    status: *status,
                    channels: channels.clone(),
                    text: text.clone(),
                    results: None,
                });
                let sends = self.updates.iter().filter(|u| &u.step == step).count() as u32;
                if let Some(st) = step.as_deref().and_then(|id| self.step_mut(id)) {
                    st.status = StepStatus::Running { attempt: sends };
                    st.retry = None;
                }
            }
            Event::UpdateResult { step, key, results } => {
                let Some(u) = self.updates.iter_mut().rev().find(|u| &u.key == key) else {
                    return;
                };
                u.results = Some(results.clone());
                let ok = u.delivered();
                if let Some(st) = step.as_deref().and_then(|id| self.step_mut(id)) {
                    settle(
                        st,
                        r,
                        if ok {
                            StepStatus::Succeeded
                        } else {
                            StepStatus::Failed
                        },
                    );
                }
            }
            _ => {}
        }
    }

    /// A scheduled retry lives in the process that scheduled it: it ends
    /// with that process (interrupted, left, aborted) and is not taken up
    /// by a resume, which leaves the failed step to the operator.
    fn drop_retries(&mut self) {
        for st in &mut self.steps {
            st.retry = None;
        }
    }

    fn set_auto(&mut self, r: &Record, on: bool) {
        self.auto = on;
        self.auto_history.push(AutoChange {
            at: r.at,
            on,
            by: r.by.clone(),
        });
    }

    fn apply_step_event(&mut self, r: &Record) {
        let Some(id) = r.event.step() else { return };
        let Some(st) = self.step_mut(id) else { return };
        match &r.event {
            Event::StepStarted { .. }
            | Event::OutputRecorded { .. }
            | Event::StepTimedOut { .. }
            | Event::StepCancelled { .. }
            | Event::StepExited { .. }
            | Event::LogCut { .. }
            | Event::LeftoversEnded { .. }
            | Event::StepReattached { .. } => apply_attempt_event(st, r),
            Event::RetryScheduled {
                attempt, of, due, ..
            } => {
                st.retry = Some(ScheduledRetry {
                    attempt: *attempt,
                    of: *of,
                    due: *due,
                });
            }
            Event::RetryCancelled { .. } => st.retry = None,
            Event::OutcomeUnknown { attempt, .. } => {
                st.status = StepStatus::OutcomeUnknown { attempt: *attempt };
                st.fleet.attempt_over();
            }
            Event::StepNotStarted { attempt, .. } => {
                st.status = StepStatus::Pending;
                if let Some(a) = attempt_mut(st, *attempt) {
                    a.cancelled = Some(NOT_STARTED.to_owned());
                }
            }
            Event::FleetPlanned { .. }
            | Event::HostStarted { .. }
            | Event::HostOutputRecorded { .. }
            | Event::HostExited { .. }
            | Event::BatchWaiting { .. }
            | Event::BatchAnswered { .. }
            | Event::RolloutStopped { .. } => st.fleet.apply(r),
            _ => apply_human_event(st, r),
        }
    }
}

/// Why an attempt journalled as started has no exit (`step_not_started`).
pub const NOT_STARTED: &str = "never started: stepwise stopped before the step's monitor ran it";

/// Settles a step: its status, when, and by whom. A settled step waits for
/// no retry.
fn settle(st: &mut StepState, r: &Record, status: StepStatus) {
    st.status = status;
    st.settled_at = Some(r.at);
    st.settled_by = r.by.clone();
    st.settled_via = match &r.event {
        Event::HumanConfirmed { via, .. } => Some(*via),
        Event::StepSkipped { via, .. } | Event::MarkedDone { via, .. } => *via,
        _ => None,
    };
    st.retry = None;
}

fn note_of(r: &Record, text: &str) -> Note {
    Note {
        at: r.at,
        by: r.by.clone(),
        text: text.to_owned(),
    }
}

fn attempt_mut(st: &mut StepState, n: u32) -> Option<&mut Attempt> {
    st.attempts.iter_mut().rev().find(|a| a.number == n)
}

/// Events of one attempt of an automated step: started, output, timed out,
/// cancelled, exited.
fn apply_attempt_event(st: &mut StepState, r: &Record) {
    match &r.event {
        Event::StepStarted {
            attempt,
            command,
            log,
            via,
            ..
        } => {
            st.status = StepStatus::Running { attempt: *attempt };
            st.retry = None;
            let mut a = Attempt::started(*attempt, r.at, command, log);
            a.by_operator = r.by.is_some();
            a.via = *via;
            st.attempts.push(a);
        }
        Event::OutputRecorded {
            attempt,
            stream,
            len,
            ..
        } => {
            if let Some(a) = attempt_mut(st, *attempt) {
                match stream {
                    super::event::Stream::Stdout => a.stdout_bytes += len,
                    super::event::Stream::Stderr => a.stderr_bytes += len,
                }
            }
        }
        Event::LogCut {
            attempt,
            kept,
            lost,
            reason,
            ..
        } => {
            if let Some(a) = attempt_mut(st, *attempt) {
                a.log_cut = Some(LogCut {
                    kept: *kept,
                    lost: *lost,
                    reason: reason.clone(),
                });
            }
        }
        Event::StepReattached {
            attempt, ended_at, ..
        } => {
            if let Some(a) = attempt_mut(st, *attempt) {
                a.reattached = true;
                a.ended_away = *ended_at;
            }
        }
        Event::LeftoversEnded { attempt, count, .. } => {
            if let Some(a) = attempt_mut(st, *attempt) {
                a.leftovers = *count;
            }
        }
        Event::StepTimedOut { attempt, .. } => {
            if let Some(a) = attempt_mut(st, *attempt) {
                a.timed_out = true;
            }
        }
        Event::StepCancelled {
            attempt, reason, ..
        } => {
            if let Some(a) = attempt_mut(st, *attempt) {
                a.cancelled = Some(reason.clone());
            }
        }
        Event::StepExited {
            attempt,
            exit,
            duration_ms,
            success,
            ..
        } => {
            if let Some(a) = attempt_mut(st, *attempt) {
                a.exit = Some(*exit);
                a.duration_ms = Some(*duration_ms);
                a.ended_at = Some(a.ended_away.unwrap_or(r.at));
                a.success = Some(*success && !a.timed_out && a.cancelled.is_none());
            }
            let ok = st.attempts.last().and_then(|a| a.success).unwrap_or(false);
            let status = if ok {
                StepStatus::Succeeded
            } else {
                StepStatus::Failed
            };
            settle(st, r, status);
        }
        _ => {}
    }
}

/// Events a person causes on a step: confirmed, skipped, marked done.
fn apply_human_event(st: &mut StepState, r: &Record) {
    match &r.event {
        Event::HumanConfirmed {
            note, checked, via, ..
        } => {
            if let Some(text) = note {
                st.notes.push(note_of(r, text));
            }
            st.checked = checked.clone();
            settle(st, r, StepStatus::Confirmed { via: *via });
        }
        Event::StepSkipped { reason, .. } => {
            let status = StepStatus::Skipped {
                reason: reason.clone(),
            };
            settle(st, r, status);
        }
        Event::MarkedDone { note, .. } => {
            if let Some(text) = note {
                st.notes.push(note_of(r, text));
            }
            settle(st, r, StepStatus::DoneByHand);
        }
        _ => {}
    }
}
