//! Sessions: events, the append-only journal, the pure fold, and where
//! session folders live, `tail` (reading a journal as it grows) and
//! `status` (the one-line summary).

pub mod chain;
pub mod clock;
pub mod event;
pub mod fleet;
pub mod fsutil;
pub mod guard;
pub mod journal;
mod output_line;
pub mod state;
pub mod status;
pub mod store;
pub mod tail;
pub mod timefmt;
pub mod verify;

#[cfg(test)]
#[path = "state_tests.rs"]
mod state_tests;
