//! [`MonitorRunner`]: stepwise's side of its monitors. Starting an attempt
//! makes a socket pair and passes one end to the runner's spawner
//! (`<exe> __monitor zygote`, started once, detached: own session, stdio
//! on `/dev/null`), which forks the attempt's monitor on it; with no
//! spawner, `<exe> __monitor` is exec'd with that end as its stdin. Then
//! the spec goes over the pair and the monitor's frames are followed.
//! Re-attaching connects to the monitor's (abstract) socket, checks it is
//! this user's, and says which log offset
//! the journal has; a monitor that has already gone left its exit file,
//! and the rest of the output is read from the log. Once the engine has
//! the exit durably in its journal, [`StepRunner::exit_recorded`] says so
//! to the monitor (`Ack`). A monitor this runner started then goes back to
//! being a spare (see [`Spare`]): the next attempt's spec goes to it, with
//! no fork; any other connection is hung up, and its monitor exits.
//!
//! Dropping a started attempt's channels (the engine detaching) closes the
//! connection and nothing else: the step runs on under its monitor.

use super::files;
use super::record::{ExitRecord, WireSpec, next_switch, stream_at};
use super::serve::ATTEMPTS_PER_MONITOR;
use super::wire::{self, Frame};
use super::zygote::{ZYGOTE_ARG, send_fd};
use crate::engine::process::{Chunk, Outcome, Spec, survivor};
use crate::runner::seam::{AttemptId, GoAhead, Reattach, Started, StepRunner, TtyInput, channels};
use nix::errno::Errno;
use nix::sys::socket::{MsgFlags, send};
use std::collections::HashMap;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use tokio::net::UnixStream;
use tokio::net::unix::OwnedWriteHalf;
use tokio::sync::{mpsc, oneshot, watch};

/// Runs each attempt under a monitor process (the binary at `exe`),
/// forked by this runner's spawner (see [`super::zygote`]).
#[derive(Clone, Debug)]
pub struct MonitorRunner {
    exe: PathBuf,
    /// The connection to the spawner, once started.
    zygote: Arc<Mutex<Option<std::os::unix::net::UnixStream>>>,
    /// Connections of attempts whose exit came and is not yet durable in
    /// the journal: [`StepRunner::exit_recorded`] acknowledges it on them.
    acks: Acks,
    /// Monitors waiting for a spec: forked ahead of need, or done with
    /// their last attempt (see [`Spare`]).
    spare: Arc<Spare>,
}

/// Open connections by attempt, waiting to acknowledge the exit.
type Acks = Arc<Mutex<HashMap<AttemptId, Held>>>;

/// A connection whose exit waits for the journal.
#[derive(Debug)]
enum Held {
    /// The whole connection to a monitor this runner started, and how
    /// many attempts it has run: after the `Ack` it can serve another.
    Whole(UnixStream, u32),
    /// Only the writing end (a re-attach, or a reader that went).
    Half(OwnedWriteHalf),
}

impl MonitorRunner {
    /// `exe` is the stepwise binary (it has the hidden `__monitor` mode).
    pub fn new(exe: PathBuf) -> MonitorRunner {
        MonitorRunner {
            exe,
            zygote: Arc::default(),
            acks: Arc::default(),
            spare: Arc::default(),
        }
    }
}

impl MonitorRunner {
    /// Starts an attempt; a `held` one runs only after the go-ahead
    /// returned (see [`StepRunner::start_held`]).
    fn begin(
        &self,
        id: &AttemptId,
        spec: Spec,
        capacity: usize,
        held: bool,
    ) -> (Started, Option<GoAhead>) {
        let ((tx, chunks), (cancel, cancel_rx)) = channels(capacity);
        let (input, input_rx) = tty_channel(spec.tty);
        let log = spec.log_path.clone();
        let (exe, zygote, spare) = (self.exe.clone(), self.zygote.clone(), self.spare.clone());
        let (id, acks) = (id.clone(), self.acks.clone());
        // The spec goes to a waiting spare here, before the engine yields
        // (to its driver, which would otherwise print or draw first), or
        // syncs its journal (a held attempt): the monitor gets ready, or
        // starts the step, meanwhile.
        let json = serde_json::to_vec(&WireSpec::from_spec(&spec)).map_err(io::Error::other);
        let given = json
            .as_deref()
            .ok()
            .and_then(|json| Given::now(&spare, json, held));
        let (hold, go) = match held {
            true => {
                let (hold, go) = Hold::new(given.as_ref());
                (hold, Some(go))
            }
            false => (Hold(None), None),
        };
        let done = tokio::spawn(async move {
            let (sock, runs) = spawn_monitor(&exe, &zygote, &spare, &json?, given, hold).await?;
            let link = Link::new(tx, cancel_rx, input_rx, (id, acks), Some(runs));
            link.follow(sock, &log, 0).await
        });
        let started = Started {
            chunks,
            cancel,
            done,
            input,
        };
        (started, go)
    }
}

