//! One step: its fields, their defaults, and the rules that tie them
//! together (automation-only fields, captures, exit codes).

use super::super::check::{Checker, Field, Fields};
use super::super::diagnostic::ProblemKind;
use super::super::model::{NoteRule, OnFailure, Retry, Step};
use super::super::node::{Node, Pos, Value};
use super::super::slug::{did_you_mean, is_valid_id, slug};
use super::input::{env, variable_name};
use super::keys::{STEP_KEYS, misplaced};

const RETRY_KEYS: &[&str] = &["attempts", "delay"];

/// Keys that only mean something when the step has `run:`.
const AUTOMATED_ONLY: &[&str] = &[
    "confirm",
    "timeout",
    "retry",
    "on_failure",
    "expect_exit",
    "capture",
    "tty",
];

/// A step as built, with what the runbook-wide checks need to know.
pub struct BuiltStep {
    pub step: Step,
    /// Where the id comes from: the `id:` value, or the title it was derived from.
    pub id_pos: Pos,
    pub id_derived: bool,
    /// Where `capture:` is written, if present.
    pub capture_pos: Option<Pos>,
    /// Where `update:` (or its `channels:`) is written, if present.
    pub update_pos: Option<Pos>,
    /// The targets of `on:`, with where each is written.
    pub on_places: Vec<(String, Pos)>,
}

pub fn step(ck: &mut Checker, node: &Node) -> Option<BuiltStep> {
    let f = ck.fields(node, "step", STEP_KEYS, step_misplaced)?;
    let title = ck.nonblank(f.get("title"));
    if f.get("title").is_none() {
        let p = ck.at_line(
            ProblemKind::Missing,
            node.pos,
            "this step has no `title`",
            "missing step `title`".into(),
        );
        ck.push(p.with_help("add `title: <what this step does>`; every step needs a title"));
    }
    let (id, id_pos, id_derived) = step_id(ck, &f, title.as_deref());
    let run = ck.nonblank(f.get("run"));
    let update = super::channels::update(ck, &f);
    let on_places = super::fleet::on(ck, f.get("on"));
    let mut step = Step {
        id,
        title: title.unwrap_or_default(),
        instructions: ck.string(f.get("instructions")),
        confirm: ck.boolean(f.get("confirm")).unwrap_or(false),
        timeout: ck.duration(f.get("timeout")),
        retry: retry(ck, f.get("retry")),
        on_failure: choice(ck, f.get("on_failure"), ON_FAILURE).unwrap_or_default(),
        expect_exit: expect_exit(ck, f.get("expect_exit")).unwrap_or_else(|| vec![0]),
        capture: capture(ck, f.get("capture")),
        note: choice(ck, f.get("note"), NOTE).unwrap_or_default(),
        checklist: ck.texts(f.get("checklist")).unwrap_or_default(),
        env: env(ck, f.get("env")),
        working_dir: ck.nonblank(f.get("working_dir")),
        tty: ck.boolean(f.get("tty")).unwrap_or(false),
        run,
        update,
        on: on_places.iter().map(|(n, _)| n.clone()).collect(),
        rollout: super::fleet::rollout(ck, f.get("rollout")),
    };
    // A failed send never stops the session: shown, journalled, retryable.
    if step.is_update() {
        step.on_failure = OnFailure::Continue;
    }
    kind_rules(ck, &f, f.get("run").is_some());
    super::fleet::step_rules(ck, &f);
    let capture_pos = f.get("capture").map(|c| c.value.pos);
    let update_pos = f.get("channels").or(f.get("update")).map(|c| c.value.pos);
    Some(BuiltStep {
        step,
        id_pos,
        id_derived,
        capture_pos,
        update_pos,
        on_places,
    })
}

/// The explicit id, checked; or the slug of the title.
fn step_id(ck: &mut Checker, f: &Fields<'_>, title: Option<&str>) -> (String, Pos, bool) {
    if let Some(idf) = f.get("id") {
        let Some(id) = ck.scalar_text(idf.value) else {
            ck.wrong_type(idf, "a step id", "check-health");
            return (String::new(), idf.value.pos, false);
        };
        if !is_valid_id(&id) {
            let message = format!("`{id}` is not a valid step id");
            let p = ck.at(ProblemKind::InvalidId, idf.value.pos, "invalid id", message);
            ck.push(p.with_help(id_help(&id)));
        }
        return (id, idf.value.pos, false);
    }
    let title_pos = f.get("title").map_or(f.node.pos, |t| t.value.pos);
    let Some(title) = title else {
        return (String::new(), title_pos, true);
    };
    let id = slug(title);
    if id.is_empty() {
        let message = format!("cannot derive a step id from the title `{title}`");
        let p = ck.at(
            ProblemKind::InvalidId,
            title_pos,
            "no ASCII letters or digits",
            message,
        );
        ck.push(
            p.with_help("add an `id:` of lowercase letters, digits and `-`, e.g. `id: launch`"),
        );
    }
    (id, title_pos, true)
}

pub fn id_help(id: &str) -> String {
    let base = "use lowercase ASCII letters, digits, `-` and `_`, starting with a letter or digit, at most 64 characters";
    match slug(id) {
        s if s.is_empty() || s.len() > 64 => base.to_owned(),
        s => format!("{base}, e.g. `{s}`"),
    }
}

