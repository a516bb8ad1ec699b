//! How this stepwise process was invoked, for the commands it prints for
//! the operator to paste (`stepwise resume …`, `stepwise export …`): a
//! `--home` given on the command line is repeated in them (as an absolute
//! path, quoted for the shell when it needs it), so a pasted command finds
//! the same sessions; a `resume` repeats `--ssh-config` too. Set once by `main`; never read to decide anything.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

static HOME_FLAG: OnceLock<PathBuf> = OnceLock::new();
/// Options a printed `resume` must repeat (` --ssh-config PATH`).
static RESUME_FLAGS: OnceLock<String> = OnceLock::new();

/// Remembers the `--home` of the command line, if any (once per process).
pub fn remember_home_flag(flag: Option<&Path>) {
    if let Some(dir) = flag {
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
        let _ = HOME_FLAG.set(dir);
    }
}

/// Remembers the `--ssh-config` of this run (or `STEPWISE_SSH_CONFIG`),
/// for the printed `resume` commands: a resume without it would not
/// reach hosts that only that file names.
pub fn remember_ssh_config(path: Option<&Path>) {
    if let Some(p) = path {
        let p = std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
        let _ = RESUME_FLAGS.set(format!(
            " --ssh-config {}",
            shell_word(&p.to_string_lossy())
        ));
    }
}

/// The home the sessions of this run are in, once known.
static HOME: OnceLock<PathBuf> = OnceLock::new();

/// Remembers the home this process reads sessions from.
pub fn remember_home(home: &Path) {
    let _ = HOME.set(home.to_owned());
}

/// How a printed command names the session in `dir`: its id when it is
/// in the home's sessions folder, else its folder (resumed from a path
/// outside the home: the id would name another copy, or nothing).
pub fn session_ref(dir: &Path) -> String {
    let id = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    let in_home = HOME
        .get()
        .is_none_or(|h| crate::session::store::is_in_home(h, dir));
    match id {
        Some(id) if in_home => id,
        _ => {
            let abs = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
            shell_word(&abs.to_string_lossy())
        }
    }
}

/// The folder of the session this process runs, once known.
static SESSION_DIR: OnceLock<PathBuf> = OnceLock::new();

/// Remembers the folder of the session this process runs.
pub fn remember_session_dir(dir: &Path) {
    let _ = SESSION_DIR.set(dir.to_owned());
}

/// How a printed command names the session `id`: as [`session_ref`] of
/// its folder when that is the session this process runs, else `id`.
pub fn session_named(id: &str) -> String {
    match SESSION_DIR.get() {
        Some(dir) if dir.file_name().is_some_and(|n| n == id) => session_ref(dir),
        _ => id.to_owned(),
    }
}

/// ` --var-file NAME=PATH` for each of `names`: how a printed resume
/// command asks for the secrets it needs again (never in argv).
pub fn var_file_flags(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!(" --var-file {n}=PATH"))
        .collect()
}

/// `stepwise [--home DIR] resume <rest>`, with the options a resume of
/// this session needs again (`--ssh-config`).
pub fn resume(rest: &str) -> String {
    let flags = RESUME_FLAGS.get().map_or("", String::as_str);
    command(&format!("resume {rest}{flags}"))
}

/// `stepwise [--home DIR] verify <session>`: the check of the session in
/// `dir`, named by [`session_ref`] (its folder when it is not in the home).
pub fn verify(dir: &Path) -> String {
    command(&format!("verify {}", session_ref(dir)))
}

/// `stepwise [--home DIR] <rest>`: a command to print for the operator.
pub fn command(rest: &str) -> String {
    with_home(HOME_FLAG.get().map(PathBuf::as_path), rest)
}

fn with_home(home: Option<&Path>, rest: &str) -> String {
    match home {
        Some(dir) => format!(
            "stepwise --home {} {rest}",
            shell_word(&dir.to_string_lossy())
        ),
        None => format!("stepwise {rest}"),
    }
}

/// `text` as one shell word: as it is when it holds only characters no
/// shell treats specially, else single-quoted.
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c));
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_without_a_home_flag_is_plain() {
        assert_eq!(with_home(None, "resume abc"), "stepwise resume abc");
    }

    #[test]
    fn a_home_flag_is_repeated_and_quoted_only_when_needed() {
        assert_eq!(
            with_home(Some(Path::new("/tmp/ux1/home")), "resume abc"),
            "stepwise --home /tmp/ux1/home resume abc"
        );
        assert_eq!(
            with_home(Some(Path::new("/tmp/on call's/h $x")), "export abc"),
            "stepwise --home '/tmp/on call'\\''s/h $x' export abc"
        );
    }
}
