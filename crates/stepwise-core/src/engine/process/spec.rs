//! What to run for one attempt, and how ([`Spec`]): the program and its
//! arguments, environment, folder, log, limits and masking.
//!
//! Only describes an attempt: never spawns, reads or writes anything.

use crate::engine::redact::Redactor;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What to run, and how.
pub struct Spec {
    /// The program and its arguments, e.g. `bash -eo pipefail -c <command>`.
    pub argv: Vec<String>,
    /// Added to the inherited environment (`GIT_TERMINAL_PROMPT=0` always wins).
    pub env: Vec<(String, String)>,
    pub cwd: Option<PathBuf>,
    /// The attempt's log; created by `run` while the process spawns (it must
    /// not exist), mode 0600.
    pub log_path: PathBuf,
    pub timeout: Option<Duration>,
    /// From SIGTERM to SIGKILL.
    pub grace: Duration,
    /// How long to keep reading the pipes after the first process exits.
    pub drain: Duration,
    /// Keep up to [`CAPTURE_LIMIT`] bytes of stdout, raw (not masked:
    /// later steps get the real value; the engine masks what it journals).
    pub capture_stdout: bool,
    /// Run in a pseudo-terminal; stdout and stderr are then one stream
    /// ([`Stream::Stdout`]).
    pub tty: bool,
    /// With `tty`: the pseudo-terminal is also the step's stdin, and keys
    /// typed by a person arrive through `run`'s `input`. Without it stdin
    /// is `/dev/null` (a read gets end-of-file).
    pub interactive: bool,
    /// With `tty`: the pseudo-terminal's rows and columns when it opens
    /// (the driver's log pane), else [`PTY_ROWS`]×[`PTY_COLS`].
    ///
    /// [`PTY_ROWS`]: super::PTY_ROWS
    /// [`PTY_COLS`]: super::PTY_COLS
    pub tty_size: Option<(u16, u16)>,
    pub redactor: Arc<Redactor>,
    /// Stdout goes only to the capture, never to the log or the screen:
    /// for a `capture:` made from a secret, whose value is not known (so
    /// cannot be masked) until the step ends.
    pub hide_stdout: bool,
    /// The read end of a pipe for the process's stdin, instead of
    /// `/dev/null` (pipe attempts only). It cannot cross to a monitor:
    /// the ssh runner uses [`Spec::feed`].
    pub stdin: Option<std::os::fd::OwnedFd>,
    /// Bytes for the process's stdin (pipe attempts without `stdin`): `run`
    /// writes them into a pipe whose write end it holds until the process
    /// ends, so its end of input means whoever runs the attempt is gone.
    /// Never shown by `Debug` (it may hold values).
    pub feed: Option<Vec<u8>>,
}

impl Spec {
    /// A spec with the defaults: no timeout, 5 s grace, 2 s drain, no
    /// capture, pipes, no secrets.
    pub fn new(argv: Vec<String>, log_path: impl Into<PathBuf>) -> Self {
        Spec {
            argv,
            env: Vec::new(),
            cwd: None,
            log_path: log_path.into(),
            timeout: None,
            grace: Duration::from_secs(5),
            drain: Duration::from_secs(2),
            capture_stdout: false,
            tty: false,
            interactive: false,
            tty_size: None,
            redactor: Arc::new(Redactor::default()),
            hide_stdout: false,
            stdin: None,
            feed: None,
        }
    }
}

impl fmt::Debug for Spec {
    /// Environment values may be secrets: only their names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let env: Vec<&str> = self.env.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Spec")
            .field("argv", &self.argv)
            .field("env", &env)
            .field("cwd", &self.cwd)
            .field("log_path", &self.log_path)
            .field("timeout", &self.timeout)
            .field("tty", &self.tty)
            .finish_non_exhaustive()
    }
}
