//! The one place that says how text is made safe to show: the mask that
//! replaces a secret, and text from outside (a step's output, an
//! operator's note, a runbook string) made inert before it reaches a
//! terminal or a document.
//!
//! Every plain-text reader of the journal (headless lines, transcripts,
//! dry runs, the trust review) uses these functions. Colour codes are
//! removed; every other control character is shown as a visible symbol
//! (`␛` for ESC), so an OSC 52 clipboard write, a title change, a cursor
//! move or an alternate-screen switch in a log does nothing to the
//! reader's terminal. The interface keeps colours: its log filter
//! (`sanitize` in the log pane module of the `stepwise` package) turns
//! colour codes into styles and drops every other escape sequence.
//!
//! Everything stepwise prints on stderr goes through [`show_controls`]
//! (the `say!` macro); paths and names shown on one line go through
//! [`one_line`]; a diagnostic rendered in colour keeps only its own SGR
//! colours ([`show_controls_keeping_sgr`]).
//!
//! Never writes anything and never decides what is secret (that is
//! `engine::redact`); it only says how a secret and a control look.

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// The terminal columns `text` takes (a CJK character or an emoji two,
/// `⚠️` two, a combining mark none), grapheme by grapheme as a terminal
/// (and ratatui) draws it.
pub fn cols(text: &str) -> usize {
    text.graphemes(true).map(UnicodeWidthStr::width).sum()
}

/// `text` followed by spaces up to `width` columns (as `{:<width$}` pads
/// up to `width` characters): columns of a plain-text table stay aligned
/// when a cell holds wide characters.
pub fn pad(text: &str, width: usize) -> String {
    let fill = width.saturating_sub(cols(text));
    format!("{text}{}", " ".repeat(fill))
}

/// What replaces a secret value everywhere: journal, logs, screens, exports.
pub const MASK: &str = "••••••";

/// Control characters other than tab and newline, and bidi controls: what
/// a runbook may not contain and what is never shown raw.
pub fn is_hostile(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// Removes colour codes (CSI … m) and shows every other control character
/// as a visible, inert symbol: ESC as `␛`, BEL as `␇`, other C0 controls as
/// their Control Pictures, DEL as `␡`, C1 controls and bidirectional
/// overrides as `\u{..}`. Tabs stay.
pub fn neutralize(line: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    let mut shown = 0usize;
    while let Some(c) = chars.next() {
        if shown >= max_chars {
            out.push_str(" […]");
            break;
        }
        if c == '\u{1b}' && chars.peek() == Some(&'[') && skip_sgr(&mut chars.clone()) {
            skip_sgr(&mut chars);
            continue;
        }
        shown += 1;
        push_inert(&mut out, c);
    }
    out
}

/// Whether `neutralize` would leave a line unchanged: the fast path for
/// output lines, which are almost always plain.
pub fn is_plain(line: &str) -> bool {
    if line
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) || b == b'\t')
    {
        return true;
    }
    !line.chars().any(|c| {
        (c.is_control() && c != '\t') || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

/// Whether every line of `bytes` is [`is_plain`]: only printable ASCII,
/// tabs and line feeds. A tight loop over a whole chunk of output, for
/// callers that would otherwise ask line by line.
pub fn is_plain_bytes(bytes: &[u8]) -> bool {
    // Branch-free within a block, so the compiler can use vector
    // instructions; a block at a time, so a bad byte stops the look early.
    bytes.chunks(256).all(|block| {
        block.iter().fold(true, |ok, &b| {
            ok & ((b.wrapping_sub(0x20) < 0x5f) | (b == b'\t') | (b == b'\n'))
        })
    })
}

/// Bit `i` set when `block[i]` is a newline, for a block of at most 64
/// bytes, so that a flood of short lines costs a bit scan per line rather
/// than a search call per line (the headless printer, the log pane's
/// index). A full block on x86_64 takes four SSE2 compares (part of every
/// x86_64 processor); anything else, eight bytes at a time in a `u64`.
#[inline]
pub fn newline_mask(block: &[u8]) -> u64 {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if let Ok(full) = <&[u8; 64]>::try_from(block) {
        // SAFETY: this build targets SSE2 (checked above at compile time;
        // it is in the x86_64 baseline), so the feature the function is
        // compiled for is there on every machine the build runs on.
        return unsafe { sse2::newline_mask(full) };
    }
    newline_mask_swar(block)
}

/// [`newline_mask`] of a block of at most 64 bytes, or `None` when one of
/// its bytes is not plain (see [`is_plain_bytes`]): one pass over the
/// block for both, where the headless printer's flood path made two over
/// each chunk (docs/PERFORMANCE.md, ninth pass).
#[inline]
pub fn newline_mask_if_plain(block: &[u8]) -> Option<u64> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if let Ok(full) = <&[u8; 64]>::try_from(block) {
        // SAFETY: as in `newline_mask`: SSE2 is in this build's target.
        let (mask, plain) = unsafe { sse2::newline_mask_and_plain(full) };
        return plain.then_some(mask);
    }
    is_plain_bytes(block).then(|| newline_mask_swar(block))
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_movemask_epi8,
        _mm_or_si128, _mm_set1_epi8,
    };

    /// A full block's 16-byte parts, as vectors.
    fn parts(block: &[u8; 64]) -> impl Iterator<Item = __m128i> + '_ {
        block.chunks_exact(16).map(|part| {
            let part: [u8; 16] = part.try_into().unwrap_or_default();
            // SAFETY: an `__m128i` is 16 bytes with no invalid values.
            unsafe { std::mem::transmute::<[u8; 16], __m128i>(part) }
        })
    }

    /// [`super::newline_mask_if_plain`] of a full block: the newline mask,
    /// and whether every byte is printable ASCII (0x20–0x7e as signed
    /// bytes: above 0x1f, below 0x7f; 0x80 and up are negative), a tab or
    /// a newline.
    #[target_feature(enable = "sse2")]
    pub(super) fn newline_mask_and_plain(block: &[u8; 64]) -> (u64, bool) {
        let (newlines, tabs) = (_mm_set1_epi8(b'\n' as i8), _mm_set1_epi8(b'\t' as i8));
        let (below, above) = (_mm_set1_epi8(0x1f), _mm_set1_epi8(0x7f));
        let (mut mask, mut plain) = (0, _mm_set1_epi8(-1));
        for (k, v) in parts(block).enumerate() {
            let newline = _mm_cmpeq_epi8(v, newlines);
            let printable = _mm_and_si128(_mm_cmpgt_epi8(v, below), _mm_cmplt_epi8(v, above));
            let ok = _mm_or_si128(_mm_or_si128(printable, newline), _mm_cmpeq_epi8(v, tabs));
            plain = _mm_and_si128(plain, ok);
            mask |= u64::from(_mm_movemask_epi8(newline) as u16) << (16 * k);
        }
        (mask, _mm_movemask_epi8(plain) as u16 == u16::MAX)
    }

    /// [`super::newline_mask`] of a full block: 16 bytes per compare.
    #[target_feature(enable = "sse2")]
    pub(super) fn newline_mask(block: &[u8; 64]) -> u64 {
        let newlines = _mm_set1_epi8(b'\n' as i8);
        let mut mask = 0;
        for (k, v) in parts(block).enumerate() {
            let flags = _mm_movemask_epi8(_mm_cmpeq_epi8(v, newlines)) as u16;
            mask |= u64::from(flags) << (16 * k);
        }
        mask
    }
}

