//! Where a step's (already redacted) output goes: the attempt's log file,
//! the bounded `capture:` buffer, and the subscriber channel.
//!
//! The file is created on a blocking thread once the step's process is
//! spawned, while it runs (creating a file costs this disk about as much
//! as a quiet step's whole process; see docs/PERFORMANCE.md), after
//! [`check_log_path`] has refused a log that exists or a missing folder.
//! Output waits for the creation; so does the end of the attempt, so every
//! attempt that ended has its log. It is written as output arrives and
//! synced in the background while output flows, once [`SYNC_EVERY`] has
//! passed or [`SYNC_BYTES`] were written since the last sync, one sync at a
//! time, then once at the end: never per chunk, and never blocking the read
//! loop on a slow disk. The syncs of a flood keep the one at its end short:
//! this disk took 90–160 ms to make 78 MB durable at once, 5 ms for the
//! last piece (docs/PERFORMANCE.md, "The flood's sync").
//! A log write error does not stop the step (killing a half-done deploy
//! because the disk filled would be worse); it is reported in the outcome,
//! the file is cut back to the last whole chunk, and later chunks say they
//! are not `logged` (the engine then stops the session after the step).

use crate::session::event::Stream;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Most stdout kept for `capture:`; the log file has all of it.
pub const CAPTURE_LIMIT: usize = 1024 * 1024;

/// A piece of output, already redacted, stored in the log at
/// `offset..offset + bytes.len()` when `logged`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub stream: Stream,
    pub offset: u64,
    pub bytes: Vec<u8>,
    /// Whether the bytes are in the log file: `false` once a write to it
    /// failed (disk full); the chunk is then only live output.
    pub logged: bool,
}

/// How often the log file is synced while output flows.
pub const SYNC_EVERY: Duration = Duration::from_secs(1);

/// How much output written since the last sync starts the next one before
/// [`SYNC_EVERY`] has passed.
pub const SYNC_BYTES: u64 = 2 * 1024 * 1024;

/// Before a spawn: the log does not exist and its folder exists and is
/// writable (cheap checks; the creation itself comes later, and should it
/// still fail, the step runs on and the session stops after it, as for a
/// full disk).
pub(super) fn check_log_path(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("the log {} already exists", path.display()),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
                return Ok(());
            };
            if !dir.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("the output folder {} does not exist", dir.display()),
                ));
            }
            nix::unistd::access(dir, nix::unistd::AccessFlags::W_OK).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!("the output folder {} is not writable: {e}", dir.display()),
                )
            })
        }
        Err(e) => Err(e),
    }
}

/// Creates the log file: it must not exist yet (a symbolic link counts),
/// and is 0600 from the start.
fn create_log(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
}

/// What the sink leaves behind.
pub(super) struct Written {
    pub len: u64,
    pub stdout: Option<Vec<u8>>,
    pub error: Option<io::Error>,
}

pub(super) struct Sink {
    path: PathBuf,
    /// The creation under way (see the module doc), then the file.
    creating: Option<oneshot::Receiver<io::Result<File>>>,
    file: Option<Arc<File>>,
    offset: u64,
    out: Option<mpsc::Sender<Chunk>>,
    capture: Option<Vec<u8>>,
    /// Stdout is kept for the capture only (see `Spec::hide_stdout`).
    hide_stdout: bool,
    /// Stdout bytes kept out of the log and off the screen.
    hidden: u64,
    last_sync: Instant,
    /// Bytes in the file when the last sync started.
    synced_len: u64,
    syncing: Option<JoinHandle<io::Result<()>>>,
    error: Option<io::Error>,
}

/// The log being created (on a blocking thread).
pub(super) type Creating = oneshot::Receiver<io::Result<File>>;

/// Creates the log on a blocking thread; the file comes back as soon as
/// it exists. The same thread then makes the next attempt's note ahead
/// (see `survivor`), while this attempt runs rather than between two
/// steps, and without the attempt's end waiting for it.
pub(super) fn create_beside(path: PathBuf) -> Creating {
    let (tx, rx) = oneshot::channel();
    drop(tokio::task::spawn_blocking(move || {
        let _ = tx.send(create_log(&path));
        super::survivor::prepare_note_ahead(&path);
    }));
    rx
}

impl Sink {
    pub(super) fn new(
        path: PathBuf,
        out: mpsc::Sender<Chunk>,
        capture: bool,
        hide_stdout: bool,
    ) -> Self {
        let creating = create_beside(path.clone());
        Sink::created_ahead(path, creating, out, capture, hide_stdout)
    }

