//! The modals: their state and how keys act on them.
//!
//! Each modal is a small state (which step, the text typed so far, an
//! error to show) plus a key handler on `App` that returns engine
//! commands. No I/O and no drawing here; the widgets draw these states.

use super::app::App;
use super::keymap::{self, Action, Context};
use crate::engine::command::Command;
use crate::runbook::model::Step;
use crate::session::event::ConfirmedVia;
use crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;

/// What a one-line text field is for.
#[derive(Clone, Debug, PartialEq)]
pub enum LinePurpose {
    Skip {
        step: String,
    },
    /// A whole optional section, by index; `title` is shown in the prompt.
    SkipSection {
        section: usize,
        title: String,
    },
    Abort,
    Search,
}

/// What a multi-line note is for.
#[derive(Clone, Debug, PartialEq)]
pub enum NotePurpose {
    Add { step: String },
    MarkDone { step: String },
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
    /// The operator was told some items are unticked; Done again confirms.
    pub warned_unticked: bool,
}

#[derive(Clone, Debug)]
pub enum Modal {
    Human(HumanPrompt),
    RunConfirm {
        step: String,
    },
    Failure {
        step: String,
    },
    Unknown {
        step: String,
    },
    CancelRunning,
    Quit,
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
    Help,
    /// The session ended (completed or aborted): a last look before leaving.
    Finished,
    /// Change an input's value (`i`).
    Input(super::input_change::InputChange),
}

fn text_area(initial: &str) -> TextArea<'static> {
    let mut t = TextArea::new(vec![initial.to_string()]);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

impl Modal {
    pub fn human(step: &Step) -> Modal {
        Modal::Human(HumanPrompt {
            step: step.id.clone(),
            checked: vec![false; step.checklist.len()],
            cursor: 0,
            on_note: step.checklist.is_empty(),
            note: text_area(""),
            note_required: crate::policy::note_missing(step, None),
            error: None,
            warned_unticked: false,
        })
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
            Modal::Unknown { .. } => Context::Unknown,
            Modal::CancelRunning | Modal::Quit => Context::YesNo,
            Modal::Line { .. } => Context::Line,
            Modal::Note { .. } => Context::NoteEntry,
            Modal::Help => Context::Help,
            Modal::Finished => Context::Finished,
            Modal::Input(c) => c.context(),
        }
    }
}

/// The text typed, lines joined, trimmed.
pub fn typed(t: &TextArea<'_>) -> String {
    t.lines().join("\n").trim().to_string()
}

impl App {
    pub(super) fn modal_key(&mut self, key: KeyEvent) -> Vec<Command> {
        let Some(modal) = self.modal.take() else {
            return Vec::new();
        };
        let action = keymap::action(modal.context(), &key);
        match modal {
            Modal::Human(p) => self.human_key(p, action, key),
            Modal::Input(c) => self.input_key(c, key),
            Modal::Line {
                purpose,
                text,
                error,
            } => self.line_key(purpose, text, error, action, key),
            Modal::Note {
                purpose,
                text,
                error,
            } => self.note_key(purpose, text, error, action, key),
            Modal::RunConfirm { step } => match action {
                Some(Action::Accept) => vec![Command::Start { step }],
                Some(Action::Dismiss) => Vec::new(),
                _ => self.keep(Modal::RunConfirm { step }),
            },
            Modal::Failure { step } | Modal::Unknown { step } if action.is_some() => {
                self.decide(step, action)
            }
            Modal::CancelRunning => match action {
                Some(Action::Accept) => vec![Command::Cancel {
                    reason: "stopped by the operator".into(),
                }],
                Some(Action::Dismiss) => Vec::new(),
                _ => self.keep(Modal::CancelRunning),
            },
            Modal::Quit => match action {
                Some(Action::Accept) => {
                    self.leaving = true;
                    self.status = Some("Leaving… the session is saved.".into());
                    vec![Command::Leave]
                }
                Some(Action::Dismiss) => Vec::new(),
                _ => self.keep(Modal::Quit),
            },
            Modal::Finished if action == Some(Action::Dismiss) => {
                self.end = self.finished.take();
                Vec::new()
            }
            Modal::Help if action == Some(Action::Dismiss) => Vec::new(),
            Modal::Help => {
                self.scroll_help(action);
                self.keep(Modal::Help)
            }
            other => self.keep(other),
        }
    }

    fn scroll_help(&mut self, action: Option<Action>) {
        let page = super::widgets::help::page_height(self.size) as i32;
        let delta = match action {
            Some(Action::Up) => -1,
            Some(Action::Down) => 1,
            Some(Action::PageUp) => -page,
            Some(Action::PageDown) => page,
            _ => 0,
        };
        let max = super::widgets::help::max_scroll(self.size) as i32;
        self.help_scroll = (self.help_scroll as i32 + delta).clamp(0, max) as u16;
    }

    fn keep(&mut self, modal: Modal) -> Vec<Command> {
        self.modal = Some(modal);
        Vec::new()
    }

