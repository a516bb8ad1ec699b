//! Taking up a fleet step an earlier stepwise left running (`impl Engine`,
//! split from `engine.rs`): each host attempt still held by its monitor,
//! or whose monitor recorded its exit, is followed to its end (its output
//! journalled and shown) and its real exit journalled, so a later re-run
//! leaves a host that succeeded alone. Hosts nothing can be known of keep
//! what the step's "outcome unknown" says of them.

use super::{CHUNKS_IN_FLIGHT, Engine};
use crate::runner::{AttemptId, Reattach};
use crate::session::event::Event;
use crate::session::fleet::HostStatus;
use std::io;

impl Engine {
    /// Follows every running host of `step`'s attempt `attempt` that its
    /// runner can re-attach, and journals its exit.
    pub(super) async fn take_up_hosts(&mut self, step: &str, attempt: u32) -> io::Result<()> {
        let Some(st) = self.session.step(step) else {
            return Ok(());
        };
        let hosts: Vec<(String, String, u64)> = st
            .fleet
            .hosts
            .iter()
            .filter(|h| h.attempt == attempt && h.status == HostStatus::Running)
            .filter_map(|h| {
                let from = h.stdout_bytes + h.stderr_bytes;
                Some((h.host.clone(), h.log.clone()?, from))
            })
            .collect();
        for (host, log, from) in hosts {
            self.take_up_host(step, attempt, host, &log, from).await?;
        }
        Ok(())
    }

    async fn take_up_host(
        &mut self,
        step: &str,
        attempt: u32,
        host: String,
        rel: &str,
        from: u64,
    ) -> io::Result<()> {
        let log = self.setup.session_dir.join(rel);
        let id = AttemptId {
            step: step.to_owned(),
            attempt,
            target: Some(host.clone()),
        };
        // Every host's attempt (its `ssh`, or its local process) is run
        // by the session's runner, whatever the transport.
        let runner = self.setup.runner.clone();
        if !matches!(
            runner.reattach(&id, &log),
            Reattach::Live { .. } | Reattach::Finished { .. }
        ) {
            return Ok(());
        }
        let Some(mut started) = runner.attach(&id, &log, from, CHUNKS_IN_FLIGHT) else {
            return Ok(());
        };
        while let Some(chunk) = started.chunks.recv().await {
            self.host_output(step, attempt, host.clone(), chunk).await?;
        }
        let expect = self.step_def(step).expect_exit;
        let event = match started.done.await {
            Ok(Ok(o)) => Event::HostExited {
                step: step.to_owned(),
                attempt,
                host,
                exit: o.exit,
                duration_ms: o.duration.as_millis() as u64,
                success: !o.timed_out
                    && !o.cancelled
                    && o.exit.code.is_some_and(|c| expect.contains(&c)),
                message: Some("finished while stepwise was not running".into()),
            },
            // Nothing sure of it: the step's "outcome unknown" says so.
            _ => return Ok(()),
        };
        self.record(event, false).await
    }
}
