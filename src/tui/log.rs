//! Log panes: the lines of each step attempt's output.
//!
//! Once the attempt's log file is known ([`LogPane::attach`]), lines come
//! from the file itself, through a lazy index ([`super::log_file`]): the
//! pane pages through the whole output, however big, with flat memory,
//! and a line keeps its number while output flows. Until then (or when
//! the file cannot be read) bytes arriving in chunks are cut into lines
//! here and kept in a ring up to a fixed number of lines and bytes. The
//! only I/O is reading the attempt's log; no rendering.
//!
//! Lines are kept as raw bytes and made safe for the terminal only when
//! they are looked at ([`LogPane::line`]: lossy UTF-8, only SGR colour
//! sequences survive, every other escape and control character is
//! dropped, `\r` keeps what was written last). A flood of millions of
//! lines thus costs a newline search and a copy per chunk, while a frame
//! sanitizes only the few lines it shows.

use super::log_file::LogFile;
use crate::session::event::Stream;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

/// Stderr ranges remembered per attempt (older ones show as stdout).
const MAX_STDERR_RANGES: usize = 65_536;

/// Lines kept per attempt.
pub const MAX_LINES: usize = 5_000;
/// Bytes of raw line text kept per attempt (the oldest lines go first).
pub const MAX_BYTES: usize = 4 * 1024 * 1024;
/// A line without newline is cut into display lines of at most this size.
const MAX_PARTIAL: usize = 64 * 1024;

/// One display line: safe text that may hold SGR colour sequences.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    pub stream: Stream,
    pub text: String,
    /// Some bytes were not UTF-8 (shown as `�`).
    pub lossy: bool,
    /// The line was too long to read as one: it goes on in the next.
    pub cut: bool,
}

impl LogLine {
    /// A line made safe to show from raw bytes.
    pub fn of(stream: Stream, bytes: &[u8]) -> LogLine {
        let text = String::from_utf8_lossy(bytes);
        LogLine {
            stream,
            lossy: matches!(text, std::borrow::Cow::Owned(_)),
            text: sanitize(&text),
            cut: false,
        }
    }
}

/// Where a kept line's bytes are in `LogPane::data` (absolute positions).
#[derive(Clone, Copy, Debug)]
struct Span {
    stream: Stream,
    start: u64,
    end: u64,
}

/// The lines of one attempt.
#[derive(Clone, Debug, Default)]
pub struct LogPane {
    /// Raw bytes of the kept lines, back to back; `data[0]` is at absolute
    /// position `base`.
    data: Vec<u8>,
    base: u64,
    lines: VecDeque<Span>,
    /// How many lines were dropped from the front.
    dropped: u64,
    /// Bytes of an unfinished line, per stream.
    partial: [Vec<u8>; 2],
    /// The attempt's log on disk: when it can be read, lines come from it.
    file: Option<Arc<Mutex<LogFile>>>,
    /// Bytes pushed so far: the offset in the log of the next chunk.
    at: u64,
    /// `[start, end)` byte ranges of stderr in the log, merged, newest last.
    stderr: VecDeque<(u64, u64)>,
}

fn slot(stream: Stream) -> usize {
    match stream {
        Stream::Stdout => 0,
        Stream::Stderr => 1,
    }
}

impl LogPane {
    /// Reads lines from the attempt's log at `path` from now on.
    pub fn attach(&mut self, path: PathBuf) {
        if self.file.is_none() {
            self.file = Some(Arc::new(Mutex::new(LogFile::new(path))));
        }
    }

