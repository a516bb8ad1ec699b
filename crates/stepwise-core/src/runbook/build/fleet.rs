//! The fleet fields: top-level `targets:`, and a step's `on:` and
//! `rollout:`, with the rules that tie them to the rest of the step
//! (`on:` needs `run:`, `rollout:` needs `on:`, no `tty` or `capture` on a
//! fleet step) and to the runbook (`on:` names a target).

use super::super::check::{Checker, Field, Fields};
use super::super::diagnostic::ProblemKind;
use super::super::fleet::{Amount, Between, Rollout, Target, Transport};
use super::super::node::{Node, Pos, Value};
use super::super::slug::{did_you_mean, is_valid_id};
use super::keys::{ROLLOUT_KEYS, TARGET_KEYS};

/// The `targets:` mapping: name → hosts.
pub fn targets(ck: &mut Checker, f: Option<Field<'_>>) -> Vec<Target> {
    let Some(field) = f else { return vec![] };
    let Value::Map(entries) = &field.value.value else {
        ck.wrong_type(
            field,
            "a mapping of target names",
            "{ web: { hosts: [web-1] } }",
        );
        return vec![];
    };
    let mut out = Vec::new();
    for (key, node) in entries {
        let Some(name) = ck.scalar_text(key) else {
            continue;
        };
        if !is_valid_id(&name) {
            let p = ck.at(
                ProblemKind::InvalidId,
                key.pos,
                "invalid target name",
                format!("`{name}` is not a valid target name"),
            );
            ck.push(p.with_help("use lowercase letters, digits, `-` and `_`, e.g. `web`"));
        }
        if let Some(t) = target(ck, name, node) {
            out.push(t);
        }
    }
    out
}

fn target(ck: &mut Checker, name: String, node: &Node) -> Option<Target> {
    let f = ck.fields(node, "target", TARGET_KEYS, |_| None)?;
    let hosts = ck.texts(f.get("hosts")).unwrap_or_default();
    if let Some(hf) = f.get("hosts")
        && let Value::Seq(items) = &hf.value.value
    {
        for (i, (host, item)) in hosts.iter().zip(items).enumerate() {
            host_name(ck, host, item.pos);
            same_log_name(ck, host, &hosts[..i], item.pos);
        }
    }
    let hosts_from = ck.nonblank(f.get("hosts_from"));
    let group = ck.nonblank(f.get("group"));
    let transport = transport(ck, f.get("transport"));
    match (f.get("hosts"), f.get("hosts_from")) {
        (Some(h), Some(_)) => conflict(
            ck,
            h.key.pos,
            "`hosts` and `hosts_from` together",
            "keep one: a fixed list under `hosts`, or a command under `hosts_from`",
        ),
        (None, None) => {
            let p = ck.at_line(
                ProblemKind::Missing,
                node.pos,
                "no hosts",
                format!("target `{name}` has neither `hosts` nor `hosts_from`"),
            );
            ck.push(p.with_help("add `hosts: [web-1, web-2]`, or `hosts_from: <a command printing one host per line>`"));
        }
        (Some(h), None) if hosts.is_empty() => {
            let p = ck.at_line(
                ProblemKind::Missing,
                h.key.pos,
                "empty list",
                format!("target `{name}` has an empty `hosts` list"),
            );
            ck.push(p.with_help("list at least one host, e.g. `hosts: [web-1]`"));
        }
        _ => {}
    }
    if let (Some(g), None) = (f.get("group"), f.get("hosts_from")) {
        conflict(
            ck,
            g.key.pos,
            "`group` without `hosts_from`",
            "`group` picks a group of the Ansible inventory JSON that `hosts_from` prints: add `hosts_from`, or remove `group`",
        );
    }
    Some(Target {
        name,
        hosts,
        hosts_from,
        group,
        transport,
    })
}

/// A host must be usable as `ssh DEST` and nothing else (see
/// [`crate::runbook::fleet::is_host_name`]).
fn host_name(ck: &mut Checker, host: &str, pos: Pos) {
    if !crate::runbook::fleet::is_host_name(host) {
        let p = ck.at(
            ProblemKind::InvalidValue,
            pos,
            "not a host",
            format!("`{host}` is not a valid ssh destination"),
        );
        ck.push(p.with_help("write a host name or alias as `ssh` takes it, e.g. `web-1` or `deploy@web-1.example.com` (no spaces, `/`, or leading `-`)"));
    }
}

