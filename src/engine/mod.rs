//! The engine: everything that runs a session, independent of any screen.
//!
//! `process` runs one step attempt as a real process (own session and process
//! group, streamed bytes, timeout, cancel, log file); `redact` masks secret
//! values in that output. Nothing in here renders or reads the terminal.

pub mod command;
pub mod process;
pub mod redact;
