//! Keys as the bytes a terminal sends for them, for typing into a
//! `tty: true` step: `Ctrl-C` is byte 3 (the step's terminal turns it into
//! SIGINT), arrows are `ESC [ A`…, `Alt-x` is `ESC x`. Pure; it never sees
//! where the bytes go, and keeps nothing.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// `Ctrl-]`: gives the keys back to stepwise (never sent to the step).
pub fn is_release(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL)
        && matches!(key.code, KeyCode::Char(']') | KeyCode::Char('5'))
}

/// The bytes a terminal sends for `key` (none for a release or a key
/// terminals do not send).
pub fn bytes(key: &KeyEvent) -> Vec<u8> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    let mut out = if alt { vec![0x1b] } else { Vec::new() };
    let seq: &[u8] = match key.code {
        KeyCode::Char(c) if ctrl => return control(c).map_or(Vec::new(), |b| push(out, &[b])),
        KeyCode::Char(c) => return push(out, c.to_string().as_bytes()),
        KeyCode::Enter => b"\r",
        KeyCode::Tab => b"\t",
        KeyCode::BackTab => b"\x1b[Z",
        KeyCode::Backspace => b"\x7f",
        KeyCode::Esc => b"\x1b",
        KeyCode::Up => b"\x1b[A",
        KeyCode::Down => b"\x1b[B",
        KeyCode::Right => b"\x1b[C",
        KeyCode::Left => b"\x1b[D",
        KeyCode::Home => b"\x1b[H",
        KeyCode::End => b"\x1b[F",
        KeyCode::PageUp => b"\x1b[5~",
        KeyCode::PageDown => b"\x1b[6~",
        KeyCode::Insert => b"\x1b[2~",
        KeyCode::Delete => b"\x1b[3~",
        _ => b"",
    };
    out.extend_from_slice(seq);
    if out == [0x1b] && key.code != KeyCode::Esc {
        out.clear();
    }
    out
}

fn push(mut out: Vec<u8>, bytes: &[u8]) -> Vec<u8> {
    out.extend_from_slice(bytes);
    out
}

/// `Ctrl-<c>` as a control byte.
fn control(c: char) -> Option<u8> {
    match c.to_ascii_lowercase() {
        c @ 'a'..='z' => Some(c as u8 - b'a' + 1),
        '@' | ' ' | '2' => Some(0),
        '[' | '3' => Some(0x1b),
        '\\' | '4' => Some(0x1c),
        '^' | '6' => Some(0x1e),
        '_' | '7' | '/' => Some(0x1f),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn keys_become_what_a_terminal_sends() {
        let none = KeyModifiers::NONE;
        assert_eq!(bytes(&key(KeyCode::Char('h'), none)), b"h");
        assert_eq!(bytes(&key(KeyCode::Char('é'), none)), "é".as_bytes());
        assert_eq!(bytes(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)), [3]);
        assert_eq!(bytes(&key(KeyCode::Char('d'), KeyModifiers::CONTROL)), [4]);
        assert_eq!(bytes(&key(KeyCode::Enter, none)), b"\r");
        assert_eq!(bytes(&key(KeyCode::Up, none)), b"\x1b[A");
        assert_eq!(bytes(&key(KeyCode::Char('x'), KeyModifiers::ALT)), b"\x1bx");
        assert_eq!(bytes(&key(KeyCode::Esc, none)), b"\x1b");
        assert!(bytes(&key(KeyCode::F(5), none)).is_empty());
    }

    #[test]
    fn ctrl_bracket_gives_the_keys_back() {
        assert!(is_release(&key(KeyCode::Char(']'), KeyModifiers::CONTROL)));
        assert!(!is_release(&key(KeyCode::Char(']'), KeyModifiers::NONE)));
    }
}
