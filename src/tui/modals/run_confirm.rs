//! Confirmation before a `confirm: true` step runs: the exact command, the
//! working directory, the environment (secrets masked) and the timeout.

use super::super::look::Look;
use super::super::theme;
use super::super::widgets::wrapped_height;
use crate::runbook::duration;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::Line;

/// The environment the engine will give the step (the same function
/// computes both), with secret values masked.
pub fn environment(look: &Look, step: &str) -> Vec<(String, String)> {
    match look.session.runbook.step(step) {
        Some(def) => crate::policy::shown_env(look.session, look.secrets, def),
        None => Vec::new(),
    }
}

/// Said after the rows a short screen hides: `y` waits for all of them.
const HIDDEN: &str = "enlarge the terminal: y runs the command once it all shows";

pub fn render(frame: &mut Frame, area: Rect, look: &Look, step: &str) {
    if let Some(lines) = content(area, look, step) {
        super::super::widgets::dialog_hiding(frame, area, 76, "Run this command?", lines, HIDDEN);
    }
}

/// Whether this screen is too short for the whole question: `y` does not
/// run a command the operator could not read.
fn hides_rows(look: &Look, step: &str) -> bool {
    use super::super::widgets::{box_rows, dialog_inner, dialog_rows, prewrap_wide};
    let area = Rect::new(0, 0, look.size.0, look.size.1);
    let inner = dialog_inner(area, 76);
    content(area, look, step)
        .is_some_and(|lines| box_rows(&prewrap_wide(lines, inner), inner) > dialog_rows(area))
}

/// The question's lines on a screen of `area`.
fn content(area: Rect, look: &Look, step: &str) -> Option<Vec<Line<'static>>> {
    let def = look.session.runbook.step(step)?;
    let mut lines = vec![
        Line::styled(def.title.clone(), theme::bold()),
        Line::raw(""),
    ];
    for l in def.run.as_deref().unwrap_or("").lines() {
        lines.push(Line::styled(
            format!("$ {l}"),
            theme::fg(look.color, Color::Cyan),
        ));
    }
    lines.push(Line::raw(""));
    // Relative working directories are taken from the runbook's folder.
    let dir = match def
        .working_dir
        .as_deref()
        .or(look.session.runbook.working_dir.as_deref())
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
    let env: Vec<Line> = environment(look, step)
        .into_iter()
        .map(|(k, v)| Line::raw(format!("  {k}={v}")))
        .collect();
    let footer = [
        Line::raw(""),
        Line::styled(
            super::super::keymap::footer(super::super::keymap::Context::RunConfirm, &[]),
            theme::bold(),
        ),
    ];
    // The command and the keys always show; on a short screen the
    // environment gives way, saying how much is left out.
    let inner = 76.min(area.width.saturating_sub(2)).saturating_sub(2);
    let room = usize::from(area.height.saturating_sub(4))
        .saturating_sub(wrapped_height(&lines, inner) + footer.len());
    lines.extend(fit_env(env, room, inner));
    lines.extend(footer);
    Some(lines)
}

/// The environment's lines in at most `room` rows: the first ones, then
/// how many more there are.
fn fit_env(env: Vec<Line<'static>>, room: usize, width: u16) -> Vec<Line<'static>> {
    if wrapped_height(&env, width) <= room {
        return env;
    }
    let total = env.len();
    let mut kept = Vec::new();
    for line in env {
        if wrapped_height(&kept, width) + wrapped_height(std::slice::from_ref(&line), width) + 1
            > room
        {
            break;
        }
        kept.push(line);
    }
    let more = total - kept.len();
    kept.push(Line::raw(format!(
        "  … and {more} more (a taller terminal shows them all)"
    )));
    kept
}

/// Enter/y runs the step; Esc/n closes.
pub fn key(
    step: String,
    action: Option<super::super::keymap::Action>,
    look: &Look,
) -> super::outcome::Outcome<String> {
    use super::super::keymap::Action as A;
    use super::outcome::Outcome;
    match action {
        // The box says why (`HIDDEN`) in place of the rows it hides.
        Some(A::Accept) if hides_rows(look, &step) => Outcome::Keep(step),
        Some(A::Accept) => Outcome::Send(vec![crate::engine::command::Command::Start { step }]),
        Some(A::Dismiss) => Outcome::Close,
        _ => Outcome::Keep(step),
    }
}
