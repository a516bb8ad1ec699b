//! Which process group an attempt ran in, kept beside its log as
//! `output/<step>.<attempt>.pid` ("<pgid> <boot id>[ <session>]"), so
//! that after a crash of stepwise (`kill -9`) a resume can tell whether
//! the step's processes are still running: each step is its own process
//! group, so it outlives stepwise, and re-running it then would run it
//! twice at once (two deploys).
//!
//! A hint about live processes, never session state: the journal stays the
//! record. Written without fsync (a machine that crashed has no survivors).
//!
//! Either the step's process writes the note itself, between its fork and
//! its exec ([`PidNote::writer`]), or the whole line is written before the
//! spawn with the pid as zeros and the session the step is spawned into
//! ([`PidNote::reserve`]), and the pid over the zeros after
//! ([`PidNote::record`]). A note still all zeros (its monitor killed in
//! between) is answered from the session: the step is a live process of
//! it. If the line cannot be written (a full disk), the step never runs:
//! a step running without its note is one a resume could start a second
//! time beside the first.
//!
//! While an attempt runs, the next attempt's note file is made ahead in
//! its folder, unnamed (`O_TMPFILE`, [`prepare_note_ahead`], called by the
//! thread that creates the attempt's log); the next note is then that
//! file, named under its attempt's name before the spawn, as a new file
//! would have been created there. A process that runs no further attempt
//! there drops it unnamed.

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
    /// A held step's note (see [`PidNote::create_held`]), and where
    /// [`HELD`] is on its line once [`PidNote::reserve`] wrote it.
    held: bool,
    held_at: std::sync::atomic::AtomicU64,
}

/// The last word of the note of a held step, before its release: the
/// step's command has not run (see `hold`). Overwritten with spaces just
/// before the release.
const HELD: &[u8] = b"held";

