//! The JSON Schema (draft 2020-12) of the runbook format, for editors:
//! yaml-language-server uses it for completion, hover text and early errors.
//!
//! Hand-written rather than derived, because the model types describe the
//! validated result (ids filled in, durations parsed), not what people type.
//! The loader stays the authority: the schema catches most mistakes while
//! typing but never accepts more than the loader. A test keeps the committed
//! copy in `assets/runbook.schema.json` and the loader's key lists in step.

use serde_json::{Value, json};

/// The schema as a JSON value; `stepwise schema` prints it.
pub fn json_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "stepwise runbook",
        "description": "A runbook for stepwise (format version 1): sections of steps; a step with `run` is automated, one without is done by a person.",
        "type": "object",
        "required": ["runbook", "id", "title", "sections"],
        "additionalProperties": false,
        "properties": {
            "runbook": { "const": 1, "description": "Format version. Always 1." },
            "id": { "$ref": "#/$defs/id", "description": "Stable short name of the runbook, used in session and transcript file names." },
            "title": { "$ref": "#/$defs/text", "description": "What the runbook is for, shown at the top of the screen." },
            "description": { "type": "string", "description": "Longer explanation, shown before the session starts." },
            "inputs": {
                "type": "object",
                "description": "Values asked for at session start, passed to commands as environment variables of the same name.",
                "propertyNames": { "$ref": "#/$defs/variable" },
                "additionalProperties": { "$ref": "#/$defs/input" }
            },
            "env": { "$ref": "#/$defs/env", "description": "Environment variables for every command." },
            "working_dir": { "$ref": "#/$defs/text", "description": "Directory commands run in. Default: the directory stepwise was started in." },
            "shell": { "$ref": "#/$defs/shell" },
            "transcript_dir": { "$ref": "#/$defs/text", "description": "Also write the finished transcript into this directory." },
            "sections": {
                "type": "array",
                "minItems": 1,
                "items": { "$ref": "#/$defs/section" },
                "description": "The parts of the procedure, in order."
            },
            "follow_up": {
                "type": "array",
                "items": { "$ref": "#/$defs/scalar" },
                "description": "Action items for after the incident; exported into the postmortem, not run."
            },
            "channels": {
                "type": "object",
                "description": "Where update steps send status updates: a name, and exactly one transport.",
                "propertyNames": { "$ref": "#/$defs/id" },
                "additionalProperties": { "$ref": "#/$defs/channel" }
            },
            "updates": {
                "type": "object",
                "required": ["every"],
                "additionalProperties": false,
                "description": "Regular status updates while the session runs, drafted from the journal.",
                "properties": {
                    "every": { "$ref": "#/$defs/duration" },
                    "channels": { "type": "array", "items": { "$ref": "#/$defs/id" }, "description": "Default: every channel." },
                    "status": { "enum": ["investigating", "identified", "monitoring", "resolved"], "default": "monitoring" }
                }
            },
            "targets": {
                "type": "object",
                "description": "Named groups of hosts that fleet steps run on (`on:`).",
                "propertyNames": { "$ref": "#/$defs/id" },
                "additionalProperties": target_def()
            }
        },
        "$defs": defs()
    })
}

fn channel_def() -> Value {
    json!({
        "type": "object",
        "minProperties": 1,
        "maxProperties": 1,
        "additionalProperties": false,
        "description": "One transport. Text may name inputs (`$SLACK_WEBHOOK_URL`), filled in only when sending.",
        "properties": {
            "slack": {
                "type": "object", "required": ["webhook"], "additionalProperties": false,
                "properties": { "webhook": { "$ref": "#/$defs/text", "description": "The incoming-webhook URL; normally a secret input." } }
            },
            "webhook": {
                "type": "object", "required": ["url"], "additionalProperties": false,
                "properties": {
                    "url": { "$ref": "#/$defs/text", "description": "Receives the documented JSON payload by POST." },
                    "headers": { "type": "object", "additionalProperties": { "$ref": "#/$defs/scalar" } }
                }
            },
            "command": { "$ref": "#/$defs/text", "description": "A command given the payload as JSON on stdin." },
            "file": { "$ref": "#/$defs/text", "description": "A file the payload is appended to, one JSON line per update." }
        }
    })
}

