//! Sessions: events, the append-only journal, the pure fold, and where
//! session folders live.

pub mod event;
pub mod state;
pub mod clock;
pub mod fsutil;
pub mod journal;
pub mod store;
