//! From a YAML tree to a validated `Runbook`, reporting every problem on
//! the way: the top level and sections here, inputs in `input.rs`, steps in
//! `step.rs`, and the checks that span the whole file (duplicate keys,
//! duplicate step ids, captures that collide with inputs).
//!
//! It never reads files and never stops at the first problem; the result is
//! only used when the `Checker` stays clean.

mod channels;
mod fleet;
mod input;
mod keys;
mod step;

use super::check::{Checker, Fields};
use super::diagnostic::ProblemKind;
use super::model::{FORMAT_VERSION, Input, Runbook, Section};
use super::node::{Node, Pos, Value};
use super::slug::{is_valid_id, slug};
use std::collections::HashMap;
use step::BuiltStep;

#[cfg(test)]
pub use keys::{INPUT_KEYS, STEP_KEYS};
pub use keys::{RUNBOOK_KEYS, SECTION_KEYS, misplaced};

/// Builds the runbook from the document root; problems go to `ck`.
pub fn runbook(ck: &mut Checker, root: &Node) -> Option<Runbook> {
    duplicate_keys(ck, root);
    let f = ck.fields(root, "runbook", RUNBOOK_KEYS, misplaced)?;
    version(ck, &f);
    let title = ck.nonblank(f.get("title"));
    if f.get("title").is_none() {
        let p = ck.at_line(
            ProblemKind::Missing,
            root.pos,
            "this runbook has no `title`",
            "missing runbook `title`".into(),
        );
        ck.push(p.with_help("add `title: <what this runbook is for>` at the top level"));
    }
    let id = runbook_id(ck, &f, title.as_deref());
    let (inputs, input_places) = input::inputs(ck, f.get("inputs"));
    let mut book = Runbook {
        id,
        title: title.unwrap_or_default(),
        description: ck.string(f.get("description")),
        inputs,
        env: input::env(ck, f.get("env")),
        working_dir: ck.nonblank(f.get("working_dir")),
        shell: input::shell(ck, f.get("shell")),
        transcript_dir: ck.nonblank(f.get("transcript_dir")),
        sections: Vec::new(),
        follow_up: ck.texts(f.get("follow_up")).unwrap_or_default(),
        channels: channels::channels(ck, f.get("channels")),
        cadence: None,
        targets: fleet::targets(ck, f.get("targets")),
    };
    let built = sections(ck, &f, root.pos, &mut book.sections);
    unique_ids(ck, &built);
    captures(ck, &built, &book.inputs, &input_places);
    book.cadence = channels::cadence(ck, f.get("updates"), &book.channels);
    for b in &built {
        if let (Some(u), Some(pos)) = (&b.step.update, b.update_pos) {
            channels::check_step_channels(ck, u, pos, &book.channels);
        }
    }
    let places = built
        .iter()
        .map(|b| (b.step.id.as_str(), b.on_places.as_slice()));
    fleet::known_targets(ck, places, &book.targets);
    Some(book)
}

fn version(ck: &mut Checker, f: &Fields<'_>) {
    let Some(v) = f.get("runbook") else {
        let p = ck.at_line(
            ProblemKind::Version,
            f.node.pos,
            "no `runbook:` version",
            "missing `runbook: 1`, the format version".into(),
        );
        ck.push(p.with_help("add `runbook: 1` as the first line of the file"));
        return;
    };
    let message = match &v.value.value {
        Value::Int(n) if u64::try_from(*n).ok() == Some(FORMAT_VERSION) => return,
        Value::Int(n) => format!(
            "unsupported runbook format version {n}; this stepwise reads version {FORMAT_VERSION}"
        ),
        Value::Str(s) => {
            format!("`runbook` must be the number {FORMAT_VERSION}, found the string `{s}`")
        }
        other => format!(
            "`runbook` must be the number {FORMAT_VERSION}, found {}",
            other.kind()
        ),
    };
    let p = ck.at(
        ProblemKind::Version,
        v.value.pos,
        "unsupported version",
        message,
    );
    ck.push(p.with_help(format!(
        "write `runbook: {FORMAT_VERSION}` (a plain number, no quotes)"
    )));
}

