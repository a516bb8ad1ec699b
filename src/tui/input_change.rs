//! The "change an input" modal (`i`): choose an input from the list of
//! current values, type its new value (masked for a secret), Enter gives it.
//!
//! A value is checked here with the inputs form's check (the same one the
//! engine applies), so a bad one is explained inline and nothing is sent;
//! the engine still decides, and a refusal shows in the status bar. State
//! and key handling only: no drawing (`widgets::input_change`) and no I/O.

use super::app::App;
use super::keymap::{self, Action, Context};
use super::modal::Modal;
use crate::engine::command::Command;
use crate::runbook::model::Input;
use crossterm::event::KeyEvent;
use ratatui_textarea::{CursorMove, TextArea};

/// Typed secrets are shown as this.
const MASK_CHAR: char = '•';

/// Which input is chosen, and the value being typed once one is.
#[derive(Clone)]
pub struct InputChange {
    /// Index into the runbook's inputs.
    pub cursor: usize,
    /// Typing the new value (else choosing the input).
    pub editing: bool,
    pub text: TextArea<'static>,
    pub error: Option<String>,
    /// Only one input: Esc from the value closes instead of going back.
    pub single: bool,
}

// By hand: the typed text may be a secret, and `App` is `Debug`.
impl std::fmt::Debug for InputChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputChange")
            .field("cursor", &self.cursor)
            .field("editing", &self.editing)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl InputChange {
    /// Opens on the list; with a single input, straight on its value.
    pub fn open(app: &App) -> InputChange {
        let single = app.session.runbook.inputs.len() == 1;
        let mut c = InputChange {
            cursor: 0,
            editing: false,
            text: TextArea::default(),
            error: None,
            single,
        };
        if single {
            c.edit(app);
        }
        c
    }

    pub fn context(&self) -> Context {
        if self.editing {
            Context::InputEdit
        } else {
            Context::InputPick
        }
    }

    /// Starts typing: a plain value starts from the current one (to fix a
    /// typo), a secret from nothing (its value is not known here).
    fn edit(&mut self, app: &App) {
        let Some(input) = app.session.runbook.inputs.get(self.cursor) else {
            return;
        };
        let secret = is_secret(app, input);
        let current = app
            .session
            .inputs
            .iter()
            .find(|v| v.name == input.name)
            .filter(|_| !secret)
            .map(|v| v.value.clone())
            .unwrap_or_default();
        self.text = TextArea::new(vec![current]);
        self.text.move_cursor(CursorMove::End);
        if secret {
            self.text.set_mask_char(MASK_CHAR);
        }
        self.error = None;
        self.editing = true;
    }

    /// The value typed, as typed (not trimmed, like the inputs form).
    fn value(&self) -> String {
        self.text.lines().join("")
    }
}

/// Whether an input's value is masked on screen.
pub fn is_secret(app: &App, input: &Input) -> bool {
    input.secret || app.secrets.iter().any(|s| s == &input.name)
}

impl App {
    /// `i` on the main screen: only while no step runs (a running command
    /// keeps the values it started with).
    pub(super) fn ask_input(&mut self) {
        if self.session.runbook.inputs.is_empty() {
            self.status = Some("This runbook has no inputs.".into());
        } else if self.session.running().is_some() {
            // Short: the status bar of an 80-column terminal holds it.
            self.status = Some("A step runs: i works once it ends.".into());
        } else {
            self.modal = Some(Modal::Input(InputChange::open(self)));
        }
    }

    pub(super) fn input_key(&mut self, mut c: InputChange, key: KeyEvent) -> Vec<Command> {
        let action = keymap::action(c.context(), &key);
        let last = self.session.runbook.inputs.len().saturating_sub(1);
        match (c.editing, action) {
            (false, Some(Action::Up)) => c.cursor = c.cursor.saturating_sub(1),
            (false, Some(Action::Down)) => c.cursor = (c.cursor + 1).min(last),
            (false, Some(Action::Accept)) => c.edit(self),
            (false, Some(Action::Dismiss)) => return Vec::new(),
            (true, Some(Action::Dismiss)) if c.single => return Vec::new(),
            (true, Some(Action::Dismiss)) => {
                c.editing = false;
                c.error = None;
            }
            (true, Some(Action::Accept)) => match self.give(&c) {
                Ok(cmd) => return vec![cmd],
                Err(why) => c.error = Some(why),
            },
            (true, _) => {
                c.text.input(key);
            }
            _ => {}
        }
        self.modal = Some(Modal::Input(c));
        Vec::new()
    }

    /// The command for the typed value, or why it cannot be given (the
    /// inputs form's check, then what the engine would refuse anyway).
    fn give(&self, c: &InputChange) -> Result<Command, String> {
        let input = &self.session.runbook.inputs[c.cursor];
        let value = c.value();
        if let Some(why) = super::widgets::inputs_form::validate(input, &value) {
            return Err(why);
        }
        if let Some(step) = self.session.running().and_then(|i| self.step_def(i)) {
            return Err(format!(
                "“{}” is running: give the value once it has ended.",
                step.title
            ));
        }
        let current = self.session.inputs.iter().find(|v| v.name == input.name);
        if !is_secret(self, input) && current.map_or("", |v| v.value.as_str()) == value {
            return Err(format!("{} already has this value.", input.name));
        }
        Ok(Command::GiveInput {
            name: input.name.clone(),
            value,
        })
    }
}