impl PidNote {
    /// Creates the empty note beside the attempt's log (naming the file
    /// made ahead for it, if there is one: see [`prepare_note_ahead`]).
    pub(super) fn create(log: &Path) -> io::Result<PidNote> {
        let path = note_path(log);
        let file = create_note_file(&path).map_err(|e| PidNote::error(&path, e))?;
        Ok(PidNote {
            tail: format!(" {}\n", boot_id()).into_bytes(),
            path,
            file,
            held: false,
            held_at: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Like [`PidNote::create`], for a step spawned held: the line that
    /// [`PidNote::reserve`] writes ends with `held` until
    /// [`PidNote::released`]. A held note whose group is gone names a step
    /// whose command never ran ([`never_released`]).
    pub(super) fn create_held(log: &Path) -> io::Result<PidNote> {
        let mut note = PidNote::create(log)?;
        note.held = true;
        Ok(note)
    }

    /// Blanks the note's `held` just before the release; an error when it
    /// cannot (the step must then not be released).
    pub(super) fn released(&self) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        match self.held_at.load(std::sync::atomic::Ordering::Relaxed) {
            0 => Ok(()),
            at => self.file.write_all_at(&[b' '; HELD.len()], at),
        }
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
    /// [`PidNote::record`]) and this process's session, which the step
    /// joins, before a spawn that runs no code of ours in the child. A
    /// note that cannot be written keeps the step from starting.
    pub(super) fn reserve(&self) -> io::Result<()> {
        let session = nix::unistd::getsid(None).map_or(0, |s| s.as_raw());
        let mut line = vec![b'0'; PID_WIDTH];
        line.extend_from_slice(&self.tail[..self.tail.len() - 1]);
        line.extend_from_slice(format!(" {session}").as_bytes());
        if self.held {
            line.push(b' ');
            let at = line.len() as u64;
            self.held_at.store(at, std::sync::atomic::Ordering::Relaxed);
            line.extend_from_slice(HELD);
        }
        line.push(b'\n');
        (&self.file)
            .write_all(&line)
            .map_err(|e| PidNote::error(&self.path, e))
    }

    /// Writes `pid`, zero-padded, over the zeros [`PidNote::reserve`] left
    /// (the step already runs: an error says so).
    pub(super) fn record(&self, pid: i32) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        let digits = format!("{pid:0PID_WIDTH$}");
        self.file.write_all_at(digits.as_bytes(), 0).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot write the step's process group into {}: {e}. The step had started \
                     and was killed at once",
                    self.path.display()
                ),
            )
        })
    }

    /// Whether the child wrote the note (after a failed spawn: whether the
    /// failure came after the note, from the exec itself).
    pub(super) fn is_written(&self) -> bool {
        self.file.metadata().is_ok_and(|m| m.len() > 0)
    }

    /// Removes the note of a step that never ran its command (a held
    /// step whose release never came: see `hold`).
    /// Only this note's own file goes: a file of that name that is not
    /// the one it created (the attempt started anew meanwhile) stays.
    pub(super) fn discard(self) {
        use std::os::unix::fs::MetadataExt;
        let ours = self.file.metadata().map(|m| (m.dev(), m.ino()));
        let there = std::fs::symlink_metadata(&self.path).map(|m| (m.dev(), m.ino()));
        if let (Ok(ours), Ok(there)) = (ours, there)
            && ours == there
        {
            let _ = std::fs::remove_file(&self.path);
        }
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

/// A note's file made ahead of need, unnamed, and its folder.
static AHEAD: std::sync::Mutex<Option<(PathBuf, File)>> = std::sync::Mutex::new(None);

/// Makes the file of the next attempt's note ahead of need, unnamed, in
/// the folder of `log` (blocking: called by the thread that created an
/// attempt's log, while that attempt runs). On this disk a file's
/// creation costs 0.02–0.3 ms of the path to the spawn; naming a file
/// made ahead costs a link. Anything that fails here only leaves the next
/// note to be created as before.
pub fn prepare_note_ahead(log: &Path) {
    use crate::session::fsutil::{create_unnamed, parent_dir};
    let dir = parent_dir(log).to_owned();
    let made = |ahead: &Option<(PathBuf, File)>| ahead.as_ref().is_some_and(|(d, _)| *d == dir);
    if made(&AHEAD.lock().unwrap_or_else(|e| e.into_inner())) {
        return;
    }
    // Created without the lock held: a spawn taking the slot meanwhile
    // does not wait for the file system (it creates its own note).
    let Ok(file) = create_unnamed(&dir) else {
        return;
    };
    let mut ahead = AHEAD.lock().unwrap_or_else(|e| e.into_inner());
    if !made(&ahead) {
        *ahead = Some((dir, file));
    }
}

/// The note's file: the one made ahead in its folder, named, or a new
/// one; either is new (an existing name fails), 0600, never a link.
fn create_note_file(path: &Path) -> io::Result<File> {
    use crate::session::fsutil::{create_private_file, name_unnamed, parent_dir};
    let ahead = {
        let mut ahead = AHEAD.lock().unwrap_or_else(|e| e.into_inner());
        let here = ahead.as_ref().is_some_and(|(d, _)| d == parent_dir(path));
        here.then(|| ahead.take()).flatten()
    };
    if let Some((_, file)) = ahead {
        match name_unnamed(&file, path) {
            Ok(()) => return Ok(file),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(e),
            Err(_) => {}
        }
    }
    create_private_file(path)
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
    read_note(log)?.running_group()
}

/// A note's fields: the group (0 while still zeros), the boot, and the
/// session a step spawned by [`PidNote::reserve`]'s way joined.
struct Noted {
    pgid: i32,
    boot: String,
    session: Option<i32>,
    /// Held, never released: its command never ran.
    held: bool,
}

impl Noted {
    /// The group of the noted step, if some process of it still runs on
    /// this boot (see [`still_running`]).
    fn running_group(&self) -> Option<i32> {
        if self.boot != boot_id() {
            return None;
        }
        if self.pgid > 1 {
            return group_alive(self.pgid).then_some(self.pgid);
        }
        // The pid still zeros: the monitor was killed between the spawn and
        // writing it. The step, if it was spawned, is a live process of the
        // monitor's session other than the monitor itself.
        self.session.filter(|s| *s > 1).and_then(group_in_session)
    }
}

fn read_note(log: &Path) -> Option<Noted> {
    let text = std::fs::read_to_string(note_path(log)).ok()?;
    let mut fields = text.split_whitespace();
    Some(Noted {
        pgid: fields.next()?.parse().ok()?,
        boot: fields.next()?.to_owned(),
        session: fields.next().and_then(|s| s.parse().ok()),
        held: fields.next().is_some_and(|w| w.as_bytes() == HELD),
    })
}

/// Whether the note beside `log` is a held step's, never released, whose
/// process group is gone: its command never ran (its shell, if it had
/// started, exited on its own or was killed while it waited).
pub fn never_released(log: &Path) -> bool {
    read_note(log).is_some_and(|n| n.held && n.running_group().is_none())
}

/// The process group of a live (not zombie) process of session `sid`
/// that does not lead the session.
fn group_in_session(sid: i32) -> Option<i32> {
    let procs = std::fs::read_dir("/proc").ok()?;
    procs.flatten().find_map(|p| {
        let stat = ProcStat::read(&p.path())?;
        (stat.alive() && stat.session == sid && stat.pgrp != sid).then_some(stat.pgrp)
    })
}

/// What stepwise reads of a process in `/proc/<pid>/stat`.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcStat {
    /// `R`, `S`, `D`, `Z` (zombie), `X` (dead), …
    pub state: String,
    pub ppid: i32,
    pub pgrp: i32,
    pub session: i32,
    /// The controlling terminal's device number; 0: none.
    pub tty_nr: i64,
    /// When it started, in clock ticks since boot.
    pub started: u64,
}

