//! Inputs, environment maps and the shell: the parts of a runbook that turn
//! into environment variables and the command line around `run:`.

use super::super::check::{Checker, Field};
use super::super::diagnostic::ProblemKind;
use super::super::model::Input;
use super::super::node::{Node, Pos, Value};
use super::super::slug::{env_name_suggestion, is_the_shells, is_valid_env_name};
use super::keys::{INPUT_KEYS, misplaced};
use regex_automata::{MatchKind, meta, util::syntax};

/// Compiled patterns are capped so a hostile pattern cannot eat memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// `inputs:` — a mapping from variable name to settings. Returns the inputs
/// and where each name is written (to point at it from later problems).
pub fn inputs(ck: &mut Checker, f: Option<Field<'_>>) -> (Vec<Input>, Vec<Pos>) {
    let Some(f) = f else {
        return (Vec::new(), Vec::new());
    };
    let Value::Map(entries) = &f.value.value else {
        ck.wrong_type(
            f,
            "a mapping of input names to settings",
            "{ NAME: { default: x } }",
        );
        return (Vec::new(), Vec::new());
    };
    let mut inputs = Vec::with_capacity(entries.len());
    let mut places = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let Some(name) = variable_name(ck, key, "input") else {
            continue;
        };
        if !not_the_shells(ck, key, &name, "input") {
            continue;
        }
        inputs.push(input(ck, name, value));
        places.push(key.pos);
    }
    (inputs, places)
}

/// A name that becomes an environment variable (input, env key, capture).
pub fn variable_name(ck: &mut Checker, key: &Node, what: &str) -> Option<String> {
    let name = match &key.value {
        Value::Str(s) => s.clone(),
        other => ck
            .scalar_text(key)
            .unwrap_or_else(|| other.kind().to_owned()),
    };
    if is_valid_env_name(&name) {
        return Some(name);
    }
    let message = format!("`{name}` is not a valid {what} name");
    let help = match env_name_suggestion(&name) {
        Some(better) => format!(
            "{what} names become environment variables: letters, digits and `_`, not starting with a digit; for example `{better}`"
        ),
        None => format!(
            "{what} names become environment variables: letters, digits and `_`, not starting with a digit"
        ),
    };
    let p = ck.at(ProblemKind::InvalidName, key.pos, "invalid name", message);
    ck.push(p.with_help(help));
    None
}

/// Refuses an input or capture named like one of the shell's own
/// variables ([`is_the_shells`]); `true` when the name may be used.
pub fn not_the_shells(ck: &mut Checker, key: &Node, name: &str, what: &str) -> bool {
    if !is_the_shells(name) || ck.session_copy {
        return true;
    }
    let message =
        format!("`{name}` is a variable the shell or stepwise itself uses, not an {what} name");
    let help = format!(
        "{what}s reach every step as environment variables: `{name}` would replace the shell's own (an input `PATH` and no program is found); use another name, for example `{name}_VALUE` or `TARGET_{name}`"
    );
    let p = ck.at(
        ProblemKind::InvalidName,
        key.pos,
        "the shell's own variable",
        message,
    );
    ck.push(p.with_help(help));
    false
}

/// One input: a mapping of settings, nothing (all defaults), or a scalar
/// (short for `default:`).
fn input(ck: &mut Checker, name: String, node: &Node) -> Input {
    let mut input = Input {
        name,
        description: None,
        default: None,
        default_from: None,
        pattern: None,
        choices: Vec::new(),
        required: true,
        secret: false,
    };
    match &node.value {
        Value::Null => {}
        Value::Map(_) => settings(ck, node, &mut input),
        Value::Seq(_) => {
            let message = format!(
                "input `{}` must be a mapping of settings, found a list",
                input.name
            );
            let p = ck.at_line(
                ProblemKind::WrongType,
                node.pos,
                "expected a mapping",
                message,
            );
            ck.push(p.with_help(
                "write `NAME: { default: value }`, or `NAME: value` for just a default",
            ));
        }
        _ => input.default = ck.scalar_text(node),
    }
    input
}

fn settings(ck: &mut Checker, node: &Node, input: &mut Input) {
    let Some(f) = ck.fields(node, "input", INPUT_KEYS, misplaced) else {
        return;
    };
    input.description = ck.string(f.get("description"));
    input.default = ck.text(f.get("default"));
    input.default_from = ck.nonblank(f.get("default_from"));
    input.required = ck.boolean(f.get("required")).unwrap_or(true);
    input.secret = ck.boolean(f.get("secret")).unwrap_or(false);
    if let (Some(_), Some(from)) = (f.get("default"), f.get("default_from")) {
        let p = ck.at(
            ProblemKind::Conflict,
            from.key.pos,
            "second default",
            "an input has both `default` and `default_from`".into(),
        );
        ck.push(p.with_help("keep one: `default` is a fixed value, `default_from` a command whose output is the default"));
    }
    let pattern_field = f.get("pattern");
    input.pattern = ck.string(pattern_field);
    let regex = pattern_field.and_then(|pf| pattern(ck, pf, input.pattern.as_deref()?));
    if let (Some(re), Some(d), Some(df)) = (&regex, &input.default, f.get("default"))
        && !re.is_match(d)
    {
        let p = ck.at(
            ProblemKind::InvalidValue,
            df.value.pos,
            "does not match the pattern",
            format!("the default `{d}` does not match the input's `pattern`"),
        );
        ck.push(p.with_help("change the default, or the pattern (it must match the whole value)"));
    }
    choices(ck, f.get("choices"), f.get("default"), input);
}

