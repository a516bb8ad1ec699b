//! The interactive checklist: a ratatui driver of the engine.
//!
//! Elm shape: `app` holds the state and `App::update` (no I/O), `view`
//! draws it (never mutates), `keymap` is the one key table, `widgets` has
//! one file per panel and modal. `run` is the only place that touches the
//! terminal and the channels: a `select!` over terminal events (handled
//! first), batches of engine updates, and a frame tick that draws only
//! when something changed. The engine decides what happens; this module
//! never duplicates its logic.

pub mod app;
pub mod history;
pub mod input_change;
pub mod keymap;
pub mod log;
pub mod log_view;
pub mod modal;
pub mod picker;
pub mod screen;
pub mod terminal;
pub mod theme;
pub mod view;
pub mod widgets;

pub use widgets::inputs_form::ask_inputs;

use crate::engine::command::{Command, Update};
use crate::session::state::Session;
use app::{App, Msg};
use crossterm::event::{Event, EventStream};
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
use tokio::sync::mpsc;

/// How the interface ended.
#[derive(Clone, Debug, PartialEq)]
pub enum TuiEnd {
    /// The operator left; the session can be resumed.
    Left,
    Completed,
    Aborted,
    /// A signal stopped the session.
    Interrupted(String),
    /// The engine could not go on (the message names the path).
    Failed(String),
    /// The engine went away without saying why.
    Disconnected,
}

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
    }
    let mut terminal = terminal::enter();
    let result = event_loop(&mut terminal, app, cmds, updates).await;
    terminal::leave();
    // The resume command is printed by the caller, with the session folder
    // and the transcript, once for every driver.
    result.map(|(end, _)| end)
}

/// Signals that concern the screen: SIGTSTP (suspend) and SIGCONT (redraw).
struct JobSignals {
    tstp: Signal,
    cont: Signal,
}

impl JobSignals {
    fn new() -> std::io::Result<JobSignals> {
        use nix::sys::signal::Signal as S;
        Ok(JobSignals {
            tstp: signal(SignalKind::from_raw(S::SIGTSTP as i32))?,
            cont: signal(SignalKind::from_raw(S::SIGCONT as i32))?,
        })
    }
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    mut app: App,
    cmds: mpsc::Sender<Command>,
    mut updates: mpsc::Receiver<Update>,
) -> std::io::Result<(TuiEnd, String)> {
    let size = terminal.size()?;
    app.update(Msg::Resize(size.width, size.height));
    let mut events = EventStream::new();
    let mut jobs = JobSignals::new()?;
    let mut frame = tokio::time::interval(FRAME);
    frame.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut batch = Vec::with_capacity(BATCH);
    let mut last_draw = Instant::now();
    let mut drawn = false;
    let mut engine_done = false;
    loop {
        // Keys first; then engine updates; then the clock. During a flood
        // updates are always ready and `biased` would never reach the tick,
        // so frames are also drawn from the update branch when one is due.
        let (out, draw_now) = tokio::select! {
            biased;
            ev = events.next() => match ev {
                Some(Ok(ev)) => {
                    let is_key = matches!(ev, Event::Key(_));
                    let out = terminal_msg(ev).map(|m| app.update(m)).unwrap_or_default();
                    (out, is_key)
                }
                Some(Err(e)) => return Err(e),
                None => (Vec::new(), false),
            },
            _ = jobs.tstp.recv() => { app.suspend = true; (Vec::new(), false) }
            _ = jobs.cont.recv() => { terminal::resume(terminal)?; app.dirty = true; (Vec::new(), true) }
            n = updates.recv_many(&mut batch, BATCH), if !engine_done => {
                if n == 0 {
                    // The engine is gone; a last screen may still wait for a key.
                    if app.finished.is_none() {
                        return Ok(finish(&mut app));
                    }
                    engine_done = true;
                }
                batch.drain(..).for_each(|u| { app.update(Msg::Engine(u)); });
                (Vec::new(), false)
            },
            _ = frame.tick() => {
                app.update(Msg::Tick(chrono::Utc::now()));
                (Vec::new(), false)
            },
        };
        if std::mem::take(&mut app.suspend) {
            terminal::suspend(terminal)?;
            app.dirty = true;
        }
        // A key is answered on screen at once; everything else at most
        // once per frame.
        if app.dirty && (draw_now || last_draw.elapsed() >= FRAME * 9 / 10) {
            if !draw_now {
                app.update(Msg::Tick(chrono::Utc::now()));
            }
            terminal.draw(|f| view::render(f, &app))?;
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
        _ => None,
    }
}
