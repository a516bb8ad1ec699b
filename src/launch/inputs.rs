//! Input values at the start of a session: `--var` parsed, the rest
//! resolved (defaults, `default_from`), and, with a screen, the missing
//! ones asked for in the inputs form. Never writes anything.

use super::runbook_file::{base_dir, shell_for};
use crate::engine::inputs::{self, Given};
use crate::outcome::Failure;
use crate::runbook::model::Runbook;
use std::path::Path;

/// Resolves inputs without asking; every problem is a usage failure.
pub fn resolve_inputs(
    runbook: &Runbook,
    path: &Path,
    vars: &[(String, String)],
) -> Result<Vec<Given>, Failure> {
    let res = inputs::resolve(
        runbook,
        vars,
        &shell_for(runbook),
        &runbook.env,
        Some(&base_dir(path)),
    );
    let mut problems = res.errors;
    for name in &res.missing {
        if let Some(input) = runbook.input(name).filter(|i| i.required) {
            problems.push(format!(
                "input {name} has no value: give it with {}",
                inputs::how_to_give(name, input.secret)
            ));
        }
    }
    if problems.is_empty() {
        Ok(res.given)
    } else {
        Err(Failure::usage(problems.join("\n")))
    }
}

/// With a screen: when a required input has no value, the inputs form asks
/// for all of them (prefilled with what `--var`, defaults and `default_from`
/// gave). Headless runs never get here: they keep the usage error.
pub fn ask_missing_inputs(
    runbook: &Runbook,
    path: &Path,
    vars: Vec<(String, String)>,
) -> Result<Vec<Given>, Failure> {
    // Resolved once: `default_from` commands run a single time.
    let res = inputs::resolve(
        runbook,
        &vars,
        &shell_for(runbook),
        &runbook.env,
        Some(&base_dir(path)),
    );
    if !res.errors.is_empty() {
        return Err(Failure::usage(res.errors.join("\n")));
    }
    let missing = res
        .missing
        .iter()
        .any(|n| runbook.input(n).is_some_and(|i| i.required));
    if !missing {
        return Ok(res.given);
    }
    let prefilled: Vec<(String, String)> = res
        .given
        .iter()
        .map(|g| (g.name.clone(), g.value.clone()))
        .collect();
    let values = match crate::tui::ask_inputs(runbook, &prefilled) {
        Ok(Some(values)) => values,
        Ok(None) => {
            return Err(Failure::usage(
                "no session started: the inputs form was cancelled",
            ));
        }
        Err(e) => return Err(Failure::from_screen("the inputs form", e)),
    };
    // A value left as it was keeps its source; anything else was typed.
    Ok(values
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(name, value)| {
            let source = res
                .given
                .iter()
                .find(|g| g.name == name && g.value == value)
                .map_or(crate::session::event::InputSource::Prompt, |g| g.source);
            Given {
                name,
                value,
                source,
            }
        })
        .collect())
}
