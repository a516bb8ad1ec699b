//! The rules of a session that more than one reader needs: when an
//! optional section is being entered, the exact environment a step gets,
//! whether a note is missing. The engine enforces them; the TUI and
//! headless mode ask the same functions to say what will happen, so a
//! driver never re-derives a decision (and can never disagree with it).
//!
//! Pure functions of the runbook and the folded session: no I/O, no clock,
//! never a journal write.

use crate::runbook::model::{NoteRule, Step};
use crate::session::state::{Session, StepStatus};
use crate::text::MASK;

/// Whether step `i` opens an optional section nothing of which has been
/// done yet: the operator is offered to run or skip it, auto mode waits.
pub fn enters_optional_section(session: &Session, i: usize) -> bool {
    let Some(st) = session.steps.get(i) else {
        return false;
    };
    let section = st.section;
    session.runbook.sections[section].optional
        && session
            .steps
            .iter()
            .filter(|s| s.section == section)
            .all(|s| s.status == StepStatus::Pending)
}

/// The environment a step's command gets, in the order it is applied:
/// runbook `env`, input values and captures (`values`), the step's `env`,
/// then `STEPWISE_SESSION` and `STEPWISE_STEP`. A name set twice keeps its
/// first place and its last value, as the process sees it. Values never
/// enter the command text.
pub fn step_env(
    session: &Session,
    values: &[(String, String)],
    def: &Step,
) -> Vec<(String, String)> {
    let ids = [
        ("STEPWISE_SESSION".to_owned(), session.id.clone()),
        ("STEPWISE_STEP".to_owned(), def.id.clone()),
    ];
    let all = session
        .runbook
        .env
        .iter()
        .chain(values)
        .chain(&def.env)
        .chain(&ids);
    let mut env: Vec<(String, String)> = Vec::new();
    for (k, v) in all {
        match env.iter_mut().find(|(name, _)| name == k) {
            Some(slot) => slot.1 = v.clone(),
            None => env.push((k.clone(), v.clone())),
        }
    }
    env
}

/// The input values and captures as the journal holds them (a secret as
/// the mask), for showing a step's environment without the real values.
pub fn recorded_values(session: &Session) -> Vec<(String, String)> {
    session
        .inputs
        .iter()
        .chain(&session.captures)
        .map(|i| {
            let v = if i.secret { MASK } else { i.value.as_str() };
            (i.name.clone(), v.to_owned())
        })
        .collect()
}

/// The values an update step's draft is shown with before it is sent:
/// [`step_env`] over the recorded values (secrets are masks there), as
/// the engine fills the text it sends (runbook and step `env:` included).
pub fn draft_values(session: &Session, def: &Step) -> Vec<(String, String)> {
    step_env(session, &recorded_values(session), def)
}

/// What a step's environment will be, shown: [`step_env`] over the
/// recorded values, with every secret (by input or by name) masked.
pub fn shown_env(session: &Session, secret_names: &[String], def: &Step) -> Vec<(String, String)> {
    let secret = |k: &str| {
        secret_names.iter().any(|n| n == k) || session.runbook.input(k).is_some_and(|i| i.secret)
    };
    step_env(session, &recorded_values(session), def)
        .into_iter()
        .map(|(k, v)| {
            let v = if secret(&k) { MASK.to_owned() } else { v };
            (k, v)
        })
        .collect()
}

/// Whether the step needs a note (`note: required`) that `note` does not give.
pub fn note_missing(def: &Step, note: Option<&str>) -> bool {
    def.note == NoteRule::Required && note.is_none_or(|n| n.trim().is_empty())
}

/// Whether a note was already added to the step (with `n`): it counts
/// for `note: required`.
pub fn has_note(session: &crate::session::state::Session, step: &str) -> bool {
    session
        .step(step)
        .is_some_and(|s| s.notes.iter().any(|n| !n.text.trim().is_empty()))
}

/// The refusal for a human step confirmed without its required note.
pub fn check_note(def: &Step, note: Option<&str>) -> Result<(), String> {
    if note_missing(def, note) {
        return Err(format!(
            "`{}` needs a note before it can be marked done",
            def.id
        ));
    }
    Ok(())
}
