//! Input values given from outside the runbook, and from where:
//! `--var NAME=VALUE`, `--var-file NAME=PATH` (the file's content without
//! its final newline; PATH `-` reads one line of stdin) and the environment
//! (`STEPWISE_VAR_NAME=VALUE`). A `--var` sits in the process's argv, which
//! every user of the machine can read (`ps`, `/proc/<pid>/cmdline`) for as
//! long as stepwise runs: a secret given that way is warned about; the file
//! and the environment (readable only by the same user) are the ways for
//! secrets. When a name is given more than once, `--var` wins over
//! `--var-file`, which wins over the environment.
//!
//! Reads files and stdin; decides nothing about the values themselves
//! (`engine::inputs` checks them).

use super::options::DriveOptions;
use crate::outcome::Failure;
use std::io::IsTerminal;

/// The environment variables that give values: `STEPWISE_VAR_<NAME>`.
pub use crate::engine::inputs::ENV_PREFIX;
/// The largest value a `--var-file` may hold.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// Where a value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Env,
    File,
    Var,
}

#[derive(Clone, Debug)]
pub struct Value {
    pub name: String,
    pub value: String,
    pub origin: Origin,
}

/// Every value given, in the order where a later one wins: environment,
/// then `--var-file`, then `--var`.
pub fn collect(args: &DriveOptions) -> Result<Vec<Value>, Failure> {
    let mut values = from_env()?;
    for spec in &args.var_files {
        values.push(from_file(spec)?);
    }
    for v in &args.vars {
        let (name, value) = crate::engine::inputs::parse_var(v).map_err(Failure::usage)?;
        values.push(Value {
            name,
            value,
            origin: Origin::Var,
        });
    }
    Ok(values)
}

/// The `(name, value)` pairs to use: an environment variable for a name
/// that `known` does not know is left out (the environment is shared by
/// everything the user runs); a `--var` for a `secret` name is warned about.
pub fn for_use(
    values: &[Value],
    known: impl Fn(&str) -> bool,
    secret: impl Fn(&str) -> bool,
) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for v in values {
        if v.origin == Origin::Env && !known(&v.name) {
            continue;
        }
        if v.origin == Origin::Var && secret(&v.name) {
            crate::say!("{}", argv_warning(&v.name));
        }
        pairs.push((v.name.clone(), v.value.clone()));
    }
    pairs
}

/// `given` with each value from outside the runbook labelled by where
/// it came from: `inputs::resolve` knows only that it was given (`var`);
/// the winner for its name among `values` (a later one wins) says whether
/// that was `--var`, `--var-file` or the environment.
pub fn label_sources(
    mut given: Vec<crate::engine::inputs::Given>,
    values: &[Value],
) -> Vec<crate::engine::inputs::Given> {
    use crate::session::event::InputSource;
    for g in given.iter_mut().filter(|g| g.source == InputSource::Var) {
        if let Some(v) = values.iter().rev().find(|v| v.name == g.name) {
            g.source = match v.origin {
                Origin::Env => InputSource::Env,
                Origin::File => InputSource::VarFile,
                Origin::Var => InputSource::Var,
            };
        }
    }
    given
}

/// What is said of a secret given on the command line.
pub fn argv_warning(name: &str) -> String {
    format!(
        "warning: --var {name}=… puts a secret on the command line, where every user of this \
         machine can read it (ps, /proc/<pid>/cmdline) while stepwise runs, and in your shell's \
         history. Next time: {}",
        crate::engine::inputs::how_to_give(name, true)
    )
}

fn from_env() -> Result<Vec<Value>, Failure> {
    let mut values = Vec::new();
    for (key, value) in std::env::vars_os() {
        let Some(name) = key.to_str().and_then(|k| k.strip_prefix(ENV_PREFIX)) else {
            continue;
        };
        let value = value.into_string().map_err(|_| {
            Failure::usage(format!(
                "{ENV_PREFIX}{name} is not valid UTF-8: give the value as UTF-8 text"
            ))
        })?;
        values.push(Value {
            name: name.to_owned(),
            value,
            origin: Origin::Env,
        });
    }
    Ok(values)
}

/// `NAME=PATH`: the file's content without its final newline, or one line
/// of stdin for `-`.
fn from_file(spec: &str) -> Result<Value, Failure> {
    let (name, path) = match spec.split_once('=') {
        Some((n, p)) if !n.is_empty() && !p.is_empty() => (n, p),
        _ => {
            return Err(Failure::usage(format!(
                "--var-file `{spec}` is not NAME=PATH: write for example --var-file API_TOKEN=~/.secrets/token (or API_TOKEN=- for stdin)"
            )));
        }
    };
    let fail = |why: String| Failure::usage(format!("--var-file {name}={path}: {why}"));
    let mut bytes = if path == "-" {
        read_stdin_line().map_err(fail)?
    } else {
        read_file(path).map_err(fail)?
    };
    for end in [b"\n".as_slice(), b"\r"] {
        if bytes.ends_with(end) {
            bytes.pop();
        }
    }
    let value = String::from_utf8(bytes).map_err(|e| {
        fail(format!(
            "not valid UTF-8 (byte {})",
            e.utf8_error().valid_up_to() + 1
        ))
    })?;
    Ok(Value {
        name: name.to_owned(),
        value,
        origin: Origin::File,
    })
}

fn read_file(path: &str) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err("larger than 1 MiB: that is not an input value".into());
    }
    Ok(bytes)
}

/// One line of stdin (the rest stays for the questions headless mode asks).
fn read_stdin_line() -> Result<Vec<u8>, String> {
    use std::io::BufRead;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(
            "stdin is a terminal, where the value would show as you type it: pipe it in, \
             give a file, or leave it out and type it (masked) in the inputs form"
                .into(),
        );
    }
    let mut line = Vec::new();
    match stdin.lock().read_until(b'\n', &mut line) {
        Ok(0) => Err("stdin is empty".into()),
        Ok(_) => Ok(line),
        Err(e) => Err(e.to_string()),
    }
}
