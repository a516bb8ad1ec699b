//! Ending a step's whole process group: SIGTERM, a grace period, then
//! SIGKILL, repeated until nothing in the group is left alive.
//!
//! The step's first process leads its own process group, so its pid is the
//! group id and everything it starts (unless it leaves the group on
//! purpose) is a member. "Alive" ignores zombies: in a container whose init does not reap
//! orphans, a killed grandchild stays a zombie forever, and it is dead for
//! every purpose that matters here.

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::time::Duration;
use tokio::time::Instant;

/// Pause between SIGKILL rounds.
const KILL_RETRY: Duration = Duration::from_millis(100);
/// After the first SIGKILL, give up on members that will not die (a process
/// stuck in uninterruptible sleep) after this long.
const GIVE_UP_AFTER: Duration = Duration::from_secs(3);

/// The process group of one step attempt. Dropped before it has settled
/// (the run was abandoned), it sends SIGKILL to the group.
#[derive(Debug)]
pub(super) struct Reaper {
    pgid: Pid,
    grace: Duration,
    /// When the next SIGKILL is due, once termination has begun.
    kill_at: Option<Instant>,
    settled: bool,
}

impl Reaper {
    pub(super) fn new(pgid: i32, grace: Duration) -> Self {
        Reaper {
            pgid: Pid::from_raw(pgid),
            grace,
            kill_at: None,
            settled: false,
        }
    }

    /// Sends SIGTERM to the group, once; SIGKILL becomes due after the grace.
    pub(super) fn terminate(&mut self) {
        if self.kill_at.is_none() {
            self.signal(Signal::SIGTERM);
            self.kill_at = Some(Instant::now() + self.grace);
        }
    }

    /// When the next SIGKILL is due, if termination has begun.
    pub(super) fn next_kill(&self) -> Option<Instant> {
        self.kill_at
    }

    /// Sends SIGKILL to the group now; the next round is due shortly after.
    pub(super) fn kill(&mut self) {
        self.signal(Signal::SIGKILL);
        self.kill_at = Some(Instant::now() + KILL_RETRY);
    }

    /// Ends whatever is left of the group (nothing, usually) and waits until
    /// it is gone. Returns how many live processes were left in the group
    /// when this began (the step's leftovers), and false if some member
    /// survived every SIGKILL.
    pub(super) async fn finish(&mut self) -> (usize, bool) {
        if !group_alive(self.pgid) {
            self.settled = true;
            return (0, true);
        }
        let left = live_members(self.pgid);
        (left, self.end_the_rest().await)
    }

    async fn end_the_rest(&mut self) -> bool {
        self.terminate();
        let first_kill = self.kill_at.unwrap_or_else(Instant::now);
        let give_up = first_kill.max(Instant::now()) + GIVE_UP_AFTER;
        let mut pause = Duration::from_millis(5);
        loop {
            // Nothing announces that a group emptied: poll, backing off.
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(KILL_RETRY);
            if !group_alive(self.pgid) {
                self.settled = true;
                return true;
            }
            let now = Instant::now();
            if now >= give_up {
                self.settled = true;
                return false;
            }
            if self.kill_at.is_some_and(|at| now >= at) {
                self.kill();
            }
        }
    }

    fn signal(&self, signal: Signal) {
        // ESRCH (already gone) and EPERM (a member changed user) are both
        // answered by the emptiness check that follows.
        let _ = killpg(self.pgid, signal);
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        if !self.settled {
            let _ = killpg(self.pgid, Signal::SIGKILL);
        }
    }
}

/// Whether any member of the process group is still alive (not a zombie).
pub(super) fn group_alive(pgid: Pid) -> bool {
    match killpg(pgid, None) {
        Err(Errno::ESRCH) => false,
        _ => live_member(pgid).unwrap_or(true),
    }
}

/// Scans `/proc` for a member of `pgid` that is not a zombie. `None` when
/// `/proc` cannot be read (then the signal check has to be trusted).
fn live_member(pgid: Pid) -> Option<bool> {
    let entries = std::fs::read_dir("/proc").ok()?;
    Some(entries.flatten().any(|entry| is_live_member(&entry, pgid)))
}

/// How many members of `pgid` are alive (not zombies): 0 when `/proc`
/// cannot be read.
fn live_members(pgid: Pid) -> usize {
    std::fs::read_dir("/proc").map_or(0, |entries| {
        entries
            .flatten()
            .filter(|entry| is_live_member(entry, pgid))
            .count()
    })
}

fn is_live_member(entry: &std::fs::DirEntry, pgid: Pid) -> bool {
    let name = entry.file_name();
    let Some(pid) = name
        .to_str()
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
    else {
        return false;
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    matches!(parse_stat(&stat), Some((state, pgrp)) if pgrp == pgid.as_raw() && !matches!(state, 'Z' | 'X'))
}

/// The state letter and process group from a `/proc/<pid>/stat` line:
/// `pid (comm) state ppid pgrp …`, where comm may hold spaces and parens.
pub(super) fn parse_stat(stat: &str) -> Option<(char, i32)> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_comm.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some((state, pgrp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_lines_with_odd_names() {
        let line = "8575 (a) b (c) Z 1 8574 8574 0 -1 4227084";
        assert_eq!(parse_stat(line), Some(('Z', 8574)));
        assert_eq!(parse_stat("12 (sh) S 1 12 12"), Some(('S', 12)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn an_unused_group_is_not_alive() {
        // Pid 1's group is the init's; a fresh large id almost surely unused.
        assert!(!group_alive(Pid::from_raw(i32::MAX - 7)));
    }
}
