//! The failure prompt of a fleet step: retry only the hosts that failed
//! (or whose outcome is unknown), accept the failure and continue (a
//! reason is asked and recorded with the step), or abort the session.

use super::super::keymap::{Action, Context};
use super::super::look::Look;
use super::super::theme;
use super::super::widgets::AboveLog;
use crate::engine::command::Command;
use crate::session::fleet::{FleetState, HostStatus};
use ratatui::style::Color;
use ratatui::text::Line;

/// The question, drawn above the log pane (see [`AboveLog`]).
pub fn dialog(look: &Look, step: &str) -> Option<AboveLog<'static>> {
    let st = look.session.step(step)?;
    // Stopped between batches with no host failed (nobody went on): not
    // a failure of its hosts, and `r` goes on with the rest.
    let halted = st.fleet.no_host_failed();
    let (mark, title, color) = match halted {
        true => ("■", "Rollout stopped between batches", Color::Yellow),
        false => ("✗", "Fleet step failed", Color::Red),
    };
    let style = theme::fg(look.color, color).add_modifier(ratatui::style::Modifier::BOLD);
    let mut lines = vec![Line::styled(
        format!("{mark} {}", look.title_of(step)),
        style,
    )];
    lines.extend(summary(&st.fleet).into_iter().map(Line::raw));
    lines.push(Line::raw(""));
    let keys_at = lines.len();
    lines.extend(super::failure::choices(Context::FleetFailure));
    Some(AboveLog {
        width: 64,
        title,
        keys: lines.len() - keys_at,
        lines,
    })
}

/// What went wrong: why the rollout stopped, the counts, the hosts to redo.
pub fn summary(f: &FleetState) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(why) = &f.stopped {
        out.push(format!("Rollout stopped: {why}."));
    }
    let mut counts = format!(
        "{}: ✓{}",
        FleetState::hosts_word(f.hosts.len()),
        f.count(HostStatus::Succeeded)
    );
    for (status, word) in [
        (HostStatus::Failed, "failed"),
        (HostStatus::Unknown, "outcome unknown"),
        (HostStatus::Pending, "not reached"),
    ] {
        let n = f.count(status);
        if n > 0 {
            counts.push_str(&format!(", {n} {word}"));
        }
    }
    out.push(counts);
    let redo = f.not_done();
    if !redo.is_empty() && f.no_host_failed() {
        out.push(format!("r goes on with the rest: {}", names(&redo)));
    } else if !redo.is_empty() {
        out.push(format!("r runs again: {}", names(&redo)));
    }
    out
}

fn names(hosts: &[String]) -> String {
    let mut s = hosts.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if hosts.len() > 5 {
        s.push_str(&format!(" and {} more", hosts.len() - 5));
    }
    s
}

/// The note recorded when the operator accepts a fleet failure.
pub fn accepted_note(look: &Look, step: &str, reason: &str) -> String {
    let fleet = look.session.step(step).map(|s| &s.fleet);
    fleet.map_or_else(
        || format!("Failure accepted: {reason}"),
        |f| f.accepted_note(reason),
    )
}

/// r retries the failed hosts, c asks the reason to accept, a asks the
/// reason to abort, Esc decides later.
pub fn key(step: String, action: Option<Action>) -> super::outcome::Outcome<String> {
    use super::outcome::{LinePurpose, Opening, Outcome};
    match action {
        Some(Action::Retry) => Outcome::Send(vec![Command::Start { step }]),
        Some(Action::MarkDone) => Outcome::Open(Opening::Line(LinePurpose::Accept { step })),
        Some(Action::Abort) => Outcome::Open(Opening::Line(LinePurpose::Abort)),
        Some(_) => Outcome::Close,
        None => Outcome::Keep(step),
    }
}
