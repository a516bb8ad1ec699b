//! Geometry: where each panel goes for a terminal size, and which step row
//! of the steps pane is at which screen row. Pure functions of sizes and
//! the session.
//!
//! `App` computes [`Areas`] once per resize and stores them; `update` (mouse
//! clicks, paging) and `view::render` both read the stored value, so update
//! never calls view code and the two cannot disagree. Never draws.

use crate::session::state::Session;
use ratatui::layout::{Constraint, Layout, Rect};

/// Smallest terminal the layout supports.
pub const MIN_SIZE: (u16, u16) = (50, 14);

/// Narrower than this, the panes are stacked (steps, details, log) rather
/// than the steps beside the other two.
const SIDE_BY_SIDE_WIDTH: u16 = 80;

/// Where each panel goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Areas {
    pub steps: Rect,
    pub details: Rect,
    pub log: Rect,
    pub status: Rect,
}

/// The panels for a terminal of `(width, height)`.
pub fn areas((w, h): (u16, u16)) -> Areas {
    let full = Rect::new(0, 0, w, h);
    let [main, status] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(full);
    if w < SIDE_BY_SIDE_WIDTH {
        return stacked(main, status);
    }
    let steps_w = (w * 2 / 5).max(32);
    let [steps, right] =
        Layout::horizontal([Constraint::Length(steps_w), Constraint::Min(1)]).areas(main);
    let details_h = main.height * 9 / 20;
    let [details, log] =
        Layout::vertical([Constraint::Length(details_h), Constraint::Min(1)]).areas(right);
    Areas {
        steps,
        details,
        log,
        status,
    }
}

/// A narrow terminal (a split pane): the steps on top, then the details,
/// then the log, which keeps the most rows.
fn stacked(main: Rect, status: Rect) -> Areas {
    let steps_h = (main.height * 3 / 10).max(4);
    let details_h = (main.height / 4).max(3);
    let [steps, details, log] = Layout::vertical([
        Constraint::Length(steps_h),
        Constraint::Length(details_h),
        Constraint::Min(1),
    ])
    .areas(main);
    Areas {
        steps,
        details,
        log,
        status,
    }
}

/// A row of the pane.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Row {
    Section(usize),
    Step(usize),
}

/// Every row: a section header, then its steps.
pub fn rows(session: &Session) -> Vec<Row> {
    let mut rows = Vec::new();
    for (si, _) in session.runbook.sections.iter().enumerate() {
        rows.push(Row::Section(si));
        for (i, st) in session.steps.iter().enumerate() {
            if st.section == si {
                rows.push(Row::Step(i));
            }
        }
    }
    rows
}

/// The first row shown, so that the selected step stays visible.
pub fn offset(rows: &[Row], selected: usize, height: usize) -> usize {
    let at = rows
        .iter()
        .position(|r| *r == Row::Step(selected))
        .unwrap_or(0);
    (at + 1).saturating_sub(height)
}

/// The step drawn at screen row `y` of the pane `area`, if any.
pub fn step_at(session: &Session, selected: usize, area: Rect, y: u16) -> Option<usize> {
    let inner = area.inner(ratatui::layout::Margin::new(1, 1));
    if y < inner.y || y >= inner.bottom() {
        return None;
    }
    let rows = rows(session);
    let off = offset(&rows, selected, inner.height as usize);
    match rows.get(off + (y - inner.y) as usize)? {
        Row::Step(i) => Some(*i),
        Row::Section(_) => None,
    }
}
