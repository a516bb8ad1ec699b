//! Sessions: events, the append-only journal, the pure fold, and where
//! session folders live, and `status`: the one-line summary.

pub mod clock;
pub mod event;
pub mod fsutil;
pub mod journal;
pub mod state;
pub mod status;
pub mod store;

#[cfg(test)]
#[path = "state_tests.rs"]
mod state_tests;
