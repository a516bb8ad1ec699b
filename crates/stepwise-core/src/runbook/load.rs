//! Loading a runbook: from a path or a string to a validated `Runbook`, or a
//! `LoadError` listing every problem found.
//!
//! The file is treated as hostile until proven otherwise: its size is checked
//! before it is read (1 MiB at most), binary and non-UTF-8 content is refused
//! with the byte offset, and the YAML parser runs under a budget (nesting
//! depth, alias expansion, node count) so that no input can make it hang or
//! exhaust memory. This module must never panic on input and never run
//! anything from the runbook.

use super::check::Checker;
use super::diagnostic::{Problem, ProblemKind, Span};
use super::model::Runbook;
use super::node::Value;
use super::{build, parse};
use miette::NamedSource;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

// The loading API in one place for callers: `load::load_file`, `load::summary`…
pub use super::diagnostic::{LoadError, render_fancy, render_for_terminal, render_plain};
pub use super::summary::summary;

/// Largest runbook file accepted, in bytes.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Reads, parses and validates the runbook at `path`.
pub fn load_file(path: &Path) -> Result<Runbook, LoadError> {
    let name = path.display().to_string();
    let bytes = read_limited(path).map_err(|p| LoadError::new(&name, vec![p]))?;
    load_bytes(&name, &bytes)
}

/// Parses and validates runbook bytes; `name` is used in messages.
pub fn load_bytes(name: &str, bytes: &[u8]) -> Result<Runbook, LoadError> {
    let text = decode(name, bytes).map_err(|p| LoadError::new(name, vec![p]))?;
    load_str(name, text)
}

/// Parses and validates runbook text; `name` is used in messages.
pub fn load_str(name: &str, text: &str) -> Result<Runbook, LoadError> {
    load_checked(name, text, false)
}

/// A session's runbook copy: loaded as [`load_str`] does, except for the
/// rules only new runbooks must pass (an input named like the shell's own
/// variable), so that a session an older stepwise ran still opens.
pub fn load_copy(name: &str, text: &str) -> Result<Runbook, LoadError> {
    load_checked(name, text, true)
}

fn load_checked(name: &str, text: &str, session_copy: bool) -> Result<Runbook, LoadError> {
    let fail = |p: Problem| LoadError::new(name, vec![p]);
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(fail(too_large(text.len() as u64)));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(offset) = text.find('\0') {
        return Err(fail(binary(text.as_bytes(), offset)));
    }
    let mut ck = Checker::new(name, Arc::from(text));
    ck.session_copy = session_copy;
    let root = match parse::parse(text) {
        Ok(root) => root,
        Err(failure) => return Err(fail(failure.into_problem(&ck))),
    };
    if matches!(root.value, Value::Null) {
        return Err(fail(empty(text)));
    }
    super::control::check(&mut ck, &root);
    let runbook = build::runbook(&mut ck, &root);
    match runbook {
        Some(runbook) if ck.is_clean() => Ok(runbook),
        _ => Err(LoadError::new(name, ck.into_problems())),
    }
}

