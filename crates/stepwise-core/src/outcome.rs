//! How a command of stepwise ends: the exit codes every driver returns, and
//! the failure a command reports before or instead of running a session.
//!
//! Plain data, shared by the core (trust, session opening) and the drivers
//! (headless, the TUI, the command line). Never prints anything itself.

/// How a session (or a command) ended, as a process exit code. The README's
/// table of exit codes is this enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Completed = 0,
    Invalid = 2,
    Failed = 3,
    WaitingForHuman = 4,
    Aborted = 5,
    /// Stopped because the record could not be written (a full disk, an
    /// I/O error): the message says what was lost.
    Unrecorded = 6,
    Interrupted = 130,
}

impl Exit {
    /// The words printed at the end of a headless run.
    pub fn summary_word(self) -> &'static str {
        match self {
            Exit::Completed => "completed",
            Exit::Failed => "stopped on a failed step",
            Exit::WaitingForHuman => "waiting for a human answer",
            Exit::Aborted => "aborted",
            Exit::Interrupted => "interrupted",
            Exit::Unrecorded => "stopped: the record could not be written",
            Exit::Invalid => "invalid",
        }
    }
}

/// A user-facing failure before the session runs: message and exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: i32,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: Exit::Invalid as i32,
        }
    }

    /// A screen shown before the session (picker, trust, inputs form)
    /// failed: an error of the terminal. (A stop signal there ends stepwise
    /// with 130 from the screen itself.)
    pub fn from_screen(what: &str, e: std::io::Error) -> Failure {
        Failure::usage(format!("{what} failed: {e}"))
    }
}
