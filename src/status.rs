//! `stepwise status [SESSION]`: one line for a person (or `--format json`
//! for a program) on where a session stands. Reads the journal without a
//! lock and writes nothing; the words come from `session::status`.

use crate::cli::StatusFormat;
use crate::launch::Failure;
use crate::session::{status, store};
use std::path::{Path, PathBuf};

/// `stepwise status`
pub fn status(home: &Path, what: Option<&str>, format: StatusFormat) -> Result<i32, Failure> {
    let dir = pick(home, what)?;
    let (session, records) = store::read_session(&dir).map_err(Failure::usage)?;
    let standing = store::Standing::of(&records, &session);
    let offset = *chrono::Local::now().offset();
    let st = status::of(
        &session,
        standing,
        store::is_held(&dir),
        chrono::Utc::now(),
        offset,
    );
    let end = expected_end(&dir, &session);
    match format {
        StatusFormat::Line => match &end {
            Some(words) => println!("{} · expected end: {words}", st.line),
            None => println!("{}", st.line),
        },
        StatusFormat::Json => {
            let mut v = serde_json::to_value(&st).unwrap_or_default();
            if let (Some(map), Some(words)) = (v.as_object_mut(), end) {
                map.insert("expected_end".into(), words.into());
            }
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default())
        }
    }
    Ok(0)
}

/// The expected end of a session still in progress (`14:05 UTC`, or `no
/// estimate yet`), from the earlier sessions of its runbook in the home.
fn expected_end(dir: &Path, session: &crate::session::state::Session) -> Option<String> {
    if session.status.is_finished() {
        return None;
    }
    let sessions = dir.parent()?;
    let h = crate::comms::estimate::load(sessions, &session.runbook.id, &session.id);
    let end = crate::comms::estimate::expected_end(session, &h, chrono::Utc::now());
    Some(crate::comms::estimate::words(end))
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
