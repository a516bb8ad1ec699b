//! The engine: everything that runs a session, independent of any screen.
//!
//! `engine` decides what happens next and journals it; `process` runs one
//! step attempt as a real process (own process group, no terminal, streamed
//! bytes, timeout, cancel, log file); `redact` masks secret values (and, per
//! `secret_forms`, their encoded forms); `inputs`
//! resolves input values; `open` creates and resumes sessions. Nothing in
//! here renders or reads the terminal.

pub mod command;
#[allow(clippy::module_inception)]
pub mod engine;
pub mod fleet;
pub mod inputs;
pub mod open;
pub mod process;
pub mod redact;
pub mod secret_forms;
