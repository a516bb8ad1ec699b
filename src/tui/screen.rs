//! The loop shared by the screens shown before a session exists: the
//! picker, the trust prompt and the inputs form. It owns the terminal while
//! one of them is up (`ratatui::init` / `restore`).
//!
//! SIGTERM, SIGINT and SIGHUP while such a screen is up give the terminal
//! back and end stepwise with exit 130 from the signal handler itself: the
//! loop may be blocked inside the terminal library (a terminal that went
//! away reads end-of-file forever there), so a flag it would check is not
//! enough. The handler only makes async-signal-safe calls (`tcsetattr`,
//! `write`, `_exit`), and nothing needs cleaning up: no session exists yet.
//! The session's own screen gets these signals from the engine instead.
//!
//! Bracketed paste is on while a screen is up: a paste arrives whole, as
//! one event, and is never read as keys (a pasted `t` must not trust a
//! runbook, nor a pasted newline submit a form). A screen that takes no
//! text ignores it.
//!
//! It never touches a session.

use crossterm::event::{self, DisableBracketedPaste, EnableBracketedPaste, Event, KeyEvent};
use nix::libc;
use ratatui::Frame;
use std::io;
use std::sync::OnceLock;

/// Shows a screen: draws it with `draw`, hands each key to `key` until that
/// returns a result; a paste is ignored. The terminal is restored on every
/// way out.
pub fn run<T>(
    draw: impl FnMut(&mut Frame),
    key: impl FnMut(KeyEvent) -> Option<T>,
) -> io::Result<T> {
    run_pasting(draw, key, |_| ())
}

/// [`run`], with each paste (whole, one event) handed to `paste`.
pub fn run_pasting<T>(
    mut draw: impl FnMut(&mut Frame),
    mut key: impl FnMut(KeyEvent) -> Option<T>,
    mut paste: impl FnMut(&str),
) -> io::Result<T> {
    let guard = StopSignals::install();
    let mut terminal = ratatui::init();
    // Cleared first, as the session's screen is (`terminal::enter`).
    let _ = crossterm::execute!(
        io::stdout(),
        EnableBracketedPaste,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    );
    let result = loop {
        if let Err(e) = terminal.draw(&mut draw) {
            break Err(e);
        }
        match event::read() {
            // Ctrl-L: cleared and painted whole again.
            Ok(Event::Key(k)) if is_redraw(&k) => {
                if let Err(e) = terminal.clear() {
                    break Err(e);
                }
            }
            Ok(Event::Key(k)) => {
                if let Some(done) = key(k) {
                    break Ok(done);
                }
            }
            Ok(Event::Paste(text)) => paste(&text),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    let _ = crossterm::execute!(io::stdout(), DisableBracketedPaste);
    ratatui::restore();
    drop(guard);
    result
}

fn is_redraw(k: &KeyEvent) -> bool {
    k.code == crossterm::event::KeyCode::Char('l')
        && k.modifiers
            .contains(crossterm::event::KeyModifiers::CONTROL)
        && k.kind != crossterm::event::KeyEventKind::Release
}

/// The terminal's settings before the screen changed them.
static COOKED: OnceLock<libc::termios> = OnceLock::new();

/// What the handler writes: bracketed paste off, leave the alternate
/// screen, show the cursor.
const LEAVE_SCREEN: &[u8] = b"\x1b[?2004l\x1b[?1049l\x1b[?25h";
const SAID: &[u8] = b"stepwise: interrupted by a signal; no session was started\n";

extern "C" fn on_stop(_sig: libc::c_int) {
    // SAFETY: only async-signal-safe calls, on plain data set up before the
    // handler was installed.
    unsafe {
        if let Some(cooked) = COOKED.get() {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, cooked);
        }
        libc::write(
            libc::STDOUT_FILENO,
            LEAVE_SCREEN.as_ptr().cast(),
            LEAVE_SCREEN.len(),
        );
        libc::write(libc::STDERR_FILENO, SAID.as_ptr().cast(), SAID.len());
        libc::_exit(130);
    }
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
        let mut cooked = std::mem::MaybeUninit::<libc::termios>::uninit();
        // SAFETY: tcgetattr fills the struct when it returns 0.
        if unsafe { libc::tcgetattr(libc::STDIN_FILENO, cooked.as_mut_ptr()) } == 0 {
            let _ = COOKED.set(unsafe { cooked.assume_init() });
        }
        let action = SigAction::new(
            SigHandler::Handler(on_stop),
            SaFlags::empty(),
            SigSet::empty(),
        );
        let mut previous = Vec::new();
        for sig in STOPS {
            // SAFETY: `on_stop` makes only async-signal-safe calls; the
            // previous action is put back on drop.
            if let Ok(old) = unsafe { sigaction(sig, &action) } {
                previous.push((sig, old));
            }
        }
        StopSignals { previous }
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
