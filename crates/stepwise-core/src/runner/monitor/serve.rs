//! The monitor's body: what `stepwise __monitor` runs, detached from
//! stepwise (own session, no terminal, stdio on `/dev/null`).
//!
//! It reads the spec from the socket it inherited as fd 0 (or was handed
//! by the spawner it was forked from, `zygote`), runs the step
//! with `engine::process::run` (which masks secrets, writes the log,
//! enforces the timeout and SIGTERM → grace → SIGKILL, reaps and ends
//! leftovers), forwards each chunk to the attached stepwise, if any, and
//! accepts a new stepwise on its socket (which first names the log offset
//! it has; the rest is sent from the log file, then live output). When the
//! step has ended it sends the exit to the attached stepwise and waits at
//! most [`LINGER`] for it to acknowledge the exit as journalled; only when
//! no acknowledgement came does it write the exit file beside the log,
//! durably (fsync of it and its folder), and exit. It never touches the
//! journal.
//!
//! Before it runs anything it binds its socket (its claim on the attempt,
//! see `files`) and then checks that the stepwise that sent the spec is
//! still there: a monitor whose stepwise died before that point exits
//! without running the step, so a resume that finds no monitor, no exit
//! and no process-group note knows the attempt never started. Then it says
//! `Claimed`, and starts the step.
//!
//! Once the exit is acknowledged, the attempt's socket is let go (nothing
//! can re-attach to that attempt: its exit is in the journal), and the
//! process is a spare again: the stepwise that kept the connection may
//! send the next attempt's spec on it (it saves a fork, a runtime and the
//! page faults of a new process per step), or hang up, and the monitor
//! exits. At most [`ATTEMPTS_PER_MONITOR`] attempts run in one process.

use super::files;
use super::record::{ExitRecord, WireSpec, next_switch, stream_at};
use super::wire::{self, Frame};
use crate::engine::process::survivor::ProcStat;
use crate::engine::process::{self, Chunk};
use crate::runner::seam::TtyInput;
use crate::session::event::Stream;
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::net::UnixListener;
use tokio::net::unix::OwnedWriteHalf;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::AbortHandle;

/// How long a monitor waits, after sending the exit, for stepwise to
/// acknowledge it as journalled (or hang up).
pub const LINGER: Duration = Duration::from_millis(800);
/// How many attempts one monitor process runs, one after another (each
/// time its stepwise acknowledged the last exit and kept the connection
/// for the next spec), before it exits instead: bounds what one process
/// gathers over a long session.
pub const ATTEMPTS_PER_MONITOR: u32 = 100;
/// Output read back from the log per frame when a stepwise re-attaches.
const CATCH_UP: u64 = 64 * 1024;

