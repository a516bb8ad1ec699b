//! Spawning an attempt's process: finding its program, the step in its
//! own process group (and session, or its monitor's), its pipes or
//! pseudo-terminal, and the note of its group written before it can run
//! (see `survivor`); a held bash gets the hold's descriptors (see `hold`).
//!
//! Never waits on the process, reads its output or writes its log: that
//! is `process::run`'s.

use super::hold;
use super::spec::Spec;
use super::survivor;
use crate::runner::tty_input::TtyInput;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::Stdio;
use tokio::io::AsyncRead;
use tokio::process::Child;
use tokio::sync::mpsc;

/// The size of the pseudo-terminal of a `tty: true` step.
pub const PTY_ROWS: u16 = 24;

pub const PTY_COLS: u16 = 80;

/// The program `bash -eo pipefail -c` where `bash` is on `PATH`, else
/// `sh -ec`: fail on the first failing command, and in a pipeline.
pub fn default_shell() -> Vec<String> {
    let shell: &[&str] = if on_path("bash") {
        &["bash", "-eo", "pipefail", "-c"]
    } else {
        &["sh", "-ec"]
    };
    shell.iter().map(|s| s.to_string()).collect()
}

fn on_path(program: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| is_executable(&dir.join(program)))
}

fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Where `execvp` would find `program` on our `PATH`, looked up before the
/// fork: the child then execs once, instead of failing through every
/// `PATH` entry before the right one (a measurable part of a quick step).
/// `None`, leaving the search to exec, when the name has a slash, the step
/// sets its own `PATH`, or a relative `PATH` entry comes first.
/// Where `program` is found on this process's `PATH` (see
/// [`resolve_program`]).
pub fn find_program(program: &str) -> Option<PathBuf> {
    resolve_program(program, &[])
}

pub(super) fn resolve_program(program: &str, env: &[(String, String)]) -> Option<PathBuf> {
    if program.contains('/') || env.iter().any(|(k, _)| k == "PATH") {
        return None;
    }
    for dir in std::env::split_paths(&std::env::var_os("PATH")?) {
        if !dir.is_absolute() {
            return None;
        }
        let candidate = dir.join(program);
        if is_executable(&candidate) {
            return Some(candidate);
        }
    }
    None
}

/// What must hold before an attempt is spawned: its working directory
/// exists, and its log does not (its folder does, writable).
pub(super) fn check_before_spawn(spec: &Spec) -> io::Result<()> {
    if let Some(dir) = spec.cwd.as_deref().filter(|d| !d.is_dir()) {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("the working directory {} does not exist", dir.display()),
        ));
    }
    super::sink::check_log_path(&spec.log_path)
}

pub(super) fn pid_of(child: &Child) -> io::Result<i32> {
    child
        .id()
        .and_then(|pid| i32::try_from(pid).ok())
        .ok_or_else(|| io::Error::other("the step's process has no pid"))
}

pub(super) type Reader = Pin<Box<dyn AsyncRead + Send>>;

/// The readable ends of the step's output.
pub(super) struct Sources {
    pub(super) stdout: Option<Reader>,
    pub(super) stderr: Option<Reader>,
}

/// Set by a step monitor, which is the leader of its own session and has
/// no controlling terminal (see `runner::monitor`).
static OWN_SESSION: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Says this process leads its own session and has no controlling
/// terminal (a step monitor): a pipe step spawned from it needs only its
/// own process group to be out of reach of any terminal (it cannot open
/// `/dev/tty`: the session has none, and only a session leader could
/// acquire one), so it is spawned without a fork of this process
/// (`posix_spawn`, vfork-like: no copy of the monitor's memory; measured
/// in docs/PERFORMANCE.md, fifth pass).
pub fn leads_own_session_without_terminal() {
    OWN_SESSION.store(true, std::sync::atomic::Ordering::Relaxed);
}

pub(super) fn own_session() -> bool {
    OWN_SESSION.load(std::sync::atomic::Ordering::Relaxed)
}

pub(super) fn spawn_piped(
    spec: &Spec,
    program: PathBuf,
    note: &survivor::PidNote,
    stdin: Stdio,
    held: Option<&mut hold::Held>,
) -> io::Result<(Child, Sources)> {
    let mut cmd = tokio::process::Command::new(program);
    cmd.arg0(&spec.argv[0])
        .args(&spec.argv[1..])
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(dir) = &spec.cwd {
        cmd.current_dir(dir);
    }
    let mut child = if let Some(held) = held {
        let (name, value) = held.variable();
        cmd.env(name, value);
        held.spawn_with(|| spawn_grouped(&mut cmd, &spec.argv[0], note))?
    } else if own_session() {
        spawn_grouped(&mut cmd, &spec.argv[0], note)?
    } else {
        let mut write_note = note.writer();
        // SAFETY: the closure runs in the forked child between fork and
        // exec, where only async-signal-safe calls are allowed. It calls
        // setsid(2) and the note's writer (getpid and write), all
        // async-signal-safe, and allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                nix::unistd::setsid().map_err(io::Error::from)?;
                write_note()
            });
        }
        cmd.spawn()
            .map_err(|e| spawn_failure(&spec.argv[0], note, e))?
    };
    if let Some(out) = child.stdout.as_ref() {
        widen_pipe(out);
    }
    let sources = Sources {
        stdout: child.stdout.take().map(|r| Box::pin(r) as Reader),
        stderr: child.stderr.take().map(|r| Box::pin(r) as Reader),
    };
    Ok((child, sources))
}

