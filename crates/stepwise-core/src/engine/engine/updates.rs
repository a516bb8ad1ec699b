//! Sending an update step (`impl Engine`, split from `engine.rs`), exactly
//! once across crashes: the intent (text, channels, idempotency key) is
//! journalled and fsync'd before any channel sees it, the result after. A
//! re-send of an update not delivered everywhere (failed, or unknown after
//! a crash) carries the same key and text, to the channels that did not
//! take it; an edited text is a new update with a new key. Delivery itself
//! is `crate::comms`; this file only decides and journals.

use super::Engine;
use crate::comms::{self, Payload, transport::Route};
use crate::runbook::model::{Step, UpdateStatus};
use crate::session::event::Event;
use crate::session::state::SentUpdate;
use std::io;

impl Engine {
    /// Sends the update step `id`: its draft, or `edited` (the operator's
    /// text from the editor, masked here), or a re-send of the last one.
    pub(super) async fn send_update(&mut self, id: &str, edited: Option<String>) -> io::Result<()> {
        let def = self.step_def(id);
        let now = self.journal.now();
        let values = crate::policy::step_env(&self.session, &self.values, &def);
        let end = self.expected_end(now);
        let Some(draft) = comms::draft(&self.session, &def, &values, &self.redactor, now, end)
        else {
            return Ok(());
        };
        let last = self.last_update(id).filter(|u| !u.delivered());
        let (key, text, channels) = match (last, edited) {
            (Some(u), None) => {
                let pending = undelivered(&u);
                (u.key, u.text, pending)
            }
            (_, Some(t)) => (
                self.new_key(id),
                self.redactor.redact_str(&t),
                draft.channels,
            ),
            (None, None) => (self.new_key(id), draft.text, draft.channels),
        };
        let status = draft.status;
        self.deliver(Some(&def), key, status, channels, text).await
    }

    /// Sends a regular update (`updates:`): its draft from the journal, or
    /// `edited` (the operator's text, masked here).
    pub(super) async fn send_cadence(&mut self, edited: Option<String>) -> io::Result<()> {
        let Some(c) = self.session.runbook.cadence.clone() else {
            return Ok(());
        };
        let now = self.journal.now();
        let text = match edited {
            Some(t) => t,
            None => comms::cadence::draft(&self.session, now, self.expected_end(now)),
        };
        let text = self.redactor.redact_str(&text);
        let n = self
            .session
            .updates
            .iter()
            .filter(|u| u.step.is_none())
            .count()
            + 1;
        let key = format!("{}:cadence:{n}", self.session.id);
        let channels = comms::cadence::channels(&self.session, &c);
        self.deliver(None, key, c.status, channels, text).await
    }

    /// Journals the intent (fsync'd), sends, journals each channel's answer.
    async fn deliver(
        &mut self,
        def: Option<&Step>,
        key: String,
        status: UpdateStatus,
        channels: Vec<String>,
        text: String,
    ) -> io::Result<()> {
        let step = def.map(|d| d.id.clone());
        let now = self.journal.now();
        let intent = Event::UpdateIntent {
            step: step.clone(),
            key: key.clone(),
            status,
            channels: channels.clone(),
            text: text.clone(),
        };
        self.record(intent, true).await?;
        let mut payload = self.payload(key.clone(), text, status.word());
        payload.expected_end = self
            .expected_end(now)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let values = match def {
            Some(d) => crate::policy::step_env(&self.session, &self.values, d),
            None => {
                let mut v = self.session.runbook.env.clone();
                v.extend(self.values.iter().cloned());
                v
            }
        };
        let route = Route {
            channels: &self.session.runbook.channels,
            values: &values,
            base_dir: &self.setup.base_dir,
            shell: &self.setup.shell,
            redactor: &self.redactor,
            limits: comms::Limits::default(),
        };
        let results = comms::deliver(&route, &channels, &payload).await;
        let result = Event::UpdateResult { step, key, results };
        self.record(result, true).await
    }

    /// When the engine sends the next regular update by itself (a driver
    /// without a person: `Setup::cadence_sends`), on tokio's clock.
    pub(super) fn cadence_at(&self) -> Option<tokio::time::Instant> {
        if !self.setup.cadence_sends || self.stopping.is_some() {
            return None;
        }
        let due = comms::cadence::due(&self.session)?;
        let wait = (due - self.journal.now()).to_std().unwrap_or_default();
        Some(tokio::time::Instant::now() + wait)
    }

    /// From the earlier sessions of this runbook in the same home.
    fn expected_end(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        let sessions = self.setup.session_dir.parent()?;
        let h = comms::estimate::load(sessions, &self.session.runbook.id, &self.session.id);
        comms::estimate::expected_end(&self.session, &h, now)
    }

    fn last_update(&self, id: &str) -> Option<SentUpdate> {
        self.session
            .updates
            .iter()
            .rev()
            .find(|u| u.step.as_deref() == Some(id))
            .cloned()
    }

    /// `<session>:<step>:<n>`, n counting this step's distinct updates.
    fn new_key(&self, id: &str) -> String {
        let mut keys: Vec<&str> = self
            .session
            .updates
            .iter()
            .filter(|u| u.step.as_deref() == Some(id))
            .map(|u| u.key.as_str())
            .collect();
        keys.dedup();
        format!("{}:{id}:{}", self.session.id, keys.len() + 1)
    }

    fn payload(&self, key: String, message: String, status: &'static str) -> Payload {
        let actor = self.journal.actor();
        Payload {
            session: self.session.id.clone(),
            runbook: self.session.runbook.id.clone(),
            status,
            message,
            progress: comms::draft::progress(&self.session),
            current_step: comms::draft::current_step(&self.session),
            started: self
                .session
                .started_at
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            expected_end: None,
            actor: format!("{}@{}", actor.user, actor.host),
            idempotency_key: key,
        }
    }
}

/// The channels that did not take `u`: all of them when its result is
/// unknown (a crash between intent and result).
fn undelivered(u: &SentUpdate) -> Vec<String> {
    match &u.results {
        None => u.channels.clone(),
        Some(r) => r
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.channel.clone())
            .collect(),
    }
}
