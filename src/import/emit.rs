//! A `Plan` to commented YAML, written by hand rather than serialized, so
//! the file reads like one written by a person: a header saying where it
//! came from and what to review, comments where a step needs a look, ids
//! plain, text double-quoted (folded at spaces when long), commands and
//! multi-line text as literal blocks.
//!
//! Every string goes through `quoted` or `literal`, which never leave a
//! value YAML could read as something else (`yes`, `1.10`, `: `…); `verify`
//! re-reads the output with the project's loader to prove it. Output
//! depends only on the plan: same document, same bytes.

use super::plan::{InputPlan, Plan, SectionPlan, StepPlan};
use std::fmt::Write as _;

/// Column at which long double-quoted text and comments are folded.
const WIDTH: usize = 80;

/// The runbook file for a plan.
pub fn yaml(plan: &Plan) -> String {
    let mut out = String::with_capacity(4096 + plan.sections.len() * 1024);
    header(&mut out, plan);
    out.push_str("runbook: 1\n");
    let _ = writeln!(out, "id: {}", plain_or_quoted(&plan.id));
    field(&mut out, 0, "title", &plan.title);
    if let Some(d) = &plan.description {
        field(&mut out, 0, "description", d);
    }
    if !plan.inputs.is_empty() {
        out.push('\n');
        comment(
            &mut out,
            0,
            "Values the commands below read, as environment variables. stepwise asks at the start for those without a default (or give --var NAME=VALUE).",
        );
        out.push_str("inputs:\n");
        for input in &plan.inputs {
            self::input(&mut out, input);
        }
    }
    out.push_str("\nsections:\n");
    for (i, section) in plan.sections.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        self::section(&mut out, section);
    }
    if !plan.follow_up.is_empty() {
        out.push('\n');
        for note in &plan.follow_up_notes {
            comment(&mut out, 0, note);
        }
        out.push_str("follow_up:\n");
        for item in &plan.follow_up {
            list_item(&mut out, 2, item);
        }
    }
    out
}

fn header(out: &mut String, plan: &Plan) {
    let short = &plan.sha256[..plan.sha256.len().min(16)];
    let mut from = vec![format!("the title is {}", plan.title_from)];
    if !plan.description_from.is_empty() {
        from.push(format!(
            "the description comes from {}",
            join_and(&plan.description_from)
        ));
    }
    if !plan.follow_up.is_empty() {
        from.push(format!("follow_up from {}", join_and(&plan.follow_up_from)));
    }
    comment(
        out,
        0,
        &format!(
            "Imported by `stepwise import` from {} (SHA-256 {short}…): {}. Nothing in the document was run.",
            plan.source,
            from.join("; ")
        ),
    );
    out.push_str(
        "#
",
    );
    comment(out, 0, "Review before the first run:");
    let steps: Vec<&StepPlan> = plan.steps().collect();
    let automated = steps.iter().filter(|s| s.run.is_some()).count();
    let todo = steps.iter().filter(|s| s.automate).count();
    let human = steps.len() - automated;
    let mut review = vec![format!(
        "- Read each step's title and instructions ({}, {automated} automated).",
        count(human, "human step", "human steps")
    )];
    if todo > 0 {
        review.push(format!(
            "- Steps that could be automated are marked `# TODO: automate?` ({todo}): give them a `run:` command and a `timeout:`."
        ));
    }
    if automated > 0 {
        review.push(
            "- Automated steps run the document's shell code blocks (`$ ` prompts removed, <placeholders> made inputs): read each command. Each asks before it runs (`confirm: true`) until you remove that; add a `timeout:`."
                .to_owned(),
        );
    }
    if !plan.inputs.is_empty() {
        review.push(format!(
            "- {} found in the commands: check the descriptions, add defaults or a `pattern:`.",
            count(plan.inputs.len(), "input was", "inputs were")
        ));
    }
    review.push(
        "Then: `stepwise validate FILE` and `stepwise run FILE --dry-run`. The rules: docs/import.md."
            .to_owned(),
    );
    for line in review {
        comment(out, 0, &line);
    }
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn input(out: &mut String, input: &InputPlan) {
    let _ = writeln!(out, "  {}:", plain_key(&input.name));
    field(out, 4, "description", &input.description);
    if let Some(d) = &input.default {
        field(out, 4, "default", d);
    }
    if input.secret {
        comment(
            out,
            4,
            "its name says it is a secret: masked on screen and in every record",
        );
        out.push_str("    secret: true\n");
    }
}

fn section(out: &mut String, section: &SectionPlan) {
    if section.line > 0 {
        comment(
            out,
            2,
            &format!("From line {} of the document.", section.line),
        );
    }
    let _ = writeln!(out, "  - title: {}", quoted(&section.title, None));
    if let Some(d) = &section.description {
        field(out, 4, "description", d);
    }
    if section.optional {
        out.push_str("    optional: true\n");
    }
    out.push_str("    steps:\n");
    for (i, step) in section.steps.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        self::step(out, step);
    }
}

