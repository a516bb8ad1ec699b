//! Searching the shown log: `/` finds a text from the cursor on, round
//! the end, `n`/`N` move between matches, `Esc` stops a search or leaves
//! the matches.
//!
//! A log on disk is searched whole, off the event loop: the app asks for a
//! [`SearchJob`], the event loop runs it on a blocking task and hands back
//! a [`Found`]; meanwhile the pane shows how far it got and keys keep
//! working. A log that only lives in memory (no file yet) is searched at
//! once. Matching is on the text as shown (colours and escapes removed),
//! ignoring case. This module never touches the screen.

use super::app::App;
use super::log::{LogLine, LogPane, strip_sgr};
use super::log_file::{self, Direction, Progress};
use super::log_view::Pos;
pub use super::search_job::{Found, SearchJob, Searching};
use crate::session::event::Stream;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Whether a line's shown text holds `needle` (already lower case).
pub fn line_matches(bytes: &[u8], needle: &str) -> bool {
    let line = LogLine::of(Stream::Stdout, bytes);
    strip_sgr(&line.text).to_lowercase().contains(needle)
}

/// A search's text: lines are matched as shown; blocks of plain lines
/// are ruled out at once by a case-blind scan for the text.
struct Matcher {
    needle: String,
    quick: Option<regex::bytes::Regex>,
}

impl Matcher {
    fn new(query: &str) -> Matcher {
        let needle = query.to_lowercase();
        let quick = regex::bytes::RegexBuilder::new(&regex::escape(&needle))
            .case_insensitive(true)
            .build()
            .ok();
        Matcher { needle, quick }
    }
}

impl log_file::LineMatch for Matcher {
    fn line(&self, bytes: &[u8]) -> bool {
        line_matches(bytes, &self.needle)
    }

    /// Plain lines are shown as they are, so a case-blind find on their
    /// bytes answers for all of them.
    fn may_hold(&self, lines: &[u8]) -> bool {
        self.quick.as_ref().is_none_or(|q| q.is_match(lines))
    }
}

/// Runs a job (blocking: call it from a blocking task).
pub fn run(job: SearchJob) -> Found {
    let hit = Matcher::new(&job.query);
    let line = log_file::search(&job.path, job.from, job.dir, &hit, &job.progress)
        .map_err(|e| format!("cannot read {}: {e}", job.path.display()));
    Found {
        query: job.query,
        log: job.log,
        line,
    }
}

impl App {
    /// `/` with a text: the first match from the cursor on (from the
    /// start, while following the end).
    pub(super) fn find(&mut self, query: &str) {
        let from = match (self.hit, self.follow) {
            (Some(h), _) if self.search.as_deref() == Some(query) => h + 1,
            (_, true) => 0,
            (_, false) => self.log_top(),
        };
        self.search = Some(query.to_string());
        self.start_search(from, Direction::Forward);
    }

    /// `n`/`N`: the next or previous match of the last search.
    pub(super) fn next_match(&mut self, dir: Direction) {
        let Some(hit) = self.hit else { return };
        let from = match dir {
            Direction::Forward => hit + 1,
            Direction::Backward => hit,
        };
        self.start_search(from, dir);
    }

    /// `Esc` after a search: stop it, or leave the matches.
    pub(super) fn end_search(&mut self) {
        if let Some(s) = self.searching.take() {
            s.progress.cancel.store(true, Ordering::Relaxed);
            self.status = Some(format!("Search for “{}” stopped.", s.query));
        } else {
            self.hit = None;
        }
    }

    /// Why `/` finds no log in view: a tty step's pane is its terminal
    /// screen, whose whole output is in its log file (named), or nothing ran.
    fn why_no_search(&self) -> String {
        let st = &self.session.steps[self.selected];
        let tty = self.step_def(self.selected).is_some_and(|d| d.tty);
        match (
            tty,
            self.shown_attempt()
                .and_then(|n| st.attempts.iter().find(|a| a.number == n)),
        ) {
            (true, Some(a)) => format!(
                "A tty step's pane is its terminal screen, not searched: its whole output is in {} in the session folder.",
                a.log
            ),
            _ => "No log to search.".to_owned(),
        }
    }

