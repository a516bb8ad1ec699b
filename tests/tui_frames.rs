//! When the interface draws: the real event loop on a screen in memory
//! that notes the (paused, tokio) time of every frame it is given.
//! Output is drawn at most once per frame; a question the engine puts
//! (here the end of the session) at once, not at the next frame.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use stepwise::engine::command::{End, Update};
use stepwise::session::state::Session;
use stepwise::tui::app::App;
use stepwise::tui::{Host, event_loop};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Every frame flushed: when, and the screen's text.
type Frames = Arc<Mutex<Vec<(Instant, String)>>>;

/// A `TestBackend` that notes each frame at its flush.
struct Noting {
    inner: TestBackend,
    frames: Frames,
}

impl Backend for Noting {
    type Error = std::convert::Infallible;
    fn draw<'a, I: Iterator<Item = (u16, u16, &'a Cell)>>(
        &mut self,
        c: I,
    ) -> Result<(), Self::Error> {
        self.inner.draw(c)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, p: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(p)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, t: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(t)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        let text = format!("{}", self.inner);
        self.frames.lock().unwrap().push((Instant::now(), text));
        self.inner.flush()
    }
}

struct NotingHost(Terminal<Noting>);

impl Host for NotingHost {
    type Backend = Noting;
    fn terminal(&mut self) -> &mut Terminal<Noting> {
        &mut self.0
    }
    fn suspend(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    fn resume(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const RUNBOOK: &str = "runbook: 1\nid: t\ntitle: T\nsections:\n  - title: S\n    steps:\n      - title: Build\n        run: make\n";

/// The loop on the noting screen, with updates and keys sent by the
/// test; returns the frames and the senders.
fn start() -> (
    Frames,
    mpsc::Sender<Update>,
    mpsc::UnboundedSender<std::io::Result<Event>>,
) {
    let runbook = stepwise::runbook::load::load_str("t.yaml", RUNBOOK).unwrap();
    let app = App::new(Session::new(runbook), vec![], chrono::Utc::now(), false);
    let frames: Frames = Arc::default();
    let backend = Noting {
        inner: TestBackend::new(80, 24),
        frames: Arc::clone(&frames),
    };
    let (up_tx, up_rx) = mpsc::channel(16);
    let (cmd_tx, mut cmd_rx) = mpsc::channel(16);
    let (keys_tx, keys_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move { while cmd_rx.recv().await.is_some() {} });
    tokio::spawn(async move {
        let mut host = NotingHost(Terminal::new(backend).unwrap());
        let keys =
            futures::stream::unfold(
                keys_rx,
                |mut rx| async move { rx.recv().await.map(|k| (k, rx)) },
            );
        let _ = event_loop(&mut host, Box::pin(keys), None, app, cmd_tx, up_rx).await;
    });
    (frames, up_tx, keys_tx)
}

/// The first frame that shows `text`, waiting (in paused time; at most
/// 30 s of real time) for it.
async fn first_showing(frames: &Frames, text: &str) -> Instant {
    let give_up = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < give_up {
        let found = frames
            .lock()
            .unwrap()
            .iter()
            .find(|(_, screen)| screen.contains(text))
            .map(|(at, _)| *at);
        if let Some(at) = found {
            return at;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("no frame showed {text:?}");
}

/// Sends the end of the session and checks its frame came before the
/// paused clock moved (a frame that waits for the next tick is drawn at
/// least a tick, 33 ms of this clock, after the update that made it due).
async fn end_is_drawn_at_once(frames: &Frames, updates: &mpsc::Sender<Update>) {
    let sent = Instant::now();
    updates.send(Update::Ended(End::Completed)).await.unwrap();
    let drawn = first_showing(frames, "Session completed").await;
    assert!(
        drawn - sent < Duration::from_millis(5),
        "drawn {:?} after the update",
        drawn - sent
    );
}

#[tokio::test(start_paused = true)]
async fn the_end_of_the_session_is_drawn_at_once_not_at_the_next_frame() {
    let (frames, updates, _keys) = start();
    // The first screen, so that the next draw would have to wait a frame.
    first_showing(&frames, "Build").await;
    end_is_drawn_at_once(&frames, &updates).await;
}

/// The same when the question replaces another window (here the help,
/// opened with `?`).
#[tokio::test(start_paused = true)]
async fn the_end_of_the_session_over_the_help_is_drawn_at_once() {
    let (frames, updates, keys) = start();
    first_showing(&frames, "Build").await;
    let help = KeyEvent::new(KeyCode::Char('?'), KeyModifiers::NONE);
    keys.send(Ok(Event::Key(help))).unwrap();
    first_showing(&frames, "Help").await;
    end_is_drawn_at_once(&frames, &updates).await;
}
