//! Text fields in a modal: one line (skip reason, abort reason, search) or
//! a multi-line note (add a note, mark done).

use super::super::keymap::Action;
use super::super::keymap::{self, Context};
use super::super::look::Look;
use super::super::theme;
use super::outcome::{LinePurpose, NotePurpose, Outcome, typed};
use crate::engine::command::Command;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui_textarea::TextArea;

/// The rows a text field of at least `min` rows takes on a screen of
/// `area`: as many as its wrapped text needs (and a row for the cursor
/// after it), up to what the screen leaves beside the box's own rows; the
/// text area scrolls only beyond that.
pub(super) fn grown(area: Rect, min: u16, text: &TextArea<'static>) -> u16 {
    let width = 70.min(area.width.saturating_sub(2)).saturating_sub(4);
    let lines: Vec<Line> = text
        .lines()
        .iter()
        .map(|l| Line::raw(format!("{l} ")))
        .collect();
    let need = super::super::widgets::box_rows(&lines, width) as u16;
    let most = area.height.saturating_sub(2 + 6).max(min);
    need.clamp(min, most)
}

pub(super) fn draw(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    field_h: u16,
    text: &TextArea<'static>,
    error: Option<&str>,
    keys: &str,
) {
    let r = super::super::widgets::centered(frame, area, 70, field_h + 6);
    let title = fit_title(title, usize::from(r.width.saturating_sub(4)));
    let block = super::super::widgets::block(&title, true);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let [field, msg, hint] = Layout::vertical([
        Constraint::Length(field_h + 2),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let mut t = text.clone();
    t.set_block(super::super::widgets::block("", true));
    t.set_cursor_line_style(ratatui::style::Style::default());
    // A note, a reason or an update is read whole before it is saved or
    // sent: long lines wrap (at words, else anywhere). A search scrolls.
    if field_h > 1 {
        t.set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
    }
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

/// A title too long for its box keeps its question: the quoted part
/// (a step's or section's title) is shortened with `…` instead of the
/// end (`: why?`) being cut off.
fn fit_title(title: &str, max: usize) -> String {
    use super::super::widgets::{cols, truncate};
    let (Some(open), Some(close)) = (title.find('“'), title.rfind('”')) else {
        return title.to_owned();
    };
    let quoted = &title[open + '“'.len_utf8()..close];
    let over = cols(title).saturating_sub(max);
    if over == 0 || over + 1 >= cols(quoted) {
        return title.to_owned();
    }
    // `truncate` ends the quoted part with its own `…`.
    let kept = truncate(quoted, cols(quoted) - over);
    format!("{}“{kept}{}", &title[..open], &title[close..])
}

pub fn render_line(
    frame: &mut Frame,
    area: Rect,
    look: &super::super::look::Look,
    purpose: &LinePurpose,
    text: &TextArea<'static>,
    error: Option<&str>,
) {
    let title = match purpose {
        LinePurpose::Skip { step } => format!("Skip “{}”: why?", look.title_of(step)),
        LinePurpose::SkipSection { title, .. } => {
            format!("Skip the whole section “{title}”: why?")
        }
        LinePurpose::Abort => "Abort the session: why?".to_string(),
        LinePurpose::Accept { .. } => "Accept the failed hosts and go on: why?".to_string(),
        LinePurpose::Search => match look.search {
            Some(last) => {
                format!("Search the whole log from the view on (Enter alone: next “{last}”)")
            }
            None => "Search the log".to_string(),
        },
    };
    // A reason goes into the record: it is read whole before Enter, on
    // three rows (one line, wrapped). A search is short and scrolls.
    let rows = match purpose {
        LinePurpose::Search => 1,
        _ => 3,
    };
    draw(
        frame,
        area,
        &title,
        rows,
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
        grown(area, 5, text),
        text,
        error,
        &keymap::footer(Context::NoteEntry, &[]),
    );
}

/// A text entry's state: what it is for, the text, the error shown.
pub type Entry<P> = (P, TextArea<'static>, Option<String>);

pub fn line_key(
    purpose: LinePurpose,
    mut text: TextArea<'static>,
    error: Option<String>,
    action: Option<Action>,
    key: KeyEvent,
    look: &Look,
) -> Outcome<Entry<LinePurpose>> {
    match action {
        Some(Action::Dismiss) => return Outcome::Close,
        Some(Action::Accept) => {
            let value = typed(&text);
            if let (LinePurpose::Search, true, Some(last)) =
                (&purpose, value.is_empty(), look.search)
            {
                return Outcome::Search(last.to_owned());
            }
            if value.is_empty() {
                let error = Some(
                    match purpose {
                        LinePurpose::Search => "Type something to search for.",
                        _ => "A reason is required: it goes into the record.",
                    }
                    .to_string(),
                );
                return Outcome::Keep((purpose, text, error));
            }
            return match purpose {
                LinePurpose::Skip { step } => Outcome::Send(vec![Command::Skip {
                    step,
                    reason: value,
                }]),
                LinePurpose::SkipSection { section, .. } => {
                    Outcome::Send(vec![Command::SkipSection {
                        section,
                        reason: value,
                    }])
                }
                LinePurpose::Abort => Outcome::Send(vec![Command::Abort { reason: value }]),
                LinePurpose::Search => Outcome::Search(value),
                LinePurpose::Accept { step } => {
                    let note = Some(super::fleet_failure::accepted_note(look, &step, &value));
                    Outcome::Send(vec![Command::MarkDone { step, note }])
                }
            };
        }
        _ => {
            text.input(key);
        }
    }
    Outcome::Keep((purpose, text, error))
}

pub fn note_key(
    purpose: NotePurpose,
    mut text: TextArea<'static>,
    error: Option<String>,
    action: Option<Action>,
    key: KeyEvent,
) -> Outcome<Entry<NotePurpose>> {
    match action {
        Some(Action::Dismiss) => return Outcome::Close,
        Some(Action::Accept) => {
            let value = typed(&text);
            if value.is_empty() {
                let error =
                    Some("The note is empty: type it, then Ctrl-D (Esc to cancel).".to_string());
                return Outcome::Keep((purpose, text, error));
            }
            let cmd = match purpose {
                NotePurpose::Add { step } => Command::Note {
                    step: Some(step),
                    text: value,
                },
                NotePurpose::MarkDone { step } => Command::MarkDone {
                    step,
                    note: Some(value),
                },
            };
            return Outcome::Send(vec![cmd]);
        }
        _ => {
            text.input(key);
        }
    }
    Outcome::Keep((purpose, text, error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_title_keeps_its_question() {
        let t = "Skip “Roll the canary back on every host of the blue pool”: why?";
        let fitted = fit_title(t, 40);
        assert_eq!(fitted.chars().count(), 40, "{fitted}");
        assert!(fitted.starts_with("Skip “Roll the"), "{fitted}");
        assert!(fitted.ends_with("…”: why?"), "{fitted}");
        assert_eq!(fit_title("Skip “Short”: why?", 40), "Skip “Short”: why?");
    }

    /// A CJK character takes two columns: the quoted part is cut by the
    /// columns the title takes, not by its characters.
    #[test]
    fn a_wide_title_is_cut_by_its_columns() {
        use crate::tui::widgets::cols;
        let t = "Skip “本番環境のデプロイを一つ前の安定版に戻して確認する”: why?";
        let fitted = fit_title(t, 40);
        assert!(cols(&fitted) <= 40 && cols(&fitted) >= 39, "{fitted}");
        assert!(fitted.starts_with("Skip “本番環境"), "{fitted}");
        assert!(fitted.ends_with("…”: why?"), "{fitted}");
    }
}
