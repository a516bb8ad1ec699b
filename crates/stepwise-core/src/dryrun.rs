//! `--dry-run`: what a session would run, with each step's resolved
//! environment (secrets masked). Runs nothing and writes nothing.

use crate::engine::inputs::Given;
use crate::engine::redact::MASK;
use crate::runbook::duration;
use crate::runbook::model::Runbook;
use std::fmt::Write;

/// The plan as plain text.
pub fn plan(runbook: &Runbook, given: &[Given], shell: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Dry run of {} ({}) — nothing will run.",
        runbook.title, runbook.id
    );
    if let Some(d) = &runbook.description {
        let _ = writeln!(out, "{}", d.trim());
    }
    let _ = writeln!(out, "Shell: {}", shell.join(" "));
    // With no value known yet, the heading waits for the list of inputs
    // still to give (`missing`), which follows the plan.
    if !given.is_empty() {
        let _ = writeln!(
            out,
            "\nInputs (passed to commands as environment variables):"
        );
    }
    for g in given {
        let secret = runbook.input(&g.name).is_some_and(|i| i.secret);
        let _ = writeln!(
            out,
            "  {}={}",
            g.name,
            if secret {
                MASK.to_owned()
            } else {
                shown_value(&g.value)
            }
        );
    }
    if !runbook.env.is_empty() {
        let _ = writeln!(out, "\nEnvironment (the runbook's env):");
    }
    for (k, v) in &runbook.env {
        let _ = writeln!(out, "  {k}={}", shown_value(v));
    }
    for section in &runbook.sections {
        let optional = if section.optional { " (optional)" } else { "" };
        let _ = writeln!(out, "\n## {}{optional}", section.title);
        if let Some(d) = &section.description {
            let _ = writeln!(out, "{}", d.trim());
        }
        for step in &section.steps {
            write_step(&mut out, step);
            for line in fleet_lines(runbook, step) {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    out
}

fn write_step(out: &mut String, step: &crate::runbook::model::Step) {
    match &step.run {
        Some(cmd) => {
            let confirm = if step.confirm {
                " [asks before running]"
            } else {
                ""
            };
            let _ = writeln!(out, "- [auto] {} ({}){confirm}", step.title, step.id);
            for line in cmd.lines() {
                let _ = writeln!(out, "    $ {line}");
            }
            if let Some(t) = step.timeout {
                let _ = writeln!(out, "    timeout {}", duration::format(t));
            }
            if step.retry.attempts > 1 {
                let _ = writeln!(
                    out,
                    "    up to {} attempts, {} apart",
                    step.retry.attempts,
                    duration::format(step.retry.delay)
                );
            }
            for (k, v) in &step.env {
                let _ = writeln!(out, "    env {k}={v}");
            }
        }
        None => {
            let _ = writeln!(out, "- [human] {} ({})", step.title, step.id);
            for item in &step.checklist {
                let _ = writeln!(out, "    [ ] {item}");
            }
        }
    }
}

/// A fleet step's hosts and batches (`hosts_from` is not run in a dry run).
fn fleet_lines(runbook: &Runbook, step: &crate::runbook::model::Step) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for name in &step.on {
        let Some(t) = runbook.target(name) else {
            continue;
        };
        match &t.hosts_from {
            Some(cmd) => {
                let what = match &t.group {
                    Some(g) => format!("the hosts of Ansible group `{g}` in"),
                    None => "hosts from".to_owned(),
                };
                out.push(format!(
                    "on {name}: {what} the output of (not run in a dry run):"
                ));
                out.extend(
                    cmd.lines()
                        .map(|l| format!("  $ {}", crate::text::show_controls(l))),
                );
            }
            None => {
                let how = match t.transport {
                    crate::runbook::model::HostTransport::Ssh => "ssh",
                    crate::runbook::model::HostTransport::Local => "local",
                };
                out.push(format!("on {name} ({how}): {}", t.hosts.join(", ")));
                for h in &t.hosts {
                    if !hosts.contains(h) {
                        hosts.push(h.clone());
                    }
                }
            }
        }
    }
    let r = &step.rollout;
    for (i, batch) in r.batches_of(&hosts).iter().enumerate() {
        out.push(format!("batch {}: {}", i + 1, batch.join(", ")));
    }
    if step.is_fleet() {
        let between = match r.between_batches {
            crate::runbook::model::Between::None => "go on".to_owned(),
            crate::runbook::model::Between::Confirm => "ask the operator".to_owned(),
            crate::runbook::model::Between::Pause(d) => format!("wait {}", duration::format(d)),
        };
        out.push(format!(
            "at most {} at once; stops when more than {} fail; between batches: {between}",
            r.max_in_flight,
            r.budget(hosts.len()),
        ));
    }
    out
}

/// A value as data: plain words as they are; anything with spaces, quotes,
/// shell syntax, newlines or control characters as one double-quoted,
/// escaped string, so `a\nb; rm -rf ~` cannot pass for two lines of the
/// plan or for a command. The value itself is passed to commands unchanged.
pub fn shown_value(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || "-_./:@%+,=".contains(c));
    if plain {
        value.to_owned()
    } else {
        let quoted = serde_json::to_string(value).unwrap_or_else(|_| format!("{value:?}"));
        crate::text::show_controls(&quoted)
    }
}

/// The inputs a real run would still need, as a closing paragraph.
pub fn missing(runbook: &Runbook, given: &[Given]) -> String {
    let required: Vec<_> = runbook
        .inputs
        .iter()
        .filter(|i| i.required && !given.iter().any(|g| g.name == i.name))
        .collect();
    if required.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = required.iter().map(|i| i.name.as_str()).collect();
    let flags: Vec<String> = required
        .iter()
        .map(|i| crate::engine::inputs::how_to_give(&i.name, i.secret))
        .collect();
    format!(
        "\nA real run needs values for: {}\n  give them with {}\n",
        names.join(", "),
        flags.join(" ")
    )
}
