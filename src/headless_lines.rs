//! The flood's fast path of headless output: whole plain lines of a chunk
//! written with their step prefix in one pass, into one buffer.
//!
//! A command printing millions of short lines makes the per-line cost of
//! the printer the cost of the session (issue 19, benchmark 1), so the
//! lines that need no care (printable ASCII and tabs, not longer than a
//! display line) are found a 64-byte block at a time
//! (`text::newline_mask_if_plain`: newlines and plain bytes in one pass) and copied
//! with their prefix, no allocation or formatting per line: most blocks
//! by fixed-size copies whose bounds are checked once a block (the only
//! `unsafe` of the printer, its contract stated where it is called), the
//! last ones of a chunk line by line with checks. Everything
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
    let mut at = Pos::default();
    // Most of a flood goes through the unchecked loop, the last blocks
    // (and every block of a prefix too wide for it) through the checked.
    let flow = if prefix.len() <= NARROW {
        w.full_blocks::<NARROW>(lines, out, &mut at)
    } else if prefix.len() <= WIDE {
        w.full_blocks::<WIDE>(lines, out, &mut at)
    } else {
        Flow::Go
    };
    match flow {
        Flow::NotPlain => (0, 0),
        Flow::Long => (at.start, w.at),
        Flow::Go => match w.checked_blocks(lines, out, at) {
            Some(start) => (start, w.at),
            None => (0, 0),
        },
    }
}

/// Where the loops are in the lines: the current line's first byte and
/// the current 64-byte block's.
#[derive(Default)]
struct Pos {
    start: usize,
    base: usize,
}

/// Why [`Writer::full_blocks`] stopped.
enum Flow {
    /// At the last blocks: the checked loop goes on from there.
    Go,
    /// A byte that is not plain: the whole chunk is the careful path's.
    NotPlain,
    /// A line longer than a display line ends here: the careful path's
    /// from its start.
    Long,
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

// `Writer::full_blocks` checks the length of a block's first line only:
// any other line ending there began in the block, and is shorter than
// the longest line it takes.
const _: () = assert!(DISPLAY_LINE_MAX_CHARS + 1 >= 64);

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

    /// The lines ending in the blocks from `at` on, each with its bounds
    /// checked; where the lines taken end, or `None` when a byte is not
    /// plain (the whole chunk is then the careful path's).
    fn checked_blocks(&mut self, lines: &[u8], out: &mut Vec<u8>, at: Pos) -> Option<usize> {
        let Pos {
            mut start,
            mut base,
        } = at;
        for block in lines[base..].chunks(64) {
            // Plain and newlines in one pass.
            let mut ends = crate::text::newline_mask_if_plain(block)?;
            // Room for every line ending in this block: its prefix, its
            // bytes (some from earlier blocks), and the fixed copies'
            // overshoot.
            let lines_here = ends.count_ones() as usize;
            self.reserve(
                out,
                lines_here * self.prefix.len() + base + block.len() - start,
            );
            while ends != 0 {
                let end = base + ends.trailing_zeros() as usize + 1;
                // Plain is ASCII: bytes are characters.
                if end - start > DISPLAY_LINE_MAX_CHARS + 1 {
                    return Some(start);
                }
                self.line(out, lines, start, end);
                start = end;
                ends &= ends - 1;
            }
            base += block.len();
        }
        Some(start)
    }

    /// The lines ending in whole 64-byte blocks that have at least
    /// [`NARROW`] bytes of `lines` after them, for a prefix of at most
    /// `PAD` bytes, each moved by fixed-size copies without a bounds
    /// check per line: about a third of the time of the checked loop
    /// over a flood of numbers (85–101 → 29–36 ms for 10 million lines
    /// in 64 KiB chunks, a scratch benchmark; docs/PERFORMANCE.md,
    /// eleventh pass). Two things are checked once a block: the room in
    /// `out`, and the first line's length (the only one that can have
    /// begun in an earlier block).
    fn full_blocks<const PAD: usize>(
        &mut self,
        lines: &[u8],
        out: &mut Vec<u8>,
        at: &mut Pos,
    ) -> Flow {
        let p = self.prefix.len();
        assert!(p <= PAD && PAD <= WIDE);
        while at.base + 64 + NARROW <= lines.len() {
            let block = &lines[at.base..at.base + 64];
            let Some(mut ends) = crate::text::newline_mask_if_plain(block) else {
                return Flow::NotPlain;
            };
            if ends != 0 {
                let first = at.base + ends.trailing_zeros() as usize + 1;
                if first - at.start > DISPLAY_LINE_MAX_CHARS + 1 {
                    return Flow::Long;
                }
                // At most 64 lines end here, all within the bytes since
                // `start`.
                self.reserve(out, 64 * p + at.base + 64 - at.start);
                let room = out.len();
                while ends != 0 {
                    let end = at.base + ends.trailing_zeros() as usize + 1;
                    debug_assert!(self.at + PAD.max(p + (end - at.start).max(NARROW)) <= room);
                    // SAFETY: `reserve` made room in `out` for every line
                    // of the block with its prefix plus 2 × WIDE bytes:
                    // the overshoot of the PAD (≤ WIDE) bytes of prefix
                    // and the NARROW bytes of a short line. The source
                    // is in `lines`: a short line's NARROW bytes end
                    // before `base + 64 + NARROW`, which the loop's
                    // condition keeps within `lines`; a longer line is
                    // `start..end`, with `end <= base + 64`.
                    unsafe { self.line_unchecked::<PAD>(out.as_mut_ptr(), lines, at.start, end) };
                    at.start = end;
                    ends &= ends - 1;
                }
            }
            at.base += 64;
        }
        Flow::Go
    }

