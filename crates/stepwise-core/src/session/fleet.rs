//! The fold of a fleet step's per-host events: each host's state, the
//! batches, the answers between them. Part of the session fold
//! (`state.rs` calls [`FleetState::apply`]); pure, never does I/O.

use super::event::{Actor, ConfirmedVia, Event, ExitInfo, Record, Stream};
use chrono::{DateTime, Utc};

/// Where one host of a fleet step stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostStatus {
    /// Planned, not started yet (or not reached: the rollout stopped).
    Pending,
    Running,
    Succeeded,
    Failed,
    /// Running when the process holding the session died.
    Unknown,
}

impl HostStatus {
    pub fn label(self) -> &'static str {
        match self {
            HostStatus::Pending => "pending",
            HostStatus::Running => "running",
            HostStatus::Succeeded => "succeeded",
            HostStatus::Failed => "failed",
            HostStatus::Unknown => "outcome unknown",
        }
    }

    /// A one-character mark for grids and recaps.
    pub fn mark(self) -> &'static str {
        match self {
            HostStatus::Pending => "·",
            HostStatus::Running => "▶",
            HostStatus::Succeeded => "✓",
            HostStatus::Failed => "✗",
            HostStatus::Unknown => "?",
        }
    }
}

/// One host of a fleet step, as of its latest attempt.
#[derive(Clone, Debug, PartialEq)]
pub struct HostState {
    pub host: String,
    /// The batch (from 1) of its latest plan.
    pub batch: u32,
    pub status: HostStatus,
    /// The step attempt the host last ran in (0: never ran).
    pub attempt: u32,
    /// Relative to the session folder.
    pub log: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub exit: Option<ExitInfo>,
    pub duration_ms: Option<u64>,
    pub message: Option<String>,
    pub stdout_bytes: u64,
    pub stderr_bytes: u64,
    /// How many times it was started, all attempts of the step together.
    pub runs: u32,
}

/// An answer given after a batch.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchAnswer {
    pub attempt: u32,
    pub batch: u32,
    pub proceed: bool,
    /// Who answered: a person, `--yes`, `--answer`, or nobody (headless).
    pub via: ConfirmedVia,
    pub at: DateTime<Utc>,
    pub by: Option<Actor>,
}

/// Everything known of a fleet step's hosts. Empty for another step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FleetState {
    /// Every host ever planned, in plan order.
    pub hosts: Vec<HostState>,
    /// The batches of the latest plan.
    pub batches: Vec<Vec<String>>,
    /// Their numbers (1, 2, … unless the plan went on with an earlier one).
    pub numbers: Vec<u32>,
    pub budget: u32,
    /// The batch (from 1) whose end waits for the operator.
    pub waiting: Option<u32>,
    pub answers: Vec<BatchAnswer>,
    /// Why the latest rollout stopped early.
    pub stopped: Option<String>,
}

impl FleetState {
    pub fn is_fleet(&self) -> bool {
        !self.hosts.is_empty()
    }

    pub fn host(&self, name: &str) -> Option<&HostState> {
        self.hosts.iter().find(|h| h.host == name)
    }

    fn host_mut(&mut self, name: &str) -> Option<&mut HostState> {
        self.hosts.iter_mut().find(|h| h.host == name)
    }

    /// Hosts that succeeded: never run again by a resume or a retry.
    pub fn succeeded(&self) -> Vec<String> {
        self.with(HostStatus::Succeeded)
    }

    pub fn with(&self, status: HostStatus) -> Vec<String> {
        let hosts = self.hosts.iter().filter(|h| h.status == status);
        hosts.map(|h| h.host.clone()).collect()
    }

    /// "1 host", "3 hosts": the fleet's size in words.
    pub fn hosts_word(n: usize) -> String {
        match n {
            1 => "1 host".to_owned(),
            n => format!("{n} hosts"),
        }
    }

    pub fn count(&self, status: HostStatus) -> usize {
        self.hosts.iter().filter(|h| h.status == status).count()
    }

