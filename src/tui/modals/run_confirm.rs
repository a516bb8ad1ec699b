//! Confirmation before a `confirm: true` step runs: the exact command, the
//! working directory, the environment (secrets masked) and the timeout.

use super::super::look::Look;
use super::super::theme;
use super::super::widgets::box_rows;
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

/// Said after the rows a short screen hides. `y` waits while they hide
/// part of the command; the directory and environment below it may give
/// way on a short screen.
const HIDDEN: &str = "enlarge the terminal to see them";
const HIDDEN_COMMAND: &str = "enlarge the terminal: y runs the command once it all shows";

pub fn render(frame: &mut Frame, area: Rect, look: &Look, step: &str) {
    let why = if hides_command(area, look, step) {
        HIDDEN_COMMAND
    } else {
        HIDDEN
    };
    if let Some(lines) = content(area, look, step) {
        super::super::widgets::dialog_hiding(frame, area, 76, "Run this command?", lines, why);
    }
}

/// Whether this screen is too short for the command itself (its title,
/// its lines, a row saying what is hidden and the keys): `y` does not run
/// a command the operator could not read.
fn hides_command(area: Rect, look: &Look, step: &str) -> bool {
    use super::super::widgets::{box_rows, dialog_inner, dialog_rows, prewrap_wide};
    let inner = dialog_inner(area, 76);
    let Some(head) = head(look, step) else {
        return false;
    };
    let need = box_rows(&prewrap_wide(head, inner), inner) + 1 + box_rows(&footer(), inner);
    need > dialog_rows(area)
}

/// The keys, after a blank row.
fn footer() -> [Line<'static>; 2] {
    [
        Line::raw(""),
        Line::styled(
            super::super::keymap::footer(super::super::keymap::Context::RunConfirm, &[]),
            theme::bold(),
        ),
    ]
}

/// The step's title and its command, line by line.
fn head(look: &Look, step: &str) -> Option<Vec<Line<'static>>> {
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
    Some(lines)
}

/// The question's lines on a screen of `area`.
fn content(area: Rect, look: &Look, step: &str) -> Option<Vec<Line<'static>>> {
    let def = look.session.runbook.step(step)?;
    let mut lines = head(look, step)?;
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
    let footer = footer();
    // The command and the keys always show; on a short screen the
    // environment gives way, saying how much is left out.
    let inner = 76.min(area.width.saturating_sub(2)).saturating_sub(2);
    let room = usize::from(area.height.saturating_sub(4))
        .saturating_sub(box_rows(&lines, inner) + box_rows(&footer, inner));
    lines.extend(fit_env(env, room, inner));
    lines.extend(footer);
    Some(lines)
}

/// The environment's lines in at most `room` rows: the first ones, then
/// how many more there are.
fn fit_env(env: Vec<Line<'static>>, room: usize, width: u16) -> Vec<Line<'static>> {
    if box_rows(&env, width) <= room {
        return env;
    }
    let total = env.len();
    let mut kept = Vec::new();
    for line in env {
        if box_rows(&kept, width) + box_rows(std::slice::from_ref(&line), width) + 1 > room {
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
        // The box says why (`HIDDEN_COMMAND`) in place of the rows it hides.
        Some(A::Accept)
            if hides_command(Rect::new(0, 0, look.size.0, look.size.1), look, &step) =>
        {
            Outcome::Keep(step)
        }
        Some(A::Accept) => Outcome::Send(vec![crate::engine::command::Command::Start { step }]),
        Some(A::Dismiss) => Outcome::Close,
        _ => Outcome::Keep(step),
    }
}
