//! The one-line summary `stepwise validate` prints after `ok: `.

use super::model::Runbook;

/// `<title> — N sections, M steps (A automated, H human[, U update])`, the line
/// `stepwise validate` prints after `ok: ` ("1 section, 1 step" for one:
/// a script matches `sections?` and `steps?`).
pub fn summary(runbook: &Runbook) -> String {
    let (sections, steps, automated, not_automated) = runbook.counts();
    // Update steps send a status update: neither a command nor a person's.
    let updates = runbook.steps().filter(|(_, s)| s.is_update()).count();
    let human = not_automated - updates;
    let updates = match updates {
        0 => String::new(),
        n => format!(", {n} update"),
    };
    format!(
        "{} — {}, {} ({automated} automated, {human} human{updates})",
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
