//! The failure prompt: retry, skip with a reason, mark done with a note,
//! or abort the session.

use super::super::look::Look;
use super::super::theme;
use super::super::widgets::AboveLog;
use ratatui::style::Color;
use ratatui::text::Line;

/// How the last attempt ended, in words.
pub fn outcome(look: &Look, step: &str) -> String {
    let Some(a) = look.session.step(step).and_then(|s| s.attempts.last()) else {
        return "It has not run.".into();
    };
    let how = if a.timed_out {
        "timed out".to_string()
    } else if let Some(r) = &a.cancelled {
        format!("was cancelled ({r})")
    } else {
        a.exit
            .map(|e| format!("ended with {e}"))
            .unwrap_or_else(|| "ended".into())
    };
    format!("Attempt {} {how}.", a.number)
}

/// The question, drawn above the log pane (see [`AboveLog`]).
pub fn dialog(look: &Look, step: &str) -> Option<AboveLog<'static>> {
    let title = look.title_of(step);
    let mut lines = vec![
        Line::styled(
            format!("✗ {title}"),
            theme::fg(look.color, Color::Red).add_modifier(ratatui::style::Modifier::BOLD),
        ),
        Line::raw(outcome(look, step)),
        Line::raw("The log pane shows its output. What now?"),
        Line::raw(""),
    ];
    let keys_at = lines.len();
    lines.extend(choices(super::super::keymap::Context::Failure));
    Some(AboveLog {
        width: 64,
        title: "Step failed",
        keys: lines.len() - keys_at,
        lines,
    })
}

/// The choices after a failure (shared with the outcome-unknown prompt):
/// run it again, skip it or abort (each asks a reason), mark it done (asks
/// a note), or decide later.
pub fn key(
    step: String,
    action: Option<super::super::keymap::Action>,
) -> super::outcome::Outcome<String> {
    use super::super::keymap::Action as A;
    use super::outcome::{LinePurpose, NotePurpose, Opening, Outcome};
    match action {
        Some(A::Retry) => Outcome::Send(vec![crate::engine::command::Command::Start { step }]),
        Some(A::Skip) => Outcome::Open(Opening::Line(LinePurpose::Skip { step })),
        Some(A::MarkDone) => Outcome::Open(Opening::Note(NotePurpose::MarkDone { step })),
        Some(A::Abort) => Outcome::Open(Opening::Line(LinePurpose::Abort)),
        Some(_) => Outcome::Close,
        None => Outcome::Keep(step),
    }
}

/// The choices of a prompt, from the key table.
pub fn choices(ctx: super::super::keymap::Context) -> Vec<Line<'static>> {
    use super::super::keymap::{bindings, keys_label};
    let width = bindings(ctx)
        .map(|b| keys_label(b).chars().count() + 1)
        .fold(6, usize::max);
    bindings(ctx)
        .map(|b| {
            Line::from(vec![
                ratatui::text::Span::styled(format!("  {:<width$}", keys_label(b)), theme::bold()),
                ratatui::text::Span::raw(b.help),
            ])
        })
        .collect()
}
