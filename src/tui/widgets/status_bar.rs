//! The status bar: runbook title, incident clock, progress, mode, and the
//! keys that apply right now (from the key table).

use super::super::app::App;
use super::super::keymap::{self, Action, Binding, Context};
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

/// `key hint` pairs that apply now, in table order. While a fleet step's
/// host grid (or a host's log) is shown, its keys come first and the main
/// screen's bindings it takes over are left out.
pub fn hints(app: &App) -> Vec<(String, &'static str)> {
    let ctx = app.context();
    let hosts = host_bindings(app);
    let taken = |b: &Binding| {
        b.keys
            .iter()
            .any(|k| hosts.iter().any(|h| h.keys.contains(k)))
    };
    let main = keymap::bindings(ctx).filter(|b| match ctx {
        Context::Main => app.applies(b.action) && !taken(b),
        Context::HumanPrompt => app.prompt_applies(b.action),
        _ => true,
    });
    hosts
        .iter()
        .copied()
        .chain(main)
        .map(|b| (keymap::keys_label(b), b.hint))
        .collect()
}

/// The host view's bindings that apply now: all of them on the grid, only
/// "back" on a host's log; none without the view or under a modal.
fn host_bindings(app: &App) -> Vec<&'static Binding> {
    let Some(view) = app
        .hosts
        .as_ref()
        .filter(|_| app.context() == Context::Main)
    else {
        return Vec::new();
    };
    keymap::bindings(Context::Hosts)
        .filter(|b| view.open.is_none() || b.action == Action::Dismiss)
        .collect()
}

/// While the keys go to a tty step: only that, and how to get them back.
fn typing_banner(frame: &mut Frame, area: Rect, step: &str) {
    let text = format!(" typing into {step} — Ctrl-] to give the keys back");
    let style = theme::selected().add_modifier(ratatui::style::Modifier::BOLD);
    frame.render_widget(Paragraph::new(text).style(style), area);
}

/// The facts on the left, most important first: the bar drops from the
/// end of this list (and shortens the title) before a pinned key hint
/// would be cut.
fn facts(app: &App, title_max: usize) -> Vec<Span<'static>> {
    let (done, total) = app.session.progress();
    let mut mode = if app.auto { "AUTO" } else { "MANUAL" }.to_string();
    if app.session.dry_run {
        mode.push_str(" DRY-RUN");
    }
    let mode_style = if app.read_only {
        mode = format!("FOLLOWING — READ ONLY ({})", app.session.status.label());
        theme::fg(app.color, Color::Magenta).add_modifier(ratatui::style::Modifier::BOLD)
    } else {
        theme::fg(app.color, Color::Cyan)
    };
    vec![
        Span::styled(
            format!(
                " {} ",
                super::truncate(&app.session.runbook.title, title_max)
            ),
            theme::bold(),
        ),
        Span::styled(
            format!("⏱ {} ", incident_clock(app)),
            theme::fg(app.color, Color::Yellow),
        ),
        Span::raw(format!("{done}/{total} ")),
        Span::styled(format!("{mode} "), mode_style),
        Span::styled(next_update(app), theme::fg(app.color, Color::LightMagenta)),
        Span::raw(expected_end(app)),
    ]
}

/// The facts that fit beside `keep` columns: the estimate and the update
/// clock go first, then the title shortens (to 12 columns at least
/// beside a modal's keys), and on the main screen, too narrow for even a
/// short title beside the pinned keys, it goes (the keys that say how to
/// get help and how to quit never do).
fn fitting_facts(app: &App, width: usize, keep: usize) -> Vec<Span<'static>> {
    let size = |s: &[Span]| s.iter().map(Span::width).sum::<usize>();
    let mut left = facts(app, 28);
    while size(&left) + keep > width && left.len() > 4 {
        left.pop();
    }
    let over = (size(&left) + keep).saturating_sub(width);
    if over > 0 {
        let title = super::cols(&app.session.runbook.title).min(28);
        // A modal's keys are cut instead (all of them ask for room).
        let main = app.context() == Context::Main;
        match title.saturating_sub(over) {
            short if short >= 12 || !main => left[0] = facts(app, short.max(12)).remove(0),
            short if short >= 6 => left[0] = facts(app, short).remove(0),
            _ => {
                left.remove(0);
                left[0].content = format!(" {}", left[0].content).into();
            }
        }
    }
    left
}