impl ProcStat {
    /// The process whose `/proc` folder is `proc_dir` (`/proc/self`
    /// works); `None` when it is gone or unreadable.
    pub fn read(proc_dir: &Path) -> Option<ProcStat> {
        let stat = std::fs::read_to_string(proc_dir.join("stat")).ok()?;
        // After the command name (in parentheses, which may hold spaces):
        // state, ppid, pgrp, session, tty_nr, 14 more, starttime, …
        let mut rest = stat.rsplit_once(')')?.1.split_whitespace();
        Some(ProcStat {
            state: rest.next()?.to_owned(),
            ppid: rest.next()?.parse().ok()?,
            pgrp: rest.next()?.parse().ok()?,
            session: rest.next()?.parse().ok()?,
            tty_nr: rest.next()?.parse().ok()?,
            started: rest.nth(14)?.parse().ok()?,
        })
    }

    /// Not a zombie, not dead.
    pub fn alive(&self) -> bool {
        !matches!(self.state.as_str(), "Z" | "X")
    }
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
    ProcStat::read(proc_dir).is_some_and(|s| s.pgrp == pgid && s.alive())
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
    let note = read_note(log);
    let running = note.as_ref().and_then(Noted::running_group);
    let pgid = note.map(|n| n.pgid).filter(|p| *p > 1).or(running);
    let pids = running.map(live_members).unwrap_or_default();
    let last_output = std::fs::metadata(log).and_then(|m| m.modified()).ok();
    GroupFacts {
        pgid,
        pids,
        last_output,
    }
}

