//! The screen shown when the terminal is smaller than the layout needs.

use super::super::view::MIN_SIZE;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

pub fn render(frame: &mut Frame, area: Rect) {
    let text = vec![
        Line::raw("Terminal too small."),
        Line::raw(format!(
            "Enlarge the window to at least {}x{} (now {}x{}).",
            MIN_SIZE.0, MIN_SIZE.1, area.width, area.height
        )),
        Line::raw("Nothing is lost; steps keep running."),
        Line::raw("q leaves: the session is saved, a running step runs on."),
    ];
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}
