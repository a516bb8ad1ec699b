//! stepwise: a terminal runbook assistant for on-call engineers.
//!
//! The library holds everything; `main.rs` only parses the command line and
//! reports errors. Layers, from the bottom: `runbook` (the format), `session`
//! (events, the journal, the fold), `engine` (runs steps, never renders),
//! then the readers and drivers: `headless`, `tui`, `transcript`, `demo`.

/// Writes a line to stderr and ignores failure: a lost terminal (EIO) must
/// not stop stepwise from finishing its record, as `eprintln!` would by
/// panicking. Control characters in it (from a path, a runbook, a
/// command's message) are shown inert: nothing said can act on the terminal.
#[macro_export]
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let text = $crate::inert::show_controls(&format!($($t)*));
        let _ = writeln!(std::io::stderr(), "{text}");
    }};
}

pub mod cli;
pub mod commands;
pub mod demo;
pub mod dryrun;
pub mod engine;
pub mod headless;
pub mod inert;
pub mod launch;
pub mod picker;
pub mod runbook;
pub mod session;
pub mod transcript;
pub mod trust;
pub mod trust_prompt;
pub mod tui;
