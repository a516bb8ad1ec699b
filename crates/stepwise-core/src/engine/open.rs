//! Opening a session: creating a new one (folder, lock, runbook copy,
//! journal, first records) or taking up an existing one (lock, fold, note a
//! changed runbook; a step that was running is taken up by the engine).
//! Before either, the home and the session folder must be this user's and
//! private, with no link planted in them (`session::guard`); a resumed
//! session's record must pass its integrity check (`session::verify`).
//!
//! Runs nothing and renders nothing.

use super::inputs::Given;
use super::redact::MASK;
use crate::runbook::model::Runbook;
use crate::session::clock::Clock;
use crate::session::event::{Actor, Event};
use crate::session::journal::{self, Journal};
use crate::session::state::Session;
use crate::session::store::{self, SessionLock};
use crate::session::verify;
use crate::session::{fsutil, guard};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A session held by this process.
pub struct Opened {
    pub dir: PathBuf,
    pub journal: Journal,
    pub session: Session,
    pub lock: SessionLock,
    pub warnings: Vec<String>,
    /// The part of the journal checked when it was opened (a resume), so
    /// reading it again under the same lock need not check it twice.
    pub checked: Option<journal::Checked>,
}

/// How a new session starts.
pub struct StartOptions<'a> {
    pub home: &'a Path,
    pub runbook_path: &'a Path,
    /// The runbook file's bytes exactly as read.
    pub source: &'a [u8],
    pub runbook: Runbook,
    pub auto: bool,
    pub from_step: Option<String>,
    pub inputs: &'a [Given],
    pub clock: Arc<dyn Clock>,
    /// `--operator NAME`; `None` records the account's name.
    pub operator: Option<String>,
}

/// Who takes a session up, and why (`stepwise resume --operator --reason`).
#[derive(Clone, Debug, Default)]
pub struct Taker {
    /// `--operator NAME`; `None` records the account's name.
    pub operator: Option<String>,
    pub reason: Option<String>,
}

/// The account's user name and this host.
pub fn actor() -> Actor {
    actor_as(None)
}

/// The named operator (else the account's user name) and this host: two
/// engineers on one shared account stay apart through `--operator`.
pub fn actor_as(operator: Option<&str>) -> Actor {
    Actor {
        user: operator.map_or_else(store::username, str::to_owned),
        host: store::hostname(),
    }
}

/// Refuses an operator name that could not be read back in a transcript.
pub fn check_operator(name: &str) -> Result<(), String> {
    let bad = name.trim().is_empty()
        || name.len() > 64
        || name
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '@');
    if bad {
        return Err(format!(
            "--operator {name:?}: give a short name without spaces or '@' (e.g. --operator alice)"
        ));
    }
    Ok(())
}

/// Creates and opens a new session.
pub fn start(opts: StartOptions) -> Result<Opened, String> {
    let now = opts.clock.now();
    let id = store::new_session_id(now, &opts.runbook.id);
    let skipped = from_step_events(&opts.runbook, opts.from_step.as_deref())?;
    guard::check_home(opts.home)?;
    let (staging, lock) = store::create_session_dir(opts.home, &id).map_err(|e| {
        format!(
            "cannot create the session folder in {}: {e}",
            opts.home.display()
        )
    })?;
    write_copy(&staging.join(store::RUNBOOK_COPY), opts.source)?;
    let jpath = staging.join(store::JOURNAL);
    let by = actor_as(opts.operator.as_deref());
    let mut journal = Journal::create(&jpath, opts.clock.clone(), by)
        .map_err(|e| format!("cannot create {}: {e}", jpath.display()))?;
    let mut session = Session::new(opts.runbook.clone());
    let started = Event::SessionStarted {
        session_id: id.clone(),
        runbook_id: opts.runbook.id.clone(),
        runbook_title: opts.runbook.title.clone(),
        runbook_path: opts.runbook_path.display().to_string(),
        runbook_sha256: fsutil::sha256_hex(opts.source),
        auto: opts.auto,
        dry_run: false,
        from_step: opts.from_step.clone(),
        stepwise_version: env!("CARGO_PKG_VERSION").to_owned(),
        pid: std::process::id(),
    };
    let mut events = vec![(started, true)];
    events.extend(input_events(&opts.runbook, opts.inputs));
    events.extend(skipped);
    for (event, by) in events {
        let r = journal
            .append(event, by)
            .map_err(|e| format!("cannot write {}: {e}", jpath.display()))?;
        session.apply(&r);
    }
    let dir = store::publish_session_dir(&staging, &id)
        .map_err(|e| format!("cannot name the session folder {}: {e}", staging.display()))?;
    journal.relocate(&dir.join(store::JOURNAL));
    Ok(Opened {
        dir,
        journal,
        session,
        lock,
        warnings: Vec::new(),
        checked: None,
    })
}

