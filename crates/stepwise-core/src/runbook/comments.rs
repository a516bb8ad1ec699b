//! A lint for `stepwise validate`: a `#` after text on a plain (unquoted)
//! scalar starts a YAML comment, so `- Posted in #ops` silently becomes
//! "Posted in". For the runbook's text fields (titles, descriptions,
//! instructions, checklist items) each such place is reported with its
//! line and column and the fix (quote the text). A warning, not an error:
//! the runbook still loads. Works on the source text line by line; it
//! never changes the runbook.

/// Keys whose values are prose a person reads.
const TEXT_KEYS: &[&str] = &["title", "description", "instructions", "checklist"];

/// One place where text is cut by a comment: 1-based line and column of
/// the `#`, and what was cut.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CutText {
    pub line: usize,
    pub column: usize,
    pub dropped: String,
}

/// Every `#` that ends the text of a plain scalar in a text field.
pub fn cut_by_comments(text: &str) -> Vec<CutText> {
    let mut found = Vec::new();
    // Keys with their value on the next lines: (indent, key).
    let mut parents: Vec<(usize, String)> = Vec::new();
    let mut block: Option<usize> = None;
    for (i, raw) in text.lines().enumerate() {
        let indent = raw.len() - raw.trim_start().len();
        let body = raw.trim_start();
        if let Some(b) = block {
            if body.is_empty() || indent > b {
                continue;
            }
            block = None;
        }
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        parents.retain(|(at, _)| *at < indent);
        let (item, at) = strip_dashes(body, indent);
        let (key, value, vat) = match split_key(item) {
            Some((k, v)) => (Some(k), v, at + item.len() - v.len()),
            None => (None, item, at),
        };
        if value.trim().is_empty() {
            if let Some(k) = key {
                parents.push((indent, k.to_string()));
            }
            continue;
        }
        if starts_block(value) {
            block = Some(indent);
            continue;
        }
        let field = key.or_else(|| parents.last().map(|(_, k)| k.as_str()));
        if !field.is_some_and(|k| TEXT_KEYS.contains(&k))
            || value.starts_with(['"', '\'', '[', '{'])
        {
            continue;
        }
        if let Some(pos) = comment_at(value) {
            found.push(CutText {
                line: i + 1,
                column: vat + pos + 1,
                dropped: value[pos..].to_string(),
            });
        }
    }
    found
}

/// `- - text` → `text`, and its column (0-based).
fn strip_dashes(body: &str, indent: usize) -> (&str, usize) {
    let mut s = body;
    let mut at = indent;
    while let Some(rest) = s.strip_prefix("- ") {
        let trimmed = rest.trim_start();
        at += s.len() - trimmed.len();
        s = trimmed;
    }
    (s, at)
}

/// `key: value` → (key, value); `None` when the line is not a mapping entry.
fn split_key(item: &str) -> Option<(&str, &str)> {
    let colon = item
        .find(": ")
        .or_else(|| item.ends_with(':').then(|| item.len() - 1))?;
    let key = &item[..colon];
    if key.is_empty() || key.contains(' ') || key.starts_with(['"', '\'']) {
        return None;
    }
    let value = item[colon + 1..].trim_start();
    Some((key, value))
}

/// `|`, `>-`, `|2` …: a block scalar starts (its lines are literal).
fn starts_block(value: &str) -> bool {
    let head = value.split(" #").next().unwrap_or("").trim();
    head.starts_with(['|', '>'])
        && head[1..]
            .chars()
            .all(|c| matches!(c, '-' | '+' | '0'..='9'))
}

/// Where a comment starts in a plain scalar's text: a `#` after a space,
/// with text before it.
fn comment_at(value: &str) -> Option<usize> {
    let bytes = value.as_bytes();
    (1..bytes.len())
        .find(|&i| bytes[i] == b'#' && matches!(bytes[i - 1], b' ' | b'\t'))
        .filter(|&i| !value[..i].trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_after_text_in_a_text_field_is_found() {
        let yaml = "title: Roll back # the old one\nsteps:\n  - title: Tell\n    checklist:\n      - Posted in #ops\n      - \"Quoted #fine\"\n    run: echo hi # a comment\n";
        let cut = cut_by_comments(yaml);
        assert_eq!(
            cut,
            vec![
                CutText {
                    line: 1,
                    column: 18,
                    dropped: "# the old one".into()
                },
                CutText {
                    line: 5,
                    column: 19,
                    dropped: "#ops".into()
                },
            ]
        );
    }

    #[test]
    fn block_scalars_and_whole_line_comments_are_left_alone() {
        let yaml = "instructions: |\n  Post in #ops\n  # not a comment\n# a comment\ndescription: >-\n  see #1\ntitle: a#b\n";
        assert!(
            cut_by_comments(yaml).is_empty(),
            "{:?}",
            cut_by_comments(yaml)
        );
    }
}
