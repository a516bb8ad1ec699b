//! The outcome-unknown prompt (on resume): the last lines of the step's
//! output and the choice to re-run, mark done or skip.

use super::super::app::App;
use super::super::keymap::{self, Context};
use super::super::log::strip_sgr;
use super::super::theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// The choices of a prompt, from the key table.
pub fn choices(ctx: Context) -> Vec<Line<'static>> {
    keymap::bindings(ctx)
        .map(|b| {
            Line::from(vec![
                Span::styled(format!("  {:<6}", keymap::keys_label(b)), theme::bold()),
                Span::raw(b.help),
            ])
        })
        .collect()
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, step: &str) {
    let title = app.title_of(step);
    let mut lines = vec![
        Line::styled(format!("? {title}"), theme::bold()),
        Line::raw("This step was running when stepwise stopped. It may have finished,"),
        Line::raw("failed, or be running still: it is not re-run while it runs."),
        Line::raw("Last output:"),
    ];
    let attempt = app
        .session
        .step(step)
        .and_then(|s| s.attempts.last())
        .map(|a| a.number);
    let tail = attempt
        .and_then(|n| app.logs.get(step, n))
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
    lines.extend(choices(Context::Unknown));
    let r = super::super::view::centered(frame, area, 72, lines.len() as u16 + 2);
    let p = Paragraph::new(lines)
        .block(super::block("Outcome unknown", true))
        .wrap(Wrap { trim: false });
    frame.render_widget(p, r);
}
