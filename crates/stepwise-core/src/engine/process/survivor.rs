//! Which process group an attempt ran in, kept beside its log as
//! `output/<step>.<attempt>.pid` ("<pgid> <boot id>"), so that after a
//! crash of stepwise (`kill -9`) a resume can tell whether the step's
//! processes are still running: each step is its own session and process
//! group, so it outlives stepwise, and re-running it then would run it
//! twice at once (two deploys).
//!
//! A hint about live processes, never session state: the journal stays the
//! record. Written without fsync (a machine that crashed has no survivors).
//!
//! The note is written by the step's process itself, between its fork and
//! its exec ([`PidNote::writer`]): if it cannot be written (a full disk),
//! the exec is refused and the step never runs. A step running without
//! its note is one a resume could start a second time beside the first.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};

/// The width of the pid in a note written by [`PidNote::reserve`] and
/// [`PidNote::record`] (a pid of Linux has at most 7 digits).
const PID_WIDTH: usize = 10;

/// The note's path for an attempt's log path (`x.1.log` → `x.1.pid`).
pub fn note_path(log: &Path) -> PathBuf {
    log.with_extension("pid")
}

/// An attempt's note, created (0600, new, never through a link) before
/// its process is spawned, and written by that process.
pub(super) struct PidNote {
    path: PathBuf,
    file: File,
    /// What follows the pid on the line: ` <boot id>\n`.
    tail: Vec<u8>,
}

impl PidNote {
    /// Creates the empty note beside the attempt's log.
    pub(super) fn create(log: &Path) -> io::Result<PidNote> {
        let path = note_path(log);
        let file = crate::session::fsutil::create_private_file(&path)
            .map_err(|e| PidNote::error(&path, e))?;
        Ok(PidNote {
            tail: format!(" {}\n", boot_id()).into_bytes(),
            path,
            file,
        })
    }

    /// The hook to run in the forked child before its exec (after
    /// `setsid`, so its pid is its group's id): writes `<pid> <boot id>` in
    /// one `write(2)`. A failed or short write fails the exec.
    ///
    /// Async-signal-safe: it only reads what was captured, formats into a
    /// stack buffer, and calls `getpid` and `write`; nothing allocates.
    pub(super) fn writer(&self) -> impl FnMut() -> io::Result<()> + Send + Sync + 'static {
        let fd: RawFd = self.file.as_raw_fd();
        let tail = self.tail.clone();
        move || {
            let mut buf = [0u8; 128];
            let pid = nix::unistd::getpid().as_raw();
            let mut len = format_decimal(pid, &mut buf);
            let end = (len + tail.len()).min(buf.len());
            buf[len..end].copy_from_slice(&tail[..end - len]);
            len = end;
            // SAFETY: `fd` is the note's descriptor, open in this forked
            // child (it closes at exec); `buf[..len]` is initialised.
            let written = unsafe { nix::libc::write(fd, buf.as_ptr().cast(), len) };
            match written {
                n if n == len as isize => Ok(()),
                -1 => Err(io::Error::last_os_error()),
                _ => Err(io::Error::from_raw_os_error(nix::libc::ENOSPC)),
            }
        }
    }

    /// Writes the note's whole line with the pid as zeros (see
    /// [`PidNote::record`]), before a spawn that runs no code of ours in
    /// the child. A note that cannot be written keeps the step from
    /// starting.
    pub(super) fn reserve(&self) -> io::Result<()> {
        let mut line = vec![b'0'; PID_WIDTH];
        line.extend_from_slice(&self.tail);
        (&self.file)
            .write_all(&line)
            .map_err(|e| PidNote::error(&self.path, e))
    }

    /// Writes `pid`, zero-padded, over the zeros [`PidNote::reserve`] left.
    pub(super) fn record(&self, pid: i32) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        let digits = format!("{pid:0PID_WIDTH$}");
        self.file
            .write_all_at(digits.as_bytes(), 0)
            .map_err(|e| PidNote::error(&self.path, e))
    }

    /// Whether the child wrote the note (after a failed spawn: whether the
    /// failure came after the note, from the exec itself).
    pub(super) fn is_written(&self) -> bool {
        self.file.metadata().is_ok_and(|m| m.len() > 0)
    }

    /// The error for a note that could not be written, naming the file.
    pub(super) fn error(path: &Path, e: io::Error) -> io::Error {
        io::Error::new(
            e.kind(),
            format!(
                "cannot write {}, the record of the step's process group: {e}. The step was not \
                 started: without that record a resume could not tell whether it still runs",
                path.display()
            ),
        )
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }
}

/// Writes `n` (positive) in decimal at the start of `buf`; returns the length.
fn format_decimal(n: i32, buf: &mut [u8]) -> usize {
    let mut digits = [0u8; 12];
    let mut i = digits.len();
    let mut n = n.unsigned_abs();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let len = digits.len() - i;
    buf[..len].copy_from_slice(&digits[i..]);
    len
}

