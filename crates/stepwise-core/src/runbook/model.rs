//! The runbook as the rest of stepwise sees it: plain, validated data.
//!
//! Everything here has already passed validation (see `load.rs`): ids are
//! unique, durations parsed, patterns compiled-checked, names valid. This
//! module holds no parsing and no I/O.

pub use super::fleet::{Amount, Between, Rollout, Target, Transport as HostTransport};
use serde::Serialize;
use std::time::Duration;

pub use super::channel::{Cadence, Channel, Transport, UpdateSpec, UpdateStatus};

/// Version of the runbook format this build understands.
pub const FORMAT_VERSION: u64 = 1;

/// A whole runbook file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Runbook {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    /// Inputs in the order they are written.
    pub inputs: Vec<Input>,
    /// Runbook-wide environment, in the order written.
    pub env: Vec<(String, String)>,
    pub working_dir: Option<String>,
    /// The shell argv; the command text is appended as the last argument.
    /// `None` means the default (`bash -eo pipefail -c`, or `sh -ec`).
    pub shell: Option<Vec<String>>,
    pub transcript_dir: Option<String>,
    pub sections: Vec<Section>,
    pub follow_up: Vec<String>,
    /// Where update steps send (`channels:`), in the order written.
    pub channels: Vec<Channel>,
    /// Regular updates (`updates:`), if any.
    pub cadence: Option<Cadence>,
    /// Named groups of hosts that fleet steps run on (`on:`).
    pub targets: Vec<Target>,
}

/// A value asked for at session start and passed to commands as an
/// environment variable of the same name.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Input {
    pub name: String,
    pub description: Option<String>,
    pub default: Option<String>,
    /// A command whose trimmed stdout is the default.
    pub default_from: Option<String>,
    /// A regular expression the whole value must match (already checked to compile).
    pub pattern: Option<String>,
    pub choices: Vec<String>,
    /// Defaults to true: a value must be known before anything runs.
    pub required: bool,
    /// Never written to disk or screen.
    pub secret: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Section {
    pub title: String,
    pub description: Option<String>,
    /// Offered to the operator, who may skip it as a whole.
    pub optional: bool,
    pub steps: Vec<Step>,
}

/// What to do when an automated step fails after all its attempts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    /// Stop and let the operator decide (retry, skip, mark done, abort).
    #[default]
    Ask,
    /// End the session as aborted.
    Abort,
    /// Record the failure and carry on with the next step.
    Continue,
}

/// Whether a human step takes a note.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteRule {
    #[default]
    Optional,
    Required,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Retry {
    /// Total number of attempts, at least 1.
    pub attempts: u32,
    #[serde(with = "crate::runbook::duration::serde_millis")]
    pub delay: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 1,
            delay: Duration::ZERO,
        }
    }
}

/// One step: automated when it has `run`, human otherwise.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    /// Unique in the runbook; defaults to a slug of the title.
    pub id: String,
    pub title: String,
    pub instructions: Option<String>,
    pub run: Option<String>,
    /// Ask before running, even in auto mode.
    pub confirm: bool,
    #[serde(with = "crate::runbook::duration::serde_millis_opt")]
    pub timeout: Option<Duration>,
    pub retry: Retry,
    pub on_failure: OnFailure,
    /// Exit codes that count as success; defaults to `[0]`.
    pub expect_exit: Vec<i32>,
    /// Store the trimmed stdout under this variable name for later steps.
    pub capture: Option<String>,
    pub note: NoteRule,
    pub checklist: Vec<String>,
    pub env: Vec<(String, String)>,
    pub working_dir: Option<String>,
    /// Run in a pseudo-terminal.
    pub tty: bool,
    /// An update step (`update:`): a message sent to channels, no command.
    pub update: Option<UpdateSpec>,
    /// The targets (groups of hosts) a fleet step runs on; empty for a
    /// step that runs once, here.
    pub on: Vec<String>,
    /// How a fleet step goes through its hosts.
    pub rollout: Rollout,
}

