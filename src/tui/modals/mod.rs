//! The modals: one component per file, each holding its state, how keys
//! act on it, and how it is drawn. A key never reaches into the app: it
//! returns an [`Outcome`] that `App` carries out (send commands, open
//! another modal, search, leave). Drawing reads a [`Look`], a read-only
//! view of the app, so this module never imports the app (no cycle).
//!
//! No I/O here; every key line shown comes from the key table.

pub mod batch;
pub mod failure;
pub mod finished;
pub mod fleet_failure;
pub mod help;
pub mod human;
pub mod input_change;
pub mod outcome;
pub mod run_confirm;
pub mod text_entry;
pub mod undelivered;
pub mod unknown;
pub mod update_draft;
pub mod yes_no;

pub use help::Help;
pub use human::HumanPrompt;
pub use input_change::InputChange;
pub use outcome::{LinePurpose, NotePurpose, Opening, typed};
pub use update_draft::UpdateDraft;

/// What a key did to the open modal, for the app to carry out.
pub type Outcome = outcome::Outcome<Modal>;

use super::keymap::{self, Context};
use super::look::Look;
use super::widgets::AboveLog;
use crate::runbook::model::Step;
use crossterm::event::KeyEvent;
use outcome::text_area;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui_textarea::TextArea;

#[derive(Clone, Debug)]
pub enum Modal {
    Human(HumanPrompt),
    RunConfirm {
        step: String,
    },
    Failure {
        step: String,
    },
    /// A fleet step failed: retry its failed hosts, accept, abort.
    FleetFailure {
        step: String,
    },
    /// A fleet step waits between two batches.
    Batch {
        step: String,
    },
    Unknown(unknown::UnknownPrompt),
    CancelRunning,
    Quit,
    /// Quit while a step runs: leave it running, or cancel it.
    QuitRunning,
    Line {
        purpose: LinePurpose,
        text: TextArea<'static>,
        error: Option<String>,
    },
    Note {
        purpose: NotePurpose,
        text: TextArea<'static>,
        error: Option<String>,
    },
    Help(Help),
    /// The session ended (completed or aborted): a last look before leaving.
    Finished,
    /// Every step is settled but an update was not delivered: resend it,
    /// skip it, or close the session as it is.
    Undelivered {
        step: String,
    },
    /// Change an input's value (`i`).
    Input(InputChange),
    /// The draft of an update step, editable before it is sent.
    Update(UpdateDraft),
}

impl Modal {
    /// Pasted text (the terminal's bracketed paste) into the open modal's
    /// text field, whole: a reason or a value on one line, a note or a
    /// draft with its lines. False when the modal has no field taking
    /// text: a paste is never read as keys.
    pub fn paste(&mut self, text: &str) -> bool {
        match self {
            Modal::Line { text: t, .. } => t.insert_str(outcome::pasted(text, true)),
            Modal::Note { text: t, .. } => t.insert_str(outcome::pasted(text, false)),
            Modal::Update(d) => d.text.insert_str(outcome::pasted(text, false)),
            Modal::Input(c) if c.editing => c.text.insert_str(outcome::pasted(text, true)),
            // As a typed character does, a paste goes to the note even
            // while the checklist has the focus.
            Modal::Human(p) => p.paste(text),
            _ => return false,
        };
        true
    }

    pub fn human(step: &Step) -> Modal {
        Modal::Human(HumanPrompt::new(step))
    }

    pub fn line(purpose: LinePurpose, initial: &str) -> Modal {
        Modal::Line {
            purpose,
            text: text_area(initial),
            error: None,
        }
    }

    pub fn note(purpose: NotePurpose) -> Modal {
        Modal::Note {
            purpose,
            text: text_area(""),
            error: None,
        }
    }

    pub fn context(&self) -> Context {
        match self {
            Modal::Human(_) => Context::HumanPrompt,
            Modal::RunConfirm { .. } => Context::RunConfirm,
            Modal::Failure { .. } => Context::Failure,
            Modal::FleetFailure { .. } => Context::FleetFailure,
            Modal::Batch { .. } => Context::Batch,
            Modal::Unknown(p) => p.context(),
            Modal::CancelRunning | Modal::Quit => Context::YesNo,
            Modal::QuitRunning => Context::QuitRunning,
            Modal::Line { .. } => Context::Line,
            Modal::Note { .. } => Context::NoteEntry,
            Modal::Help(_) => Context::Help,
            Modal::Finished => Context::Finished,
            Modal::Undelivered { .. } => Context::Undelivered,
            Modal::Input(c) => c.context(),
            Modal::Update(_) => Context::UpdateDraft,
        }
    }