    /// The width of the host column of a grid or recap, in terminal
    /// columns (at least 4; pad with `text::pad`).
    pub fn host_width(&self) -> usize {
        let widths = self.hosts.iter().map(|h| crate::text::cols(&h.host));
        widths.max().unwrap_or(4).max(4)
    }

    /// The latest plan's batches with their numbers.
    pub fn numbered(&self) -> Vec<(u32, Vec<String>)> {
        self.numbers
            .iter()
            .copied()
            .zip(self.batches.iter().cloned())
            .collect()
    }

    /// The hosts of batch `n` of the latest plan.
    pub fn batch(&self, n: u32) -> Option<&Vec<String>> {
        let i = self.numbers.iter().position(|&x| x == n)?;
        self.batches.get(i)
    }

    /// The batch that follows batch `n` in the latest plan, with its number.
    pub fn batch_after(&self, n: u32) -> Option<(u32, &Vec<String>)> {
        let i = self.numbers.iter().position(|&x| x == n)?;
        Some((*self.numbers.get(i + 1)?, self.batches.get(i + 1)?))
    }

    /// The number of the latest plan's last batch.
    pub fn last_batch(&self) -> u32 {
        self.numbers.last().copied().unwrap_or(0)
    }

    /// Hosts that did not succeed: failed, outcome unknown, or never
    /// reached (the rollout stopped before them), in plan order.
    pub fn not_done(&self) -> Vec<String> {
        let hosts = self
            .hosts
            .iter()
            .filter(|h| h.status != HostStatus::Succeeded);
        hosts.map(|h| h.host.clone()).collect()
    }

    /// No host failed or ended unknown: any host not done was never
    /// reached (the rollout stopped between batches, or was cut short).
    pub fn no_host_failed(&self) -> bool {
        self.count(HostStatus::Failed) + self.count(HostStatus::Unknown) == 0
    }

    /// More hosts failed (or ended unknown) than the rollout allows: the
    /// step failed on its hosts, not only because the rollout stopped.
    pub fn over_budget(&self) -> bool {
        self.count(HostStatus::Failed) + self.count(HostStatus::Unknown) > self.budget as usize
    }

    /// The note recorded when the operator accepts a fleet step's failure
    /// and goes on (TUI `c`, headless `--answer STEP=accept:<reason>`):
    /// which hosts are left not done, and why that is acceptable.
    pub fn accepted_note(&self, reason: &str) -> String {
        let hosts = self.not_done();
        match hosts.is_empty() {
            true => format!("Failure accepted: {reason}"),
            false => format!("{}{reason}", Self::accepted_head(&hosts)),
        }
    }

    /// The start of an accepted failure's note that names `hosts`.
    fn accepted_head(hosts: &[String]) -> String {
        let list = hosts.join(", ");
        format!(
            "Failure accepted with {} host(s) not done ({list}): ",
            hosts.len()
        )
    }

    /// The note of a fleet step marked done by hand while some of its
    /// hosts are not done (an outcome unknown answered "it did finish"):
    /// the record names them, as an accepted failure's note does (an
    /// accepted failure's own note, which names them, is kept as it is).
    pub fn marked_done_note(&self, note: Option<String>) -> Option<String> {
        let hosts = self.not_done();
        let head = Self::accepted_head(&hosts);
        if hosts.is_empty() || note.as_deref().is_some_and(|n| n.starts_with(&head)) {
            return note;
        }
        let head = format!(
            "Marked done with {} host(s) not done ({})",
            hosts.len(),
            hosts.join(", ")
        );
        Some(match note {
            Some(n) if !n.trim().is_empty() => format!("{head}: {n}"),
            _ => head,
        })
    }

