//! The steps pane: sections and steps with status marks, the next-step
//! marker, durations, optional sections. Which rows are shown comes from
//! `layout` (the same rule maps mouse clicks back to steps).

use super::super::app::{App, Pane};
use super::super::layout::{Row, offset, rows};
use super::super::theme;
use crate::runbook::duration;
use crate::session::state::StepStatus;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::time::Duration;

/// How long a step took, or has been running.
pub fn step_duration(app: &App, i: usize) -> Option<Duration> {
    let st = &app.session.steps[i];
    let last = st.attempts.last()?;
    if let Some((_, ms)) = app.ended_away_of(i) {
        return Some(Duration::from_millis(ms));
    }
    match (st.status.clone(), last.duration_ms) {
        (StepStatus::Running { .. }, _) => (app.now - last.started_at).to_std().ok(),
        (_, Some(ms)) => Some(Duration::from_millis(ms)),
        _ => None,
    }
}

/// The spinner frame for the current time.
pub fn spinner_frame(app: &App) -> usize {
    (app.now.timestamp_subsec_millis() / 100) as usize + app.now.timestamp() as usize * 10
}

fn step_line(app: &App, i: usize, width: usize) -> Line<'static> {
    let st = &app.session.steps[i];
    let title = app
        .step_def(i)
        .map(|d| d.title.clone())
        .unwrap_or_else(|| st.id.clone());
    let next = app.session.next_step() == Some(i);
    let (mark, style) = match app.retry_of(&st.id) {
        // Waiting to try again is not a failure yet.
        Some(_) => ("↻", theme::fg(app.color, ratatui::style::Color::Yellow)),
        // Ended with nobody attached: not spinning, not judged yet.
        None if app.ended_away_of(i).is_some() => {
            ("■", theme::fg(app.color, ratatui::style::Color::Yellow))
        }
        None => theme::mark(&st.status, spinner_frame(app), app.color),
    };
    let dur = step_duration(app, i)
        .map(duration::format)
        .unwrap_or_default();
    // The time is the last attempt's: say when there were more (in
    // words when the title keeps 12 characters beside them).
    let mut dur = match st.attempts.len() {
        n if n > 1 && !dur.is_empty() && width >= 6 + 12 + dur.len() + 14 => {
            format!("{dur} · {n} attempts")
        }
        n if n > 1 && !dur.is_empty() => format!("{n}× {dur}"),
        _ => dur,
    };
    let on = app.step_def(i).map(|d| d.on.clone()).unwrap_or_default();
    if let Some(fleet) = crate::tui::fleet::summary(st, &on) {
        dur = format!("{fleet} {dur}");
    }
    let room = width.saturating_sub(6 + super::cols(&dur) + 1);
    let title = super::truncate(&title, room);
    let pad = width.saturating_sub(6 + super::cols(&title) + super::cols(&dur));
    let line = Line::from(vec![
        Span::styled(if next { " ▶ " } else { "   " }, theme::bold()),
        Span::styled(mark, style),
        Span::raw("  "),
        Span::raw(title),
        Span::raw(" ".repeat(pad)),
        Span::styled(dur, theme::dim()),
    ]);
    if i == app.selected {
        line.patch_style(theme::selected())
    } else {
        line
    }
}

fn section_line(app: &App, si: usize, width: usize) -> Line<'static> {
    let sec = &app.session.runbook.sections[si];
    let tag = if sec.optional { " (optional)" } else { "" };
    let title = super::truncate(&sec.title, width.saturating_sub(tag.len() + 1));
    Line::from(vec![
        Span::styled(title, theme::bold()),
        Span::styled(tag.to_string(), theme::dim()),
    ])
}

/// When the selection is away from the next step: which one `▶` marks
/// and how to go back to it, on the pane's bottom border, whole.
fn legend(app: &App, width: usize) -> Option<String> {
    let next = app.away_from_next()?;
    let title = app
        .step_def(next)
        .map(|d| d.title.clone())
        .unwrap_or_else(|| app.session.steps[next].id.clone());
    let short = " ▶ is next · g goes there ";
    // What the long form says besides the title: " ▶ next: " and " · g goes there ".
    let room = width.saturating_sub(25);
    Some(if room >= 10 {
        format!(" ▶ next: {} · g goes there ", super::truncate(&title, room))
    } else {
        short.to_string()
    })
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let mut block = super::block("Steps", app.focus == Pane::Steps && app.modal.is_none());
    if let Some(legend) = legend(app, area.width.saturating_sub(2) as usize) {
        block = block.title_bottom(Line::styled(legend, theme::bold()));
    }
    let inner = block.inner(area);
    let rows = rows(&app.session);
    let off = offset(&rows, app.selected, inner.height as usize);
    let width = inner.width as usize;
    let lines: Vec<Line> = rows
        .iter()
        .skip(off)
        .take(inner.height as usize)
        .map(|r| match r {
            Row::Section(si) => section_line(app, *si, width),
            Row::Step(i) => step_line(app, *i, width),
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
