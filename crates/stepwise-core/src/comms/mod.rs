//! The communication plan, carried out: drafting a status update from the
//! session (`draft`), the one documented payload and Slack's shape of it
//! (`payload`), and delivering it over a channel's transport (`transport`:
//! HTTP through `ureq` with rustls, a command given JSON on stdin, a JSONL
//! file).
//!
//! The engine calls this module and journals what it returns: nothing here
//! writes the journal, and nothing here decides whether to send (the
//! exactly-once rule lives in the engine). Text leaving through here is
//! already masked; real values (webhook URLs, tokens) are filled into a
//! channel's settings in memory only and never returned.

pub mod cadence;
pub mod draft;
pub mod estimate;
pub mod payload;
pub mod template;
pub mod transport;

pub use draft::{Draft, draft};
pub use payload::{Payload, Progress};
pub use transport::{Limits, deliver};

pub use crate::session::event::ChannelOutcome;

/// A line for each update step that had not reached every channel when
/// the session closed (`Session::undelivered_updates`): what the headless
/// runner and a plain follower print after the session's summary, where a
/// person or a script reading the end of the output sees it.
pub fn not_delivered_at_close(s: &crate::session::state::Session) -> Vec<String> {
    s.undelivered_updates()
        .into_iter()
        .map(|i| {
            let id = &s.steps[i].id;
            let refused: Vec<&str> = s.refusals(id).iter().map(|c| c.channel.as_str()).collect();
            format!(
                "⚠ {id}: not delivered to {} when the session closed",
                refused.join(", ")
            )
        })
        .collect()
}

/// What each channel answered, on one line: `✓ ops (HTTP 200); ✗ log (…)`
/// (the headless lines).
pub fn delivered(results: &[ChannelOutcome]) -> String {
    results
        .iter()
        .map(|c| {
            format!(
                "{} {} ({})",
                if c.ok { "✓" } else { "✗" },
                c.channel,
                c.detail
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}
