//! The log pane: the visible lines of the selected step's attempt, with
//! stdout and stderr told apart, SGR colours rendered (or stripped under
//! `NO_COLOR`), and a marker when follow is paused. Long lines wrap, or
//! are cut with a mark (`w`); only the visible rows are laid out, by
//! `log_view`, the same way `App` counts rows to scroll. A `tty: true`
//! step shows its emulated terminal screen instead (`vt_screen`). A human
//! step, having no output of its own, shows the session's latest output
//! as context (its title says whose).

use super::super::app::{App, Pane};
use super::super::log::LogPane;
use super::super::log_view::Pos;
use super::super::theme;
use crate::session::event::Stream;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// One screen row of a log line: the stream's gutter, then the row's text
/// (stderr tinted; the search hit reversed).
fn display(stream: Stream, row: Line<'static>, app: &App, hit: bool) -> Line<'static> {
    let gutter = match stream {
        Stream::Stdout => Span::raw("  "),
        Stream::Stderr => Span::styled("▌ ", theme::fg(app.color, Color::Red)),
    };
    let style = row.style;
    let mut spans = vec![gutter];
    spans.extend(row.spans);
    let mut l = Line::from(spans).style(style);
    if stream == Stream::Stderr && app.color {
        l = l.style(theme::fg(true, Color::LightRed));
    }
    if hit {
        l.patch_style(ratatui::style::Style::default().add_modifier(Modifier::REVERSED))
    } else {
        l
    }
}

/// The rows of `log` from `top` down that fill `height`.
fn rows(app: &App, log: &LogPane, top: Pos, height: usize, hit: Option<u64>) -> Vec<Line<'static>> {
    app.log_layout()
        .visible(log, top, height)
        .into_iter()
        .map(|(n, stream, row)| display(stream, row, app, hit == Some(n)))
        .collect()
}

/// The pane's title, fitted to `width`: the step and how to get out of
/// a mode stay; the attempt, then the `[ ]` hint, then "following" go
/// first when it is too long.
fn title(app: &App, width: usize) -> String {
    let mut id = app.selected_id();
    if let Some(host) = app.hosts.as_ref().and_then(|v| v.open.as_ref()) {
        id = format!("{id} [{host}] · Esc: hosts");
    }
    let Some(attempt) = app.shown_attempt() else {
        return super::fit_title(&[(format!("Log · {id}"), 0)], width);
    };
    let total = app.session.steps[app.selected].attempts.len();
    // Out of as many as the step may take (`retry.attempts`), not only
    // those made so far.
    let most = app
        .step_def(app.selected)
        .map_or(0, |d| d.retry.attempts as usize)
        .max(total);
    let mut parts = vec![(format!("Log · {id}"), 0)];
    if total > 1 || most > 1 {
        parts.push((format!(" attempt {attempt}/{most}"), 2));
        parts.push((" ([ ])".to_string(), 3));
    }
    // Following only means something for the attempt that is running.
    let live = matches!(
        app.session.steps[app.selected].status,
        crate::session::state::StepStatus::Running { attempt: n } if n == attempt
    );
    let mode = if app.typing.is_some() && app.shown_screen().is_some() {
        " · TYPING · Ctrl-] ends"
    } else if app.may_wait_for_input() {
        " · waiting for input? t to type"
    } else {
        match (live, app.follow) {
            (true, true) => " · following",
            (_, false) => " · PAUSED · f to follow",
            (false, true) => "",
        }
    };
    parts.push((mode.to_string(), if mode == " · following" { 4 } else { 1 }));
    if let Some(s) = &app.searching {
        let q = super::truncate(&s.query, 16);
        let say = format!(" · searching “{q}” {}% · Esc stops", s.percent());
        parts.push((say, 1));
    }
    // A long id gives way to the attempt and the mode (down to 16).
    let rest: usize = parts[1..]
        .iter()
        .filter(|(_, rank)| *rank <= 2)
        .map(|(t, _)| super::cols(t))
        .sum();
    let id_room = width.saturating_sub(6 + rest).max(16);
    parts[0].0 = format!("Log · {}", super::truncate(&id, id_room));
    super::fit_title(&parts, width)
}

