//! How a driver is chosen and how headless answers are given: `--answer`
//! parsed and checked against the runbook's step ids, `--yes`, and whether
//! there is a screen at all.

use super::options::DriveOptions;
use crate::headless::{self, Answers};
use crate::outcome::Failure;
use crate::runbook::model::Runbook;
use std::collections::HashMap;
use std::io::IsTerminal;

pub fn answers(args: &DriveOptions, ask_stdin: bool) -> Result<Answers, Failure> {
    let mut by_step = HashMap::new();
    for a in &args.answers {
        let (step, ans) = headless::parse_answer(a).map_err(Failure::usage)?;
        by_step.insert(step, ans);
    }
    Ok(Answers {
        yes: args.yes,
        yes_note: args.yes_note.clone(),
        by_step,
        ask_stdin,
    })
}

/// Refuses `--answer` for a step the runbook does not have, and a second
/// answer for one step (it would replace the first): a typo would
/// otherwise surface as a mysterious wait for a human).
pub fn check_answers(runbook: &Runbook, args: &DriveOptions) -> Result<(), Failure> {
    let mut answered = std::collections::HashSet::new();
    for a in &args.answers {
        let (step, _) = headless::parse_answer(a).map_err(Failure::usage)?;
        // One decision per step: a second would silently replace the first.
        if !answered.insert(step.clone()) {
            return Err(Failure::usage(format!(
                "--answer {a}: step `{step}` has an answer already; give one answer per step \
                 (resume with the next one if it asks again)"
            )));
        }
        if runbook.step(&step).is_none() {
            let ids: Vec<&str> = runbook.steps().map(|(_, s)| s.id.as_str()).collect();
            return Err(Failure::usage(format!(
                "--answer {a}: the runbook has no step `{step}`. Step ids: {}",
                ids.join(", ")
            )));
        }
    }
    check_limit(runbook, args)
}

/// Refuses a `--limit` host that no target lists, when every target lists
/// its hosts (`hosts_from` prints them only when a step starts): a typo
/// would otherwise leave a host silently out, or a step with no host.
fn check_limit(runbook: &Runbook, args: &DriveOptions) -> Result<(), Failure> {
    let Some(limit) = &args.limit else {
        return Ok(());
    };
    if runbook.targets.iter().any(|t| t.hosts_from.is_some()) {
        return Ok(());
    }
    let known: Vec<&str> = runbook
        .targets
        .iter()
        .flat_map(|t| t.hosts.iter().map(String::as_str))
        .collect();
    let unknown: Vec<&str> = limit
        .iter()
        .map(String::as_str)
        .filter(|h| !known.contains(h))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(Failure::usage(format!(
        "--limit {}: no target of the runbook lists {}. Its hosts: {}",
        limit.join(","),
        unknown.join(", "),
        known.join(", ")
    )))
}

/// Whether to drive without a screen.
pub fn is_headless(args: &DriveOptions) -> bool {
    args.headless || !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal()
}
