//! The document model to a `Plan`: the title, the parts under each heading
//! and what each becomes (steps, description text, follow-up items), then
//! ids and inputs. The rules are listed in docs/import.md.
//!
//! Decides structure only; the wording rules live in `heuristics.rs` and a
//! section's steps in `steps.rs`. Never formats YAML, never runs anything.

use super::doc::{self, Block, Document, Kind};
use super::heuristics::{self, PartKind};
use super::plan::{InputPlan, Plan, SectionPlan, StepPlan};
use super::steps::{self, Literal};
use crate::runbook::slug;
use std::collections::{HashMap, HashSet};

/// Why a document cannot become a runbook.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Nothing in it makes a step.
    NoSteps { lists_elsewhere: bool },
}

/// The text under one heading (or before the first heading).
struct Part<'a> {
    /// The section title: the heading, after its parents' (`A › B`).
    title: String,
    heading: Option<String>,
    line: usize,
    kind: PartKind,
    optional: bool,
    blocks: &'a [Block],
}

/// A part, turned into what it becomes.
enum Built {
    Section(SectionPlan),
    /// A part of steps that made none: its text.
    StepLess {
        heading: Option<String>,
        text: String,
    },
    Description {
        heading: Option<String>,
        text: String,
    },
    FollowUp {
        heading: Option<String>,
        line: usize,
        items: Vec<String>,
        notes: Vec<String>,
    },
}

/// Builds the plan; `fallback_title` names the runbook when the document
/// has no `#` heading.
pub fn plan(mut doc: Document, fallback_title: &str) -> Result<Plan, Refusal> {
    let title_at = doc
        .blocks
        .iter()
        .position(|b| matches!(b.kind, Kind::Heading { level: 1, .. }));
    let (title, title_from) = match title_at.map(|i| doc.blocks.remove(i)) {
        Some(Block {
            line,
            kind: Kind::Heading { text, .. },
        }) => (
            doc::collapse(&text.plain),
            format!("its first # heading (line {line})"),
        ),
        _ => (
            fallback_title.to_owned(),
            "its file name: it has no # heading".to_owned(),
        ),
    };
    let parts = parts(&doc, &title);
    let mut literals: Vec<Literal> = Vec::new();
    let mut built: Vec<Built> = Vec::new();
    for part in &parts {
        built.push(build_part(part, &mut literals));
    }
    let mut plan = Plan {
        title,
        title_from,
        ..Plan::default()
    };
    arrange(&mut plan, built);
    if plan.sections.is_empty() {
        let lists_elsewhere = doc
            .blocks
            .iter()
            .any(|b| matches!(b.kind, Kind::List { .. }));
        return Err(Refusal::NoSteps { lists_elsewhere });
    }
    assign_ids(&mut plan);
    plan.inputs = inputs(&plan, &literals);
    Ok(plan)
}

/// Splits the document (its title heading removed) at its headings; the
/// blocks before the first heading are a part named after the title.
fn parts<'a>(doc: &'a Document, title: &str) -> Vec<Part<'a>> {
    let heads: Vec<usize> = doc
        .blocks
        .iter()
        .enumerate()
        .filter(|(_, b)| matches!(b.kind, Kind::Heading { .. }))
        .map(|(i, _)| i)
        .collect();
    let mut parts = Vec::new();
    let preamble_end = heads.first().copied().unwrap_or(doc.blocks.len());
    if preamble_end > 0 {
        parts.push(Part {
            title: title.to_owned(),
            heading: None,
            line: 0,
            kind: PartKind::Steps,
            optional: false,
            blocks: &doc.blocks[..preamble_end],
        });
    }
    let mut parents: Vec<(u8, String, PartKind, bool)> = Vec::new();
    for (n, &at) in heads.iter().enumerate() {
        let Kind::Heading { level, text } = &doc.blocks[at].kind else {
            continue;
        };
        let end = heads.get(n + 1).copied().unwrap_or(doc.blocks.len());
        let line = doc.blocks[at].line;
        let name = match doc::collapse(&text.plain) {
            n if n.is_empty() => format!("Section at line {line}"),
            n => n,
        };
        while parents.last().is_some_and(|p| p.0 >= *level) {
            parents.pop();
        }
        let parent = parents.last();
        let inherited = parent
            .map(|p| p.2)
            .filter(|k| *k != PartKind::Steps)
            .unwrap_or(PartKind::Steps);
        let kind = heuristics::heading_kind(&name).unwrap_or(inherited);
        let optional = heuristics::is_optional_heading(&name) || parent.is_some_and(|p| p.3);
        let mut path: Vec<&str> = parents.iter().map(|p| p.1.as_str()).collect();
        path.push(&name);
        parts.push(Part {
            title: path.join(" › "),
            heading: Some(name.clone()),
            line,
            kind,
            optional,
            blocks: &doc.blocks[at + 1..end],
        });
        parents.push((*level, name, kind, optional));
    }
    parts
}

