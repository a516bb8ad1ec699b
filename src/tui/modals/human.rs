//! The human step prompt: instructions, checklist (Space ticks), a
//! multi-line note, and the choices Done / Skip / Cancel.

use super::super::keymap::Action;
use super::super::look::Look;
use super::super::theme;
use super::outcome::{LinePurpose, Opening, Outcome, text_area, typed};
use crate::engine::command::Command;
use crate::runbook::model::Step;
use crate::session::event::ConfirmedVia;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui_textarea::TextArea;

fn top_lines(look: &Look, p: &HumanPrompt) -> Vec<Line<'static>> {
    let step = look.session.runbook.step(&p.step);
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

pub fn render(frame: &mut Frame, area: Rect, look: &Look, p: &HumanPrompt) {
    let title = look.title_of(&p.step);
    let r = super::super::widgets::centered(frame, area, 72, 20);
    let block = super::super::widgets::block(&title, true);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let lines = top_lines(look, p);
    let first_item = lines.len().saturating_sub(p.checked.len());
    let top = super::super::widgets::prewrap_wide(lines.clone(), inner.width);
    let keys = keys_line(p);
    // On a narrow screen the keys take two rows rather than lose the last.
    let keys_h = if keys.chars().count() > inner.width as usize {
        2
    } else {
        1
    };
    // The message's rows only when there is one: on a small screen they
    // are the checklist's.
    let msg_h = if p.error.is_some() { 2 } else { 0 };
    let top_h = (super::super::widgets::wrapped_height(&top, inner.width) as u16)
        .min(inner.height.saturating_sub(3 + msg_h + keys_h));
    let [top_a, note_a, msg_a, keys_a] = Layout::vertical([
        Constraint::Length(top_h),
        Constraint::Min(3),
        Constraint::Length(msg_h),
        Constraint::Length(keys_h),
    ])
    .areas(inner);
    let rows = |n: usize| super::super::widgets::box_rows(&lines[..n], inner.width) as u16;
    // Too little room: the rows scroll to the checklist's selected item,
    // and marks say what is above and below (a hidden item can be ticked).
    let total = rows(lines.len());
    let scroll = match (p.on_note, total > top_h) {
        (false, true) => (rows(first_item + p.cursor + 1) + 1)
            .saturating_sub(top_h)
            .min(total - top_h),
        _ => 0,
    };
    frame.render_widget(
        Paragraph::new(top)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        top_a,
    );
    more_marks(frame, top_a, scroll, total, !p.on_note);
    let label = if p.note_required {
        "Note (required)"
    } else {
        "Note (optional)"
    };
    let mut note = p.note.clone();
    note.set_block(super::super::widgets::block(label, p.on_note));
    note.set_cursor_line_style(ratatui::style::Style::default());
    // Read whole before it is saved: long lines wrap (at words, else
    // anywhere), as in the note dialog.
    note.set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
    frame.render_widget(&note, note_a);
    if let Some(err) = &p.error {
        frame.render_widget(
            Paragraph::new(Line::styled(
                err.clone(),
                theme::fg(look.color, Color::Red).add_modifier(ratatui::style::Modifier::BOLD),
            ))
            .wrap(Wrap { trim: true }),
            msg_a,
        );
    }
    let keys = Paragraph::new(Line::styled(keys, theme::bold())).wrap(Wrap { trim: true });
    frame.render_widget(keys, keys_a);
}

/// `↑ 3 more rows` over the first row of `area` when `scroll` hides rows
/// above, `↓ 4 more rows` over its last when rows are hidden below; in
/// fewer than three rows, never over the selected item (`on_list`).
fn more_marks(frame: &mut Frame, area: Rect, scroll: u16, total: u16, on_list: bool) {
    if area.height == 0 || (on_list && area.height < 3) {
        return;
    }
    let below = total.saturating_sub(scroll + area.height);
    let plural = |n: u16| if n == 1 { "row" } else { "rows" };
    let mut mark = |y: u16, text: String| {
        let row = Rect {
            y,
            height: 1,
            ..area
        };
        frame.render_widget(ratatui::widgets::Clear, row);
        frame.render_widget(Paragraph::new(Line::styled(text, theme::dim())), row);
    };
    if scroll > 0 && area.height > 1 {
        mark(area.y, format!("↑ {scroll} more {} above", plural(scroll)));
    }
    if below > 0 {
        let how = if on_list {
            ""
        } else {
            " (Tab reaches the checklist)"
        };
        mark(
            area.y + area.height - 1,
            format!("↓ {below} more {}{how}", plural(below)),
        );
    }
}

/// The prompt's keys, for its last row.
fn keys_line(p: &HumanPrompt) -> String {
    use super::super::keymap::{Action as A, Context, footer};
    if p.checked.is_empty() {
        footer(Context::HumanPrompt, &[A::Accept, A::Skip, A::Dismiss])
    } else {
        footer(
            Context::HumanPrompt,
            &[A::Accept, A::Skip, A::NextField, A::ToggleItem, A::Dismiss],
        )
    }
}

