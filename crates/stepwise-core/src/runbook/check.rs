//! The validator's toolbox: a `Checker` that collects problems with their
//! places, and typed readers of YAML fields that report a wrong type instead
//! of failing, so that one pass finds every problem.
//!
//! It knows YAML shapes (string, list, mapping…) but nothing of runbook
//! semantics; `build.rs` decides what each field means. It never panics on
//! input and never stops at the first problem.

use super::diagnostic::{Problem, ProblemKind, Source, Span};
use super::node::{Node, Pos, Value};
use super::slug::did_you_mean;
use miette::NamedSource;
use std::sync::Arc;
use std::time::Duration;

/// At most this many problems are reported for one file.
pub const MAX_PROBLEMS: usize = 50;

/// Collects the problems of one file.
pub struct Checker {
    source: Source,
    text: Arc<str>,
    problems: Vec<Problem>,
    /// A session's own copy, written by an older stepwise: rules added
    /// since for new runbooks only (a name the shell uses) are not applied.
    pub session_copy: bool,
}

/// One `key: value` entry of a mapping.
#[derive(Clone, Copy)]
pub struct Field<'a> {
    pub name: &'a str,
    pub key: &'a Node,
    pub value: &'a Node,
}

/// The entries of a mapping whose keys have been checked.
pub struct Fields<'a> {
    pub node: &'a Node,
    entries: Vec<Field<'a>>,
}

impl<'a> Fields<'a> {
    /// The first entry named `name`, unless its value is null (written but left empty).
    pub fn get(&self, name: &str) -> Option<Field<'a>> {
        self.entries
            .iter()
            .find(|f| f.name == name && f.value.value != Value::Null)
            .copied()
    }
}

impl Checker {
    pub fn new(name: &str, text: Arc<str>) -> Self {
        Checker {
            source: NamedSource::new(name, text.clone()),
            text,
            problems: Vec::new(),
            session_copy: false,
        }
    }

    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The problems found so far, capped at `MAX_PROBLEMS` plus a marker.
    pub fn into_problems(self) -> Vec<Problem> {
        let mut problems = self.problems;
        if problems.len() > MAX_PROBLEMS {
            let more = problems.len() - MAX_PROBLEMS;
            problems.sort_by_key(|p| (p.line.unwrap_or(0), p.column.unwrap_or(0)));
            problems.truncate(MAX_PROBLEMS);
            problems.push(
                Problem::new(
                    ProblemKind::TooManyProblems,
                    format!("{more} more problems were not shown"),
                )
                .with_help("fix the problems above, then validate again"),
            );
        }
        problems
    }

    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    pub fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// A problem labelled at `pos`.
    pub fn at(&self, kind: ProblemKind, pos: Pos, label: &str, message: String) -> Problem {
        Problem::new(kind, message).with_label(&self.source, self.span(pos), label)
    }

    /// Like `at`, but the label covers the rest of the line from `pos`.
    pub fn at_line(&self, kind: ProblemKind, pos: Pos, label: &str, message: String) -> Problem {
        Problem::new(kind, message).with_label(&self.source, self.line_span(pos), label)
    }

    /// The stretch of source a node occupies (at least one character).
    pub fn span(&self, pos: Pos) -> Span {
        let offset = pos
            .offset
            .filter(|o| self.text.is_char_boundary(*o))
            .unwrap_or_else(|| offset_of(&self.text, pos.line, pos.column));
        let len = match pos.len {
            Some(len) if len > 0 && self.text.is_char_boundary(offset + len) => len,
            _ => token_len(&self.text[offset..]),
        };
        Span {
            offset,
            len,
            line: pos.line,
            column: pos.column,
        }
    }

    /// From `pos` to the end of its line, trailing spaces and comments excluded.
    pub fn line_span(&self, pos: Pos) -> Span {
        let span = self.span(pos);
        let rest = &self.text[span.offset..];
        let line = rest.split(['\n', '\r']).next().unwrap_or("");
        let line = line.split(" #").next().unwrap_or(line).trim_end();
        Span {
            len: line.len().max(span.len.min(rest.len())),
            ..span
        }
    }