fn build_part(part: &Part, literals: &mut Vec<Literal>) -> Built {
    match part.kind {
        PartKind::Description => Built::Description {
            heading: part.heading.clone(),
            text: doc::render_blocks(part.blocks),
        },
        PartKind::FollowUp => follow_up(part),
        PartKind::Steps if is_future_work(part.blocks) => follow_up(part),
        PartKind::Steps => {
            let built = steps::section(part.blocks);
            literals.extend(built.literals);
            let description = built.description.join("\n\n");
            if built.steps.is_empty() {
                // Its text goes elsewhere: headed, so it still says what it is.
                let text = match &part.heading {
                    Some(h) if !description.is_empty() => format!("{h}:\n{description}"),
                    _ => description,
                };
                return Built::StepLess {
                    heading: part.heading.clone(),
                    text,
                };
            }
            Built::Section(SectionPlan {
                title: part.title.clone(),
                line: part.line,
                description: (!description.is_empty()).then_some(description),
                optional: part.optional,
                steps: built.steps,
            })
        }
    }
}

/// A part whose list items all read as future work, with no code to run.
fn is_future_work(blocks: &[Block]) -> bool {
    let mut items = 0;
    for block in blocks {
        match &block.kind {
            Kind::List { items: list, .. } => {
                for item in list {
                    if !heuristics::reads_as_future_work(&item.one_line()) {
                        return false;
                    }
                    items += 1;
                }
            }
            Kind::Code { lang, .. } if heuristics::shell(lang).is_some() => return false,
            _ => {}
        }
    }
    items > 0
}

fn follow_up(part: &Part) -> Built {
    let has_items = part
        .blocks
        .iter()
        .any(|b| matches!(b.kind, Kind::List { .. }));
    let (mut items, mut notes) = (Vec::new(), Vec::new());
    for block in part.blocks {
        match &block.kind {
            Kind::List { items: list, .. } => items.extend(list.iter().map(|i| i.one_line())),
            Kind::Paragraph(p) if !has_items => items.push(doc::collapse(&p.rich)),
            _ => notes.push(doc::render_block(block)),
        }
    }
    items.retain(|i| !i.trim().is_empty());
    Built::FollowUp {
        heading: part.heading.clone(),
        line: part.line,
        items,
        notes,
    }
}

/// Places every built part: sections in order; text of step-less parts
/// into the runbook's description when no section comes before or after
/// them, else into the next section's description; follow-up items last.
fn arrange(plan: &mut Plan, built: Vec<Built>) {
    let first = built.iter().position(|b| matches!(b, Built::Section(_)));
    let last = built.iter().rposition(|b| matches!(b, Built::Section(_)));
    let mut description: Vec<String> = Vec::new();
    let mut carried: Vec<String> = Vec::new();
    let source = |h: &Option<String>| match h {
        Some(h) => format!("\"{h}\""),
        None => "the text before the first heading".to_owned(),
    };
    for (i, part) in built.into_iter().enumerate() {
        let outside = first.is_none_or(|f| i < f) || last.is_none_or(|l| i > l);
        match part {
            Built::Section(mut section) => {
                if !carried.is_empty() {
                    let mut text = std::mem::take(&mut carried);
                    text.extend(section.description.take());
                    section.description = Some(text.join("\n\n"));
                }
                if section.line == 0 && first == Some(i) {
                    // The text before the first heading is the runbook's
                    // description even when items there make a section.
                    if let Some(d) = section.description.take() {
                        description.push(d);
                        plan.description_from.push(source(&None));
                    }
                }
                plan.sections.push(section);
            }
            Built::Description { heading, text } | Built::StepLess { heading, text }
                if !text.trim().is_empty() =>
            {
                if outside || heading.as_ref().is_some_and(|h| is_description_heading(h)) {
                    plan.description_from.push(source(&heading));
                    description.push(text);
                } else {
                    carried.push(text);
                }
            }
            Built::Description { .. } | Built::StepLess { .. } => {}
            Built::FollowUp {
                heading,
                line,
                items,
                notes,
            } => {
                let from = match &heading {
                    Some(h) => format!("From \"{h}\" (line {line}):"),
                    None => "From the text before the first heading:".to_owned(),
                };
                plan.follow_up_notes.push(from);
                plan.follow_up_from.push(source(&heading));
                plan.follow_up_notes
                    .extend(notes.iter().map(|n| format!("  {n}")));
                plan.follow_up.extend(items);
            }
        }
    }
    if !carried.is_empty() {
        description.extend(carried);
    }
    let text = description.join("\n\n");
    plan.description = (!text.trim().is_empty()).then_some(text);
}

