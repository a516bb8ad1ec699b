//! The inputs form shown before the engine starts: one field per input,
//! with its description, default, pattern and choices; invalid values are
//! explained inline; secrets are masked as typed.
//!
//! `InputsForm` is pure state with `key` and `render`; `ask_inputs` is the
//! small loop that owns the terminal while the form is shown.

use super::super::theme;
use crate::runbook::model::{Input, Runbook};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// What a key did to the form.
#[derive(Debug, PartialEq)]
pub enum FormOutcome {
    Editing,
    Submitted(Vec<(String, String)>),
    Cancelled,
}

#[derive(Clone, Debug)]
pub struct InputsForm {
    pub inputs: Vec<Input>,
    pub values: Vec<String>,
    pub focus: usize,
    pub errors: Vec<Option<String>>,
}

/// Why a value is not acceptable, if it is not: the same check as a value
/// given later in the session (`inputs::check_given`), so the form and the
/// engine can never disagree.
pub fn validate(input: &Input, value: &str) -> Option<String> {
    crate::engine::inputs::check_given(input, value)
        .err()
        .map(|e| format!("{e}."))
}

/// What an input is and what it accepts, in one line: its description,
/// default (masked for a secret), pattern, choices, and whether optional.
pub fn about(input: &Input) -> String {
    let mut about = input.description.clone().unwrap_or_default();
    if let Some(d) = &input.default {
        about.push_str(&format!(
            "  (default {})",
            if input.secret { crate::text::MASK } else { d }
        ));
    }
    if let Some(p) = &input.pattern {
        about.push_str(&format!("  pattern {p}"));
    }
    if !input.choices.is_empty() {
        about.push_str(&format!("  one of {}", input.choices.join(" | ")));
    }
    if !input.required {
        about.push_str("  (optional)");
    }
    about.trim().to_owned()
}

impl InputsForm {
    /// Fields start from `prefilled`, else the default.
    pub fn new(runbook: &Runbook, prefilled: &[(String, String)]) -> InputsForm {
        let values: Vec<String> = runbook
            .inputs
            .iter()
            .map(|i| {
                let given = prefilled
                    .iter()
                    .find(|(k, _)| *k == i.name)
                    .map(|(_, v)| v.clone());
                given.or_else(|| i.default.clone()).unwrap_or_default()
            })
            .collect();
        InputsForm {
            errors: vec![None; values.len()],
            inputs: runbook.inputs.clone(),
            values,
            focus: 0,
        }
    }

    /// Whether every value is acceptable already (the form can be skipped).
    pub fn is_complete(&self) -> bool {
        self.inputs
            .iter()
            .zip(&self.values)
            .all(|(i, v)| validate(i, v).is_none())
    }

    fn result(&self) -> Vec<(String, String)> {
        self.inputs
            .iter()
            .zip(&self.values)
            .filter(|(_, v)| !v.is_empty())
            .map(|(i, v)| (i.name.clone(), v.clone()))
            .collect()
    }

    fn check_all(&mut self) -> bool {
        self.errors = self
            .inputs
            .iter()
            .zip(&self.values)
            .map(|(i, v)| validate(i, v))
            .collect();
        match self.errors.iter().position(Option::is_some) {
            Some(first) => {
                self.focus = first;
                false
            }
            None => true,
        }
    }

    pub fn key(&mut self, key: KeyEvent) -> FormOutcome {
        if key.kind == KeyEventKind::Release || self.inputs.is_empty() {
            return if self.inputs.is_empty() {
                FormOutcome::Submitted(Vec::new())
            } else {
                FormOutcome::Editing
            };
        }
        let last = self.inputs.len() - 1;
        if key.code == KeyCode::Enter && self.focus == last {
            return match self.check_all() {
                true => FormOutcome::Submitted(self.result()),
                false => FormOutcome::Editing,
            };
        }
        match key.code {
            KeyCode::Esc => return FormOutcome::Cancelled,
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                return FormOutcome::Cancelled;
            }
            KeyCode::Enter | KeyCode::Tab | KeyCode::Down => {
                self.errors[self.focus] =
                    validate(&self.inputs[self.focus], &self.values[self.focus]);
                self.focus = (self.focus + 1).min(last);
            }
            KeyCode::Up | KeyCode::BackTab => self.focus = self.focus.saturating_sub(1),
            KeyCode::Backspace => {
                self.values[self.focus].pop();
            }
            KeyCode::Char(c)
                if key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                edit_line(&mut self.values[self.focus], c, key.modifiers);
            }
            KeyCode::Char(c) => self.values[self.focus].push(c),
            _ => {}
        }
        self.forget_fixed();
        FormOutcome::Editing
    }

    /// A paste into the focused field, on one line (its line breaks are
    /// spaces, a trailing one dropped): it never submits the form.
    pub fn paste(&mut self, text: &str) {
        if self.inputs.is_empty() {
            return;
        }
        let text = crate::tui::modals::outcome::pasted(text, true);
        self.values[self.focus].push_str(&text);
        self.forget_fixed();
    }

    /// A field's message goes as soon as its value is acceptable (a new
    /// message waits for Enter: none appears while typing).
    fn forget_fixed(&mut self) {
        let i = self.focus;
        if self.errors[i].is_some() && validate(&self.inputs[i], &self.values[i]).is_none() {
            self.errors[i] = None;
        }
    }

    fn field_lines(&self, i: usize, color: bool) -> Vec<Line<'static>> {
        let input = &self.inputs[i];
        let focused = i == self.focus;
        let shown = if input.secret {
            "•".repeat(self.values[i].chars().count())
        } else {
            self.values[i].clone()
        };
        let cursor = if focused { "▏" } else { "" };
        let name = Span::styled(
            format!("{} {}", if focused { "▶" } else { " " }, input.name),
            theme::bold(),
        );
        let mut lines = vec![Line::from(vec![
            name,
            Span::raw(format!(": {shown}{cursor}")),
        ])];
        lines.push(Line::styled(format!("    {}", about(input)), theme::dim()));
        if let Some(e) = &self.errors[i] {
            lines.push(Line::styled(
                format!("    ✗ {e}"),
                theme::fg(color, ratatui::style::Color::Red),
            ));
        }
        lines
    }

    pub fn render(&self, frame: &mut Frame, color: bool) {
        let mut lines = vec![
            Line::styled("Inputs for this session", theme::bold()),
            Line::raw(""),
        ];
        for i in 0..self.inputs.len() {
            lines.extend(self.field_lines(i, color));
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "Tab/↓ next field   ↑ previous   Enter on the last field: start   Esc: cancel",
            theme::bold(),
        ));
        frame.render_widget(
            Paragraph::new(lines)
                .block(super::block("stepwise", true))
                .wrap(Wrap { trim: false }),
            frame.area(),
        );
    }
}