impl StepRunner for MonitorRunner {
    fn start(&self, id: &AttemptId, spec: Spec, capacity: usize) -> Started {
        self.begin(id, spec, capacity, false).0
    }

    /// The spec goes to a spare at once, held: the spare binds the
    /// attempt's socket while the journal syncs, and runs the step on the
    /// go-ahead, which is written straight to its socket.
    fn start_held(
        &self,
        id: &AttemptId,
        spec: Spec,
        capacity: usize,
    ) -> Result<(Started, GoAhead), Box<Spec>> {
        match self.begin(id, spec, capacity, true) {
            (started, Some(go)) => Ok((started, go)),
            (_, None) => unreachable!("a held start has a go-ahead"),
        }
    }

    /// Makes the spare (and the spawner) while the session starts, so the
    /// first attempt does not wait for them either.
    fn prepare(&self) {
        let (exe, zygote, spare) = (self.exe.clone(), self.zygote.clone(), self.spare.clone());
        tokio::task::spawn_blocking(move || spare.make(&exe, &zygote));
    }

    fn reattach(&self, _id: &AttemptId, log: &Path) -> Reattach {
        if let Some(pid) = files::monitor_alive(log) {
            return Reattach::Live { monitor: pid };
        }
        if let Some(exit) = files::read_exit(log) {
            return Reattach::Finished {
                ended_at: exit.ended_at,
            };
        }
        // The step's process-group note is created before the step is
        // spawned (a held bash: before its release), by the monitor, after
        // its claim, and removed by a monitor that lets a held attempt go
        // unreleased: with the monitor gone,
        // no note and no output, the step never ran, and no monitor will
        // run it. Output without a note (a note removed by hand, a folder
        // copied in part) means it did run: that is not "never started".
        if !survivor::note_path(log).exists() && !has_output(log) {
            return Reattach::NeverStarted;
        }
        // Its note says "held" and its group is gone: spawned held, never
        // released, its command never ran.
        if survivor::never_released(log) && !has_output(log) {
            return Reattach::NeverStarted;
        }
        match survivor::still_running(log) {
            Some(pgid) => Reattach::Orphaned { pgid },
            None => Reattach::Gone,
        }
    }

    fn attach(&self, id: &AttemptId, log: &Path, from: u64, capacity: usize) -> Option<Started> {
        if files::monitor_alive(log).is_none() && files::read_exit(log).is_none() {
            return None;
        }
        let ((tx, chunks), (cancel, cancel_rx)) = channels(capacity);
        // Keys for a re-attached `tty: true` step go to its monitor, which
        // drops them when its step takes none (a pipe step, or one started
        // with nobody at the screen).
        let (input, input_rx) = tty_channel(true);
        let log = log.to_owned();
        let (id, acks) = (id.clone(), self.acks.clone());
        let done = tokio::spawn(async move {
            let link = Link::new(tx, cancel_rx, input_rx, (id, acks), None);
            match files::connect(&log).map(|(s, _)| open_async(s)) {
                Some(Ok(mut sock)) => match wire::write(&mut sock, &Frame::Hello { from }).await {
                    Ok(()) => link.follow(sock, &log, from).await,
                    // The monitor went between the connect and the hello
                    // (its step had just ended): as in `follow`, its exit
                    // file says how the step ended.
                    Err(_) => link.replay_exit(&log, from).await,
                },
                Some(Err(e)) => Err(e),
                // The monitor is gone: the rest of the log, then its exit.
                None => link.replay_exit(&log, from).await,
            }
        });
        Some(Started {
            chunks,
            cancel,
            done,
            input,
        })
    }

