//! The terminal's modes: entering and leaving the interface's screen,
//! suspending (Ctrl-Z, SIGTSTP) and coming back (SIGCONT), and restoring
//! the terminal on a panic.
//!
//! This is the only module that switches raw mode, the alternate screen,
//! mouse capture and bracketed paste. It never draws the interface and never touches the
//! engine: after `resume` the caller redraws.

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{Clear, ClearType, EnterAlternateScreen};
use std::io::stdout;

/// The environment variable that makes the interface panic on purpose, for
/// the test that checks the terminal is restored (`after-first-draw`).
pub const TEST_PANIC: &str = "STEPWISE_TEST_PANIC";

/// Enters the interface's screen: raw mode, alternate screen, mouse,
/// bracketed paste (a paste arrives whole, as one event, never as keys);
/// and a panic hook that undoes all of it before the panic message is
/// printed.
///
/// The hook restores with `ratatui::try_restore`, never `ratatui::restore`:
/// the latter prints its failure with `eprintln!`, which panics when the
/// terminal is gone (closed under the interface), and a panic inside the
/// panic hook aborts the process before the engine journals anything.
pub fn enter() -> ratatui::DefaultTerminal {
    let original = std::panic::take_hook();
    let terminal = ratatui::init();
    let _ = std::panic::take_hook(); // ratatui's own, replaced below
    // Cleared: the alternate screen may still hold what was there (a
    // stepwise killed with -9 never left it), and ratatui paints only
    // the cells it believes changed.
    let _ = crossterm::execute!(
        stdout(),
        EnableMouseCapture,
        EnableBracketedPaste,
        Clear(ClearType::All)
    );
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(stdout(), DisableBracketedPaste, DisableMouseCapture);
        let _ = ratatui::try_restore();
        original(info);
    }));
    terminal
}

/// Leaves the interface's screen and gives the terminal back as it was;
/// a terminal that is gone is not an error here (nothing to give back).
pub fn leave() {
    let _ = crossterm::execute!(stdout(), DisableBracketedPaste, DisableMouseCapture);
    let _ = ratatui::try_restore();
}

/// Stops the process as the shell's Ctrl-Z would, with the terminal given
/// back first; returns once the process is continued (SIGCONT), with the
/// interface's screen entered again. The caller must redraw everything.
pub fn suspend(terminal: &mut ratatui::DefaultTerminal) -> std::io::Result<()> {
    leave();
    // SIGSTOP cannot be caught: the process stops here until SIGCONT.
    nix::sys::signal::raise(nix::sys::signal::Signal::SIGSTOP).map_err(std::io::Error::from)?;
    resume(terminal)
}

/// After SIGCONT (from our own suspend or an outside SIGSTOP): raw mode,
/// alternate screen and mouse again, and a cleared screen with a fresh
/// `Terminal` (blank buffers), so that the next draw paints every cell.
/// Harmless when the modes are already on. (`Terminal::clear` would ask the
/// terminal where its cursor is, which needs an answer; this does not.)
pub fn resume(terminal: &mut ratatui::DefaultTerminal) -> std::io::Result<()> {
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(
        stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste,
        Clear(ClearType::All)
    )?;
    *terminal = ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(stdout()))?;
    Ok(())
}

/// Panics when the test switch asks for it at this point of the loop.
pub fn test_panic(point: &str) {
    if std::env::var(TEST_PANIC).is_ok_and(|v| v == point) {
        panic!("{TEST_PANIC}={point}: a deliberate panic for the terminal restore test");
    }
}
