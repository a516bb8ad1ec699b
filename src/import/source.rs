//! The document an import reads: from a file or stdin, size-limited, and
//! checked to be Markdown text before anything parses it (UTF-8, no NUL
//! bytes, no terminal control characters or bidirectional overrides, not
//! a runbook or an HTML page by mistake). Line endings become LF.
//!
//! Refuses with an `ImportError` that says what, where and how to fix;
//! never guesses an encoding, never executes or follows anything it reads.

use super::ImportError;
use std::io::Read;
use std::path::Path;

/// Largest document accepted. The runbook it makes must stay under the
/// loader's 1 MiB, and carries the document's text.
pub const MAX_DOCUMENT_BYTES: u64 = 4 * 1024 * 1024;

/// Reads `path` (`-`: stdin); returns the name to show and the bytes.
pub fn read(path: &Path) -> Result<(String, Vec<u8>), ImportError> {
    let limit = MAX_DOCUMENT_BYTES + 1;
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(limit)
            .read_to_end(&mut bytes)
            .map_err(|e| {
                ImportError::new(
                    format!("cannot read stdin: {e}"),
                    "pass a file instead of `-`",
                )
            })?;
        check_size(bytes.len() as u64)?;
        return Ok(("stdin".to_owned(), bytes));
    }
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| unreadable(&shown, &e))?;
    if meta.is_dir() {
        return Err(ImportError::new(
            format!("{shown} is a directory"),
            "name a Markdown file, e.g. docs/RUNBOOK.md",
        ));
    }
    if !meta.is_file() {
        return Err(ImportError::new(
            format!("{shown} is not a regular file"),
            "name a Markdown file, or pass `-` and pipe the document in",
        ));
    }
    check_size(meta.len())?;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(limit).read_to_end(&mut bytes))
        .map_err(|e| unreadable(&shown, &e))?;
    check_size(bytes.len() as u64)?;
    let name = path
        .file_name()
        .map_or(shown, |n| n.to_string_lossy().into_owned());
    Ok((name, bytes))
}

fn check_size(len: u64) -> Result<(), ImportError> {
    if len > MAX_DOCUMENT_BYTES {
        return Err(ImportError::new(
            format!("the document is over {MAX_DOCUMENT_BYTES} bytes (4 MiB)"),
            "import the procedure's own pages: a runbook is limited to 1 MiB",
        ));
    }
    Ok(())
}

fn unreadable(shown: &str, e: &std::io::Error) -> ImportError {
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            ImportError::new(format!("{shown}: no such file"), "check the path")
        }
        std::io::ErrorKind::PermissionDenied => ImportError::new(
            format!("{shown}: permission denied"),
            "make the file readable, or pipe it in with `-`",
        ),
        _ => ImportError::new(format!("{shown}: cannot be read: {e}"), "check the path"),
    }
}

