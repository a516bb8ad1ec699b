//! Log panes: a bounded ring of display lines per step attempt.
//!
//! Bytes arrive in arbitrary chunks; they are cut into lines here, made safe
//! for the terminal (only SGR colour sequences survive; every other escape
//! and control character is dropped; `\r` keeps what was written last) and
//! kept up to a fixed number of lines. The full output lives on disk; this
//! is only what the screen can show. No I/O, no rendering.

use crate::session::event::Stream;
use std::collections::{HashMap, VecDeque};

/// Lines kept per attempt.
pub const MAX_LINES: usize = 5_000;

/// One display line: safe text that may hold SGR colour sequences.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    pub stream: Stream,
    pub text: String,
}

/// The lines of one attempt.
#[derive(Clone, Debug, Default)]
pub struct LogPane {
    lines: VecDeque<LogLine>,
    /// How many lines were dropped from the front.
    dropped: u64,
    /// Bytes of an unfinished line, per stream.
    partial: [Vec<u8>; 2],
}

fn slot(stream: Stream) -> usize {
    match stream {
        Stream::Stdout => 0,
        Stream::Stderr => 1,
    }
}

impl LogPane {
    /// Appends a chunk of output.
    pub fn push(&mut self, stream: Stream, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some(pos) = rest.iter().position(|&b| b == b'\n') {
            let mut line = std::mem::take(&mut self.partial[slot(stream)]);
            line.extend_from_slice(&rest[..pos]);
            self.push_line(stream, &line);
            rest = &rest[pos + 1..];
        }
        self.partial[slot(stream)].extend_from_slice(rest);
        // A line without newline must not grow without bound.
        if self.partial[slot(stream)].len() > 64 * 1024 {
            let line = std::mem::take(&mut self.partial[slot(stream)]);
            self.push_line(stream, &line);
        }
    }

    fn push_line(&mut self, stream: Stream, bytes: &[u8]) {
        let text = sanitize(&String::from_utf8_lossy(bytes));
        self.lines.push_back(LogLine { stream, text });
        if self.lines.len() > MAX_LINES {
            self.lines.pop_front();
            self.dropped += 1;
        }
    }

    /// Number of the first line kept (lines are numbered from 0 since the start).
    pub fn first(&self) -> u64 {
        self.dropped
    }

    /// One past the last line, unfinished lines included.
    pub fn end(&self) -> u64 {
        self.dropped + self.len() as u64
    }

    /// Lines kept, unfinished ones included.
    pub fn len(&self) -> usize {
        self.lines.len() + self.partial.iter().filter(|p| !p.is_empty()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The line with absolute number `n`, if still kept.
    pub fn line(&self, n: u64) -> Option<LogLine> {
        let i = usize::try_from(n.checked_sub(self.dropped)?).ok()?;
        if let Some(l) = self.lines.get(i) {
            return Some(l.clone());
        }
        let extra = i - self.lines.len();
        [Stream::Stdout, Stream::Stderr]
            .into_iter()
            .filter(|s| !self.partial[slot(*s)].is_empty())
            .nth(extra)
            .map(|s| LogLine {
                stream: s,
                text: sanitize(&String::from_utf8_lossy(&self.partial[slot(s)])),
            })
    }

    /// The last `count` lines (for the outcome-unknown prompt).
    pub fn tail(&self, count: usize) -> Vec<LogLine> {
        let end = self.end();
        let start = end.saturating_sub(count as u64).max(self.first());
        (start..end).filter_map(|n| self.line(n)).collect()
    }

    /// The number of the last line at or before `before` containing `needle`.
    pub fn find_back(&self, needle: &str, before: u64) -> Option<u64> {
        let needle = needle.to_lowercase();
        (self.first()..before.min(self.end())).rev().find(|&n| {
            self.line(n)
                .is_some_and(|l| strip_sgr(&l.text).to_lowercase().contains(&needle))
        })
    }
}

/// Logs of every attempt, by step id and attempt number. A `tty: true`
/// step's output goes to an emulated terminal screen instead of lines.
#[derive(Default)]
pub struct Logs {
    panes: HashMap<(String, u32), LogPane>,
    screens: HashMap<(String, u32), vt100::Parser>,
}

impl std::fmt::Debug for Logs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logs")
            .field("panes", &self.panes)
            .field("screens", &self.screens.len())
            .finish()
    }
}

