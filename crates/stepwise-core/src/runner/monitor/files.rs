//! The files a monitor keeps beside its attempt's log (all 0600):
//! `<step>.<attempt>.monitor` (its pid and this boot's id: is it alive?),
//! `<step>.<attempt>.exit` (how the step ended, written durably), and a
//! short-named socket `.m-<hash>.sock` to re-attach to.
//!
//! Socket paths are limited to about 104 bytes; a session folder can be
//! deeper than that, so both ends reach the socket through an open handle
//! of its folder: `/proc/self/fd/<n>/.m-<hash>.sock`.

use crate::session::fsutil;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// The hidden subcommand of the binary that runs a monitor.
pub const HIDDEN_COMMAND: &str = "__monitor";

/// The exit file of an attempt (`x.1.log` → `x.1.exit`).
pub fn exit_path(log: &Path) -> PathBuf {
    log.with_extension("exit")
}

/// The monitor's pid note (`x.1.log` → `x.1.monitor`).
pub fn note_path(log: &Path) -> PathBuf {
    log.with_extension("monitor")
}

/// The socket's file name, short whatever the step's id.
pub fn socket_name(log: &Path) -> String {
    let name = log.file_name().map(|n| n.as_encoded_bytes()).unwrap_or(b"");
    format!(".m-{}.sock", &fsutil::sha256_hex(name)[..16])
}

/// The socket's path as a short path through an open handle of its
/// folder; the handle must stay open while the path is used.
pub fn socket_path(log: &Path) -> io::Result<(File, PathBuf)> {
    let dir = fsutil::parent_dir(log);
    let handle = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags_dir()
        .open(dir)?;
    let path = PathBuf::from(format!(
        "/proc/self/fd/{}/{}",
        handle.as_raw_fd(),
        socket_name(log)
    ));
    Ok((handle, path))
}

trait DirFlags {
    fn custom_flags_dir(&mut self) -> &mut Self;
}

impl DirFlags for std::fs::OpenOptions {
    fn custom_flags_dir(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.custom_flags(nix::libc::O_DIRECTORY | nix::libc::O_NOFOLLOW)
    }
}

/// Writes the monitor's note: `<pid> <boot id>`, in one write to a new
/// file (0600, never through a link). Not synced: after a crash of the
/// machine its boot id says it means nothing anyway.
pub fn write_note(log: &Path) -> io::Result<()> {
    use std::io::Write;
    let text = format!("{} {}\n", std::process::id(), boot_id());
    let path = note_path(log);
    fsutil::create_private_file(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot write {}, the record of the step's monitor: {e}. The step was not \
                     started: without that record a resume could not find it",
                    path.display()
                ),
            )
        })
}

/// The monitor of that attempt, if it is alive on this boot: its pid.
/// A zombie, a pid of another boot or a pid reused by another program
/// does not count.
pub fn monitor_alive(log: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(note_path(log)).ok()?;
    let (pid, boot) = text.trim().split_once(' ')?;
    let pid: i32 = pid.parse().ok().filter(|p| *p > 1)?;
    if boot != boot_id() {
        return None;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let state = stat.rsplit_once(')')?.1.split_whitespace().next();
    if matches!(state, Some("Z" | "X")) {
        return None;
    }
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let is_monitor = cmdline
        .split(|b| *b == 0)
        .any(|arg| arg == HIDDEN_COMMAND.as_bytes());
    is_monitor.then_some(pid)
}

/// This boot's id (pids are only comparable within one boot).
fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// Puts the exit file in place: a temporary file (0600) beside it,
/// written, renamed over it. Not yet durable: see [`sync_exit`].
pub fn place_exit(log: &Path, bytes: &[u8]) -> io::Result<File> {
    use std::io::Write;
    let path = exit_path(log);
    let mut tmp = tempfile::Builder::new()
        .prefix(".stepwise-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .tempfile_in(fsutil::parent_dir(&path))?;
    tmp.write_all(bytes)?;
    tmp.persist(&path).map_err(|e| e.error)
}

/// Makes the placed exit file durable: fsync of the file, then of its
/// folder (the rename).
pub fn sync_exit(log: &Path, file: File) -> io::Result<()> {
    file.sync_all()?;
    fsutil::sync_dir(fsutil::parent_dir(log))
}

/// The exit file, if the monitor wrote one.
pub fn read_exit(log: &Path) -> Option<super::record::ExitRecord> {
    let bytes = fsutil::read_no_follow(&exit_path(log)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// `len` bytes of the log from `at`.
pub fn read_at(log: &Path, at: u64, len: u64) -> io::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let file = File::open(log)?;
    let mut buf = vec![0u8; len as usize];
    file.read_exact_at(&mut buf, at)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_path_is_short_however_deep_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a".repeat(90)).join("b".repeat(90));
        std::fs::create_dir_all(&deep).unwrap();
        let log = deep.join(format!("{}.12.log", "s".repeat(60)));
        let (_handle, path) = socket_path(&log).unwrap();
        assert!(path.as_os_str().len() < 60, "{}", path.display());
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        std::os::unix::net::UnixStream::connect(&path).unwrap();
        drop(listener);
        assert!(deep.join(socket_name(&log)).exists());
    }

    #[test]
    fn a_note_of_a_process_that_is_no_monitor_means_no_monitor() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("s.1.log");
        assert_eq!(monitor_alive(&log), None);
        write_note(&log).unwrap();
        assert_eq!(monitor_alive(&log), None, "the test runner is no monitor");
    }
}
