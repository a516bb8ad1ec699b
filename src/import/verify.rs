//! Proof that an import wrote what it meant: the YAML is loaded with the
//! project's own loader (`runbook::load::load_str`, the same checks as
//! `stepwise validate`) and every field read back is compared with the
//! plan. A difference is a bug in `emit` and must stop the import before
//! anything is written; this module never repairs the output.

use super::plan::Plan;
use crate::runbook::model::Runbook;

/// What went wrong reading the output back.
#[derive(Debug)]
pub enum Mismatch {
    /// The loader refused the YAML: its rendered diagnostics.
    Invalid(String),
    /// The loader read something other than what the plan says.
    Differs(String),
}

/// Loads `yaml` and checks it says exactly what `plan` says.
pub fn verify(name: &str, yaml: &str, plan: &Plan) -> Result<Runbook, Mismatch> {
    let runbook = crate::runbook::load::load_str(name, yaml)
        .map_err(|e| Mismatch::Invalid(crate::runbook::load::render_plain(&e)))?;
    compare(&runbook, plan).map_err(Mismatch::Differs)?;
    Ok(runbook)
}

fn same<T: PartialEq + std::fmt::Debug>(what: &str, read: &T, meant: &T) -> Result<(), String> {
    if read == meant {
        Ok(())
    } else {
        Err(format!("{what}: meant {meant:?}, read back {read:?}"))
    }
}

fn compare(rb: &Runbook, plan: &Plan) -> Result<(), String> {
    same("id", &rb.id, &plan.id)?;
    same("title", &rb.title, &plan.title)?;
    same("description", &rb.description, &plan.description)?;
    same("follow_up", &rb.follow_up, &plan.follow_up)?;
    same("number of inputs", &rb.inputs.len(), &plan.inputs.len())?;
    for (read, meant) in rb.inputs.iter().zip(&plan.inputs) {
        let at = format!("input {}", meant.name);
        same(&at, &read.name, &meant.name)?;
        same(
            &at,
            &read.description.as_deref(),
            &Some(meant.description.as_str()),
        )?;
        same(&at, &read.default, &meant.default)?;
        same(&at, &(read.secret, read.required), &(meant.secret, true))?;
    }
    same(
        "number of sections",
        &rb.sections.len(),
        &plan.sections.len(),
    )?;
    for (i, (read, meant)) in rb.sections.iter().zip(&plan.sections).enumerate() {
        let at = format!("sections[{i}]");
        same(&at, &read.title, &meant.title)?;
        same(&at, &read.description, &meant.description)?;
        same(&at, &read.optional, &meant.optional)?;
        same(&at, &read.steps.len(), &meant.steps.len())?;
        for (read, meant) in read.steps.iter().zip(&meant.steps) {
            let at = format!("step {}", meant.id);
            same(&at, &read.id, &meant.id)?;
            same(&at, &read.title, &meant.title)?;
            same(&at, &read.instructions, &meant.instructions)?;
            same(&at, &read.run, &meant.run)?;
            same(&at, &read.confirm, &meant.confirm)?;
            same(&at, &read.checklist, &meant.checklist)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::plan::{SectionPlan, StepPlan};

    fn plan() -> Plan {
        Plan {
            source: "t.md".into(),
            sha256: "0".repeat(64),
            id: "t".into(),
            title: "T: \"quoted\" yes".into(),
            sections: vec![SectionPlan {
                title: "S".into(),
                steps: vec![StepPlan {
                    id: "a".into(),
                    title: "A".into(),
                    run: Some("echo \"$X\"\n  indented".into()),
                    confirm: true,
                    ..StepPlan::default()
                }],
                ..SectionPlan::default()
            }],
            ..Plan::default()
        }
    }

    #[test]
    fn what_was_written_is_read_back_or_the_difference_named() {
        let plan = plan();
        let yaml = super::super::emit::yaml(&plan);
        assert!(verify("t.md", &yaml, &plan).is_ok(), "{yaml}");
        let mut other = plan.clone();
        other.sections[0].steps[0].title = "B".into();
        match verify("t.md", &yaml, &other) {
            Err(Mismatch::Differs(what)) => assert!(what.contains("step a"), "{what}"),
            r => panic!("expected a difference, got {r:?}"),
        }
        match verify("t.md", "runbook: 1\nid: t\n", &plan) {
            Err(Mismatch::Invalid(text)) => assert!(text.contains("title"), "{text}"),
            r => panic!("expected an invalid runbook, got {r:?}"),
        }
    }
}