    /// A sink on a log whose creation was started earlier (a held step's,
    /// while it waited: see `early`).
    pub(super) fn created_ahead(
        path: PathBuf,
        creating: Creating,
        out: mpsc::Sender<Chunk>,
        capture: bool,
        hide_stdout: bool,
    ) -> Self {
        Sink {
            creating: Some(creating),
            path,
            file: None,
            offset: 0,
            out: Some(out),
            capture: capture.then(Vec::new),
            hide_stdout,
            hidden: 0,
            last_sync: Instant::now(),
            synced_len: 0,
            syncing: None,
            error: None,
        }
    }

    /// Keeps raw stdout (up to [`CAPTURE_LIMIT`]) for `capture:`.
    pub(super) fn keep_for_capture(&mut self, raw: &[u8]) {
        if self.hide_stdout {
            self.hidden += raw.len() as u64;
        }
        if let Some(kept) = self.capture.as_mut() {
            let room = CAPTURE_LIMIT.saturating_sub(kept.len());
            kept.extend_from_slice(&raw[..room.min(raw.len())]);
        }
    }

    pub(super) fn hides_stdout(&self) -> bool {
        self.hide_stdout
    }

    /// What the log shows instead of hidden stdout.
    pub(super) fn hidden_note(&self) -> Option<Vec<u8>> {
        (self.hide_stdout && self.hidden > 0).then(|| {
            format!(
                "[stdout: {} bytes kept as a secret capture, not shown]\n",
                self.hidden
            )
            .into_bytes()
        })
    }

    /// Appends redacted bytes to the log; returns the chunk
    /// to publish, placed at its offset in the file.
    pub(super) fn record(&mut self, stream: Stream, bytes: Vec<u8>) -> Chunk {
        let offset = self.offset;
        let mut logged = false;
        if let Some(file) = self.file_for_writing() {
            match (&*file).write_all(&bytes) {
                Ok(()) => {
                    self.offset += bytes.len() as u64;
                    logged = true;
                }
                Err(e) => {
                    // Cut a partly written chunk: the file then holds
                    // exactly `offset` bytes, all of them recorded.
                    let _ = file.set_len(self.offset);
                    self.error = Some(e);
                }
            }
        }
        self.maybe_sync();
        Chunk {
            stream,
            offset,
            bytes,
            logged,
        }
    }

    /// Sends a chunk to the subscriber, waiting for room (backpressure)
    /// unless `stop` is raised. A gone subscriber is dropped for good; once
    /// stopped, a chunk without room is dropped (the file has it).
    pub(super) async fn publish(&mut self, chunk: Chunk, stop: &mut watch::Receiver<bool>) {
        let Some(tx) = self.out.as_ref() else { return };
        let gone = if *stop.borrow() {
            matches!(
                tx.try_send(chunk),
                Err(mpsc::error::TrySendError::Closed(_))
            )
        } else {
            tokio::select! {
                sent = tx.send(chunk) => sent.is_err(),
                _ = stop.wait_for(|stopped| *stopped) => false,
            }
        };
        if gone {
            self.out = None;
        }
    }

    /// Waits for the log's creation, if it is still under way.
    pub(super) async fn ready(&mut self) {
        let Some(creating) = self.creating.take() else {
            return;
        };
        let gone = |_| Err(io::Error::other("the thread creating it ended first"));
        match creating.await.unwrap_or_else(gone) {
            Ok(f) => self.file = Some(Arc::new(f)),
            Err(e) => {
                let what = format!("cannot create the log {}: {e}", self.path.display());
                self.error.get_or_insert(io::Error::new(e.kind(), what));
            }
        }
    }

    /// Bytes written to the log so far.
    pub(super) fn offset(&self) -> u64 {
        self.offset
    }

    /// Whether output still goes to the log (no write to it failed).
    pub(super) fn logging(&self) -> bool {
        self.error.is_none()
    }

    /// The open log; `None` before [`Sink::ready`] or once writing failed.
    fn file_for_writing(&self) -> Option<Arc<File>> {
        self.file.clone().filter(|_| self.error.is_none())
    }

    /// When the next background sync is due: [`SYNC_EVERY`] after the last
    /// one, while written output is not yet synced. The read loop waits for
    /// it too, so output followed by silence is still synced within a
    /// second, not only at the step's end.
    pub(super) fn sync_due(&self) -> Option<Instant> {
        if self.file.is_none() || self.offset == self.synced_len {
            return None;
        }
        let due = self.last_sync + SYNC_EVERY;
        if self.syncing.as_ref().is_some_and(|h| !h.is_finished()) {
            // Look again shortly: the previous sync is still running.
            return Some(due.max(Instant::now() + Duration::from_millis(50)));
        }
        Some(due)
    }