/// [`newline_mask`] without vector instructions: eight bytes at a time in
/// a `u64` (exact zero-byte test, then the eight flags gathered by one
/// multiplication), no per-byte branch.
fn newline_mask_swar(block: &[u8]) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // Bit 8k of the flags (one per byte) lands on bit 56 + k; no two
    // partial products meet, so nothing carries into the top byte.
    const GATHER: u64 = 0x0102_0408_1020_4080;
    let mut mask = 0;
    for (i, word) in block.chunks(8).enumerate() {
        let bytes = match <[u8; 8]>::try_from(word) {
            Ok(full) => full,
            Err(_) => {
                let mut padded = [0u8; 8];
                padded[..word.len()].copy_from_slice(word);
                padded
            }
        };
        let x = u64::from_le_bytes(bytes) ^ u64::from_le_bytes([b'\n'; 8]);
        // High bit of each byte set where that byte of `x` is zero.
        let zero = !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7);
        let mut flags = ((zero >> 7).wrapping_mul(GATHER) >> 56) as u8;
        // Padding bytes are zero, not newlines: never flagged. Keep only
        // the bytes there are.
        flags &= (0xffu16 >> (8 - word.len())) as u8;
        mask |= u64::from(flags) << (8 * i);
    }
    mask
}

/// Shows every control character of a whole document inert, keeping its
/// line breaks and tabs; no colour handling, no cut. Text without control
/// characters is returned as is.
pub fn show_controls(text: &str) -> String {
    let hostile = |c: char| (c.is_control() && c != '\n' && c != '\t') || is_hostile(c);
    if !text.chars().any(hostile) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 64);
    for c in text.chars() {
        match c {
            '\n' => out.push(c),
            c => push_inert(&mut out, c),
        }
    }
    out
}

/// Shows every control character of a one-line text inert, line breaks
/// included (`␊`): for paths and names from the file system or a file,
/// which may hold anything.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.push('␉'),
            c => push_inert(&mut out, c),
        }
    }
    out
}

/// Like [`show_controls`], but keeps complete SGR sequences (`ESC [ 1;31 m`):
/// for text stepwise styled itself (a diagnostic rendered in colour) that
/// may quote text from a file. Every other escape is shown inert.
pub fn show_controls_keeping_sgr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            let mut probe = chars.clone();
            if skip_sgr(&mut probe) {
                out.push(c);
                for k in chars.by_ref() {
                    out.push(k);
                    if k == 'm' {
                        break;
                    }
                }
                continue;
            }
        }
        match c {
            '\n' => out.push(c),
            c => push_inert(&mut out, c),
        }
    }
    out
}