    /// A key pressed while this modal is open: what it does, looked up in
    /// the key table for the modal's context.
    pub fn key(self, key: KeyEvent, look: &Look) -> Outcome {
        let action = keymap::action(self.context(), &key);
        let outcome = match self {
            Modal::Human(p) => p.key(action, key).map(Modal::Human),
            Modal::Input(c) => c.key(key, look).map(Modal::Input),
            Modal::Update(d) => d.key(action, key).map(Modal::Update),
            Modal::Line {
                purpose,
                text,
                error,
            } => text_entry::line_key(purpose, text, error, action, key, look).map(
                |(purpose, text, error)| Modal::Line {
                    purpose,
                    text,
                    error,
                },
            ),
            Modal::Note {
                purpose,
                text,
                error,
            } => text_entry::note_key(purpose, text, error, action, key).map(
                |(purpose, text, error)| Modal::Note {
                    purpose,
                    text,
                    error,
                },
            ),
            Modal::RunConfirm { step } => {
                run_confirm::key(step, action, look).map(|step| Modal::RunConfirm { step })
            }
            Modal::Failure { step } => {
                failure::key(step, action).map(|step| Modal::Failure { step })
            }
            Modal::FleetFailure { step } => {
                fleet_failure::key(step, action).map(|step| Modal::FleetFailure { step })
            }
            Modal::Batch { step } => batch::key(step, action).map(|step| Modal::Batch { step }),
            Modal::Unknown(p) => p.key(action).map(Modal::Unknown),
            Modal::CancelRunning => yes_no::key(false, action).map(|()| Modal::CancelRunning),
            Modal::Quit => yes_no::key(true, action).map(|()| Modal::Quit),
            Modal::QuitRunning => yes_no::quit_running_key(action).map(|()| Modal::QuitRunning),
            Modal::Help(h) => h.key(action, look.size).map(Modal::Help),
            Modal::Finished => finished::key(action).map(|()| Modal::Finished),
            Modal::Undelivered { step } => {
                undelivered::key(step, action).map(|step| Modal::Undelivered { step })
            }
        };
        match outcome {
            outcome::Outcome::Open(Opening::Line(purpose)) => {
                outcome::Outcome::Keep(Modal::line(purpose, ""))
            }
            outcome::Outcome::Open(Opening::Note(purpose)) => {
                outcome::Outcome::Keep(Modal::note(purpose))
            }
            other => other,
        }
    }

    /// The question about output this modal asks above the log pane, if
    /// it is one (see [`AboveLog`]).
    pub fn above_log(&self, look: &Look) -> Option<AboveLog<'static>> {
        match self {
            Modal::Failure { step } => failure::dialog(look, step),
            Modal::FleetFailure { step } => fleet_failure::dialog(look, step),
            Modal::Batch { step } => batch::dialog(look, step),
            Modal::Unknown(p) => unknown::dialog(look, p),
            _ => None,
        }
    }

    /// Draws the modal over `area`.
    pub fn draw(&self, frame: &mut Frame, area: Rect, look: &Look) {
        match self {
            Modal::Human(p) => human::render(frame, area, look, p),
            Modal::RunConfirm { step } => run_confirm::render(frame, area, look, step),
            Modal::CancelRunning => yes_no::render(frame, area, look, false),
            Modal::Quit => yes_no::render(frame, area, look, true),
            Modal::QuitRunning => yes_no::render_quit_running(frame, area, look),
            Modal::Line {
                purpose,
                text,
                error,
            } => text_entry::render_line(frame, area, look, purpose, text, error.as_deref()),
            Modal::Note {
                purpose,
                text,
                error,
            } => text_entry::render_note(frame, area, purpose, text, error.as_deref()),
            Modal::Help(h) => help::render(frame, area, h.scroll),
            Modal::Finished => finished::render(frame, area, look),
            Modal::Undelivered { step } => undelivered::render(frame, area, look, step),
            Modal::Input(c) => input_change::render(frame, area, look, c),
            Modal::Update(d) => update_draft::render(frame, area, d),
            Modal::Failure { .. }
            | Modal::FleetFailure { .. }
            | Modal::Batch { .. }
            | Modal::Unknown(_) => {
                if let Some(d) = self.above_log(look) {
                    d.draw(frame, area);
                }
            }
        }
    }
}