    fn survives_detach(&self) -> bool {
        true
    }

    /// Tells the attempt's monitor its exit is durable in the journal (it
    /// then need not make its exit file durable); a monitor this runner
    /// started is kept as a spare, any other is hung up.
    fn exit_recorded(&self, id: &AttemptId) {
        let held = self
            .acks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
        let ack = wire::encode(&Frame::Ack);
        match held {
            Some(Held::Whole(sock, runs)) => {
                if sock.try_write(&ack).is_ok_and(|n| n == ack.len())
                    && runs < ATTEMPTS_PER_MONITOR
                    && let Ok(sock) = sock.into_std()
                {
                    self.spare.offer(sock, runs);
                }
            }
            Some(Held::Half(wr)) => {
                let _ = wr.try_write(&ack);
            }
            None => {}
        }
    }
}

/// A connected std socket as a tokio one.
fn open_async(s: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
    s.set_nonblocking(true)?;
    UnixStream::from_std(s)
}

fn tty_channel(
    tty: bool,
) -> (
    Option<mpsc::Sender<TtyInput>>,
    Option<mpsc::Receiver<TtyInput>>,
) {
    if !tty {
        return (None, None);
    }
    let (tx, rx) = mpsc::channel(64);
    (Some(tx), Some(rx))
}

/// Starts the attempt's monitor and hands it the spec over their socket
/// pair (never argv, environment or disk: it holds secrets): the
/// connection, and how many attempts that monitor has now been given. The
/// spare `given` the spec already (see [`Given`]) is asked first, then any
/// other spare; a spare is used when it claims the attempt; otherwise one
/// is forked by the spawner (exec'd directly when no spawner can be had).
/// Then a spare is made, unless one is left.
async fn spawn_monitor(
    exe: &Path,
    zygote: &Zygote,
    spare: &Spare,
    json: &[u8],
    given: Option<Given>,
    mut hold: Hold,
) -> io::Result<(UnixStream, u32)> {
    let mut got = match given {
        Some(g) => g.claimed(&mut hold).await?,
        None => None,
    };
    while got.is_none()
        && let Some((s, runs)) = spare.take()
    {
        got = claimed_by(s, json, &mut hold)
            .await?
            .map(|sock| (sock, runs + 1));
    }
    let got = match got {
        Some(got) => got,
        None => {
            let mut sock = open_async(fresh_monitor(exe, zygote)?)?;
            if !hand_over(&mut sock, json, &mut hold).await? {
                return Err(io::Error::other("the step's monitor went before its spec"));
            }
            (sock, 1)
        }
    };
    spare.make(exe, zygote);
    Ok(got)
}

/// A spare given the spec at once, in [`StepRunner::start`], with what of
/// the frame its socket did not take yet (nothing, in practice: a spare
/// reads nothing else).
struct Given {
    sock: UnixStream,
    runs: u32,
    rest: Vec<u8>,
}

impl Given {
    /// Takes a spare and writes the spec frame to it, as far as the socket
    /// takes it without waiting; `None` when there is no spare, or the one
    /// taken went (then `spawn_monitor` asks the others). The socket is
    /// registered with the runtime before anything is written, so once a
    /// byte went, the only failures left mean the spare went.
    fn now(spare: &Spare, json: &[u8], held: bool) -> Option<Given> {
        let (sock, runs) = spare.take()?;
        let sock = open_async(sock).ok()?;
        let frame = wire::encode(&match held {
            true => Frame::HeldSpec(json.to_vec()),
            false => Frame::Spec(json.to_vec()),
        });
        // Written on the descriptor itself: the runtime knows nothing of a
        // socket registered this instant, and would say "not ready".
        let sent = match send(sock.as_raw_fd(), &frame, MsgFlags::MSG_NOSIGNAL) {
            Ok(n) => n,
            Err(Errno::EAGAIN | Errno::EINTR) => 0,
            Err(_) => return None,
        };
        let rest = frame[sent..].to_vec();
        Some(Given { sock, runs, rest })
    }