/// Opens a regular file and reads at most `MAX_FILE_BYTES`, checking the
/// size before reading anything.
fn read_limited(path: &Path) -> Result<Vec<u8>, Problem> {
    let meta = std::fs::metadata(path).map_err(|e| unreadable(path, &e))?;
    if meta.is_dir() {
        return Err(directory(path));
    }
    if !meta.is_file() {
        let message = format!("{} is not a regular file", path.display());
        return Err(
            Problem::new(ProblemKind::NotAFile, message).with_help("pass a runbook YAML file")
        );
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(|e| unreadable(path, &e))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(path, &e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

fn unreadable(path: &Path, e: &std::io::Error) -> Problem {
    let (message, help) = match e.kind() {
        std::io::ErrorKind::NotFound => (
            format!("{}: no such file", path.display()),
            "check the path; bundled runbooks live in `runbooks/`",
        ),
        std::io::ErrorKind::PermissionDenied => (
            format!("{}: permission denied", path.display()),
            "make the file readable by your user, or copy it somewhere you can read",
        ),
        _ => (
            format!("{}: cannot be read: {e}", path.display()),
            "check that the path names a readable runbook file",
        ),
    };
    Problem::new(ProblemKind::Unreadable, message).with_help(help)
}

fn directory(path: &Path) -> Problem {
    let mut yamls: Vec<String> = std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
        .collect();
    yamls.sort();
    let help = match yamls.first() {
        Some(first) => format!(
            "name a runbook file inside it, e.g. {}",
            path.join(first).display()
        ),
        None => "name a runbook file (a .yaml file), not a directory".to_owned(),
    };
    let message = format!("{} is a directory, not a runbook file", path.display());
    Problem::new(ProblemKind::NotAFile, message).with_help(help)
}

fn too_large(len: u64) -> Problem {
    let message =
        format!("the file is {len} bytes; runbooks are limited to {MAX_FILE_BYTES} bytes (1 MiB)");
    Problem::new(ProblemKind::TooLarge, message).with_help(
        "a runbook is a procedure, not data: split it, or move large content into scripts it runs",
    )
}

fn empty(text: &str) -> Problem {
    let message = if text.trim().is_empty() {
        "the file is empty: it holds no runbook"
    } else {
        "the file holds only comments: it holds no runbook"
    };
    Problem::new(ProblemKind::Empty, message).with_help(
        "start with `runbook: 1`, an `id`, a `title` and `sections`; see docs/runbook-format.md",
    )
}

/// Bytes to text: refuses NUL bytes (binary files), UTF-16 and invalid
/// UTF-8, naming the offending byte offset.
fn decode<'a>(name: &str, bytes: &'a [u8]) -> Result<&'a str, Problem> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Problem::new(
            ProblemKind::NotUtf8,
            "the file is UTF-16 text; runbooks must be UTF-8",
        )
        .with_help("save the file as UTF-8 (in most editors: \"Save with encoding\")"));
    }
    if let Some(offset) = bytes.iter().position(|b| *b == 0) {
        return Err(binary(bytes, offset));
    }
    std::str::from_utf8(bytes).map_err(|e| not_utf8(name, bytes, e.valid_up_to()))
}

fn binary(bytes: &[u8], offset: usize) -> Problem {
    let (line, column) = line_col(bytes, offset);
    let message = format!(
        "NUL byte at byte offset {offset} (line {line}, column {column}): this looks like a binary file, not a YAML runbook"
    );
    Problem::new(ProblemKind::Binary, message)
        .with_help("pass the runbook's .yaml file; runbooks are UTF-8 text")
}

fn not_utf8(name: &str, bytes: &[u8], offset: usize) -> Problem {
    let (line, column) = line_col(bytes, offset);
    let byte = bytes.get(offset).copied().unwrap_or(0);
    let message = format!(
        "the file is not valid UTF-8: byte 0x{byte:02X} at byte offset {offset} (line {line}, column {column})"
    );
    let shown: Arc<str> = Arc::from(String::from_utf8_lossy(bytes).as_ref());
    let source = NamedSource::new(name, shown);
    let at = Span {
        offset,
        len: '\u{fffd}'.len_utf8(),
        line,
        column,
    };
    Problem::new(ProblemKind::NotUtf8, message)
        .with_label(&source, at, "not UTF-8")
        .with_help("save the file as UTF-8, for example with `iconv -f latin1 -t utf8 OLD > NEW`")
}

/// 1-based line and column (in characters, or bytes where the text is not
/// UTF-8) of a byte offset.
fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let column = match std::str::from_utf8(&before[start..]) {
        Ok(s) => s.chars().count() + 1,
        Err(_) => before.len() - start + 1,
    };
    (line, column)
}