    /// Failure and outcome-unknown prompts share their choices.
    fn decide(&mut self, step: String, action: Option<Action>) -> Vec<Command> {
        match action {
            Some(Action::Retry) => return vec![Command::Start { step }],
            Some(Action::Skip) => self.modal = Some(Modal::line(LinePurpose::Skip { step }, "")),
            Some(Action::MarkDone) => {
                self.modal = Some(Modal::note(NotePurpose::MarkDone { step }))
            }
            Some(Action::Abort) => self.modal = Some(Modal::line(LinePurpose::Abort, "")),
            _ => {}
        }
        Vec::new()
    }

    fn human_key(
        &mut self,
        mut p: HumanPrompt,
        action: Option<Action>,
        key: KeyEvent,
    ) -> Vec<Command> {
        let list = !p.on_note && !p.checked.is_empty();
        match action {
            Some(Action::Accept) => {
                let note = typed(&p.note);
                let unticked = p.checked.iter().filter(|c| !**c).count();
                if p.note_required && note.is_empty() {
                    p.error = Some("This step needs a note before it can be marked done. Type it, then Ctrl-D.".into());
                    p.on_note = true;
                } else if unticked > 0 && !p.warned_unticked {
                    p.error = Some(format!(
                        "{unticked} of {} items are not ticked (Space ticks). Ctrl-D again marks the step done anyway.",
                        p.checked.len()
                    ));
                    p.warned_unticked = true;
                } else {
                    return vec![Command::Confirm {
                        step: p.step,
                        note: (!note.is_empty()).then_some(note),
                        checked: p
                            .checked
                            .iter()
                            .enumerate()
                            .filter(|(_, c)| **c)
                            .map(|(i, _)| i)
                            .collect(),
                        via: ConfirmedVia::Operator,
                    }];
                }
            }
            Some(Action::Skip) => {
                self.modal = Some(Modal::line(LinePurpose::Skip { step: p.step }, ""));
                return Vec::new();
            }
            Some(Action::Dismiss) => return Vec::new(),
            Some(Action::NextField) if !p.checked.is_empty() => p.on_note = !p.on_note,
            Some(Action::ToggleItem) if list => p.checked[p.cursor] = !p.checked[p.cursor],
            Some(Action::Up) if list => p.cursor = p.cursor.saturating_sub(1),
            Some(Action::Down) if list => p.cursor = (p.cursor + 1).min(p.checked.len() - 1),
            _ if p.on_note => {
                p.note.input(key);
            }
            _ => {}
        }
        self.keep(Modal::Human(p))
    }

    fn line_key(
        &mut self,
        purpose: LinePurpose,
        mut text: TextArea<'static>,
        error: Option<String>,
        action: Option<Action>,
        key: KeyEvent,
    ) -> Vec<Command> {
        match action {
            Some(Action::Dismiss) => return Vec::new(),
            Some(Action::Accept) => {
                let value = typed(&text);
                if let (LinePurpose::Search, true, Some(last)) =
                    (&purpose, value.is_empty(), self.search.clone())
                {
                    self.find(&last);
                    return Vec::new();
                }
                if value.is_empty() {
                    let error = Some(
                        match purpose {
                            LinePurpose::Search => "Type something to search for.",
                            _ => "A reason is required: it goes into the record.",
                        }
                        .to_string(),
                    );
                    return self.keep(Modal::Line {
                        purpose,
                        text,
                        error,
                    });
                }
                return match purpose {
                    LinePurpose::Skip { step } => vec![Command::Skip {
                        step,
                        reason: value,
                    }],
                    LinePurpose::SkipSection { section, .. } => vec![Command::SkipSection {
                        section,
                        reason: value,
                    }],
                    LinePurpose::Abort => vec![Command::Abort { reason: value }],
                    LinePurpose::Search => {
                        self.find(&value);
                        Vec::new()
                    }
                };
            }
            _ => {
                text.input(key);
            }
        }
        self.keep(Modal::Line {
            purpose,
            text,
            error,
        })
    }

    fn note_key(
        &mut self,
        purpose: NotePurpose,
        mut text: TextArea<'static>,
        error: Option<String>,
        action: Option<Action>,
        key: KeyEvent,
    ) -> Vec<Command> {
        match action {
            Some(Action::Dismiss) => return Vec::new(),
            Some(Action::Accept) => {
                let value = typed(&text);
                if value.is_empty() {
                    let error = Some(
                        "The note is empty: type it, then Ctrl-D (Esc to cancel).".to_string(),
                    );
                    return self.keep(Modal::Note {
                        purpose,
                        text,
                        error,
                    });
                }
                return match purpose {
                    NotePurpose::Add { step } => vec![Command::Note {
                        step: Some(step),
                        text: value,
                    }],
                    NotePurpose::MarkDone { step } => vec![Command::MarkDone {
                        step,
                        note: Some(value),
                    }],
                };
            }
            _ => {
                text.input(key);
            }
        }
        self.keep(Modal::Note {
            purpose,
            text,
            error,
        })
    }
}