fn step(out: &mut String, step: &StepPlan) {
    for note in &step.notes {
        comment(out, 6, note);
    }
    let _ = writeln!(out, "      - id: {}", plain_or_quoted(&step.id));
    field(out, 8, "title", &step.title);
    if let Some(i) = &step.instructions {
        field(out, 8, "instructions", i);
    }
    if let Some(run) = &step.run {
        field_block(out, 8, "run", run);
        if step.confirm {
            out.push_str("        confirm: true\n");
        }
    }
    if !step.checklist.is_empty() {
        out.push_str("        checklist:\n");
        for item in &step.checklist {
            list_item(out, 10, item);
        }
    }
}

/// `key: value` at `indent`. Multi-line text: a literal block (when it can
/// hold the text exactly). One line: double-quoted when it fits within
/// `WIDTH` or is a title, else folded at spaces (`>-`, or double-quoted
/// when a folded block could not hold it exactly).
fn field(out: &mut String, indent: usize, key: &str, text: &str) {
    let pad = " ".repeat(indent);
    if text.contains('\n') && literal_ok(text) {
        return field_block(out, indent, key, text);
    }
    let one_line = quoted(text, None);
    let fits = indent + key.len() + 2 + one_line.chars().count() <= WIDTH;
    if fits || key == "title" {
        let _ = writeln!(out, "{pad}{key}: {one_line}");
    } else if folded_ok(text) {
        let _ = writeln!(out, "{pad}{key}: >-");
        for line in fold(text, WIDTH.saturating_sub(indent + 2).max(40)) {
            let _ = writeln!(out, "{pad}  {line}");
        }
    } else {
        let column = indent + key.len() + 2;
        let _ = writeln!(out, "{pad}{key}: {}", quoted(text, Some(column)));
    }
}

/// `key: |` and the text indented, or double-quoted when a literal block
/// could not hold the text exactly.
fn field_block(out: &mut String, indent: usize, key: &str, text: &str) {
    let pad = " ".repeat(indent);
    if !literal_ok(text) {
        let column = indent + key.len() + 2;
        let _ = writeln!(out, "{pad}{key}: {}", quoted(text, Some(column)));
        return;
    }
    let chomp = if text.ends_with('\n') { "" } else { "-" };
    let indicator = if text.starts_with(' ') { "2" } else { "" };
    let _ = writeln!(out, "{pad}{key}: |{indicator}{chomp}");
    for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{pad}  {line}");
        }
    }
}

/// Whether a folded block (`>-`) holds one line of text exactly when
/// broken at single spaces: no line break, tab or leading or trailing
/// white space, nothing YAML could take as a break.
fn folded_ok(text: &str) -> bool {
    !text.is_empty()
        && !text.contains([
            '\n', '\t', '\r', '\u{85}', '\u{2028}', '\u{2029}', '\u{feff}',
        ])
        && text.trim() == text
}

