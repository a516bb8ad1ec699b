//! What stepwise hands a monitor ([`WireSpec`], over the inherited socket
//! only: it holds secrets) and what a monitor leaves when its step ends
//! ([`ExitRecord`], sent to the attached stepwise and written durably
//! beside the log, without anything secret).

use crate::engine::process::{Outcome, Spec};
use crate::engine::redact::Redactor;
use crate::session::event::{ExitInfo, Stream};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A [`Spec`] as it crosses to the monitor. Never written to disk, never
/// in argv or the environment of the monitor.
#[derive(Serialize, Deserialize)]
pub struct WireSpec {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: Option<PathBuf>,
    pub log_path: PathBuf,
    pub timeout_ms: Option<u64>,
    pub grace_ms: u64,
    pub drain_ms: u64,
    pub capture_stdout: bool,
    pub tty: bool,
    /// A person is at the screen: the pty is the step's stdin.
    #[serde(default)]
    pub interactive: bool,
    /// The pty's size when it opens (rows, columns).
    #[serde(default)]
    pub tty_size: Option<(u16, u16)>,
    pub secrets: Vec<Vec<u8>>,
    pub hide_stdout: bool,
    /// Bytes for the step's stdin (a fleet host's ssh: its script).
    #[serde(default)]
    pub feed: Option<Vec<u8>>,
}

impl WireSpec {
    pub fn from_spec(s: &Spec) -> WireSpec {
        WireSpec {
            argv: s.argv.clone(),
            env: s.env.clone(),
            cwd: s.cwd.clone(),
            log_path: s.log_path.clone(),
            timeout_ms: s.timeout.map(|t| t.as_millis() as u64),
            grace_ms: s.grace.as_millis() as u64,
            drain_ms: s.drain.as_millis() as u64,
            capture_stdout: s.capture_stdout,
            tty: s.tty,
            interactive: s.interactive,
            tty_size: s.tty_size,
            secrets: s.redactor.given().to_vec(),
            hide_stdout: s.hide_stdout,
            feed: s.feed.clone(),
        }
    }

    pub fn into_spec(self) -> Spec {
        Spec {
            argv: self.argv,
            env: self.env,
            cwd: self.cwd,
            log_path: self.log_path,
            timeout: self.timeout_ms.map(Duration::from_millis),
            grace: Duration::from_millis(self.grace_ms),
            drain: Duration::from_millis(self.drain_ms),
            capture_stdout: self.capture_stdout,
            tty: self.tty,
            interactive: self.interactive,
            tty_size: self.tty_size,
            redactor: Arc::new(Redactor::new(self.secrets)),
            hide_stdout: self.hide_stdout,
            // A step under a monitor reads /dev/null, its pty, or what it
            // is fed (a fleet host's ssh), held by the monitor.
            stdin: None,
            feed: self.feed,
        }
    }
}

/// An `io::Error` that can cross a socket: its kind survives.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct WireError {
    pub os: Option<i32>,
    pub storage_full: bool,
    pub message: String,
}

impl WireError {
    pub fn from_io(e: &io::Error) -> WireError {
        WireError {
            os: e.raw_os_error(),
            storage_full: e.kind() == io::ErrorKind::StorageFull,
            message: e.to_string(),
        }
    }

    pub fn to_io(&self) -> io::Error {
        let kind = match (self.storage_full, self.os) {
            (true, _) => io::ErrorKind::StorageFull,
            (false, Some(code)) => io::Error::from_raw_os_error(code).kind(),
            (false, None) => io::ErrorKind::Other,
        };
        io::Error::new(kind, self.message.clone())
    }
}

/// How an attempt ended, as its monitor saw it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ExitRecord {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub cancelled: bool,
    pub duration_ms: u64,
    pub leftovers: usize,
    pub log_len: u64,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    /// Where the log switches stream: `(offset, stream)`, first at 0.
    pub runs: Vec<(u64, Stream)>,
    /// Raw stdout for `capture:`. Over the socket always; on disk only
    /// when it is not secret (see `for_disk`).
    pub stdout: Option<Vec<u8>>,
    /// The capture was left out of the file because it is secret.
    #[serde(default)]
    pub stdout_withheld: bool,
    pub log_error: Option<WireError>,
    /// The attempt could not run at all.
    pub error: Option<WireError>,
}

impl ExitRecord {
    pub fn from_outcome(
        result: &io::Result<Outcome>,
        started_at: DateTime<Utc>,
        runs: Vec<(u64, Stream)>,
    ) -> ExitRecord {
        let mut r = ExitRecord {
            code: None,
            signal: None,
            timed_out: false,
            cancelled: false,
            duration_ms: 0,
            leftovers: 0,
            log_len: 0,
            started_at,
            ended_at: Utc::now(),
            runs,
            stdout: None,
            stdout_withheld: false,
            log_error: None,
            error: None,
        };
        match result {
            Ok(o) => {
                r.code = o.exit.code;
                r.signal = o.exit.signal;
                r.timed_out = o.timed_out;
                r.cancelled = o.cancelled;
                r.duration_ms = o.duration.as_millis() as u64;
                r.leftovers = o.leftovers;
                r.log_len = o.log_len;
                r.stdout = o.stdout.clone();
                r.log_error = o.log_error.as_ref().map(WireError::from_io);
            }
            Err(e) => r.error = Some(WireError::from_io(e)),
        }
        r
    }

    /// The record as it may be written to disk: a capture that is or holds
    /// a secret is left out (a later stepwise then asks for a re-run).
    pub fn for_disk(&self, redactor: &Redactor, hidden: bool) -> ExitRecord {
        let mut r = self.clone();
        if let Some(out) = &r.stdout
            && (hidden || redactor.redact_bytes(out) != *out)
        {
            r.stdout = None;
            r.stdout_withheld = true;
        }
        r
    }

    /// The outcome the engine journals.
    pub fn outcome(&self) -> io::Result<Outcome> {
        if let Some(e) = &self.error {
            return Err(e.to_io());
        }
        Ok(Outcome {
            exit: ExitInfo {
                code: self.code,
                signal: self.signal,
            },
            timed_out: self.timed_out,
            cancelled: self.cancelled,
            duration: Duration::from_millis(self.duration_ms),
            leftovers: self.leftovers,
            log_len: self.log_len,
            stdout: self.stdout.clone(),
            log_error: self.log_error.as_ref().map(WireError::to_io),
        })
    }
}

/// The stream of the log byte at `offset`, from the switch points.
pub fn stream_at(runs: &[(u64, Stream)], offset: u64) -> Stream {
    runs.iter()
        .take_while(|(at, _)| *at <= offset)
        .last()
        .map_or(Stream::Stdout, |(_, s)| *s)
}

/// Where the stream next switches after `offset`, if it does.
pub fn next_switch(runs: &[(u64, Stream)], offset: u64) -> Option<u64> {
    runs.iter().map(|(at, _)| *at).find(|at| *at > offset)
}