fn is_description_heading(heading: &str) -> bool {
    heuristics::heading_kind(heading) == Some(PartKind::Description)
}

/// A slug of at most 64 characters, cut at a `-`.
fn short_slug(text: &str) -> String {
    let s = slug::slug(text);
    if s.len() <= slug::MAX_ID_LEN {
        return s;
    }
    let cut = &s[..slug::MAX_ID_LEN];
    match cut.rfind('-') {
        Some(i) if i > 0 => cut[..i].to_owned(),
        _ => cut.to_owned(),
    }
}

/// Step ids: the slug of the title, `step-N` when it has no ASCII letter or
/// digit, `-2`, `-3`… on a clash, in document order.
fn assign_ids(plan: &mut Plan) {
    plan.id = match short_slug(&plan.title) {
        s if s.is_empty() => "imported".to_owned(),
        s => s,
    };
    let mut taken: HashSet<String> = HashSet::new();
    // The next suffix to try for a base: a title repeated in every section
    // ("Notify affected parties") must not cost a scan of all the others.
    let mut next: HashMap<String, usize> = HashMap::new();
    let mut n = 0;
    for section in &mut plan.sections {
        for step in &mut section.steps {
            n += 1;
            let base = match short_slug(&step.title) {
                s if s.is_empty() => format!("step-{n}"),
                s => s,
            };
            let mut k = next.get(&base).copied().unwrap_or(1);
            let mut id = suffixed(&base, k);
            while taken.contains(&id) {
                k += 1;
                id = suffixed(&base, k);
            }
            next.insert(base, k + 1);
            taken.insert(id.clone());
            step.id = id;
        }
    }
}

/// `base` for the first, `base-2`, `base-3`… after, within 64 characters.
fn suffixed(base: &str, k: usize) -> String {
    if k <= 1 {
        return base.to_owned();
    }
    let suffix = format!("-{k}");
    let room = slug::MAX_ID_LEN - suffix.len();
    format!("{}{suffix}", &base[..base.len().min(room)])
}

/// Inputs: every variable a command reads that the document does not set
/// in the same block, and every variable a block of literal assignments
/// sets; defaults from the document's literal assignments.
fn inputs(plan: &Plan, literals: &[Literal]) -> Vec<InputPlan> {
    // In document order: the commands' reads and the settings blocks.
    let mut events: Vec<(usize, &str, Option<&StepPlan>, Option<&String>)> = Vec::new();
    for step in plan.steps() {
        for (name, placeholder) in &step.reads {
            events.push((step.line, name, Some(step), placeholder.as_ref()));
        }
    }
    for l in literals.iter().filter(|l| l.setting) {
        events.push((l.line, &l.name, None, None));
    }
    events.sort_by_key(|e| e.0);
    let mut readers: Vec<(String, Vec<&StepPlan>, Option<String>)> = Vec::new();
    for (_, name, step, placeholder) in events {
        let at = match readers.iter().position(|r| r.0 == name) {
            Some(at) => at,
            None => {
                readers.push((name.to_owned(), Vec::new(), None));
                readers.len() - 1
            }
        };
        let entry = &mut readers[at];
        if let Some(step) = step
            && !entry.1.iter().any(|s| s.id == step.id)
        {
            entry.1.push(step);
        }
        if entry.2.is_none() {
            entry.2 = placeholder.cloned();
        }
    }
    readers
        .into_iter()
        .map(|(name, steps, placeholder)| {
            let literal = literals
                .iter()
                .find(|l| l.name == name && !l.value.is_empty());
            let secret = heuristics::is_secret_name(&name);
            InputPlan {
                description: describe_input(&name, &steps, placeholder.as_deref(), literal, secret),
                // A secret's value is never copied into the runbook file.
                default: literal.filter(|_| !secret).map(|l| l.value.clone()),
                secret,
                name,
            }
        })
        .collect()
}

