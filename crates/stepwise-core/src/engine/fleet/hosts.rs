//! A fleet step's hosts: the `hosts` of its targets, or what their
//! `hosts_from` command prints (one host per line, or Ansible inventory
//! JSON and a `group`), limited by `--limit`. Runs `hosts_from` commands
//! (with the step's values as environment variables, as a step's command
//! gets them: never pasted into the command text); nothing else.

use crate::runbook::fleet::is_host_name;
use crate::runbook::model::{HostTransport as Transport, Runbook, Step};
use std::io;
use std::path::Path;

/// One host and how it is reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostEntry {
    pub host: String,
    pub transport: Transport,
}

/// Where and how a `hosts_from` command runs: the runbook's shell, its
/// folder, and the step's environment (inputs, captures, `env:`).
pub struct Context<'a> {
    pub shell: &'a [String],
    pub cwd: &'a Path,
    pub env: &'a [(String, String)],
}

/// The hosts of `step`, in order, without duplicates, within `limit`.
pub async fn resolve(
    book: &Runbook,
    step: &Step,
    ctx: &Context<'_>,
    limit: Option<&[String]>,
) -> io::Result<Vec<HostEntry>> {
    let mut out: Vec<HostEntry> = Vec::new();
    for name in &step.on {
        let target = book
            .target(name)
            .ok_or_else(|| io::Error::other(format!("no target `{name}`")))?;
        let hosts = match &target.hosts_from {
            Some(cmd) => from_command(cmd, target.group.as_deref(), ctx).await?,
            None => target.hosts.clone(),
        };
        if let Some(bad) = hosts.iter().find(|h| !is_host_name(h)) {
            return Err(io::Error::other(format!(
                "target `{name}` gave `{}`, which is not a host name: no spaces, `/` or leading `-` (fix the `hosts_from` command's output)",
                crate::text::neutralize(bad, 80)
            )));
        }
        for host in hosts {
            if out.iter().any(|h| h.host == host) || limit.is_some_and(|l| !l.contains(&host)) {
                continue;
            }
            out.push(HostEntry {
                host,
                transport: target.transport,
            });
        }
    }
    if out.is_empty() {
        return Err(io::Error::other(format!(
            "step `{}` has no hosts to run on (check its targets and `--limit`)",
            step.id
        )));
    }
    same_log_name(&out)?;
    Ok(out)
}

/// Two hosts whose names differ only in characters a file name cannot
/// hold (`u@h1`, `u_h1`) would share one log: refused, naming both.
fn same_log_name(hosts: &[HostEntry]) -> io::Result<()> {
    let same = crate::runbook::fleet::same_log;
    for (i, a) in hosts.iter().enumerate() {
        if let Some(b) = hosts[i + 1..].iter().find(|b| same(&b.host, &a.host)) {
            return Err(io::Error::other(format!(
                "hosts `{}` and `{}` would share one log file (their names differ only in characters a file name cannot hold): rename one, or use an ssh alias",
                a.host, b.host
            )));
        }
    }
    Ok(())
}

async fn from_command(
    cmd: &str,
    group: Option<&str>,
    ctx: &Context<'_>,
) -> io::Result<Vec<String>> {
    let out = tokio::process::Command::new(&ctx.shell[0])
        .args(&ctx.shell[1..])
        .arg(cmd)
        .envs(ctx.env.iter().map(|(k, v)| (k, v)))
        .current_dir(ctx.cwd)
        .stdin(std::process::Stdio::null())
        .output()
        .await?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "`hosts_from` command `{cmd}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    parse(&text, group).map_err(io::Error::other)
}

/// One host per line, or Ansible inventory JSON (`--list`): the hosts of
/// `group` (its `hosts`, and those of its `children`).
pub fn parse(text: &str, group: Option<&str>) -> Result<Vec<String>, String> {
    let trimmed = text.trim_start();
    if !trimmed.starts_with('{') {
        let lines = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        return Ok(lines.map(str::to_owned).collect());
    }
    let json: serde_json::Value = serde_json::from_str(trimmed)
        .map_err(|e| format!("`hosts_from` printed JSON that does not parse: {e}"))?;
    let group = group.unwrap_or("all");
    let mut out = Vec::new();
    collect(&json, group, &mut out, 0);
    Ok(out)
}

fn collect(json: &serde_json::Value, group: &str, out: &mut Vec<String>, depth: usize) {
    let Some(g) = json.get(group).filter(|_| depth < 16) else {
        return;
    };
    let hosts = g
        .as_array()
        .or_else(|| g.get("hosts").and_then(|h| h.as_array()));
    for h in hosts.into_iter().flatten().filter_map(|h| h.as_str()) {
        if !out.iter().any(|o| o == h) {
            out.push(h.to_owned());
        }
    }
    let children = g.get("children").and_then(|c| c.as_array());
    for child in children.into_iter().flatten().filter_map(|c| c.as_str()) {
        collect(json, child, out, depth + 1);
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::fleet::hosts::parse;

    #[test]
    fn lines_or_ansible_json() {
        assert_eq!(parse("a\n\n b \n# no\n", None).unwrap(), vec!["a", "b"]);
        let inv = r#"{"workers":{"hosts":["w1","w2"],"children":["gpu"]},"gpu":{"hosts":["g1"]},"_meta":{}}"#;
        assert_eq!(parse(inv, Some("workers")).unwrap(), vec!["w1", "w2", "g1"]);
    }
}
