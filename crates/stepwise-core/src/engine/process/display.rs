//! Turning a step's output bytes into lines for a screen.
//!
//! Display only: the log file keeps every byte. Lines are decoded as lossy
//! UTF-8 (a character split across two chunks is kept whole), lines longer
//! than [`DISPLAY_LINE_MAX_CHARS`] are cut with a marker, and a `\r` not
//! followed by `\n` starts the current line over, as a terminal does for a
//! progress bar. Memory is bounded by the cut, whatever the line length.

/// Characters of one line kept for display; the rest is counted, not kept.
pub const DISPLAY_LINE_MAX_CHARS: usize = 4096;

/// Splits one output stream into display lines; keeps the unfinished last line.
#[derive(Debug, Default)]
pub struct DisplayLines {
    line: Vec<u8>,
    chars: usize,
    /// Bytes of the current line that were not kept.
    cut: u64,
    /// The last byte seen was `\r`: the next one decides what it meant.
    pending_cr: bool,
}

impl DisplayLines {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes; returns the lines they completed.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        self.push_with(bytes, |line| lines.push(line.to_owned()));
        lines
    }

    /// Feeds bytes; calls `done` with each line they complete. Lines that
    /// lie whole in `bytes` (the usual case in a flood) are handed over
    /// borrowed: one UTF-8 check and one newline search per chunk, no copy.
    pub fn push_with(&mut self, bytes: &[u8], mut done: impl FnMut(&str)) {
        let mut bytes = bytes;
        if !self.is_clean() {
            // A line begun in an earlier chunk (chunks end anywhere, so
            // almost every chunk of a flood starts with one): finish it the
            // careful way, then the rest of the chunk takes the fast path.
            let Some(end) = bytes.iter().position(|&b| b == b'\n') else {
                return self.push_slow(bytes, done);
            };
            self.push_slow(&bytes[..=end], &mut done);
            bytes = &bytes[end + 1..];
        }
        let fast = if self.is_clean() {
            whole_lines(bytes)
        } else {
            ""
        };
        // A plain byte loop: lines in a flood are short, and a searcher
        // call per line costs more than the line.
        let mut start = 0;
        for (i, &b) in fast.as_bytes().iter().enumerate() {
            if b != b'\n' {
                continue;
            }
            let line = &fast[start..i];
            if line.len() <= DISPLAY_LINE_MAX_CHARS {
                done(line);
            } else {
                self.append(line.as_bytes());
                done(&self.take_line());
            }
            start = i + 1;
        }
        self.push_slow(&bytes[fast.len()..], done);
    }

    /// Nothing held back: no partial line, no pending `\r`.
    pub fn is_clean(&self) -> bool {
        !self.pending_cr && self.line.is_empty() && self.cut == 0
    }

    /// Byte by byte, with every case (`\r`, split characters, long lines).
    fn push_slow(&mut self, bytes: &[u8], mut done: impl FnMut(&str)) {
        let mut rest = bytes;
        while let Some(&first) = rest.first() {
            if std::mem::take(&mut self.pending_cr) {
                if first == b'\n' {
                    done(&self.take_line());
                    rest = &rest[1..];
                    continue;
                }
                self.clear();
            }
            match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(i) => {
                    self.append(&rest[..i]);
                    if rest[i] == b'\n' {
                        done(&self.take_line());
                    } else {
                        self.pending_cr = true;
                    }
                    rest = &rest[i + 1..];
                }
                None => {
                    self.append(rest);
                    rest = &[];
                }
            }
        }
    }

    /// The unfinished last line as it should show now, if there is one.
    pub fn current(&self) -> Option<String> {
        (!self.line.is_empty() || self.cut > 0).then(|| self.render())
    }

    /// The end of the stream: the unfinished last line, if any.
    pub fn finish(&mut self) -> Option<String> {
        self.pending_cr = false;
        let line = self.current();
        self.clear();
        line
    }

    fn append(&mut self, bytes: &[u8]) {
        if self.cut > 0 {
            self.cut += bytes.len() as u64;
            return;
        }
        let mut keep = bytes.len();
        for (i, &b) in bytes.iter().enumerate() {
            let starts_char = b & 0xC0 != 0x80;
            if starts_char {
                if self.chars == DISPLAY_LINE_MAX_CHARS {
                    keep = i;
                    break;
                }
                self.chars += 1;
            }
        }
        self.line.extend_from_slice(&bytes[..keep]);
        self.cut += (bytes.len() - keep) as u64;
    }

    fn render(&self) -> String {
        let mut text = String::from_utf8_lossy(&self.line).into_owned();
        if self.cut > 0 {
            text.push_str(&format!("… [cut {} bytes]", self.cut));
        }
        text
    }

    fn take_line(&mut self) -> String {
        let text = self.render();
        self.clear();
        text
    }

    fn clear(&mut self) {
        self.line.clear();
        self.chars = 0;
        self.cut = 0;
    }
}

