//! Whether a session's record can be believed: the journal's hash chain
//! (`chain.rs`), its sequence numbers (1, 2, 3… with no gap or repeat),
//! that every event names a step of the session's runbook copy, that
//! every successful exit is one its step's `expect_exit` allows, that
//! nothing follows the end of the session, and that the runbook copy is
//! the file whose SHA-256 the journal recorded.
//!
//! `stepwise verify` prints the verdict; `resume` refuses a session that
//! fails it (nothing is appended); `export` and `sessions` say so loudly.
//! [`check`] is pure; [`read`] reads a session folder (read-only) and
//! checks it.

use super::chain;
use super::event::{Event, Record};
use super::journal::{self, Loaded};
use super::state::Session;
use super::store::{JOURNAL, RUNBOOK_COPY};
use crate::runbook::model::{Runbook, Step};
use std::collections::HashMap;
use std::path::Path;

/// The first thing wrong with a session's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The journal line (1-based) it is on.
    pub line: usize,
    pub what: String,
}

/// The verdict on a session's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Integrity {
    /// Records in the intact part of the journal.
    pub events: usize,
    pub chain: chain::Status,
    /// The first line that fails a check (chain or structure), if any.
    pub problem: Option<Problem>,
    /// What loading dropped (a torn last line).
    pub warnings: Vec<String>,
}

impl Integrity {
    pub fn is_broken(&self) -> bool {
        self.problem.is_some()
    }

    /// The chain's head when the chain is intact and nothing else is wrong.
    pub fn head(&self) -> Option<&str> {
        match (&self.chain, &self.problem) {
            (chain::Status::Intact { head }, None) => Some(head),
            _ => None,
        }
    }

    /// `ok: 12 events, chain 3f…`, or the first bad line.
    pub fn verdict(&self) -> Result<String, String> {
        match &self.problem {
            None => Ok(format!(
                "ok: {} events, {}",
                self.events,
                self.chain.describe()
            )),
            Some(p) => Err(format!("line {}: {}", p.line, p.what)),
        }
    }
}

/// Checks a loaded journal against its session's runbook copy, whose
/// bytes have SHA-256 `copy_sha256`.
pub fn check(loaded: &Loaded, runbook: &Runbook, copy_sha256: &str) -> Integrity {
    let chain_problem = match &loaded.chain {
        chain::Status::Broken { line, reason } => Some(Problem {
            line: *line,
            what: format!("the hash chain is broken: {reason}"),
        }),
        _ => None,
    };
    let structure = structure_problem(&loaded.records, runbook, copy_sha256);
    let problem = match (chain_problem, structure) {
        (Some(a), Some(b)) => Some(if b.line < a.line { b } else { a }),
        (a, b) => a.or(b),
    };
    Integrity {
        events: loaded.records.len(),
        chain: loaded.chain.clone(),
        problem,
        warnings: loaded.warnings.clone(),
    }
}

/// The first record (by line) that breaks a rule of a journal stepwise
/// writes; line `n` holds record `n - 1`.
fn structure_problem(records: &[Record], runbook: &Runbook, copy_sha256: &str) -> Option<Problem> {
    // Looked up once per record of a journal that may hold 100,000.
    let steps: HashMap<&str, &Step> = runbook.steps().map(|(_, s)| (s.id.as_str(), s)).collect();
    let mut ended_at: Option<usize> = None;
    for (i, r) in records.iter().enumerate() {
        let line = i + 1;
        let at = |what: String| Some(Problem { line, what });
        if r.seq != line as u64 {
            return at(format!(
                "its sequence number is {}, where {line} follows the line before",
                r.seq
            ));
        }
        if let Some(end) = ended_at {
            return Some(Problem {
                line: end,
                what: format!("the session ends here, yet line {line} follows it"),
            });
        }
        if let Some(what) = record_problem(i, &r.event, &steps, copy_sha256) {
            return at(what);
        }
        if matches!(
            r.event,
            Event::SessionCompleted | Event::SessionAborted { .. }
        ) {
            ended_at = Some(line);
        }
    }
    None
}

/// What is wrong with the record at `index`, on its own.
fn record_problem(
    index: usize,
    e: &Event,
    steps: &HashMap<&str, &Step>,
    copy_sha256: &str,
) -> Option<String> {
    match e {
        Event::SessionStarted { runbook_sha256, .. } if index == 0 => {
            (runbook_sha256 != copy_sha256).then(|| {
                format!(
                    "the session's runbook copy ({RUNBOOK_COPY}) has SHA-256 {copy_sha256}, \
                     but the journal recorded {runbook_sha256} when the session started: \
                     the copy was changed since"
                )
            })
        }
        Event::SessionStarted { .. } => Some("a second session_started".into()),
        _ if index == 0 => Some("the journal does not begin with session_started".into()),
        _ => step_problem(e, steps),
    }
}

fn step_problem(e: &Event, steps: &HashMap<&str, &Step>) -> Option<String> {
    let id = e.step()?;
    let Some(def) = steps.get(id) else {
        return Some(format!(
            "it names step `{id}`, which the session's runbook copy does not have"
        ));
    };
    match e {
        Event::StepExited {
            exit,
            success: true,
            ..
        } if !exit.code.is_some_and(|c| def.expect_exit.contains(&c)) => {
            let allowed: Vec<String> = def.expect_exit.iter().map(i32::to_string).collect();
            Some(format!(
                "step `{id}` is recorded as a success with {exit}, which its expect_exit ({}) \
                 does not count as success",
                allowed.join(", ")
            ))
        }
        Event::StepExited { .. } | Event::StepStarted { .. } if !def.is_automated() => Some(
            format!("step `{id}` is a human step: it has no command to start or exit"),
        ),
        _ => None,
    }
}

/// A session folder, read and checked (no lock, nothing written).
pub struct Checked {
    pub session: Session,
    pub records: Vec<Record>,
    pub integrity: Integrity,
}

/// Reads a session folder's journal and runbook copy and checks them.
/// An unreadable journal or copy is an error; a record that fails a
/// check is not (it is in [`Integrity::problem`]): the caller decides.
pub fn read(dir: &Path) -> Result<Checked, String> {
    read_after(dir, None)
}

/// [`read`], taking the part of the journal this process checked when it
/// took the session up (and has held locked since) as checked.
pub fn read_after(dir: &Path, checked: Option<&journal::Checked>) -> Result<Checked, String> {
    let loaded = journal::read_after(&dir.join(JOURNAL), checked).map_err(|e| e.to_string())?;
    let copy = dir.join(RUNBOOK_COPY);
    let bytes = super::fsutil::read_no_follow(&copy).map_err(|e| {
        format!(
            "{}: the session's runbook copy cannot be read: {e}",
            copy.display()
        )
    })?;
    let runbook = crate::runbook::load::load_str(
        &copy.display().to_string(),
        &String::from_utf8_lossy(&bytes),
    )
    .map_err(|e| {
        format!(
            "{}: the session's runbook copy cannot be read: {e}",
            copy.display()
        )
    })?;
    let integrity = check(&loaded, &runbook, &super::fsutil::sha256_hex(&bytes));
    let session = Session::from_records(runbook, loaded.records.iter());
    Ok(Checked {
        session,
        records: loaded.records,
        integrity,
    })
}
