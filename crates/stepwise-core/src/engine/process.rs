//! Running one step attempt as a real process.
//!
//! [`run`] spawns the command in its own process group and in a session
//! with no controlling terminal (its own, or its monitor's), so it can
//! never read the operator's keyboard,
//! with stdin from `/dev/null` — except a `tty: true` step with a person at
//! the screen ([`Spec::interactive`]), whose pseudo-terminal is its stdin
//! and gets the keys the operator chooses to type into it. It reads stdout and stderr as bytes, masks
//! secrets ([`RedactStream`] per stream), appends to the attempt's log file
//! and publishes [`Chunk`]s that name their place in that file. Timeout and
//! cancel end the whole group: SIGTERM, `grace`, then SIGKILL until it is
//! empty. Once the first process exits, the pipes are drained for at most
//! `drain` (a grandchild may hold them open), then anything left in the
//! group is ended too, and counted ([`Outcome::leftovers`]): a step's
//! processes do not outlive the step. To leave a daemon running, a step
//! must start it in a session of its own (`setsid`). The attempt's
//! duration is its real span, to the end of all that.
//!
//! This module never touches the journal or the screen: the engine turns
//! chunks and the [`Outcome`] into session events, and display code turns
//! chunks into lines ([`DisplayLines`]).

mod display;
mod feed;
mod group;
mod sink;
pub mod survivor;

pub use display::{DISPLAY_LINE_MAX_CHARS, DisplayLines};
pub use sink::{CAPTURE_LIMIT, Chunk, SYNC_EVERY};

use crate::engine::redact::{RedactStream, Redactor};
use crate::runner::tty_input::TtyInput;
use crate::session::event::{ExitInfo, Stream};
use group::Reaper;
use sink::{Sink, Written};
use std::fmt;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Child;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// Bytes read from a pipe at a time.
pub const READ_BUF: usize = 64 * 1024;
/// The size of the pseudo-terminal of a `tty: true` step.
pub const PTY_ROWS: u16 = 24;
pub const PTY_COLS: u16 = 80;

/// What to run, and how.
pub struct Spec {
    /// The program and its arguments, e.g. `bash -eo pipefail -c <command>`.
    pub argv: Vec<String>,
    /// Added to the inherited environment (`GIT_TERMINAL_PROMPT=0` always wins).
    pub env: Vec<(String, String)>,
    pub cwd: Option<PathBuf>,
    /// The attempt's log; created by `run` while the process spawns (it must
    /// not exist), mode 0600.
    pub log_path: PathBuf,
    pub timeout: Option<Duration>,
    /// From SIGTERM to SIGKILL.
    pub grace: Duration,
    /// How long to keep reading the pipes after the first process exits.
    pub drain: Duration,
    /// Keep up to [`CAPTURE_LIMIT`] bytes of stdout, raw (not masked:
    /// later steps get the real value; the engine masks what it journals).
    pub capture_stdout: bool,
    /// Run in a pseudo-terminal; stdout and stderr are then one stream
    /// ([`Stream::Stdout`]).
    pub tty: bool,
    /// With `tty`: the pseudo-terminal is also the step's stdin, and keys
    /// typed by a person arrive through `run`'s `input`. Without it stdin
    /// is `/dev/null` (a read gets end-of-file).
    pub interactive: bool,
    pub redactor: Arc<Redactor>,
    /// Stdout goes only to the capture, never to the log or the screen:
    /// for a `capture:` made from a secret, whose value is not known (so
    /// cannot be masked) until the step ends.
    pub hide_stdout: bool,
    /// The read end of a pipe for the process's stdin, instead of
    /// `/dev/null` (pipe attempts only). It cannot cross to a monitor:
    /// the ssh runner uses [`Spec::feed`].
    pub stdin: Option<std::os::fd::OwnedFd>,
    /// Bytes for the process's stdin (pipe attempts without `stdin`): `run`
    /// writes them into a pipe whose write end it holds until the process
    /// ends, so its end of input means whoever runs the attempt is gone.
    /// Never shown by `Debug` (it may hold values).
    pub feed: Option<Vec<u8>>,
}

impl Spec {
    /// A spec with the defaults: no timeout, 5 s grace, 2 s drain, no
    /// capture, pipes, no secrets.
    pub fn new(argv: Vec<String>, log_path: impl Into<PathBuf>) -> Self {
        Spec {
            argv,
            env: Vec::new(),
            cwd: None,
            log_path: log_path.into(),
            timeout: None,
            grace: Duration::from_secs(5),
            drain: Duration::from_secs(2),
            capture_stdout: false,
            tty: false,
            interactive: false,
            redactor: Arc::new(Redactor::default()),
            hide_stdout: false,
            stdin: None,
            feed: None,
        }
    }
}

