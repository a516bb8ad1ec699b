//! Refuses invisible characters in a runbook's text: terminal control
//! characters (ESC, BEL, C1 controls…) and bidirectional overrides.
//!
//! A title or command holding `ESC ] 0 ;` would retitle the operator's
//! terminal when shown, and a right-to-left override makes a command read
//! differently from what runs ("Trojan Source"). YAML double-quoted escapes
//! (`"\e[2J"`) make both easy to write, so every string and key of the
//! document is checked once, after parsing. Tabs and newlines are text.

use super::check::Checker;
use super::diagnostic::ProblemKind;
use super::node::{Node, Value};

/// Reports every string (value or key) holding a character that would act
/// on a terminal or reorder text instead of being shown.
pub fn check(ck: &mut Checker, node: &Node) {
    match &node.value {
        Value::Str(s) => check_text(ck, node, s),
        Value::Seq(items) => items.iter().for_each(|n| check(ck, n)),
        Value::Map(entries) => {
            for (k, v) in entries {
                check(ck, k);
                check(ck, v);
            }
        }
        _ => {}
    }
}

fn check_text(ck: &mut Checker, node: &Node, text: &str) {
    let Some(c) = text.chars().find(|&c| is_hostile(c)) else {
        return;
    };
    let message = format!(
        "this text holds the invisible character U+{:04X} ({}), which would act on the terminal or hide what the text says",
        c as u32,
        describe(c)
    );
    let problem = ck
        .at(ProblemKind::ControlCharacter, node.pos, "here", message)
        .with_help("remove it: runbook text is shown to the operator and must read as it runs");
    ck.push(problem);
}

pub use crate::text::is_hostile;

fn describe(c: char) -> &'static str {
    match c {
        '\u{1b}' => "escape",
        '\u{7}' => "bell",
        '\r' => "carriage return",
        '\u{80}'..='\u{9f}' => "C1 control",
        c if c.is_control() => "control character",
        _ => "bidirectional override",
    }
}