fn defs() -> Value {
    json!({
        "channel": channel_def(),
        "text": { "type": "string", "minLength": 1, "pattern": "\\S" },
        "scalar": { "type": ["string", "number", "boolean"] },
        "id": {
            "type": "string",
            "pattern": "^[a-z0-9][a-z0-9_-]*$",
            "maxLength": 64,
            "description": "Lowercase letters, digits, `-` and `_`, starting with a letter or digit."
        },
        "variable": {
            "type": "string",
            "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
            "description": "An environment variable name."
        },
        "duration": {
            "type": "string",
            "allOf": [
                { "pattern": "^\\s*(\\d+h)?(\\d+m)?(\\d+s)?(\\d+ms)?\\s*$" },
                { "pattern": "\\d" }
            ],
            "description": "A duration: `30s`, `10m`, `1h30m`, `500ms`.",
            "examples": ["30s", "10m", "1h30m"]
        },
        "env": {
            "type": "object",
            "propertyNames": { "$ref": "#/$defs/variable" },
            "additionalProperties": { "$ref": "#/$defs/scalar" }
        },
        "shell": {
            "description": "The shell that runs `run:` commands, the command text appended as the last argument. Default: `bash -eo pipefail -c` (or `sh -ec`).",
            "oneOf": [
                { "$ref": "#/$defs/text" },
                { "type": "array", "minItems": 1, "items": { "type": "string" } }
            ]
        },
        "exit_code": { "type": "integer", "minimum": 0, "maximum": 255 },
        "input": input_def(),
        "section": section_def(),
        "step": step_def(),
        "retry": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "attempts": { "type": "integer", "minimum": 1, "description": "Total runs, the first included. Default 1." },
                "delay": { "$ref": "#/$defs/duration", "description": "Wait between attempts. Default 0s." }
            }
        }
    })
}

fn target_def() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "not": { "required": ["hosts", "hosts_from"] },
        "properties": {
            "hosts": { "type": "array", "minItems": 1, "items": { "type": "string", "pattern": "^[^-\\s/][^\\s/]*$" }, "description": "ssh destinations, exactly as `ssh DEST` takes them." },
            "hosts_from": { "type": "string", "description": "A command printing one host per line, or Ansible inventory JSON (with `group`)." },
            "group": { "type": "string", "description": "The group of the Ansible inventory JSON that `hosts_from` prints." },
            "transport": { "enum": ["ssh", "local"], "default": "ssh", "description": "`ssh` (the OpenSSH client) or `local` (here, once per host, TARGET set)." }
        }
    })
}

fn rollout_def() -> Value {
    let amount = json!({ "oneOf": [ { "type": "integer", "minimum": 0 }, { "type": "string", "pattern": "^[0-9]{1,3}%$" } ] });
    json!({
        "type": "object",
        "additionalProperties": false,
        "description": "How a fleet step goes through its hosts.",
        "properties": {
            "batches": { "type": "array", "minItems": 1, "items": amount, "description": "Batch sizes in order (a count or a share of all hosts); the last repeats." },
            "max_in_flight": { "type": "integer", "minimum": 1, "default": 10, "description": "At most this many hosts at once." },
            "max_failures": { "allOf": [amount], "description": "The rollout stops when failures exceed this (a count or a share). Default 0." },
            "between_batches": { "type": "string", "description": "`confirm`, `none`, or a duration to wait." }
        }
    })
}

fn input_def() -> Value {
    json!({
        "description": "Settings of an input; a bare value is short for `default:`, nothing for all defaults.",
        "oneOf": [
            { "type": "null" },
            { "$ref": "#/$defs/scalar" },
            {
                "type": "object",
                "additionalProperties": false,
                "not": { "required": ["default", "default_from"] },
                "properties": {
                    "description": { "type": "string", "description": "Shown when asking for the value." },
                    "default": { "$ref": "#/$defs/scalar", "description": "Value used when the operator just presses Enter." },
                    "default_from": { "$ref": "#/$defs/text", "description": "A command whose trimmed stdout is the default." },
                    "pattern": { "type": "string", "description": "Regular expression the whole value must match." },
                    "choices": { "type": "array", "minItems": 1, "items": { "$ref": "#/$defs/scalar" }, "description": "The only values allowed." },
                    "required": { "type": "boolean", "default": true, "description": "A value must be given before anything runs." },
                    "secret": { "type": "boolean", "default": false, "description": "Never written to disk or screen." }
                }
            }
        ]
    })
}

fn section_def() -> Value {
    json!({
        "type": "object",
        "required": ["title", "steps"],
        "additionalProperties": false,
        "properties": {
            "title": { "$ref": "#/$defs/text" },
            "description": { "type": "string" },
            "optional": { "type": "boolean", "default": false, "description": "The operator may skip the whole section." },
            "steps": { "type": "array", "minItems": 1, "items": { "$ref": "#/$defs/step" } }
        }
    })
}