/// Two hosts whose names differ only in characters a file name cannot
/// hold would share one log file.
fn same_log_name(ck: &mut Checker, host: &str, before: &[String], pos: Pos) {
    use crate::runbook::fleet::same_log;
    if let Some(other) = before.iter().find(|b| same_log(b, host)) {
        log_clash(ck, pos, format!("`{host}` and `{other}`"));
    }
}

/// The problem of two hosts (`which`, named) that would share a log file.
fn log_clash(ck: &mut Checker, pos: Pos, which: String) {
    let p = ck.at(
        ProblemKind::InvalidValue,
        pos,
        "same log as another host",
        format!("{which} would share one log file (their names differ only in characters a file name cannot hold)"),
    );
    ck.push(p.with_help("rename one of them, or give one an alias in your ssh config"));
}

fn transport(ck: &mut Checker, f: Option<Field<'_>>) -> Transport {
    let Some(field) = f else {
        return Transport::Ssh;
    };
    match ck.string(f).as_deref() {
        Some("ssh") => Transport::Ssh,
        Some("local") => Transport::Local,
        Some(other) => {
            let p = ck.at(
                ProblemKind::InvalidValue,
                field.value.pos,
                "not a transport",
                format!("`transport` must be `ssh` or `local`, found `{other}`"),
            );
            ck.push(p.with_help("write `transport: ssh` (the default) or `transport: local` (run here once per host, with TARGET set)"));
            Transport::Ssh
        }
        None => Transport::Ssh,
    }
}

fn conflict(ck: &mut Checker, pos: Pos, label: &str, help: &str) {
    let p = ck.at(
        ProblemKind::Conflict,
        pos,
        label,
        format!("{label} cannot be used here"),
    );
    ck.push(p.with_help(help.to_owned()));
}

/// A step's `on:`: a target name or a list of them, with their places.
pub fn on(ck: &mut Checker, f: Option<Field<'_>>) -> Vec<(String, Pos)> {
    let Some(field) = f else { return vec![] };
    let items: Vec<&Node> = match &field.value.value {
        Value::Seq(items) => items.iter().collect(),
        _ => vec![field.value],
    };
    let mut out = Vec::new();
    for item in items {
        match &item.value {
            Value::Str(s) => out.push((s.clone(), item.pos)),
            _ => ck.wrong_type(field, "a target name or a list of them", "web"),
        }
    }
    out
}

/// A step's `rollout:`.
pub fn rollout(ck: &mut Checker, f: Option<Field<'_>>) -> Rollout {
    let Some(field) = f else {
        return Rollout::default();
    };
    let Some(rf) = ck.fields(field.value, "rollout", ROLLOUT_KEYS, |_| None) else {
        return Rollout::default();
    };
    let mut r = Rollout::default();
    if let Some(bf) = rf.get("batches") {
        r.batches = batches(ck, bf).unwrap_or(r.batches);
    }
    if let Some(mf) = rf.get("max_in_flight") {
        match ck.integer(Some(mf)) {
            Some(n) if n >= 1 => r.max_in_flight = n as usize,
            Some(n) => {
                let p = ck.at(
                    ProblemKind::InvalidValue,
                    mf.value.pos,
                    "must be 1 or more",
                    format!("`max_in_flight` is {n}"),
                );
                ck.push(
                    p.with_help("write how many hosts may run at once, e.g. `max_in_flight: 10`"),
                );
            }
            None => {}
        }
    }
    if let Some(mf) = rf.get("max_failures") {
        r.max_failures = amount(ck, mf.value, "max_failures", 0).unwrap_or(r.max_failures);
    }
    r.between_batches = between(ck, rf.get("between_batches"));
    r
}

fn batches(ck: &mut Checker, f: Field<'_>) -> Option<Vec<Amount>> {
    let items: Vec<&Node> = match &f.value.value {
        Value::Seq(items) => items.iter().collect(),
        _ => vec![f.value],
    };
    if items.is_empty() {
        let p = ck.at_line(
            ProblemKind::InvalidValue,
            f.key.pos,
            "no batches",
            "`batches` is an empty list".into(),
        );
        ck.push(p.with_help("write batch sizes, e.g. `batches: [1, \"25%\", \"100%\"]`, or remove the key (one batch of every host)"));
        return None;
    }
    items
        .into_iter()
        .map(|n| amount(ck, n, "batches", 1))
        .collect()
}