fn write_copy(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut f = fsutil::create_private_file(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn input_events(runbook: &Runbook, given: &[Given]) -> Vec<(Event, bool)> {
    given
        .iter()
        .map(|g| {
            let secret = runbook.input(&g.name).is_some_and(|i| i.secret);
            let value = if secret {
                MASK.to_owned()
            } else {
                g.value.clone()
            };
            let e = Event::InputGiven {
                name: g.name.clone(),
                value,
                secret,
                source: g.source,
            };
            (e, true)
        })
        .collect()
}

fn from_step_events(runbook: &Runbook, from: Option<&str>) -> Result<Vec<(Event, bool)>, String> {
    let Some(from) = from else {
        return Ok(Vec::new());
    };
    if runbook.step(from).is_none() {
        let ids: Vec<&str> = runbook.steps().map(|(_, s)| s.id.as_str()).collect();
        return Err(format!(
            "--from {from}: there is no such step. Step ids: {}",
            ids.join(", ")
        ));
    }
    Ok(runbook
        .steps()
        .map(|(_, s)| s)
        .take_while(|s| s.id != from)
        .map(|s| {
            let reason = format!("started from {from}");
            (
                Event::StepSkipped {
                    step: s.id.clone(),
                    reason,
                    via: None,
                },
                true,
            )
        })
        .collect())
}

/// Takes up an existing session: lock, fold, and the records that resuming
/// adds. `check` sees the folded session before anything is written: its
/// refusal leaves the session as it was.
pub fn resume(
    home: &Path,
    what: &str,
    clock: Arc<dyn Clock>,
    check: &dyn Fn(&Session) -> Result<(), String>,
) -> Result<Opened, String> {
    resume_as(home, what, clock, &Taker::default(), check)
}

/// [`resume`] by a named operator, with a reason: a different operator
/// than the one who acted last is recorded as a handover.
pub fn resume_as(
    home: &Path,
    what: &str,
    clock: Arc<dyn Clock>,
    taker: &Taker,
    check: &dyn Fn(&Session) -> Result<(), String>,
) -> Result<Opened, String> {
    let dir = store::find(home, what)?;
    if store::is_in_home(home, &dir) {
        guard::check_home(home)?;
    }
    guard::check_session(&dir)?;
    let lock = store::lock(&dir)?;
    let jpath = dir.join(store::JOURNAL);
    let loaded = journal::read(&jpath).map_err(|e| e.to_string())?;
    let copy = fsutil::read_no_follow(&dir.join(store::RUNBOOK_COPY))
        .map_err(|e| format!("cannot read the session's runbook copy: {e}"))?;
    let runbook = crate::runbook::load::load_copy(
        &dir.join(store::RUNBOOK_COPY).display().to_string(),
        &String::from_utf8_lossy(&copy),
    )
    .map_err(|e| format!("the session's runbook copy no longer loads: {e}"))?;
    let integrity = verify::check(&loaded, &runbook, &fsutil::sha256_hex(&copy));
    refuse_broken(&dir, &integrity)?;
    let session = Session::from_records(runbook, loaded.records.iter());
    if session.status.is_finished() {
        return Err(format!(
            "session {} is already {}; nothing to resume. `stepwise export {}` writes its transcript.",
            session.id,
            session.status.label(),
            session.id
        ));
    }
    check(&session)?;
    let by = actor_as(taker.operator.as_deref());
    let journal = Journal::reopen(&jpath, &loaded, clock, by.clone())
        .map_err(|e| format!("cannot open {} for writing: {e}", jpath.display()))?;
    let mut opened = Opened {
        dir,
        journal,
        session,
        lock,
        checked: loaded.checked(),
        warnings: loaded.warnings,
    };
    if integrity.chain == crate::session::chain::Status::Unchained {
        opened.warnings.push(
            "this session's journal is unchained (written by an older stepwise): \
             a change made to it by hand cannot be detected"
                .into(),
        );
    }
    for (event, by_operator) in resume_events(&opened.session, &by, taker) {
        let r = opened
            .journal
            .append(event, by_operator)
            .map_err(|e| format!("cannot write {}: {e}", jpath.display()))?;
        opened.session.apply(&r);
    }
    if let Some((old, new)) = &opened.session.runbook_changed {
        opened.warnings.push(format!(
            "the runbook {} changed since this session started (sha256 {} → {}); the session keeps using its own copy",
            opened.session.runbook_path,
            &old[..12.min(old.len())],
            &new[..12.min(new.len())]
        ));
    }
    Ok(opened)
}

/// Refuses to take up a session whose record fails its integrity check
/// (an edited journal or runbook copy): resuming would run what nobody
/// trusted, or decide on a history that did not happen.
fn refuse_broken(dir: &Path, integrity: &verify::Integrity) -> Result<(), String> {
    match integrity.verdict() {
        Ok(_) => Ok(()),
        Err(why) => Err(format!(
            "the session {} cannot be resumed: its record fails the integrity check at {}, {why}\n  \
             Nothing was run or written. `stepwise verify {}` repeats the check; \
             `stepwise export` still shows what the journal says, marked as failing it.",
            dir.display(),
            store::JOURNAL,
            dir.display()
        )),
    }
}

/// The records resuming adds: resumed (by whom, from whom), a changed
/// runbook. Only the first is the operator's doing. A step that was
/// running is the engine's to take up (re-attach, or outcome unknown),
/// once it knows the runner.
fn resume_events(s: &Session, by: &Actor, taker: &Taker) -> Vec<(Event, bool)> {
    let handed_over_from = s.operator.clone().filter(|last| last.user != by.user);
    let mut events = vec![Event::SessionResumed {
        pid: std::process::id(),
        handed_over_from,
        reason: taker.reason.clone().filter(|r| !r.trim().is_empty()),
    }];
    if let Ok(current) = std::fs::read(&s.runbook_path) {
        let sha = fsutil::sha256_hex(&current);
        if sha != s.runbook_sha256 {
            events.push(Event::RunbookChanged {
                path: s.runbook_path.clone(),
                session_sha256: s.runbook_sha256.clone(),
                current_sha256: sha,
            });
        }
    }
    let resumed = std::iter::once(true).chain(std::iter::repeat(false));
    events.into_iter().zip(resumed).collect()
}
