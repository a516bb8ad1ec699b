//! The last screen: the session completed or was aborted. It shows the
//! outcome and progress over the final state until a key is pressed, so the
//! last step's output is not whisked away. Render only.

use super::super::ending::TuiEnd;
use super::super::look::Look;
use super::super::theme;
use crate::runbook::duration;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::text::Line;

pub fn render(frame: &mut Frame, area: Rect, look: &Look) {
    let (done, total) = look.session.progress();
    let (word, color) = match look.finished {
        Some(TuiEnd::Aborted) => ("Session aborted", Color::Red),
        _ => ("Session completed", Color::Green),
    };
    // Start to end, as the status bar counts it: both stop at the end.
    let end = look.session.ended_at.unwrap_or(look.now);
    let took = look
        .session
        .started_at
        .and_then(|t| (end - t).to_std().ok())
        .map(duration::clock)
        .unwrap_or_default();
    let mut lines = vec![Line::styled(
        format!("{word}: {done}/{total} steps settled, incident clock {took}."),
        theme::fg(look.color, color).add_modifier(Modifier::BOLD),
    )];
    if let Some(parts) = breakdown(look) {
        lines.push(Line::raw(format!("All {total} steps: {parts}.")));
    }
    // Why it was aborted, and an update that never got through (closed
    // as it was): the record says both, the last screen too.
    // One row each, cut to the box: the box must keep its export command
    // and its keys on a small screen (the record has them whole).
    let row = usize::from(area.width.saturating_sub(4)).min(68);
    let cut = super::super::widgets::truncate;
    if let crate::session::state::SessionStatus::Aborted { reason } = &look.session.status {
        let reason = reason.replace('\n', " ");
        lines.push(Line::raw(cut(&format!("Aborted: {reason}"), row)));
    }
    let undelivered = crate::comms::not_delivered_at_close(look.session);
    let warning = match undelivered.len() {
        0 => None,
        1 => Some(undelivered[0].clone()),
        n => {
            let ids: Vec<&str> = look
                .session
                .undelivered_updates()
                .into_iter()
                .map(|i| look.session.steps[i].id.as_str())
                .collect();
            Some(format!(
                "⚠ {n} updates not delivered when the session closed: {}",
                ids.join(", ")
            ))
        }
    };
    if let Some(w) = warning {
        lines.push(Line::styled(
            cut(&w, row),
            theme::fg(look.color, Color::Yellow),
        ));
    }
    // On a short screen the command and the keys matter more than why.
    if area.height >= 20 {
        lines.extend([
            Line::raw("Everything is in the journal; the transcript is written as you leave"),
            Line::raw("and its path printed. Export it for the postmortem with:"),
        ]);
    }
    let cmd = crate::invocation::command(&format!(
        "export {} --format html -o {}.html",
        look.session.id, look.session.id
    ));
    // Wide enough for the command on one line when the screen allows.
    let max = area.width.saturating_sub(2);
    let width = (super::super::widgets::cols(&cmd) as u16 + 6)
        .max(70)
        .min(max);
    let inner = usize::from(width.saturating_sub(2));
    for l in super::super::widgets::command_lines(&cmd, inner) {
        lines.push(Line::styled(l, theme::bold()));
    }
    lines.extend([
        Line::raw(""),
        Line::styled(
            super::super::keymap::footer(super::super::keymap::Context::Finished, &[]),
            theme::bold(),
        ),
    ]);
    super::super::widgets::dialog(frame, area, width, "Done", lines);
}

/// Enter, Esc or q leaves; any other key keeps the last screen.
pub fn key(action: Option<super::super::keymap::Action>) -> super::outcome::Outcome<()> {
    use super::outcome::Outcome;
    match action {
        Some(super::super::keymap::Action::Dismiss) => Outcome::End,
        _ => Outcome::Keep(()),
    }
}

/// What "settled" hides: `: 19 done, 1 failed (allowed), 2 skipped`.
/// Every step by how it stands, in the transcript's words (a step done
/// by hand apart from one done; a step an abort left: not reached), when
/// they are not all alike.
fn breakdown(look: &Look) -> Option<String> {
    use crate::session::state::StepStatus as S;
    let mut counts = [0usize; 8];
    for (i, st) in look.session.steps.iter().enumerate() {
        let slot = match st.status {
            S::Succeeded | S::Confirmed { .. } => 0,
            S::DoneByHand => 1,
            S::Failed if look.session.is_settled(i) => 2,
            S::Failed if st.cancelled().is_some() => 7,
            S::Failed => 3,
            S::Skipped { .. } => 4,
            S::Running { .. } | S::OutcomeUnknown { .. } => 5,
            S::Pending => 6,
        };
        counts[slot] += 1;
    }
    let words = [
        "done",
        "done by hand",
        "failed (allowed)",
        "failed",
        "skipped",
        "outcome unknown",
        "not reached",
        "cancelled",
    ];
    let parts: Vec<String> = counts
        .iter()
        .zip(words)
        .filter(|(n, _)| **n > 0)
        .map(|(n, w)| format!("{n} {w}"))
        .collect();
    (parts.len() > 1).then(|| parts.join(", "))
}