/// Whether the status message fits on the bar beside the facts that
/// must stay; when not, [`render_message`] shows it whole above the bar.
pub fn message_fits(app: &App, width: usize) -> bool {
    let Some(msg) = &app.status else { return true };
    let must = facts(app, 12)[..4].iter().map(Span::width).sum::<usize>();
    must + 2 + super::cols(msg) <= width
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    if let Some(step) = &app.typing {
        return typing_banner(frame, area, step);
    }
    let width = area.width as usize;
    let spans = match &app.status {
        Some(msg) if message_fits(app, width) => {
            let text = format!("│ {msg}");
            let mut spans = fitting_facts(app, width, super::cols(&text));
            spans.push(Span::styled(text, theme::fg(app.color, Color::LightYellow)));
            spans
        }
        _ => {
            let pinned = pinned_width(app);
            let mut spans = fitting_facts(app, width, pinned);
            let used: usize = spans.iter().map(Span::width).sum();
            spans.extend(hint_spans(app, width.saturating_sub(used)));
            spans
        }
    };
    let style = if app.color {
        ratatui::style::Style::default().bg(Color::DarkGray)
    } else {
        theme::selected()
    };
    frame.render_widget(Paragraph::new(Line::from(spans)).style(style), area);
}

/// A status message too long for the bar: whole, wrapped, in a box just
/// above it (over the bottom of the panes, until the next key or it expires).
pub fn render_message(frame: &mut Frame, area: Rect, app: &App) {
    let Some(msg) = &app.status else { return };
    if app.typing.is_some() || message_fits(app, area.width as usize) {
        return;
    }
    let line = Line::styled(msg.clone(), theme::fg(app.color, Color::LightYellow));
    let inner = area.width.saturating_sub(2);
    let h = (super::wrapped_height(std::slice::from_ref(&line), inner) as u16 + 2)
        .min(area.height.saturating_sub(1));
    let r = Rect::new(area.x, area.bottom().saturating_sub(1 + h), area.width, h);
    super::clear_box(frame, r);
    let p = Paragraph::new(line)
        .block(super::block("Message", false))
        .wrap(ratatui::widgets::Wrap { trim: false });
    frame.render_widget(p, r);
}

/// Hints that always get their place, even on a narrow screen: how to get
/// help (which lists every key) and how to quit — at 80 columns they used
/// to be cut first, being last in the table.
/// `t` too: a step waiting for typed input must say how to type into it.
/// `g` too: when the selection left the next step, how to go back to it.
const PINNED: [&str; 4] = ["t", "g", "?", "q"];

fn hint_width((keys, hint): &(String, &str)) -> usize {
    super::cols(keys) + super::cols(hint) + 2
}

/// The room the key hints keep before the facts: on the main screen the
/// pinned ones and the first other one (`Enter act`, mostly), or all the
/// host view's while it is shown; all of a modal's (a few, and what it is
/// waiting for).
fn pinned_width(app: &App) -> usize {
    let main = app.context() == Context::Main;
    let (pinned, others): (Vec<_>, Vec<_>) = hints(app)
        .into_iter()
        .partition(|(keys, _)| !main || PINNED.contains(&keys.as_str()));
    let first = host_bindings(app).len().max(1);
    1 + pinned
        .iter()
        .chain(others.iter().take(first))
        .map(hint_width)
        .sum::<usize>()
}

fn hint_spans(app: &App, room: usize) -> Vec<Span<'static>> {
    let (pinned, others): (Vec<_>, Vec<_>) = hints(app)
        .into_iter()
        .partition(|(keys, _)| PINNED.contains(&keys.as_str()));
    let reserved: usize = pinned.iter().map(hint_width).sum();
    let mut spans = vec![Span::raw("│")];
    let mut used = 1;
    // In table order (most useful first); one too wide for what is left
    // lets a shorter one after it in.
    let fitting = others
        .into_iter()
        .filter(|h| {
            let fits = used + hint_width(h) + reserved <= room;
            if fits {
                used += hint_width(h);
            }
            fits
        })
        .collect::<Vec<_>>();
    for (keys, hint) in fitting.into_iter().chain(pinned) {
        spans.push(Span::styled(format!(" {keys}"), theme::bold()));
        spans.push(Span::raw(format!(" {hint}")));
    }
    spans
}
