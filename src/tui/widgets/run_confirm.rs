//! Confirmation before a `confirm: true` step runs: the exact command, the
//! working directory, the environment (secrets masked) and the timeout.

use super::super::app::App;
use super::super::theme;
use crate::runbook::duration;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

/// The environment the engine will give the step (the same function
/// computes both), with secret values masked.
pub fn environment(app: &App, step: &str) -> Vec<(String, String)> {
    match app.session.runbook.step(step) {
        Some(def) => crate::policy::shown_env(&app.session, &app.secrets, def),
        None => Vec::new(),
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, step: &str) {
    let Some(def) = app.session.runbook.step(step) else {
        return;
    };
    let mut lines = vec![
        Line::styled(def.title.clone(), theme::bold()),
        Line::raw(""),
    ];
    for l in def.run.as_deref().unwrap_or("").lines() {
        lines.push(Line::styled(
            format!("$ {l}"),
            theme::fg(app.color, Color::Cyan),
        ));
    }
    lines.push(Line::raw(""));
    // Relative working directories are taken from the runbook's folder.
    let dir = match def
        .working_dir
        .as_deref()
        .or(app.session.runbook.working_dir.as_deref())
    {
        None => "the runbook's folder".to_string(),
        Some(d) if d.starts_with('/') => d.to_string(),
        Some(d) => format!("{d} (in the runbook's folder)"),
    };
    lines.push(Line::raw(format!("Directory: {dir}")));
    let timeout = def
        .timeout
        .map(duration::format)
        .unwrap_or_else(|| "none".into());
    lines.push(Line::raw(format!("Timeout:   {timeout}")));
    lines.push(Line::raw("Environment:"));
    for (k, v) in environment(app, step) {
        lines.push(Line::raw(format!("  {k}={v}")));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        super::super::keymap::footer(super::super::keymap::Context::RunConfirm, &[]),
        theme::bold(),
    ));
    let r = super::super::view::centered(frame, area, 76, lines.len() as u16 + 2);
    let p = Paragraph::new(lines)
        .block(super::block("Run this command?", true))
        .wrap(Wrap { trim: false });
    frame.render_widget(p, r);
}