fn describe_input(
    name: &str,
    steps: &[&StepPlan],
    placeholder: Option<&str>,
    literal: Option<&Literal>,
    secret: bool,
) -> String {
    let mut text = String::new();
    if let Some(first) = steps.first() {
        let what = match placeholder {
            Some(p) => format!("The placeholder {p}"),
            None => format!("${name}"),
        };
        let where_ = match steps.len() {
            1 => format!("the command of step {}", first.id),
            n => format!("the commands of {n} steps, first {}", first.id),
        };
        text.push_str(&format!(
            "{what} in {where_} (line {} of the document).",
            first.line
        ));
    }
    if let Some(l) = literal {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&if secret {
            format!(
                "The document sets it (line {}); as a secret its value is not copied here: give it with {}.",
                l.line,
                crate::engine::inputs::how_to_give(name, true)
            )
        } else {
            format!(
                "The document sets it to {} (line {}); every command gets it.",
                l.value, l.line
            )
        });
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(md: &str) -> Document {
        super::super::parse::parse(md).unwrap()
    }

    fn ids(plan: &Plan) -> Vec<&str> {
        plan.steps().map(|s| s.id.as_str()).collect()
    }

    #[test]
    fn ids_are_unique_slugs_in_document_order() {
        let long = "word ".repeat(20);
        let md = format!(
            "# T\n\n## A\n\n1. Check it\n2. Check it\n3. 🚀\n4. Check it 2\n5. {long}\n6. {long}\n"
        );
        let plan = plan(doc(&md), "t").unwrap();
        let got = ids(&plan);
        assert_eq!(
            got[..4],
            ["check-it", "check-it-2", "step-3", "check-it-2-2"]
        );
        assert!(got[4].len() <= 64 && got[5].len() <= 64 && got[4] != got[5]);
        assert!(got[5].ends_with("-2"));
        assert_eq!(plan.id, "t");
    }

    #[test]
    fn a_title_repeated_thousands_of_times_stays_linear() {
        let md: String = (0..5000)
            .map(|_| "## S\n\n1. Notify the team\n\n")
            .collect();
        let plan = plan(doc(&md), "t").unwrap();
        assert_eq!(ids(&plan).last(), Some(&"notify-the-team-5000"));
    }

    #[test]
    fn parts_become_sections_description_or_follow_up() {
        let md = "# T\n\nIntro text.\n\n## Overview\n\nMore.\n\n## Fix\n\n1. Do it\n\n## Why\n\nBecause.\n\n## Then\n\n### Sub\n\n1. Again\n\n## Prevention\n\nTo avoid it:\n\n- Add alerts\n\n## Conclusion\n\nDone.\n";
        let plan = plan(doc(md), "t").unwrap();
        let titles: Vec<&str> = plan.sections.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["Fix", "Then › Sub"]);
        assert_eq!(
            plan.sections[1].description.as_deref(),
            Some("Why:\nBecause.")
        );
        assert_eq!(
            plan.description.as_deref(),
            Some("Intro text.\n\nMore.\n\nDone.")
        );
        assert_eq!(plan.follow_up, ["Add alerts"]);
        assert_eq!(
            plan.follow_up_notes,
            ["From \"Prevention\" (line 23):", "  To avoid it:"]
        );
    }

    #[test]
    fn items_there_without_a_heading_make_a_section_named_after_the_title() {
        let plan = plan(doc("# Restart\n\nWhen it hangs:\n\n1. Restart it\n"), "t").unwrap();
        assert_eq!(plan.sections[0].title, "Restart");
        assert_eq!(plan.description.as_deref(), Some("When it hangs:"));
        assert_eq!(plan.sections[0].description, None);
        let plan = plan_without_title();
        assert_eq!(plan.title, "From the file name");
    }

    fn plan_without_title() -> Plan {
        plan(doc("## A\n\n- x\n"), "From the file name").unwrap()
    }

    #[test]
    fn inputs_come_in_document_order_with_defaults_from_settings() {
        let md = "# T\n\n```sh\nexport B=2\nexport UNUSED=x\nexport API_TOKEN=abc\n```\n\n## S\n\nFirst:\n\n```sh\necho $A $B\n```\n\n```sh\nX=<x>; echo <a-b> $API_TOKEN $X\n```\n";
        let plan = plan(doc(md), "t").unwrap();
        let got: Vec<(&str, Option<&str>, bool)> = plan
            .inputs
            .iter()
            .map(|i| (i.name.as_str(), i.default.as_deref(), i.secret))
            .collect();
        assert_eq!(
            got,
            [
                ("B", Some("2"), false),
                ("UNUSED", Some("x"), false),
                ("API_TOKEN", None, true),
                ("A", None, false),
                ("A_B", None, false),
                ("X", None, false),
            ]
        );
        assert!(plan.inputs[2].description.contains("not copied"));
        assert!(
            plan.inputs[0].description.contains("sets it to 2 (line 3)"),
            "{}",
            plan.inputs[0].description
        );
    }
}
