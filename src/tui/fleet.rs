//! What the interface shows of a fleet step: its row summary
//! (`web 7/10 ✓6 ✗1 ▶3`), the host grid, and host output lines prefixed
//! `[host]` in the step's log pane. Text only; no state of its own.

use crate::session::fleet::{FleetState, HostStatus};
use crate::session::state::StepState;
use crate::text::pad;

/// Host output as log lines, each starting `[host] `. A chunk usually ends
/// a line; one that does not continues on a new prefixed line.
pub fn prefix_lines(host: &str, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 16);
    for piece in bytes.split_inclusive(|b| *b == b'\n') {
        out.extend_from_slice(format!("[{host}] ").as_bytes());
        out.extend_from_slice(piece);
    }
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    out
}

/// `web 7/10 ✓6 ✗1 ▶3` for a fleet step's row; `None` for another step.
pub fn summary(st: &StepState, targets: &[String]) -> Option<String> {
    let f: &FleetState = &st.fleet;
    if !f.is_fleet() {
        return None;
    }
    let total = f.hosts.len();
    let ok = f.count(HostStatus::Succeeded);
    let bad = f.count(HostStatus::Failed);
    let run = f.count(HostStatus::Running);
    let mut s = format!("{} {}/{total} ✓{ok}", targets.join(","), ok + bad);
    if bad > 0 {
        s.push_str(&format!(" ✗{bad}"));
    }
    if run > 0 {
        s.push_str(&format!(" ▶{run}"));
    }
    Some(s)
}

/// The host grid: host, batch, status, duration, last output line.
pub fn grid(f: &FleetState, last_line: impl Fn(&str) -> String) -> Vec<String> {
    let width = f.host_width();
    let mut out = vec![format!(
        "{}  batch  status            duration  last line",
        pad("host", width)
    )];
    for h in &f.hosts {
        let took = h
            .duration_ms
            .map_or("-".to_owned(), |ms| format!("{:.1}s", ms as f64 / 1000.0));
        let status = format!("{} {}", h.status.mark(), h.status.label());
        let last = h.message.clone().unwrap_or_else(|| last_line(&h.host));
        out.push(format!(
            "{}  {:>5}  {:<16}  {:>8}  {last}",
            pad(&h.host, width),
            h.batch,
            status,
            took
        ));
    }
    out
}
