//! Which process group an attempt ran in, kept beside its log as
//! `output/<step>.<attempt>.pid` ("<pgid> <boot id>"), so that after a
//! crash of stepwise (`kill -9`) a resume can tell whether the step's
//! processes are still running: each step is its own session and process
//! group, so it outlives stepwise, and re-running it then would run it
//! twice at once (two deploys).
//!
//! A hint about live processes, never session state: the journal stays the
//! record. Written without fsync (a machine that crashed has no survivors).

use std::path::{Path, PathBuf};

/// The note's path for an attempt's log path (`x.1.log` → `x.1.pid`).
pub fn note_path(log: &Path) -> PathBuf {
    log.with_extension("pid")
}

/// Records the group an attempt's process leads (best effort).
pub(super) fn record(log: &Path, pgid: i32) {
    use std::io::Write;
    let line = format!("{pgid} {}\n", boot_id());
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode_0600()
        .open(note_path(log));
    if let Ok(mut f) = file {
        let _ = f.write_all(line.as_bytes());
    }
}

/// The process group of that attempt, if some process of it still runs on
/// this boot of this machine.
pub fn still_running(log: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(note_path(log)).ok()?;
    let (pgid, boot) = text.trim().split_once(' ')?;
    let pgid: i32 = pgid.parse().ok().filter(|p| *p > 1)?;
    if boot != boot_id() {
        return None;
    }
    group_alive(pgid).then_some(pgid)
}

/// Whether a process of group `pgid` is alive: zombies do not count (a
/// container's init may never reap the orphans of a killed stepwise).
pub fn group_alive(pgid: i32) -> bool {
    let group = nix::unistd::Pid::from_raw(-pgid);
    nix::sys::signal::kill(group, None).is_ok() && has_live_member(pgid)
}

fn has_live_member(pgid: i32) -> bool {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return true; // no /proc to look in: trust kill(2)
    };
    procs.flatten().any(|p| {
        let stat = std::fs::read_to_string(p.path().join("stat")).unwrap_or_default();
        // After the command name (in parentheses): state, ppid, pgrp, …
        let mut rest = stat
            .rsplit_once(')')
            .map_or("", |(_, r)| r)
            .split_whitespace();
        let state = rest.next();
        let group = rest.nth(1).and_then(|g| g.parse::<i32>().ok());
        group == Some(pgid) && !matches!(state, Some("Z" | "X"))
    })
}

/// This boot's id (pids are only comparable within one boot).
fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

trait Private {
    fn mode_0600(&mut self) -> &mut Self;
}

impl Private for std::fs::OpenOptions {
    fn mode_0600(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.mode(0o600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;

    #[test]
    fn a_live_group_is_found_and_a_gone_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("s.1.log");
        assert_eq!(still_running(&log), None, "no note, nothing known");
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .unwrap();
        let pgid = child.id() as i32;
        record(&log, pgid);
        assert_eq!(still_running(&log), Some(pgid));
        child.kill().unwrap();
        // Not reaped yet: a zombie, which is no survivor.
        let stat = format!("/proc/{pgid}/stat");
        while !std::fs::read_to_string(&stat).unwrap().contains(") Z ") {
            std::thread::yield_now();
        }
        assert_eq!(still_running(&log), None, "a zombie counts as gone");
        child.wait().unwrap();
        assert_eq!(still_running(&log), None, "the group is gone");
        std::fs::write(
            note_path(&log),
            format!("{} another-boot\n", std::process::id()),
        )
        .unwrap();
        assert_eq!(
            still_running(&log),
            None,
            "pids of another boot mean nothing"
        );
    }
}
