//! The question between two batches of a fleet step
//! (`between_batches: confirm`): the batch's results, then go on or stop
//! the rollout. Opened when the engine waits, and again by Enter on the
//! step; it never answers by itself.

use super::super::keymap::{Action, Context};
use super::super::look::Look;
use super::super::theme;
use super::super::widgets::AboveLog;
use crate::engine::command::Command;
use crate::session::event::ConfirmedVia;
use crate::session::fleet::{FleetState, HostStatus};
use ratatui::text::Line;

/// At most this many hosts of the batch are listed (failed ones first).
const SHOWN: usize = 6;

/// The question, drawn above the log pane (see [`AboveLog`]).
pub fn dialog(look: &Look, step: &str) -> Option<AboveLog<'static>> {
    let st = look.session.step(step)?;
    let mut lines = vec![Line::styled(
        format!("⏸ {}", look.title_of(step)),
        theme::bold(),
    )];
    lines.extend(results(&st.fleet).into_iter().map(Line::raw));
    lines.push(Line::raw(""));
    let keys_at = lines.len();
    lines.extend(super::failure::choices(Context::Batch));
    Some(AboveLog {
        width: 64,
        title: "Next batch?",
        keys: lines.len() - keys_at,
        lines,
    })
}

/// The batch's results in words: counts, its hosts (failed first), and
/// what the next batch holds.
pub fn results(f: &FleetState) -> Vec<String> {
    let Some(n) = f.waiting else {
        return vec!["No batch is waiting.".into()];
    };
    let batch = f.batch(n).cloned().unwrap_or_default();
    let hosts: Vec<_> = batch.iter().filter_map(|h| f.host(h)).collect();
    let ok = hosts.iter().filter(|h| h.status == HostStatus::Succeeded);
    let bad = hosts.iter().filter(|h| h.status != HostStatus::Succeeded);
    let mut out = vec![format!(
        "Batch {n} of {} is done: ✓{} ✗{} (all batches: ✗{}, allowed {})",
        f.last_batch(),
        ok.clone().count(),
        bad.clone().count(),
        f.count(HostStatus::Failed),
        f.budget
    )];
    let listed: Vec<_> = bad.chain(ok).collect();
    for h in listed.iter().take(SHOWN) {
        let why = h
            .message
            .as_deref()
            .map(|m| format!("  {m}"))
            .unwrap_or_default();
        out.push(format!(
            "  {} {} {}{why}",
            h.status.mark(),
            h.host,
            h.status.label()
        ));
    }
    if listed.len() > SHOWN {
        out.push(format!(
            "  … and {} more (the host grid has them all)",
            listed.len() - SHOWN
        ));
    }
    if let Some((m, next)) = f.batch_after(n) {
        out.push(format!(
            "Next: batch {m}, {} host(s): {}",
            next.len(),
            names(next)
        ));
    }
    out
}

/// Up to four host names, then how many more.
fn names(hosts: &[String]) -> String {
    let mut s = hosts.iter().take(4).cloned().collect::<Vec<_>>().join(", ");
    if hosts.len() > 4 {
        s.push_str(&format!(" +{}", hosts.len() - 4));
    }
    s
}

/// Enter/y goes on, s/c stops the rollout, Esc decides later.
pub fn key(step: String, action: Option<Action>) -> super::outcome::Outcome<String> {
    use super::outcome::Outcome;
    let answer = |proceed| {
        let via = ConfirmedVia::Operator;
        Outcome::Send(vec![Command::Rollout {
            step: step.clone(),
            proceed,
            via,
        }])
    };
    match action {
        Some(Action::Accept) => answer(true),
        Some(Action::Cancel) => answer(false),
        Some(Action::Dismiss) => Outcome::Close,
        _ => Outcome::Keep(step),
    }
}