    /// Checks that `node` is a mapping whose keys are strings from `known`.
    /// `hint` may explain an unknown key that belongs somewhere else.
    pub fn fields<'a>(
        &mut self,
        node: &'a Node,
        what: &str,
        known: &[&str],
        hint: fn(&str) -> Option<String>,
    ) -> Option<Fields<'a>> {
        let Value::Map(entries) = &node.value else {
            let message = format!(
                "a {what} must be a mapping of `key: value`, found {}",
                node.value.kind()
            );
            let p = self.at_line(
                ProblemKind::WrongType,
                node.pos,
                "expected a mapping here",
                message,
            );
            self.push(p.with_help(format!(
                "write the {what} as indented `key: value` lines; its keys are: {}",
                known.join(", ")
            )));
            return None;
        };
        let mut fields = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            let Value::Str(name) = &key.value else {
                let p = self.at(
                    ProblemKind::WrongType,
                    key.pos,
                    "not a name",
                    format!("keys must be names, found {}", key.value.kind()),
                );
                self.push(p.with_help(format!("the keys of a {what} are: {}", known.join(", "))));
                continue;
            };
            if known.contains(&name.as_str()) {
                fields.push(Field { name, key, value });
            } else {
                self.unknown_key(key.pos, name, what, known, hint);
            }
        }
        Some(Fields {
            node,
            entries: fields,
        })
    }

    fn unknown_key(
        &mut self,
        pos: Pos,
        name: &str,
        what: &str,
        known: &[&str],
        hint: fn(&str) -> Option<String>,
    ) {
        let help = match (did_you_mean(name, known), hint(name)) {
            (Some(near), _) => format!("did you mean `{near}`?"),
            (None, Some(hint)) => hint,
            (None, None) => format!("the keys of a {what} are: {}", known.join(", ")),
        };
        let article = if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        let message = format!("unknown key `{name}` in {article} {what}");
        let p = self.at(ProblemKind::UnknownKey, pos, "unknown key", message);
        self.push(p.with_help(help));
    }

    /// Reports that a field holds the wrong kind of value. Scalars are
    /// labelled themselves; for lists and mappings the key is labelled.
    pub fn wrong_type(&mut self, f: Field<'_>, expected: &str, example: &str) {
        let found = f.value.value.kind();
        let message = format!("`{}` must be {expected}, found {found}", f.name);
        let (pos, label) = match f.value.value {
            Value::Seq(_) | Value::Map(_) => (f.key.pos, format!("this should be {expected}")),
            _ => (f.value.pos, format!("expected {expected}")),
        };
        let p = self.at(ProblemKind::WrongType, pos, &label, message);
        let help = match (&f.value.value, expected.starts_with("a string")) {
            // `run: true`, `version: 1.10`: YAML took text for a value.
            (Value::Bool(_) | Value::Int(_) | Value::Float(_), true) => {
                let shown = match &f.value.value {
                    Value::Bool(b) => b.to_string(),
                    Value::Int(i) => i.to_string(),
                    _ => "…".to_owned(),
                };
                format!(
                    "YAML reads this as {found}: quote it, `{}: \"{shown}\"`",
                    f.name
                )
            }
            _ => format!("write it as `{}: {example}`", f.name),
        };
        self.push(p.with_help(help));
    }

    /// A string field.
    pub fn string(&mut self, f: Option<Field<'_>>) -> Option<String> {
        let f = f?;
        match &f.value.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                self.wrong_type(f, "a string", "some text");
                None
            }
        }
    }

    /// A string field that must not be blank; `None` when absent.
    pub fn nonblank(&mut self, f: Option<Field<'_>>) -> Option<String> {
        let field = f?;
        let s = self.string(f)?;
        if s.trim().is_empty() {
            let message = format!("`{}` is empty", field.name);
            let p = self.at_line(ProblemKind::Missing, field.key.pos, "empty", message);
            self.push(p.with_help(format!(
                "write a value after `{}:`, or remove the key",
                field.name
            )));
            return None;
        }
        Some(s)
    }

    /// A scalar read as text: strings as written; numbers and booleans as spelt in the file.
    pub fn text(&mut self, f: Option<Field<'_>>) -> Option<String> {
        let f = f?;
        let text = self.scalar_text(f.value);
        if text.is_none() {
            self.wrong_type(f, "a string", "some text");
        }
        text
    }

    /// The text of a scalar node, or `None` for lists, mappings and null.
    pub fn scalar_text(&self, node: &Node) -> Option<String> {
        let shown = match &node.value {
            Value::Str(s) => return Some(s.clone()),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(x) => x.to_string(),
            Value::Null | Value::Seq(_) | Value::Map(_) => return None,
        };
        Some(self.spelling(node.pos).unwrap_or(shown))
    }

    /// The source text of a plain scalar at `pos` (keeps `1.10` and `0x1F` as written).
    fn spelling(&self, pos: Pos) -> Option<String> {
        let start = pos.offset?;
        let raw = self.text.get(start..start + pos.len?)?;
        let plain = !raw.is_empty() && !raw.starts_with(['*', '"', '\'', '!', '&']);
        plain.then(|| raw.trim().to_owned())
    }

    pub fn boolean(&mut self, f: Option<Field<'_>>) -> Option<bool> {
        let f = f?;
        match &f.value.value {
            Value::Bool(b) => Some(*b),
            Value::Str(word) if yaml11_bool(word).is_some() => {
                let meant = yaml11_bool(word).unwrap_or_default();
                let message = format!(
                    "`{}` must be true or false, found the word `{word}`",
                    f.name
                );
                let p = self.at(
                    ProblemKind::WrongType,
                    f.value.pos,
                    "expected true or false",
                    message,
                );
                self.push(p.with_help(format!(
                    "runbooks use YAML 1.2, where `{word}` is text: write `{}: {meant}`",
                    f.name
                )));
                None
            }
            _ => {
                self.wrong_type(f, "true or false", "true");
                None
            }
        }
    }

    pub fn integer(&mut self, f: Option<Field<'_>>) -> Option<i64> {
        let f = f?;
        match f.value.value {
            Value::Int(i) => Some(i),
            _ => {
                self.wrong_type(f, "a whole number", "3");
                None
            }
        }
    }

    /// A duration such as `30s`, `10m`, `1h30m`.
    pub fn duration(&mut self, f: Option<Field<'_>>) -> Option<Duration> {
        let f = f?;
        let text = match &f.value.value {
            Value::Str(s) => s.clone(),
            Value::Int(i) => {
                let message = format!("`{}: {i}` has no unit", f.name);
                let p = self.at(
                    ProblemKind::InvalidDuration,
                    f.value.pos,
                    "a number without a unit",
                    message,
                );
                self.push(p.with_help(format!(
                    "write the unit: `{}: {i}s` (units: h, m, s, ms)",
                    f.name
                )));
                return None;
            }
            _ => {
                self.wrong_type(f, "a duration", "30s");
                return None;
            }
        };
        match super::duration::parse(&text) {
            Ok(d) => Some(d),
            Err(why) => {
                let suggestion = duration_suggestion(&text);
                let message = match suggestion {
                    Some(_) => format!("invalid duration for `{}`: `{text}`", f.name),
                    None => format!("invalid duration for `{}`: {why}", f.name),
                };
                let help = match suggestion {
                    Some(better) => format!(
                        "write `{}: {better}` (units h, m, s, ms, largest first, no spaces)",
                        f.name
                    ),
                    None => "write a number and a unit, largest unit first: `30s`, `10m`, `1h30m`, `500ms`".into(),
                };
                let p = self.at(
                    ProblemKind::InvalidDuration,
                    f.value.pos,
                    "not a duration",
                    message,
                );
                self.push(p.with_help(help));
                None
            }
        }
    }

    /// A list of text items (numbers and booleans taken as spelt).
    pub fn texts(&mut self, f: Option<Field<'_>>) -> Option<Vec<String>> {
        let f = f?;
        let Value::Seq(items) = &f.value.value else {
            self.wrong_type(f, "a list", "[first, second]");
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match self.scalar_text(item) {
                Some(text) => out.push(text),
                None => self.list_item_type(f.name, item),
            }
        }
        Some(out)
    }

    fn list_item_type(&mut self, name: &str, item: &Node) {
        let message = format!(
            "items of `{name}` must be strings, found {}",
            item.value.kind()
        );
        let p = self.at_line(
            ProblemKind::WrongType,
            item.pos,
            "expected a string",
            message,
        );
        self.push(p.with_help(
            "write each item as text on its own `- ` line; quote it if it contains `: `",
        ));
    }
}

