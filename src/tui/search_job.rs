//! The data of a log search (what to run, what runs, what was found),
//! apart from the app so the app can hold it without importing the search
//! code that works on the app (`search`). Plain data.

use super::log_file::{Direction, Progress};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// A search to run on a log file, off the event loop.
#[derive(Debug)]
pub struct SearchJob {
    pub path: PathBuf,
    pub query: String,
    pub from: u64,
    pub dir: Direction,
    pub progress: Arc<Progress>,
    /// Which attempt's log: the answer is dropped if the view moved on.
    pub log: (String, u32),
}

/// A search running: what the pane says meanwhile.
#[derive(Debug, Clone)]
pub struct Searching {
    pub query: String,
    pub progress: Arc<Progress>,
    pub log: (String, u32),
}

impl Searching {
    /// Percent of the file read so far.
    pub fn percent(&self) -> u64 {
        let total = self.progress.total.load(Ordering::Relaxed).max(1);
        self.progress.done.load(Ordering::Relaxed) * 100 / total
    }
}

/// What a search found.
#[derive(Debug, Clone)]
pub struct Found {
    pub query: String,
    pub log: (String, u32),
    pub line: Result<Option<u64>, String>,
}
