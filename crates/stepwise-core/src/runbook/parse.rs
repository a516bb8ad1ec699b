//! YAML text to a `Node` tree, under a budget, on a thread with a known
//! stack.
//!
//! The budget (nesting depth, alias expansion, node and event counts) keeps
//! hostile input from hanging the parser or exhausting memory. Parsing runs on
//! its own thread with a generous stack because serde's recursive descent uses
//! a lot of stack per level in debug builds: 64 levels would overflow the
//! 2 MiB stack of a test or tokio worker thread. On the main thread with the
//! usual 8 MiB stack limit it runs in place. A panic in the parser is
//! caught and reported as a problem; this module must never let one
//! escape, and never interprets runbook semantics.

use super::check::Checker;
use super::diagnostic::{Problem, ProblemKind};
use super::node::{Node, Pos};
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{DuplicateKeyPolicy, Error as YamlError, NonFiniteFloatPolicy, Options};

/// Deepest nesting of lists and mappings accepted.
pub const MAX_DEPTH: usize = 64;

/// Stack for the parser thread. 64 levels need 2 to 4 MiB in a debug build;
/// this leaves a wide margin and costs only address space.
const PARSE_STACK_BYTES: usize = 32 * 1024 * 1024;

/// Why the text is not a YAML tree, with the place when known.
pub struct Failure {
    kind: ProblemKind,
    message: String,
    help: String,
    place: Option<(usize, usize)>,
}

impl Failure {
    pub fn into_problem(self, ck: &Checker) -> Problem {
        let Some((line, column)) = self.place else {
            return Problem::new(self.kind, self.message).with_help(self.help);
        };
        let pos = Pos {
            line,
            column,
            offset: None,
            len: None,
        };
        let label = match self.kind {
            ProblemKind::TooDeep => "too deep",
            ProblemKind::AliasBomb => "expanded too often",
            _ => "here",
        };
        ck.at(self.kind, pos, label, self.message)
            .with_help(self.help)
    }
}

/// Parses one YAML document into a tree with positions.
pub fn parse(text: &str) -> Result<Node, Failure> {
    let run = || {
        serde_saphyr::from_str_with_options::<Node>(text, options())
            .map_err(|e| failure(&e).unclosed_above(text))
    };
    if on_a_big_stack() {
        // No thread to start: a quarter of a millisecond of `stepwise
        // validate` (a thread, its stack, a new malloc arena).
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run));
        return caught.unwrap_or_else(|_| Err(parser_panicked()));
    }
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("yaml-parse".into())
            .stack_size(PARSE_STACK_BYTES)
            .spawn_scoped(scope, run);
        match spawned {
            Ok(handle) => handle.join().unwrap_or_else(|_| Err(parser_panicked())),
            // No thread to be had: parse here, on whatever stack we have.
            Err(_) => run(),
        }
    })
}

/// Whether this is the process's main thread with a stack limit of at
/// least a quarter of the parser thread's: room for [`MAX_DEPTH`] levels
/// even in a debug build. Test threads and tokio workers (2 MiB) are not.
fn on_a_big_stack() -> bool {
    use nix::sys::resource::{Resource, getrlimit};
    let main = std::thread::current().name() == Some("main");
    let enough = (PARSE_STACK_BYTES / 4) as u64;
    main && getrlimit(Resource::RLIMIT_STACK).is_ok_and(|(soft, _)| soft >= enough)
}

fn parser_panicked() -> Failure {
    Failure {
        kind: ProblemKind::Syntax,
        message: "the YAML parser failed on this file (an internal error)".into(),
        help: "please report this file to the stepwise maintainers; meanwhile simplify the YAML"
            .into(),
        place: None,
    }
}

/// Parser settings: a budget against hostile input, duplicate keys passed
/// through (the validator reports them, pointing at both), YAML 1.2
/// booleans only, so `yes`/`no`/`on`/`off` stay strings, and no tags
/// beyond the standard ones (`!!binary` is kept as the text it is).
fn options() -> Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_aliases: 1_000,
            max_anchors: 1_000,
            max_nodes: 100_000,
            max_events: 250_000,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 10_000,
            max_replay_stack_depth: 16,
            max_alias_expansions_per_anchor: 1_000,
        },
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
        strict_booleans: true,
        // Tags are refused rather than silently applied or ignored: a
        // `!!binary` command would hide what runs from a reviewer, and a
        // `!custom` tag means the author expected a meaning stepwise lacks.
        reject_unsupported_tags: true,
        ignore_binary_tag_for_string: true,
        non_finite_float_policy: NonFiniteFloatPolicy::AsString,
        with_snippet: false,
    }
}

fn failure(err: &YamlError) -> Failure {
    let inner = innermost(err);
    let (kind, message, help) = classify(inner);
    let place = err
        .location()
        .or_else(|| inner.location())
        .map(|loc| (loc.line() as usize, loc.column() as usize));
    Failure {
        kind,
        message,
        help,
        place,
    }
}

