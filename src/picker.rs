//! `stepwise` with no arguments: what can be started or taken up.
//!
//! Lists the runbooks in `./runbooks` (recursively) and in the user's
//! config folder (`<config dir>/stepwise/runbooks`), and the unfinished
//! sessions. On a terminal the list is a picker (`tui::picker`); Enter on
//! a runbook is `stepwise run FILE`, on a session `stepwise resume ID`.
//! Without a terminal the list is printed. This module finds and prints;
//! it never draws and never runs a step itself.

use crate::launch::Failure;
use crate::session::store;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

pub use crate::tui::picker::Entry;

/// Deepest folder level searched for runbooks.
const MAX_DEPTH: usize = 6;

/// Runbooks under `dir` (`*.yaml`, `*.yml`), sorted by path.
pub fn runbooks_in(dir: &Path) -> Vec<Entry> {
    let mut files = Vec::new();
    collect(dir, 0, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let title = crate::runbook::load::load_file(&path)
                .map(|rb| rb.title)
                .unwrap_or_else(|_| "(does not validate: stepwise validate says why)".into());
            Entry::Runbook { path, title }
        })
        .collect()
}

fn collect(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() && depth < MAX_DEPTH {
            collect(&path, depth + 1, out);
        } else if kind.is_file() && path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(path);
        }
    }
}

/// The user's runbook folder: `<config dir>/stepwise/runbooks`.
pub fn user_runbooks_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "stepwise").map(|d| d.config_dir().join("runbooks"))
}

/// Unfinished sessions, most recent first.
pub fn unfinished_sessions(home: &Path) -> Vec<Entry> {
    let ids = store::list_ids(home).unwrap_or_default();
    ids.into_iter()
        .rev()
        .filter_map(|id| store::summarize(&store::sessions_dir(home).join(id)).ok())
        .filter(|s| s.status.is_resumable())
        .map(|summary| Entry::Session { summary })
        .collect()
}

/// Everything on offer: runbooks here, the user's runbooks, sessions.
pub fn entries(home: &Path) -> Vec<Entry> {
    let mut all = runbooks_in(Path::new("runbooks"));
    if let Some(dir) = user_runbooks_dir() {
        all.extend(runbooks_in(&dir));
    }
    all.extend(unfinished_sessions(home));
    all
}

/// The list as plain text (no terminal).
pub fn print(entries: &[Entry], home: &Path) -> String {
    let mut out = String::new();
    let runbooks: Vec<_> = entries
        .iter()
        .filter(|e| matches!(e, Entry::Runbook { .. }))
        .collect();
    let sessions: Vec<_> = entries
        .iter()
        .filter(|e| matches!(e, Entry::Session { .. }))
        .collect();
    out.push_str("Runbooks (stepwise run FILE):\n");
    if runbooks.is_empty() {
        out.push_str("  none in ./runbooks or the user config folder\n");
    }
    for e in runbooks {
        out.push_str(&format!("  {}\n", e.label()));
    }
    out.push_str("Unfinished sessions (stepwise resume ID):\n");
    if sessions.is_empty() {
        out.push_str(&format!("  none in {}\n", home.display()));
    }
    for e in sessions {
        out.push_str(&format!("  {}\n", e.label()));
    }
    out
}

/// `stepwise` with no arguments.
pub fn run(home: &Path) -> Result<i32, Failure> {
    let entries = entries(home);
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        print!("{}", crate::text::show_controls(&print(&entries, home)));
        return Ok(0);
    }
    let chosen =
        crate::tui::picker::pick(&entries).map_err(|e| Failure::from_screen("the picker", e))?;
    match chosen.and_then(|i| entries.get(i)) {
        None => Ok(0),
        Some(Entry::Runbook { path, .. }) => crate::launch::run(
            home,
            crate::launch::RunOptions {
                file: path.clone(),
                drive: Default::default(),
                dry_run: false,
                from: None,
                trust: false,
            },
        ),
        Some(Entry::Session { summary }) => crate::launch::resume(
            home,
            crate::launch::ResumeOptions {
                session: Some(summary.id.clone()),
                drive: Default::default(),
                trust: false,
                reason: None,
            },
        ),
    }
}
