//! stepwise: a terminal runbook assistant for on-call engineers.
//!
//! This package holds the drivers: the command line, the TUI, headless
//! mode, the demo. Everything that decides and records lives in the
//! `stepwise-core` crate (`crates/stepwise-core`), re-exported here under
//! the same names so `stepwise::engine`, `stepwise::session`, … read as
//! one library. `main.rs` only parses the command line and reports errors.
//! See docs/ARCHITECTURE.md for the layers and the rules each keeps.

/// Writes a line to stderr and ignores failure: a lost terminal (EIO) must
/// not stop stepwise from finishing its record, as `eprintln!` would by
/// panicking. Control characters in it (from a path, a runbook, a
/// command's message) are shown inert: nothing said can act on the terminal.
#[macro_export]
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let text = $crate::text::show_controls(&format!($($t)*));
        let _ = writeln!(std::io::stderr(), "{text}");
    }};
}

pub use stepwise_core::{
    comms, dryrun, engine, outcome, policy, runbook, runner, session, text, transcript, trust,
};

pub mod aligned_out;
pub mod cli;
pub mod commands;
pub mod demo;
pub mod follow;
pub mod headless;
pub mod headless_fleet;
pub mod headless_lines;
pub mod import;
pub mod invocation;
pub mod launch;
pub mod picker;
pub mod status;
pub mod trust_prompt;
pub mod tui;
