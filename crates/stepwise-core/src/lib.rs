//! stepwise-core: everything that decides and records, nothing that shows.
//!
//! The layers, from the bottom: `runbook` (the format: model, loader,
//! validator, schema), `session` (events, the journal, the pure fold, where
//! sessions live), `engine` (the only journal writer: it decides what
//! happens next and hands attempts to a runner), `runner` (the seam between
//! the engine and whatever carries an attempt out: real processes, or a
//! script in tests), `transcript` (pure renderers of a folded session),
//! `trust`, `dryrun`, `policy` (the rules every driver asks instead of
//! re-deriving them), `text` (masking and making text inert) and `outcome`
//! (exit codes and failures).
//!
//! This crate never renders and never reads a terminal: it depends on
//! neither ratatui, crossterm nor clap, so Cargo refuses any attempt to.
//! Drivers (the TUI, headless mode, the command line) live in the
//! `stepwise` package and only show what this crate decides.

pub mod comms;
pub mod dryrun;
pub mod engine;
pub mod outcome;
pub mod policy;
pub mod runbook;
pub mod runner;
pub mod session;
pub mod text;
pub mod transcript;
pub mod trust;