/// A shell's line keys on a field typed at its end: `Ctrl-U` clears it,
/// `Ctrl-W` deletes its last word. Any
/// other key with Ctrl or Alt adds nothing: its letter typed into a
/// masked secret would be a character nobody can see.
fn edit_line(value: &mut String, c: char, modifiers: KeyModifiers) {
    if !modifiers.contains(KeyModifiers::CONTROL) {
        return;
    }
    match c {
        'u' => value.clear(),
        'w' => {
            let kept = value.trim_end().len();
            // After the last white space (whatever its width in bytes).
            let start = value[..kept]
                .char_indices()
                .rfind(|(_, c)| c.is_whitespace())
                .map_or(0, |(i, c)| i + c.len_utf8());
            value.truncate(start);
        }
        _ => {}
    }
}

/// Asks for the runbook's inputs in the terminal, before the engine starts.
/// Returns `None` when the operator cancels. Skipped (no screen at all)
/// when every input already has an acceptable value.
pub fn ask_inputs(
    runbook: &Runbook,
    prefilled: &[(String, String)],
) -> std::io::Result<Option<Vec<(String, String)>>> {
    let form = InputsForm::new(runbook, prefilled);
    if form.is_complete() {
        return Ok(Some(form.result()));
    }
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let form = std::cell::RefCell::new(form);
    crate::tui::screen::run_pasting(
        |f| form.borrow().render(f, color),
        |k| match form.borrow_mut().key(k) {
            FormOutcome::Editing => None,
            FormOutcome::Submitted(v) => Some(Some(v)),
            FormOutcome::Cancelled => Some(None),
        },
        |text| form.borrow_mut().paste(text),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn a_message_about_a_value_goes_once_the_value_is_fixed() {
        let rb = crate::runbook::load::load_str(
            "t.yaml",
            "runbook: 1\nid: t\ntitle: T\ninputs:\n  WORKER:\n    pattern: '^w[0-9]+$'\n\
             sections:\n  - title: S\n    steps:\n      - id: a\n        title: A\n        run: 'true'\n",
        )
        .unwrap();
        let mut form = InputsForm::new(&rb, &[]);
        form.key(key(KeyCode::Char('x')));
        assert!(matches!(
            form.key(key(KeyCode::Enter)),
            FormOutcome::Editing
        ));
        assert!(form.errors[0].as_deref().unwrap().contains("must match"));
        form.key(key(KeyCode::Backspace));
        form.key(key(KeyCode::Char('w')));
        assert!(form.errors[0].is_some(), "w alone does not match yet");
        form.key(key(KeyCode::Char('7')));
        assert_eq!(form.errors[0], None, "w7 matches: the message goes");
    }

    #[test]
    fn ctrl_keys_edit_the_line_and_never_type_their_letter() {
        let rb = crate::runbook::load::load_str(
            "t.yaml",
            "runbook: 1\nid: t\ntitle: T\ninputs:\n  PASSWORD:\n    secret: true\n\
             sections:\n  - title: S\n    steps:\n      - id: a\n        title: A\n        run: 'true'\n",
        )
        .unwrap();
        let mut form = InputsForm::new(&rb, &[]);
        let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
        for c in "old secret".chars() {
            form.key(key(KeyCode::Char(c)));
        }
        form.key(ctrl('w'));
        assert_eq!(form.values[0], "old ", "Ctrl-W deletes the last word");
        // A non-breaking space (pasted from a chat) is two bytes.
        form.paste("prod\u{a0}db");
        form.key(ctrl('w'));
        assert_eq!(form.values[0], "old prod\u{a0}");
        form.key(ctrl('u'));
        assert_eq!(form.values[0], "", "Ctrl-U clears the field");
        for c in ['a', 'r', 'e', 'k'] {
            form.key(ctrl(c));
            form.key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT));
        }
        assert_eq!(form.values[0], "", "no hidden letter in the secret");
    }
}