/// Lines of at most `width` characters (a longer word stays whole), broken
/// at single spaces between two non-spaces: folding them back with one
/// space each gives the text again.
fn fold(text: &str, width: usize) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut start = 0;
    for (i, _) in text.match_indices(' ') {
        let breakable =
            i > 0 && bytes[i - 1] != b' ' && bytes.get(i + 1).is_some_and(|b| *b != b' ');
        if !breakable {
            continue;
        }
        let word = &text[start..i];
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
            line.push_str(word);
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        start = i + 1;
    }
    let word = &text[start..];
    if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
        lines.push(std::mem::take(&mut line));
    }
    if !line.is_empty() {
        line.push(' ');
    }
    line.push_str(word);
    lines.push(line);
    lines
}

fn list_item(out: &mut String, indent: usize, text: &str) {
    let pad = " ".repeat(indent);
    let _ = writeln!(out, "{pad}- {}", quoted(text, Some(indent + 2)));
}

/// Whether a literal block scalar holds `text` exactly: no line ends in
/// white space or starts with a tab, it does not start with a line break
/// or end with more than one, and it holds no character YAML could take as
/// a break or a byte order mark. Substring searches (memchr-fast): a long
/// text is checked in a fraction of a millisecond.
fn literal_ok(text: &str) -> bool {
    let body = text.strip_suffix('\n').unwrap_or(text);
    !body.is_empty()
        && !text.starts_with(['\n', '\t'])
        && !body.ends_with(['\n', ' ', '\t'])
        && !text.contains('\r')
        && ![
            " \n", "\t\n", "\n\t", "\u{85}", "\u{2028}", "\u{2029}", "\u{feff}",
        ]
        .iter()
        .any(|p| body.contains(p))
}

/// A double-quoted YAML string. With a `column` (where it starts), folded
/// at single spaces to stay within `WIDTH`, continuation lines indented to
/// that column (at most `WIDTH - 16`); without, on one line.
fn quoted(text: &str, column: Option<usize>) -> String {
    let escaped = escape(text);
    let Some(column) = column else {
        return format!("\"{escaped}\"");
    };
    let indent = column.min(WIDTH - 16);
    let mut out = String::with_capacity(escaped.len() + 8);
    out.push('"');
    let mut line_len = column + 1;
    let bytes = escaped.as_bytes();
    let mut start = 0;
    // Break points: single spaces between two non-spaces, not after `\`.
    for (i, _) in escaped.match_indices(' ') {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i + 1).copied();
        let breakable =
            before.is_some_and(|b| b != b' ' && b != b'\\') && after.is_some_and(|a| a != b' ');
        if !breakable {
            continue;
        }
        let word = &escaped[start..i];
        let next_end = escaped[i + 1..]
            .find(' ')
            .map_or(escaped.len(), |j| i + 1 + j);
        out.push_str(word);
        line_len += word.chars().count();
        let next_len = escaped[i + 1..next_end].chars().count();
        if line_len + 1 + next_len > WIDTH && line_len > indent + 8 {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            line_len = indent;
        } else {
            out.push(' ');
            line_len += 1;
        }
        start = i + 1;
    }
    out.push_str(&escaped[start..]);
    out.push('"');
    out
}

/// Escapes for a double-quoted YAML scalar.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Words YAML (1.1 or 1.2) could read as a boolean or null.
const RESERVED: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];

/// An id written plain when nothing could misread it (starts with a
/// letter, not a reserved word), else double-quoted.
fn plain_or_quoted(id: &str) -> String {
    let plain = id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && !RESERVED.contains(&id);
    if plain {
        id.to_owned()
    } else {
        quoted(id, None)
    }
}

/// An input name as a mapping key.
fn plain_key(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if RESERVED.contains(&lower.as_str()) || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        format!("\"{name}\"")
    } else {
        name.to_owned()
    }
}