/// A count (at least `min`) or a share `"N%"` (1 to 100).
fn amount(ck: &mut Checker, node: &Node, key: &str, min: i64) -> Option<Amount> {
    let parsed = match &node.value {
        Value::Int(n) if *n >= min => usize::try_from(*n).ok().map(Amount::Count),
        Value::Str(s) => s
            .strip_suffix('%')
            .and_then(|p| p.trim().parse::<u32>().ok())
            .filter(|p| (1..=100).contains(p))
            .map(Amount::Percent),
        _ => None,
    };
    if parsed.is_none() {
        let found = match &node.value {
            Value::Int(n) => n.to_string(),
            Value::Str(s) => format!("`{s}`"),
            other => other.kind().to_owned(),
        };
        let p = ck.at(
            ProblemKind::InvalidValue,
            node.pos,
            "not a count or a share",
            format!(
                "`{key}` takes a number ({min} or more) or a share like \"25%\", found {found}"
            ),
        );
        ck.push(p.with_help(format!(
            "write e.g. `{key}: 2` or `{key}: \"25%\"` (quote the share)"
        )));
    }
    parsed
}

fn between(ck: &mut Checker, f: Option<Field<'_>>) -> Between {
    let Some(field) = f else { return Between::None };
    match &field.value.value {
        Value::Str(s) if s == "confirm" => Between::Confirm,
        Value::Str(s) if s == "none" => Between::None,
        Value::Str(_) => ck.duration(f).map_or(Between::None, Between::Pause),
        _ => {
            ck.wrong_type(field, "`confirm`, `none` or a duration", "confirm");
            Between::None
        }
    }
}

/// The rules of a fleet step's own fields.
pub fn step_rules(ck: &mut Checker, f: &Fields<'_>) {
    let has = |k: &str| f.get(k);
    if let Some(on) = has("on") {
        if has("run").is_none() {
            conflict(
                ck,
                on.key.pos,
                "`on` without `run`",
                "`on` runs the step's command on each host: add `run:`, or remove `on`",
            );
        }
        for key in ["tty", "capture"] {
            if let Some(k) = has(key) {
                let help =
                    format!("`{key}` is not available on a fleet step (one with `on:`): remove it");
                conflict(ck, k.key.pos, &format!("`{key}` with `on`"), &help);
            }
        }
    } else if let Some(r) = has("rollout") {
        conflict(
            ck,
            r.key.pos,
            "`rollout` without `on`",
            "`rollout` says how a fleet step goes through its hosts: add `on: <target>`, or remove `rollout`",
        );
    }
}

/// Every `on:` names a target of the runbook.
/// `steps`: each step's id and its `on:` targets with their places.
pub fn known_targets<'a>(
    ck: &mut Checker,
    steps: impl Iterator<Item = (&'a str, &'a [(String, Pos)])>,
    targets: &[Target],
) {
    let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
    for (id, places) in steps {
        for (name, pos) in places {
            if names.contains(&name.as_str()) {
                continue;
            }
            let help = match did_you_mean(name, &names) {
                Some(near) => format!("did you mean `{near}`?"),
                None if names.is_empty() => "define it under a top-level `targets:`, e.g. `targets: { web: { hosts: [web-1, web-2] } }`".into(),
                None => format!("targets of this runbook: {}", names.join(", ")),
            };
            let p = ck.at(
                ProblemKind::InvalidValue,
                *pos,
                "unknown target",
                format!("step `{}` runs on `{name}`, which is not a target", id),
            );
            ck.push(p.with_help(help));
        }
        shared_log_across_targets(ck, id, places, targets);
    }
}

/// A step on two targets runs each host once: two hosts of different
/// targets whose log names collide (`u@h1` in one, `u_h1` in the other)
/// would share one log file, which the engine refuses when the step
/// starts. Said here, at the step's second target, for the static lists.
fn shared_log_across_targets(
    ck: &mut Checker,
    id: &str,
    places: &[(String, Pos)],
    targets: &[Target],
) {
    use crate::runbook::fleet::same_log;
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for (name, pos) in places {
        let Some(t) = targets.iter().find(|t| &t.name == name) else {
            continue;
        };
        let clash = t.hosts.iter().find_map(|h| {
            seen.iter()
                .find(|(other, _)| same_log(other, h))
                .map(|(other, from)| (h, *other, *from))
        });
        if let Some((host, other, from)) = clash {
            let which = format!("step `{id}`: `{host}` of `{name}` and `{other}` of `{from}`");
            return log_clash(ck, *pos, which);
        }
        seen.extend(t.hosts.iter().map(|h| (h.as_str(), t.name.as_str())));
    }
}