/// The YAML 1.1 spellings of booleans, which YAML 1.2 (and stepwise) reads as text.
fn yaml11_bool(word: &str) -> Option<bool> {
    match word.to_ascii_lowercase().as_str() {
        "yes" | "y" | "on" => Some(true),
        "no" | "n" | "off" => Some(false),
        _ => None,
    }
}

/// `10 minutes` → `10m`, `1 hour 30 mins` → `1h30m`, when that parses.
fn duration_suggestion(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut words = text.split_whitespace();
    while let Some(word) = words.next() {
        let digits: String = word.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() {
            return None;
        }
        let rest = match &word[digits.len()..] {
            "" => words.next()?,
            unit => unit,
        };
        let unit = match rest.to_ascii_lowercase().trim_end_matches(',') {
            "h" | "hr" | "hrs" | "hour" | "hours" => "h",
            "m" | "min" | "mins" | "minute" | "minutes" => "m",
            "s" | "sec" | "secs" | "second" | "seconds" => "s",
            "ms" | "millis" | "millisecond" | "milliseconds" => "ms",
            _ => return None,
        };
        out.push_str(&digits);
        out.push_str(unit);
    }
    super::duration::parse(&out).ok().map(|_| out)
}

/// Byte offset of a 1-based line and (character) column, clamped to the text.
pub fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for _ in 1..line.max(1) {
        match text[offset..].find('\n') {
            Some(i) => offset += i + 1,
            None => return text.len(),
        }
    }
    let rest = &text[offset..];
    let within = rest
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(rest.len(), |(i, _)| i);
    offset + within
}