/// A note on the lines in view that are not shown exactly as written:
/// bytes that are not UTF-8, a line too long to read as one.
fn notes(log: &LogPane, top: u64, shown: usize) -> Option<String> {
    let lines: Vec<_> = (top..top + shown as u64)
        .filter_map(|n| log.line(n))
        .collect();
    let mut says = Vec::new();
    if lines.iter().any(|l| l.lossy) {
        says.push("� marks bytes that are not UTF-8");
    }
    if lines.iter().any(|l| l.cut) {
        says.push("a line over 64 KiB goes on in the next");
    }
    (!says.is_empty()).then(|| format!(" {} ", says.join("; ")))
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    if app.grid_shown() {
        return super::host_grid::render(frame, area, app);
    }
    let room = area.width.saturating_sub(4) as usize;
    let block = super::block(
        &title(app, room),
        app.focus == Pane::Log && app.modal.is_none(),
    );
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
    let inner_h = area.height.saturating_sub(2) as usize;
    let mut block = block;
    let lines: Vec<Line> = match app.shown_log() {
        Some(log) if !log.is_empty() => {
            let top = app.log_top_pos();
            let rows = rows(app, log, top, inner_h, app.hit);
            if let Some(note) = notes(log, top.line, rows.len()) {
                // The bottom border says what is not shown as written.
                block = block.title_bottom(Line::styled(note, theme::dim()));
            }
            rows
        }
        _ => {
            let text = Paragraph::new(Line::styled(empty_text(app), theme::dim()))
                .wrap(ratatui::widgets::Wrap { trim: true });
            return frame.render_widget(text.block(block), area);
        }
    };
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The selected step ran on hosts (its output is per host).
fn is_fleet(app: &App) -> bool {
    let st = app.session.steps.get(app.selected);
    st.is_some_and(|s| s.fleet.is_fleet())
}

fn empty_text(app: &App) -> &'static str {
    match app.step_def(app.selected) {
        Some(s) if s.is_update() => "An update step sends a status update. Enter opens its draft.",
        Some(s) if !s.is_automated() => "A human step has no output. Enter opens its prompt.",
        Some(s) if s.confirm && app.shown_attempt().is_none() => {
            "Not run yet: it waits for you. Enter shows what it will run, then asks."
        }
        _ if is_fleet(app) => {
            "A fleet step: each host's output is in its own log. h shows the hosts; Enter on one opens its log."
        }
        _ if app.session.running() == Some(app.selected) => "Running; no output yet.",
        _ if app.shown_attempt().is_some() => "This attempt printed nothing.",
        _ => "Not run yet. Enter runs it.",
    }
}

/// A human step has no output, nor has an automated step that has not run
/// yet (the selection moves on to it when the previous step ends): show the
/// latest output of the session (its last lines), titled with the step it
/// came from, as context. Without it the output of the step just run
/// vanished from view, and a second Enter ran the next step.
fn context_log(app: &App) -> Option<(&str, &LogPane)> {
    let human = app
        .step_def(app.selected)
        .is_some_and(|d| !d.is_automated());
    let not_run = app.shown_attempt().is_none() && app.session.running() != Some(app.selected);
    if !human && !not_run {
        return None;
    }
    let (step, attempt) = app.latest_output()?;
    let log = app.logs.get(step, attempt).filter(|l| !l.is_empty())?;
    Some((step, log))
}

fn render_context(frame: &mut Frame, area: Rect, app: &App, step: &str, log: &LogPane) {
    let def = app.step_def(app.selected);
    let head = match def {
        Some(d) if !d.is_automated() => "Log",
        // Auto mode stops at such a step: say it waits for a person.
        Some(d) if d.confirm => "Log · waits for you: Enter to review",
        _ => "Log · not run yet",
    };
    let room = area.width.saturating_sub(4) as usize;
    let long = format!("{head} · latest output, from {step}");
    let title = if super::cols(&long) <= room {
        long
    } else {
        super::fit_title(&[(format!("{head} · from {step}"), 0)], room)
    };
    let block = super::block(&title, false);
    let height = area.height.saturating_sub(2) as usize;
    let top = app.log_layout().bottom(log, height);
    let lines = rows(app, log, top, height, None);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
