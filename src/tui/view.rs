//! The pure `render(frame, &App)`: each panel drawn where the layout the
//! app stored at its last resize puts it (`layout::Areas`).
//!
//! Render reads the `App` and never changes it. It computes no geometry of
//! its own for the panels: `App::update` and `render` share the stored
//! layout, so clicks, paging and drawing always agree.

pub use super::layout::{Areas, MIN_SIZE};

use super::app::App;
use super::widgets;
use ratatui::Frame;

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
    widgets::log_pane::render(frame, app.log_area(), app);
    widgets::status_bar::render(frame, a.status, app);
    widgets::status_bar::render_message(frame, area, app);
    if let Some(modal) = &app.modal {
        modal.draw(frame, area, &app.look());
    }
}
