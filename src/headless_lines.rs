//! The flood's fast path of headless output: whole plain lines of a chunk
//! written with their step prefix in one pass, into one buffer.
//!
//! A command printing millions of short lines makes the per-line cost of
//! the printer the cost of the session (issue 19, benchmark 1), so the
//! lines that need no care (printable ASCII and tabs, not longer than a
//! display line) are found a 64-byte block at a time
//! (`text::newline_mask_if_plain`: newlines and plain bytes in one pass) and copied
//! with their prefix, no allocation or formatting per line. Everything
//! else (a line begun in an earlier chunk, control characters, `\r`, long
//! lines, other UTF-8) is left to `DisplayLines` and `inert`, the careful
//! path, so the text printed is the same either way.
//!
//! Formatting only: never writes to the terminal or a file itself.

use crate::engine::process::DISPLAY_LINE_MAX_CHARS;

/// Writes `prefix`, the line and its `\n` for each whole line at the start
/// of `bytes` that needs no care, from the start of `out` (scratch space,
/// reused: it only grows, and is never cleared); returns how many bytes
/// of `bytes` were taken (always just after a `\n`; 0 when a byte that
/// is not plain comes before any line longer than a display line) and
/// how many of `out` written. The lines left (from that long line on)
/// are the careful path's; it prints the same text for the plain ones.
///
/// Never inlined: inlined into the printer's async state machine, its
/// loop kept its counters on the stack (108 ms of a flood's samples
/// against about 60 ms on its own; docs/PERFORMANCE.md, eighth pass).
#[inline(never)]
pub fn prefixed_plain_lines(prefix: &[u8], bytes: &[u8], out: &mut Vec<u8>) -> (usize, usize) {
    let whole = memchr::memrchr(b'\n', bytes).map_or(0, |i| i + 1);
    let lines = &bytes[..whole];
    let mut w = Writer::new(prefix);
    let (mut start, mut base) = (0, 0);
    for block in lines.chunks(64) {
        // Plain and newlines in one pass; a block that is not plain sends
        // the whole chunk to the careful path (what was written is scratch).
        let Some(mut ends) = crate::text::newline_mask_if_plain(block) else {
            return (0, 0);
        };
        // Room for every line ending in this block: its prefix, its bytes
        // (some from earlier blocks), and the fixed copies' overshoot.
        let lines_here = ends.count_ones() as usize;
        w.reserve(out, lines_here * prefix.len() + base + block.len() - start);
        while ends != 0 {
            let end = base + ends.trailing_zeros() as usize + 1;
            // Plain is ASCII: bytes are characters.
            if end - start > DISPLAY_LINE_MAX_CHARS + 1 {
                return (start, w.at);
            }
            w.line(out, lines, start, end);
            start = end;
            ends &= ends - 1;
        }
        base += block.len();
    }
    (start, w.at)
}

/// Short copies of a fixed size (a prefix, a short line) into a buffer
/// with room for their overshoot: fixed-size copies are vector moves
/// where a copy of a length known only at run time is a call. A prefix
/// and a line of at most [`NARROW`] bytes each (a flood of numbers) take
/// one 16-byte move each.
struct Writer<'a> {
    /// The prefix, padded to [`WIDE`] when it fits.
    pad: [u8; WIDE],
    prefix: &'a [u8],
    /// Bytes of `out` written; the rest is room.
    at: usize,
}

/// The sizes of a fixed copy.
const WIDE: usize = 32;
const NARROW: usize = 16;

