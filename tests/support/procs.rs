//! Processes as `/proc` shows them, for the monitor tests: a process's
//! state, its live children, the monitor spawners a test process
//! started, and a poll with a generous deadline (never a fixed sleep).

#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};
use stepwise::engine::process::survivor::ProcStat;

pub const PATIENCE: Duration = Duration::from_secs(30);

/// Polls until `cond` holds (a generous deadline, never a fixed sleep).
pub fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < PATIENCE, "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Kills `pid` with SIGKILL (it must be there to be killed).
pub fn sigkill(pid: i32) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
}

pub fn proc_stat(pid: i32) -> Option<ProcStat> {
    ProcStat::read(Path::new(&format!("/proc/{pid}")))
}

/// The live (not zombie) children of `parent`.
pub fn live_children(parent: i32) -> Vec<i32> {
    let procs = std::fs::read_dir("/proc").unwrap();
    procs
        .flatten()
        .filter_map(|p| p.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| proc_stat(pid).is_some_and(|s| s.ppid == parent && s.alive()))
        .collect()
}

/// The monitor spawners (`stepwise __monitor zygote`) `parent` started.
pub fn spawners_of(parent: i32) -> Vec<i32> {
    live_children(parent)
        .into_iter()
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.split(|&b| b == 0).any(|a| a == b"zygote"))
        })
        .collect()
}

/// Seconds since boot, as `/proc/<pid>/stat` counts a process's start.
pub fn uptime() -> f64 {
    let text = std::fs::read_to_string("/proc/uptime").unwrap();
    text.split_whitespace().next().unwrap().parse().unwrap()
}

/// `pid` was forked at least 0.2 s before `asked` (seconds since boot):
/// ahead of the request, not because of it.
pub fn assert_forked_before(pid: i32, asked: f64) {
    let ticks = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .unwrap()
        .unwrap() as f64;
    let forked = proc_stat(pid).unwrap().started as f64 / ticks;
    assert!(
        forked < asked - 0.2,
        "the monitor was forked when asked for ({forked} s), not ahead of it ({asked} s)"
    );
}