/// A comment at `indent`, folded at `WIDTH`; line breaks become spaces.
/// Leading spaces are kept; a text starting with "- " hangs its
/// continuation lines under the item's text.
fn comment(out: &mut String, indent: usize, text: &str) {
    let pad = " ".repeat(indent);
    let lead = " ".repeat(text.len() - text.trim_start().len());
    let hang = if text.trim_start().starts_with("- ") {
        "  "
    } else {
        ""
    };
    let mut first = true;
    let mut line = String::new();
    let emit = |out: &mut String, line: &str, first: &mut bool| {
        let extra = if *first { "" } else { hang };
        let _ = writeln!(out, "{pad}# {lead}{extra}{line}");
        *first = false;
    };
    for word in text.split_whitespace() {
        let used = pad.len() + 2 + lead.len() + if first { 0 } else { hang.len() };
        if !line.is_empty() && used + line.chars().count() + 1 + word.chars().count() > WIDTH {
            emit(out, &line, &mut first);
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if line.is_empty() {
        let _ = writeln!(out, "{pad}#");
    } else {
        emit(out, &line, &mut first);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_and_folds_at_single_spaces() {
        assert_eq!(quoted("yes", None), "\"yes\"");
        assert_eq!(
            quoted("a \"b\" \\ c\td", None),
            "\"a \\\"b\\\" \\\\ c\\td\""
        );
        let long = "word ".repeat(30);
        assert_eq!(quoted(long.trim(), None).lines().count(), 1);
        let folded = quoted(long.trim(), Some(10));
        assert!(folded.lines().count() > 1);
        assert!(folded.lines().all(|l| l.chars().count() <= WIDTH));
        assert!(
            folded
                .lines()
                .skip(1)
                .all(|l| l.starts_with("          word"))
        );
        assert_eq!(
            quoted("a  b", Some(78)),
            "\"a  b\"",
            "double spaces are never a fold"
        );
    }

    #[test]
    fn literal_blocks_only_where_exact() {
        assert!(literal_ok("a\nb"));
        assert!(literal_ok("a\n  b\n"));
        assert!(!literal_ok("a \nb"));
        assert!(!literal_ok("\na"));
        assert!(!literal_ok("a\n\n"));
        assert!(!literal_ok("a\n\tb"));
        assert!(!literal_ok("a\nb "));
        assert!(!literal_ok("a\t\nb"));
        assert!(literal_ok("a\tb\nc"));
        let mut out = String::new();
        field_block(&mut out, 2, "run", "  indented\nnext");
        assert_eq!(out, "  run: |2-\n      indented\n    next\n");
    }

    #[test]
    fn folding_breaks_only_at_single_spaces() {
        let text = format!("{} x  y {}", "a".repeat(50), "b".repeat(100));
        let lines = fold(&text, 40);
        assert_eq!(lines, [&"a".repeat(50), "x  y", &"b".repeat(100)]);
        assert_eq!(fold("one", 40), ["one"]);
        assert!(folded_ok("plain text"));
        assert!(!folded_ok(" leading"));
        assert!(!folded_ok("a\nb"));
    }

    #[test]
    fn ids_and_keys_that_could_be_misread_are_quoted() {
        assert_eq!(plain_or_quoted("deploy-it"), "deploy-it");
        assert_eq!(plain_or_quoted("2024"), "\"2024\"");
        assert_eq!(plain_or_quoted("no"), "\"no\"");
        assert_eq!(plain_key("NO"), "\"NO\"");
        assert_eq!(plain_key("NAMESPACE"), "NAMESPACE");
    }

    #[test]
    fn comments_fold_and_never_break_lines_of_yaml() {
        let mut out = String::new();
        comment(&mut out, 4, &"word ".repeat(40));
        assert!(
            out.lines()
                .all(|l| l.starts_with("    # ") && l.len() <= WIDTH)
        );
        let mut out = String::new();
        comment(&mut out, 0, "two\nlines");
        assert_eq!(out, "# two lines\n");
        let mut out = String::new();
        comment(&mut out, 0, &format!("- {}", "word ".repeat(20)));
        assert!(out.lines().nth(1).unwrap().starts_with("#   word"), "{out}");
    }
}