/// What a step's stdout pipe holds (the kernel's default is 64 KiB).
const PIPE_SIZE: i32 = 1024 * 1024;

/// Lets the pipe hold [`PIPE_SIZE`], so that a step printing fast blocks
/// less often and its output is read in larger pieces (fewer chunks,
/// frames and wake-ups). A refusal (a lower system limit) keeps the
/// default. The pipe's size, or `None` when it cannot be asked.
fn widen_pipe(pipe: &impl std::os::fd::AsFd) -> Option<i32> {
    use nix::fcntl::{FcntlArg, fcntl};
    let _ = fcntl(pipe, FcntlArg::F_SETPIPE_SZ(PIPE_SIZE));
    fcntl(pipe, FcntlArg::F_GETPIPE_SZ).ok()
}

/// Spawns the step as the leader of its own process group, with no code
/// of ours between fork and exec (so the standard library can use
/// `posix_spawn`). The note's line is written in full before (the pid as
/// zeros, and this session), so a full disk still keeps the step from
/// starting; the pid is then written over the zeros. Should that fail
/// (an overwrite needs no new block on most file systems, but may on a
/// copy-on-write one), the step's group is killed at once and the error
/// says it had started. A note still all zeros (the monitor killed in
/// between) is answered from the session (see `survivor`).
fn spawn_grouped(
    cmd: &mut tokio::process::Command,
    program: &str,
    note: &survivor::PidNote,
) -> io::Result<Child> {
    note.reserve()?;
    cmd.process_group(0);
    let child = cmd.spawn().map_err(|e| spawn_error(program, e))?;
    let pid = pid_of(&child)?;
    if let Err(e) = note.record(pid) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
        return Err(e);
    }
    Ok(child)
}

/// `tty: true`: pty-process makes the child a session leader with the pty
/// as its controlling terminal. Interactive (a person at a screen), the
/// pty is its stdin, stdout and stderr, and what `input` brings is written
/// into it (keys) or sizes it; otherwise stdin is `/dev/null`, so a read
/// gets end-of-file at once.
pub(super) fn spawn_pty(
    spec: &Spec,
    note: &survivor::PidNote,
    input: Option<mpsc::Receiver<TtyInput>>,
) -> io::Result<(Child, Sources, Option<tokio::task::JoinHandle<()>>)> {
    let (pty, pts) = pty_process::open().map_err(pty_error)?;
    let (rows, cols) = spec.tty_size.unwrap_or((PTY_ROWS, PTY_COLS));
    pty.resize(pty_process::Size::new(rows.max(1), cols.max(1)))
        .map_err(pty_error)?;
    let mut cmd = pty_process::Command::new(&spec.argv[0])
        .args(&spec.argv[1..])
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .env("GIT_TERMINAL_PROMPT", "0")
        .kill_on_drop(true);
    let input = input.filter(|_| spec.interactive);
    if input.is_none() {
        cmd = cmd.stdin(Stdio::null());
    }
    if let Some(dir) = &spec.cwd {
        cmd = cmd.current_dir(dir);
    }
    // SAFETY: the note's writer is async-signal-safe (see `survivor`);
    // pty-process runs it after making the child a session leader.
    cmd = unsafe { cmd.pre_exec(note.writer()) };
    let child = cmd
        .spawn(pts)
        .map_err(|e| spawn_failure(&spec.argv[0], note, pty_error(e)))?;
    let (read, write) = pty.into_split();
    let keys = input.map(|rx| tokio::spawn(type_into(write, rx)));
    let sources = Sources {
        stdout: Some(Box::pin(read)),
        stderr: None,
    };
    Ok((child, sources, keys))
}

/// Writes typed keys into the pty and passes sizes on, until the sender
/// goes or the pty does. Nothing of it is kept anywhere.
async fn type_into(mut pty: pty_process::OwnedWritePty, mut rx: mpsc::Receiver<TtyInput>) {
    use tokio::io::AsyncWriteExt;
    while let Some(input) = rx.recv().await {
        let ok = match input {
            TtyInput::Bytes(bytes) => pty.write_all(&bytes).await.is_ok(),
            TtyInput::Resize { rows, cols } => pty
                .resize(pty_process::Size::new(rows.max(1), cols.max(1)))
                .is_ok(),
        };
        if !ok {
            break;
        }
    }
}

fn pty_error(e: pty_process::Error) -> io::Error {
    match e {
        pty_process::Error::Io(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

fn spawn_error(program: &str, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("cannot start `{program}`: {e}"))
}

/// A failed spawn: the note not written means the child failed before its
/// exec, writing the note (a full disk); otherwise the exec itself failed.
fn spawn_failure(program: &str, note: &survivor::PidNote, e: io::Error) -> io::Error {
    if note.is_written() {
        spawn_error(program, e)
    } else {
        survivor::PidNote::error(note.path(), e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `widen_pipe` (called on every piped step's stdout) makes a pipe
    /// hold [`PIPE_SIZE`]; a user other than root gets no more than the
    /// system's limit, and where that is lower the pipe keeps the
    /// kernel's default.
    #[test]
    fn widen_pipe_makes_a_pipe_hold_a_megabyte_unless_the_system_forbids() {
        let (read, _write) = nix::unistd::pipe().unwrap();
        let limit: i32 = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(PIPE_SIZE);
        let root = nix::unistd::Uid::effective().is_root();
        let expected = if root || limit >= PIPE_SIZE {
            PIPE_SIZE
        } else {
            64 * 1024
        };
        assert_eq!(widen_pipe(&read), Some(expected));
    }
}