    fn start_search(&mut self, from: u64, dir: Direction) {
        let Some(query) = self.search.clone() else {
            return;
        };
        if let Some(old) = self.searching.take() {
            old.progress.cancel.store(true, Ordering::Relaxed);
        }
        let (Some(log), Some(key)) = (self.shown_log(), self.shown_log_key()) else {
            self.status = Some(self.why_no_search());
            return;
        };
        let Some(path) = log.path().filter(|_| log.from_disk()) else {
            let line = find_in_memory(log, &query, from, dir);
            return self.show(Found {
                query,
                log: key,
                line: Ok(line),
            });
        };
        let progress = Arc::new(Progress::default());
        self.searching = Some(Searching {
            query: query.clone(),
            progress: progress.clone(),
            log: key.clone(),
        });
        self.search_job = Some(SearchJob {
            path,
            query,
            from,
            dir,
            progress,
            log: key,
        });
    }

    /// A search's answer from the blocking task: shown unless the search
    /// was stopped or another one started since.
    pub fn found(&mut self, f: Found) {
        self.dirty = true;
        if self
            .searching
            .as_ref()
            .is_some_and(|s| s.query == f.query && s.log == f.log)
        {
            self.searching = None;
            self.show(f);
        }
    }

    /// Shows the match, or says there is none.
    fn show(&mut self, f: Found) {
        if self.shown_log_key() != Some(f.log.clone()) {
            return;
        }
        match f.line {
            Ok(Some(n)) => {
                self.hit = Some(n);
                self.follow = false;
                let (row, beyond) = self.match_row(n, &f.query);
                self.set_anchor(Pos { line: n, row });
                // Short: an 80-column status bar holds it whole.
                let edge = if beyond {
                    " · past the edge: w wraps"
                } else {
                    ""
                };
                self.status = Some(format!("“{}”: line {} · n/N more{edge}", f.query, n + 1));
            }
            Ok(None) => {
                self.hit = None;
                self.status = Some(format!("“{}” is not in this log.", f.query));
            }
            Err(e) => self.status = Some(format!("Search failed: {e}")),
        }
    }
}

impl App {
    /// Where on line `n` of the shown log `query` first matches: the
    /// wrapped row it starts in (the view's top goes there, so a match far
    /// into a long line is on screen), and, with long lines cut, whether
    /// it lies past the pane's edge.
    fn match_row(&self, n: u64, query: &str) -> (usize, bool) {
        let Some(line) = self.shown_log().and_then(|log| log.line(n)) else {
            return (0, false);
        };
        let layout = self.log_layout();
        let text = strip_sgr(&line.text).to_lowercase();
        let Some(at) = text.find(&query.to_lowercase()) else {
            return (0, false);
        };
        let before = text[..at].chars().count();
        if !layout.wrap {
            let width = layout.width.max(1);
            return (0, before + query.chars().count() > width);
        }
        let mut seen = 0;
        for (row, piece) in layout.rows(&line).iter().enumerate() {
            seen += piece.to_string().chars().count();
            if seen > before {
                return (row, false);
            }
        }
        (0, false)
    }
}

/// The same search over a log kept only in memory (no file yet).
fn find_in_memory(log: &LogPane, query: &str, from: u64, dir: Direction) -> Option<u64> {
    let needle = query.to_lowercase();
    let hit = |n: &u64| {
        log.line(*n)
            .is_some_and(|l| strip_sgr(&l.text).to_lowercase().contains(&needle))
    };
    let (first, end) = (log.first(), log.end());
    let from = from.clamp(first, end);
    match dir {
        Direction::Forward => (from..end).chain(first..from).find(hit),
        Direction::Backward => (first..from).rev().chain((from..end).rev()).find(hit),
    }
}
