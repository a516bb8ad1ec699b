//! Before the session closes: every step is settled, but an update step's
//! last send did not reach every channel (the engine waits, see
//! `Setup::ask_before_closing`). Send it again, skip it with a reason,
//! close the session as it is, or leave the session open to resume later.
//! Keys and drawing only.

use super::super::keymap::{self, Action, Context};
use super::super::look::Look;
use super::super::theme;
use super::super::widgets;
use super::outcome::{LinePurpose, Opening, Outcome};
use crate::engine::command::Command;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;

/// The question's width, borders included, on a screen wide enough.
const WIDTH: u16 = 76;

/// `step`: the newest update step not delivered (marked `▶`), the one `r`
/// and `s` act on.
pub fn key(step: String, action: Option<Action>) -> Outcome<String> {
    match action {
        Some(Action::Retry) => Outcome::Send(vec![Command::Start { step }]),
        Some(Action::Skip) => Outcome::Open(Opening::Line(LinePurpose::Skip { step })),
        Some(Action::Accept) => Outcome::Send(vec![Command::Close]),
        Some(Action::Quit) => Outcome::Leave,
        _ => Outcome::Keep(step),
    }
}

pub fn render(frame: &mut Frame, area: Rect, look: &Look, step: &str) {
    let inner = widgets::dialog_inner(area, WIDTH);
    let mut lines = vec![
        Line::raw("Every step is settled, but an update did not reach every channel:"),
        Line::raw(""),
    ];
    for i in look.session.undelivered_updates() {
        let id = &look.session.steps[i].id;
        let mark = if id == step { "▶ ✗" } else { "  ✗" };
        lines.push(Line::styled(
            format!("{mark} {}", look.title_of(id)),
            theme::bold(),
        ));
        // A channel's error can be long (a command's stderr): it wraps
        // under itself, not back to the box's edge.
        for c in look.session.refusals(id) {
            let lead = format!("      {}: ", c.channel);
            lines.extend(widgets::hang(&lead, &c.detail, Style::default(), inner));
        }
    }
    lines.extend([
        Line::raw(""),
        Line::styled(keymap::footer(Context::Undelivered, &[]), theme::bold()),
    ]);
    widgets::dialog(frame, area, WIDTH, "Not delivered", lines);
}
