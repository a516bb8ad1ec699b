//! The runbook format v1: the model, durations, the YAML loader and validator,
//! the JSON Schema, and the one-line summary `stepwise validate` prints.

mod build;
mod check;
pub mod control;
pub mod diagnostic;
pub mod duration;
pub mod load;
pub mod model;
pub mod node;
mod parse;
pub mod schema;
pub mod slug;

pub use diagnostic::{LoadError, Problem, ProblemKind, render_plain};
pub use load::{load_bytes, load_file, load_str};
pub use schema::json_schema;

use model::Runbook;

/// `<title> — N sections, M steps (A automated, H human)`, the line
/// `stepwise validate` prints after `ok: `. The wording is fixed (no singular
/// forms) so scripts can parse it.
pub fn summary(runbook: &Runbook) -> String {
    let (sections, steps, automated, human) = runbook.counts();
    format!(
        "{} — {sections} sections, {steps} steps ({automated} automated, {human} human)",
        runbook.title
    )
}
