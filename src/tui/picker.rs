//! The picker screen of `stepwise` with no arguments: runbooks, then
//! unfinished sessions; ↑/↓ (j/k) move, Enter picks, q or Esc leaves.
//!
//! `Picker` is the state and its key handling (no I/O), `render` draws it
//! (never mutates), and `pick` is the small blocking loop that owns the
//! terminal while the picker is shown. What a choice starts is decided by
//! the caller (`crate::picker`), never here. The [`Entry`] type lives here:
//! the screen owns what it shows, and the caller imports it (one way).

use super::theme;
use crate::session::store;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::path::PathBuf;

/// One thing the picker offers.
#[derive(Clone, Debug)]
pub enum Entry {
    /// A runbook file, with its title when it loads.
    Runbook { path: PathBuf, title: String },
    /// An unfinished session.
    Session { summary: store::Summary },
}

impl Entry {
    /// One line for the list.
    pub fn label(&self) -> String {
        match self {
            Entry::Runbook { path, title } => format!("{title}  ({})", path.display()),
            Entry::Session { summary: s } => format!(
                "{}  {}  {}/{} done  {}",
                s.id, s.runbook, s.done, s.total, s.status
            ),
        }
    }
}

/// The picker's state: which entry is selected.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Picker {
    pub selected: usize,
}

/// What a key did.
#[derive(Clone, Debug, PartialEq)]
pub enum Picked {
    Moving,
    Chosen(usize),
    Left,
}

impl Picker {
    /// Handles a key for a list of `len` entries.
    pub fn key(&mut self, key: KeyEvent, len: usize) -> Picked {
        if key.kind == KeyEventKind::Release {
            return Picked::Moving;
        }
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected = (self.selected + 1).min(len.saturating_sub(1))
            }
            KeyCode::Enter if len > 0 => return Picked::Chosen(self.selected),
            KeyCode::Esc | KeyCode::Char('q') => return Picked::Left,
            _ => {}
        }
        Picked::Moving
    }
}

fn entry_line(e: &Entry, selected: bool, color: bool) -> Line<'static> {
    let (mark, name, detail) = match e {
        // A file name may hold anything: shown inert, visibly (ratatui
        // would drop a control character without a trace).
        Entry::Runbook { path, title } => (
            "▸ run   ",
            crate::text::one_line(title),
            crate::text::one_line(&path.display().to_string()),
        ),
        Entry::Session { summary: s } => (
            "↻ resume",
            s.id.clone(),
            format!("{}/{} done · {}", s.done, s.total, s.status),
        ),
    };
    let line = Line::from(vec![
        Span::styled(format!(" {mark} "), theme::dim()),
        Span::styled(name, theme::bold()),
        Span::raw("  "),
        Span::styled(detail, theme::fg(color, ratatui::style::Color::Gray)),
    ]);
    if selected {
        line.style(Style::default().add_modifier(Modifier::REVERSED))
    } else {
        line
    }
}

/// Draws the list with a heading per kind, and the keys at the bottom.
pub fn render(frame: &mut Frame, entries: &[Entry], state: &Picker, color: bool) {
    let [main, keys] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(frame.area());
    let mut lines = vec![Line::styled("Runbooks", theme::bold())];
    let runbooks = entries
        .iter()
        .filter(|e| matches!(e, Entry::Runbook { .. }))
        .count();
    if runbooks == 0 {
        lines.push(Line::styled(
            "   none in ./runbooks or the user config folder",
            theme::dim(),
        ));
    }
    for (i, e) in entries.iter().enumerate() {
        if i == runbooks {
            lines.push(Line::raw(""));
            lines.push(Line::styled("Unfinished sessions", theme::bold()));
        }
        lines.push(entry_line(e, i == state.selected, color));
    }
    if runbooks == entries.len() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Unfinished sessions", theme::bold()));
        lines.push(Line::styled("   none", theme::dim()));
    }
    let height = main.height.saturating_sub(2) as usize;
    let scroll = (state.selected + 3).saturating_sub(height) as u16;
    let block = super::widgets::block("stepwise · pick a runbook or a session", true);
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), main);
    frame.render_widget(
        Paragraph::new(" ↑/↓ move   Enter start or resume   q quit").style(theme::bold()),
        keys,
    );
}

/// Shows the picker until the operator picks (the entry's index) or leaves.
pub fn pick(entries: &[Entry]) -> std::io::Result<Option<usize>> {
    let color = super::color_enabled();
    let state = Picker::default();
    let state = std::cell::RefCell::new(state);
    super::screen::run(
        |f| render(f, entries, &state.borrow(), color),
        |k| match state.borrow_mut().key(k, entries.len()) {
            Picked::Moving => None,
            Picked::Chosen(i) => Some(Some(i)),
            Picked::Left => Some(None),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A runbook file named with an escape sequence in it: the terminal
    /// never gets the escape, the operator sees it (`␛`), not a silently
    /// shortened name.
    #[test]
    fn a_file_name_with_escapes_is_shown_inert_and_visible() {
        let entries = vec![Entry::Runbook {
            path: "runbooks/evil\u{1b}]0;pwned\u{7}.yaml".into(),
            title: "Evil".into(),
        }];
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 8)).unwrap();
        terminal
            .draw(|f| render(f, &entries, &Picker::default(), false))
            .unwrap();
        let screen: String = terminal
            .backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect();
        assert!(screen.contains("evil␛]0;pwned␇.yaml"), "{screen}");
        assert!(!screen.contains('\u{1b}'));
    }
}
