//! Headless words for fleet steps: one line per host event (`[web-2]`
//! first), and the recap table printed after a fleet step. Text only;
//! `headless.rs` prints it.

use crate::runbook::duration;
use crate::session::event::Event;
use crate::session::fleet::{FleetState, HostStatus};
use std::time::Duration;

/// One line for a fleet event; `None` for per-host output records.
pub fn describe(e: &Event) -> Option<String> {
    Some(match e {
        Event::HostsLimited { hosts } => format!("limited to hosts {}", hosts.join(", ")),
        Event::FleetPlanned {
            step,
            batches,
            budget,
            ..
        } => {
            let sizes: Vec<String> = batches.iter().map(|b| b.len().to_string()).collect();
            let n: usize = batches.iter().map(Vec::len).sum();
            format!(
                "{step}: {} in batches of {} (failures allowed: {budget})",
                FleetState::hosts_word(n),
                sizes.join(", ")
            )
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
        "{:<width$}  batch  status           exit      duration",
        "host"
    )];
    for h in &f.hosts {
        let exit = h.exit.map_or("-".to_owned(), |e| e.to_string());
        let took = h.duration_ms.map_or("-".to_owned(), |ms| {
            duration::format(Duration::from_millis(ms))
        });
        let mut line = format!(
            "{:<width$}  {:>5}  {} {:<15}  {:<8}  {took}",
            h.host,
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