fn runbook_id(ck: &mut Checker, f: &Fields<'_>, title: Option<&str>) -> String {
    let Some(idf) = f.get("id") else {
        let suggestion = title.map(slug).filter(|s| !s.is_empty() && s.len() <= 64);
        let help = match suggestion {
            Some(s) => format!("add `id: {s}`: a short stable name, used in session and transcript file names"),
            None => "add `id: <short-name>`: a short stable name, used in session and transcript file names".into(),
        };
        let p = ck.at_line(
            ProblemKind::Missing,
            f.node.pos,
            "this runbook has no `id`",
            "missing runbook `id`".into(),
        );
        ck.push(p.with_help(help));
        return String::new();
    };
    let Some(id) = ck.scalar_text(idf.value) else {
        ck.wrong_type(idf, "a short name", "deployment-rollback");
        return String::new();
    };
    if !is_valid_id(&id) {
        let p = ck.at(
            ProblemKind::InvalidId,
            idf.value.pos,
            "invalid id",
            format!("`{id}` is not a valid runbook id"),
        );
        ck.push(p.with_help(step::id_help(&id)));
    }
    id
}

/// `sections:` — a non-empty list. Returns every step built, in order.
fn sections(ck: &mut Checker, f: &Fields<'_>, root: Pos, out: &mut Vec<Section>) -> Vec<BuiltStep> {
    let Some(sf) = f.get("sections") else {
        let p = ck.at_line(
            ProblemKind::Missing,
            root,
            "this runbook has no `sections`",
            "missing `sections`".into(),
        );
        ck.push(
            p.with_help("add `sections:` with a list of sections, each with a `title` and `steps`"),
        );
        return Vec::new();
    };
    let Value::Seq(items) = &sf.value.value else {
        ck.wrong_type(
            sf,
            "a list of sections",
            "[{ title: Checks, steps: [...] }]",
        );
        return Vec::new();
    };
    if items.is_empty() {
        let p = ck.at_line(
            ProblemKind::EmptySection,
            sf.key.pos,
            "no sections",
            "`sections` is an empty list".into(),
        );
        ck.push(p.with_help("add at least one section with a `title` and `steps`"));
    }
    let mut steps = Vec::new();
    for item in items {
        if let Some(section) = section(ck, item, &mut steps) {
            out.push(section);
        }
    }
    steps
}

fn section(ck: &mut Checker, node: &Node, all: &mut Vec<BuiltStep>) -> Option<Section> {
    let f = ck.fields(node, "section", SECTION_KEYS, misplaced)?;
    let title = ck.nonblank(f.get("title"));
    if f.get("title").is_none() {
        let p = ck.at_line(
            ProblemKind::Missing,
            node.pos,
            "this section has no `title`",
            "missing section `title`".into(),
        );
        ck.push(p.with_help("add `title: <name of this part of the procedure>`"));
    }
    let steps = section_steps(ck, &f, title.as_deref());
    let section = Section {
        title: title.unwrap_or_default(),
        description: ck.string(f.get("description")),
        optional: ck.boolean(f.get("optional")).unwrap_or(false),
        steps: steps.iter().map(|b| b.step.clone()).collect(),
    };
    all.extend(steps);
    Some(section)
}

fn section_steps(ck: &mut Checker, f: &Fields<'_>, title: Option<&str>) -> Vec<BuiltStep> {
    let name = title.map_or_else(|| "this section".to_owned(), |t| format!("section `{t}`"));
    let items = match f.get("steps") {
        Some(sf) => match &sf.value.value {
            Value::Seq(items) => items.as_slice(),
            _ => {
                ck.wrong_type(sf, "a list of steps", "[{ title: Check the logs }]");
                return Vec::new();
            }
        },
        None => &[],
    };
    if items.is_empty() {
        empty_section(ck, f, &name);
    }
    items
        .iter()
        .filter_map(|item| step::step(ck, item))
        .collect()
}