    /// The rest of the frame, then the spare's answer: its connection and
    /// attempts once it claimed the attempt (see [`claim_of`]). A frame
    /// left incomplete is never run: the spare went.
    /// A held spec's go-ahead is awaited and written here (unless it was
    /// written already, see [`Hold::new`]); an error when the engine
    /// dropped it.
    async fn claimed(mut self, hold: &mut Hold) -> io::Result<Option<(UnixStream, u32)>> {
        use tokio::io::AsyncWriteExt;
        if self.sock.write_all(&self.rest).await.is_err() {
            return Ok(None);
        }
        if !hold.go_on(&mut self.sock).await? {
            return Ok(None);
        }
        Ok(claim_of(self.sock).await?.map(|sock| (sock, self.runs + 1)))
    }
}

/// The go-ahead frame.
const GO: [u8; 5] = [b'G', 0, 0, 0, 0];

/// A held attempt's side of its [`GoAhead`]: `None` once the attempt may
/// run (or was never held). The go-ahead says how many bytes of [`GO`]
/// it wrote itself, straight to the given spare's socket (from the
/// engine's thread, with no wait for this attempt's task).
struct Hold(Option<oneshot::Receiver<usize>>);

impl Hold {
    /// The hold and its go-ahead. With a spare `given` the whole spec at
    /// once, the go-ahead is written to (a duplicate of) its socket.
    fn new(given: Option<&Given>) -> (Hold, GoAhead) {
        let direct = given
            .filter(|g| g.rest.is_empty())
            .and_then(|g| g.sock.as_fd().try_clone_to_owned().ok());
        let (tx, rx) = oneshot::channel();
        let go = GoAhead::new(move || {
            let sent = direct.map_or(0, |fd| {
                send(fd.as_raw_fd(), &GO, MsgFlags::MSG_NOSIGNAL).unwrap_or(0)
            });
            let _ = tx.send(sent);
        });
        (Hold(Some(rx)), go)
    }

    /// Waits for the go-ahead and writes what of it is left to `sock`:
    /// `false` when that fails (the monitor went); an error when the
    /// engine dropped the go-ahead: the start is not in the journal, and
    /// nothing of the attempt may run. The error comes once the monitor
    /// has let the attempt go (its held process killed, its note removed,
    /// its socket closed), so the same attempt can be started anew.
    async fn go_on(&mut self, sock: &mut UnixStream) -> io::Result<bool> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let Some(rx) = self.0.take() else {
            return Ok(true);
        };
        let Ok(sent) = rx.await else {
            let _ = sock.shutdown().await;
            let mut rest = [0u8; 256];
            while sock.read(&mut rest).await.is_ok_and(|n| n > 0) {}
            return Err(io::Error::other(
                "the attempt's start was not journalled; it was not run",
            ));
        };
        Ok(sock.write_all(&GO[sent.min(GO.len())..]).await.is_ok())
    }
}

/// Writes the spec to a monitor: held, then the go-ahead once it comes,
/// while the attempt is held; `false` when the monitor went. A monitor
/// that went before its held spec leaves the hold for the next.
async fn hand_over(sock: &mut UnixStream, json: &[u8], hold: &mut Hold) -> io::Result<bool> {
    let frame = match hold.0 {
        Some(_) => Frame::HeldSpec(json.to_vec()),
        None => Frame::Spec(json.to_vec()),
    };
    if wire::write(sock, &frame).await.is_err() {
        return Ok(false);
    }
    hold.go_on(sock).await
}

/// Gives a spare the spec: its connection once it has claimed the
/// attempt (see [`claim_of`]).
async fn claimed_by(
    spare: std::os::unix::net::UnixStream,
    json: &[u8],
    hold: &mut Hold,
) -> io::Result<Option<UnixStream>> {
    let Ok(mut sock) = open_async(spare) else {
        return Ok(None);
    };
    if !hand_over(&mut sock, json, hold).await? {
        return Ok(None);
    }
    claim_of(sock).await
}

/// A spare's answer to the spec: its connection once it has claimed the
/// attempt. `None` when it went instead, or could not claim it (it sent
/// the exit of an attempt that never started): it ran nothing (it says
/// `Claimed` before it starts the step), so a fresh monitor may be asked.
/// Any other answer is an error: a monitor that does not speak this
/// protocol may have started the step, and no second one is asked.
async fn claim_of(mut sock: UnixStream) -> io::Result<Option<UnixStream>> {
    match wire::read(&mut sock).await {
        Ok(Some(Frame::Claimed)) => Ok(Some(sock)),
        Ok(None | Some(Frame::Exit(_))) | Err(_) => Ok(None),
        Ok(Some(other)) => Err(io::Error::other(format!(
            "the step's monitor answered the spec with a frame of kind {:?} instead of \
             claiming the attempt; it may have started the step: look at its log before \
             running it again",
            char::from(other.kind())
        ))),
    }
}