impl Failure {
    /// A syntax error reported at the line after one that opens a flow
    /// list or mapping (`tags: [a, b`) and never closes it: the parser
    /// only notices on the next line, so the problem is moved to the
    /// opening bracket and named.
    fn unclosed_above(mut self, text: &str) -> Failure {
        let Some((line, _)) = self.place.filter(|_| self.kind == ProblemKind::Syntax) else {
            return self;
        };
        let lines: Vec<&str> = text.lines().take(line.saturating_sub(1)).collect();
        let before = lines
            .into_iter()
            .enumerate()
            .rev()
            .find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
        let Some((at, l)) = before else { return self };
        // A flow list may go on over lines deeper in; a line no deeper
        // than the opener's starts something new, which the open bracket
        // swallowed.
        let indent = |t: &str| t.len() - t.trim_start().len();
        let next = text.lines().nth(line.saturating_sub(1)).unwrap_or("");
        if indent(next) > indent(l) {
            return self;
        }
        if let Some((column, open)) = unclosed_flow(l) {
            let close = if open == '[' { ']' } else { '}' };
            let parser = std::mem::take(&mut self.message);
            self.message = format!("this `{open}` is not closed on its line (no `{close}`)");
            self.help = format!(
                "close it with `{close}` at the end of the value, or quote the value if the `{open}` is text (the YAML parser said, on the next line: {parser})"
            );
            self.place = Some((at + 1, column));
        }
        self
    }
}

/// A line of the form `key: [a, b` or `- {x: 1`: a value that opens a flow
/// list or mapping and leaves it open (brackets inside quotes do not
/// count). The 1-based column of the first bracket left open, and which.
fn unclosed_flow(line: &str) -> Option<(usize, char)> {
    let body = line.trim_start().trim_start_matches("- ");
    let value = body.split_once(": ").map_or(body, |(_, v)| v).trim_start();
    if !value.starts_with(['[', '{']) {
        return None;
    }
    let start = line.len() - value.len();
    let mut open = Vec::new();
    let mut quote = None;
    for (i, c) in value.char_indices() {
        // A quote opens a quoted scalar only where a scalar starts (after
        // `[`, `{`, `,` or `:`): `don't` is plain text.
        let starts = value[..i].trim_end().ends_with(['[', '{', ',', ':']);
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') if starts => quote = Some(c),
            (None, '#') if value[..i].ends_with(' ') => break,
            (None, '[' | '{') => open.push((start + i, c)),
            (None, ']' | '}') => {
                open.pop();
            }
            _ => {}
        }
    }
    let (byte, c) = *open.first()?;
    Some((line[..byte].chars().count() + 1, c))
}

fn innermost(err: &YamlError) -> &YamlError {
    match err.without_snippet() {
        YamlError::AliasError { error, .. } => innermost(error),
        other => other,
    }
}

fn classify(err: &YamlError) -> (ProblemKind, String, String) {
    use ProblemKind::*;
    match err {
        YamlError::Budget { breach: BudgetBreach::Depth { .. }, .. } => (
            TooDeep,
            format!("lists and mappings are nested more than {MAX_DEPTH} levels deep"),
            "a runbook needs only a few levels; look for runaway indentation or unclosed brackets".into(),
        ),
        YamlError::Budget { breach, .. } => (
            TooComplex,
            format!("the YAML is too large or complex to accept ({})", breach_words(breach)),
            "a runbook is a short procedure: simplify it, or split it into several runbooks".into(),
        ),
        YamlError::AliasReplayLimitExceeded { .. }
        | YamlError::AliasExpansionLimitExceeded { .. }
        | YamlError::AliasReplayStackDepthExceeded { .. }
        | YamlError::AliasReplayCounterOverflow { .. } => (
            AliasBomb,
            "aliases expand to far too much data (a \"billion laughs\" pattern); refused".into(),
            "write the values out, or use anchors (`&name`) and aliases (`*name`) only a few times".into(),
        ),
        YamlError::MultipleDocuments { .. } => (
            MultipleDocuments,
            "the file holds more than one YAML document (a second `---`)".into(),
            "keep one runbook per file: remove the `---` line and what follows, or move it to its own file".into(),
        ),
        // The scanner's own guard against deep flow nesting (`[[[[…`) fires
        // before the budget's depth check does.
        other if other.to_string().contains("recursion limit") => (
            TooDeep,
            format!("lists and mappings are nested more than {MAX_DEPTH} levels deep"),
            "a runbook needs only a few levels; look for runaway indentation or unclosed brackets".into(),
        ),
        other => (Syntax, format!("invalid YAML: {}", strip_location(&other.to_string())), syntax_help()),
    }
}

fn breach_words(breach: &BudgetBreach) -> String {
    match breach {
        BudgetBreach::Aliases { aliases } => format!("{aliases} aliases"),
        BudgetBreach::Anchors { anchors } => format!("{anchors} anchors"),
        BudgetBreach::Nodes { nodes } => format!("{nodes} values"),
        BudgetBreach::Events { events } => format!("{events} parser events"),
        other => format!("{other:?}"),
    }
}

fn syntax_help() -> String {
    "check the indentation (spaces, not tabs) and the quoting on this line or the line before; a value containing `: ` or starting with `*`, `&`, `[`, `{` or `%` needs quotes".into()
}

/// The parser's message without its trailing " at line N, column M".
fn strip_location(text: &str) -> &str {
    text.find(" at line ").map_or(text, |i| &text[..i])
}
