//! Before stepwise writes into a stepwise home or a session folder: both
//! must belong to the user running it and be writable by nobody else, and
//! nothing in a session folder may be a symbolic link. Like ssh's
//! `StrictModes`: another account that can write there could plant a link
//! (`output` → someone else's folder, `journal.jsonl` → a file to append
//! to, `lock` → a file to truncate) or edit the record, so stepwise refuses
//! and says the `chmod`, `chown` or `rm` that fixes it. Nothing is changed
//! here.
//!
//! Checked when a session is created (the home and `sessions/`) and
//! resumed (those, the session folder, `output/` and every file in them).
//! While a session runs its folder is 0700 and this user's, so no one else
//! can plant anything afterwards; files are opened with `O_NOFOLLOW` on top
//! (`fsutil`), so a link is refused even where no check ran.

use super::store::{JOURNAL, LOCK, OUTPUT_DIR, RUNBOOK_COPY};
use std::fs::Metadata;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;

/// The stepwise home, its trust store and its `sessions/` (when they exist).
pub fn check_home(home: &Path) -> Result<(), String> {
    // The home itself may be a link the user made (to another disk): what
    // it points to is checked.
    if let Ok(meta) = std::fs::metadata(home) {
        check_owner_and_mode(home, &meta, "folder")?;
    }
    // Whoever can write the trust store can trust runbooks for you.
    let store = crate::trust::TRUST_FILE;
    for file in [store.to_owned(), format!("{store}.lock")] {
        check_entry(&home.join(file), Kind::File)?;
    }
    let sessions = super::store::sessions_dir(home);
    check_entry(&sessions, Kind::Dir)
}

/// A session folder before it is taken up: the folder, `output/`, the
/// journal, the lock, the runbook copy and every log and `.pid` file
/// (and a step monitor's socket, which must be a socket).
pub fn check_session(dir: &Path) -> Result<(), String> {
    check_entry(dir, Kind::Dir)?;
    for file in [JOURNAL, LOCK, RUNBOOK_COPY] {
        check_entry(&dir.join(file), Kind::File)?;
    }
    let output = dir.join(OUTPUT_DIR);
    check_entry(&output, Kind::Dir)?;
    let Ok(entries) = std::fs::read_dir(&output) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let is_monitor_socket = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(".m-") && n.ends_with(".sock"));
        let kind = if is_monitor_socket {
            Kind::Socket
        } else {
            Kind::File
        };
        check_entry(&entry.path(), kind)?;
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Dir,
    File,
    /// A step monitor's socket (`runner::monitor::files`).
    Socket,
}

/// One path, not followed if it is a link; a missing one is fine (it will
/// be created private).
fn check_entry(path: &Path, kind: Kind) -> Result<(), String> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot inspect {}: {e}", path.display())),
    };
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(path)
            .map(|t| format!(" to {}", t.display()))
            .unwrap_or_default();
        return Err(format!(
            "{} is a symbolic link{target}: stepwise never writes through a link in a session \
             folder. If you did not make it, someone else could write there: remove it \
             (`rm {}`), check who can, then try again",
            path.display(),
            path.display()
        ));
    }
    let what = match kind {
        Kind::Dir if !meta.is_dir() => return Err(not_a(path, "folder")),
        Kind::File if !meta.is_file() => return Err(not_a(path, "regular file")),
        Kind::Socket if !meta.file_type().is_socket() => return Err(not_a(path, "socket")),
        Kind::Dir => "folder",
        Kind::File => "file",
        Kind::Socket => "socket",
    };
    check_owner_and_mode(path, &meta, what)
}

fn not_a(path: &Path, what: &str) -> String {
    format!(
        "{} is not a {what}: stepwise did not make it; move it away and try again",
        path.display()
    )
}

/// This user's, and writable by nobody else.
fn check_owner_and_mode(path: &Path, meta: &Metadata, what: &str) -> Result<(), String> {
    let me = nix::unistd::geteuid().as_raw();
    if meta.uid() != me {
        return Err(format!(
            "the {what} {} belongs to user id {}, not to you (user id {me}): whoever owns it can \
             change the record or plant links in it. Use a stepwise home of your own (--home), \
             or take it over: `chown -R {me} {}`",
            path.display(),
            meta.uid(),
            path.display()
        ));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o022 != 0 {
        let private = if what == "folder" { "700" } else { "600" };
        return Err(format!(
            "the {what} {} can be written by other users (mode {mode:o}): they could change the \
             record or plant links in it. Make it private: `chmod {private} {}`",
            path.display(),
            path.display()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_a_loose_mode_and_a_wrong_kind_are_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let s = dir.path().join("s");
        std::fs::create_dir_all(s.join(OUTPUT_DIR)).unwrap();
        std::fs::write(s.join(JOURNAL), "").unwrap();
        std::fs::set_permissions(s.join(JOURNAL), std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(check_session(&s), Ok(()));
        std::fs::set_permissions(s.join(JOURNAL), std::fs::Permissions::from_mode(0o666)).unwrap();
        let loose = check_session(&s).unwrap_err();
        assert!(
            loose.contains("mode 666") && loose.contains("chmod 600"),
            "{loose}"
        );
        std::fs::set_permissions(s.join(JOURNAL), std::fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::symlink("/etc", s.join(OUTPUT_DIR).join("x.1.pid")).unwrap();
        let link = check_session(&s).unwrap_err();
        assert!(
            link.contains("symbolic link to /etc") && link.contains("rm "),
            "{link}"
        );
        std::fs::remove_file(s.join(OUTPUT_DIR).join("x.1.pid")).unwrap();
        std::fs::create_dir(s.join(LOCK)).unwrap();
        assert!(
            check_session(&s)
                .unwrap_err()
                .contains("not a regular file")
        );
    }
}
