//! The details pane: the selected step's title, instructions, the exact
//! command, its settings, checklist, notes and attempts.

use super::super::app::App;
use super::super::theme;
use crate::engine::redact::MASK;
use crate::runbook::duration;
use crate::runbook::model::Step;
use crate::session::state::{Attempt, StepState, StepStatus};

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use std::time::Duration;

fn settings(step: &Step) -> String {
    let mut parts = Vec::new();
    if let Some(t) = step.timeout {
        parts.push(format!("timeout {}", duration::format(t)));
    }
    if step.retry.attempts > 1 {
        parts.push(format!(
            "{} attempts, {} apart",
            step.retry.attempts,
            duration::format(step.retry.delay)
        ));
    }
    if step.confirm {
        parts.push("asks before running".to_string());
    }
    parts.join(" · ")
}

fn attempt_line(a: &Attempt, app: &App, live: bool) -> Line<'static> {
    let outcome = if a.timed_out {
        "timed out".to_string()
    } else if let Some(r) = &a.cancelled {
        format!("cancelled ({r})")
    } else if let Some(exit) = a.exit {
        exit.to_string()
    } else if live {
        "running".to_string()
    } else {
        "outcome unknown".to_string()
    };
    let took = a
        .duration_ms
        .map(Duration::from_millis)
        .or_else(|| {
            live.then(|| (app.now - a.started_at).to_std().ok())
                .flatten()
        })
        .map(duration::format)
        .map(|d| match a.duration_ms {
            Some(_) => format!(" in {d}"),
            None => format!(" for {d}"),
        })
        .unwrap_or_default();
    let ok = a.success == Some(true);
    let style = match a.success {
        Some(true) => theme::fg(app.color, Color::Green),
        Some(false) => theme::fg(app.color, Color::Red),
        None => theme::fg(app.color, Color::Yellow),
    };
    let mut spans = vec![
        Span::raw(format!(
            "  #{} {} ",
            a.number,
            super::since_start(&app.session, a.started_at)
        )),
        Span::styled(format!("{}{outcome}", if ok { "✓ " } else { "" }), style),
        Span::styled(took, theme::dim()),
    ];
    if a.ended_away.is_some() {
        spans.push(Span::styled(
            " (ended while stepwise was not running)",
            theme::dim(),
        ));
    }
    spans.extend(record_notes(a, app));
    Line::from(spans)
}

/// What the record says besides the exit: leftovers ended, a log cut short.
fn record_notes(a: &Attempt, app: &App) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    if a.leftovers > 0 {
        let words = crate::transcript::leftovers_words(a.leftovers);
        spans.push(Span::styled(format!(" · {words}"), theme::dim()));
    }
    if let Some(cut) = &a.log_cut {
        let words = format!(" · log cut at byte {}, {} bytes lost", cut.kept, cut.lost);
        spans.push(Span::styled(words, theme::fg(app.color, Color::Red)));
    }
    spans
}

fn status_text(app: &App, st: &StepState) -> String {
    if let Some(r) = app.retry_of(&st.id) {
        let wait = (r.due - app.now).to_std().unwrap_or_default();
        return format!(
            "failed, retrying: {} in {}",
            st.retry_words(r.attempt, r.of),
            crate::runbook::duration::countdown(wait)
        );
    }
    if let Some((exit, ms)) = app
        .session
        .step_index(&st.id)
        .and_then(|i| app.ended_away_of(i))
    {
        let took = duration::format(Duration::from_millis(ms));
        return format!("ended while no stepwise ran: {exit} after {took}; a resume records it");
    }
    match &st.status {
        StepStatus::Skipped { reason } => format!("skipped: {reason}"),
        _ => st.word().to_string(),
    }
}

/// On a section's first step, the section's description (what the runbook
/// says about the whole section), dimmed.
fn section_intro(app: &App, st: &StepState) -> Vec<Line<'static>> {
    let section = &app.session.runbook.sections[st.section];
    let first = section.steps.first().is_some_and(|s| s.id == st.id);
    let Some(d) = section.description.as_deref().filter(|_| first) else {
        return Vec::new();
    };
    d.trim()
        .lines()
        .enumerate()
        .map(|(i, l)| match i {
            0 => format!("{}: {l}", section.title),
            _ => l.to_string(),
        })
        .map(|text| Line::styled(text, theme::dim()))
        .collect()
}

