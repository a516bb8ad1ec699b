//! The help overlay: every key of the key table, grouped by context. It
//! scrolls (↑/↓, PgUp/PgDn) when it does not fit, as on an 80x24 terminal,
//! and says so in its title. The scroll offset is the modal's state ([`Help`]).

use super::super::keymap::{self, Context};
use super::super::theme;
use super::outcome::Outcome;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

const GROUPS: &[(Context, &str)] = &[
    (Context::Main, "Main screen"),
    (Context::Found, "After a log search"),
    (Context::Hosts, "A fleet step's hosts (h)"),
    (Context::HumanPrompt, "Human step prompt"),
    (
        Context::RunConfirm,
        "Run this command? (a confirm: true step)",
    ),
    (Context::NoteEntry, "A note"),
    (Context::Line, "A reason, or a search"),
    (Context::Failure, "After a failure"),
    (Context::FleetFailure, "After a fleet step's failure"),
    (Context::Batch, "Between two batches of a fleet step"),
    (Context::Unknown, "Outcome unknown"),
    (Context::QuitRunning, "Quitting while a step runs"),
    (Context::UpdateDraft, "A status update's draft"),
    (Context::Undelivered, "An update not delivered, at the end"),
];

/// Every group and key, at `width` columns: a key's description that
/// wraps goes on under itself, not under the key.
pub fn lines(width: u16) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (ctx, name) in GROUPS {
        lines.push(Line::styled(name.to_string(), theme::bold()));
        for b in keymap::bindings(*ctx) {
            let lead = format!("  {:<12}", keymap::keys_label(b));
            let rows = super::super::widgets::hang(&lead, b.help, Style::default(), width);
            for (i, row) in rows.into_iter().enumerate() {
                if i > 0 {
                    lines.push(row);
                    continue;
                }
                // The key in bold: the first row starts with it.
                let text = row.to_string();
                let (key, help) = text.split_at(lead.len().min(text.len()));
                lines.push(Line::from(vec![
                    Span::styled(key.to_owned(), theme::bold()),
                    Span::raw(help.to_owned()),
                ]));
            }
        }
    }
    lines.push(Line::styled(
        "Mouse: click a step to select it; wheel scrolls.",
        theme::dim(),
    ));
    lines
}

/// The overlay's size in a terminal of `(w, h)`: 76 wide, the full height.
fn overlay((w, h): (u16, u16)) -> Rect {
    let area = Rect::new(0, 0, w, h);
    let w = 76.min(area.width.saturating_sub(2));
    let h = area.height.saturating_sub(2);
    Rect::new((area.width - w) / 2, (area.height - h) / 2, w, h)
}

/// Lines of help visible at once.
pub fn page_height(size: (u16, u16)) -> u16 {
    overlay(size).height.saturating_sub(2)
}

/// The overlay's text width in a terminal of `size`.
fn inner_width(size: (u16, u16)) -> u16 {
    overlay(size).width.saturating_sub(2).max(1)
}

/// Rows the help takes, once wrapped at the overlay's width.
fn line_count(size: (u16, u16)) -> u16 {
    let inner = inner_width(size);
    let p = Paragraph::new(lines(inner)).wrap(Wrap { trim: false });
    p.line_count(inner) as u16
}

/// The furthest the help can scroll: its last line at the bottom.
pub fn max_scroll(size: (u16, u16)) -> u16 {
    line_count(size).saturating_sub(page_height(size))
}

pub fn render(frame: &mut Frame, area: Rect, scroll: u16) {
    let size = (area.width, area.height);
    let r = super::super::widgets::centered(frame, area, 76, area.height);
    let scroll = scroll.min(max_scroll(size));
    let more = match (scroll > 0, scroll < max_scroll(size)) {
        (false, false) => "",
        (false, true) => " · ↓ more",
        (true, true) => " · ↑↓ more",
        (true, false) => " · ↑ more",
    };
    let close = keymap::footer(Context::Help, &[keymap::Action::Dismiss]);
    let block = super::super::widgets::block(&format!("Help · {close}{more}"), true);
    frame.render_widget(
        Paragraph::new(lines(inner_width(size)))
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        r,
    );
}

/// The help overlay's state: how far it is scrolled.
#[derive(Clone, Debug, Default)]
pub struct Help {
    /// First line shown.
    pub scroll: u16,
}

impl Help {
    /// Scroll keys move within bounds for a terminal of `size`; Esc closes.
    pub fn key(mut self, action: Option<keymap::Action>, size: (u16, u16)) -> Outcome<Help> {
        use keymap::Action as A;
        let page = page_height(size) as i32;
        let delta = match action {
            Some(A::Dismiss) => return Outcome::Close,
            Some(A::Up) => -1,
            Some(A::Down) => 1,
            Some(A::PageUp) => -page,
            Some(A::PageDown) => page,
            _ => 0,
        };
        let max = max_scroll(size) as i32;
        self.scroll = (self.scroll as i32 + delta).clamp(0, max) as u16;
        Outcome::Keep(self)
    }
}

#[cfg(test)]
mod tests {
    use crate::tui::modals::help::lines;

    /// The help names the keys of every question a person is asked:
    /// `y` of "Run this command?", a note's and a reason's keys, and how
    /// a text field undoes.
    #[test]
    fn the_help_lists_the_keys_of_every_question() {
        let text: Vec<String> = lines(300).iter().map(|l| l.to_string()).collect();
        let text = text.join("\n");
        for want in [
            "Run this command? (a confirm: true step)",
            "Run the command (y; Enter does not)",
            "A note",
            "A reason, or a search",
            "Ctrl-U undoes, Ctrl-R redoes",
            "Ctrl-D again confirms",
            "Clear the terminal and paint the screen again",
        ] {
            assert!(text.contains(want), "no {want:?} in the help:\n{text}");
        }
    }
}
