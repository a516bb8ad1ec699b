//! SIGINT, SIGTERM and SIGHUP during a session, turned into engine
//! commands (the engine journals the interruption). Installed before the
//! engine can start a step.

use crate::engine::command::Command;
use tokio::sync::mpsc;

pub type Signals = Option<[tokio::signal::unix::Signal; 3]>;

/// Installs the handlers for SIGINT, SIGTERM and SIGHUP (in that order).
pub fn listen_to_signals() -> Signals {
    use tokio::signal::unix::{SignalKind, signal};
    Some([
        signal(SignalKind::interrupt()).ok()?,
        signal(SignalKind::terminate()).ok()?,
        signal(SignalKind::hangup()).ok()?,
    ])
}

/// Turns SIGINT, SIGTERM and SIGHUP into engine commands.
pub async fn forward_signals(signals: Signals, cmds: mpsc::Sender<Command>) {
    let Some([mut int, mut term, mut hup]) = signals else {
        return;
    };
    loop {
        let (name, stop_running) = tokio::select! {
            _ = int.recv() => ("SIGINT", true),
            _ = term.recv() => ("SIGTERM", true),
            _ = hup.recv() => ("SIGHUP", false),
        };
        let cmd = Command::Interrupt {
            signal: name.into(),
            stop_running,
        };
        if cmds.send(cmd).await.is_err() {
            return;
        }
    }
}