/// `width`: the pane's text width, for the lines wrapped here.
fn body(app: &App, step: &Step, st: &StepState, width: u16) -> Vec<Line<'static>> {
    let kind = if step.is_automated() {
        "automated"
    } else if step.is_update() {
        "update step"
    } else {
        "human step"
    };
    let mut lines = vec![
        Line::styled(step.title.clone(), theme::bold()),
        Line::styled(format!("{kind} · {}", status_text(app, st)), theme::dim()),
    ];
    lines.extend(section_intro(app, st));
    if let Some(text) = &step.instructions {
        lines.push(Line::raw(""));
        lines.extend(text.lines().map(|l| Line::raw(l.to_string())));
    }
    if let Some(cmd) = &step.run {
        lines.push(Line::raw(""));
        for (i, l) in cmd.lines().enumerate() {
            let prompt = if i == 0 { "$ " } else { "  " };
            let style = theme::fg(app.color, Color::Cyan);
            lines.extend(super::code_rows(prompt, l, style, width));
        }
    }
    lines.extend(update_lines(app, step, width));
    lines.extend(values_read(app, step));
    let s = settings(step);
    if !s.is_empty() {
        lines.push(Line::styled(s, theme::dim()));
    }
    if !step.checklist.is_empty() {
        lines.push(Line::raw(""));
        for (i, item) in step.checklist.iter().enumerate() {
            let tick = if st.checked.contains(&i) {
                "[x]"
            } else {
                "[ ]"
            };
            lines.push(Line::raw(format!("{tick} {item}")));
        }
    }
    push_history(&mut lines, app, st, width);
    lines
}

/// An update step: its template, status and channels, then every send of
/// it, how each channel took it, and the text sent.
fn update_lines(app: &App, step: &Step, width: u16) -> Vec<Line<'static>> {
    let Some(u) = &step.update else {
        return Vec::new();
    };
    let every: Vec<&str> = app
        .session
        .runbook
        .channels
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let to = match u.channels.is_empty() {
        true => every.join(", "),
        false => u.channels.join(", "),
    };
    let mut lines = vec![
        Line::raw(""),
        Line::styled(format!("✉ {} → {to}", u.status.word()), theme::dim()),
    ];
    let style = theme::fg(app.color, Color::Cyan);
    lines.extend(
        u.template
            .lines()
            .map(|l| Line::styled(l.to_owned(), style)),
    );
    for sent in app
        .session
        .updates
        .iter()
        .filter(|x| x.step.as_deref() == Some(&step.id))
    {
        let at = sent.at.format("%H:%M:%S");
        let Some(results) = &sent.results else {
            lines.push(Line::raw(format!("sent {at}: delivery unknown")));
            lines.extend(sent_text(&sent.text, width));
            continue;
        };
        lines.push(Line::raw(format!("sent {at}:")));
        // Each channel's answer on its own rows: a long error (a command's
        // stderr) wraps under itself.
        for c in results {
            let lead = format!("  {} {}: ", if c.ok { "✓" } else { "✗" }, c.channel);
            lines.extend(super::hang(&lead, &c.detail, Style::default(), width));
        }
        lines.extend(sent_text(&sent.text, width));
    }
    lines
}

/// The text of a send as it went out (values filled in, masked), under
/// `text:`.
fn sent_text(text: &str, width: u16) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let lead = if i == 0 { "  text: " } else { "        " };
        lines.extend(super::hang(lead, l, Style::default(), width));
    }
    lines
}

/// The inputs and captures the command reads, with the values it will get
/// (secrets masked): after a change, the operator sees which value runs.
fn values_read(app: &App, step: &Step) -> Vec<Line<'static>> {
    let s = &app.session;
    let masked = |name: &str, flagged: bool| {
        flagged
            || app.secrets.iter().any(|n| n == name)
            || s.runbook.input(name).is_some_and(|i| i.secret)
    };
    let shown = |name: &str, value: &str, secret: bool| -> String {
        match masked(name, secret) {
            true => format!("{name}={MASK}"),
            false => format!("{name}={value}"),
        }
    };
    let mut parts: Vec<String> = Vec::new();
    for input in s.runbook.inputs.iter().filter(|i| step.reads(&i.name)) {
        parts.push(match s.inputs.iter().find(|v| v.name == input.name) {
            Some(v) if v.changed() => format!("{} (changed)", shown(&v.name, &v.value, v.secret)),
            Some(v) => shown(&v.name, &v.value, v.secret),
            None => format!("{} not given", input.name),
        });
    }
    for c in s.captures.iter().filter(|c| step.reads(&c.name)) {
        parts.push(shown(&c.name, &c.value, c.secret));
    }
    // One value a line: a long value (a URL, a path) wraps alone, not
    // leaving a separator at the start of a line.
    parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let lead = if i == 0 { "with " } else { "     " };
            Line::styled(format!("{lead}{p}"), theme::dim())
        })
        .collect()
}

