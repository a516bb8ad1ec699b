//! Yes/no questions: cancel the running step, quit.

use super::super::app::App;
use super::super::modal::Modal;
use super::super::theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

fn text(app: &App, modal: &Modal) -> (&'static str, Vec<Line<'static>>) {
    match modal {
        Modal::CancelRunning => {
            let step = app
                .session
                .running()
                .and_then(|i| app.step_def(i))
                .map(|s| s.title.clone())
                .unwrap_or_default();
            (
                "Cancel the running step?",
                vec![
                    Line::raw(format!("Stop “{step}” now?")),
                    Line::raw(
                        "Its process group is killed; the step is marked failed (cancelled).",
                    ),
                ],
            )
        }
        _ => {
            let mut lines = Vec::new();
            if let Some(step) = app.session.running().and_then(|i| app.step_def(i)) {
                lines.push(Line::styled(
                    format!(
                        "“{}” is running: quitting stops it (cancelled).",
                        step.title
                    ),
                    theme::bold(),
                ));
            }
            lines.push(Line::raw(
                "The session is saved: everything so far is in the journal.",
            ));
            match &app.quit_note {
                Some(note) => lines.push(Line::raw(note.clone())),
                None => lines.extend([
                    Line::raw("Leave now, and resume later with:"),
                    Line::styled(
                        format!("  stepwise resume {}", app.session.id),
                        theme::bold(),
                    ),
                ]),
            }
            ("Quit?", lines)
        }
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, modal: &Modal) {
    let (title, mut lines) = text(app, modal);
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        super::super::keymap::footer(super::super::keymap::Context::YesNo, &[]),
        theme::bold(),
    ));
    // 70 columns wide, less the two borders, is where the text wraps.
    let rows = super::wrapped_height(&lines, 68) as u16;
    let r = super::super::view::centered(frame, area, 70, rows + 2);
    let p = Paragraph::new(lines)
        .block(super::block(title, true))
        .wrap(Wrap { trim: false });
    frame.render_widget(p, r);
}
