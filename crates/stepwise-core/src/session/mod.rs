//! Sessions: events, the append-only journal, the pure fold, and where
//! session folders live.

pub mod chain;
pub mod clock;
pub mod event;
pub mod fsutil;
pub mod guard;
pub mod journal;
pub mod state;
pub mod store;
pub mod verify;

#[cfg(test)]
#[path = "state_tests.rs"]
mod state_tests;