/// Runs a monitor on `sock` (the spec comes first on it); its exit code.
pub fn serve_socket(sock: std::os::unix::net::UnixStream) -> i32 {
    // Forked by the spawner or exec'd, a monitor leads its own session
    // (checked: `stepwise __monitor` typed in a shell does not) and never
    // opens a terminal as its own.
    let (sid, pid) = (nix::unistd::getsid(None), nix::unistd::getpid());
    if sid == Ok(pid) && !has_terminal() {
        process::leads_own_session_without_terminal();
    }
    if sock.set_nonblocking(true).is_err() {
        return 2;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    match rt {
        Ok(rt) => rt.block_on(serve(sock)).map_or(1, |()| 0),
        Err(_) => 1,
    }
}

/// Whether this process has a controlling terminal (unknown counts as
/// having one).
fn has_terminal() -> bool {
    ProcStat::read(Path::new("/proc/self")).is_none_or(|s| s.tty_nr != 0)
}

/// An attempt's spec as stepwise sent it: `held` until stepwise says
/// [`Frame::Go`] (see [`Frame::HeldSpec`]).
struct Given {
    json: Vec<u8>,
    held: bool,
}

/// Events from the clients' readers, by connection number.
enum FromClient {
    Frame(u64, Frame),
    Closed(u64),
}

struct Monitor {
    /// Keys and sizes for the step's pty (a `tty: true` step with a
    /// person at the screen); `None` otherwise.
    keys: Option<mpsc::Sender<TtyInput>>,
    log: PathBuf,
    /// The attached stepwise: its connection number and writing end.
    client: Option<(u64, OwnedWriteHalf)>,
    /// Connections that have not said hello yet.
    waiting: HashMap<u64, OwnedWriteHalf>,
    /// The task reading each open connection.
    readers: HashMap<u64, AbortHandle>,
    next_id: u64,
    events: mpsc::Sender<FromClient>,
    cancel: watch::Sender<bool>,
    offset: u64,
    runs: Vec<(u64, Stream)>,
    /// The attached stepwise has the exit durably in its journal.
    acked: bool,
}

async fn serve(sock: std::os::unix::net::UnixStream) -> io::Result<()> {
    let mut sock = tokio::net::UnixStream::from_std(sock)?;
    // The thread that will create the log, started while no spec is here
    // yet (a spare monitor waits here between two steps; see `client`). An
    // idle blocking thread ends after 10 s: a spare that waited longer
    // starts another one, as a monitor without a spare would.
    drop(tokio::task::spawn_blocking(|| ()));
    let spec = match wire::read(&mut sock).await? {
        Some(Frame::Spec(json)) => Given { json, held: false },
        Some(Frame::HeldSpec(json)) => Given { json, held: true },
        _ => return Err(io::Error::other("no spec from stepwise")),
    };
    let (events, mut from_clients) = mpsc::channel(16);
    let mut m = Monitor::new(events);
    // The inherited socket is attached from the start, at offset 0.
    let first = m.add(sock);
    m.attach(first, 0).await;
    let mut next = Some(spec);
    for n in 1..=ATTEMPTS_PER_MONITOR {
        let Some(given) = next.take() else { break };
        if !m.run_attempt(given, &mut from_clients).await? || n == ATTEMPTS_PER_MONITOR {
            break;
        }
        next = m.next_spec(&mut from_clients).await;
    }
    Ok(())
}

impl Monitor {
    fn new(events: mpsc::Sender<FromClient>) -> Monitor {
        Monitor {
            keys: None,
            log: PathBuf::new(),
            client: None,
            waiting: HashMap::new(),
            readers: HashMap::new(),
            next_id: 0,
            events,
            cancel: watch::channel(false).0,
            offset: 0,
            runs: Vec::new(),
            acked: false,
        }
    }

    /// Runs one attempt, from its spec to its exit; whether this monitor
    /// may serve another (its stepwise acknowledged the exit and kept the
    /// connection).
    async fn run_attempt(
        &mut self,
        given: Given,
        from_clients: &mut mpsc::Receiver<FromClient>,
    ) -> io::Result<bool> {
        let Given { mut json, held } = given;
        let spec = serde_json::from_slice::<WireSpec>(&json).map(WireSpec::into_spec);
        // The spec's text (its secrets) is not kept while this process
        // waits as a spare; the spec itself goes with this attempt.
        json.fill(0);
        drop(json);
        let spec = spec.map_err(io::Error::other)?;
        let log = spec.log_path.clone();
        let (redactor, hidden) = (spec.redactor.clone(), spec.hide_stdout);
        // Without its socket nothing could find this monitor again: the
        // step is not started, and stepwise hears why.
        let listener = match listen(&log) {
            Ok(l) => l,
            Err(e) => {
                let record = ExitRecord::from_outcome(&Err(e), chrono::Utc::now(), Vec::new());
                let json = serde_json::to_vec(&record).map_err(io::Error::other)?;
                self.send(Frame::Exit(json)).await;
                return Ok(false);
            }
        };
        let (cancel, cancel_rx) = watch::channel(false);
        let (tx, mut chunks) = mpsc::channel(8);
        let (keys, keys_rx) = key_channel(spec.tty && spec.interactive);
        self.begin(log.clone(), keys, cancel);
        // Spawned now, its command held until the release below: a bash
        // step starts while stepwise makes its start durable (see
        // `process::hold`); any other waits unspawned.
        let (release, released) = oneshot::channel();
        let run = process::run_released(spec, tx, cancel_rx, keys_rx, Some(released));
        let task = tokio::spawn(run);
        // Ready; a held attempt waits for stepwise's word that its start
        // is in the journal. Claimed; a stepwise that died before this
        // point never saw the step start and will never follow it: run
        // nothing (a resume runs it).
        if (held && !self.go_ahead(from_clients).await) || self.client_hung_up() {
            drop(release);
            let _ = task.await;
            return Ok(false);
        }
        self.send(Frame::Claimed).await;
        let started_at = chrono::Utc::now();
        let _ = release.send(());
        loop {
            tokio::select! {
                chunk = chunks.recv() => match chunk {
                    Some(c) => self.forward(c).await,
                    None => break,
                },
                conn = listener.accept() => if let Ok((s, _)) = conn
                    && files::same_user_peer(&s).is_some()
                {
                    self.add(s);
                },
                Some(ev) = from_clients.recv() => self.on_client(ev).await,
            }
        }
        let result = task
            .await
            .unwrap_or_else(|e| Err(io::Error::other(e.to_string())));
        let record = ExitRecord::from_outcome(&result, started_at, self.runs.clone());
        // The exit goes to the attached stepwise first (it journals it
        // durably itself). Unless that stepwise acknowledges, while this
        // monitor lingers, that its journal has the exit durably, the exit
        // file is written and made durable (fsync of it and its folder)
        // before this monitor exits: for a stepwise that is not attached,
        // or dies before its journal has the exit. The socket goes after
        // the file: a re-attaching stepwise that sees it close finds the
        // file.
        let json = serde_json::to_vec(&record).map_err(io::Error::other)?;
        self.send(Frame::Exit(json)).await;
        self.linger(from_clients).await;
        if !self.acked {
            let on_disk = serde_json::to_vec(&record.for_disk(&redactor, hidden))
                .map_err(io::Error::other)?;
            files::place_exit(&log, &on_disk).and_then(|f| files::sync_exit(&log, f))?;
        }
        drop(listener);
        // The next attempt's note was made ahead while this one ran (by
        // the thread that created its log: see `process::sink`).
        Ok(self.acked && self.client.is_some())
    }

    /// The attempt's own state, fresh.
    fn begin(
        &mut self,
        log: PathBuf,
        keys: Option<mpsc::Sender<TtyInput>>,
        cancel: watch::Sender<bool>,
    ) {
        (self.log, self.keys, self.cancel) = (log, keys, cancel);
        (self.offset, self.acked) = (0, false);
        self.runs.clear();
    }

    /// Whether the attached stepwise has gone (or none is attached).
    fn client_hung_up(&self) -> bool {
        self.client
            .as_ref()
            .is_none_or(|(_, wr)| files::hung_up(wr.as_ref()))
    }

    /// Between two attempts, a spare again: the connections that came for
    /// the last attempt are closed, and the next spec from the attached
    /// stepwise is awaited; `None` when it hangs up instead.
    async fn next_spec(&mut self, from_clients: &mut mpsc::Receiver<FromClient>) -> Option<Given> {
        self.waiting.clear();
        let client = self.client.as_ref().map(|(id, _)| *id);
        self.readers.retain(|id, reader| {
            let keep = Some(*id) == client;
            if !keep {
                reader.abort();
            }
            keep
        });
        (self.keys, self.log) = (None, PathBuf::new());
        while let Some(ev) = from_clients.recv().await {
            match ev {
                FromClient::Frame(id, Frame::Spec(json)) if self.is_client(id) => {
                    return Some(Given { json, held: false });
                }
                FromClient::Frame(id, Frame::HeldSpec(json)) if self.is_client(id) => {
                    return Some(Given { json, held: true });
                }
                FromClient::Closed(id) if self.is_client(id) => return None,
                _ => {}
            }
        }
        None
    }

    /// Waits for the attached stepwise's [`Frame::Go`]: `false` when it
    /// hangs up (or sends anything else) instead, and the attempt must
    /// not run.
    async fn go_ahead(&mut self, from_clients: &mut mpsc::Receiver<FromClient>) -> bool {
        while let Some(ev) = from_clients.recv().await {
            match ev {
                FromClient::Frame(id, Frame::Go) if self.is_client(id) => return true,
                FromClient::Frame(id, _) | FromClient::Closed(id) if self.is_client(id) => {
                    return false;
                }
                _ => {}
            }
        }
        false
    }
}

/// Binds the monitor's socket (no file: an abstract name).
fn listen(log: &Path) -> io::Result<UnixListener> {
    let listener = files::bind(log).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "cannot open the socket of the step's monitor for {}: {e}. The step was not \
                 started",
                log.display()
            ),
        )
    })?;
    listener.set_nonblocking(true)?;
    UnixListener::from_std(listener)
}

