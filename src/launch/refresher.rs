//! The transcript kept fresh while a session runs, so a crash still
//! leaves a recent one. Reads the journal; never appends to it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::time::Duration;

/// How often, at most, the transcript is rewritten while a session runs.
const TRANSCRIPT_EVERY: Duration = Duration::from_secs(1);
/// How long a rewrite waits after the step that asked for it settled.
/// Steps settling meanwhile go into the same rewrite, and a session that
/// ends meanwhile (its last step settled) is not rewritten twice on its
/// way out: `report_end` writes the final transcript after joining this
/// thread, which then ends without writing (two fsyncs, and a read of the
/// whole journal, off the end of every short session).
const SETTLE: Duration = Duration::from_millis(250);

/// Rewrites the session folder's transcript from the journal after steps
/// settle, so a crash still leaves a recent one.
///
/// The hook only signals a background thread, which rewrites the file
/// [`SETTLE`] after a signal, at most once per [`TRANSCRIPT_EVERY`], and
/// always after the last signal (coalescing a burst of steps): rewriting
/// it after every step made a runbook of many quick steps quadratic (each
/// rewrite reads every attempt's log tail) and put two fsyncs on the
/// engine's path. When the engine drops the hook, the thread ends without
/// writing: the final transcript is written by `report::report_end` after
/// joining it. The part of the journal `checked` when the session was
/// taken up is not hashed again.
pub fn transcript_refresher(
    dir: PathBuf,
    checked: Option<crate::session::journal::Checked>,
) -> (Box<dyn Fn() + Send + Sync>, std::thread::JoinHandle<()>) {
    use std::sync::mpsc::{RecvTimeoutError, sync_channel};
    let (tx, rx) = sync_channel::<()>(1);
    let asks = Asks::new(tx);
    let pending = asks.asked.clone();
    let worker = std::thread::spawn(move || {
        let mut last: Option<std::time::Instant> = None;
        while rx.recv().is_ok() {
            let settled = std::time::Instant::now() + SETTLE;
            let due = last.map_or(settled, |t| (t + TRANSCRIPT_EVERY).max(settled));
            while let Some(wait) = due.checked_duration_since(std::time::Instant::now()) {
                match rx.recv_timeout(wait) {
                    Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
            // From here, a step that settles asks for the next rewrite.
            pending.store(false, Ordering::Release);
            let saved = crate::session::verify::read_after(&dir, checked.as_ref())
                .and_then(|c| save_loaded(&dir, None, c));
            if let Err(e) = saved {
                crate::say!("warning: the transcript could not be refreshed: {e}");
            }
            last = Some(std::time::Instant::now());
        }
    });
    let hook = Box::new(move || {
        asks.ask();
    });
    (hook, worker)
}

/// The hook's side of the refresher: it wakes the thread once per rewrite.
/// While a rewrite is asked for and has not started reading the journal,
/// the steps settling meanwhile are in it and wake nobody (a wake-up of
/// another thread on every step of a quick run, for nothing).
struct Asks {
    asked: Arc<AtomicBool>,
    tx: SyncSender<()>,
}

impl Asks {
    fn new(tx: SyncSender<()>) -> Asks {
        Asks {
            asked: Arc::default(),
            tx,
        }
    }

    /// Asks for a rewrite; whether this woke the thread.
    fn ask(&self) -> bool {
        !self.asked.swap(true, Ordering::AcqRel) && self.tx.try_send(()).is_ok()
    }
}

/// Writes the Markdown transcript (session folder, and `extra` if given)
/// of a session folder read and checked.
pub fn save_loaded(
    dir: &Path,
    extra: Option<&Path>,
    checked: crate::session::verify::Checked,
) -> Result<Vec<PathBuf>, String> {
    let session = &checked.session;
    let mut ctx = crate::transcript::load_context(dir, session, checked.records)
        .map_err(|e| e.to_string())?;
    ctx.integrity = Some(checked.integrity);
    ctx.verify = crate::invocation::verify(dir);
    crate::transcript::save(dir, extra, session, &ctx).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_settling_before_the_rewrite_reads_wake_the_thread_once() {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let asks = Asks::new(tx);
        assert!(asks.ask(), "the first step wakes the thread");
        assert!(
            !asks.ask() && !asks.ask(),
            "the next ones are in the same rewrite"
        );
        assert!(rx.try_recv().is_ok());
        assert!(rx.try_recv().is_err(), "one wake-up, not three");
        // The thread starts reading: a step settling now needs a new one.
        asks.asked.store(false, Ordering::Release);
        assert!(asks.ask());
        assert!(rx.try_recv().is_ok());
    }
}
