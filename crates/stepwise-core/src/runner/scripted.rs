//! A runner that plays a script instead of running anything: each attempt
//! of a step takes the next [`Act`] written for it. Time passes only
//! through tokio's timers, so on a paused clock (`start_paused`) a test
//! of retries, timeouts and delays of minutes runs in milliseconds and
//! never sleeps for real.
//!
//! For tests of the engine's policy. It honours the parts of a [`Spec`]
//! that are the runner's job (timeout, cancel, capture, the log's offsets)
//! the way the process runner does, and records every attempt it was
//! given, with its environment, for the test to inspect.

use super::seam::{AttemptId, Reattach, Started, StepRunner, channels};
use crate::engine::process::{Chunk, Outcome, Spec};
use crate::session::event::{ExitInfo, Stream};
use std::collections::{HashMap, VecDeque};
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// What one attempt does: print, last, then exit.
#[derive(Clone, Debug, PartialEq)]
pub struct Act {
    /// Output, each piece after a pause from the previous one.
    pub output: Vec<(Duration, Stream, Vec<u8>)>,
    /// How long the attempt lasts after its output, before it exits.
    pub lasts: Duration,
    /// The exit code.
    pub code: i32,
}

impl Act {
    /// An attempt that prints `stdout` at once and exits with `code`.
    pub fn exits(code: i32, stdout: &str) -> Act {
        let output = if stdout.is_empty() {
            Vec::new()
        } else {
            vec![(Duration::ZERO, Stream::Stdout, stdout.as_bytes().to_vec())]
        };
        Act {
            output,
            lasts: Duration::ZERO,
            code,
        }
    }

    /// An attempt that runs for `d` (until cancelled or timed out first).
    pub fn runs_for(d: Duration) -> Act {
        Act {
            output: Vec::new(),
            lasts: d,
            code: 0,
        }
    }
}

/// An attempt as the runner received it.
#[derive(Clone, Debug)]
pub struct Given {
    pub id: AttemptId,
    pub env: Vec<(String, String)>,
    pub argv: Vec<String>,
}

/// Plays [`Act`]s; see the module docs. Attempts without an act succeed
/// at once with no output.
#[derive(Default)]
pub struct ScriptedRunner {
    acts: Mutex<HashMap<String, VecDeque<Act>>>,
    given: Arc<Mutex<Vec<Given>>>,
    orphans: Mutex<HashMap<String, i32>>,
    /// Steps whose next attempt loses its monitor: whether what it left
    /// says the attempt never ran, and whether that attempt was made.
    lost: Mutex<HashMap<String, (bool, bool)>>,
}

impl ScriptedRunner {
    pub fn new() -> ScriptedRunner {
        ScriptedRunner::default()
    }

    /// The next attempts of `step` play these acts, in order.
    pub fn script(self, step: &str, acts: impl IntoIterator<Item = Act>) -> ScriptedRunner {
        lock(&self.acts)
            .entry(step.to_owned())
            .or_default()
            .extend(acts);
        self
    }

    /// Says that processes of `step`'s earlier attempt still run in group
    /// `pgid` (as a survivor of a killed stepwise would).
    pub fn orphan(self, step: &str, pgid: i32) -> ScriptedRunner {
        lock(&self.orphans).insert(step.to_owned(), pgid);
        self
    }

    /// The next attempt of `step` loses its monitor: it ends with
    /// [`super::MonitorLost`], no exit. `left_nothing`: what the monitor
    /// left then says the attempt never ran ([`Reattach::NeverStarted`],
    /// a held attempt let go); otherwise it may have ([`Reattach::Gone`]).
    pub fn loses_monitor(self, step: &str, left_nothing: bool) -> ScriptedRunner {
        lock(&self.lost).insert(step.to_owned(), (left_nothing, false));
        self
    }