impl Monitor {
    /// Takes a new connection: its frames are read on a task of their own.
    fn add(&mut self, s: tokio::net::UnixStream) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let (mut rd, wr) = s.into_split();
        self.waiting.insert(id, wr);
        let events = self.events.clone();
        let reader = tokio::spawn(async move {
            while let Ok(Some(f)) = wire::read(&mut rd).await {
                if events.send(FromClient::Frame(id, f)).await.is_err() {
                    return;
                }
            }
            let _ = events.send(FromClient::Closed(id)).await;
        });
        self.readers.insert(id, reader.abort_handle());
        id
    }

    async fn on_client(&mut self, ev: FromClient) {
        match ev {
            FromClient::Frame(id, Frame::Hello { from }) => self.attach(id, from).await,
            FromClient::Frame(id, f) if self.is_client(id) => match f {
                Frame::Cancel => {
                    let _ = self.cancel.send(true);
                }
                Frame::Input(_) | Frame::Resize { .. } => self.forward_input(f),
                Frame::Ack => self.acked = true,
                _ => {}
            },
            FromClient::Frame(..) => {}
            FromClient::Closed(id) => {
                self.waiting.remove(&id);
                self.readers.remove(&id);
                if self.is_client(id) {
                    self.client = None;
                }
            }
        }
    }

    fn is_client(&self, id: u64) -> bool {
        self.client.as_ref().is_some_and(|(c, _)| *c == id)
    }

    /// Makes connection `id` the attached stepwise (a newer one replaces
    /// an older), and sends it the log from `from` to what was forwarded.
    async fn attach(&mut self, id: u64, from: u64) {
        let Some(wr) = self.waiting.remove(&id) else {
            return;
        };
        self.client = Some((id, wr));
        let mut at = from.min(self.offset);
        while at < self.offset {
            let end = next_switch(&self.runs, at)
                .unwrap_or(u64::MAX)
                .min(at + CATCH_UP)
                .min(self.offset);
            let Ok(bytes) = files::read_at(&self.log, at, end - at) else {
                break;
            };
            let chunk = Chunk {
                stream: stream_at(&self.runs, at),
                offset: at,
                bytes,
                logged: true,
            };
            self.send(Frame::Chunk(chunk)).await;
            at = end;
        }
    }

    async fn forward(&mut self, c: Chunk) {
        if c.logged {
            if self.runs.last().is_none_or(|(_, s)| *s != c.stream) {
                self.runs.push((c.offset, c.stream));
            }
            self.offset = c.offset + c.bytes.len() as u64;
        }
        self.send(Frame::Chunk(c)).await;
    }

    /// Sends to the attached stepwise; one that cannot take it is dropped
    /// (it re-attaches from the log).
    async fn send(&mut self, f: Frame) {
        if let Some((_, wr)) = self.client.as_mut()
            && wire::write(wr, &f).await.is_err()
        {
            self.client = None;
        }
    }

    /// After the exit was sent: waits (at most [`LINGER`]) for the
    /// attached stepwise to acknowledge it or hang up.
    async fn linger(&mut self, from_clients: &mut mpsc::Receiver<FromClient>) {
        let deadline = tokio::time::Instant::now() + LINGER;
        while self.client.is_some() && !self.acked {
            match tokio::time::timeout_at(deadline, from_clients.recv()).await {
                Ok(Some(ev)) => self.on_client(ev).await,
                _ => break,
            }
        }
    }
}

/// The channel of keys for the step's pty, when it takes keys.
fn key_channel(
    takes_keys: bool,
) -> (
    Option<mpsc::Sender<TtyInput>>,
    Option<mpsc::Receiver<TtyInput>>,
) {
    if !takes_keys {
        return (None, None);
    }
    let (tx, rx) = mpsc::channel(64);
    (Some(tx), Some(rx))
}

impl Monitor {
    /// Keys and sizes from the attached stepwise, to the step's pty. A
    /// full queue drops the key rather than stall the monitor's loop.
    fn forward_input(&self, f: Frame) {
        let Some(keys) = &self.keys else {
            return;
        };
        let k = match f {
            Frame::Input(bytes) => TtyInput::Bytes(bytes),
            Frame::Resize { rows, cols } => TtyInput::Resize { rows, cols },
            _ => return,
        };
        let _ = keys.try_send(k);
    }
}
