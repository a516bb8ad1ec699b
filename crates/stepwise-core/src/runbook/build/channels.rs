//! `channels:` at the top level and the `update:` fields of a step: each
//! channel has exactly one transport; an update step names declared
//! channels and a status from the shared vocabulary. Never sends anything.

use super::super::check::{Checker, Field, Fields};
use super::super::diagnostic::ProblemKind;
use super::super::model::{Cadence, Channel, Transport, UpdateSpec, UpdateStatus};
use super::super::node::{Node, Pos, Value};
use super::super::slug::{did_you_mean, is_valid_id};

const TRANSPORTS: &[&str] = &["slack", "webhook", "command", "file"];
const SLACK_KEYS: &[&str] = &["webhook"];
const WEBHOOK_KEYS: &[&str] = &["url", "headers"];

/// `channels:` — a mapping from channel name to its transport.
pub fn channels(ck: &mut Checker, f: Option<Field<'_>>) -> Vec<Channel> {
    let Some(f) = f else { return Vec::new() };
    let Value::Map(entries) = &f.value.value else {
        ck.wrong_type(
            f,
            "a mapping of channel names to transports",
            "{ ops: { file: updates.jsonl } }",
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, value) in entries {
        let name = ck.scalar_text(key).unwrap_or_default();
        if !is_valid_id(&name) {
            let p = ck.at(
                ProblemKind::InvalidName,
                key.pos,
                "invalid channel name",
                format!("`{name}` is not a valid channel name"),
            );
            ck.push(
                p.with_help("use lowercase ASCII letters, digits, `-` and `_`, e.g. `incident`"),
            );
            continue;
        }
        if let Some(transport) = transport(ck, value, &name) {
            out.push(Channel { name, transport });
        }
    }
    out
}

fn transport(ck: &mut Checker, node: &Node, name: &str) -> Option<Transport> {
    let what = format!("channel `{name}`");
    let f = ck.fields(node, "channel", TRANSPORTS, |_| None)?;
    let chosen: Vec<Field<'_>> = TRANSPORTS.iter().filter_map(|k| f.get(k)).collect();
    if chosen.len() != 1 {
        let found = if chosen.is_empty() {
            "none".to_owned()
        } else {
            chosen
                .iter()
                .map(|c| c.name)
                .collect::<Vec<_>>()
                .join(" and ")
        };
        let p = ck.at_line(ProblemKind::Conflict, node.pos, "one transport", format!("{what} must have exactly one transport (slack, webhook, command or file), found {found}"));
        ck.push(p.with_help(
            "write e.g. `file: updates.jsonl` or `slack: { webhook: $SLACK_WEBHOOK_URL }`",
        ));
        return None;
    }
    let field = chosen[0];
    match field.name {
        "slack" => {
            let sf = ck.fields(field.value, "slack channel", SLACK_KEYS, |_| None)?;
            let webhook = required(ck, &sf, "webhook", field.key.pos, "$SLACK_WEBHOOK_URL")?;
            Some(Transport::Slack { webhook })
        }
        "webhook" => {
            let wf = ck.fields(field.value, "webhook channel", WEBHOOK_KEYS, |_| None)?;
            let url = required(ck, &wf, "url", field.key.pos, "$STATUS_HOOK_URL")?;
            let headers = headers(ck, wf.get("headers"));
            Some(Transport::Webhook { url, headers })
        }
        "command" => ck
            .nonblank(Some(field))
            .map(|run| Transport::Command { run }),
        _ => ck
            .nonblank(Some(field))
            .map(|path| Transport::File { path }),
    }
}

fn required(ck: &mut Checker, f: &Fields<'_>, key: &str, at: Pos, example: &str) -> Option<String> {
    if f.get(key).is_none() {
        let p = ck.at_line(
            ProblemKind::Missing,
            at,
            "incomplete",
            format!("missing `{key}`"),
        );
        ck.push(p.with_help(format!(
            "add `{key}: {example}` (an input, normally `secret: true`)"
        )));
        return None;
    }
    ck.nonblank(f.get(key))
}

fn headers(ck: &mut Checker, f: Option<Field<'_>>) -> Vec<(String, String)> {
    let Some(f) = f else { return Vec::new() };
    let Value::Map(entries) = &f.value.value else {
        ck.wrong_type(
            f,
            "a mapping of header names to values",
            "{ Authorization: \"Bearer $TOKEN\" }",
        );
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|(k, v)| Some((ck.scalar_text(k)?, ck.scalar_text(v)?)))
        .collect()
}

/// The update fields of a step, or `None` when it has no `update:`.
/// `status:` and `channels:` without `update:` are refused.
pub fn update(ck: &mut Checker, f: &Fields<'_>) -> Option<UpdateSpec> {
    let Some(uf) = f.get("update") else {
        for key in ["status", "channels"] {
            if let Some(field) = f.get(key) {
                let p = ck.at(
                    ProblemKind::Conflict,
                    field.key.pos,
                    "needs `update:`",
                    format!("`{key}` only applies to update steps (steps with `update:`)"),
                );
                ck.push(p.with_help(format!(
                    "add the message under `update:`, or remove `{key}`"
                )));
            }
        }
        return None;
    };
    if let Some(run) = f.get("run") {
        let p = ck.at(
            ProblemKind::Conflict,
            run.key.pos,
            "not with `update:`",
            "a step has either `run:` or `update:`, not both".into(),
        );
        ck.push(p.with_help(
            "split it into two steps: one that runs the command, one that sends the update",
        ));
    }
    let template = ck.nonblank(Some(uf))?;
    let status = status(ck, f.get("status"));
    let channels = ck.texts(f.get("channels")).unwrap_or_default();
    Some(UpdateSpec {
        template,
        status,
        channels,
    })
}

fn status(ck: &mut Checker, f: Option<Field<'_>>) -> UpdateStatus {
    let Some(field) = f else {
        return UpdateStatus::default();
    };
    let Some(word) = ck.string(Some(field)) else {
        return UpdateStatus::default();
    };
    if let Some((_, s)) = UpdateStatus::ALL.iter().find(|(w, _)| *w == word) {
        return *s;
    }
    let names: Vec<&str> = UpdateStatus::ALL.iter().map(|(w, _)| *w).collect();
    let help = match did_you_mean(&word, &names) {
        Some(near) => format!("did you mean `{near}`?"),
        None => format!("write one of: {}", names.join(", ")),
    };
    let message = format!(
        "`status` must be one of {}, found `{word}`",
        names.join(", ")
    );
    let p = ck.at(
        ProblemKind::InvalidValue,
        field.value.pos,
        "not a status",
        message,
    );
    ck.push(p.with_help(help));
    UpdateStatus::default()
}

/// Every channel an update step names must be declared; a step naming
/// none sends to all of them, so at least one must exist.
pub fn check_step_channels(ck: &mut Checker, update: &UpdateSpec, at: Pos, declared: &[Channel]) {
    let names: Vec<&str> = declared.iter().map(|c| c.name.as_str()).collect();
    if declared.is_empty() {
        let p = ck.at(
            ProblemKind::Missing,
            at,
            "no channel to send to",
            "this update step has no channel: the runbook declares no `channels:`".into(),
        );
        ck.push(p.with_help(
            "declare one at the top level, e.g. `channels: { ops: { file: updates.jsonl } }`",
        ));
        return;
    }
    for name in &update.channels {
        if names.contains(&name.as_str()) {
            continue;
        }
        let help = match did_you_mean(name, &names) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("the channels declared are: {}", names.join(", ")),
        };
        let p = ck.at(
            ProblemKind::InvalidValue,
            at,
            "unknown channel",
            format!("the update names the channel `{name}`, which `channels:` does not declare"),
        );
        ck.push(p.with_help(help));
    }
}

const CADENCE_KEYS: &[&str] = &["every", "channels", "status"];

/// `updates: { every: 30m, channels: [...], status: monitoring }`.
pub fn cadence(ck: &mut Checker, f: Option<Field<'_>>, declared: &[Channel]) -> Option<Cadence> {
    let field = f?;
    let cf = ck.fields(field.value, "updates", CADENCE_KEYS, |_| None)?;
    if cf.get("every").is_none() {
        let p = ck.at_line(
            ProblemKind::Missing,
            field.key.pos,
            "incomplete",
            "`updates` has no `every`".into(),
        );
        ck.push(p.with_help("add how often, e.g. `updates: { every: 30m }`"));
        return None;
    }
    let every = ck.duration(cf.get("every"))?;
    let spec = UpdateSpec {
        template: String::new(),
        status: match cf.get("status") {
            Some(_) => status(ck, cf.get("status")),
            None => UpdateStatus::Monitoring,
        },
        channels: ck.texts(cf.get("channels")).unwrap_or_default(),
    };
    check_step_channels(ck, &spec, field.key.pos, declared);
    Some(Cadence {
        every,
        channels: spec.channels,
        status: spec.status,
    })
}