/// The longest prefix of `bytes` that is valid UTF-8, holds no `\r` and
/// ends with a `\n` (empty if there is none).
fn whole_lines(bytes: &[u8]) -> &str {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
    };
    let text = &text[..text.find('\r').unwrap_or(text.len())];
    &text[..text.rfind('\n').map_or(0, |i| i + 1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lines_and_keeps_the_partial_one() {
        let mut d = DisplayLines::new();
        assert_eq!(d.push(b"one\ntwo\nthr"), ["one", "two"]);
        assert_eq!(d.current().as_deref(), Some("thr"));
        assert_eq!(d.push(b"ee\n"), ["three"]);
        assert_eq!(d.current(), None);
        assert_eq!(d.push(b"\n"), [""]);
        assert_eq!(d.push(b"tail"), Vec::<String>::new());
        assert_eq!(d.finish().as_deref(), Some("tail"));
        assert_eq!(d.finish(), None);
    }

    #[test]
    fn carriage_return_replaces_the_line() {
        let mut d = DisplayLines::new();
        assert!(d.push(b" 10%\r 50%\r").is_empty());
        assert_eq!(d.current().as_deref(), Some(" 50%"));
        assert_eq!(d.push(b"100%\r\ndone\r"), ["100%"]);
        assert_eq!(d.push(b"\n"), ["done"]);
        assert!(d.push(b"a\r").is_empty());
        assert!(d.push(b"b").is_empty());
        assert_eq!(d.current().as_deref(), Some("b"));
    }

    #[test]
    fn invalid_utf8_is_lossy_and_split_characters_survive() {
        let mut d = DisplayLines::new();
        let e_acute = "é".as_bytes();
        assert!(d.push(&e_acute[..1]).is_empty());
        assert_eq!(d.push(&[e_acute[1], b'\n']), ["é"]);
        assert_eq!(d.push(b"a\xffb\x00\n"), ["a\u{fffd}b\0"]);
    }

    #[test]
    fn long_lines_are_cut_for_display() {
        let mut d = DisplayLines::new();
        let long = vec![b'x'; DISPLAY_LINE_MAX_CHARS + 10];
        assert!(d.push(&long).is_empty());
        assert!(d.push(&[b'y'; 5]).is_empty());
        assert!(d.line.len() <= DISPLAY_LINE_MAX_CHARS);
        let lines = d.push(b"\nnext\n");
        let expected = format!("{}… [cut 15 bytes]", "x".repeat(DISPLAY_LINE_MAX_CHARS));
        assert_eq!(lines, [expected, "next".to_string()]);
    }

    #[test]
    fn any_split_gives_the_same_lines() {
        let text = b"one\ntwo \xc3\xa9\r\nbar 10%\r50%\n\nlong\xff\n";
        let text = [&text[..], &[b'y'; DISPLAY_LINE_MAX_CHARS + 3], b"\nend"].concat();
        let mut whole = DisplayLines::new();
        let expected = [whole.push(&text), whole.finish().into_iter().collect()].concat();
        for cut in 0..text.len() {
            let mut d = DisplayLines::new();
            let mut got = d.push(&text[..cut]);
            got.extend(d.push(&text[cut..]));
            got.extend(d.finish());
            assert_eq!(got, expected, "split at {cut}");
        }
        assert_eq!(expected[..4], ["one", "two \u{e9}", "50%", ""]);
    }

    #[test]
    fn cut_counts_characters_not_bytes() {
        let mut d = DisplayLines::new();
        let text = "é".repeat(DISPLAY_LINE_MAX_CHARS + 1);
        let line = d.push(format!("{text}\n").as_bytes()).remove(0);
        assert_eq!(
            line,
            format!("{}… [cut 2 bytes]", "é".repeat(DISPLAY_LINE_MAX_CHARS))
        );
    }
}