    /// [`Writer::line`] by raw copies: `PAD` bytes of padded prefix, then
    /// [`NARROW`] bytes of the line, or the whole line when longer.
    ///
    /// # Safety
    ///
    /// `out` has room from `self.at` for `PAD` bytes and for the prefix
    /// and `max(end - start, NARROW)` bytes; `src` holds
    /// `start..max(end, start + NARROW)`; the prefix is at most `PAD`
    /// bytes and `PAD` at most [`WIDE`].
    unsafe fn line_unchecked<const PAD: usize>(
        &mut self,
        out: *mut u8,
        src: &[u8],
        start: usize,
        end: usize,
    ) {
        let (p, len) = (self.prefix.len(), end - start);
        // SAFETY: the caller's contract above.
        unsafe {
            let dst = out.add(self.at);
            std::ptr::copy_nonoverlapping(self.pad.as_ptr(), dst, PAD);
            let line = src.as_ptr().add(start);
            if len <= NARROW {
                std::ptr::copy_nonoverlapping(line, dst.add(p), NARROW);
            } else {
                copy_longer(line, dst.add(p), len);
            }
        }
        self.at += p + len;
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

/// A line longer than [`NARROW`], out of the loop: inline, the two
/// copies of [`Writer::line_unchecked`] were merged into one call of
/// `memcpy` of `max(len, NARROW)` bytes for every line, a call per line
/// of a flood of numbers (its 16-byte move then cost more than the
/// checked loop's).
///
/// # Safety
///
/// `src` holds `len` bytes, `dst` has room for them, and they do not
/// overlap.
#[cold]
#[inline(never)]
unsafe fn copy_longer(src: *const u8, dst: *mut u8, len: usize) {
    // SAFETY: the caller's contract above.
    unsafe { std::ptr::copy_nonoverlapping(src, dst, len) }
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

    /// Far into a chunk, past the blocks the unchecked loop takes: a
    /// byte that is not plain still sends the whole chunk to the careful
    /// path, and a long line still stops the fast one at its start.
    #[test]
    fn the_unchecked_loop_stops_where_the_checked_one_does() {
        let numbers: Vec<u8> = (0..2000)
            .flat_map(|n| format!("{n}\n").into_bytes())
            .collect();
        let mut escaped = numbers.clone();
        escaped.extend_from_slice(b"\x1b[2J\n");
        escaped.extend_from_slice(&numbers);
        assert_eq!(run(&escaped), (String::new(), 0));

        let long = [
            &numbers[..],
            &[b'x'; DISPLAY_LINE_MAX_CHARS + 1],
            b"\n",
            &numbers,
        ]
        .concat();
        let (text, n) = run(&long);
        assert_eq!(n, numbers.len());
        assert_eq!(text.lines().count(), 2000);
        assert!(text.ends_with("  s | 1999\n"));
    }

    /// A line of the longest length taken, far into a chunk, with
    /// prefixes of each fixed copy's size and over: taken whole by the
    /// unchecked loop (its copy of a longer line, the room reserved for
    /// a line begun 64 blocks earlier), the same as a plain loop.
    #[test]
    fn the_longest_line_is_taken_inside_the_unchecked_loop() {
        let numbers: Vec<u8> = (0..500)
            .flat_map(|n| format!("{n}\n").into_bytes())
            .collect();
        let longest = [&[b'x'; DISPLAY_LINE_MAX_CHARS][..], b"\n"].concat();
        let text = [&numbers[..], &longest, &numbers].concat();
        for prefix in [&b"    s | "[..], &[b'p'; 17], &[b'w'; WIDE]] {
            let mut expected = Vec::new();
            for line in text.split_inclusive(|&b| b == b'\n') {
                expected.extend_from_slice(prefix);
                expected.extend_from_slice(line);
            }
            let mut out = Vec::new();
            let (n, written) = prefixed_plain_lines(prefix, &text, &mut out);
            assert_eq!(n, text.len());
            assert_eq!(out[..written], expected[..], "prefix of {}", prefix.len());
        }
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
