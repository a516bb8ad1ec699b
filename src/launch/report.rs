//! The end of a session for the person at the terminal: the exit code,
//! the final transcript, and where the record is (the resume command when
//! it is resumable). Reads the journal; never appends to it.

use super::refresher::save_loaded;
use super::secrets::secrets_to_give_again;
use crate::engine::command::End;
use crate::outcome::Exit;
use crate::session::store;
use std::path::Path;

pub fn exit_code(exit: Exit, end: &End) -> i32 {
    match end {
        End::Failed(msg) => {
            // A record that could not be written is said once (the drivers
            // say it when they see it).
            if exit != Exit::Unrecorded {
                crate::say!("error: {msg}");
            }
            Exit::Unrecorded as i32
        }
        _ => exit as i32,
    }
}

pub fn tui_exit(end: std::io::Result<crate::tui::TuiEnd>) -> Exit {
    use crate::tui::TuiEnd;
    match end {
        Ok(TuiEnd::Completed) => Exit::Completed,
        Ok(TuiEnd::Aborted) => Exit::Aborted,
        Ok(TuiEnd::Left) | Ok(TuiEnd::Disconnected) => Exit::Completed,
        Ok(TuiEnd::Interrupted(_)) => Exit::Interrupted,
        Ok(TuiEnd::Failed(msg)) => {
            crate::say!("error: {msg}");
            Exit::Unrecorded
        }
        Err(e) => {
            crate::say!("error: the terminal failed: {e}");
            Exit::Failed
        }
    }
}

/// Tells the person where the session and its record are.
pub fn report_end(
    dir: &Path,
    extra: Option<&Path>,
    checked: Option<&crate::session::journal::Checked>,
) {
    let id = crate::invocation::session_ref(dir);
    // One read of the journal for all of it (it may hold 100,000 records).
    let loaded = crate::session::verify::read_after(dir, checked);
    // Secret values a resume must be given again, when it is resumable.
    let resume_needs = loaded.as_ref().ok().and_then(|c| {
        store::Standing::of(&c.records, &c.session)
            .is_resumable()
            .then(|| secrets_to_give_again(&c.session))
    });
    // The record first, then the words: printing can fail on a lost terminal.
    let saved = loaded.and_then(|checked| save_loaded(dir, extra, checked));
    crate::say!("session folder: {}", dir.display());
    match saved {
        Ok(paths) => {
            for p in paths {
                crate::say!("transcript: {}", p.display());
            }
        }
        Err(e) => crate::say!("warning: the transcript could not be written: {e}"),
    }
    if let Some(secrets) = resume_needs {
        let flags = super::secrets::secret_flags(&secrets);
        let cmd = crate::invocation::resume(&format!("{id}{flags}"));
        crate::say!("Session saved. Resume it with:\n  {cmd}");
    }
}
