//! The terminal's events, read on the interface's own thread.
//!
//! crossterm's `EventStream` waits for the terminal on a thread of its own
//! and wakes the interface when a key has come: during a flood, with both
//! cores busy, a key then waits for two threads to be scheduled, that one
//! and the interface's. Here the interface asks the terminal itself,
//! without waiting, as its loop turns (during a flood, at most every half
//! millisecond), and crossterm parses what it reads. When the
//! loop has nothing to do, it sleeps until the runtime sees the terminal
//! readable or the window resized.
//!
//! crossterm reads until a read would block; standard input is therefore
//! swapped, while the stream lives, for a non-blocking copy of the same
//! terminal (`Nonblocking`), and unplugged when the terminal hangs up
//! (`unplug_on_hangup`). Where there is no copy to be had (a terminal the
//! user may not open again, after `su`; `stepwise follow` with standard
//! input elsewhere, when crossterm reads `/dev/tty`), crossterm reads a
//! blocking terminal, as it did on its own thread: bytes that make no key
//! can then hold the interface until the next key.
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
use std::time::{Duration, Instant};
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
    /// When the terminal was last looked at (`now`).
    looked: Option<Instant>,
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
    /// Watches the terminal; must be called inside the runtime, before
    /// the interface's screen is entered (an error leaves nothing to undo).
    /// `unplug`: on a hang-up, unplug standard input (`unplug_on_hangup`);
    /// for a process that has its own SIGHUP handler (`run`, `resume`), not
    /// for `follow`, which SIGHUP's default action ends.
    pub fn new(unplug: bool) -> io::Result<TtyEvents> {
        let (tty, swap) = if io::stdin().is_terminal() {
            match reopen_stdin_nonblocking() {
                Ok(copy) => {
                    let swap = Nonblocking::on(&copy)?;
                    (copy, Some(swap))
                }
                // A terminal this user may not open again (after `su`):
                // read as it is, blocking.
                Err(_) => (io::stdin().as_fd().try_clone_to_owned()?, None),
            }
        } else {
            (File::open("/dev/tty")?.into(), None)
        };
        // crossterm's reader, made now if no screen before made it.
        crossterm::event::poll(Duration::ZERO)?;
        // A copy to watch for the hang-up, only where there is one to unplug.
        let watch = (unplug && swap.is_some())
            .then(|| tty.try_clone())
            .transpose()?;
        // SAFETY: an `OwnedFd` stays open, on the same file, until dropped,
        // and always gives the same number.
        let tty = unsafe { AsyncFd::register_with_interest(tty, Interest::READABLE) }
            .map_err(|e| e.into_parts().1)?;
        let winch = signal(SignalKind::window_change())?;
        let unplug = watch.map(unplug_on_hangup).transpose()?;
        Ok(TtyEvents {
            tty,
            winch,
            // Keys typed before the interface came may wait in crossterm.
            buffered: true,
            looked: None,
            ended: false,
            _swap: swap,
            unplug,
        })
    }

    /// What the terminal has now, without waiting: an event, a hang-up,
    /// or nothing. `woken`: the runtime saw the terminal readable or the
    /// window resized; otherwise a look that came less than `LOOK_EVERY`
    /// after the last finds nothing.
    fn now(&mut self, woken: bool) -> Option<io::Result<Event>> {
        let soon = self.looked.is_some_and(|at| at.elapsed() < LOOK_EVERY);
        if soon && !woken && !self.buffered {
            return None;
        }
        self.looked = Some(Instant::now());
        let mut fds = [PollFd::new(self.tty.get_ref().as_fd(), PollFlags::POLLIN)];
        let seen = match poll(&mut fds, PollTimeout::ZERO) {
            Ok(_) => fds[0].revents().unwrap_or(PollFlags::empty()),
            Err(e) => return Some(Err(e.into())),
        };
        if seen.intersects(hung_up()) {
            self.ended = true;
            return Some(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the terminal hung up",
            )));
        }
        if !(self.buffered || woken || seen.contains(PollFlags::POLLIN)) {
            return None;
        }
        let next = crossterm_next();
        self.buffered = next.is_some();
        next
    }
}

/// How often, at most, the loop looks at the terminal when the runtime
/// has not said it is readable: during a flood the loop turns thousands
/// of times a second.
const LOOK_EVERY: Duration = Duration::from_micros(500);

/// The poll(2) results that say the terminal is gone.
fn hung_up() -> PollFlags {
    PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL
}

/// crossterm's next event, if it has one now. A zero-time `poll` answers
/// "none" after passing over one internal event (a report it did not ask
/// for, such as Ctrl-F3 read as a cursor position): ask again a few times.
fn crossterm_next() -> Option<io::Result<Event>> {
    for _ in 0..4 {
        match crossterm::event::poll(Duration::ZERO) {
            Ok(true) => return Some(crossterm::event::read()),
            Ok(false) => {}
            Err(e) => return Some(Err(e)),
        }
    }
    None
}

/// The terminal on standard input, opened again, non-blocking: a file
/// of its own, so the flag never reaches the shell's.
fn reopen_stdin_nonblocking() -> io::Result<OwnedFd> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_NOCTTY)
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
    /// The standard input found, kept open: crossterm's reader, when made
    /// before, watches it.
    saved: OwnedFd,
}

impl Nonblocking {
    fn on(copy: &OwnedFd) -> io::Result<Nonblocking> {
        let saved = io::stdin().as_fd().try_clone_to_owned()?;
        // crossterm's reader, when first made during the swap, watches
        // the copy from then on, also once standard input is put back:
        // the copy stays open for the life of the process.
        std::mem::forget(copy.try_clone()?);
        dup2_stdin(copy)?;
        Ok(Nonblocking { saved })
    }
}

impl Drop for Nonblocking {
    fn drop(&mut self) {
        let _ = dup2_stdin(&self.saved);
    }
}

/// On SIGHUP from a terminal that hung up, standard input becomes an empty
/// pipe that is never closed. `watch` is a copy of the terminal.
///
/// Why: a hung-up terminal reads as end of file, again and again, and
/// crossterm, which reads until a read would block, would spin on it on
/// the interface's thread if the hang-up came while it read. From the
/// pipe a read would block: crossterm stops, and the next look at the
/// terminal (`TtyEvents::now`) sees the hang-up. A SIGHUP sent by hand,
/// the terminal still there, changes nothing. The task runs on another
/// thread of the runtime (the interface's runtime has two).
fn unplug_on_hangup(watch: OwnedFd) -> io::Result<tokio::task::JoinHandle<()>> {
    let mut hup = signal(SignalKind::hangup())?;
    Ok(tokio::spawn(async move {
        while hup.recv().await.is_some() {
            let mut fds = [PollFd::new(watch.as_fd(), PollFlags::empty())];
            let gone = poll(&mut fds, PollTimeout::ZERO).is_ok()
                && fds[0].revents().is_some_and(|r| r.intersects(hung_up()));
            if !gone {
                continue;
            }
            if let Ok((read, write)) = pipe2(OFlag::O_NONBLOCK | OFlag::O_CLOEXEC)
                && dup2_stdin(&read).is_ok()
            {
                // Never closed: an open pipe with nothing in it would block.
                std::mem::forget(write);
            }
            return;
        }
    }))
}

impl Stream for TtyEvents {
    type Item = io::Result<Event>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let mut woken = false;
        loop {
            if let Some(ev) = self.now(woken) {
                return Poll::Ready(Some(ev));
            }
            let resized = self.winch.poll_recv(cx).is_ready();
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
            woken = resized || readable;
            if !woken {
                return Poll::Pending;
            }
        }
    }
}
