//! Typing into a running `tty: true` step: such a step takes the keyboard
//! as it starts, when it is the step in view, no question is open and auto
//! mode is off (a password prompt's keys must never land on hotkeys), and
//! `t` (or Enter on it) gives it the keyboard later; from then every key
//! is turned into the bytes a terminal sends (`tty_keys`) and handed to the
//! engine as [`Command::TtyInput`], hotkeys off, until `Ctrl-]` gives the
//! keys back or the step ends. A tty step's terminal opens at the log
//! pane's size and is resized with it, typing or not. What is typed is
//! never shown by stepwise (the step's own echo is), never kept, never
//! journalled, never put in a note.

use super::app::App;
use super::tty_keys;
use crate::engine::command::Command;
use crate::runner::TtyInput;
use crate::session::state::StepStatus;
use chrono::TimeDelta;
use crossterm::event::KeyEvent;

/// How long a tty step prints nothing, its last line open, before the
/// pane says it may be waiting for input.
pub const QUIET: TimeDelta = TimeDelta::seconds(3);

impl App {
    /// The running tty step the selection is on, and its attempt.
    pub fn typeable(&self) -> Option<(String, u32)> {
        let st = self.session.steps.get(self.selected)?;
        let StepStatus::Running { attempt } = st.status else {
            return None;
        };
        let tty = self.step_def(self.selected).is_some_and(|d| d.tty);
        (tty && !self.read_only).then(|| (st.id.clone(), attempt))
    }

    /// `t`: gives the keys to the selected running tty step.
    pub(super) fn start_typing(&mut self) -> Vec<Command> {
        let Some((step, _)) = self.typeable() else {
            self.status = Some("t types into a running tty: true step; none is selected.".into());
            return Vec::new();
        };
        self.typing = Some(step);
        self.tty_size()
    }

    /// A key while typing: `Ctrl-]` gives the keys back; any other goes
    /// to the step.
    pub(super) fn typing_key(&mut self, key: KeyEvent) -> Vec<Command> {
        if tty_keys::is_release(&key) {
            self.typing = None;
            self.status = Some("The keys are stepwise's again.".into());
            return Vec::new();
        }
        let bytes = tty_keys::bytes(&key);
        if bytes.is_empty() {
            return Vec::new();
        }
        vec![Command::TtyInput(TtyInput::Bytes(bytes))]
    }

    /// Pasted text (the terminal's bracketed paste, one event however
    /// long): to the step being typed into, else into the open modal's
    /// text field. Never read as keys: a pasted `q` or `y` is not a
    /// command. Nothing to take it: the bar says where a paste goes.
    pub(super) fn paste(&mut self, text: &str) -> Vec<Command> {
        // Nothing is shown: nothing is sent (as no key acts then).
        if self.too_small() {
            return Vec::new();
        }
        if self.typing.is_some() && self.modal.is_none() {
            return vec![Command::TtyInput(TtyInput::Bytes(self.tty_paste(text)))];
        }
        self.dirty = true;
        self.status = None;
        if !self.modal.as_mut().is_some_and(|m| m.paste(text)) {
            self.status = Some(
                "A paste goes into a text field (a note, a reason, a draft): nothing here takes text."
                    .to_owned(),
            );
        }
        Vec::new()
    }

    /// A paste's bytes for the step typed into: the terminal's line ends
    /// (`\r`, as a terminal sends Enter), wrapped in the bracketed-paste
    /// marks when the step's program asked for them (a shell or a REPL
    /// then takes several lines as one paste instead of running each), as
    /// a terminal would. The end mark inside the text is taken out, so a
    /// paste cannot end itself early.
    fn tty_paste(&self, text: &str) -> Vec<u8> {
        let text = text.replace("\r\n", "\r").replace('\n', "\r");
        let asked = self
            .typeable()
            .and_then(|(step, attempt)| {
                self.logs
                    .screen(&step, attempt)
                    .map(|s| s.bracketed_paste())
            })
            .unwrap_or(false);
        match asked {
            true => format!("\x1b[200~{}\x1b[201~", text.replace("\x1b[201~", "")).into_bytes(),
            false => text.into_bytes(),
        }
    }

    /// The step's terminal takes the log pane's size (inside its border).
    pub(super) fn tty_size(&mut self) -> Vec<Command> {
        if self.read_only || !self.session.runbook.steps().any(|(_, s)| s.tty) {
            return Vec::new();
        }
        let (rows, cols) = self.pane_size();
        if let Some((step, attempt)) = self.typeable() {
            self.logs.resize_tty(&step, attempt, rows, cols);
        }
        vec![Command::TtyInput(TtyInput::Resize { rows, cols })]
    }

    /// The log pane's rows and columns inside its border.
    fn pane_size(&self) -> (u16, u16) {
        let rows = self.areas.log.height.saturating_sub(2).max(1);
        let cols = self.areas.log.width.saturating_sub(2).max(1);
        (rows, cols)
    }

    /// A step started: a `tty: true` step in view, with no question open
    /// and auto mode off, takes the keys at once (what the operator types
    /// next is for its prompt).
    pub(super) fn tty_started(&mut self, step: &str) -> Vec<Command> {
        // Its screen is drawn at the size its pty opened at (the pane's,
        // which the engine was given), in view or not.
        if let Some(st) = self.session.step(step)
            && self.session.runbook.step(step).is_some_and(|d| d.tty)
            && !self.read_only
        {
            let (rows, cols) = self.pane_size();
            let attempt = st.attempts.len() as u32;
            self.logs.resize_tty(step, attempt, rows, cols);
        }
        if self.typeable().is_none_or(|(s, _)| s != step) {
            return Vec::new();
        }
        // In auto mode nobody started it by hand: the keys stay
        // stepwise's (`a`, `c` must reach it); `t` gives them to the step.
        if self.modal.is_none() && self.typing.is_none() && !self.auto {
            self.typing = Some(step.to_owned());
            self.status = Some(format!(
                "{step} reads the terminal: your keys go to it. Ctrl-] gives them back to stepwise."
            ));
        }
        self.tty_size()
    }

    /// The typed-into step ended (or the selection left it): the keys
    /// come back.
    pub(super) fn check_typing(&mut self) {
        if let Some(step) = &self.typing
            && self.typeable().is_none_or(|(s, _)| &s != step)
        {
            self.status = Some(format!(
                "{step} is no longer running: the keys are stepwise's again."
            ));
            self.typing = None;
        }
    }

    /// Whether the shown tty step looks like it waits for input: quiet
    /// for [`QUIET`] with its last line open.
    pub fn may_wait_for_input(&self) -> bool {
        let Some((step, attempt)) = self.typeable() else {
            return false;
        };
        let quiet = self
            .last_output
            .as_ref()
            .is_none_or(|(s, a, at)| (s, *a) != (&step, attempt) || self.now - *at >= QUIET);
        quiet && self.logs.ends_open(&step, attempt)
    }
}
