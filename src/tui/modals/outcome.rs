//! What a modal's key returns, and the small types every modal shares. A
//! leaf: it imports no modal, so every modal can import it and the
//! `Modal` enum (in `mod.rs`) can hold them all without a cycle.

use crate::engine::command::Command;
use ratatui_textarea::TextArea;

/// What a key did to a modal whose state is `S`, for the app to carry out.
#[derive(Debug)]
pub enum Outcome<S> {
    /// The modal stays open, as it now is.
    Keep(S),
    /// It closes; nothing else happens.
    Close,
    /// It closes and the engine is asked for this.
    Send(Vec<Command>),
    /// It gives way to a text entry.
    Open(Opening),
    /// It closes and the log is searched for this text (upward).
    Search(String),
    /// Quit was confirmed: the session is left (it stays resumable).
    Leave,
    /// Quit was confirmed leaving the running step running under its
    /// monitor (`stepwise resume` re-attaches).
    LeaveRunning,
    /// The last screen was dismissed: the interface ends.
    End,
}

impl<S> Outcome<S> {
    /// The same outcome for a modal whose kept state is `f(state)`.
    pub fn map<T>(self, f: impl FnOnce(S) -> T) -> Outcome<T> {
        match self {
            Outcome::Keep(s) => Outcome::Keep(f(s)),
            Outcome::Close => Outcome::Close,
            Outcome::Send(c) => Outcome::Send(c),
            Outcome::Open(o) => Outcome::Open(o),
            Outcome::Search(t) => Outcome::Search(t),
            Outcome::Leave => Outcome::Leave,
            Outcome::LeaveRunning => Outcome::LeaveRunning,
            Outcome::End => Outcome::End,
        }
    }
}

/// A text entry one modal opens in its place.
#[derive(Clone, Debug, PartialEq)]
pub enum Opening {
    Line(LinePurpose),
    Note(NotePurpose),
}

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
    /// Accept a fleet step's failure and continue (the reason is recorded).
    Accept {
        step: String,
    },
}

/// What a multi-line note is for.
#[derive(Clone, Debug, PartialEq)]
pub enum NotePurpose {
    Add { step: String },
    MarkDone { step: String },
}

pub fn text_area(initial: &str) -> TextArea<'static> {
    let mut t = TextArea::new(vec![initial.to_string()]);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

/// Pasted text as a field takes it: the terminal's line ends (`\r\n`,
/// `\r`) made `\n`, a tab a space, every other control character (an
/// escape sequence in a copied log) dropped; with `one_line`, the lines
/// joined by spaces (a reason or a value is one line).
pub fn pasted(text: &str, one_line: bool) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let kept: String = text
        .chars()
        .filter_map(|c| match c {
            '\t' => Some(' '),
            '\n' => Some(if one_line { ' ' } else { '\n' }),
            c if c.is_control() || crate::text::is_hostile(c) => None,
            c => Some(c),
        })
        .collect();
    match one_line {
        true => kept.trim_end().to_owned(),
        false => kept,
    }
}

/// The text typed, lines joined, trimmed.
pub fn typed(t: &TextArea<'_>) -> String {
    t.lines().join("\n").trim().to_string()
}

#[cfg(test)]
mod tests {
    use crate::tui::modals::outcome::pasted;

    #[test]
    fn a_paste_is_cleaned_for_its_field() {
        let copied = "vendor down\r\nsee INC-4821\x1b[31m\tred\rlast\n";
        assert_eq!(
            pasted(copied, true),
            "vendor down see INC-4821[31m red last"
        );
        assert_eq!(
            pasted(copied, false),
            "vendor down\nsee INC-4821[31m red\nlast\n"
        );
        assert_eq!(pasted("a\u{202e}b", true), "ab", "no bidi control");
    }
}