/// This boot's id (pids are only comparable within one boot), read once
/// per process.
fn boot_id() -> String {
    static BOOT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BOOT.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    })
    .clone()
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
    fn a_reserved_note_has_zeros_and_the_session_until_the_pid_is_written_over_it() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("s.1.log");
        let note = PidNote::create(&log).unwrap();
        note.reserve().unwrap();
        assert!(note.is_written());
        let session = nix::unistd::getsid(None).unwrap();
        let zeros = "0".repeat(PID_WIDTH);
        let text = std::fs::read_to_string(note_path(&log)).unwrap();
        assert_eq!(text, format!("{zeros} {} {session}\n", boot_id()));
        let (mut child, pgid) = sleeper_in_own_group();
        note.record(pgid).unwrap();
        let text = std::fs::read_to_string(note_path(&log)).unwrap();
        assert_eq!(text, format!("{pgid:010} {} {session}\n", boot_id()));
        assert_eq!(still_running(&log), Some(pgid));
        assert_eq!(group_facts(&log).pgid, Some(pgid));
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// A held step's note ends with `held` until its release: with its
    /// group gone it says the command never ran; once released it is a
    /// plain note (the same line, `held` blanked).
    #[test]
    fn a_held_note_says_never_released_until_its_release() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("s.1.log");
        let note = PidNote::create_held(&log).unwrap();
        note.reserve().unwrap();
        let (mut child, pgid) = sleeper_in_own_group();
        note.record(pgid).unwrap();
        let text = std::fs::read_to_string(note_path(&log)).unwrap();
        assert!(text.ends_with(" held\n"), "{text}");
        assert!(!never_released(&log), "its group still runs");
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(never_released(&log), "held, its group gone");
        note.released().unwrap();
        let text = std::fs::read_to_string(note_path(&log)).unwrap();
        assert!(
            text.ends_with("     \n") && !text.contains("held"),
            "{text}"
        );
        assert!(!never_released(&log), "released");
    }

    /// The monitor killed between the spawn and writing the pid: the note
    /// is still all zeros, and the step is found as the live process of
    /// the session it joined (a rerun is then refused while it runs).
    #[test]
    fn a_note_still_all_zeros_is_answered_from_the_session_the_step_joined() {
        // A "monitor" leading its own session (a bash after `setsid`)
        // spawns a "step" into its own group (`set -m`: a background job
        // gets a group of its own) and dies before writing the pid.
        let mut monitor = std::process::Command::new("bash");
        monitor.args(["-c", "set -m; sleep 30 >/dev/null 2>&1 & echo $$ $!"]);
        // SAFETY: setsid(2) is async-signal-safe; nothing else runs
        // between the fork and the exec.
        unsafe {
            monitor.pre_exec(|| nix::unistd::setsid().map(|_| ()).map_err(io::Error::from));
        }
        let out = monitor.output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let (session, step) = text.trim().split_once(' ').unwrap();
        let step: i32 = step.parse().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("s.1.log");
        let note = format!("{} {} {session}\n", "0".repeat(PID_WIDTH), boot_id());
        std::fs::write(note_path(&log), note).unwrap();
        assert_eq!(still_running(&log), Some(step));
        let facts = group_facts(&log);
        assert_eq!((facts.pgid, facts.pids), (Some(step), vec![step]));
        let group = nix::unistd::Pid::from_raw(step);
        nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL).unwrap();
        let start = std::time::Instant::now();
        while still_running(&log).is_some() {
            assert!(start.elapsed().as_secs() < 10, "the step never went");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// The inode of the note's file made ahead, if there is one.
    fn ahead_inode() -> Option<u64> {
        use std::os::unix::fs::MetadataExt;
        let ahead = AHEAD.lock().unwrap();
        ahead.as_ref().map(|(_, f)| f.metadata().unwrap().ino())
    }

    #[test]
    fn a_note_made_ahead_is_named_for_the_next_attempt_in_its_folder_only() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("s.1.log");
        prepare_note_ahead(&log);
        let made = ahead_inode().expect("a file made ahead");
        let note = PidNote::create(&log).unwrap();
        let meta = std::fs::symlink_metadata(note.path()).unwrap();
        assert_eq!(
            meta.ino(),
            made,
            "the file made ahead was not the one named"
        );
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert!(meta.is_file());
        // Made again, it is still refused for a name that exists.
        prepare_note_ahead(&log);
        let again = PidNote::create(&log)
            .err()
            .expect("a second note of one attempt");
        assert!(
            again
                .to_string()
                .contains(&note_path(&log).display().to_string())
        );
        // In another folder it is not used (and stays for its own).
        let other = tempfile::tempdir().unwrap();
        prepare_note_ahead(&log);
        let kept = ahead_inode();
        PidNote::create(&other.path().join("s.1.log")).unwrap();
        assert_eq!(ahead_inode(), kept);
    }

    #[test]
    fn proc_stat_reads_this_process_as_the_kernel_tells_it() {
        let me = ProcStat::read(Path::new("/proc/self")).unwrap();
        assert_eq!(me.ppid, nix::unistd::getppid().as_raw());
        assert_eq!(me.pgrp, nix::unistd::getpgrp().as_raw());
        assert_eq!(me.session, nix::unistd::getsid(None).unwrap().as_raw());
        assert!(me.alive());
        assert!(me.started > 0);
        assert_eq!(ProcStat::read(Path::new("/proc/no-such-process")), None);
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
