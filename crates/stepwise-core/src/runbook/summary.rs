//! The one-line summary `stepwise validate` prints after `ok: `.

use super::model::Runbook;

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
