//! One file per panel of the main screen. Each draws from `&App` and
//! never changes it. The modals are components of their own (`modals`:
//! state, keys and drawing in one file each). One exception owns a
//! terminal loop: `inputs_form`, the screen that asks for inputs before a
//! session exists (so before there is an `App`); its state, keys and
//! drawing stay together in that file.
//!
//! This file holds the drawing helpers every panel and modal shares; it
//! imports nothing of the app, so modals can use it.

pub mod details;
pub mod host_grid;
pub mod inputs_form;
pub mod log_pane;
pub mod status_bar;
pub mod steps;
pub mod too_small;
pub mod vt_screen;

use ratatui::Frame;
use ratatui::layout::Rect;
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

/// `+HH:MM:SS` since the session started (the incident clock at that time).
pub fn since_start(
    session: &crate::session::state::Session,
    at: chrono::DateTime<chrono::Utc>,
) -> String {
    let start = session.started_at.unwrap_or(at);
    format!(
        "+{}",
        crate::runbook::duration::clock((at - start).to_std().unwrap_or_default())
    )
}

/// Cuts text to `max` characters, with an ellipsis.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// A centred rectangle of at most `w` x `h`, cleared, for a modal.
pub fn centered(frame: &mut Frame, area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width.saturating_sub(2));
    let h = h.min(area.height.saturating_sub(2));
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    frame.render_widget(ratatui::widgets::Clear, r);
    r
}

/// A modal's box of text: centred, at most `width` wide, as tall as its
/// lines once wrapped at that width (so nothing is cut while the screen
/// has room), with a bold border and `title`.
pub fn dialog(
    frame: &mut Frame,
    area: Rect,
    width: u16,
    title: &str,
    lines: Vec<ratatui::text::Line<'_>>,
) {
    let inner_w = width.min(area.width.saturating_sub(2)).saturating_sub(2);
    let h = wrapped_height(&lines, inner_w) as u16 + 2;
    let r = centered(frame, area, width, h);
    let p = ratatui::widgets::Paragraph::new(lines)
        .block(block(title, true))
        .wrap(ratatui::widgets::Wrap { trim: false });
    frame.render_widget(p, r);
}