impl fmt::Debug for Spec {
    /// Environment values may be secrets: only their names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let env: Vec<&str> = self.env.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Spec")
            .field("argv", &self.argv)
            .field("env", &env)
            .field("cwd", &self.cwd)
            .field("log_path", &self.log_path)
            .field("timeout", &self.timeout)
            .field("tty", &self.tty)
            .finish_non_exhaustive()
    }
}

/// How an attempt ended.
#[derive(Debug)]
pub struct Outcome {
    /// Exit code or signal of the first process (both `None` if a cancel
    /// came before it was spawned).
    pub exit: ExitInfo,
    pub timed_out: bool,
    pub cancelled: bool,
    /// The attempt's real span: from spawn until its whole process group
    /// was gone and its output drained (what the operator waited).
    pub duration: Duration,
    /// Live processes left in the step's group after its first process
    /// exited and the pipes were drained, ended then (SIGTERM, SIGKILL).
    pub leftovers: usize,
    /// Bytes in the log file.
    pub log_len: u64,
    /// Raw stdout, not masked (at most [`CAPTURE_LIMIT`]), when
    /// `capture_stdout`: see [`Spec::capture_stdout`].
    pub stdout: Option<Vec<u8>>,
    /// The log could not be written (or synced): the file is complete only
    /// up to `log_len`, and chunks after that point exist only as sent.
    pub log_error: Option<io::Error>,
}

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
fn resolve_program(program: &str, env: &[(String, String)]) -> Option<PathBuf> {
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

/// Runs one attempt to its end; see the module docs.
///
/// `out` should be bounded and read concurrently: a full channel slows the
/// reading of the pipes (backpressure), a dropped receiver only stops the
/// chunks (the log file still gets everything). `cancel` going `true`
/// cancels the attempt; if it is already `true`, nothing is spawned. Its
/// sender being dropped means no cancel will come.
///
/// Errors: the log file exists or its folder is missing or not writable
/// (checked before the spawn), the program cannot be spawned, or waiting
/// on it fails. A creation that fails anyway comes back in
/// [`Outcome::log_error`], after the process ran.
pub async fn run(
    mut spec: Spec,
    out: mpsc::Sender<Chunk>,
    mut cancel: watch::Receiver<bool>,
    input: Option<mpsc::Receiver<TtyInput>>,
) -> io::Result<Outcome> {
    if spec.argv.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a step needs a program to run",
        ));
    }
    if let Some(dir) = spec.cwd.as_deref().filter(|d| !d.is_dir()) {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("the working directory {} does not exist", dir.display()),
        ));
    }
    sink::check_log_path(&spec.log_path)?;
    let (log_path, capture, hide) = (spec.log_path.clone(), spec.capture_stdout, spec.hide_stdout);
    if *cancel.borrow_and_update() {
        return Ok(not_started(
            Sink::new(log_path, out, capture, hide).finish().await,
        ));
    }
    // The group's record, written before the step execs (by the child, or
    // as a line whose pid is written after): a step whose record cannot be
    // written never runs (see `survivor`).
    let note = survivor::PidNote::create(&spec.log_path)?;
    // The write end of a fed stdin, held until the attempt ends.
    let mut feeding = None;
    let started = Instant::now();
    let (child, sources, keys) = if spec.tty {
        spawn_pty(&spec, &note, input)?
    } else {
        let stdin = match (spec.stdin.take(), spec.feed.take()) {
            (Some(fd), _) => Stdio::from(fd),
            (None, Some(bytes)) => {
                let (held, read) = feed::Feed::start(bytes)?;
                feeding = Some(held);
                Stdio::from(read)
            }
            (None, None) => Stdio::null(),
        };
        let (child, sources) = spawn_piped(&spec, &note, stdin)?;
        (child, sources, None)
    };
    // The log is created (on a blocking thread) once the step is spawned,
    // while it runs: created before, it made the note's creation wait
    // for the output folder, on the way to the spawn.
    let sink = Sink::new(log_path, out, capture, hide);
    // Aborted when the attempt ends, whatever way it does.
    let _keys = keys.map(AbortOnDrop);
    let pid = pid_of(&child)?;
    let attempt = Attempt {
        reaper: Reaper::new(pid, spec.grace),
        child,
        deadline: spec.timeout.map(|t| started + t),
        drain: spec.drain,
        redactor: Arc::clone(&spec.redactor),
    };
    let outcome = attempt.run(sources, sink, &mut cancel, started).await;
    drop(feeding);
    outcome
}

fn not_started(written: Written) -> Outcome {
    Outcome {
        exit: ExitInfo {
            code: None,
            signal: None,
        },
        timed_out: false,
        cancelled: true,
        duration: Duration::ZERO,
        leftovers: 0,
        log_len: written.len,
        stdout: written.stdout,
        log_error: written.error,
    }
}

