//! The one-line summary `stepwise validate` prints after `ok: `.

use super::model::Runbook;

/// `<title> — N sections, M steps (A automated, H human)`, the line
/// `stepwise validate` prints after `ok: ` ("1 section, 1 step" for one:
/// a script matches `sections?` and `steps?`).
pub fn summary(runbook: &Runbook) -> String {
    let (sections, steps, automated, human) = runbook.counts();
    format!(
        "{} — {}, {} ({automated} automated, {human} human)",
        runbook.title,
        counted(sections, "section"),
        counted(steps, "step"),
    )
}

/// "1 section", "2 sections".
fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
