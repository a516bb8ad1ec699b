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
/// The incident clock: time since the session started, stopped at its end.
pub fn incident_clock(app: &App) -> String {
    let start = app.session.started_at.unwrap_or(app.now);
    let end = app.session.ended_at.unwrap_or(app.now);
    duration::clock((end - start).to_std().unwrap_or_default())
}

/// `end ~14:05 UTC ` from earlier sessions' times; `no estimate yet ` for
/// a runbook with a communication plan and no history; else nothing.
fn expected_end(app: &App) -> String {
    if app.session.status.is_finished() {
        return String::new();
    }
    match app.expected_end() {
        Some(t) => format!("end ~{} ", t.format("%H:%M UTC")),
        None if !app.session.runbook.channels.is_empty() => {
            format!("{} ", crate::comms::draft::NO_ESTIMATE)
        }
        None => String::new(),
    }
}

/// `next update in 12:30 ` (the runbook's `updates:`), or `update due (u) `.
fn next_update(app: &App) -> String {
    let Some(due) = crate::comms::cadence::due(&app.session) else {
        return String::new();
    };
    match (due - app.now).to_std() {
        Ok(left) if !left.is_zero() => {
            let s = left.as_secs();
            format!("next update in {}:{:02} ", s / 60, s % 60)
        }
        _ => "update due (u) ".into(),
    }
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

/// While the keys go to a tty step: only that, and how to get them back.
fn typing_banner(frame: &mut Frame, area: Rect, step: &str) {
    let text = format!(" typing into {step} — Ctrl-] to give the keys back");
    let style = theme::selected().add_modifier(ratatui::style::Modifier::BOLD);
    frame.render_widget(Paragraph::new(text).style(style), area);
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    if let Some(step) = &app.typing {
        return typing_banner(frame, area, step);
    }
    let (done, total) = app.session.progress();
    let mut mode = if app.auto { "AUTO" } else { "MANUAL" }.to_string();
    if app.session.dry_run {
        mode.push_str(" DRY-RUN");
    }
    if app.read_only {
        mode = format!("FOLLOWING — READ ONLY ({})", app.session.status.label());
    }
    let left = vec![
        Span::styled(
            format!(" {} ", super::truncate(&app.session.runbook.title, 28)),
            theme::bold(),
        ),
        Span::styled(
            format!("⏱ {} ", incident_clock(app)),
            theme::fg(app.color, Color::Yellow),
        ),
        Span::raw(format!("{done}/{total} ")),
        Span::raw(expected_end(app)),
        Span::styled(next_update(app), theme::fg(app.color, Color::LightMagenta)),
        Span::styled(
            format!("{mode} "),
            if app.read_only {
                theme::fg(app.color, Color::Magenta).add_modifier(ratatui::style::Modifier::BOLD)
            } else {
                theme::fg(app.color, Color::Cyan)
            },
        ),
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

/// Hints that always get their place, even on a narrow screen: how to get
/// help, which lists every key (at 80 columns it used to be cut first,
/// being last in the table).
/// `t` too: a step waiting for typed input must say how to type into it.
const PINNED: [&str; 2] = ["t", "?"];

fn hint_spans(app: &App, room: usize) -> Vec<Span<'static>> {
    let width = |(keys, hint): &(String, &str)| keys.chars().count() + hint.chars().count() + 2;
    let (pinned, others): (Vec<_>, Vec<_>) = hints(app)
        .into_iter()
        .partition(|(keys, _)| PINNED.contains(&keys.as_str()));
    let reserved: usize = pinned.iter().map(width).sum();
    let mut spans = vec![Span::raw("│")];
    let mut used = 1;
    let fitting = others
        .into_iter()
        .take_while(|h| {
            let fits = used + width(h) + reserved <= room;
            used += width(h);
            fits
        })
        .collect::<Vec<_>>();
    for (keys, hint) in fitting.into_iter().chain(pinned) {
        spans.push(Span::styled(format!(" {keys}"), theme::bold()));
        spans.push(Span::raw(format!(" {hint}")));
    }
    spans
}