/// Appends one character as shown: controls as their symbols, the rest
/// unchanged.
fn push_inert(out: &mut String, c: char) {
    match c {
        '\t' => out.push(c),
        '\u{0}'..='\u{1f}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}')),
        '\u{7f}' => out.push('␡'),
        '\u{80}'..='\u{9f}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}' => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        _ => out.push(c),
    }
}

/// If the iterator (positioned on an ESC) holds a complete SGR sequence
/// `ESC [ digits/; m`, consumes it and returns true.
fn skip_sgr(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> bool {
    chars.next(); // '['
    loop {
        match chars.next() {
            Some('m') => return true,
            Some(c) if c.is_ascii_digit() || c == ';' || c == ':' => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn padding_counts_terminal_columns() {
        assert_eq!(super::cols("web-1"), 5);
        assert_eq!(super::cols("東京-1"), 6, "a CJK character takes two");
        assert_eq!(super::pad("東京-1", 8), "東京-1  ");
        assert_eq!(super::pad("web-1", 8), "web-1   ");
        assert_eq!(super::pad("toolonghost", 4), "toolonghost");
    }

    #[test]
    fn newline_mask_flags_exactly_the_newlines() {
        let bytes: Vec<u8> = (0..600u32)
            .map(|i| match (i * 7919) % 13 {
                0 | 5 => b'\n',
                1 => 0x8a,
                2 => 0x0b,
                3 => 0,
                4 => 0xff,
                n => b'a' + n as u8,
            })
            .collect();
        for start in 0..64 {
            for len in 0..=64 {
                let block = &bytes[start..start + len];
                let expected = block
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b'\n')
                    .fold(0u64, |m, (i, _)| m | 1 << i);
                assert_eq!(super::newline_mask(block), expected, "{start}+{len}");
                assert_eq!(super::newline_mask_swar(block), expected, "{start}+{len}");
            }
        }
    }

    /// Every byte value, at every place of a full block and of shorter
    /// ones: the one-pass mask is the newline mask when the block is
    /// plain, and `None` exactly when it is not.
    #[test]
    fn newline_mask_if_plain_is_both_checks_in_one() {
        let plain_block: Vec<u8> = (0..64u8)
            .map(|i| if i % 9 == 8 { b'\n' } else { b'a' + i % 26 })
            .collect();
        for len in [64, 63, 17, 1] {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut block = plain_block[..len].to_vec();
                    block[at] = byte;
                    let expected =
                        super::is_plain_bytes(&block).then(|| super::newline_mask(&block));
                    assert_eq!(
                        super::newline_mask_if_plain(&block),
                        expected,
                        "{len} {at} {byte:#x}"
                    );
                }
            }
        }
        assert_eq!(super::newline_mask_if_plain(b""), Some(0));
    }

    use super::neutralize;

    #[test]
    fn is_plain_bytes_means_every_line_is_plain() {
        assert!(super::is_plain_bytes(b"one\ttwo\n\nthree"));
        for bad in [&b"a\rb"[..], b"\x1b[31m", b"\x7f", "é".as_bytes()] {
            assert!(!super::is_plain_bytes(bad), "{bad:?}");
        }
    }

    #[test]
    fn is_plain_agrees_with_neutralize() {
        for line in [
            "plain",
            "tab\there",
            "ünï €",
            "\u{1b}[31mred",
            "bell\u{7}",
            "\u{9b}c1",
            "bidi\u{202e}x",
            "del\u{7f}",
        ] {
            assert_eq!(
                super::is_plain(line),
                neutralize(line, usize::MAX) == line,
                "{line:?}"
            );
        }
    }

    #[test]
    fn colours_stepwise_added_survive_everything_else_is_inert() {
        let text = "\u{1b}[1;31merror\u{1b}[0m: title \u{1b}]52;c;aGk=\u{7} \u{1b}[2J\nnext";
        assert_eq!(
            super::show_controls_keeping_sgr(text),
            "\u{1b}[1;31merror\u{1b}[0m: title ␛]52;c;aGk=␇ ␛[2J\nnext"
        );
        assert_eq!(super::one_line("a\nb\u{1b}c\td"), "a␊b␛c␉d");
    }

    #[test]
    fn every_control_is_shown_inert() {
        let hostile =
            "a\u{1b}]0;title\u{7}b\u{1b}[2J\u{1b}[?1049h\u{1b}]52;c;aGk=\u{7}\u{9b}1m\u{0}\r\u{7f}";
        let out = neutralize(hostile, usize::MAX);
        assert!(!out.chars().any(|c| c.is_control()), "{out:?}");
        assert_eq!(neutralize("\u{1b}[31mred\u{1b}[0m", 10), "red");
        assert_eq!(neutralize("abcdef", 3), "abc […]");
    }
}
