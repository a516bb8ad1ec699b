//! The failure prompt: retry, skip with a reason, mark done with a note,
//! or abort the session.

use super::super::app::App;
use super::super::theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

/// How the last attempt ended, in words.
pub fn outcome(app: &App, step: &str) -> String {
    let Some(a) = app.session.step(step).and_then(|s| s.attempts.last()) else {
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

pub fn render(frame: &mut Frame, area: Rect, app: &App, step: &str) {
    let title = app.title_of(step);
    let mut lines = vec![
        Line::styled(
            format!("✗ {title}"),
            theme::fg(app.color, Color::Red).add_modifier(ratatui::style::Modifier::BOLD),
        ),
        Line::raw(outcome(app, step)),
        Line::raw("The log pane shows its output. What now?"),
        Line::raw(""),
    ];
    lines.extend(super::unknown::choices(
        super::super::keymap::Context::Failure,
    ));
    let r = super::super::view::centered(frame, area, 64, lines.len() as u16 + 2);
    let p = Paragraph::new(lines)
        .block(super::block("Step failed", true))
        .wrap(Wrap { trim: false });
    frame.render_widget(p, r);
}
