//! The terminal's events, read on the interface's own thread.
//!
//! crossterm's `EventStream` waits for the terminal on a thread of its own
//! and wakes the interface when a key has come: during a flood, with both
//! cores busy, a key then waits for two threads to be scheduled, that one
//! and the interface's. Here the interface asks the terminal itself,
//! without waiting, every time its loop turns (once per batch of engine
//! updates during a flood), and crossterm parses what it reads. When the
//! loop has nothing to do, it sleeps until the runtime sees the terminal
//! readable or the window resized.
//!
//! crossterm reads until a read would block; standard input is therefore
//! swapped, while the stream lives, for a non-blocking copy of the same
//! terminal (`Nonblocking`). When standard input is not the terminal
//! (`stepwise follow < file`), crossterm reads `/dev/tty` itself, blocking.
//!
//! Reads only the terminal's input, never writes to it; a hung-up
//! terminal is an error, not a wait.

use crossterm::event::Event;
use futures::Stream;
use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::unistd::{dup2_stdin, pipe2};
use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::signal::unix::{Signal, SignalKind, signal};

/// The terminal's events (keys, mouse, pastes, resizes) as a stream.
pub struct TtyEvents {
    /// The terminal crossterm reads (standard input when it is one, else
    /// `/dev/tty`: crossterm's own choice), a copy kept only to watch.
    tty: AsyncFd<OwnedFd>,
    winch: Signal,
    /// crossterm may hold events parsed from an earlier read.
    buffered: bool,
    /// A hang-up was reported: the stream has ended.
    ended: bool,
    /// Standard input made non-blocking while the stream lives.
    _swap: Option<Nonblocking>,
    /// Unplugs standard input when the terminal hangs up (`unplug_on_hangup`).
    unplug: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for TtyEvents {
    fn drop(&mut self) {
        if let Some(task) = &self.unplug {
            task.abort();
        }
    }
}

impl TtyEvents {
    /// Watches the terminal; must be called inside the runtime.
    pub fn new() -> io::Result<TtyEvents> {
        // crossterm's reader watches the terminal it found when it was
        // made: make it now, before standard input changes (`Nonblocking`).
        crossterm::event::poll(Duration::ZERO)?;
        let (tty, swap, unplug) = if io::stdin().is_terminal() {
            let own = reopen_stdin_nonblocking()?;
            let unplug = unplug_on_hangup()?;
            let swap = Nonblocking::on(&own)?;
            (own, Some(swap), Some(unplug))
        } else {
            (File::open("/dev/tty")?.into(), None, None)
        };
        // SAFETY: an `OwnedFd` stays open, on the same file, until dropped,
        // and always gives the same number.
        let tty = unsafe { AsyncFd::register_with_interest(tty, Interest::READABLE) }
            .map_err(|e| e.into_parts().1)?;
        Ok(TtyEvents {
            tty,
            winch: signal(SignalKind::window_change())?,
            // Keys typed before the interface came may wait in crossterm.
            buffered: true,
            ended: false,
            _swap: swap,
            unplug,
        })
    }

    /// What the terminal has now, without waiting: an event, a hang-up,
    /// or nothing.
    fn now(&mut self, resized: bool) -> Option<io::Result<Event>> {
        let mut fds = [PollFd::new(self.tty.get_ref().as_fd(), PollFlags::POLLIN)];
        let seen = match poll(&mut fds, PollTimeout::ZERO) {
            Ok(_) => fds[0].revents().unwrap_or(PollFlags::empty()),
            Err(e) => return Some(Err(e.into())),
        };
        if seen.intersects(PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL) {
            self.ended = true;
            return Some(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the terminal hung up",
            )));
        }
        if !(self.buffered || resized || seen.contains(PollFlags::POLLIN)) {
            return None;
        }
        let next = match crossterm::event::poll(Duration::ZERO) {
            Ok(true) => Some(crossterm::event::read()),
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        };
        self.buffered = next.is_some();
        next
    }
}

/// The terminal on standard input, opened again, non-blocking: a file
/// of its own, so the flag never reaches the shell's.
fn reopen_stdin_nonblocking() -> io::Result<OwnedFd> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open("/proc/self/fd/0")?;
    Ok(file.into())
}

/// Standard input replaced by a non-blocking copy of the same terminal
/// while this lives, and put back when it is dropped.
///
/// Why: crossterm reads until a read would block, and on a blocking
/// terminal a read that parses into no event (half an escape sequence,
/// one it does not know) waits for the next key, on the interface's
/// thread. Children never see the copy: every process stepwise starts is
/// given its own standard input.
struct Nonblocking {
    /// The standard input found, kept open: crossterm's reader watches it.
    saved: OwnedFd,
}

impl Nonblocking {
    fn on(copy: &OwnedFd) -> io::Result<Nonblocking> {
        let saved = io::stdin().as_fd().try_clone_to_owned()?;
        dup2_stdin(copy)?;
        Ok(Nonblocking { saved })
    }
}

impl Drop for Nonblocking {
    fn drop(&mut self) {
        let _ = dup2_stdin(&self.saved);
    }
}

/// On SIGHUP, standard input becomes an empty pipe that is never closed.
///
/// Why: a hung-up terminal reads as end of file, again and again, and
/// crossterm, which reads until a read would block, would spin on it on
/// the interface's thread if the hang-up came while it read. From the
/// pipe a read would block: crossterm stops, and the next look at the
/// terminal (`TtyEvents::now`, on the copy this stream keeps) sees the
/// hang-up.
fn unplug_on_hangup() -> io::Result<tokio::task::JoinHandle<()>> {
    let mut hup = signal(SignalKind::hangup())?;
    Ok(tokio::spawn(async move {
        if hup.recv().await.is_none() {
            return;
        }
        if let Ok((read, write)) = pipe2(OFlag::O_NONBLOCK | OFlag::O_CLOEXEC)
            && dup2_stdin(&read).is_ok()
        {
            // Never closed: an open pipe with nothing in it would block.
            std::mem::forget(write);
        }
    }))
}

impl Stream for TtyEvents {
    type Item = io::Result<Event>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let mut resized = false;
        loop {
            if let Some(ev) = self.now(resized) {
                return Poll::Ready(Some(ev));
            }
            resized = self.winch.poll_recv(cx).is_ready();
            let readable = match self.tty.poll_read_ready(cx) {
                Poll::Ready(Ok(mut guard)) => {
                    // crossterm reads the bytes: forget this readiness, and
                    // look again (a key that came meanwhile is not lost:
                    // the runtime keeps readiness newer than this guard).
                    guard.clear_ready();
                    true
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Some(Err(e))),
                Poll::Pending => false,
            };
            if !(resized || readable) {
                return Poll::Pending;
            }
        }
    }
}
