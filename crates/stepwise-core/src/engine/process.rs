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
//! [`run_released`] is the same for a step monitor's attempt, which may
//! run only once stepwise has journalled its start: a `bash` step is
//! spawned at once and held before its command until then (`hold`,
//! `early`); anything else is spawned then. Parts: `spec` (what to run),
//! `spawn` (the process, its group, pipes or pty), `hold` and `early`
//! (the held start), `sink` (the log and chunks), `group` (ending the
//! group), `survivor` (the group's note), `feed`, `display`.
//!
//! This module never touches the journal or the screen: the engine turns
//! chunks and the [`Outcome`] into session events, and display code turns
//! chunks into lines ([`DisplayLines`]).

mod display;
mod early;
mod feed;
mod group;
pub mod hold;
mod sink;
mod spawn;
mod spec;
pub mod survivor;

pub use display::{DISPLAY_LINE_MAX_CHARS, DisplayLines};
pub use sink::{CAPTURE_LIMIT, Chunk, SYNC_EVERY};
pub use spawn::{
    PTY_COLS, PTY_ROWS, default_shell, find_program, leads_own_session_without_terminal,
};
pub use spec::Spec;

use crate::engine::redact::{RedactStream, Redactor};
use crate::runner::tty_input::TtyInput;
use crate::session::event::{ExitInfo, Stream};
use group::Reaper;
use sink::{Sink, Written};
use spawn::{Reader, Sources, check_before_spawn, pid_of, resolve_program, spawn_piped, spawn_pty};
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::process::Child;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

/// Bytes read from a pipe at a time.
pub const READ_BUF: usize = 64 * 1024;

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
    spec: Spec,
    out: mpsc::Sender<Chunk>,
    cancel: watch::Receiver<bool>,
    input: Option<mpsc::Receiver<TtyInput>>,
) -> io::Result<Outcome> {
    run_released(spec, out, cancel, input, None).await
}

/// Like [`run`], for an attempt that may run only once `release` says so
/// (a step monitor's, whose start the engine is making durable). A bash
/// step is spawned at once and held before its command (see [`hold`]);
/// anything else is spawned on the release. Dropped instead, nothing of
/// the attempt runs (a held bash is killed) and nothing is left beside
/// its log; the error says so.
pub async fn run_released(
    mut spec: Spec,
    out: mpsc::Sender<Chunk>,
    mut cancel: watch::Receiver<bool>,
    input: Option<mpsc::Receiver<TtyInput>>,
    release: Option<oneshot::Receiver<()>>,
) -> io::Result<Outcome> {
    if spec.argv.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a step needs a program to run",
        ));
    }
    let program =
        resolve_program(&spec.argv[0], &spec.env).unwrap_or_else(|| PathBuf::from(&spec.argv[0]));
    // A bash step is spawned now and held until the release (see `hold`);
    // `held` is that shell once it may go on.
    let held = match release {
        Some(release) => early::until_release(&spec, &program, release).await?,
        None => None,
    };
    if held.is_none() {
        check_before_spawn(&spec)?;
    }
    let (log_path, capture, hide) = (spec.log_path.clone(), spec.capture_stdout, spec.hide_stdout);
    if *cancel.borrow_and_update() {
        early::abandon(held).await;
        return Ok(not_started(
            Sink::new(log_path, out, capture, hide).finish().await,
        ));
    }
    let going = match held {
        Some(e) => e.go().await,
        None => None,
    };
    // The write end of a fed stdin, held until the attempt ends.
    let mut feeding = None;
    let mut created = None;
    let (child, sources, keys) = match going {
        Some((child, sources, log)) => {
            created = Some(log);
            (child, sources, None)
        }
        None => spawn_now(&mut spec, program, input, &mut feeding)?,
    };
    let started = Instant::now();
    // The log is created (on a blocking thread) once the step is spawned,
    // while it runs: created before, it made the note's creation wait
    // for the output folder, on the way to the spawn.
    let sink = match created {
        Some(log) => Sink::created_ahead(log_path, log, out, capture, hide),
        None => Sink::new(log_path, out, capture, hide),
    };
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

/// Spawns the step now (not held): in a pty, or with pipes and its stdin
/// (a pipe of its own, bytes fed through `feeding`, or nothing).
fn spawn_now(
    spec: &mut Spec,
    program: PathBuf,
    input: Option<mpsc::Receiver<TtyInput>>,
    feeding: &mut Option<feed::Feed>,
) -> io::Result<(Child, Sources, Option<tokio::task::JoinHandle<()>>)> {
    // The group's record, written before the step execs (by the child, or
    // as a line whose pid is written after): a step whose record cannot be
    // written never runs (see `survivor`).
    let note = survivor::PidNote::create(&spec.log_path)?;
    if spec.tty {
        return spawn_pty(spec, &note, input);
    }
    let stdin = match (spec.stdin.take(), spec.feed.take()) {
        (Some(fd), _) => Stdio::from(fd),
        (None, Some(bytes)) => {
            let (fed, read) = feed::Feed::start(bytes)?;
            *feeding = Some(fed);
            Stdio::from(read)
        }
        (None, None) => Stdio::null(),
    };
    let (child, sources) = spawn_piped(spec, program, &note, stdin, None)?;
    Ok((child, sources, None))
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

/// A task that is aborted when this is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
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
}
