//! One host of a rollout: announce it (and wait until the engine has
//! journalled that), start it on its runner, forward its output, pass a
//! cancel on, and report its exit with, for a failure to reach the host,
//! what to do about it.

use super::happening::{Happening, until_cancelled};
use super::hosts::HostEntry;
use super::shared::Shared;
use crate::runbook::model::HostTransport as Transport;
use crate::runner::AttemptId;
use crate::session::event::ExitInfo;
use std::path::Path;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot, watch};

/// Runs `entry` (number `index` from 0 among all the step's hosts) in
/// batch `batch`; returns whether it succeeded.
pub async fn run(
    shared: std::sync::Arc<Shared>,
    entry: HostEntry,
    index: usize,
    batch: u32,
    tx: mpsc::Sender<Happening>,
    mut cancel: watch::Receiver<bool>,
) -> bool {
    let host = entry.host.clone();
    let rel = crate::session::store::host_log_name(&shared.step, &host, shared.attempt);
    let (ack, acked) = oneshot::channel();
    let starting = Happening::Starting {
        host: host.clone(),
        batch,
        log: rel.clone(),
        ack,
    };
    if tx.send(starting).await.is_err() || acked.await.is_err() {
        return false;
    }
    let log = shared.session_dir.join(&rel);
    let spec = shared.spec(&host, index, log.clone());
    let id = AttemptId {
        step: shared.step.clone(),
        attempt: shared.attempt,
        target: Some(host.clone()),
    };
    let runner = match entry.transport {
        Transport::Ssh => &shared.ssh,
        Transport::Local => &shared.local,
    };
    let began = Instant::now();
    let mut started = runner.start(&id, spec, 4);
    let mut cancelled = false;
    loop {
        tokio::select! {
            c = started.chunks.recv() => match c {
                Some(chunk) => {
                    let _ = tx.send(Happening::Output { host: host.clone(), chunk }).await;
                }
                None => break,
            },
            _ = until_cancelled(&mut cancel), if !cancelled => {
                cancelled = true;
                let _ = started.cancel.send(true);
            }
        }
    }
    let (exit, success, message) = match started.done.await {
        Ok(Ok(o)) => {
            let ok = !o.timed_out
                && !o.cancelled
                && !cancelled
                && o.exit.code.is_some_and(|c| shared.expect_exit.contains(&c));
            let login = shared.ssh_options.login_command(&host);
            let why = match ok {
                true => None,
                false if o.cancelled || cancelled => Some("cancelled with the step".to_owned()),
                false => why_failed(entry.transport, &host, &login, o.exit, o.timed_out, &log),
            };
            (o.exit, ok, why)
        }
        // Its monitor killed after it started the host's command: that
        // may still run. Failed here (no exit is known), said as it is.
        Ok(Err(e)) if crate::runner::MonitorLost::is(&e) => (
            no_exit(),
            false,
            Some("its monitor was killed before an exit was recorded: the command may still run; check before a retry".to_owned()),
        ),
        Ok(Err(e)) => (no_exit(), false, Some(format!("could not start: {e}"))),
        Err(e) => (no_exit(), false, Some(format!("the runner failed: {e}"))),
    };
    let exited = Happening::Exited {
        host,
        exit,
        duration_ms: began.elapsed().as_millis() as u64,
        success,
        message,
    };
    let _ = tx.send(exited).await;
    success
}

fn no_exit() -> ExitInfo {
    ExitInfo {
        code: None,
        signal: None,
    }
}

/// Words for a failure that is not the command's own: ssh could not reach
/// or log in to the host (exit 255), read from what ssh said in the log.
/// `login`: the ssh command line that reaches the host by hand.
fn why_failed(
    t: Transport,
    host: &str,
    login: &str,
    exit: ExitInfo,
    timed_out: bool,
    log: &Path,
) -> Option<String> {
    if timed_out {
        return Some("timed out (`timeout:`)".into());
    }
    if t != Transport::Ssh || exit.code != Some(255) {
        return None;
    }
    let text = std::fs::read(log)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let said = |s: &str| text.contains(s);
    Some(
        if said("Host key verification failed")
            || said("No ED25519 host key is known")
            || said("host key for")
        {
            format!(
                "ssh: the host key of {host} is unknown or changed (checking is never turned off): run `{login}` once to check and accept it, then retry"
            )
        } else if said("Connection refused") {
            format!("ssh: connection to {host} refused: is sshd running there?")
        } else if said("timed out") {
            format!(
                "ssh: connecting to {host} timed out (ConnectTimeout): is the host up and reachable?"
            )
        } else if said("Could not resolve hostname") {
            format!(
                "ssh: cannot resolve {host}: check the name, or its `Host` entry in your ssh config"
            )
        } else if said("Permission denied") {
            format!(
                "ssh: {host} refused the login (BatchMode: no password prompts): load your key in ssh-agent, or run `{login}` to check"
            )
        } else {
            format!("ssh could not run the command on {host} (exit 255): see its log")
        },
    )
}