fn retry(ck: &mut Checker, f: Option<Field<'_>>) -> Retry {
    let Some(field) = f else {
        return Retry::default();
    };
    if !matches!(field.value.value, Value::Map(_)) {
        ck.wrong_type(field, "a mapping", "{ attempts: 3, delay: 5s }");
        return Retry::default();
    }
    let Some(rf) = ck.fields(field.value, "retry", RETRY_KEYS, |_| None) else {
        return Retry::default();
    };
    let delay = ck.duration(rf.get("delay")).unwrap_or_default();
    let attempts = rf.get("attempts").and_then(|af| {
        let n = ck.integer(Some(af))?;
        match u32::try_from(n) {
            Ok(n) if n >= 1 => Some(n),
            _ => {
                let message = format!("`retry.attempts` is {n}; a step runs at least once");
                let p = ck.at(ProblemKind::RetryAttempts, af.value.pos, "must be 1 or more", message);
                ck.push(p.with_help("`attempts` counts every run, the first included: write 1 or more (remove `retry` to run once)"));
                None
            }
        }
    });
    Retry {
        attempts: attempts.unwrap_or(1),
        delay,
    }
}

const ON_FAILURE: &[(&str, OnFailure)] = &[
    ("ask", OnFailure::Ask),
    ("abort", OnFailure::Abort),
    ("continue", OnFailure::Continue),
];

const NOTE: &[(&str, NoteRule)] = &[
    ("optional", NoteRule::Optional),
    ("required", NoteRule::Required),
];

/// One of a fixed set of words.
fn choice<T: Copy>(ck: &mut Checker, f: Option<Field<'_>>, allowed: &[(&str, T)]) -> Option<T> {
    let field = f?;
    let word = ck.string(f)?;
    if let Some((_, value)) = allowed.iter().find(|(w, _)| *w == word) {
        return Some(*value);
    }
    let names: Vec<&str> = allowed.iter().map(|(w, _)| *w).collect();
    let message = format!(
        "`{}` must be one of {}, found `{word}`",
        field.name,
        names.join(", ")
    );
    let help = match did_you_mean(&word, &names) {
        Some(near) => format!("did you mean `{near}`?"),
        None => format!("write one of: {}", names.join(", ")),
    };
    let p = ck.at(
        ProblemKind::InvalidValue,
        field.value.pos,
        "not an allowed value",
        message,
    );
    ck.push(p.with_help(help));
    None
}

/// An exit code, or a list of them, each 0 to 255.
fn expect_exit(ck: &mut Checker, f: Option<Field<'_>>) -> Option<Vec<i32>> {
    let field = f?;
    let items: Vec<&Node> = match &field.value.value {
        Value::Seq(items) => items.iter().collect(),
        _ => vec![field.value],
    };
    if items.is_empty() {
        let p = ck.at_line(
            ProblemKind::InvalidValue,
            field.key.pos,
            "no exit codes",
            "`expect_exit` is an empty list".into(),
        );
        ck.push(p.with_help("list the exit codes that count as success, e.g. `expect_exit: [0, 3]`, or remove the key (default 0)"));
        return None;
    }
    let codes: Vec<i32> = items.into_iter().filter_map(|n| exit_code(ck, n)).collect();
    Some(codes)
}

fn exit_code(ck: &mut Checker, node: &Node) -> Option<i32> {
    if let Value::Int(i) = node.value
        && (0..=255).contains(&i)
    {
        return i32::try_from(i).ok();
    }
    let found = match &node.value {
        Value::Int(i) => format!("{i}"),
        other => other.kind().to_owned(),
    };
    let message = format!("`expect_exit` takes exit codes from 0 to 255, found {found}");
    let p = ck.at(
        ProblemKind::InvalidValue,
        node.pos,
        "not an exit code",
        message,
    );
    ck.push(p.with_help("write whole numbers, e.g. `expect_exit: 0` or `expect_exit: [0, 1]`"));
    None
}

fn capture(ck: &mut Checker, f: Option<Field<'_>>) -> Option<String> {
    let field = f?;
    if !matches!(field.value.value, Value::Str(_)) {
        ck.wrong_type(field, "a variable name", "COMMIT_SHA");
        return None;
    }
    let name = variable_name(ck, field.value, "capture")?;
    super::input::not_the_shells(ck, field.value, &name, "capture").then_some(name)
}

/// Automation-only keys on a human step, and a checklist on an automated one.
fn kind_rules(ck: &mut Checker, f: &Fields<'_>, automated: bool) {
    if !automated {
        for key in AUTOMATED_ONLY {
            let Some(field) = f.get(key) else { continue };
            let message = format!("`{key}` only applies to automated steps (steps with `run:`)");
            let p = ck.at(
                ProblemKind::Conflict,
                field.key.pos,
                "needs `run:`",
                message,
            );
            ck.push(p.with_help(format!("add the command under `run:`, or remove `{key}`")));
        }
    } else if let Some(field) = f.get("checklist") {
        let message = "`checklist` only applies to human steps (steps without `run:`)".to_owned();
        let p = ck.at(
            ProblemKind::Conflict,
            field.key.pos,
            "ignored on an automated step",
            message,
        );
        ck.push(p.with_help("move the checklist to a separate human step, or remove `run:`"));
    }
}

/// Like [`misplaced`], knowing the key is on a step: a step's text is its
/// `instructions` (people reach for `description`, the other levels' key).
fn step_misplaced(key: &str) -> Option<String> {
    match key {
        "description" => Some(
            "a step's text goes in `instructions:` (`description` is for the runbook, \
             a section or an input)"
                .into(),
        ),
        _ => misplaced(key),
    }
}
