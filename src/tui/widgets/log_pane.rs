//! The log pane: the visible lines of the selected step's attempt, with
//! stdout and stderr told apart, SGR colours rendered (or stripped under
//! `NO_COLOR`), and a marker when follow is paused. Only the visible lines
//! are laid out. A `tty: true` step shows its emulated terminal screen
//! instead (`vt_screen`). A human step, having no output of its own,
//! shows the session's latest output as context (its title says whose).

use super::super::app::{App, Pane};
use super::super::log::{LogLine, strip_sgr};
use super::super::theme;
use crate::session::event::Stream;
use ansi_to_tui::IntoText;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

fn display(line: &LogLine, app: &App, hit: bool) -> Line<'static> {
    let gutter = match line.stream {
        Stream::Stdout => Span::raw("  "),
        Stream::Stderr => Span::styled("▌ ", theme::fg(app.color, Color::Red)),
    };
    let mut spans = vec![gutter];
    let colored = if app.color {
        line.text.into_text().ok()
    } else {
        None
    };
    match colored.and_then(|t| t.lines.into_iter().next()) {
        Some(l) => spans.extend(l.spans),
        None => spans.push(Span::raw(strip_sgr(&line.text))),
    }
    let mut l = Line::from(spans);
    if line.stream == Stream::Stderr && app.color {
        l = l.style(theme::fg(true, Color::LightRed));
    }
    if hit {
        l.patch_style(ratatui::style::Style::default().add_modifier(Modifier::REVERSED))
    } else {
        l
    }
}

fn title(app: &App) -> String {
    let id = app.selected_id();
    let Some(attempt) = app.shown_attempt() else {
        return format!("Log · {id}");
    };
    let total = app.session.steps[app.selected].attempts.len();
    let which = if total > 1 {
        format!(" attempt {attempt}/{total} ([ ])")
    } else {
        String::new()
    };
    // Following only means something for the attempt that is running.
    let live = matches!(
        app.session.steps[app.selected].status,
        crate::session::state::StepStatus::Running { attempt: n } if n == attempt
    );
    let mode = match (live, app.follow) {
        (true, true) => " · following",
        (_, false) => " · PAUSED · f to follow",
        (false, true) => "",
    };
    format!("Log · {id}{which}{mode}")
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let block = super::block(&title(app), app.focus == Pane::Log && app.modal.is_none());
    if let Some(screen) = app.shown_screen() {
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let vt = super::vt_screen::VtScreen {
            screen,
            color: app.color,
        };
        frame.render_widget(vt, inner);
        return;
    }
    if let Some((step, log)) = context_log(app) {
        render_context(frame, area, app, step, log);
        return;
    }
    let inner_h = area.height.saturating_sub(2) as u64;
    let lines: Vec<Line> = match app.shown_log() {
        Some(log) if !log.is_empty() => {
            let top = app.log_top();
            let hit = if app.follow {
                None
            } else {
                app.search.as_ref().map(|_| app.anchor)
            };
            (top..(top + inner_h).min(log.end()))
                .filter_map(|n| log.line(n).map(|l| display(&l, app, hit == Some(n))))
                .collect()
        }
        _ => vec![Line::styled(empty_text(app), theme::dim())],
    };
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn empty_text(app: &App) -> &'static str {
    match app.step_def(app.selected) {
        Some(s) if !s.is_automated() => "A human step has no output. Enter opens its prompt.",
        _ if app.session.running() == Some(app.selected) => "Running; no output yet.",
        _ if app.shown_attempt().is_some() => "This attempt printed nothing.",
        _ => "Not run yet. Enter runs it.",
    }
}

/// A human step has no output: show the latest output of the session (its
/// last lines), titled with the step it came from, as context.
fn context_log(app: &App) -> Option<(&str, &super::super::log::LogPane)> {
    let human = app
        .step_def(app.selected)
        .is_some_and(|d| !d.is_automated());
    if !human {
        return None;
    }
    let (step, attempt) = app.latest_output()?;
    let log = app.logs.get(step, attempt).filter(|l| !l.is_empty())?;
    Some((step, log))
}

fn render_context(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    step: &str,
    log: &super::super::log::LogPane,
) {
    let title = format!("Log · latest output, from {step}");
    let block = super::block(&title, false);
    let lines: Vec<Line> = log
        .tail(area.height.saturating_sub(2) as usize)
        .iter()
        .map(|l| display(l, app, false))
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
