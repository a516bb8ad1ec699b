//! `stepwise status [SESSION]`: one line for a person (or `--format json`
//! for a program) on where a session stands. Reads the journal without a
//! lock and writes nothing; the words come from `session::status`.

use crate::cli::StatusFormat;
use crate::launch::Failure;
use crate::session::{status, store};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

/// `stepwise status`
pub fn status(home: &Path, what: Option<&str>, format: StatusFormat) -> Result<i32, Failure> {
    let dir = pick(home, what)?;
    let (session, records) = store::read_session(&dir).map_err(Failure::usage)?;
    let standing = store::Standing::of(&records, &session);
    let offset = *chrono::Local::now().offset();
    let held = store::is_held(&dir);
    let now = chrono::Utc::now();
    let mut st = status::of(&session, standing, held, now, offset);
    if !held && ended_unjournalled(&dir, &session) {
        st = st.step_ended_unjournalled(now, offset);
    }
    let end = expected_end(&dir, &session);
    match format {
        StatusFormat::Line => match end {
            Some(end) => println!(
                "{} · expected end: {}",
                st.line,
                crate::comms::estimate::words(end)
            ),
            None => println!("{}", st.line),
        },
        StatusFormat::Json => {
            let mut v = serde_json::to_value(&st).unwrap_or_default();
            if let Some(map) = v.as_object_mut() {
                map.insert("expected_end".into(), end_field(end));
            }
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default())
        }
    }
    Ok(0)
}

/// The JSON's `expected_end`: RFC 3339 UTC, or `null` for a session
/// finished or with no estimate yet (a time field holds no sentence).
fn end_field(end: Option<Option<DateTime<Utc>>>) -> serde_json::Value {
    end.flatten().map_or(serde_json::Value::Null, |t| {
        t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true).into()
    })
}

/// Whether the step the journal has as running (not a fleet step) has an
/// exit file from its monitor: it ended while no stepwise ran.
fn ended_unjournalled(dir: &Path, session: &crate::session::state::Session) -> bool {
    let Some(st) = session.running().map(|i| &session.steps[i]) else {
        return false;
    };
    let log = st.attempts.last().filter(|_| !st.fleet.is_fleet());
    log.is_some_and(|a| crate::runner::monitor::files::read_exit(&dir.join(&a.log)).is_some())
}

/// The expected end of a session still in progress (`None` for one
/// finished; `Some(None)` while there is no estimate yet), from the
/// earlier sessions of its runbook in the home.
fn expected_end(
    dir: &Path,
    session: &crate::session::state::Session,
) -> Option<Option<DateTime<Utc>>> {
    if session.status.is_finished() {
        return None;
    }
    let sessions = dir.parent()?;
    let h = crate::comms::estimate::load(sessions, &session.runbook.id, &session.id);
    Some(crate::comms::estimate::expected_end(
        session,
        &h,
        Utc::now(),
    ))
}

/// The session named (id, unique prefix or folder), else the most recent
/// one a process is running now, else the most recent one.
pub fn pick(home: &Path, what: Option<&str>) -> Result<PathBuf, Failure> {
    if let Some(what) = what {
        return store::find(home, what).map_err(Failure::usage);
    }
    let ids = store::list_ids(home)
        .map_err(|e| Failure::usage(format!("cannot list {}: {e}", home.display())))?;
    let dirs: Vec<PathBuf> = ids
        .iter()
        .map(|id| store::sessions_dir(home).join(id))
        .collect();
    dirs.iter()
        .rev()
        .find(|d| store::is_held(d))
        .or(dirs.last())
        .cloned()
        .ok_or_else(|| Failure::usage(format!("no session in {}", home.display())))
}
