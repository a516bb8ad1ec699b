//! The communication plan as the runbook declares it: named channels (how
//! an update travels) and update steps (what they say). Data only: the
//! builder in `build/channels.rs` validates it and `crate::comms` sends.

use serde::Serialize;

/// A named destination for status updates (`channels:` at the top level).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Channel {
    pub name: String,
    pub transport: Transport,
}

/// How an update reaches a channel. Text fields may name inputs
/// (`$SLACK_WEBHOOK_URL`); they are filled in only at send time, in memory.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// A Slack incoming webhook: `{"text": …, "blocks": […]}`.
    Slack { webhook: String },
    /// A JSON POST of the documented payload, with extra headers.
    Webhook {
        url: String,
        headers: Vec<(String, String)>,
    },
    /// A command run with the payload as JSON on stdin.
    Command { run: String },
    /// One JSON line per update appended to a file (relative to the runbook).
    File { path: String },
}

impl Transport {
    /// A word for the trust screen and transcripts.
    pub fn kind(&self) -> &'static str {
        match self {
            Transport::Slack { .. } => "slack",
            Transport::Webhook { .. } => "webhook",
            Transport::Command { .. } => "command",
            Transport::File { .. } => "file",
        }
    }

    /// Where it goes, as written in the runbook (variables unexpanded).
    pub fn target(&self) -> &str {
        match self {
            Transport::Slack { webhook } => webhook,
            Transport::Webhook { url, .. } => url,
            Transport::Command { run } => run,
            Transport::File { path } => path,
        }
    }
}

/// The status vocabulary status pages share.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateStatus {
    #[default]
    Investigating,
    Identified,
    Monitoring,
    Resolved,
}

impl UpdateStatus {
    pub const ALL: &[(&str, UpdateStatus)] = &[
        ("investigating", UpdateStatus::Investigating),
        ("identified", UpdateStatus::Identified),
        ("monitoring", UpdateStatus::Monitoring),
        ("resolved", UpdateStatus::Resolved),
    ];

    pub fn word(self) -> &'static str {
        match self {
            UpdateStatus::Investigating => "investigating",
            UpdateStatus::Identified => "identified",
            UpdateStatus::Monitoring => "monitoring",
            UpdateStatus::Resolved => "resolved",
        }
    }
}

/// What an update step sends: a template, a status, and where to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UpdateSpec {
    /// Text with `$NAME` for inputs and captures and the built-ins
    /// `$PROGRESS`, `$CURRENT_STEP`, `$ELAPSED`, `$EXPECTED_END`.
    pub template: String,
    pub status: UpdateStatus,
    /// Names of channels declared at the top level.
    pub channels: Vec<String>,
}

/// `updates:` at the top level: a status update every so often while the
/// session runs, drafted from what the journal recorded since the last one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cadence {
    #[serde(with = "crate::runbook::duration::serde_millis")]
    pub every: std::time::Duration,
    /// Channels the updates go to; empty means every channel.
    pub channels: Vec<String>,
    pub status: UpdateStatus,
}
