//! The interactive checklist: a ratatui driver of the engine.
//!
//! Elm shape: `app` holds the state and `App::update` (no I/O), `view`
//! draws it (never mutates), `keymap` is the one key table, `widgets` has
//! one file per panel and modal. `event_loop` is the only place that
//! touches the channels: a `select!` over terminal events (handled first),
//! batches of engine updates, and a frame tick that draws only when
//! something changed. It is generic over its [`Host`] (the real terminal,
//! or memory in tests) and its event stream. The engine decides what
//! happens; the policy questions (optional sections, a step's environment,
//! a missing note) are asked of `stepwise_core::policy`, never re-derived.
//! `run_read_only` is the same screen for `stepwise follow`, fed from a
//! journal instead of an engine.

pub mod app;
mod app_fleet;
pub mod ending;
pub mod fleet;
pub mod history;
pub mod host_pick;
pub mod host_view;
pub mod keymap;
pub mod layout;
pub mod log;
pub mod log_file;
pub mod log_view;
pub mod look;
pub mod modals;
pub mod picker;
pub mod screen;
pub mod search;
pub mod search_job;
pub mod terminal;
pub mod theme;
mod tty_events;
pub mod tty_keys;
pub mod typing;
pub mod view;
pub mod widgets;

pub use ending::TuiEnd;
pub use widgets::inputs_form::ask_inputs;

use crate::engine::command::{Command, Update};
use crate::session::state::Session;
use app::{App, Msg};
use crossterm::event::Event;
use futures::StreamExt;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::signal::unix::{Signal, SignalKind, signal};

/// The time between two frames (about 30 per second).
const FRAME: Duration = Duration::from_millis(33);
/// Engine updates handled between two looks at the keyboard. An output
/// update holds up to 64 KiB (thousands of short lines): a small batch
/// keeps a key from waiting behind megabytes of output.
const BATCH: usize = 8;
/// How long the interface waits, once the terminal's input has ended, for
/// the SIGHUP that normally comes with it (the engine journals that).
const INPUT_LOST_GRACE: Duration = Duration::from_secs(2);
use tokio::sync::mpsc;

/// Whether colours may be used (`NO_COLOR` unset or empty).
pub fn color_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Runs the interface until the engine ends (or goes away). The terminal
/// is restored on every path, panics included (`terminal::enter`).
/// `session_dir`, when given, is where earlier output is read from (resume).
pub async fn run(
    session: Session,
    cmds: mpsc::Sender<Command>,
    updates: mpsc::Receiver<Update>,
    secrets_names: Vec<String>,
    session_dir: Option<&Path>,
    quit_note: Option<String>,
) -> std::io::Result<TuiEnd> {
    let mut app = App::new(session, secrets_names, chrono::Utc::now(), color_enabled());
    app.quit_note = quit_note;
    if let Some(dir) = session_dir {
        history::load(&mut app.logs, &app.session, dir);
        app.session_dir = Some(dir.to_path_buf());
        app.attach_logs();
        if let Some(sessions) = dir.parent() {
            app.history =
                crate::comms::estimate::load(sessions, &app.session.runbook.id, &app.session.id);
        }
    }
    // The resume command is printed by the caller, with the session folder
    // and the transcript, once for every driver.
    on_terminal(app, cmds, updates).await
}

/// `stepwise follow`: the same screen over a session another process
/// runs, fed with its journal's records and output as `updates`. Read only:
/// keys only move the view, and nothing is ever sent to an engine.
pub async fn run_read_only(
    session: Session,
    updates: mpsc::Receiver<Update>,
    dir: &Path,
) -> std::io::Result<TuiEnd> {
    let secrets = session
        .runbook
        .inputs
        .iter()
        .filter(|i| i.secret)
        .map(|i| i.name.clone())
        .collect();
    let mut app = App::new(session, secrets, chrono::Utc::now(), color_enabled());
    app.read_only = true;
    app.session_dir = Some(dir.to_path_buf());
    app.attach_logs();
    // No engine: whatever a command might be, it goes nowhere.
    let (cmds, mut nowhere) = mpsc::channel(1);
    tokio::spawn(async move { while nowhere.recv().await.is_some() {} });
    on_terminal(app, cmds, updates).await
}

/// Runs `app` on the real terminal until it ends; the terminal is restored
/// on every path (`terminal::enter`).
async fn on_terminal(
    app: App,
    cmds: mpsc::Sender<Command>,
    updates: mpsc::Receiver<Update>,
) -> std::io::Result<TuiEnd> {
    // `follow` leaves SIGHUP to its default action, which ends it.
    let events = tty_events::TtyEvents::new(!app.read_only)?;
    let jobs = JobSignals::new()?;
    let mut host = RealTerminal(terminal::enter());
    let result = event_loop(&mut host, events, Some(jobs), app, cmds, updates).await;
    terminal::leave();
    // ratatui's terminal reports a cursor it cannot show, when dropped,
    // with `eprintln!`, which panics once the terminal is gone: show it
    // here, and when that fails the terminal is gone and is not dropped.
    if host.0.show_cursor().is_err() {
        std::mem::forget(host);
    }
    result.map(|(end, _)| end)
}

