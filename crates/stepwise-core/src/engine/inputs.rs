//! Input values for a session: `--var K=V`, then the runbook's `default`,
//! then `default_from` (a command whose trimmed stdout is the default).
//!
//! Checks every value against the input's `pattern` and `choices`. Never
//! prompts (drivers do that) and never writes anything.

use crate::runbook::model::{Input, Runbook};
use crate::session::event::InputSource;
use std::time::Duration;

/// One input's value and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Given {
    pub name: String,
    pub value: String,
    pub source: InputSource,
}

/// Splits `K=V` from the command line.
pub fn parse_var(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!(
            "`{text}` is not NAME=VALUE: write for example --var STABLE_TAG=v1.4.2"
        )),
    }
}

/// The environment variables that give values: `STEPWISE_VAR_<NAME>`.
pub const ENV_PREFIX: &str = "STEPWISE_VAR_";

/// How to give input `name` on the command line, as a hint: `--var
/// NAME=…`, or for a secret `--var-file NAME=PATH` or the environment
/// (a `--var` sits in the process list, which every user can read).
pub fn how_to_give(name: &str, secret: bool) -> String {
    if secret {
        format!(
            "--var-file {name}=PATH (a file only you can read; PATH - reads one line of stdin) \
             or {ENV_PREFIX}{name} in the environment"
        )
    } else {
        format!("--var {name}=…")
    }
}

/// Checks a value an operator gives for an input (the inputs form, or a
/// change during the session): empty only when the input is optional (it
/// then has no value), else it must pass [`check`].
pub fn check_given(input: &Input, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return match input.required {
            true => Err(format!("{} needs a value", input.name)),
            false => Ok(()),
        };
    }
    check(input, value)
}

/// Checks a value against an input's pattern and choices.
pub fn check(input: &Input, value: &str) -> Result<(), String> {
    if !input.choices.is_empty() && !input.choices.iter().any(|c| c == value) {
        return Err(format!(
            "{} must be one of: {}",
            input.name,
            input.choices.join(", ")
        ));
    }
    if let Some(p) = &input.pattern {
        let re = regex::Regex::new(&format!("^(?:{p})$")).map_err(|e| e.to_string())?;
        if !re.is_match(value) {
            return Err(format!("{} must match the pattern {p}", input.name));
        }
    }
    Ok(())
}

/// Runs an input's `default_from` command with the runbook's environment and
/// the values known so far; returns its trimmed stdout.
pub fn run_default_from(
    command: &str,
    shell: &[String],
    env: &[(String, String)],
    cwd: Option<&std::path::Path>,
) -> Result<String, String> {
    let mut cmd = std::process::Command::new(&shell[0]);
    cmd.args(&shell[1..])
        .arg(command)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    let out = run_with_deadline(cmd, Duration::from_secs(30))?;
    if !out.status.success() {
        return Err(format!(
            "`{command}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn run_with_deadline(
    mut cmd: std::process::Command,
    limit: Duration,
) -> Result<std::process::Output, String> {
    let child = cmd.spawn().map_err(|e| format!("cannot start it: {e}"))?;
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
            Err(format!("it did not finish within {}s", limit.as_secs()))
        }
    }
}

/// Result of resolving all inputs without asking anyone.
#[derive(Debug, Default)]
pub struct Resolution {
    pub given: Vec<Given>,
    /// Inputs still without a value (required ones and optional ones).
    pub missing: Vec<String>,
    /// Problems: bad `--var` names or values, failed `default_from`.
    pub errors: Vec<String>,
}

/// Resolves every input from vars, defaults and `default_from`, in order, so
/// a later `default_from` sees earlier values in its environment.
pub fn resolve(
    runbook: &Runbook,
    vars: &[(String, String)],
    shell: &[String],
    base_env: &[(String, String)],
    cwd: Option<&std::path::Path>,
) -> Resolution {
    let mut res = Resolution::default();
    for (k, _) in vars {
        if runbook.input(k).is_none() {
            res.errors.push(format!(
                "--var {k}: the runbook has no input named {k} (inputs: {})",
                runbook
                    .inputs
                    .iter()
                    .map(|i| i.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    for input in &runbook.inputs {
        let mut env = base_env.to_vec();
        env.extend(res.given.iter().map(|g| (g.name.clone(), g.value.clone())));
        match value_for(input, vars, shell, &env, cwd) {
            Ok(Some(g)) => match check(input, &g.value) {
                Ok(()) => res.given.push(g),
                Err(e) => res.errors.push(e),
            },
            Ok(None) => res.missing.push(input.name.clone()),
            Err(e) => res.errors.push(e),
        }
    }
    res
}

fn value_for(
    input: &Input,
    vars: &[(String, String)],
    shell: &[String],
    env: &[(String, String)],
    cwd: Option<&std::path::Path>,
) -> Result<Option<Given>, String> {
    let given = |value: String, source| Given {
        name: input.name.clone(),
        value,
        source,
    };
    if let Some((_, v)) = vars.iter().rev().find(|(k, _)| k == &input.name) {
        return Ok(Some(given(v.clone(), InputSource::Var)));
    }
    if let Some(cmd) = &input.default_from {
        let v = run_default_from(cmd, shell, env, cwd)
            .map_err(|e| format!("the default of {} could not be found: {e}", input.name))?;
        if !v.is_empty() {
            return Ok(Some(given(v, InputSource::DefaultFrom)));
        }
    }
    Ok(input
        .default
        .clone()
        .map(|v| given(v, InputSource::Default)))
}
