//! The help overlay: every key of the key table, grouped by context.

use super::super::keymap::{self, Context};
use super::super::theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

const GROUPS: &[(Context, &str)] = &[
    (Context::Main, "Main screen"),
    (Context::HumanPrompt, "Human step prompt"),
    (Context::Failure, "After a failure"),
    (Context::Unknown, "Outcome unknown"),
];

pub fn lines() -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (ctx, name) in GROUPS {
        lines.push(Line::styled(name.to_string(), theme::bold()));
        for b in keymap::bindings(*ctx) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<12}", keymap::keys_label(b)), theme::bold()),
                Span::raw(b.help),
            ]));
        }
    }
    lines.push(Line::styled(
        "Mouse: click a step to select it; wheel scrolls.",
        theme::dim(),
    ));
    lines
}

pub fn render(frame: &mut Frame, area: Rect) {
    let r = super::super::view::centered(frame, area, 76, area.height);
    let block = super::block("Help · Esc closes", true);
    frame.render_widget(
        Paragraph::new(lines())
            .block(block)
            .wrap(Wrap { trim: false }),
        r,
    );
}
