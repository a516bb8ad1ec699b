//! The keys each level of a runbook may have, and the hint for a key put
//! at the wrong level. Data only: the builders of each level read it.

pub const RUNBOOK_KEYS: &[&str] = &[
    "runbook",
    "id",
    "title",
    "description",
    "inputs",
    "env",
    "working_dir",
    "shell",
    "transcript_dir",
    "sections",
    "follow_up",
    "channels",
    "updates",
    "targets",
];

pub const SECTION_KEYS: &[&str] = &["title", "description", "optional", "steps"];

pub const STEP_KEYS: &[&str] = &[
    "id",
    "title",
    "instructions",
    "run",
    "confirm",
    "timeout",
    "retry",
    "on_failure",
    "expect_exit",
    "capture",
    "note",
    "checklist",
    "env",
    "working_dir",
    "tty",
    "update",
    "status",
    "channels",
    "on",
    "rollout",
];

pub const INPUT_KEYS: &[&str] = &[
    "description",
    "default",
    "default_from",
    "pattern",
    "choices",
    "required",
    "secret",
];

pub const TARGET_KEYS: &[&str] = &["hosts", "hosts_from", "group", "transport"];

pub const ROLLOUT_KEYS: &[&str] = &[
    "batches",
    "max_in_flight",
    "max_failures",
    "between_batches",
];

/// Where an unknown key probably belongs, when it is a key of another level.
pub fn misplaced(key: &str) -> Option<String> {
    let at = |level: &str, keys: &[&str]| {
        keys.contains(&key)
            .then(|| format!("`{key}` is a key of {level}; check the indentation"))
    };
    at("a step (an item under `steps:`)", STEP_KEYS)
        .or_else(|| at("a section (an item under `sections:`)", SECTION_KEYS))
        .or_else(|| at("an input (under `inputs:` and its name)", INPUT_KEYS))
        .or_else(|| at("the runbook's top level", RUNBOOK_KEYS))
}