impl Step {
    /// A step with every field at the format's default: a human step with
    /// this id and title (set `run` to make it automated). The one builder
    /// of steps for code and tests that make runbooks without YAML.
    pub fn new(id: &str, title: &str) -> Step {
        Step {
            id: id.into(),
            title: title.into(),
            instructions: None,
            run: None,
            confirm: false,
            timeout: None,
            retry: Retry::default(),
            on_failure: OnFailure::Ask,
            expect_exit: vec![0],
            capture: None,
            note: NoteRule::Optional,
            checklist: vec![],
            env: vec![],
            working_dir: None,
            tty: false,
            update: None,
            on: vec![],
            rollout: Rollout::default(),
        }
    }

    /// The same step, automated: it runs `command`.
    pub fn running(mut self, command: &str) -> Step {
        self.run = Some(command.into());
        self
    }

    pub fn is_automated(&self) -> bool {
        self.run.is_some()
    }

    /// Whether the step sends a status update (`update:`).
    pub fn is_update(&self) -> bool {
        self.update.is_some()
    }

    /// A step that runs once per host of its targets (`on:`).
    pub fn is_fleet(&self) -> bool {
        !self.on.is_empty()
    }

    /// Whether the command names the variable: `$NAME` or `${NAME…}`
    /// (not `$NAMES`). What the command's scripts read is not known.
    pub fn reads(&self, name: &str) -> bool {
        let run = self.run.as_deref().unwrap_or("");
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        run.match_indices('$').any(|(i, _)| {
            let rest = &run[i + 1..];
            let rest = rest.strip_prefix('{').unwrap_or(rest);
            rest.strip_prefix(name)
                .is_some_and(|after| !after.starts_with(word))
        })
    }
}

impl Input {
    /// An input with the format's defaults: required, not secret, no default.
    pub fn new(name: &str) -> Input {
        Input {
            name: name.into(),
            description: None,
            default: None,
            default_from: None,
            pattern: None,
            choices: vec![],
            required: true,
            secret: false,
        }
    }
}

impl Section {
    pub fn new(title: &str, steps: Vec<Step>) -> Section {
        Section {
            title: title.into(),
            description: None,
            optional: false,
            steps,
        }
    }
}

impl Runbook {
    /// A runbook with these sections and every other field at its default.
    pub fn new(id: &str, title: &str, sections: Vec<Section>) -> Runbook {
        Runbook {
            id: id.into(),
            title: title.into(),
            description: None,
            inputs: vec![],
            env: vec![],
            working_dir: None,
            shell: None,
            transcript_dir: None,
            sections,
            follow_up: vec![],
            channels: vec![],
            cadence: None,
            targets: vec![],
        }
    }

    /// All steps in order, with the index of their section.
    pub fn steps(&self) -> impl Iterator<Item = (usize, &Step)> {
        self.sections
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.steps.iter().map(move |st| (i, st)))
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps().map(|(_, s)| s).find(|s| s.id == id)
    }

    pub fn channel(&self, name: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.name == name)
    }

    pub fn target(&self, name: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.name == name)
    }

    pub fn input(&self, name: &str) -> Option<&Input> {
        self.inputs.iter().find(|i| i.name == name)
    }

    /// Counts of (sections, steps, automated, human).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let steps = self.steps().count();
        let automated = self.steps().filter(|(_, s)| s.is_automated()).count();
        (self.sections.len(), steps, automated, steps - automated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_reads_a_variable_named_whole_in_its_command() {
        let step = |run: &str| Step::new("s", "S").running(run);
        assert!(step("deploy \"$TAG\"").reads("TAG"));
        assert!(step("echo ${TAG:-none}").reads("TAG"));
        assert!(step("echo $TAG").reads("TAG"));
        assert!(!step("echo $TAGS $STABLE_TAG").reads("TAG"));
        assert!(!step("echo TAG").reads("TAG"));
    }
}
