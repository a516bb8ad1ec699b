//! How the log pane shows a `tty: true` step (progress bars, cursor
//! movement, colours): its `vt100` screen, as the program's terminal would.
//!
//! The cells are drawn by `tui-term`'s `PseudoTerminal`; this module only
//! decides what it is given. The emulated screen is the step's
//! pseudo-terminal size; when the pane is smaller, the rows around the
//! cursor are shown (that is where a program writes): [`Window`] is a
//! `tui_term` screen that starts at [`first_row`]. Under `NO_COLOR` the
//! colours tui-term copied are taken off again, keeping bold, reverse and
//! the other attributes. A row cut by a narrow pane ends in the log pane's
//! cut mark (`…`). No cursor is drawn: the step's terminal takes no
//! keyboard input, so a cursor would invite typing that goes nowhere.
//! Pure drawing: it reads the screen, never feeds it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::widgets::Widget;
use tui_term::widget::{Cursor, PseudoTerminal};

/// The widget: a screen, and whether colours may be used.
pub struct VtScreen<'a> {
    pub screen: &'a vt100::Screen,
    pub color: bool,
}

impl Widget for VtScreen<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (rows, _) = self.screen.size();
        let (cursor_row, _) = self.screen.cursor_position();
        let window = Window {
            screen: self.screen,
            top: first_row(rows, area.height, cursor_row),
        };
        PseudoTerminal::new(&window)
            .cursor(Cursor::default().visibility(false))
            .render(area, buf);
        mark_cut_rows(&window, area, buf);
        if !self.color {
            for y in area.top()..area.bottom() {
                for x in area.left()..area.right() {
                    if let Some(cell) = buf.cell_mut((x, y)) {
                        cell.set_fg(Color::Reset).set_bg(Color::Reset);
                    }
                }
            }
        }
    }
}

/// A pane narrower than the emulated screen cuts its rows: a row with
/// something beyond the pane's edge ends in the log pane's cut mark.
fn mark_cut_rows(window: &Window, area: Rect, buf: &mut Buffer) {
    use tui_term::widget::Screen as _;
    let (_, cols) = window.screen.size();
    if cols <= area.width || area.width == 0 {
        return;
    }
    for y in 0..area.height {
        let cut = (area.width..cols).any(|x| window.cell(y, x).is_some_and(|c| c.has_contents()));
        if let Some(cell) = buf.cell_mut((area.right() - 1, area.y + y)).filter(|_| cut) {
            cell.set_symbol(crate::tui::log_view::CUT_MARK);
            cell.modifier.insert(Modifier::REVERSED);
        }
    }
}

/// The emulated screen seen from row `top` down: what a pane shorter than
/// the screen shows.
pub struct Window<'a> {
    pub screen: &'a vt100::Screen,
    pub top: u16,
}

impl tui_term::widget::Screen for Window<'_> {
    type C = vt100::Cell;

    fn cell(&self, row: u16, col: u16) -> Option<&vt100::Cell> {
        self.screen.cell(row.checked_add(self.top)?, col)
    }

    fn hide_cursor(&self) -> bool {
        self.screen.hide_cursor()
    }

    fn cursor_position(&self) -> (u16, u16) {
        let (row, col) = self.screen.cursor_position();
        // Above the window: report it below any pane, i.e. not shown.
        (row.checked_sub(self.top).unwrap_or(u16::MAX), col)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_wider_than_the_pane_ends_in_the_cut_mark() {
        let mut p = vt100::Parser::new(3, 20, 0);
        p.process(b"short\r\n0123456789abcdefghij");
        let buf = draw(&p, Rect::new(0, 0, 10, 3), true);
        assert_eq!(row(&buf, 0), "short");
        assert_eq!(row(&buf, 1), "012345678…");
        assert!(buf[(9, 1)].modifier.contains(Modifier::REVERSED));
    }

    fn draw(p: &vt100::Parser, area: Rect, color: bool) -> Buffer {
        let mut buf = Buffer::empty(area);
        VtScreen {
            screen: p.screen(),
            color,
        }
        .render(area, &mut buf);
        buf
    }

    fn row(buf: &Buffer, y: u16) -> String {
        (buf.area.left()..buf.area.right())
            .map(|x| buf[(x, y)].symbol())
            .collect::<String>()
            .trim_end()
            .to_string()
    }

    #[test]
    fn cells_and_colours_are_copied() {
        let mut p = vt100::Parser::new(4, 10, 0);
        p.process(b"ab\x1b[31mred\x1b[0m\r\n\x1b[1mbold");
        let buf = draw(&p, Rect::new(0, 0, 10, 4), true);
        assert_eq!(buf[(0, 0)].symbol(), "a");
        assert_eq!(buf[(2, 0)].symbol(), "r");
        assert_eq!(buf[(2, 0)].fg, Color::Indexed(1));
        assert!(buf[(0, 1)].modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn no_color_drops_colours_and_keeps_attributes() {
        let mut p = vt100::Parser::new(4, 10, 0);
        p.process(b"\x1b[31;44mred\x1b[0m\r\n\x1b[1;7mbold");
        let buf = draw(&p, Rect::new(0, 0, 10, 4), false);
        assert_eq!(buf[(0, 0)].symbol(), "r");
        assert!(buf.content().iter().all(|c| c.fg == Color::Reset));
        assert!(buf.content().iter().all(|c| c.bg == Color::Reset));
        assert!(buf[(0, 1)].modifier.contains(Modifier::BOLD));
        assert!(buf[(0, 1)].modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn a_short_pane_shows_the_rows_ending_at_the_cursor() {
        let mut p = vt100::Parser::new(10, 8, 0);
        for i in 0..9 {
            p.process(format!("row {i}\r\n").as_bytes());
        }
        p.process(b"50%");
        let buf = draw(&p, Rect::new(2, 1, 8, 3), true);
        assert_eq!(row(&buf, 1), "row 7");
        assert_eq!(row(&buf, 2), "row 8");
        assert_eq!(row(&buf, 3), "50%");
    }

    #[test]
    fn no_cursor_is_drawn() {
        let mut p = vt100::Parser::new(4, 10, 0);
        p.process(b"ab");
        let buf = draw(&p, Rect::new(0, 0, 10, 4), true);
        assert_eq!(buf[(2, 0)].symbol(), " ");
        assert!(
            buf.content()
                .iter()
                .all(|c| !c.modifier.contains(Modifier::REVERSED))
        );
    }

    #[test]
    fn a_short_pane_follows_the_cursor() {
        assert_eq!(first_row(24, 30, 20), 0);
        assert_eq!(first_row(24, 10, 3), 0);
        assert_eq!(first_row(24, 10, 20), 11);
        assert_eq!(first_row(24, 10, 23), 14);
    }
}
