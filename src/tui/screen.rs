//! The loop shared by the screens shown before a session exists: the
//! picker, the trust prompt and the inputs form. It owns the terminal while
//! one of them is up (`ratatui::init` / `restore`), and it makes SIGTERM,
//! SIGINT and SIGHUP give the terminal back before stepwise exits (the
//! session's own screen gets them from the engine instead).
//!
//! It never touches a session: nothing exists yet to journal.

use crossterm::event::{self, Event, KeyEvent};
use ratatui::Frame;
use std::io;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

/// How often the loop looks for a stop signal while no key comes.
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// Shows a screen: draws it with `draw`, hands each key to `key` until that
/// returns a result. A stop signal ends it with an error of kind
/// [`io::ErrorKind::Interrupted`] naming the signal (see [`is_stop`]). The
/// terminal is restored on every way out.
pub fn run<T>(
    mut draw: impl FnMut(&mut Frame),
    mut key: impl FnMut(KeyEvent) -> Option<T>,
) -> io::Result<T> {
    let guard = StopSignals::install();
    let mut terminal = ratatui::init();
    let result = loop {
        if let Some(name) = guard.stopped() {
            break Err(io::Error::new(io::ErrorKind::Interrupted, name));
        }
        if let Err(e) = terminal.draw(&mut draw) {
            break Err(e);
        }
        match event::poll(SIGNAL_CHECK) {
            Ok(false) => continue,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => break Err(e),
            Ok(true) => {}
        }
        match event::read() {
            Ok(Event::Key(k)) => {
                if let Some(done) = key(k) {
                    break Ok(done);
                }
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    ratatui::restore();
    drop(guard);
    result
}

/// Whether a screen ended because of a stop signal (exit 130).
pub fn is_stop(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::Interrupted
}

/// The last stop signal received while a guard was installed (0: none).
static STOPPED: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_stop(sig: nix::libc::c_int) {
    // Async-signal-safe: one atomic store, nothing else.
    STOPPED.store(sig, Ordering::SeqCst);
}

/// Handlers for the stop signals while a screen is up; the previous ones
/// come back on drop.
struct StopSignals {
    previous: Vec<(nix::sys::signal::Signal, nix::sys::signal::SigAction)>,
}

const STOPS: [nix::sys::signal::Signal; 3] = [
    nix::sys::signal::Signal::SIGTERM,
    nix::sys::signal::Signal::SIGINT,
    nix::sys::signal::Signal::SIGHUP,
];

impl StopSignals {
    fn install() -> StopSignals {
        use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, sigaction};
        STOPPED.store(0, Ordering::SeqCst);
        let action = SigAction::new(
            SigHandler::Handler(on_stop),
            SaFlags::empty(),
            SigSet::empty(),
        );
        let mut previous = Vec::new();
        for sig in STOPS {
            // SAFETY: `on_stop` only stores to an atomic, which is
            // async-signal-safe; the previous action is put back on drop.
            if let Ok(old) = unsafe { sigaction(sig, &action) } {
                previous.push((sig, old));
            }
        }
        StopSignals { previous }
    }

    fn stopped(&self) -> Option<String> {
        let sig = STOPPED.load(Ordering::SeqCst);
        (sig != 0).then(|| {
            let name = nix::sys::signal::Signal::try_from(sig)
                .map(|s| s.as_str().to_owned())
                .unwrap_or_else(|_| format!("signal {sig}"));
            format!("{name} arrived")
        })
    }
}

impl Drop for StopSignals {
    fn drop(&mut self) {
        for (sig, old) in self.previous.drain(..) {
            // SAFETY: restores the action that was in place before.
            let _ = unsafe { nix::sys::signal::sigaction(sig, &old) };
        }
    }
}