/// A new monitor on our end of a fresh socket pair, not yet given a spec.
fn fresh_monitor(exe: &Path, zygote: &Zygote) -> io::Result<std::os::unix::net::UnixStream> {
    let (ours, theirs) = std::os::unix::net::UnixStream::pair()?;
    let theirs = OwnedFd::from(theirs);
    if hand_to_zygote(exe, zygote, &theirs).is_err() {
        spawn_detached(exe, None, theirs).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot start the step's monitor: {e}"))
        })?;
    }
    Ok(ours)
}

/// Monitors waiting for a spec, with the attempts each has run: one
/// forked by the spawner ahead of need (its runtime built, so the fork and
/// the start of a monitor happen while the previous step runs, not between
/// two steps), and monitors whose last attempt's exit is in the journal.
/// In a run of steps one after another, the monitor of a step runs the
/// next: no fork per step. A spare claims nothing and runs nothing before
/// its spec comes; when stepwise hangs up first (the session ends,
/// stepwise dies) it exits.
#[derive(Debug, Default)]
struct Spare(Mutex<Vec<(std::os::unix::net::UnixStream, u32)>>);

/// Spares kept at most: one forked ahead and the one that ran the last
/// step (more wait only while steps run side by side).
const SPARES: usize = 2;

impl Spare {
    /// The spare that ran a step last, if one is still there.
    fn take(&self) -> Option<(std::os::unix::net::UnixStream, u32)> {
        let mut pool = self.0.lock().unwrap_or_else(|e| e.into_inner());
        while let Some((s, runs)) = pool.pop() {
            if !files::hung_up(&s) {
                return Some((s, runs));
            }
        }
        None
    }

    /// Has the spawner fork a spare, unless there is one (never an exec'd
    /// monitor: a spare is not worth a start of the whole binary).
    fn make(&self, exe: &Path, zygote: &Zygote) {
        let mut pool = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !pool.is_empty() {
            return;
        }
        let Ok((ours, theirs)) = std::os::unix::net::UnixStream::pair() else {
            return;
        };
        if hand_to_zygote(exe, zygote, &OwnedFd::from(theirs)).is_ok() {
            pool.push((ours, 0));
        }
    }

    /// Keeps a monitor whose exit was acknowledged, as the next spare;
    /// beyond [`SPARES`] it is hung up (and exits).
    fn offer(&self, sock: std::os::unix::net::UnixStream, runs: u32) {
        let mut pool = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < SPARES {
            pool.push((sock, runs));
        }
    }
}

type Zygote = Mutex<Option<std::os::unix::net::UnixStream>>;

/// Hands `sock` to the spawner, starting it first if needed (again, once,
/// if the one there has gone).
fn hand_to_zygote(exe: &Path, zygote: &Zygote, sock: &OwnedFd) -> io::Result<()> {
    let mut ctl = zygote.lock().unwrap_or_else(|e| e.into_inner());
    let mut last = Err(io::Error::other("no spawner"));
    for _ in 0..2 {
        if ctl.is_none() {
            let (ours, theirs) = std::os::unix::net::UnixStream::pair()?;
            spawn_detached(exe, Some(ZYGOTE_ARG), OwnedFd::from(theirs))?;
            *ctl = Some(ours);
        }
        last = ctl.as_ref().map_or(last, |c| send_fd(c, sock));
        if last.is_ok() {
            return last;
        }
        *ctl = None;
    }
    last
}