/// What the interface draws on: the real terminal, or memory in tests
/// (ratatui's `TestBackend`), so the whole app can be driven without a pty.
pub trait Host {
    type Backend: ratatui::backend::Backend;
    fn terminal(&mut self) -> &mut ratatui::Terminal<Self::Backend>;
    /// Ctrl-Z: give the terminal back and stop until continued.
    fn suspend(&mut self) -> std::io::Result<()>;
    /// Continued (SIGCONT): take the terminal again, to be redrawn whole.
    fn resume(&mut self) -> std::io::Result<()>;
}

/// The terminal stepwise runs in.
struct RealTerminal(ratatui::DefaultTerminal);

impl Host for RealTerminal {
    type Backend = ratatui::backend::CrosstermBackend<std::io::Stdout>;
    fn terminal(&mut self) -> &mut ratatui::DefaultTerminal {
        &mut self.0
    }
    fn suspend(&mut self) -> std::io::Result<()> {
        terminal::suspend(&mut self.0)
    }
    fn resume(&mut self) -> std::io::Result<()> {
        terminal::resume(&mut self.0)
    }
}

/// A terminal in memory, for tests: suspending does nothing.
pub struct MemoryHost(pub ratatui::Terminal<ratatui::backend::TestBackend>);

impl Host for MemoryHost {
    type Backend = ratatui::backend::TestBackend;
    fn terminal(&mut self) -> &mut ratatui::Terminal<ratatui::backend::TestBackend> {
        &mut self.0
    }
    fn suspend(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    fn resume(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Signals that concern the screen: SIGTSTP (suspend) and SIGCONT (redraw).
pub struct JobSignals {
    tstp: Signal,
    cont: Signal,
}

impl JobSignals {
    pub fn new() -> std::io::Result<JobSignals> {
        use nix::sys::signal::Signal as S;
        Ok(JobSignals {
            tstp: signal(SignalKind::from_raw(S::SIGTSTP as i32))?,
            cont: signal(SignalKind::from_raw(S::SIGCONT as i32))?,
        })
    }
}

/// A job signal, or never when there is none (in memory).
async fn job(signal: &mut Option<Signal>) {
    match signal {
        Some(s) => drop(s.recv().await),
        None => std::future::pending().await,
    }
}

/// Runs the interface on `host` with terminal `events` until the engine
/// ends; returns how it ended and the session id. Generic over where it
/// draws and where its keys come from: the binary gives it the terminal,
/// tests give it memory and a channel of keys.
pub async fn event_loop<H: Host>(
    host: &mut H,
    mut events: impl futures::Stream<Item = std::io::Result<Event>> + Unpin,
    jobs: Option<JobSignals>,
    mut app: App,
    cmds: mpsc::Sender<Command>,
    mut updates: mpsc::Receiver<Update>,
) -> std::io::Result<(TuiEnd, String)> {
    let (mut tstp, mut cont) = match jobs {
        Some(j) => (Some(j.tstp), Some(j.cont)),
        None => (None, None),
    };
    let size = host.terminal().size().map_err(backend_error)?;
    // The log pane's size, for the pty of a tty step before it starts.
    for c in app.update(Msg::Resize(size.width, size.height)) {
        let _ = cmds.send(c).await;
    }
    let mut frame = tokio::time::interval(FRAME);
    frame.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut batch = Vec::with_capacity(BATCH);
    let (found_tx, mut found_rx) = mpsc::channel(4);
    let mut last_draw = Instant::now();
    let mut drawn = false;
    let mut engine_done = false;
    // Set when the terminal's input ended or the terminal failed: the
    // stream is not polled again, and the SIGHUP a closed terminal sends is
    // waited for (see `Lost`).
    let mut lost = Lost::default();
    loop {
        // Keys first; then engine updates; then the clock. During a flood
        // updates are always ready and `biased` would never reach the tick,
        // so frames are also drawn from the update branch when one is due.
        let (out, draw_now) = tokio::select! {
            biased;
            ev = events.next(), if lost.at.is_none() => match ev {
                Some(Ok(ev)) => {
                    let is_key = matches!(ev, Event::Key(_));
                    let out = terminal_msg(ev).map(|m| app.update(m)).unwrap_or_default();
                    (out, is_key)
                }
                // The terminal is gone (its input failed or ended): a
                // finished session ends as its last screen would; one
                // still running waits for the SIGHUP a closed terminal
                // sends (an input error, EIO, can come before it).
                Some(Err(e)) if app.finished.is_some() => return terminal_gone(&mut app, e),
                None if app.finished.is_some() => return Ok(finish(&mut app)),
                ended => {
                    lost.begin(ended.and_then(Result::err));
                    (Vec::new(), false)
                }
            },
            () = lost_terminal(lost.at) => {
                let e = lost.error.take().unwrap_or_else(input_ended);
                return terminal_gone(&mut app, e);
            }
            _ = job(&mut tstp) => { app.suspend = true; (Vec::new(), false) }
            _ = job(&mut cont) => {
                // A closed terminal sends SIGHUP and SIGCONT.
                if let Err(e) = host.resume() {
                    if app.finished.is_some() {
                        return terminal_gone(&mut app, e);
                    }
                    lost.begin(Some(e));
                }
                app.dirty = true;
                (Vec::new(), true)
            }
            n = updates.recv_many(&mut batch, BATCH), if !engine_done => {
                if n == 0 {
                    // The engine is gone; a last screen may still wait for a key.
                    if app.finished.is_none() {
                        return Ok(finish(&mut app));
                    }
                    engine_done = true;
                }
                let asked = app.modal.as_ref().map(std::mem::discriminant);
                // What a record asks of the engine (a tty step's size as it
                // starts) goes back to it.
                let cmds: Vec<Command> =
                    batch.drain(..).flat_map(|u| app.update(Msg::Engine(u))).collect();
                // A question (a prompt, the end of the session) is put on
                // screen at once; output waits for the next frame.
                let asks = app.modal.as_ref().map(std::mem::discriminant);
                (cmds, asks.is_some() && asks != asked)
            },
            Some(f) = found_rx.recv() => {
                app.update(Msg::Found(f));
                (Vec::new(), true)
            },
            _ = frame.tick() => {
                app.update(Msg::Tick(chrono::Utc::now()));
                // A search's progress moves on screen.
                app.dirty |= app.searching.is_some();
                (Vec::new(), false)
            },
        };
        if let Some(job) = app.search_job.take() {
            let tx = found_tx.clone();
            tokio::task::spawn_blocking(move || {
                let _ = tx.blocking_send(search::run(job));
            });
        }
        if std::mem::take(&mut app.suspend) {
            host.suspend()?;
            app.dirty = true;
        }
        if std::mem::take(&mut app.redraw) {
            // As after a SIGCONT: cleared, and every cell painted again.
            if let Err(e) = host.resume() {
                lost.begin(Some(e));
            }
            app.dirty = true;
        }
        // A key, and a question the engine puts, are answered on screen
        // at once; everything else at most once per frame.
        let due = draw_now || last_draw.elapsed() >= FRAME * 9 / 10;
        if app.dirty && due && lost.error.is_none() {
            if !draw_now {
                app.update(Msg::Tick(chrono::Utc::now()));
            }
            if let Err(e) = host.terminal().draw(|f| view::render(f, &app)) {
                if app.finished.is_some() {
                    return terminal_gone(&mut app, backend_error(e));
                }
                lost.begin(Some(backend_error(e)));
            }
            app.dirty = false;
            last_draw = Instant::now();
            if !drawn {
                drawn = true;
                terminal::test_panic("after-first-draw");
            }
        }
        for c in out {
            if cmds.send(c).await.is_err() {
                return Ok(finish(&mut app));
            }
        }
        if let Some(end) = app.end.take() {
            return Ok((end, app.session.id.clone()));
        }
    }
}

fn backend_error(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// The terminal failed (most often: it was closed). A finished session
/// ends as its last screen would; otherwise the interface has failed.
fn terminal_gone(app: &mut App, e: std::io::Error) -> std::io::Result<(TuiEnd, String)> {
    if app.finished.is_some() {
        return Ok(finish(app));
    }
    Err(e)
}

/// The terminal, once lost while the session runs: its input ended or
/// failed, or drawing on it failed. A closed terminal also sends SIGHUP,
/// which the engine journals as the session's interruption; its input or
/// a draw can fail before the signal arrives, so the interface stops
/// using the terminal and waits for the engine to end, at most
/// [`INPUT_LOST_GRACE`], before it gives up (and the session is left).
#[derive(Default)]
struct Lost {
    /// When to give up waiting.
    at: Option<tokio::time::Instant>,
    /// The failure, reported if the wait runs out (none: the input ended).
    error: Option<std::io::Error>,
}

impl Lost {
    /// The terminal is lost from now (the first loss counts).
    fn begin(&mut self, error: Option<std::io::Error>) {
        if self.at.is_none() {
            self.at = Some(tokio::time::Instant::now() + INPUT_LOST_GRACE);
        }
        if self.error.is_none() {
            self.error = error;
        }
    }
}

/// Resolves at `deadline`, never without one.
async fn lost_terminal(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The terminal's input ended and no signal ended the session: nobody is
/// left to answer (a running step runs on; `resume` continues).
fn input_ended() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        "the terminal's input ended",
    )
}

fn finish(app: &mut App) -> (TuiEnd, String) {
    (
        app.end.take().unwrap_or(TuiEnd::Disconnected),
        app.session.id.clone(),
    )
}

fn terminal_msg(ev: Event) -> Option<Msg> {
    match ev {
        Event::Key(k) => Some(Msg::Key(k)),
        Event::Mouse(m) => Some(Msg::Mouse(m)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        Event::Paste(text) => Some(Msg::Paste(text)),
        _ => None,
    }
}
