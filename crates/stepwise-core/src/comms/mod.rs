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

/// What each channel answered, on one line: `✓ ops (HTTP 200); ✗ log (…)`
/// (the headless lines and the interface's Details pane say it alike).
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