    /// The log on disk, brought up to date, when it can be read.
    fn disk(&self) -> Option<MutexGuard<'_, LogFile>> {
        let mut f = self.file.as_ref()?.lock().ok()?;
        if f.indexed() < self.at || !f.ready() {
            let _ = f.refresh();
        }
        (f.ready() && f.end() > 0).then_some(f)
    }

    /// Whether lines come from the log on disk (the whole output).
    pub fn from_disk(&self) -> bool {
        self.disk().is_some()
    }

    /// The log file's path, when attached.
    pub fn path(&self) -> Option<PathBuf> {
        Some(self.file.as_ref()?.lock().ok()?.path().to_path_buf())
    }

    /// The next chunk pushed sits at `offset` in the log (resume).
    pub fn seek(&mut self, offset: u64) {
        self.at = offset;
    }

    fn note_stream(&mut self, stream: Stream, len: u64) {
        let (start, end) = (self.at, self.at + len);
        self.at = end;
        if stream != Stream::Stderr || len == 0 {
            return;
        }
        match self.stderr.back_mut() {
            Some(last) if last.1 == start => last.1 = end,
            _ => self.stderr.push_back((start, end)),
        }
        if self.stderr.len() > MAX_STDERR_RANGES {
            self.stderr.pop_front();
        }
    }

    /// The stream of the byte at `offset` in the log, as far as known.
    fn stream_at(&self, offset: u64) -> Stream {
        let i = self.stderr.partition_point(|r| r.1 <= offset);
        match self.stderr.get(i) {
            Some(r) if r.0 <= offset => Stream::Stderr,
            _ => Stream::Stdout,
        }
    }

    /// Appends a chunk of output. Once the log file takes it (it is
    /// indexed from the chunk, see [`LogFile::feed`]), lines come from
    /// the file and the ring is left alone.
    pub fn push(&mut self, stream: Stream, bytes: &[u8]) {
        let at = self.at;
        self.note_stream(stream, bytes.len() as u64);
        if self.fed_to_file(at, bytes) {
            return;
        }
        let mut rest = bytes;
        if !self.partial[slot(stream)].is_empty()
            && let Some(pos) = rest.iter().position(|&b| b == b'\n')
        {
            let mut line = std::mem::take(&mut self.partial[slot(stream)]);
            line.extend_from_slice(&rest[..pos]);
            self.push_line(stream, &line);
            line.clear();
            self.partial[slot(stream)] = line;
            rest = &rest[pos + 1..];
        }
        // Whole lines straight from the chunk: one copy, no allocation.
        let whole = rest.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        self.push_lines(stream, &rest[..whole]);
        rest = &rest[whole..];
        let partial = &mut self.partial[slot(stream)];
        partial.extend_from_slice(rest);
        // A line without newline must not grow without bound.
        if partial.len() > MAX_PARTIAL {
            let line = std::mem::take(partial);
            self.push_line(stream, &line);
        }
    }

    /// Whether the attached log file indexed the chunk at `at`.
    fn fed_to_file(&self, at: u64, bytes: &[u8]) -> bool {
        let Some(file) = self.file.as_ref() else {
            return false;
        };
        file.lock().is_ok_and(|mut f| f.feed(at, bytes))
    }

    /// Keeps `text`, which is whole lines each ending in `\n`.
    fn push_lines(&mut self, stream: Stream, text: &[u8]) {
        if text.is_empty() {
            return;
        }
        let at = self.base + self.data.len() as u64;
        self.data.extend_from_slice(text);
        let mut start = at;
        let mut from = 0;
        while let Some(i) = text[from..].iter().position(|&b| b == b'\n') {
            let end = at + (from + i) as u64;
            self.lines.push_back(Span { stream, start, end });
            start = end + 1;
            from += i + 1;
        }
        self.trim();
    }

    fn push_line(&mut self, stream: Stream, bytes: &[u8]) {
        let start = self.base + self.data.len() as u64;
        self.data.extend_from_slice(bytes);
        let end = start + bytes.len() as u64;
        self.lines.push_back(Span { stream, start, end });
        self.trim();
    }

    /// Drops the oldest lines beyond the limits, and the bytes before them.
    fn trim(&mut self) {
        while self.lines.len() > MAX_LINES
            || (self.lines.len() > 1 && self.kept_bytes() > MAX_BYTES as u64)
        {
            self.lines.pop_front();
            self.dropped += 1;
        }
        let first = self
            .lines
            .front()
            .map_or(self.base + self.data.len() as u64, |l| l.start);
        let dead = (first - self.base) as usize;
        // Compact when the dead prefix is as big as what is kept: amortized
        // one move per byte.
        if dead > 0 && dead >= self.data.len() - dead {
            self.data.drain(..dead);
            self.base = first;
        }
    }

    fn kept_bytes(&self) -> u64 {
        match (self.lines.front(), self.lines.back()) {
            (Some(a), Some(b)) => b.end - a.start,
            _ => 0,
        }
    }

    fn text(&self, l: &Span) -> &[u8] {
        &self.data[(l.start - self.base) as usize..(l.end - self.base) as usize]
    }

    /// Number of the first line there is (lines are numbered from 0
    /// since the start; the ring forgets the oldest, the file never).
    pub fn first(&self) -> u64 {
        if self.disk().is_some() {
            return 0;
        }
        self.dropped
    }

    /// One past the last line, unfinished lines included.
    pub fn end(&self) -> u64 {
        if let Some(f) = self.disk() {
            return f.end();
        }
        self.dropped + self.len() as u64
    }

    /// Lines kept in the ring, unfinished ones included.
    pub fn len(&self) -> usize {
        self.lines.len() + self.partial.iter().filter(|p| !p.is_empty()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0 && self.disk().is_none()
    }

    /// The line with absolute number `n`, if there, made safe to show.
    pub fn line(&self, n: u64) -> Option<LogLine> {
        if let Some(mut f) = self.disk() {
            let l = f.line(n)?;
            drop(f);
            return Some(LogLine {
                cut: l.cut,
                ..LogLine::of(self.stream_at(l.offset), &l.bytes)
            });
        }
        let i = usize::try_from(n.checked_sub(self.dropped)?).ok()?;
        if let Some(l) = self.lines.get(i) {
            return Some(LogLine::of(l.stream, self.text(l)));
        }
        let extra = i - self.lines.len();
        [Stream::Stdout, Stream::Stderr]
            .into_iter()
            .filter(|s| !self.partial[slot(*s)].is_empty())
            .nth(extra)
            .map(|s| LogLine::of(s, &self.partial[slot(s)]))
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
    /// Screens whose last output did not end a line (a prompt, maybe).
    open_line: std::collections::HashSet<(String, u32)>,
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
        let key = (step.to_string(), attempt);
        if bytes.ends_with(b"\n") {
            self.open_line.remove(&key);
        } else if !bytes.is_empty() {
            self.open_line.insert(key);
        }
    }

    /// Whether a tty attempt's last output left a line open (a prompt?).
    pub fn ends_open(&self, step: &str, attempt: u32) -> bool {
        self.open_line.contains(&(step.to_string(), attempt))
    }

    /// The emulated screen of a tty attempt takes the size its terminal
    /// was given.
    pub fn resize_tty(&mut self, step: &str, attempt: u32, rows: u16, cols: u16) {
        use crate::engine::process::{PTY_COLS, PTY_ROWS};
        let parser = self
            .screens
            .entry((step.to_string(), attempt))
            .or_insert_with(|| vt100::Parser::new(PTY_ROWS, PTY_COLS, 0));
        // Fewer rows keep the cursor's row, as a terminal does: the rows
        // above it scroll up, not the ones at the cursor off the bottom.
        let (old_rows, _) = parser.screen().size();
        let (cursor, _) = parser.screen().cursor_position();
        if cursor >= rows {
            let up = "\n".repeat(usize::from(cursor - rows + 1));
            parser.process(format!("\x1b7\x1b[{old_rows};1H{up}\x1b8").as_bytes());
        }
        parser.screen_mut().set_size(rows, cols);
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

    /// The attempt's log on disk is at `path`: its lines come from there.
    pub fn attach(&mut self, step: &str, attempt: u32, path: PathBuf) {
        self.panes
            .entry((step.to_string(), attempt))
            .or_default()
            .attach(path);
    }

    /// The next chunk of an attempt sits at `offset` in its log (resume).
    pub fn seek(&mut self, step: &str, attempt: u32, offset: u64) {
        self.panes
            .entry((step.to_string(), attempt))
            .or_default()
            .seek(offset);
    }
}

/// Keeps printable text and SGR sequences (`ESC [ … m`); every other
/// escape sequence and control character is shown inert (`␛]52;…␇`), as
/// the transcript shows it, so an operator sees that output tried to reach
/// the terminal; tabs become spaces; a carriage return starts the line
/// over, as a terminal would show it.
pub fn sanitize(raw: &str) -> String {
    let raw = match raw.rfind('\r') {
        Some(i) if i + 1 < raw.len() => &raw[i + 1..],
        Some(i) => &raw[..i],
        None => raw,
    };
    crate::text::show_controls_keeping_sgr(raw).replace('\t', "    ")
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
    fn many_lines_in_one_chunk_and_mixed_streams() {
        let mut p = LogPane::default();
        let text: String = (0..MAX_LINES * 2).map(|i| format!("{i}\n")).collect();
        p.push(Stream::Stdout, text.as_bytes());
        p.push(Stream::Stderr, b"err\npart");
        p.push(Stream::Stdout, b"out");
        assert_eq!(p.first(), MAX_LINES as u64 + 1);
        assert_eq!(
            p.line(p.first()).map(|l| l.text),
            Some(format!("{}", MAX_LINES + 1))
        );
        let end = p.end();
        let last: Vec<_> = (end - 3..end).filter_map(|n| p.line(n)).collect();
        assert_eq!(last[0].text, "err");
        assert_eq!(last[0].stream, Stream::Stderr);
        assert_eq!(last[1].text, "out");
        assert_eq!(last[2].text, "part");
    }

    #[test]
    fn kept_bytes_are_bounded() {
        let mut p = LogPane::default();
        let line = format!("{}\n", "x".repeat(9_999));
        for _ in 0..1_000 {
            p.push(Stream::Stdout, line.as_bytes());
        }
        assert!(p.data.len() <= 2 * MAX_BYTES + line.len());
        assert_eq!(p.len(), MAX_BYTES / line.len());
        assert_eq!(p.line(p.end() - 1).map(|l| l.text.len()), Some(9_999));
    }

    #[test]
    fn only_sgr_survives() {
        assert_eq!(sanitize("\x1b[31mred\x1b[0m"), "\x1b[31mred\x1b[0m");
        assert_eq!(
            sanitize("a\x1b[2Jb\x1b]0;title\x07c\x07d"),
            "a␛[2Jb␛]0;title␇c␇d"
        );
        assert_eq!(sanitize("10%\r50%\r100%"), "100%");
        assert_eq!(sanitize("x\x1b[?1049hy"), "x␛[?1049hy");
        assert_eq!(
            sanitize("before\x1b]52;c;aGk=\x07after"),
            "before␛]52;c;aGk=␇after"
        );
        assert_eq!(strip_sgr("\x1b[1;32mok\x1b[0m"), "ok");
    }
}
