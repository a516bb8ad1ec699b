//! The last screen: the session completed or was aborted. It shows the
//! outcome and progress over the final state until a key is pressed, so the
//! last step's output is not whisked away. Render only.

use super::super::TuiEnd;
use super::super::app::App;
use super::super::theme;
use crate::runbook::duration;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let (done, total) = app.session.progress();
    let (word, color) = match app.finished {
        Some(TuiEnd::Aborted) => ("Session aborted", Color::Red),
        _ => ("Session completed", Color::Green),
    };
    let took = app
        .session
        .started_at
        .and_then(|t| (app.now - t).to_std().ok())
        .map(duration::clock)
        .unwrap_or_default();
    let lines = vec![
        Line::styled(
            format!("{word}: {done}/{total} steps settled, incident clock {took}."),
            theme::fg(app.color, color).add_modifier(Modifier::BOLD),
        ),
        Line::raw("Everything is in the journal; the transcript is written as you leave"),
        Line::raw("and its path printed. Export it for the postmortem with:"),
        Line::styled(
            format!("  stepwise export {} --format html", app.session.id),
            theme::bold(),
        ),
        Line::raw(""),
        Line::styled(
            super::super::keymap::footer(super::super::keymap::Context::Finished, &[]),
            theme::bold(),
        ),
    ];
    let rows = super::wrapped_height(&lines, 68) as u16;
    let r = super::super::view::centered(frame, area, 70, rows + 2);
    let p = Paragraph::new(lines)
        .block(super::block("Done", true))
        .wrap(Wrap { trim: false });
    frame.render_widget(p, r);
}