fn empty_section(ck: &mut Checker, f: &Fields<'_>, name: &str) {
    let pos = f.get("title").map_or(f.node.pos, |t| t.key.pos);
    let p = ck.at_line(
        ProblemKind::EmptySection,
        pos,
        "no steps",
        format!("{name} has no steps"),
    );
    ck.push(p.with_help("add at least one step under `steps:` (a `title`, and `run:` for a command), or remove the section"));
}

/// Step ids must be unique: resume and `--from` find steps by id.
fn unique_ids(ck: &mut Checker, steps: &[BuiltStep]) {
    let mut seen: HashMap<&str, &BuiltStep> = HashMap::new();
    for b in steps.iter().filter(|b| !b.step.id.is_empty()) {
        let Some(first) = seen.get(b.step.id.as_str()) else {
            seen.insert(&b.step.id, b);
            continue;
        };
        let id = &b.step.id;
        let src = ck.source().clone();
        let p = ck
            .at(
                ProblemKind::DuplicateId,
                b.id_pos,
                &id_label(b, "used again here"),
                format!("two steps have the id `{id}`"),
            )
            .with_label(
                &src,
                ck.span(first.id_pos),
                id_label(first, "first used here"),
            );
        ck.push(p.with_help("step ids must be unique (resume and `--from` use them): give one of these steps its own `id:`"));
    }
}

fn id_label(b: &BuiltStep, what: &str) -> String {
    if b.id_derived {
        format!("{what} (id `{}` derived from the title)", b.step.id)
    } else {
        what.to_owned()
    }
}

/// A capture must not overwrite an input: the operator's answer would be lost.
fn captures(ck: &mut Checker, steps: &[BuiltStep], inputs: &[Input], places: &[Pos]) {
    for b in steps {
        let (Some(name), Some(pos)) = (&b.step.capture, b.capture_pos) else {
            continue;
        };
        let Some(i) = inputs.iter().position(|input| &input.name == name) else {
            continue;
        };
        let src = ck.source().clone();
        let message = format!("`capture: {name}` would overwrite the input `{name}`");
        let mut p = ck.at(ProblemKind::CaptureCollision, pos, "captured here", message);
        if let Some(place) = places.get(i) {
            p = p.with_label(&src, ck.span(*place), "input declared here");
        }
        ck.push(p.with_help(format!("captures and inputs share one set of variables: rename the capture, e.g. `capture: {name}_OUTPUT`")));
    }
}

/// Duplicate keys anywhere in the document: YAML would silently keep only one.
fn duplicate_keys(ck: &mut Checker, node: &Node) {
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|n| duplicate_keys(ck, n)),
        Value::Map(entries) => {
            let mut seen: HashMap<String, Pos> = HashMap::new();
            for (key, value) in entries {
                let name = ck
                    .scalar_text(key)
                    .unwrap_or_else(|| format!("{:?}", key.value));
                match seen.get(&name) {
                    Some(first) => duplicate_key(ck, &name, *first, key.pos),
                    None => drop(seen.insert(name, key.pos)),
                }
                duplicate_keys(ck, value);
            }
        }
        _ => {}
    }
}

fn duplicate_key(ck: &mut Checker, name: &str, first: Pos, again: Pos) {
    let src = ck.source().clone();
    let p = ck
        .at(
            ProblemKind::DuplicateKey,
            again,
            "defined again here",
            format!("the key `{name}` appears twice in the same mapping"),
        )
        .with_label(&src, ck.span(first), "first defined here");
    ck.push(p.with_help(
        "keep one of them: YAML keeps only one value, so the other would be silently lost",
    ));
}
