//! `stepwise import`: a procedure written in Markdown (a wiki page, a
//! `RUNBOOK.md`) to a commented runbook that passes `stepwise validate`.
//!
//! The pipeline, one module each: `source` reads and checks the bytes,
//! `parse` turns Markdown into a small document model (`doc`) with
//! pulldown-cmark (a CommonMark parser with source offsets; why it and not
//! comrak is in `parse.rs`), `build` and `steps` decide what every part
//! becomes using the few documented rules of `heuristics` (and `shell` for
//! code blocks), `emit` writes the YAML by hand, and `verify` loads it with
//! the project's own loader and compares it with what was meant.
//!
//! An import never executes anything it reads, never writes a runbook that
//! does not load (that would be a bug: it errors instead), and gives the
//! same bytes for the same document. The rules are in docs/import.md.

mod build;
mod doc;
mod emit;
mod heuristics;
mod output;
mod parse;
mod plan;
mod shell;
mod source;
mod steps;
mod verify;

pub use output::write;
pub use source::{MAX_DOCUMENT_BYTES, read};

use crate::runbook::model::Runbook;
use crate::runbook::slug;
use std::fmt;

/// What an import may be told.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The runbook's id (default: a slug of its title).
    pub id: Option<String>,
}

/// A successful import: the YAML to write and the runbook it loads as.
#[derive(Debug)]
pub struct Imported {
    pub yaml: String,
    pub runbook: Runbook,
}

/// Why an import failed: what went wrong, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub message: String,
    pub help: String,
}

impl ImportError {
    pub fn new(message: impl Into<String>, help: impl Into<String>) -> Self {
        ImportError {
            message: message.into(),
            help: help.into(),
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n  help: {}", self.message, self.help)
    }
}

impl std::error::Error for ImportError {}

/// Why the document cannot be read, in the user's terms.
fn refused(refusal: parse::Refusal) -> ImportError {
    match refusal {
        parse::Refusal::TooDeep { line } => ImportError::new(
            format!(
                "lists or quotes nest too deep at line {line}: at most {} levels, a nested list counting two (the list and its item) and a quote one, so 16 lists inside each other",
                parse::MAX_DEPTH,
            ),
            "flatten the nesting: a procedure reads best one or two levels deep",
        ),
        parse::Refusal::Unclosed {
            line,
            column,
            fence,
            reopened,
        } => {
            let until = match reopened {
                Some(at) => format!(
                    " before the {fence} that opens another at line {at}: everything between, headings and other steps included, would become part of its command"
                ),
                None => ": everything after it, headings and other steps included, would become part of its command".to_owned(),
            };
            ImportError::new(
                format!(
                    "the code block opened with {fence} at line {line}, column {column} is never closed{until}"
                ),
                format!(
                    "end the command with a line of {fence} (the same character, at least as many, indented like the line that opens it: in a list item, as the item's text) where the code block ends; a block that shows a fenced block inside it takes a longer fence ({fence}{ch})",
                    ch = &fence[..1]
                ),
            )
        }
    }
}

/// Imports the document `bytes`, shown as `name` (its file name) in the
/// header and in messages.
pub fn import(name: &str, bytes: &[u8], options: &Options) -> Result<Imported, ImportError> {
    let text = source::decode(bytes)?;
    let doc = parse::parse(&text).map_err(refused)?;
    let mut plan = build::plan(doc, &title_from_name(name)).map_err(|refusal| match refusal {
        build::Refusal::NoSteps { lists_elsewhere } => ImportError::new(
            if lists_elsewhere {
                "found no steps: every list is in an introduction, conclusion or follow-up part"
            } else {
                "found no steps: the document has no numbered or bulleted list items and no shell code blocks"
            },
            "steps come from list items (`1.`, `-`) and from ```sh code blocks under ## headings; see docs/import.md for the rules",
        ),
    })?;
    plan.source = name.to_owned();
    plan.sha256 = sha256_hex(bytes);
    if let Some(id) = &options.id {
        if !slug::is_valid_id(id) {
            let suggestion = slug::slug(id);
            return Err(ImportError::new(
                format!("--id {id:?} is not a valid id"),
                format!(
                    "an id is lowercase letters, digits, - and _, at most 64 characters{}",
                    if suggestion.is_empty() {
                        String::new()
                    } else {
                        format!(": try --id {suggestion}")
                    }
                ),
            ));
        }
        plan.id = id.clone();
    }
    let yaml = emit::yaml(&plan);
    let limit = crate::runbook::load::MAX_FILE_BYTES;
    if yaml.len() as u64 > limit {
        return Err(ImportError::new(
            format!(
                "the runbook would be {} bytes; stepwise runs runbooks of at most {limit} bytes (1 MiB)",
                yaml.len()
            ),
            "import the procedure in parts (split the document at its ## headings)",
        ));
    }
    let runbook = verify::verify(name, &yaml, &plan).map_err(|m| {
        let detail = match m {
            verify::Mismatch::Invalid(text) => text,
            verify::Mismatch::Differs(text) => text,
        };
        ImportError::new(
            format!(
                "bug: the runbook stepwise made from {name} does not read back as intended, so nothing was written:\n{detail}"
            ),
            "this is a bug in stepwise: please report it with the document attached",
        )
    })?;
    Ok(Imported { yaml, runbook })
}

/// The title for a document without a `#` heading: its file name, words
/// separated ("disk-full_runbook.md" → "Disk full runbook").
fn title_from_name(name: &str) -> String {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let words = stem
        .split(|c: char| c == '-' || c == '_' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) if name != "stdin" => first.to_uppercase().chain(chars).collect(),
        _ => "Imported procedure".to_owned(),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_from_file_names() {
        assert_eq!(title_from_name("disk-full_runbook.md"), "Disk full runbook");
        assert_eq!(title_from_name("stdin"), "Imported procedure");
        assert_eq!(title_from_name(".md"), "Imported procedure");
    }

    #[test]
    fn an_invalid_id_is_refused_with_a_suggestion() {
        let e = import(
            "x.md",
            b"# T\n\n1. a\n",
            &Options {
                id: Some("My Runbook".into()),
            },
        )
        .unwrap_err();
        assert!(e.help.contains("--id my-runbook"), "{e}");
    }

    #[test]
    fn a_document_without_steps_is_refused() {
        let e = import("x.md", b"# T\n\nJust prose.\n", &Options::default()).unwrap_err();
        assert!(e.message.contains("no numbered or bulleted"), "{e}");
        let e = import(
            "x.md",
            b"# T\n\n## Overview\n\n- a\n\n## Lessons\n\n- b\n",
            &Options::default(),
        )
        .unwrap_err();
        assert!(e.message.contains("follow-up"), "{e}");
    }

    #[test]
    fn the_same_document_gives_the_same_bytes() {
        let md = b"# T\n\n## A\n\n1. Deploy it\n\n```sh\necho \"$X\" <y>\n```\n";
        let a = import("a.md", md, &Options::default()).unwrap();
        let b = import("a.md", md, &Options::default()).unwrap();
        assert_eq!(a.yaml, b.yaml);
    }
}
