//! The fleet coordinator: runs one attempt of a fleet step (`on:`) as a
//! rollout over its hosts, and hands the engine what happens on each host
//! ([`Happening`]) to journal. The engine still sees one running step; it
//! stays the only journal writer.
//!
//! - `hosts` resolves a step's targets to hosts (`hosts`, `hosts_from`).
//! - `rollout` schedules per-host attempts: batches in order, at most
//!   `max_in_flight` at once, the failure budget, the pause or the
//!   operator's answer between batches, cancel.
//! - `host` runs one host on its runner (ssh, or the local process runner
//!   with `TARGET` set) and says why it failed.
//!
//! Nothing here writes the journal or renders.

mod happening;
mod host;
mod hosts;
mod rollout;
mod shared;

pub use happening::Happening;
pub use hosts::resolve;
pub use rollout::{CANCELLED, Plan, run};
pub use shared::Shared;