    /// Starts a background sync if one is due: [`SYNC_EVERY`] after the
    /// last, or once [`SYNC_BYTES`] are waiting (see [`Sink::sync_due`]).
    pub(super) fn maybe_sync(&mut self) {
        let waiting = self.offset - self.synced_len;
        if waiting == 0 || (self.last_sync.elapsed() < SYNC_EVERY && waiting < SYNC_BYTES) {
            return;
        }
        let Some(file) = self.file.clone() else {
            return;
        };
        if let Some(previous) = self.syncing.take() {
            if !previous.is_finished() {
                self.syncing = Some(previous); // still running: no pile-up
                return;
            }
            if let Some(result) = futures::FutureExt::now_or_never(join(previous)) {
                self.note(result);
            }
        }
        self.syncing = Some(tokio::task::spawn_blocking(move || file.sync_data()));
        self.last_sync = Instant::now();
        self.synced_len = self.offset;
    }

    /// Waits for any background sync, syncs once more, and hands back what
    /// was written.
    pub(super) async fn finish(mut self) -> Written {
        self.ready().await;
        if let Some(pending) = self.syncing.take() {
            self.note(join(pending).await);
        }
        // A step that printed nothing (or nothing since the last sync)
        // leaves nothing to make durable: no fsync per quiet step.
        if let Some(file) = self.file.clone().filter(|_| self.offset > self.synced_len) {
            self.note(join(tokio::task::spawn_blocking(move || file.sync_data())).await);
        }
        Written {
            len: self.offset,
            stdout: self.capture,
            error: self.error,
        }
    }

    fn note(&mut self, result: io::Result<()>) {
        if let Err(e) = result {
            self.error.get_or_insert(e);
        }
    }
}

async fn join(handle: JoinHandle<io::Result<()>>) -> io::Result<()> {
    handle.await.unwrap_or_else(|e| Err(io::Error::other(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink on `s.1.log` in a fresh folder, its log created; the folder
    /// and the subscriber's end are kept alive by the caller.
    async fn ready_sink() -> (tempfile::TempDir, mpsc::Receiver<Chunk>, Sink) {
        let dir = tempfile::tempdir().unwrap();
        let (tx, rx) = mpsc::channel(8);
        let mut sink = Sink::new(dir.path().join("s.1.log"), tx, false, false);
        sink.ready().await;
        (dir, rx, sink)
    }

    #[tokio::test(start_paused = true)]
    async fn output_followed_by_silence_is_synced_within_a_second() {
        let (dir, _rx, mut sink) = ready_sink().await;
        assert_eq!(sink.sync_due(), None, "nothing written, nothing due");
        sink.record(Stream::Stdout, b"hello\n".to_vec());
        let due = sink.sync_due().expect("unsynced output has a sync due");
        assert!(due <= Instant::now() + SYNC_EVERY);
        tokio::time::sleep_until(due).await;
        sink.maybe_sync();
        assert_eq!(sink.sync_due(), None, "the sync covered everything");
        let written = sink.finish().await;
        assert!(written.error.is_none());
        assert_eq!(
            std::fs::read(dir.path().join("s.1.log")).unwrap(),
            b"hello\n"
        );
    }

    /// A flood is synced as it is written, not all at the end: once
    /// [`SYNC_BYTES`] are waiting, a sync starts though [`SYNC_EVERY`] has
    /// not passed; below that, none does.
    #[tokio::test(start_paused = true)]
    async fn a_flood_is_synced_every_few_megabytes_not_only_at_its_end() {
        let (_dir, _rx, mut sink) = ready_sink().await;
        let piece = vec![b'x'; 1024 * 1024];
        let pieces = SYNC_BYTES as usize / piece.len();
        for _ in 1..pieces {
            sink.record(Stream::Stdout, piece.clone());
        }
        assert_eq!(sink.synced_len, 0, "below SYNC_BYTES, no sync yet");
        sink.record(Stream::Stdout, piece.clone());
        assert_eq!(sink.sync_due(), None, "SYNC_BYTES waiting started a sync");
        assert_eq!(sink.synced_len, SYNC_BYTES);
        let written = sink.finish().await;
        assert!(written.error.is_none());
        assert_eq!(written.len, SYNC_BYTES);
    }

    /// The read-only case is checked only when the tests do not run as root
    /// (root may write anywhere, so its `access` says yes).
    #[tokio::test]
    async fn an_existing_log_or_a_missing_folder_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("s.1.log");
        assert!(check_log_path(&log).is_ok());
        std::fs::write(&log, "earlier").unwrap();
        let exists = check_log_path(&log).unwrap_err();
        assert_eq!(exists.kind(), io::ErrorKind::AlreadyExists);
        let missing = check_log_path(&dir.path().join("gone/s.1.log")).unwrap_err();
        assert!(missing.to_string().contains("does not exist"), "{missing}");
        let ro = dir.path().join("ro");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o500)).unwrap();
        if !nix::unistd::Uid::effective().is_root() {
            let denied = check_log_path(&ro.join("s.1.log")).unwrap_err();
            assert!(denied.to_string().contains("not writable"), "{denied}");
        }
    }
}