fn pid_of(child: &Child) -> io::Result<i32> {
    child
        .id()
        .and_then(|pid| i32::try_from(pid).ok())
        .ok_or_else(|| io::Error::other("the step's process has no pid"))
}

type Reader = Pin<Box<dyn AsyncRead + Send>>;

/// The readable ends of the step's output.
struct Sources {
    stdout: Option<Reader>,
    stderr: Option<Reader>,
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

fn spawn_piped(
    spec: &Spec,
    note: &survivor::PidNote,
    stdin: Stdio,
) -> io::Result<(Child, Sources)> {
    let program =
        resolve_program(&spec.argv[0], &spec.env).unwrap_or_else(|| PathBuf::from(&spec.argv[0]));
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
    let mut child = if OWN_SESSION.load(std::sync::atomic::Ordering::Relaxed) {
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

/// A task that is aborted when this is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `tty: true`: pty-process makes the child a session leader with the pty
/// as its controlling terminal. Interactive (a person at a screen), the
/// pty is its stdin, stdout and stderr, and what `input` brings is written
/// into it (keys) or sizes it; otherwise stdin is `/dev/null`, so a read
/// gets end-of-file at once.
fn spawn_pty(
    spec: &Spec,
    note: &survivor::PidNote,
    input: Option<mpsc::Receiver<TtyInput>>,
) -> io::Result<(Child, Sources, Option<tokio::task::JoinHandle<()>>)> {
    let (pty, pts) = pty_process::open().map_err(pty_error)?;
    pty.resize(pty_process::Size::new(PTY_ROWS, PTY_COLS))
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

/// One spawned attempt, from spawn to an empty process group.
struct Attempt {
    child: Child,
    reaper: Reaper,
    deadline: Option<Instant>,
    drain: Duration,
    redactor: Arc<Redactor>,
}

/// How the first process ended, and why.
struct Ending {
    status: ExitStatus,
    timed_out: bool,
    cancelled: bool,
}

impl Attempt {
    async fn run(
        mut self,
        sources: Sources,
        mut sink: Sink,
        cancel: &mut watch::Receiver<bool>,
        started: Instant,
    ) -> io::Result<Outcome> {
        let (stop, mut stopped) = watch::channel(false);
        let ending = {
            let pump = pump(sources, &self.redactor, &mut sink, &mut stopped);
            tokio::pin!(pump);
            let watch = supervise(&mut self.child, &mut self.reaper, self.deadline, cancel);
            tokio::pin!(watch);
            tokio::select! {
                ending = &mut watch => {
                    let ending = ending?;
                    // The first process is gone; its children may still hold
                    // the pipes: read on for a bounded time, then stop.
                    if tokio::time::timeout(self.drain, &mut pump).await.is_err() {
                        let _ = stop.send(true);
                        pump.await;
                    }
                    ending
                }
                () = &mut pump => watch.await?,
            }
        };
        let (leftovers, _) = self.reaper.finish().await;
        let written = sink.finish().await;
        Ok(Outcome {
            exit: ExitInfo {
                code: ending.status.code(),
                signal: ending.status.signal(),
            },
            timed_out: ending.timed_out,
            cancelled: ending.cancelled,
            duration: started.elapsed(),
            leftovers,
            log_len: written.len,
            stdout: written.stdout,
            log_error: written.error,
        })
    }
}

/// Waits for the first process to exit, starting the group's termination
/// on timeout or cancel and escalating to SIGKILL after the grace.
async fn supervise(
    child: &mut Child,
    reaper: &mut Reaper,
    deadline: Option<Instant>,
    cancel: &mut watch::Receiver<bool>,
) -> io::Result<Ending> {
    let (mut timed_out, mut cancelled, mut cancel_open) = (false, false, true);
    loop {
        let ending = timed_out || cancelled;
        tokio::select! {
            status = child.wait() => {
                return Ok(Ending { status: status?, timed_out, cancelled });
            }
            () = sleep_until(deadline), if !ending => {
                timed_out = true;
                reaper.terminate();
            }
            changed = cancel.changed(), if cancel_open && !ending => match changed {
                Ok(()) if *cancel.borrow_and_update() => {
                    cancelled = true;
                    reaper.terminate();
                }
                Ok(()) => {}
                Err(_) => cancel_open = false,
            },
            () = sleep_until(reaper.next_kill()), if ending => reaper.kill(),
        }
    }
}

/// Sleeps until `at`; forever when there is no `at`.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Reads both streams until they close or `stop` is raised: redact, write,
/// publish. Then flushes what the redactors held back.
async fn pump(
    mut sources: Sources,
    redactor: &Arc<Redactor>,
    sink: &mut Sink,
    stop: &mut watch::Receiver<bool>,
) {
    let mut redact = [
        RedactStream::new(Arc::clone(redactor)),
        RedactStream::new(Arc::clone(redactor)),
    ];
    let (mut out_buf, mut err_buf) = (vec![0u8; READ_BUF], vec![0u8; READ_BUF]);
    loop {
        let open = sources.stdout.is_some() || sources.stderr.is_some();
        let sync_due = sink.sync_due();
        // Only bytes the log takes move its offset: hidden stdout, and
        // anything after a failed write, are read whole.
        let room = if sink.logging() {
            aligned_read(sink.offset())
        } else {
            READ_BUF
        };
        let out_room = if sink.hides_stdout() { READ_BUF } else { room };
        let (stream, read) = tokio::select! {
            n = read_some(&mut sources.stdout, &mut out_buf[..out_room]), if sources.stdout.is_some() => (Stream::Stdout, n),
            n = read_some(&mut sources.stderr, &mut err_buf[..room]), if sources.stderr.is_some() => (Stream::Stderr, n),
            _ = stop.wait_for(|stopped| *stopped), if open => break,
            _ = sleep_until(sync_due), if open && sync_due.is_some() => {
                sink.maybe_sync();
                continue;
            }
            else => break,
        };
        let (buf, source) = match stream {
            Stream::Stdout => (&out_buf, &mut sources.stdout),
            Stream::Stderr => (&err_buf, &mut sources.stderr),
        };
        if read == 0 {
            *source = None;
            continue;
        }
        if stream == Stream::Stdout {
            // The capture keeps the real bytes; only what is shown is masked.
            sink.keep_for_capture(&buf[..read]);
            if sink.hides_stdout() {
                continue;
            }
        }
        let bytes = redact[index(stream)].push(&buf[..read]);
        publish(sink, stream, bytes, stop).await;
    }
    for stream in [Stream::Stdout, Stream::Stderr] {
        let rest = redact[index(stream)].finish();
        publish(sink, stream, rest, stop).await;
    }
    if let Some(note) = sink.hidden_note() {
        publish(sink, Stream::Stdout, note, stop).await;
    }
}

async fn publish(
    sink: &mut Sink,
    stream: Stream,
    bytes: Vec<u8>,
    stop: &mut watch::Receiver<bool>,
) {
    if !bytes.is_empty() {
        sink.ready().await;
        let chunk = sink.record(stream, bytes);
        sink.publish(chunk, stop).await;
    }
}

/// How much to read when the log holds `logged` bytes: up to the next
/// [`READ_BUF`] boundary of the log. A read takes what the pipe holds, so
/// during a flood the first read ends on a boundary and every later one
/// is a whole, aligned [`READ_BUF`]; this file system takes such writes
/// for about two thirds of the CPU of the same bytes in unaligned pieces
/// (docs/PERFORMANCE.md, eighth pass). A quiet step's reads are as short
/// as before: nothing waits to fill a boundary. Less than [`MIN_READ`]
/// short of a boundary, the read goes on to the one after (masking can
/// hold bytes back and leave the offset there for several reads).
fn aligned_read(logged: u64) -> usize {
    let room = READ_BUF - (logged % READ_BUF as u64) as usize;
    if room < MIN_READ { READ_BUF } else { room }
}

/// The shortest read [`aligned_read`] asks for.
const MIN_READ: usize = 4096;

fn index(stream: Stream) -> usize {
    match stream {
        Stream::Stdout => 0,
        Stream::Stderr => 1,
    }
}

/// Reads what is there; 0 means the stream ended. A read error ends the
/// stream too: a pty reports the last writer closing as EIO.
async fn read_some(source: &mut Option<Reader>, buf: &mut [u8]) -> usize {
    match source {
        Some(reader) => reader.read(buf).await.unwrap_or(0),
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A read ends on the next 64 KiB boundary of the log; from one, it
    /// is a whole 64 KiB.
    #[test]
    fn a_read_ends_on_the_next_boundary_of_the_log() {
        assert_eq!(aligned_read(0), READ_BUF);
        assert_eq!(aligned_read(1), READ_BUF - 1);
        assert_eq!(aligned_read(3 * READ_BUF as u64), READ_BUF);
        assert_eq!(aligned_read(3 * READ_BUF as u64 + 100), READ_BUF - 100);
        // Close to a boundary: a whole read rather than a few bytes.
        assert_eq!(aligned_read((READ_BUF - MIN_READ) as u64), MIN_READ);
        assert_eq!(aligned_read((READ_BUF - MIN_READ + 1) as u64), READ_BUF);
        assert_eq!(aligned_read(READ_BUF as u64 - 1), READ_BUF);
    }

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
