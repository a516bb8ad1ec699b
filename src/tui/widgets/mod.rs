//! One file per panel and per modal. Each draws from `&App` (or a modal's
//! state) and never changes it. One exception owns a terminal loop of its
//! own: `inputs_form`, the screen that asks for inputs before a session
//! exists (so before there is an `App`); its state, keys and drawing stay
//! together in that file.

pub mod details;
pub mod failure;
pub mod finished;
pub mod help;
pub mod input_change;
pub mod inputs_form;
pub mod log_pane;
pub mod prompt;
pub mod run_confirm;
pub mod status_bar;
pub mod steps;
pub mod text_entry;
pub mod too_small;
pub mod unknown;
pub mod vt_screen;
pub mod yes_no;

use ratatui::style::Style;
use ratatui::widgets::{Block, BorderType, Borders};

/// A bordered block with a title; the border is bold when focused.
pub fn block(title: &str, focused: bool) -> Block<'static> {
    let style = if focused {
        super::theme::bold()
    } else {
        Style::default()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(style);
    if title.is_empty() {
        block
    } else {
        block.title(format!(" {title} "))
    }
}

/// How many rows lines take once wrapped at `width` (a close estimate:
/// word wrapping can use a row more than character wrapping).
pub fn wrapped_height(lines: &[ratatui::text::Line], width: u16) -> usize {
    let width = usize::from(width.max(1));
    lines.iter().map(|l| l.width().div_ceil(width).max(1)).sum()
}