/// Length of the token starting the text: up to whitespace or a YAML
/// indicator; at least one character unless the text is empty.
fn token_len(rest: &str) -> usize {
    let end = rest
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_whitespace() || matches!(c, ':' | ',' | ']' | '}' | '#'))
        .map_or(rest.len(), |(i, _)| i);
    if end == 0 {
        rest.chars().next().map_or(0, char::len_utf8)
    } else {
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_from_line_and_column() {
        let text = "ab\ncdé\nf";
        assert_eq!(offset_of(text, 1, 1), 0);
        assert_eq!(offset_of(text, 2, 3), 5);
        assert_eq!(offset_of(text, 3, 1), 8);
        assert_eq!(offset_of(text, 9, 9), text.len());
    }

    #[test]
    fn suggests_durations_from_words() {
        assert_eq!(duration_suggestion("10 minutes").as_deref(), Some("10m"));
        assert_eq!(
            duration_suggestion("1 hour 30 mins").as_deref(),
            Some("1h30m")
        );
        assert_eq!(duration_suggestion("5sec").as_deref(), Some("5s"));
        assert_eq!(duration_suggestion("forever"), None);
        assert_eq!(duration_suggestion("30 m 1 h"), None);
    }

    #[test]
    fn tokens_end_at_indicators() {
        assert_eq!(token_len("title: x"), 5);
        assert_eq!(token_len(":"), 1);
        assert_eq!(token_len("é"), 2);
        assert_eq!(token_len(""), 0);
    }
}
