//! A bash step spawned before its release, held before its command (see
//! `hold`): what [`super::run_released`] keeps of it until then, and how it
//! is let go when the release never comes or the world changed meanwhile.
//!
//! A step handed over ahead (the engine's `ahead`) may wait while the step
//! before it runs, and that step may change what this one would start
//! with: so at the release the held shell is used only if its working
//! directory is still the same directory and its program the same file
//! (not replaced or upgraded); otherwise it is killed and the step is
//! spawned anew. Nothing else a non-interactive bash reads at its start
//! can change: its environment is fixed in the spec, which the engine
//! compares whole before it releases.
//!
//! Never runs a command: only [`Early::go`] lets the held shell on.

use super::hold::{self, Held};
use super::spawn::{Sources, check_before_spawn, own_session, pid_of, spawn_piped};
use super::spec::Spec;
use super::survivor;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::process::Child;

/// A held bash and what it was started with.
pub(super) struct Early {
    child: Child,
    sources: Sources,
    held: Held,
    note: survivor::PidNote,
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
        let note = survivor::PidNote::create(&spec.log_path).ok()?;
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
        Some(Early {
            child,
            sources,
            held,
            note,
            cwd,
            program: Identity::of(program),
        })
    }

    /// Whether its folder and program are still what it was started with.
    pub(super) fn still_current(&self, spec: &Spec, program: &Path) -> bool {
        let cwd = spec.cwd.as_deref().map(Identity::of_dir);
        cwd.is_none_or(|now| now.is_some() && now == self.cwd)
            && self.program.is_some()
            && Identity::of(program) == self.program
    }

    /// Lets the held shell run its command.
    pub(super) fn go(self) -> (Child, Sources, Option<tokio::task::JoinHandle<()>>) {
        self.held.release();
        (self.child, self.sources, None)
    }
}

/// Kills a held shell (if any) before its command could run, reaps it,
/// and removes its note: nothing says it ran.
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
}