/// Checks that a pattern compiles; returns it anchored to the whole value.
///
/// Compiled as `regex::Regex` would compile it (same syntax, size limit
/// and match semantics), but only the forward NFA and its PikeVM: no lazy
/// DFA, hence no reverse NFA, no one-pass DFA. The runbook's loader only
/// matches the default once, and each Unicode class (`\S`, `\w`) costs a
/// compiler hundreds of KiB to build: half of `stepwise validate`'s time
/// went there (docs/PERFORMANCE.md). The engine compiles the pattern
/// again, in full, to check what is typed.
fn pattern(ck: &mut Checker, f: Field<'_>, text: &str) -> Option<meta::Regex> {
    let anchored = format!("^(?:{text})$");
    let config = meta::Config::new()
        .match_kind(MatchKind::LeftmostFirst)
        .utf8_empty(true)
        .nfa_size_limit(Some(REGEX_SIZE_LIMIT))
        .hybrid(false)
        .dfa(false)
        .onepass(false)
        .backtrack(false);
    let built = meta::Builder::new()
        .configure(config)
        .syntax(syntax::Config::new().utf8(true))
        .build(&anchored);
    match built {
        Ok(re) => Some(re),
        Err(e) => {
            let why = regex_reason(&as_regex_error(&e), text);
            let p = ck.at(
                ProblemKind::InvalidPattern,
                f.value.pos,
                "invalid regular expression",
                format!("invalid `pattern`: {why}"),
            );
            ck.push(p.with_help("write a regular expression in Rust `regex` syntax; quote it with '…' so backslashes stay as written, e.g. '^v\\d+\\.\\d+\\.\\d+$'"));
            None
        }
    }
}

/// The error `regex::Regex` gives for the same failure (as the regex
/// crate maps it), so messages stay as they were.
fn as_regex_error(e: &meta::BuildError) -> regex::Error {
    match (e.size_limit(), e.syntax_error()) {
        (Some(limit), _) => regex::Error::CompiledTooBig(limit),
        (None, Some(syntax)) => regex::Error::Syntax(syntax.to_string()),
        (None, None) => regex::Error::Syntax(e.to_string()),
    }
}

/// The useful line of a regex error ("unclosed group"), without the
/// multi-line caret drawing.
fn regex_reason(e: &regex::Error, text: &str) -> String {
    match e {
        regex::Error::CompiledTooBig(_) => "the pattern is too large once compiled".into(),
        _ => {
            let full = e.to_string();
            let last = full
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            let reason = last.trim().trim_start_matches("error: ");
            format!("{reason} (in `{text}`)")
        }
    }
}

fn choices(ck: &mut Checker, f: Option<Field<'_>>, default: Option<Field<'_>>, input: &mut Input) {
    let Some(field) = f else { return };
    let Some(list) = ck.texts(f) else { return };
    if list.is_empty() {
        let p = ck.at_line(
            ProblemKind::InvalidValue,
            field.key.pos,
            "no choices",
            "`choices` is an empty list".into(),
        );
        ck.push(p.with_help(
            "list the allowed values, e.g. `choices: [staging, production]`, or remove `choices`",
        ));
        return;
    }
    if let (Some(d), Some(df)) = (&input.default, default)
        && !list.contains(d)
    {
        let message = format!("the default `{d}` is not one of the `choices`");
        let p = ck.at(
            ProblemKind::InvalidValue,
            df.value.pos,
            "not among the choices",
            message,
        );
        ck.push(p.with_help(format!("use one of: {}", list.join(", "))));
    }
    input.choices = list;
}

/// `env:` — variable names to values; numbers and booleans are kept as spelt.
pub fn env(ck: &mut Checker, f: Option<Field<'_>>) -> Vec<(String, String)> {
    let Some(f) = f else { return Vec::new() };
    let Value::Map(entries) = &f.value.value else {
        ck.wrong_type(
            f,
            "a mapping of variable names to values",
            "{ NAME: value }",
        );
        return Vec::new();
    };
    let mut out = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let Some(name) = variable_name(ck, key, "environment variable") else {
            continue;
        };
        match ck.scalar_text(value) {
            Some(text) => out.push((name, text)),
            None => env_value_type(ck, &name, value),
        }
    }
    out
}

fn env_value_type(ck: &mut Checker, name: &str, value: &Node) {
    let message = format!(
        "the value of `{name}` must be a string, found {}",
        value.value.kind()
    );
    let p = ck.at_line(
        ProblemKind::WrongType,
        value.pos,
        "expected a string",
        message,
    );
    ck.push(p.with_help(format!(
        "write `{name}: value`; for an empty value write `{name}: \"\"`"
    )));
}

/// `shell:` — a command line split on whitespace, or a list of arguments.
pub fn shell(ck: &mut Checker, f: Option<Field<'_>>) -> Option<Vec<String>> {
    let f = f?;
    let argv: Vec<String> = match &f.value.value {
        Value::Str(s) => s.split_whitespace().map(str::to_owned).collect(),
        Value::Seq(_) => ck.texts(Some(f))?,
        _ => {
            ck.wrong_type(
                f,
                "a command line or a list of arguments",
                "bash -eo pipefail -c",
            );
            return None;
        }
    };
    if argv.is_empty() || argv[0].trim().is_empty() {
        let p = ck.at_line(
            ProblemKind::Missing,
            f.key.pos,
            "no program",
            "`shell` names no program".into(),
        );
        ck.push(p.with_help("write the shell and its flags, e.g. `shell: bash -eo pipefail -c`; the command is passed as the last argument"));
        return None;
    }
    Some(argv)
}