/// The process group of that attempt, if some process of it still runs on
/// this boot of this machine.
pub fn still_running(log: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(note_path(log)).ok()?;
    let (pgid, boot) = text.trim().split_once(' ')?;
    let pgid: i32 = pgid.parse().ok().filter(|p| *p > 1)?;
    if boot != boot_id() {
        return None;
    }
    group_alive(pgid).then_some(pgid)
}

/// Whether a process of group `pgid` is alive: zombies do not count (a
/// container's init may never reap the orphans of a killed stepwise).
pub fn group_alive(pgid: i32) -> bool {
    let group = nix::unistd::Pid::from_raw(-pgid);
    nix::sys::signal::kill(group, None).is_ok() && has_live_member(pgid)
}

fn has_live_member(pgid: i32) -> bool {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return true; // no /proc to look in: trust kill(2)
    };
    procs.flatten().any(|p| is_live_member(&p.path(), pgid))
}

fn is_live_member(proc_dir: &Path, pgid: i32) -> bool {
    let stat = std::fs::read_to_string(proc_dir.join("stat")).unwrap_or_default();
    // After the command name (in parentheses): state, ppid, pgrp, …
    let mut rest = stat
        .rsplit_once(')')
        .map_or("", |(_, r)| r)
        .split_whitespace();
    let state = rest.next();
    let group = rest.nth(1).and_then(|g| g.parse::<i32>().ok());
    group == Some(pgid) && !matches!(state, Some("Z" | "X"))
}

/// The live (not zombie) processes of group `pgid`, by pid, sorted.
pub fn live_members(pgid: i32) -> Vec<i32> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<i32> = procs
        .flatten()
        .filter(|p| is_live_member(&p.path(), pgid))
        .filter_map(|p| p.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    pids
}

/// What can be told of an attempt nothing follows any more (its monitor
/// gone without an exit): its process group, the processes of it still
/// alive on this boot, and when its log was last written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GroupFacts {
    pub pgid: Option<i32>,
    pub pids: Vec<i32>,
    pub last_output: Option<std::time::SystemTime>,
}

/// The [`GroupFacts`] of the attempt whose log is `log`.
pub fn group_facts(log: &Path) -> GroupFacts {
    let pgid = std::fs::read_to_string(note_path(log))
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse::<i32>().ok())
        .filter(|p| *p > 1);
    let pids = still_running(log).map(live_members).unwrap_or_default();
    let last_output = std::fs::metadata(log).and_then(|m| m.modified()).ok();
    GroupFacts {
        pgid,
        pids,
        last_output,
    }
}

/// This boot's id (pids are only comparable within one boot).
fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;

    /// A `sleep 30` leading its own process group, and that group.
    fn sleeper_in_own_group() -> (std::process::Child, i32) {
        let child = std::process::Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .unwrap();
        let pgid = child.id() as i32;
        (child, pgid)
    }

    #[test]
    fn the_note_is_written_by_the_child_before_it_execs() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("s.1.log");
        let note = PidNote::create(&log).unwrap();
        let mut cmd = std::process::Command::new("true");
        // SAFETY: the hook is async-signal-safe (see `writer`).
        unsafe { cmd.pre_exec(note.writer()) };
        let pid = cmd.spawn().unwrap().id();
        assert!(note.is_written());
        let text = std::fs::read_to_string(note_path(&log)).unwrap();
        assert_eq!(text, format!("{pid} {}\n", boot_id()));
        assert!(
            PidNote::create(&log).is_err(),
            "a second note for one attempt"
        );
    }

    #[test]
    fn a_reserved_note_names_no_group_until_the_pid_is_written_over_it() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("s.1.log");
        let note = PidNote::create(&log).unwrap();
        note.reserve().unwrap();
        assert!(note.is_written());
        assert_eq!(group_facts(&log).pgid, None, "all zeros: no group known");
        assert_eq!(still_running(&log), None);
        let (mut child, pgid) = sleeper_in_own_group();
        note.record(pgid).unwrap();
        let text = std::fs::read_to_string(note_path(&log)).unwrap();
        assert_eq!(text, format!("{pgid:010} {}\n", boot_id()));
        assert_eq!(still_running(&log), Some(pgid));
        assert_eq!(group_facts(&log).pgid, Some(pgid));
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn a_live_group_is_found_and_a_gone_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("s.1.log");
        assert_eq!(still_running(&log), None, "no note, nothing known");
        let (mut child, pgid) = sleeper_in_own_group();
        std::fs::write(note_path(&log), format!("{pgid} {}\n", boot_id())).unwrap();
        assert_eq!(still_running(&log), Some(pgid));
        child.kill().unwrap();
        // Not reaped yet: a zombie, which is no survivor.
        let stat = format!("/proc/{pgid}/stat");
        while !std::fs::read_to_string(&stat).unwrap().contains(") Z ") {
            std::thread::yield_now();
        }
        assert_eq!(still_running(&log), None, "a zombie counts as gone");
        child.wait().unwrap();
        assert_eq!(still_running(&log), None, "the group is gone");
        std::fs::write(
            note_path(&log),
            format!("{} another-boot\n", std::process::id()),
        )
        .unwrap();
        assert_eq!(
            still_running(&log),
            None,
            "pids of another boot mean nothing"
        );
    }
}
