//! The draft of an update step, in an editor: the message as the template
//! and the journal make it, which the operator may change before sending
//! (Ctrl-D) or close unsent (Esc). Sending asks the engine, which masks,
//! journals the intent and delivers; nothing is sent from here.

use super::super::keymap::{self, Action, Context};
use super::outcome::{Outcome, typed};
use crate::engine::command::Command;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui_textarea::TextArea;

#[derive(Clone, Debug)]
pub struct UpdateDraft {
    /// The update step, or `None` for a regular update (`updates:`).
    pub step: Option<String>,
    /// `Update (identified) to incident, status-page`.
    pub heading: String,
    pub text: TextArea<'static>,
    pub error: Option<String>,
}

impl UpdateDraft {
    pub fn new(step: Option<&str>, status: &str, channels: &[String], draft: &str) -> UpdateDraft {
        let mut text = TextArea::new(draft.lines().map(str::to_owned).collect());
        text.move_cursor(ratatui_textarea::CursorMove::Bottom);
        text.move_cursor(ratatui_textarea::CursorMove::End);
        UpdateDraft {
            step: step.map(str::to_owned),
            heading: format!("Update ({status}) to {}", channels.join(", ")),
            text,
            error: None,
        }
    }

    pub fn key(mut self, action: Option<Action>, key: KeyEvent) -> Outcome<UpdateDraft> {
        match action {
            Some(Action::Dismiss) => Outcome::Close,
            Some(Action::Accept) => {
                let text = typed(&self.text);
                if text.is_empty() {
                    self.error = Some("The update is empty: write it, or Esc.".into());
                    return Outcome::Keep(self);
                }
                Outcome::Send(vec![match self.step {
                    Some(step) => Command::SendUpdate { step, text },
                    None => Command::SendCadence { text: Some(text) },
                }])
            }
            _ => {
                self.text.input(key);
                Outcome::Keep(self)
            }
        }
    }
}

pub fn render(frame: &mut Frame, area: Rect, d: &UpdateDraft) {
    super::text_entry::draw(
        frame,
        area,
        &d.heading,
        super::text_entry::grown(area, 6, &d.text),
        &d.text,
        d.error.as_deref(),
        &keymap::footer(Context::UpdateDraft, &[]),
    );
}