/// The document as text with LF line endings, or why it is not Markdown.
pub fn decode(bytes: &[u8]) -> Result<String, ImportError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(ImportError::new(
            "the document is UTF-16 text; stepwise reads UTF-8 Markdown",
            "convert it: iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8.md",
        ));
    }
    if let Some(offset) = bytes.iter().position(|b| *b == 0) {
        let (line, column) = line_col(bytes, offset);
        return Err(ImportError::new(
            format!(
                "a NUL byte at line {line}, column {column}: this is a binary file, not Markdown"
            ),
            "pass the procedure's Markdown (.md) file",
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_col(bytes, e.valid_up_to());
        ImportError::new(
            format!("the document is not UTF-8 (line {line}, column {column})"),
            "convert it, e.g. iconv -f latin1 -t utf8 FILE > FILE.utf8.md",
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_owned()
    };
    if text.trim().is_empty() {
        return Err(ImportError::new(
            "the document is empty",
            "pass a Markdown procedure: a # title, ## sections, numbered or bulleted steps",
        ));
    }
    if let Some((i, c)) = first_hostile(&text) {
        let (line, column) = line_col(text.as_bytes(), i);
        return Err(ImportError::new(
            format!(
                "the invisible character U+{:04X} at line {line}, column {column} would act on the terminal or hide what the text says",
                c as u32
            ),
            "remove it from the document: runbook text must read as it runs",
        ));
    }
    not_something_else(&text)?;
    Ok(text)
}

/// The first character that would act on a terminal or reorder text
/// (`runbook::control::is_hostile`). Only bytes that can start one are
/// decoded: ASCII controls, and the lead bytes of C1 controls (0xC2) and
/// of the bidirectional marks (0xE2); a 1 MB document is scanned in
/// about a millisecond rather than ten.
fn first_hostile(text: &str) -> Option<(usize, char)> {
    let bytes = text.as_bytes();
    let suspect =
        |b: &u8| (*b < 0x20 && *b != b'\t' && *b != b'\n') || matches!(*b, 0x7f | 0xc2 | 0xe2);
    let mut from = 0;
    while let Some(at) = bytes[from..].iter().position(suspect) {
        // 0xC2 and 0xE2 only ever start a character: `i` is a boundary.
        let i = from + at;
        if let Some(c) = text[i..].chars().next()
            && crate::runbook::control::is_hostile(c)
        {
            return Some((i, c));
        }
        from = i + 1;
    }
    None
}

/// Refuses a runbook, an HTML page or JSON passed by mistake.
fn not_something_else(text: &str) -> Result<(), ImportError> {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let lower = first.to_ascii_lowercase();
    let top_level = |key: &str| text.starts_with(key) || text.contains(&format!("\n{key}"));
    if top_level("runbook:") && top_level("sections:") {
        return Err(ImportError::new(
            "this is already a stepwise runbook (YAML), not a Markdown document",
            "check it with `stepwise validate FILE`, run it with `stepwise run FILE`",
        ));
    }
    if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
        return Err(ImportError::new(
            "this is an HTML page, not Markdown",
            "convert it first, e.g. `pandoc -f html -t gfm PAGE.html -o PAGE.md`",
        ));
    }
    if first.starts_with(['{', '['])
        && serde_json::from_str::<serde_json::Value>(text)
            .is_ok_and(|v| v.is_array() || v.is_object())
    {
        return Err(ImportError::new(
            "this is JSON, not Markdown",
            "pass the procedure's Markdown (.md) file",
        ));
    }
    Ok(())
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(bytes: &[u8]) -> String {
        decode(bytes).expect_err("should be refused").to_string()
    }

    #[test]
    fn text_is_decoded_with_lf_line_endings() {
        assert_eq!(
            decode(b"\xEF\xBB\xBF# T\r\n\r\n1. a\r\n").unwrap(),
            "# T\n\n1. a\n"
        );
    }

    #[test]
    fn the_fast_scan_finds_what_the_char_by_char_check_finds() {
        for c in (0u32..0x3000).filter_map(char::from_u32) {
            let text = format!("ab é → {c} x");
            let slow = text
                .char_indices()
                .find(|&(_, c)| crate::runbook::control::is_hostile(c));
            assert_eq!(first_hostile(&text), slow, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn what_is_not_markdown_is_refused_with_where_and_how() {
        assert!(refused(b"").contains("empty"));
        assert!(refused(b"  \n\n").contains("empty"));
        assert!(refused(b"# T\n\x00\x01").contains("line 2, column 1"));
        assert!(refused(b"# caf\xe9\n").contains("not UTF-8"));
        assert!(refused(b"\xFF\xFE#\x00").contains("UTF-16"));
        assert!(
            refused("# T\n\n1. echo \u{202e}x\n".as_bytes()).contains("U+202E at line 3, column 9")
        );
        assert!(refused(b"# T\n\x1b]0;x\x07\n").contains("U+001B"));
        assert!(
            refused(b"runbook: 1\nid: x\nsections: []\n").contains("already a stepwise runbook")
        );
        assert!(refused(b"<!DOCTYPE html>\n<html></html>\n").contains("HTML page"));
        assert!(refused(b"{\"a\": 1}\n").contains("JSON"));
        assert!(decode(b"# Title\n\n- item\n").is_ok());
    }
}