/// Spawns `<exe> __monitor [arg]` in its own session, stdio on
/// `/dev/null` but for `stdin`; reaped while this stepwise lives (after
/// it, by init).
fn spawn_detached(exe: &Path, arg: Option<&str>, stdin: OwnedFd) -> io::Result<()> {
    let mut cmd = tokio::process::Command::new(exe);
    cmd.arg(files::HIDDEN_COMMAND)
        .args(arg)
        .stdin(Stdio::from(stdin))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(false);
    // SAFETY: setsid(2) is async-signal-safe; nothing else runs between
    // the fork and the exec.
    unsafe {
        cmd.pre_exec(|| nix::unistd::setsid().map(|_| ()).map_err(io::Error::from));
    }
    let mut child = cmd.spawn()?;
    tokio::spawn(async move {
        let _ = child.wait().await;
    });
    Ok(())
}

/// The engine's ends of one followed attempt.
struct Link {
    out: mpsc::Sender<Chunk>,
    cancel: watch::Receiver<bool>,
    input: Option<mpsc::Receiver<TtyInput>>,
    /// Where the connection waits, once the exit came, for the journal.
    ack: (AttemptId, Acks),
    /// Attempts run by the monitor, when this runner started it (it may
    /// serve again); `None` for a re-attach.
    runs: Option<u32>,
}

/// Why following a monitor stopped before its exit.
fn detached() -> io::Error {
    io::Error::other("detached from the step's monitor; the step runs on")
}

impl Link {
    fn new(
        out: mpsc::Sender<Chunk>,
        cancel: watch::Receiver<bool>,
        input: Option<mpsc::Receiver<TtyInput>>,
        ack: (AttemptId, Acks),
        runs: Option<u32>,
    ) -> Link {
        Link {
            out,
            cancel,
            input,
            ack,
            runs,
        }
    }

    /// Follows the monitor to its exit: chunks to the engine, cancel and
    /// keys to the monitor. `next` is the first log offset not yet had.
    async fn follow(mut self, sock: UnixStream, log: &Path, mut next: u64) -> io::Result<Outcome> {
        let (mut rd, mut wr) = sock.into_split();
        // Two frames read ahead; the engine's queues hold the rest (see
        // `CHUNKS_IN_FLIGHT`).
        let (ftx, mut frames) = mpsc::channel(2);
        // The reader stops after the exit, the last frame of an attempt,
        // and gives its end back (the connection may serve again).
        let mut reader = tokio::spawn(async move {
            while let Ok(Some(f)) = wire::read(&mut rd).await {
                let last = matches!(f, Frame::Exit(_));
                if ftx.send(f).await.is_err() {
                    return None;
                }
                if last {
                    return Some(rd);
                }
            }
            None
        });
        let (mut cancel_open, mut input_open) = (true, self.input.is_some());
        let result = loop {
            tokio::select! {
                f = frames.recv() => match f {
                    Some(Frame::Chunk(c)) => {
                        if c.logged {
                            next = c.offset + c.bytes.len() as u64;
                        }
                        if self.out.send(c).await.is_err() {
                            break Err(detached());
                        }
                    }
                    Some(Frame::Exit(json)) => {
                        // The engine acknowledges the exit (a step's, or
                        // a fleet host's) once its journal has it durably.
                        let held = match ((&mut reader).await, self.runs) {
                            (Ok(Some(rd)), Some(runs)) => rd
                                .reunite(wr)
                                .map_or_else(|e| Held::Half(e.1), |s| Held::Whole(s, runs)),
                            _ => Held::Half(wr),
                        };
                        let (id, acks) = &self.ack;
                        acks.lock().unwrap_or_else(|e| e.into_inner()).insert(id.clone(), held);
                        break serde_json::from_slice::<ExitRecord>(&json)
                            .map_err(io::Error::other)
                            .and_then(|r| r.outcome());
                    }
                    Some(_) => {}
                    // The monitor went without a word: its exit file
                    // says how the step ended, if it got that far.
                    None => break self.replay_exit(log, next).await,
                },
                changed = self.cancel.changed(), if cancel_open => match changed {
                    Ok(()) if *self.cancel.borrow_and_update() => {
                        let _ = wire::write(&mut wr, &Frame::Cancel).await;
                    }
                    Ok(()) => {}
                    Err(_) => cancel_open = false,
                },
                key = recv_input(&mut self.input), if input_open => match key {
                    Some(k) => {
                        let _ = wire::write(&mut wr, &input_frame(k)).await;
                    }
                    None => input_open = false,
                },
                () = self.out.closed() => break Err(detached()),
            }
        };
        reader.abort();
        result
    }

