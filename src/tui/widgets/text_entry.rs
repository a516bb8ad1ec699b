//! Text fields in a modal: one line (skip reason, abort reason, search) or
//! a multi-line note (add a note, mark done).

use super::super::keymap::{self, Context};
use super::super::modal::{LinePurpose, NotePurpose};
use super::super::theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui_textarea::TextArea;

fn draw(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    field_h: u16,
    text: &TextArea<'static>,
    error: Option<&str>,
    keys: &str,
) {
    let r = super::super::view::centered(frame, area, 70, field_h + 6);
    let block = super::block(title, true);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let [field, msg, hint] = Layout::vertical([
        Constraint::Length(field_h + 2),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let mut t = text.clone();
    t.set_block(super::block("", true));
    t.set_cursor_line_style(ratatui::style::Style::default());
    frame.render_widget(&t, field);
    if let Some(e) = error {
        frame.render_widget(
            Paragraph::new(Line::styled(e.to_string(), theme::bold())),
            msg,
        );
    }
    frame.render_widget(
        Paragraph::new(Line::styled(keys.to_string(), theme::bold())),
        hint,
    );
}

pub fn render_line(
    frame: &mut Frame,
    area: Rect,
    app: &super::super::app::App,
    purpose: &LinePurpose,
    text: &TextArea<'static>,
    error: Option<&str>,
) {
    let title = match purpose {
        LinePurpose::Skip { step } => format!("Skip “{}”: why?", app.title_of(step)),
        LinePurpose::SkipSection { title, .. } => {
            format!("Skip the whole section “{title}”: why?")
        }
        LinePurpose::Abort => "Abort the session: why?".to_string(),
        LinePurpose::Search => match &app.search {
            Some(last) => format!("Search the log (Enter alone: next “{last}” up)"),
            None => "Search the log".to_string(),
        },
    };
    draw(
        frame,
        area,
        &title,
        1,
        text,
        error,
        &keymap::footer(Context::Line, &[]),
    );
}

pub fn render_note(
    frame: &mut Frame,
    area: Rect,
    purpose: &NotePurpose,
    text: &TextArea<'static>,
    error: Option<&str>,
) {
    let title = match purpose {
        NotePurpose::Add { step } => format!("Note on {step}"),
        NotePurpose::MarkDone { step } => format!("Mark {step} done by hand: what was done?"),
    };
    draw(
        frame,
        area,
        &title,
        5,
        text,
        error,
        &keymap::footer(Context::NoteEntry, &[]),
    );
}
