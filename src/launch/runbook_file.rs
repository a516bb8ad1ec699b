//! The runbook file a session starts from: read and validated (its exact
//! bytes kept for the session's copy), the folder its relative paths are
//! taken from, and the shell its commands run under. Never starts anything.

use crate::outcome::Failure;
use crate::runbook::model::Runbook;
use std::path::{Path, PathBuf};

/// Reads and validates a runbook, keeping its exact bytes for the session copy.
pub fn read_runbook(path: &Path) -> Result<(Runbook, Vec<u8>), Failure> {
    let render =
        |e: crate::runbook::load::LoadError| Failure::usage(crate::runbook::load::render_plain(&e));
    let bytes = match std::fs::metadata(path) {
        Ok(m) if m.is_file() && m.len() <= crate::runbook::load::MAX_FILE_BYTES => {
            std::fs::read(path).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?
        }
        _ => {
            return Err(render(
                crate::runbook::load::load_file(path)
                    .err()
                    .unwrap_or_else(unreadable),
            ));
        }
    };
    match std::str::from_utf8(&bytes) {
        Ok(text) => {
            let rb = crate::runbook::load::load_str(&path.display().to_string(), text)
                .map_err(render)?;
            Ok((rb, bytes))
        }
        Err(_) => Err(render(
            crate::runbook::load::load_file(path)
                .err()
                .unwrap_or_else(unreadable),
        )),
    }
}

fn unreadable() -> crate::runbook::load::LoadError {
    crate::runbook::load::load_str("<file>", "\0").expect_err("NUL is never a runbook")
}

/// The shell a runbook's commands run under.
pub fn shell_for(runbook: &Runbook) -> Vec<String> {
    runbook
        .shell
        .clone()
        .unwrap_or_else(crate::engine::process::default_shell)
}

/// The folder relative paths in a runbook are taken from.
pub fn base_dir(runbook_path: &Path) -> PathBuf {
    let dir = runbook_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned())
}
