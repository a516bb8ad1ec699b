//! A `vt100` screen drawn into a ratatui buffer: how the log pane shows a
//! `tty: true` step (progress bars, cursor movement, colours), as the
//! program's terminal would.
//!
//! The emulated screen is the step's pseudo-terminal size; when the pane
//! is smaller, the rows around the cursor are shown (that is where a
//! program writes). Pure drawing: it reads the screen, never feeds it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::Widget;

/// The widget: a screen, and whether colours may be used.
pub struct VtScreen<'a> {
    pub screen: &'a vt100::Screen,
    pub color: bool,
}

impl Widget for VtScreen<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (rows, cols) = self.screen.size();
        let (cursor_row, _) = self.screen.cursor_position();
        let top = first_row(rows, area.height, cursor_row);
        for y in 0..area.height.min(rows - top) {
            for x in 0..area.width.min(cols) {
                let Some(cell) = self.screen.cell(top + y, x) else {
                    continue;
                };
                let Some(out) = buf.cell_mut((area.x + x, area.y + y)) else {
                    continue;
                };
                let text = cell.contents();
                out.set_symbol(if text.is_empty() { " " } else { text });
                out.set_style(style(cell, self.color));
            }
        }
    }
}

/// The first emulated row shown in `height` rows: the top, unless the
/// cursor would be below the pane; then the rows ending at the cursor.
pub fn first_row(rows: u16, height: u16, cursor_row: u16) -> u16 {
    if height >= rows {
        0
    } else {
        (cursor_row + 1).saturating_sub(height).min(rows - height)
    }
}

fn style(cell: &vt100::Cell, color: bool) -> Style {
    let mut s = Style::default();
    if color {
        if let Some(c) = convert(cell.fgcolor()) {
            s = s.fg(c);
        }
        if let Some(c) = convert(cell.bgcolor()) {
            s = s.bg(c);
        }
    }
    let flags = [
        (cell.bold(), Modifier::BOLD),
        (cell.dim(), Modifier::DIM),
        (cell.italic(), Modifier::ITALIC),
        (cell.underline(), Modifier::UNDERLINED),
        (cell.inverse(), Modifier::REVERSED),
    ];
    for (on, m) in flags {
        if on {
            s = s.add_modifier(m);
        }
    }
    s
}

fn convert(c: vt100::Color) -> Option<Color> {
    match c {
        vt100::Color::Default => None,
        vt100::Color::Idx(i) => Some(Color::Indexed(i)),
        vt100::Color::Rgb(r, g, b) => Some(Color::Rgb(r, g, b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_colours_are_copied() {
        let mut p = vt100::Parser::new(4, 10, 0);
        p.process(b"ab\x1b[31mred\x1b[0m\r\n\x1b[1mbold");
        let mut buf = Buffer::empty(Rect::new(0, 0, 10, 4));
        VtScreen {
            screen: p.screen(),
            color: true,
        }
        .render(buf.area, &mut buf);
        assert_eq!(buf[(0, 0)].symbol(), "a");
        assert_eq!(buf[(2, 0)].symbol(), "r");
        assert_eq!(buf[(2, 0)].fg, Color::Indexed(1));
        assert!(buf[(0, 1)].modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn a_short_pane_follows_the_cursor() {
        assert_eq!(first_row(24, 30, 20), 0);
        assert_eq!(first_row(24, 10, 3), 0);
        assert_eq!(first_row(24, 10, 20), 11);
        assert_eq!(first_row(24, 10, 23), 14);
    }
}
