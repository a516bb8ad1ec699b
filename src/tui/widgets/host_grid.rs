//! The host grid of a fleet step drawn in the log pane (`h`): one row per
//! host (host, batch, status, duration, last output line or why it
//! failed), the picked host reversed, kept in view. Reads the app; never
//! changes it.

use super::super::app::App;
use super::super::theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let Some(view) = &app.hosts else { return };
    let Some(st) = app.session.step(&view.step) else {
        return;
    };
    let title = format!("Hosts · {} · Enter: log · Esc: back", view.step);
    let block = super::block(&title, app.modal.is_none());
    let rows = compact(&st.fleet, |host| last_line(app, &view.step, host));
    let height = area.height.saturating_sub(3) as usize;
    // The header stays; the hosts scroll to keep the cursor in view.
    let skip = (view.cursor + 1).saturating_sub(height.max(1));
    let mut lines = vec![Line::styled(rows[0].clone(), theme::bold())];
    for (i, row) in rows.iter().enumerate().skip(1 + skip).take(height) {
        let line = Line::raw(row.clone());
        lines.push(match i - 1 == view.cursor {
            true => line.style(ratatui::style::Style::default().add_modifier(Modifier::REVERSED)),
            false => line,
        });
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The grid narrow enough for the log pane at 80 columns: mark, host,
/// batch, duration, then the last line (or why it failed).
fn compact(f: &crate::session::fleet::FleetState, last: impl Fn(&str) -> String) -> Vec<String> {
    let width = f.host_width();
    let mut out = vec![format!(
        "  {}  batch   took  last line",
        super::pad("host", width)
    )];
    for h in &f.hosts {
        let took = h
            .duration_ms
            .map_or("-".to_owned(), |ms| format!("{:.1}s", ms as f64 / 1000.0));
        let what = h.message.clone().unwrap_or_else(|| last(&h.host));
        let mark = h.status.mark();
        out.push(format!(
            "{mark} {}  {:>5}  {took:>5}  {what}",
            super::pad(&h.host, width),
            h.batch
        ));
    }
    out
}

/// The last line a host printed (kept in memory), for the grid.
pub fn last_line(app: &App, step: &str, host: &str) -> String {
    let Some(h) = app.session.step(step).and_then(|s| s.fleet.host(host)) else {
        return String::new();
    };
    let key = crate::tui::host_pick::log_key(step, host);
    let log = app.logs.get(&key, h.attempt);
    let line = log.and_then(|l| l.tail(1).into_iter().next());
    line.map(|l| crate::tui::log::strip_sgr(&l.text))
        .unwrap_or_default()
}