    /// Every attempt started so far.
    pub fn given(&self) -> Vec<Given> {
        lock(&self.given).clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl StepRunner for ScriptedRunner {
    fn start(&self, id: &AttemptId, spec: Spec, capacity: usize) -> Started {
        let act = lock(&self.acts)
            .get_mut(&id.step)
            .and_then(VecDeque::pop_front)
            .unwrap_or_else(|| Act::exits(0, ""));
        lock(&self.given).push(Given {
            id: id.clone(),
            env: spec.env.clone(),
            argv: spec.argv.clone(),
        });
        let ((tx, chunks), (cancel, cancel_rx)) = channels(capacity);
        let loses = match lock(&self.lost).get_mut(&id.step) {
            Some((_, made @ false)) => {
                *made = true;
                true
            }
            _ => false,
        };
        let done = match loses {
            true => tokio::spawn(async move {
                drop(tx);
                Err(super::MonitorLost::error())
            }),
            false => tokio::spawn(play(act, spec, tx, cancel_rx)),
        };
        Started {
            chunks,
            cancel,
            done,
            input: None,
        }
    }

    fn reattach(&self, id: &AttemptId, _log: &Path) -> Reattach {
        if let Some(&(left_nothing, true)) = lock(&self.lost).get(&id.step) {
            return match left_nothing {
                true => Reattach::NeverStarted,
                false => Reattach::Gone,
            };
        }
        match lock(&self.orphans).get(&id.step) {
            Some(&pgid) => Reattach::Orphaned { pgid },
            None => Reattach::Gone,
        }
    }
}

/// Why a played attempt stopped early.
enum Stop {
    Cancelled,
    TimedOut,
}

async fn play(
    act: Act,
    spec: Spec,
    out: mpsc::Sender<Chunk>,
    mut cancel: watch::Receiver<bool>,
) -> io::Result<Outcome> {
    let begun = tokio::time::Instant::now();
    let deadline = spec.timeout.map(|t| begun + t);
    let mut log = std::fs::File::create(&spec.log_path)?;
    let (mut offset, mut stdout) = (0u64, Vec::new());
    let mut stop = None;
    for (pause, stream, bytes) in &act.output {
        if let Some(s) = wait(*pause, deadline, &mut cancel).await {
            stop = Some(s);
            break;
        }
        // As the process runner does: the capture keeps the real bytes,
        // only what is logged and shown is masked.
        if *stream == Stream::Stdout && spec.capture_stdout {
            stdout.extend_from_slice(bytes);
        }
        let bytes = spec.redactor.redact_str(&String::from_utf8_lossy(bytes));
        log.write_all(bytes.as_bytes())?;
        let chunk = Chunk {
            stream: *stream,
            offset,
            bytes: bytes.clone().into_bytes(),
            logged: true,
        };
        offset += bytes.len() as u64;
        let _ = out.send(chunk).await;
    }
    if stop.is_none() {
        stop = wait(act.lasts, deadline, &mut cancel).await;
    }
    let exit = match stop {
        None => ExitInfo {
            code: Some(act.code),
            signal: None,
        },
        Some(_) => ExitInfo {
            code: None,
            signal: Some(15),
        },
    };
    Ok(Outcome {
        exit,
        timed_out: matches!(stop, Some(Stop::TimedOut)),
        cancelled: matches!(stop, Some(Stop::Cancelled)),
        duration: begun.elapsed(),
        log_len: offset,
        stdout: spec.capture_stdout.then_some(stdout),
        log_error: None,
        leftovers: 0,
    })
}

/// Waits `pause`, unless the deadline or a cancel comes first.
async fn wait(
    pause: Duration,
    deadline: Option<tokio::time::Instant>,
    cancel: &mut watch::Receiver<bool>,
) -> Option<Stop> {
    if *cancel.borrow() {
        return Some(Stop::Cancelled);
    }
    let until = tokio::time::Instant::now() + pause;
    let timed_out = deadline.is_some_and(|d| d < until);
    let end = deadline.map_or(until, |d| d.min(until));
    tokio::select! {
        _ = tokio::time::sleep_until(end) => timed_out.then_some(Stop::TimedOut),
        _ = cancelled(cancel) => Some(Stop::Cancelled),
    }
}

async fn cancelled(cancel: &mut watch::Receiver<bool>) {
    if cancel.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}