fn step_def() -> Value {
    let automated_only = [
        "confirm",
        "timeout",
        "retry",
        "on_failure",
        "expect_exit",
        "capture",
        "tty",
    ];
    let forbidden: serde_json::Map<String, Value> = automated_only
        .iter()
        .map(|k| (k.to_string(), Value::Bool(false)))
        .collect();
    json!({
            "type": "object",
            "required": ["title"],
            "additionalProperties": false,
            "description": "A step: automated when it has `run`, done by a person otherwise.",
            "properties": {
                "id": { "$ref": "#/$defs/id", "description": "Unique step id; default: a slug of the title." },
                "title": { "$ref": "#/$defs/text" },
                "instructions": { "type": "string", "description": "What to do and what counts as done." },
                "run": { "$ref": "#/$defs/text", "description": "Shell command; values reach it only as environment variables." },
                "confirm": { "type": "boolean", "default": false, "description": "Ask before running, even with --auto." },
                "timeout": { "$ref": "#/$defs/duration" },
                "retry": { "$ref": "#/$defs/retry" },
                "on_failure": { "enum": ["ask", "abort", "continue"], "default": "ask" },
                "expect_exit": {
                    "description": "Exit codes that count as success. Default 0.",
                    "oneOf": [
                        { "$ref": "#/$defs/exit_code" },
                        { "type": "array", "minItems": 1, "items": { "$ref": "#/$defs/exit_code" } }
                    ]
                },
                "capture": { "$ref": "#/$defs/variable", "description": "Store the trimmed stdout in this variable for later steps." },
                "note": { "enum": ["optional", "required"], "default": "optional" },
                "checklist": { "type": "array", "items": { "$ref": "#/$defs/scalar" }, "description": "Sub-items a person ticks one by one." },
                "env": { "$ref": "#/$defs/env" },
                "working_dir": { "$ref": "#/$defs/text" },
                "tty": { "type": "boolean", "default": false, "description": "Run in a pseudo-terminal." },
                "update": { "$ref": "#/$defs/text", "description": "An update step: this message template is sent to channels (not with `run`)." },
                "status": { "enum": ["investigating", "identified", "monitoring", "resolved"], "default": "investigating" },
                "channels": { "type": "array", "items": { "$ref": "#/$defs/id" }, "description": "Channels this update goes to; default: all." }
    ,
                "on": {
                    "description": "Run the command once per host of these targets (a fleet step).",
                    "oneOf": [ { "type": "string" }, { "type": "array", "minItems": 1, "items": { "type": "string" } } ]
                },
                "rollout": rollout_def()
            },
            "not": { "required": ["run", "update"] },
            "dependentRequired": { "status": ["update"], "channels": ["update"] },
            "if": { "not": { "required": ["run"] } },
            "then": { "properties": forbidden },
            "else": { "properties": { "checklist": false } }
        })
}

#[cfg(test)]
mod tests {
    use super::super::build::{INPUT_KEYS, RUNBOOK_KEYS, SECTION_KEYS, STEP_KEYS};
    use super::*;
    use std::path::PathBuf;

    fn keys(v: &Value) -> Vec<String> {
        let mut k: Vec<String> = v["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        k.sort();
        k
    }

    fn sorted(list: &[&str]) -> Vec<String> {
        let mut k: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        k.sort();
        k
    }

    #[test]
    fn schema_keys_match_the_loader() {
        let s = json_schema();
        assert_eq!(keys(&s), sorted(RUNBOOK_KEYS));
        assert_eq!(keys(&s["$defs"]["section"]), sorted(SECTION_KEYS));
        assert_eq!(keys(&s["$defs"]["step"]), sorted(STEP_KEYS));
        assert_eq!(keys(&s["$defs"]["input"]["oneOf"][2]), sorted(INPUT_KEYS));
    }

    #[test]
    fn every_reference_resolves() {
        let s = json_schema();
        let text = s.to_string();
        for piece in text.split("\"$ref\":\"#/$defs/").skip(1) {
            let name = piece.split('"').next().unwrap();
            assert!(s["$defs"].get(name).is_some(), "dangling $ref {name}");
        }
    }

    /// The committed copy must match; `UPDATE_SCHEMA=1 cargo test` rewrites it.
    #[test]
    fn committed_schema_is_current() {
        let path =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/runbook.schema.json");
        let fresh = serde_json::to_string_pretty(&json_schema()).unwrap() + "\n";
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &fresh).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "assets/runbook.schema.json is stale: run `UPDATE_SCHEMA=1 cargo test committed_schema` and commit it"
        );
    }
}