    /// Folds one fleet event of this step.
    pub fn apply(&mut self, r: &Record) {
        match &r.event {
            Event::FleetPlanned {
                batches,
                budget,
                numbers,
                ..
            } => self.plan(batches, numbers, *budget),
            Event::HostStarted {
                attempt,
                host,
                batch,
                log,
                ..
            } => {
                if let Some(h) = self.host_mut(host) {
                    h.status = HostStatus::Running;
                    h.attempt = *attempt;
                    h.batch = *batch;
                    h.log = Some(log.clone());
                    h.started_at = Some(r.at);
                    (h.exit, h.duration_ms, h.message) = (None, None, None);
                    (h.stdout_bytes, h.stderr_bytes) = (0, 0);
                    h.runs += 1;
                }
            }
            Event::HostOutputRecorded {
                host, stream, len, ..
            } => {
                if let Some(h) = self.host_mut(host) {
                    match stream {
                        Stream::Stdout => h.stdout_bytes += len,
                        Stream::Stderr => h.stderr_bytes += len,
                    }
                }
            }
            Event::HostExited {
                host,
                exit,
                duration_ms,
                success,
                message,
                ..
            } => {
                if let Some(h) = self.host_mut(host) {
                    h.status = if *success {
                        HostStatus::Succeeded
                    } else {
                        HostStatus::Failed
                    };
                    h.exit = Some(*exit);
                    h.duration_ms = Some(*duration_ms);
                    h.message = message.clone();
                }
            }
            Event::BatchWaiting { batch, .. } => self.waiting = Some(*batch),
            Event::BatchAnswered {
                attempt,
                batch,
                proceed,
                via,
                ..
            } => {
                self.waiting = None;
                self.answers.push(BatchAnswer {
                    attempt: *attempt,
                    batch: *batch,
                    proceed: *proceed,
                    via: *via,
                    at: r.at,
                    by: r.by.clone(),
                });
            }
            Event::RolloutStopped { reason, .. } => self.stopped = Some(reason.clone()),
            _ => {}
        }
    }

    fn plan(&mut self, batches: &[Vec<String>], numbers: &[u32], budget: u32) {
        self.batches = batches.to_vec();
        self.numbers = match numbers.len() == batches.len() {
            true => numbers.to_vec(),
            false => (1..=batches.len() as u32).collect(),
        };
        self.budget = budget;
        self.waiting = None;
        self.stopped = None;
        let numbers = self.numbers.clone();
        for (batch, b) in batches.iter().zip(numbers) {
            for host in batch {
                match self.host_mut(host) {
                    Some(h) => {
                        h.batch = b;
                        h.status = HostStatus::Pending;
                    }
                    None => self.hosts.push(HostState::planned(host, b)),
                }
            }
        }
    }

    /// The attempt ended (or its outcome became unknown): a host still
    /// marked running is of unknown outcome.
    pub fn attempt_over(&mut self) {
        self.waiting = None;
        for h in &mut self.hosts {
            if h.status == HostStatus::Running {
                h.status = HostStatus::Unknown;
            }
        }
    }
}

impl HostState {
    fn planned(host: &str, batch: u32) -> HostState {
        HostState {
            host: host.to_owned(),
            batch,
            status: HostStatus::Pending,
            attempt: 0,
            log: None,
            started_at: None,
            exit: None,
            duration_ms: None,
            message: None,
            stdout_bytes: 0,
            stderr_bytes: 0,
            runs: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_not_done() -> FleetState {
        let mut f = FleetState::default();
        f.plan(&[vec!["a".into(), "b".into(), "c".into()]], &[], 0);
        f.hosts[0].status = HostStatus::Succeeded;
        f
    }

    #[test]
    fn an_accepted_failure_note_is_kept_and_names_the_hosts() {
        let f = two_not_done();
        let accepted = f.accepted_note("known flaky");
        assert_eq!(
            accepted,
            "Failure accepted with 2 host(s) not done (b, c): known flaky"
        );
        assert_eq!(f.marked_done_note(Some(accepted.clone())), Some(accepted));
    }

    #[test]
    fn a_typed_note_that_looks_like_an_acceptance_still_gets_the_hosts_named() {
        let f = two_not_done();
        let typed = Some("Failure accepted, checked by hand".to_owned());
        assert_eq!(
            f.marked_done_note(typed).as_deref(),
            Some("Marked done with 2 host(s) not done (b, c): Failure accepted, checked by hand")
        );
        assert_eq!(
            f.marked_done_note(None).as_deref(),
            Some("Marked done with 2 host(s) not done (b, c)")
        );
    }
}
