//! The pure `render(frame, &App)`: each panel drawn where the layout the
//! app stored at its last resize puts it (`layout::Areas`).
//!
//! Render reads the `App` and never changes it. It computes no geometry of
//! its own for the panels: `App::update` and `render` share the stored
//! layout, so clicks, paging and drawing always agree.

pub use super::layout::{Areas, MIN_SIZE};

use super::app::App;
use super::modal::Modal;
use super::widgets;
use ratatui::Frame;
use ratatui::layout::Rect;

/// Draws the whole screen.
pub fn render(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        widgets::too_small::render(frame, area);
        return;
    }
    let a = app.areas;
    widgets::steps::render(frame, a.steps, app);
    widgets::details::render(frame, a.details, app);
    widgets::log_pane::render(frame, a.log, app);
    widgets::status_bar::render(frame, a.status, app);
    if let Some(modal) = &app.modal {
        render_modal(frame, area, app, modal);
    }
}

fn render_modal(frame: &mut Frame, area: Rect, app: &App, modal: &Modal) {
    match modal {
        Modal::Human(p) => widgets::prompt::render(frame, area, app, p),
        Modal::RunConfirm { step } => widgets::run_confirm::render(frame, area, app, step),
        Modal::Failure { step } => widgets::failure::render(frame, area, app, step),
        Modal::Unknown { step } => widgets::unknown::render(frame, area, app, step),
        Modal::CancelRunning | Modal::Quit => widgets::yes_no::render(frame, area, app, modal),
        Modal::Line {
            purpose,
            text,
            error,
        } => widgets::text_entry::render_line(frame, area, app, purpose, text, error.as_deref()),
        Modal::Note {
            purpose,
            text,
            error,
        } => widgets::text_entry::render_note(frame, area, purpose, text, error.as_deref()),
        Modal::Help => widgets::help::render(frame, area, app.help_scroll),
        Modal::Finished => widgets::finished::render(frame, area, app),
        Modal::Input(c) => widgets::input_change::render(frame, area, app, c),
    }
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
