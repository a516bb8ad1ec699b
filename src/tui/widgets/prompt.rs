//! The human step prompt: instructions, checklist (Space ticks), a
//! multi-line note, and the choices Done / Skip / Cancel.

use super::super::app::App;
use super::super::modal::HumanPrompt;
use super::super::theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

fn top_lines(app: &App, p: &HumanPrompt) -> Vec<Line<'static>> {
    let step = app.session.runbook.step(&p.step);
    let mut lines: Vec<Line> = step
        .and_then(|s| s.instructions.as_deref())
        .unwrap_or("Do this step by hand, then confirm it.")
        .lines()
        .map(|l| Line::raw(l.to_string()))
        .collect();
    let items = step.map(|s| s.checklist.clone()).unwrap_or_default();
    if !items.is_empty() {
        lines.push(Line::raw(""));
    }
    for (i, item) in items.iter().enumerate() {
        let tick = if p.checked[i] { "[x]" } else { "[ ]" };
        let line = Line::raw(format!("{tick} {item}"));
        lines.push(if !p.on_note && i == p.cursor {
            line.patch_style(theme::selected())
        } else {
            line
        });
    }
    lines
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, p: &HumanPrompt) {
    let title = app.title_of(&p.step);
    let r = super::super::view::centered(frame, area, 72, 20);
    let block = super::block(&title, true);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let top = top_lines(app, p);
    let top_h =
        (super::wrapped_height(&top, inner.width) as u16).min(inner.height.saturating_sub(8));
    let [top_a, note_a, msg_a, keys_a] = Layout::vertical([
        Constraint::Length(top_h),
        Constraint::Min(3),
        Constraint::Length(2),
        Constraint::Length(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(top).wrap(Wrap { trim: false }), top_a);
    let label = if p.note_required {
        "Note (required)"
    } else {
        "Note (optional)"
    };
    let mut note = p.note.clone();
    note.set_block(super::block(label, p.on_note));
    note.set_cursor_line_style(ratatui::style::Style::default());
    frame.render_widget(&note, note_a);
    if let Some(err) = &p.error {
        frame.render_widget(
            Paragraph::new(Line::styled(
                err.clone(),
                theme::fg(app.color, Color::Red).add_modifier(ratatui::style::Modifier::BOLD),
            ))
            .wrap(Wrap { trim: true }),
            msg_a,
        );
    }
    use super::super::keymap::{Action as A, Context, footer};
    let keys = if p.checked.is_empty() {
        footer(Context::HumanPrompt, &[A::Accept, A::Skip, A::Dismiss])
    } else {
        footer(
            Context::HumanPrompt,
            &[A::Accept, A::Skip, A::NextField, A::ToggleItem, A::Dismiss],
        )
    };
    frame.render_widget(Paragraph::new(Line::styled(keys, theme::bold())), keys_a);
}
