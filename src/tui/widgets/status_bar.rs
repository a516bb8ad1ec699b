//! The status bar: runbook title, incident clock, progress, mode, and the
//! keys that apply right now (from the key table).

use super::super::app::App;
use super::super::keymap::{self, Context};
use super::super::theme;
use crate::runbook::duration;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Time since the session started, `HH:MM:SS`.
pub fn incident_clock(app: &App) -> String {
    let start = app.session.started_at.unwrap_or(app.now);
    duration::clock((app.now - start).to_std().unwrap_or_default())
}

/// `key hint` pairs that apply now, in table order.
pub fn hints(app: &App) -> Vec<(String, &'static str)> {
    let ctx = app.context();
    keymap::bindings(ctx)
        .filter(|b| match ctx {
            Context::Main => app.applies(b.action),
            Context::HumanPrompt => app.prompt_applies(b.action),
            _ => true,
        })
        .map(|b| (keymap::keys_label(b), b.hint))
        .collect()
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let (done, total) = app.session.progress();
    let mut mode = if app.auto { "AUTO" } else { "MANUAL" }.to_string();
    if app.session.dry_run {
        mode.push_str(" DRY-RUN");
    }
    let left = vec![
        Span::styled(
            format!(
                " {} ",
                super::steps::truncate(&app.session.runbook.title, 28)
            ),
            theme::bold(),
        ),
        Span::styled(
            format!("⏱ {} ", incident_clock(app)),
            theme::fg(app.color, Color::Yellow),
        ),
        Span::raw(format!("{done}/{total} ")),
        Span::styled(format!("{mode} "), theme::fg(app.color, Color::Cyan)),
    ];
    let used: usize = left.iter().map(|s| s.width()).sum();
    let mut spans = left;
    match &app.status {
        Some(msg) => spans.push(Span::styled(
            format!("│ {msg}"),
            theme::fg(app.color, Color::LightYellow),
        )),
        None => spans.extend(hint_spans(app, (area.width as usize).saturating_sub(used))),
    }
    let style = if app.color {
        ratatui::style::Style::default().bg(Color::DarkGray)
    } else {
        theme::selected()
    };
    frame.render_widget(Paragraph::new(Line::from(spans)).style(style), area);
}

fn hint_spans(app: &App, room: usize) -> Vec<Span<'static>> {
    let mut spans = vec![Span::raw("│")];
    let mut used = 1;
    for (keys, hint) in hints(app) {
        let w = keys.chars().count() + hint.chars().count() + 2;
        if used + w > room {
            break;
        }
        used += w;
        spans.push(Span::styled(format!(" {keys}"), theme::bold()));
        spans.push(Span::raw(format!(" {hint}")));
    }
    spans
}
