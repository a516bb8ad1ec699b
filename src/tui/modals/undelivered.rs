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

/// How much of each update the question shows: everything while the
/// screen has room, then each channel's error on one row, then only the
/// update `r` and `s` act on. Its keys stay in view whichever it is.
#[derive(Clone, Copy, PartialEq)]
enum Fit {
    Whole,
    OneRow,
    Marked,
}

pub fn render(frame: &mut Frame, area: Rect, look: &Look, step: &str) {
    let inner = widgets::dialog_inner(area, WIDTH);
    // The box's rows inside its border, on this screen (see `centered`).
    let room = usize::from(area.height.saturating_sub(4));
    let rows = |lines: &Vec<Line<'static>>| {
        let p = ratatui::widgets::Paragraph::new(lines.clone())
            .wrap(ratatui::widgets::Wrap { trim: false });
        p.line_count(inner)
    };
    let lines = [Fit::Whole, Fit::OneRow]
        .into_iter()
        .map(|fit| body(look, step, fit, inner))
        .find(|lines| rows(lines) <= room)
        .unwrap_or_else(|| body(look, step, Fit::Marked, inner));
    widgets::dialog(frame, area, WIDTH, "Not delivered", lines);
}

fn body(look: &Look, step: &str, fit: Fit, inner: u16) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::raw("Every step is settled, but an update did not reach every channel:"),
        Line::raw(""),
    ];
    let undelivered = look.session.undelivered_updates();
    let others = undelivered.len().saturating_sub(1);
    for i in undelivered {
        let id = &look.session.steps[i].id;
        if fit == Fit::Marked && id != step {
            continue;
        }
        let mark = if id == step { "▶ ✗" } else { "  ✗" };
        lines.push(Line::styled(
            format!("{mark} {}{}", look.title_of(id), sent_when(look, id)),
            theme::bold(),
        ));
        // A channel's error can be long (a command's stderr): it wraps
        // under itself, not back to the box's edge; on a short screen it
        // is cut to its row (Details has it whole).
        for c in look.session.refusals(id) {
            let lead = format!("      {}: ", c.channel);
            match fit {
                Fit::Whole => {
                    lines.extend(widgets::hang(&lead, &c.detail, Style::default(), inner))
                }
                _ => lines.push(Line::raw(widgets::truncate(
                    &format!("{lead}{}", c.detail),
                    usize::from(inner),
                ))),
            }
        }
    }
    if fit == Fit::Marked && others > 0 {
        lines.push(Line::raw(format!(
            "  and {others} more not delivered: each step's Details has it"
        )));
    }
    lines.extend([
        Line::raw(""),
        Line::styled(keymap::footer(Context::Undelivered, &[]), theme::bold()),
    ]);
    lines
}

/// When the update was last sent, and how many times: a resend refused
/// again changes it, so `r` is seen to have done something.
fn sent_when(look: &Look, step: &str) -> String {
    let sends: Vec<_> = look
        .session
        .updates
        .iter()
        .filter(|u| u.step.as_deref() == Some(step))
        .collect();
    let Some(last) = sends.last() else {
        return String::new();
    };
    let at = last.at.format("%H:%M:%S");
    match sends.len() {
        1 => format!(" · sent {at}"),
        n => format!(" · sent {n} times, last {at}"),
    }
}
