//! The one documented JSON shape of an update (what `webhook`, `command`
//! and `file` channels receive; docs/runbook-format.md), and the Slack
//! incoming-webhook body made from it. Field order is part of the format.

use serde::Serialize;

/// An update as channels receive it. Every text in it is already masked.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Payload {
    pub session: String,
    pub runbook: String,
    /// investigating / identified / monitoring / resolved.
    pub status: &'static str,
    pub message: String,
    pub progress: Progress,
    /// The title of the step the session is at (not counting update steps).
    pub current_step: Option<String>,
    /// When the session started (RFC 3339, UTC).
    pub started: Option<String>,
    /// The estimated end, or `null` when there is no estimate yet.
    pub expected_end: Option<String>,
    /// `user@host` of who sent it.
    pub actor: String,
    /// The same for every send of one update (a re-send after a crash too).
    pub idempotency_key: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Payload {
    /// The body for webhook, command and file channels: compact JSON.
    pub fn json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a payload always serializes")
    }

    /// The body for a Slack incoming webhook: `text` (the fallback every
    /// client shows) and `blocks` (the message, then a context line).
    pub fn slack(&self) -> Vec<u8> {
        let p = &self.progress;
        let context = format!(
            "*{}* · {}/{} steps done · runbook `{}` · session `{}`",
            self.status, p.done, p.total, self.runbook, self.session
        );
        let body = serde_json::json!({
            "text": self.message,
            "blocks": [
                { "type": "section", "text": { "type": "mrkdwn", "text": self.message } },
                { "type": "context", "elements": [ { "type": "mrkdwn", "text": context } ] }
            ]
        });
        serde_json::to_vec(&body).expect("a slack body always serializes")
    }
}
