//! Secrets on resume: none was ever stored, so a resumed session needs
//! them again. Which ones, asking for them (masked, with a screen), and
//! refusing a resume that lacks one before anything is written.

use crate::engine::open::Opened;
use crate::outcome::Failure;
use crate::session::state::Session;

/// Input values for a resumed session: the journal's (non-secret) values and
/// captures, with secrets given again by `--var` (they were never stored).
pub fn resumed_values(o: &Opened, vars: &[(String, String)]) -> Vec<(String, String)> {
    let s = &o.session;
    let mut values: Vec<(String, String)> = s
        .inputs
        .iter()
        .chain(s.captures.iter())
        .filter(|i| !i.secret)
        .map(|i| (i.name.clone(), i.value.clone()))
        .collect();
    // A secret needed again, or any secret input given anew (it wins over
    // the runbook default the session had used).
    let again = secrets_to_give_again(s);
    let secret = |name: &str| {
        again.iter().any(|n| n == name) || s.runbook.input(name).is_some_and(|i| i.secret)
    };
    let given: Vec<(String, String)> = vars.iter().filter(|(k, _)| secret(k)).cloned().collect();
    let defaults = s.secret_defaults().into_iter();
    values.extend(defaults.filter(|(k, _)| !given.iter().any(|(g, _)| g == k)));
    values.extend(given);
    values
}

/// Secret values a resumed session needs again (see
/// [`Session::secrets_to_give_again`]).
pub fn secrets_to_give_again(s: &Session) -> Vec<String> {
    s.secrets_to_give_again()
}

/// With a screen: asks for the secrets a resume needs and `--var` did not
/// give, in the inputs form (typed masked), and adds them to `vars`.
pub fn ask_missing_secrets(
    session: &Session,
    vars: &mut Vec<(String, String)>,
) -> Result<(), String> {
    let missing: Vec<String> = secrets_to_give_again(session)
        .into_iter()
        .filter(|n| !vars.iter().any(|(k, _)| k == n))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut form = session.runbook.clone();
    form.inputs = missing.iter().map(|n| secret_to_ask(session, n)).collect();
    match crate::tui::ask_inputs(&form, &[]) {
        Ok(Some(values)) => {
            vars.extend(values.into_iter().filter(|(_, v)| !v.is_empty()));
            Ok(())
        }
        Ok(None) => Err("not resumed: the secrets were not given (nothing was written)".into()),
        Err(e) => Err(Failure::from_screen("the inputs form", e).message),
    }
}

/// The form field for a secret a resume needs: the runbook's input as it
/// is (without defaults: none was stored), or one for a capture made from a
/// secret.
fn secret_to_ask(session: &Session, name: &str) -> crate::runbook::model::Input {
    match session.runbook.input(name) {
        // Required now, whatever the runbook says: it had a value, and
        // the steps still to run would get it empty. Said why.
        Some(i) => crate::runbook::model::Input {
            default: None,
            default_from: None,
            required: true,
            description: Some(match &i.description {
                Some(d) => {
                    format!("{d} (given when the session began, never stored: needed again)")
                }
                None => "given when the session began, never stored: needed again".to_owned(),
            }),
            ..i.clone()
        },
        None => crate::runbook::model::Input {
            name: name.to_owned(),
            description: Some("captured from a secret by an earlier step: its value then".into()),
            default: None,
            default_from: None,
            pattern: None,
            choices: Vec::new(),
            required: true,
            secret: true,
        },
    }
}

/// Refuses a resume that lacks a secret, before anything is written.
pub fn check_secrets_given(session: &Session, vars: &[(String, String)]) -> Result<(), Failure> {
    let missing: Vec<String> = secrets_to_give_again(session)
        .into_iter()
        .filter(|n| !vars.iter().any(|(k, _)| k == n))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let id = crate::invocation::session_named(&session.id);
    let cmd = crate::invocation::resume(&format!("{id}{}", secret_flags(&missing)));
    Err(Failure::usage(format!(
        "{} secret and never stored: give {} again: {cmd}",
        missing.join(", "),
        if missing.len() == 1 { "it" } else { "them" },
    )))
}

/// How to give secrets again on resume, without putting them in argv:
/// ` --var-file NAME=PATH…`, and the environment alternative.
pub fn secret_flags(names: &[String]) -> String {
    if names.is_empty() {
        return String::new();
    }
    let files = crate::invocation::var_file_flags(names);
    let env: Vec<String> = names
        .iter()
        .map(|n| format!("{}{n}", super::values::ENV_PREFIX))
        .collect();
    format!(
        "{files}\n  (PATH: a file only you can read, or - for one line of stdin; or set {} in the \
         environment. Not --var: other users can read the command line)",
        env.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::secret_to_ask;

    /// An optional secret given at the start is asked again on resume as
    /// needed, with its own description and the reason.
    #[test]
    fn a_secret_asked_again_says_why() {
        let yaml = "runbook: 1\nid: t\ntitle: T\ninputs:\n  PGPASSWORD:\n    secret: true\n    required: false\n    description: The database password\nsections:\n  - title: S\n    steps:\n      - title: A\n        run: echo\n";
        let book = crate::runbook::load::load_str("t.yaml", yaml).unwrap();
        let session = crate::session::state::Session::new(book);
        let field = secret_to_ask(&session, "PGPASSWORD");
        assert!(field.required && field.secret);
        let said = field.description.unwrap_or_default();
        assert!(said.starts_with("The database password"), "{said}");
        assert!(said.contains("never stored: needed again"), "{said}");
    }
}
