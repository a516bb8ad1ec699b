//! What a modal sees of the interface when it draws or takes a key: a
//! read-only view of the app's state, built by `App::look`. Modals import
//! this leaf instead of the app, so the app can hold modals without an
//! import cycle (app -> modals -> look, never back).

use super::ending::TuiEnd;
use super::log::Logs;
use crate::runbook::model::Step;
use crate::session::state::Session;
use chrono::{DateTime, Utc};

/// The app's state, read-only, for modals.
pub struct Look<'a> {
    pub session: &'a Session,
    pub color: bool,
    pub now: DateTime<Utc>,
    /// Names whose values are masked wherever they are shown.
    pub secrets: &'a [String],
    /// The last search, for "Enter alone repeats it".
    pub search: Option<&'a str>,
    pub quit_note: Option<&'a str>,
    pub finished: Option<&'a TuiEnd>,
    pub logs: &'a Logs,
    pub size: (u16, u16),
}

impl Look<'_> {
    /// A step's title by id (empty when the runbook has no such step).
    pub fn title_of(&self, id: &str) -> String {
        self.session
            .runbook
            .step(id)
            .map(|s| s.title.clone())
            .unwrap_or_default()
    }

    /// The runbook step behind a session step index.
    pub fn step_def(&self, index: usize) -> Option<&Step> {
        let id = &self.session.steps.get(index)?.id;
        self.session.runbook.step(id)
    }
}
