//! The flood's fast path of headless output: whole plain lines of a chunk
//! written with their step prefix in one pass, into one buffer.
//!
//! A command printing millions of short lines makes the per-line cost of
//! the printer the cost of the session (issue 19, benchmark 1), so the
//! lines that need no care (printable ASCII and tabs, not longer than a
//! display line) are found with a vectorised newline search and copied
//! with their prefix, no allocation or formatting per line. Everything
//! else (a line begun in an earlier chunk, control characters, `\r`, long
//! lines, other UTF-8) is left to `DisplayLines` and `inert`, the careful
//! path, so the text printed is the same either way.
//!
//! Formatting only: never writes to the terminal or a file itself.

use crate::engine::process::DISPLAY_LINE_MAX_CHARS;

/// Appends `prefix`, the line and its `\n` to `out` for each whole line at
/// the start of `bytes` that needs no care; returns how many bytes of
/// `bytes` were taken (always just after a `\n`; 0 when the whole lines
/// of the chunk are not all plain).
pub fn prefixed_plain_lines(prefix: &[u8], bytes: &[u8], out: &mut Vec<u8>) -> usize {
    let whole = memchr::memrchr(b'\n', bytes).map_or(0, |i| i + 1);
    let lines = &bytes[..whole];
    if !crate::text::is_plain_bytes(lines) {
        return 0;
    }
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', lines) {
        // Plain is ASCII: bytes are characters.
        if end - start > DISPLAY_LINE_MAX_CHARS {
            break;
        }
        out.extend_from_slice(prefix);
        out.extend_from_slice(&lines[start..=end]);
        start = end + 1;
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(bytes: &[u8]) -> (String, usize) {
        let mut out = Vec::new();
        let n = prefixed_plain_lines(b"  s | ", bytes, &mut out);
        (String::from_utf8(out).unwrap(), n)
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
}
