//! How this stepwise process was invoked, for the commands it prints for
//! the operator to paste (`stepwise resume …`, `stepwise export …`): a
//! `--home` given on the command line is repeated in them (as an absolute
//! path, quoted for the shell when it needs it), so a pasted command finds
//! the same sessions. Set once by `main`; never read to decide anything.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

static HOME_FLAG: OnceLock<PathBuf> = OnceLock::new();

/// Remembers the `--home` of the command line, if any (once per process).
pub fn remember_home_flag(flag: Option<&Path>) {
    if let Some(dir) = flag {
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
        let _ = HOME_FLAG.set(dir);
    }
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
