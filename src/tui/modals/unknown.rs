//! The outcome-unknown prompt (on resume): the last lines of the step's
//! output and the choice to re-run, mark done or skip.

use super::super::keymap::{self, Context};
use super::super::log::strip_sgr;
use super::super::look::Look;
use super::super::theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

pub fn render(frame: &mut Frame, area: Rect, look: &Look, step: &str) {
    let title = look.title_of(step);
    let mut lines = vec![
        Line::styled(format!("? {title}"), theme::bold()),
        Line::raw("This step was running when stepwise stopped. It may have finished,"),
        Line::raw("failed, or be running still: it is not re-run while it runs."),
        Line::raw("Last output:"),
    ];
    let attempt = look
        .session
        .step(step)
        .and_then(|s| s.attempts.last())
        .map(|a| a.number);
    let tail = attempt
        .and_then(|n| look.logs.get(step, n))
        .map(|l| l.tail(5))
        .unwrap_or_default();
    if tail.is_empty() {
        lines.push(Line::styled(
            "  (none recorded; the full log is in the session folder's output/)",
            theme::dim(),
        ));
    }
    lines.extend(
        tail.iter()
            .map(|l| Line::styled(format!("  {}", strip_sgr(&l.text)), theme::dim())),
    );
    lines.push(Line::raw(""));
    lines.extend(super::failure::choices(Context::Unknown));
    super::super::widgets::dialog(frame, area, 72, "Outcome unknown", lines);
}

/// The same choices as after a failure (see `failure::key`).
pub fn key(step: String, action: Option<keymap::Action>) -> super::outcome::Outcome<String> {
    super::failure::key(step, action)
}