impl Logs {
    /// Feeds a `tty: true` step's output to its emulated screen (the size
    /// of the step's pseudo-terminal).
    pub fn push_tty(&mut self, step: &str, attempt: u32, bytes: &[u8]) {
        use crate::engine::process::{PTY_COLS, PTY_ROWS};
        self.screens
            .entry((step.to_string(), attempt))
            .or_insert_with(|| vt100::Parser::new(PTY_ROWS, PTY_COLS, 0))
            .process(bytes);
    }

    /// The emulated screen of a `tty: true` attempt, if it wrote anything.
    pub fn screen(&self, step: &str, attempt: u32) -> Option<&vt100::Screen> {
        self.screens
            .get(&(step.to_string(), attempt))
            .map(|p| p.screen())
    }

    pub fn push(&mut self, step: &str, attempt: u32, stream: Stream, bytes: &[u8]) {
        self.panes
            .entry((step.to_string(), attempt))
            .or_default()
            .push(stream, bytes);
    }

    pub fn get(&self, step: &str, attempt: u32) -> Option<&LogPane> {
        self.panes.get(&(step.to_string(), attempt))
    }
}

/// Keeps printable text and SGR sequences (`ESC [ … m`); drops every other
/// escape sequence and control character; tabs become spaces; a carriage
/// return starts the line over, as a terminal would show it.
pub fn sanitize(raw: &str) -> String {
    let raw = match raw.rfind('\r') {
        Some(i) if i + 1 < raw.len() => &raw[i + 1..],
        Some(i) => &raw[..i],
        None => raw,
    };
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                if let Some(seq) = escape(&mut chars) {
                    out.push_str(&seq);
                }
            }
            '\t' => out.push_str("    "),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Reads one escape sequence after ESC; returns it only when it is SGR.
fn escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
    match chars.next()? {
        '[' => {
            let mut params = String::new();
            for c in chars.by_ref() {
                if ('\x40'..='\x7e').contains(&c) {
                    let ok = c == 'm' && params.chars().all(|p| p.is_ascii_digit() || p == ';');
                    return ok.then(|| format!("\x1b[{params}m"));
                }
                params.push(c);
            }
            None
        }
        ']' | 'P' | '_' | '^' => {
            // OSC / DCS / APC / PM: up to BEL or ESC \.
            while let Some(c) = chars.next() {
                if c == '\x07' || (c == '\x1b' && chars.next_if_eq(&'\\').is_some()) {
                    break;
                }
            }
            None
        }
        _ => None,
    }
}

/// Removes SGR sequences (for `NO_COLOR` and searching).
pub fn strip_sgr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_cut_across_chunks() {
        let mut p = LogPane::default();
        p.push(Stream::Stdout, b"hel");
        p.push(Stream::Stdout, b"lo\nwor");
        assert_eq!(p.len(), 2);
        assert_eq!(p.line(0).map(|l| l.text), Some("hello".into()));
        assert_eq!(p.line(1).map(|l| l.text), Some("wor".into()));
    }

    #[test]
    fn ring_is_bounded() {
        let mut p = LogPane::default();
        for i in 0..MAX_LINES + 10 {
            p.push(Stream::Stderr, format!("{i}\n").as_bytes());
        }
        assert_eq!(p.len(), MAX_LINES);
        assert_eq!(p.first(), 10);
        assert_eq!(p.line(10).map(|l| l.text), Some("10".into()));
        assert!(p.line(9).is_none());
    }

    #[test]
    fn only_sgr_survives() {
        assert_eq!(sanitize("\x1b[31mred\x1b[0m"), "\x1b[31mred\x1b[0m");
        assert_eq!(sanitize("a\x1b[2Jb\x1b]0;title\x07c\x07d"), "abcd");
        assert_eq!(sanitize("10%\r50%\r100%"), "100%");
        assert_eq!(sanitize("x\x1b[?1049hy"), "xy");
        assert_eq!(strip_sgr("\x1b[1;32mok\x1b[0m"), "ok");
    }
}
