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
    let problem = first_problem(chain_problem, structure);
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
    let mut rules = Structure::new(runbook, copy_sha256);
    for r in records {
        rules.push(r);
    }
    rules.problem
}

/// [`structure_problem`] one record at a time, for a journal read as a
/// stream.
struct Structure<'a> {
    /// Looked up once per record of a journal that may hold 100,000.
    steps: HashMap<&'a str, &'a Step>,
    copy_sha256: &'a str,
    /// Records seen.
    seen: usize,
    ended_at: Option<usize>,
    problem: Option<Problem>,
}

impl<'a> Structure<'a> {
    fn new(runbook: &'a Runbook, copy_sha256: &'a str) -> Structure<'a> {
        Structure {
            steps: runbook.steps().map(|(_, s)| (s.id.as_str(), s)).collect(),
            copy_sha256,
            seen: 0,
            ended_at: None,
            problem: None,
        }
    }

    fn push(&mut self, r: &Record) {
        let i = self.seen;
        self.seen += 1;
        if self.problem.is_none() {
            self.problem = self.check(i, r);
        }
    }

    fn check(&mut self, i: usize, r: &Record) -> Option<Problem> {
        let line = i + 1;
        let at = |what: String| Some(Problem { line, what });
        if r.seq != line as u64 {
            return at(format!(
                "its sequence number is {}, where {line} follows the line before",
                r.seq
            ));
        }
        if let Some(end) = self.ended_at {
            return Some(Problem {
                line: end,
                what: format!("the session ends here, yet line {line} follows it"),
            });
        }
        if let Some(what) = record_problem(i, &r.event, &self.steps, self.copy_sha256) {
            return at(what);
        }
        if matches!(
            r.event,
            Event::SessionCompleted | Event::SessionAborted { .. }
        ) {
            self.ended_at = Some(line);
        }
        None
    }
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
    let mut records = Vec::new();
    let (session, integrity) = read_each(dir, checked, |r| records.push(r))?;
    Ok(Checked {
        session,
        records,
        integrity,
    })
}

/// [`read_after`] reading the journal as a stream: each record is
/// checked and folded as it is read, then handed to `each`, which keeps
/// what it needs. Memory is then the fold's and what `each` keeps, not
/// the journal's (an export of 100,000 records).
pub fn read_each(
    dir: &Path,
    checked: Option<&journal::Checked>,
    mut each: impl FnMut(Record),
) -> Result<(Session, Integrity), String> {
    let jpath = dir.join(JOURNAL);
    let (runbook, sha) = match read_copy(dir) {
        Ok(copy) => copy,
        // A journal that cannot be read is said first, as it always was.
        Err(e) => return Err(journal::read(&jpath).err().map_or(e, |j| j.to_string())),
    };
    let mut rules = Structure::new(&runbook, &sha);
    let mut session = Session::new(runbook.clone());
    let scanned = journal::scan_file(&jpath, checked, |r| {
        rules.push(&r);
        session.apply(&r);
        each(r);
    })
    .map_err(|e| e.to_string())?;
    let chain_problem = match &scanned.chain {
        chain::Status::Broken { line, reason } => Some(Problem {
            line: *line,
            what: format!("the hash chain is broken: {reason}"),
        }),
        _ => None,
    };
    let integrity = Integrity {
        events: scanned.count,
        chain: scanned.chain.clone(),
        problem: first_problem(chain_problem, rules.problem),
        warnings: scanned.warnings,
    };
    Ok((session, integrity))
}

/// The earlier of the chain's problem and the structure's (by line).
fn first_problem(chain: Option<Problem>, structure: Option<Problem>) -> Option<Problem> {
    match (chain, structure) {
        (Some(a), Some(b)) => Some(if b.line < a.line { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// The session's runbook copy, loaded, and the SHA-256 of its bytes.
fn read_copy(dir: &Path) -> Result<(Runbook, String), String> {
    let copy = dir.join(RUNBOOK_COPY);
    let bytes = super::fsutil::read_no_follow(&copy).map_err(|e| {
        format!(
            "{}: the session's runbook copy cannot be read: {e}",
            copy.display()
        )
    })?;
    let runbook = crate::runbook::load::load_copy(
        &copy.display().to_string(),
        &String::from_utf8_lossy(&bytes),
    )
    .map_err(|e| {
        format!(
            "{}: the session's runbook copy cannot be read: {e}",
            copy.display()
        )
    })?;
    Ok((runbook, super::fsutil::sha256_hex(&bytes)))
}