impl<'a> Writer<'a> {
    fn new(prefix: &'a [u8]) -> Writer<'a> {
        let mut pad = [0; WIDE];
        if prefix.len() <= WIDE {
            pad[..prefix.len()].copy_from_slice(prefix);
        }
        Writer { pad, prefix, at: 0 }
    }

    /// Makes room in `out` for `bytes` more and the copies' overshoot.
    fn reserve(&self, out: &mut Vec<u8>, bytes: usize) {
        let need = self.at + bytes + 2 * WIDE;
        if out.len() < need {
            // Grown (zeroed) once to the size a chunk needs, then reused.
            out.resize(need.max(2 * out.len()), 0);
        }
    }

    /// Writes the prefix and `src[start..end]` (a line with its `\n`),
    /// into room made by [`Writer::reserve`].
    fn line(&mut self, out: &mut [u8], src: &[u8], start: usize, end: usize) {
        let (p, len) = (self.prefix.len(), end - start);
        let out = &mut out[self.at..];
        match src.get(start..start + NARROW) {
            Some(narrow) if p <= NARROW && len <= NARROW => {
                out[..NARROW].copy_from_slice(&self.pad[..NARROW]);
                out[p..p + NARROW].copy_from_slice(narrow);
            }
            _ => {
                if p <= WIDE {
                    out[..WIDE].copy_from_slice(&self.pad);
                } else {
                    out[..p].copy_from_slice(self.prefix);
                }
                match src.get(start..start + WIDE) {
                    Some(wide) if len <= WIDE => out[p..p + WIDE].copy_from_slice(wide),
                    _ => out[p..p + len].copy_from_slice(&src[start..end]),
                }
            }
        }
        self.at += p + len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(bytes: &[u8]) -> (String, usize) {
        let mut out = b"scratch".to_vec();
        let (n, written) = prefixed_plain_lines(b"  s | ", bytes, &mut out);
        (String::from_utf8(out[..written].to_vec()).unwrap(), n)
    }

    #[test]
    fn whole_plain_lines_are_prefixed_and_the_tail_is_left() {
        assert_eq!(
            run(b"one\n\ttwo\n\nthr"),
            ("  s | one\n  s | \ttwo\n  s | \n".into(), 10)
        );
        assert_eq!(run(b"no newline"), (String::new(), 0));
    }

    #[test]
    fn anything_that_needs_care_is_left_to_the_careful_path() {
        assert_eq!(run(b"a\nb\x1b[2J\n").1, 0);
        assert_eq!(run(b"a\r\n").1, 0);
        assert_eq!(run("é\n".as_bytes()).1, 0);
        let long = [&b"ok\n"[..], &[b'x'; DISPLAY_LINE_MAX_CHARS + 1], b"\nz\n"].concat();
        assert_eq!(run(&long), ("  s | ok\n".into(), 3));
        let edge = [&[b'x'; DISPLAY_LINE_MAX_CHARS][..], b"\n"].concat();
        assert_eq!(run(&edge).1, edge.len());
    }

    /// Lines of every length around the fixed copies and the 64-byte
    /// blocks, with short and long prefixes: the same as a plain loop.
    #[test]
    fn the_same_text_as_a_plain_loop_whatever_the_lengths() {
        let text: Vec<u8> = (0..200)
            .flat_map(|n| {
                let mut l = vec![b'a' + (n % 26) as u8; n % 70];
                l.push(b'\n');
                l
            })
            .collect();
        let (narrow, wider) = ([b'n'; NARROW], [b'o'; NARROW + 1]);
        for prefix in [
            &b""[..],
            b"    s | ",
            &narrow,
            &wider,
            &[b'p'; WIDE],
            &[b'q'; WIDE + 1],
        ] {
            for from in 0..3 {
                let text = &text[from..];
                let mut expected = Vec::new();
                for line in text.split_inclusive(|&b| b == b'\n') {
                    expected.extend_from_slice(prefix);
                    expected.extend_from_slice(line);
                }
                let mut out = vec![b'?'; 77];
                let (n, written) = prefixed_plain_lines(prefix, text, &mut out);
                assert_eq!(n, text.len());
                assert_eq!(
                    out[..written],
                    expected[..],
                    "prefix {prefix:?}, from {from}"
                );
            }
        }
    }
}
