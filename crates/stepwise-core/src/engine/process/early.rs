//! A bash step spawned before its release, held before its command (see
//! `hold`): what [`super::run_released`] keeps of it until then, and how it
//! is let go when the release never comes or the world changed meanwhile.
//!
//! At the release the held shell is used only if it is still there, its
//! working directory is still the same directory and its program the same
//! file (not replaced meanwhile); otherwise it is killed and the step is
//! spawned anew.
//!
//! Its log is created while it waits (off the path between two steps);
//! let go, its note and its (empty) log are removed.
//!
//! Never runs a command: only [`Early::go`] lets the held shell on.

use super::hold::{self, Held};
use super::sink::{Creating, create_beside};
use super::spawn::{Sources, check_before_spawn, own_session, pid_of, spawn_piped};
use super::spec::Spec;
use super::survivor;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::process::Child;
use tokio::sync::oneshot;

/// A held bash and what it was started with.
pub(super) struct Early {
    child: Child,
    sources: Sources,
    held: Held,
    note: survivor::PidNote,
    /// The log, created while the shell waits.
    log: (PathBuf, Creating),
    cwd: Option<Identity>,
    program: Option<Identity>,
}

/// Which file a path named: a directory by its device and inode, a
/// program also by its size and modification time.
#[derive(PartialEq, Eq)]
struct Identity(u64, u64, u64, i64, i64);

impl Identity {
    fn of(path: &Path) -> Option<Identity> {
        let m = std::fs::metadata(path).ok()?;
        Some(Identity(
            m.dev(),
            m.ino(),
            m.size(),
            m.mtime(),
            m.mtime_nsec(),
        ))
    }

    fn of_dir(path: &Path) -> Option<Identity> {
        let m = std::fs::metadata(path).ok().filter(|m| m.is_dir())?;
        Some(Identity(m.dev(), m.ino(), 0, 0, 0))
    }
}

impl Early {
    /// Spawns the step held, when it can be: a pipe step of the bash the
    /// spawner probed (see [`hold::holds`]), in a folder that exists, by
    /// a monitor in its own session, with nothing for its stdin. `None`
    /// otherwise, or when anything fails (the step is then spawned on its
    /// release, and any error is told then).
    pub(super) fn spawn(spec: &Spec, program: &Path) -> Option<Early> {
        let plain = !spec.tty && spec.stdin.is_none() && spec.feed.is_none();
        if !plain || !own_session() || !hold::holds(program, &spec.argv, &spec.env) {
            return None;
        }
        let cwd = match &spec.cwd {
            Some(dir) => Some(Identity::of_dir(dir)?),
            None => None,
        };
        check_before_spawn(spec).ok()?;
        let mut held = Held::new().ok()?;
        let note = survivor::PidNote::create_held(&spec.log_path).ok()?;
        let spawned = spawn_piped(
            spec,
            PathBuf::from(program),
            &note,
            Stdio::null(),
            Some(&mut held),
        );
        let (child, sources) = match spawned {
            Ok(s) => s,
            Err(_) => {
                note.discard();
                return None;
            }
        };
        let log = (spec.log_path.clone(), create_beside(spec.log_path.clone()));
        Some(Early {
            child,
            sources,
            held,
            note,
            log,
            cwd,
            program: Identity::of(program),
        })
    }

    /// Whether the held shell is still there (nothing killed it while it
    /// waited) and its folder and program are what it was started with.
    pub(super) fn still_current(&mut self, spec: &Spec, program: &Path) -> bool {
        let cwd = spec.cwd.as_deref().map(Identity::of_dir);
        matches!(self.child.try_wait(), Ok(None))
            && cwd.is_none_or(|now| now.is_some() && now == self.cwd)
            && self.program.is_some()
            && Identity::of(program) == self.program
    }

    /// Lets the held shell run its command (its note no longer says
    /// `held`); its log's creation. `None`, the shell let go, when its
    /// note cannot say so: the step is then spawned anew.
    pub(super) async fn go(self) -> Option<(Child, Sources, Creating)> {
        if self.note.released().is_err() {
            abandon(Some(self)).await;
            return None;
        }
        self.held.release();
        Some((self.child, self.sources, self.log.1))
    }
}

/// A step monitor's attempt up to its release: what an earlier held
/// attempt of it left is cleared, a bash step is spawned held (see
/// [`Early::spawn`]), and the release is awaited. The held shell, when it
/// can go on (still there, in the same folder, with the same program);
/// `None` when the step is to be spawned now. An error when the release
/// never came: nothing ran, and nothing is left.
pub(super) async fn until_release(
    spec: &Spec,
    program: &Path,
    release: oneshot::Receiver<()>,
) -> io::Result<Option<Early>> {
    clear_leftovers(&spec.log_path);
    let mut early = Early::spawn(spec, program);
    if release.await.is_err() {
        abandon(early).await;
        return Err(io::Error::other(
            "the step's start was not made durable; it was not run",
        ));
    }
    if early
        .as_mut()
        .is_some_and(|e| !e.still_current(spec, program))
    {
        abandon(early.take()).await;
    }
    Ok(early)
}

/// Kills a held shell (if any) before its command could run, reaps it,
/// and removes its note and its log (still empty): nothing says it ran.
pub(super) async fn abandon(early: Option<Early>) {
    let Some(mut e) = early else {
        return;
    };
    if let Ok(pid) = pid_of(&e.child) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    let _ = e.child.wait().await;
    drop(e.held);
    e.note.discard();
    let (path, creating) = e.log;
    if let Ok(Ok(file)) = creating.await {
        remove_if_same_and_empty(&path, &file);
    }
}

/// Removes `path` if it is still `file`'s name and the file is empty.
fn remove_if_same_and_empty(path: &Path, file: &std::fs::File) {
    let ours = file.metadata().map(|m| (m.dev(), m.ino(), m.len()));
    let there = std::fs::symlink_metadata(path).map(|m| (m.dev(), m.ino()));
    if let (Ok((dev, ino, 0)), Ok(there)) = (ours, there)
        && (dev, ino) == there
    {
        let _ = std::fs::remove_file(path);
    }
}

/// Removes what a held attempt that was never released can leave beside
/// `log` (its stepwise and its monitor killed while it waited): its note,
/// which says so, once no process of its group runs, and then its log if
/// still empty. Nothing of it ran. Called by the monitor that starts an
/// attempt (after a monitor that went, or on a resume).
fn clear_leftovers(log: &Path) {
    if !survivor::never_released(log) {
        return;
    }
    let _ = std::fs::remove_file(survivor::note_path(log));
    if std::fs::symlink_metadata(log).is_ok_and(|m| m.is_file() && m.len() == 0) {
        let _ = std::fs::remove_file(log);
    }
}
