//! Time as the session sees it: injectable, so tests are deterministic.

use chrono::{DateTime, Utc};
use std::sync::Mutex;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The real wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock for tests: starts at a fixed time and advances one second per reading.
pub struct StepClock(Mutex<DateTime<Utc>>);

impl StepClock {
    pub fn starting_at(t: DateTime<Utc>) -> StepClock {
        StepClock(Mutex::new(t))
    }
}

impl Clock for StepClock {
    fn now(&self) -> DateTime<Utc> {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let now = *t;
        *t += chrono::Duration::seconds(1);
        now
    }
}