fn push_history(lines: &mut Vec<Line<'static>>, app: &App, st: &StepState, width: u16) {
    if !st.notes.is_empty() {
        lines.push(Line::styled("Notes", theme::bold()));
        for n in &st.notes {
            let who =
                n.by.as_ref()
                    .map(|a| format!(" {}", a.user))
                    .unwrap_or_default();
            // A long note wraps under itself, not under the time.
            let lead = format!("  {}{who}: ", super::since_start(&app.session, n.at));
            let text = n.text.replace('\n', " ⏎ ");
            lines.extend(super::hang(&lead, &text, Style::default(), width));
        }
    }
    if st.fleet.is_fleet() {
        lines.push(Line::styled("Hosts", theme::bold()));
        if let Some(b) = st.fleet.waiting {
            let text = format!(
                "  Batch {b} is done: Enter asks whether to go on with the next batch or stop"
            );
            lines.push(Line::styled(text, theme::bold()));
        }
        if let Some(why) = &st.fleet.stopped {
            lines.push(Line::raw(format!("  Rollout stopped: {why}")));
        }
        let grid = crate::tui::fleet::grid(&st.fleet, |host| {
            super::host_grid::last_line(app, &st.id, host)
        });
        lines.extend(grid.into_iter().map(|l| Line::raw(format!("  {l}"))));
    }
    if !st.attempts.is_empty() {
        lines.push(Line::styled("Attempts", theme::bold()));
        // Only the attempt running now is "running": an earlier one left
        // without an exit (outcome unknown, then re-run) is not.
        let running = match st.status {
            StepStatus::Running { attempt } => Some(attempt),
            _ => None,
        };
        // Ended with nobody attached: said in the status line, not "running".
        let away = app
            .session
            .step_index(&st.id)
            .and_then(|i| app.ended_away_of(i));
        lines.extend(st.attempts.iter().map(|a| match away {
            Some((exit, ms)) if running == Some(a.number) => {
                let mut ended = a.clone();
                ended.exit = Some(exit);
                ended.duration_ms = Some(ms);
                attempt_line(&ended, app, false)
            }
            _ => attempt_line(a, app, running == Some(a.number)),
        }));
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let lines = match (
        app.step_def(app.selected),
        app.session.steps.get(app.selected),
    ) {
        (Some(step), Some(st)) => body(app, step, st, area.width.saturating_sub(2)),
        _ => vec![Line::raw("This runbook has no steps.")],
    };
    let width = area.width.saturating_sub(2);
    let lines = super::prewrap_wide(lines, width);
    // Say so when the pane cannot hold it all, rather than cut silently;
    // `D` scrolls it (round to the top after the end). The rows counted
    // are those the paragraph draws, word wrapping and all.
    let p = Paragraph::new(lines).wrap(Wrap { trim: false });
    let total = p.line_count(width);
    let room = usize::from(area.height.saturating_sub(2));
    let scroll = scroll_of(app.details_scroll / 3, total, room);
    let title = match (total > room, scroll) {
        (false, _) => "Details".to_string(),
        (true, 0) => "Details · ↓ more: D scrolls".to_string(),
        (true, s) if s + room >= total => "Details · end: D goes to the top".to_string(),
        (true, _) => "Details · ↕ more: D scrolls".to_string(),
    };
    let p = p
        .block(super::block(&title, false))
        .scroll((scroll as u16, 0));
    frame.render_widget(p, area);
}

/// The first row shown after `presses` of `D`, for `total` rows in a pane
/// of `room`: three rows a press (fewer in a pane that short), stopping
/// at the view that ends on the last row, then round to the top.
fn scroll_of(presses: usize, total: usize, room: usize) -> usize {
    if total <= room {
        return 0;
    }
    let (last, step) = (total - room, room.clamp(1, 3));
    let stops = last.div_ceil(step) + 1;
    ((presses % stops) * step).min(last)
}

#[cfg(test)]
mod tests {
    use super::scroll_of;

    /// 34 rows in a pane of 20: `D` stops at 0, 3, 6, 9, 12 and then at
    /// 14, the view that ends on the last row, before going round.
    #[test]
    fn d_reaches_the_last_row_before_going_round() {
        let seen: Vec<usize> = (0..8).map(|p| scroll_of(p, 34, 20)).collect();
        assert_eq!(seen, [0, 3, 6, 9, 12, 14, 0, 3]);
        // A one-row pane moves one row a press: no row is skipped.
        let seen: Vec<usize> = (0..4).map(|p| scroll_of(p, 3, 1)).collect();
        assert_eq!(seen, [0, 1, 2, 0]);
        assert_eq!(scroll_of(5, 10, 20), 0, "it all fits");
    }
}