/// The human step prompt.
#[derive(Clone, Debug)]
pub struct HumanPrompt {
    pub step: String,
    pub checked: Vec<bool>,
    pub cursor: usize,
    /// Keys go to the note (true) or the checklist (false).
    pub on_note: bool,
    pub note: TextArea<'static>,
    pub note_required: bool,
    pub error: Option<String>,
    /// What `error` is about, so it goes once the operator has fixed it.
    problem: Option<Problem>,
    /// The operator was told some items are unticked; Done again confirms.
    pub warned_unticked: bool,
}

/// A problem the prompt pointed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Problem {
    NoteMissing,
    Unticked,
}

impl HumanPrompt {
    pub fn new(step: &Step) -> HumanPrompt {
        HumanPrompt {
            step: step.id.clone(),
            checked: vec![false; step.checklist.len()],
            cursor: 0,
            on_note: step.checklist.is_empty(),
            note: text_area(""),
            note_required: crate::policy::note_missing(step, None),
            error: None,
            problem: None,
            warned_unticked: false,
        }
    }

    /// Drops the message about a problem the operator has since fixed
    /// (typed the note, ticked every item): it must not linger.
    fn forget_fixed(&mut self) {
        let fixed = match self.problem {
            Some(Problem::NoteMissing) => !typed(&self.note).is_empty(),
            Some(Problem::Unticked) => self.checked.iter().all(|c| *c),
            None => false,
        };
        if fixed {
            self.error = None;
            self.problem = None;
        }
    }

    /// Opened again after it was left unanswered: its note and ticks as
    /// they were, but no message and no warning taken as given (a
    /// confirmation with unticked items warns again).
    pub fn reopen(&mut self) {
        self.error = None;
        self.problem = None;
        self.warned_unticked = false;
    }

    /// Pasted text into the note (see `Modal::paste`).
    pub fn paste(&mut self, text: &str) -> bool {
        self.on_note = true;
        let changed = self.note.insert_str(super::outcome::pasted(text, false));
        self.forget_fixed();
        changed
    }

    pub fn key(mut self, action: Option<Action>, key: KeyEvent) -> Outcome<HumanPrompt> {
        let list = !self.on_note && !self.checked.is_empty();
        match action {
            Some(Action::Accept) => return self.accept(),
            Some(Action::Skip) => {
                return Outcome::Open(Opening::Line(LinePurpose::Skip { step: self.step }));
            }
            Some(Action::Dismiss) => return Outcome::Close,
            Some(Action::NextField) if !self.checked.is_empty() => self.on_note = !self.on_note,
            Some(Action::ToggleItem) if list => {
                self.checked[self.cursor] = !self.checked[self.cursor];
                // A warning was about the ticks as they were: a change
                // takes it back (its count is stale, and "Done again"
                // must not sign off ticks nobody was warned about).
                self.warned_unticked = false;
                if self.problem == Some(Problem::Unticked) {
                    self.error = None;
                    self.problem = None;
                }
            }
            Some(Action::Up) if list => self.cursor = self.cursor.saturating_sub(1),
            Some(Action::Down) if list => {
                self.cursor = (self.cursor + 1).min(self.checked.len() - 1)
            }
            _ if self.on_note => {
                self.note.input(key);
            }
            // Text typed while the checklist has the keys is the note:
            // it goes there (and the keys with it), not nowhere.
            _ if typed_char(&key) => {
                self.on_note = true;
                self.note.input(key);
            }
            _ => {}
        }
        self.forget_fixed();
        Outcome::Keep(self)
    }

    /// Done: refused in place while a required note is missing; unticked
    /// items are pointed out once.
    fn accept(mut self) -> Outcome<HumanPrompt> {
        let note = typed(&self.note);
        let unticked = self.checked.iter().filter(|c| !**c).count();
        if self.note_required && note.is_empty() {
            self.error = Some(
                "This step needs a note before it can be marked done. Type it, then Ctrl-D.".into(),
            );
            self.problem = Some(Problem::NoteMissing);
            self.on_note = true;
        } else if unticked > 0 && !self.warned_unticked {
            let verb = if unticked == 1 { "is" } else { "are" };
            self.error = Some(format!(
                "{unticked} of {} items {verb} not ticked (Space ticks). Ctrl-D again marks the step done anyway.",
                self.checked.len()
            ));
            self.warned_unticked = true;
            self.problem = Some(Problem::Unticked);
        } else {
            let checked = (0..self.checked.len())
                .filter(|&i| self.checked[i])
                .collect();
            return Outcome::Send(vec![Command::Confirm {
                step: self.step,
                note: (!note.is_empty()).then_some(note),
                checked,
                via: ConfirmedVia::Operator,
            }]);
        }
        Outcome::Keep(self)
    }
}

/// A printable character typed without Ctrl or Alt.
fn typed_char(key: &KeyEvent) -> bool {
    use crossterm::event::{KeyCode, KeyModifiers};
    matches!(key.code, KeyCode::Char(_))
        && !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
}