    async fn replay_exit(&self, log: &Path, from: u64) -> io::Result<Outcome> {
        let Some(exit) = files::read_exit(log) else {
            return Err(crate::runner::MonitorLost::error());
        };
        let mut at = from;
        while at < exit.log_len {
            let end = next_switch(&exit.runs, at)
                .unwrap_or(u64::MAX)
                .min(at + 64 * 1024)
                .min(exit.log_len);
            let bytes = files::read_at(log, at, end - at)?;
            let chunk = Chunk {
                stream: stream_at(&exit.runs, at),
                offset: at,
                bytes,
                logged: true,
            };
            if self.out.send(chunk).await.is_err() {
                return Err(detached());
            }
            at = end;
        }
        exit.outcome()
    }
}

async fn recv_input(input: &mut Option<mpsc::Receiver<TtyInput>>) -> Option<TtyInput> {
    match input {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

fn input_frame(k: TtyInput) -> Frame {
    match k {
        TtyInput::Bytes(b) => Frame::Input(b),
        TtyInput::Resize { rows, cols } => Frame::Resize { rows, cols },
    }
}

/// Whether the attempt's log holds any byte.
fn has_output(log: &Path) -> bool {
    std::fs::metadata(log).is_ok_and(|m| m.len() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A spare that reads the spec and then does `answer` with its end.
    async fn spare_answering(
        answer: impl FnOnce(UnixStream) + Send + 'static,
    ) -> io::Result<Option<UnixStream>> {
        let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        let spare = tokio::spawn(async move {
            let mut sock = open_async(theirs).unwrap();
            let spec = wire::read(&mut sock).await.unwrap();
            assert_eq!(spec, Some(Frame::Spec(b"{}".to_vec())));
            answer(sock);
        });
        let got = claimed_by(ours, b"{}", &mut Hold(None)).await;
        spare.await.unwrap();
        got
    }

    fn send(sock: &UnixStream, frame: &Frame) {
        sock.try_write(&wire::encode(frame)).unwrap();
    }

    #[tokio::test]
    async fn a_spare_that_claims_the_attempt_is_followed() {
        let got = spare_answering(|s| send(&s, &Frame::Claimed)).await;
        assert!(got.unwrap().is_some());
    }

    /// Gone after the spec, or refusing it with an exit (its claim
    /// failed): it ran nothing, so a fresh monitor is asked.
    #[tokio::test]
    async fn a_spare_that_went_or_could_not_claim_is_passed_over() {
        assert!(spare_answering(drop).await.unwrap().is_none());
        let refused = spare_answering(|s| send(&s, &Frame::Exit(b"{}".to_vec())));
        assert!(refused.await.unwrap().is_none());
    }

    /// Output before a claim: not a monitor of this protocol, and maybe
    /// one that started the step; no second monitor is asked.
    #[tokio::test]
    async fn a_spare_that_answers_otherwise_fails_the_attempt() {
        let chunk = Frame::Chunk(Chunk {
            stream: crate::session::event::Stream::Stdout,
            offset: 0,
            bytes: b"x".to_vec(),
            logged: true,
        });
        let err = spare_answering(move |s| send(&s, &chunk))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("instead of claiming"), "{err}");
    }

    /// The spec is on a spare's socket when `Given::now` returns, before
    /// any task ran: a spare that already left is passed over.
    #[tokio::test]
    async fn a_spare_is_given_the_spec_before_the_engine_yields() {
        let spare = Spare::default();
        let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        spare.offer(ours, 3);
        let given = Given::now(&spare, b"{\"x\":1}", false).expect("a spare was waiting");
        assert!(given.rest.is_empty());
        let mut theirs = open_async(theirs).unwrap();
        let spec = wire::read(&mut theirs).await.unwrap();
        assert_eq!(spec, Some(Frame::Spec(b"{\"x\":1}".to_vec())));
        send(&theirs, &Frame::Claimed);
        let (_, runs) = given
            .claimed(&mut Hold(None))
            .await
            .unwrap()
            .expect("claimed");
        assert_eq!(runs, 4);

        let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        spare.offer(ours, 0);
        drop(theirs);
        assert!(
            Given::now(&spare, b"{}", false).is_none(),
            "a spare that hung up is not given it"
        );
    }
}
