//! Headless words for fleet steps: one line per host event (`[web-2]`
//! first), the hosts' output as lines ([`HostLines`], shared by the
//! headless runner and `follow --plain`), and the recap table printed
//! after a fleet step. Text only; `headless.rs` and `follow.rs` print it.

use crate::engine::process::DisplayLines;
use crate::runbook::duration;
use crate::session::event::{Event, Stream};
use crate::session::fleet::{FleetState, HostStatus};
use crate::text::pad;
use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

/// A fleet step's hosts' output as headless lines (`    step [host] | line`,
/// `!` for stderr): each host's unfinished line per stream is held until
/// it ends, or until the step exits ([`HostLines::flush`]).
#[derive(Default)]
pub struct HostLines(HashMap<(String, Stream), DisplayLines>);

impl HostLines {
    /// Writes the whole lines `bytes` completes.
    pub fn push(
        &mut self,
        out: &mut impl Write,
        step: &str,
        host: &str,
        stream: Stream,
        bytes: &[u8],
    ) {
        let prefix = prefix(step, host, stream);
        let lines = self.0.entry((host.to_owned(), stream)).or_default();
        lines.push_with(bytes, |l| {
            let _ = writeln!(out, "{prefix}{}", crate::headless::inert(l));
        });
    }

    /// Writes every unfinished line (the step exited) and forgets them.
    pub fn flush(&mut self, out: &mut impl Write, step: &str) {
        for ((host, stream), dl) in self.0.iter_mut() {
            if let Some(l) = dl.finish() {
                let _ = writeln!(
                    out,
                    "{}{}",
                    prefix(step, host, *stream),
                    crate::headless::inert(&l)
                );
            }
        }
        self.0.clear();
    }
}

fn prefix(step: &str, host: &str, stream: Stream) -> String {
    let mark = if stream == Stream::Stderr { '!' } else { '|' };
    format!("    {step} [{host}] {mark} ")
}

/// One line for a fleet event; `None` for per-host output records.
pub fn describe(e: &Event) -> Option<String> {
    Some(match e {
        Event::HostsLimited { hosts } => format!("limited to hosts {}", hosts.join(", ")),
        Event::FleetPlanned {
            step,
            batches,
            budget,
            numbers,
            ..
        } => {
            let sizes: Vec<String> = batches.iter().map(|b| b.len().to_string()).collect();
            let n: usize = batches.iter().map(Vec::len).sum();
            let hosts = FleetState::hosts_word(n);
            let sizes = sizes.join(", ");
            match numbers.is_empty() {
                true => {
                    format!("{step}: {hosts} in batches of {sizes} (failures allowed: {budget})")
                }
                // A plan that goes on with an earlier one: its numbers.
                false => {
                    let which: Vec<String> = numbers.iter().map(u32::to_string).collect();
                    format!(
                        "{step}: {hosts} in batches {} of the plan, of {sizes} (failures allowed: {budget})",
                        which.join(", ")
                    )
                }
            }
        }
        Event::HostStarted {
            step, host, batch, ..
        } => format!("[{host}] ▶ {step} (batch {batch})"),
        Event::HostExited {
            step,
            host,
            exit,
            duration_ms,
            success,
            message,
            ..
        } => {
            let mark = if *success { '✓' } else { '✗' };
            let took = duration::format(Duration::from_millis(*duration_ms));
            match message {
                Some(m) => format!("[{host}] {mark} {step}: {exit} after {took} — {m}"),
                None => format!("[{host}] {mark} {step}: {exit} after {took}"),
            }
        }
        Event::BatchWaiting { step, batch, .. } => {
            format!("⏸ {step}: batch {batch} done; waiting for a go-ahead")
        }
        Event::BatchAnswered {
            step,
            batch,
            proceed,
            ..
        } => match proceed {
            true => format!("▶ {step}: going on after batch {batch}"),
            false => format!("■ {step}: stopped after batch {batch}"),
        },
        Event::RolloutStopped { step, reason, .. } => {
            format!("■ {step}: rollout stopped: {reason}")
        }
        _ => return None,
    })
}

/// The recap of a fleet step: host, batch, status, exit, duration.
pub fn recap(f: &FleetState) -> Vec<String> {
    let width = f.host_width();
    let mut out = vec![format!(
        "{}  batch  status           exit      duration",
        pad("host", width)
    )];
    for h in &f.hosts {
        let exit = h.exit.map_or("-".to_owned(), |e| e.to_string());
        let took = h.duration_ms.map_or("-".to_owned(), |ms| {
            duration::format(Duration::from_millis(ms))
        });
        let mut line = format!(
            "{}  {:>5}  {} {:<15}  {:<8}  {took}",
            pad(&h.host, width),
            h.batch,
            h.status.mark(),
            h.status.label(),
            exit
        );
        if let Some(m) = &h.message {
            line.push_str(&format!("  {m}"));
        }
        out.push(line);
    }
    let (ok, bad) = (f.count(HostStatus::Succeeded), f.count(HostStatus::Failed));
    out.push(format!(
        "{}: ✓{ok} ✗{bad}",
        FleetState::hosts_word(f.hosts.len())
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::fleet::HostState;

    fn host(name: &str) -> HostState {
        HostState {
            host: name.to_owned(),
            batch: 1,
            status: HostStatus::Succeeded,
            attempt: 1,
            log: None,
            started_at: None,
            exit: None,
            duration_ms: Some(1200),
            message: None,
            stdout_bytes: 0,
            stderr_bytes: 0,
            runs: 1,
        }
    }

    /// A host named in CJK takes two columns a character: the recap's
    /// columns after it stay aligned under the header's.
    #[test]
    fn the_recap_aligns_wide_host_names_by_columns() {
        let f = FleetState {
            hosts: vec![host("東京-web-1"), host("web-22")],
            ..FleetState::default()
        };
        let rows = recap(&f);
        // The column (in terminal columns) where a text starts in a row.
        let col = |row: &str, what: &str| crate::text::cols(&row[..row.find(what).unwrap()]);
        assert_eq!(col(&rows[1], "✓"), col(&rows[0], "status"), "{rows:#?}");
        assert_eq!(col(&rows[2], "✓"), col(&rows[0], "status"), "{rows:#?}");
        assert_eq!(col(&rows[1], "1.2s"), col(&rows[2], "1.2s"), "{rows:#?}");
    }
}
