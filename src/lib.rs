//! stepwise: a terminal runbook assistant for on-call engineers.
//!
//! The library holds everything; `main.rs` only parses the command line and
//! reports errors. Layers, from the bottom: `runbook` (the format), `session`
//! (events, the journal, the fold), `engine` (runs steps, never renders),
//! then the readers and drivers: `headless`, `tui`, `transcript`, `demo`.

/// Writes a line to stderr and ignores failure: a lost terminal (EIO) must
/// not stop stepwise from finishing its record, as `eprintln!` would by
/// panicking.
#[macro_export]
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

pub mod cli;
pub mod commands;
pub mod demo;
pub mod dryrun;
pub mod engine;
pub mod headless;
pub mod import;
pub mod inert;
pub mod launch;
pub mod picker;
pub mod runbook;
pub mod session;
pub mod transcript;
pub mod trust;
pub mod trust_prompt;
pub mod tui;
