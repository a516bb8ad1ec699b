//! A fleet step in a transcript: the per-host table (host, batch, status,
//! exit, duration, runs, why) and the batches with the answers given
//! between them, for Markdown, HTML and JSON. Pure functions of the fold.

use super::context::Context;
use super::fmt;
use crate::session::event::{Actor, ConfirmedVia, ExitInfo};
use crate::session::fleet::FleetState;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The per-host table and the batches, in Markdown; empty for another step.
pub fn markdown(f: &FleetState, ctx: &Context) -> String {
    if !f.is_fleet() {
        return String::new();
    }
    let mut out = String::from(
        "| Host | Batch | Status | Exit | Duration | Runs | Note |\n|---|---|---|---|---|---|---|\n",
    );
    for h in &f.hosts {
        out.push_str(&format!(
            "| {} | {} | {} {} | {} | {} | {} | {} |\n",
            fmt::md_inline(&h.host),
            h.batch,
            h.status.mark(),
            h.status.label(),
            h.exit.map_or("–".to_owned(), |e| e.to_string()),
            h.duration_ms.map_or("–".to_owned(), ms),
            h.runs,
            fmt::md_inline(h.message.as_deref().unwrap_or("")).replace('|', "\\|"),
        ));
    }
    out.push('\n');
    for line in batch_lines(f, ctx) {
        out.push_str(&format!("- {}\n", fmt::md_inline(&line)));
    }
    out.push('\n');
    out
}

/// The same, as HTML (every text escaped).
pub fn html(f: &FleetState, ctx: &Context, esc: fn(&str) -> String) -> String {
    if !f.is_fleet() {
        return String::new();
    }
    let mut out = String::from(
        "<table class=\"hosts\"><thead><tr><th>Host</th><th>Batch</th><th>Status</th><th>Exit</th><th>Duration</th><th>Runs</th><th>Note</th></tr></thead><tbody>\n",
    );
    for h in &f.hosts {
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&h.host),
            h.batch,
            h.status.mark(),
            h.status.label(),
            h.exit.map_or("–".to_owned(), |e| e.to_string()),
            h.duration_ms.map_or("–".to_owned(), ms),
            h.runs,
            esc(h.message.as_deref().unwrap_or("")),
        ));
    }
    out.push_str("</tbody></table>\n<ul class=\"batches\">\n");
    for line in batch_lines(f, ctx) {
        out.push_str(&format!("<li>{}</li>\n", esc(&line)));
    }
    out.push_str("</ul>\n");
    out
}

fn ms(ms: u64) -> String {
    crate::runbook::duration::format(std::time::Duration::from_millis(ms))
}

/// Every batch by its number (a plan that went on with an earlier one
/// keeps its numbers, so each host's batch is where it last ran), then
/// every answer given between batches.
fn batch_lines(f: &FleetState, ctx: &Context) -> Vec<String> {
    let mut numbers: Vec<u32> = f.hosts.iter().map(|h| h.batch).collect();
    numbers.sort_unstable();
    numbers.dedup();
    let mut out: Vec<String> = numbers
        .iter()
        .map(|n| {
            let hosts: Vec<&str> = f
                .hosts
                .iter()
                .filter(|h| h.batch == *n)
                .map(|h| h.host.as_str())
                .collect();
            format!("Batch {n}: {}", hosts.join(", "))
        })
        .collect();
    for a in &f.answers {
        let word = if a.proceed { "continue" } else { "stop" };
        let user =
            a.by.as_ref()
                .map_or("someone".to_owned(), |b| b.user.clone());
        let who = match a.via {
            ConfirmedVia::Operator => user,
            ConfirmedVia::YesFlag => format!("--yes ({user})"),
            ConfirmedVia::Answer => format!("--answer ({user})"),
            ConfirmedVia::Nobody => "nobody (no one to confirm, headless)".to_owned(),
        };
        let at = fmt::stamp(a.at, ctx.local_offset, &ctx.tz_name);
        out.push(format!(
            "After batch {} (attempt {}): {word}, by {who} at {at}",
            a.batch, a.attempt
        ));
    }
    if let Some(why) = &f.stopped {
        out.push(format!("Rollout stopped: {why}"));
    }
    out
}

/// The JSON form of a fleet step.
#[derive(Serialize)]
pub struct FleetOut<'a> {
    hosts: Vec<HostOut<'a>>,
    batches: &'a [Vec<String>],
    /// Each batch's number (a plan that went on with an earlier one
    /// keeps its batches' numbers).
    batch_numbers: &'a [u32],
    budget: u32,
    answers: Vec<AnswerOut<'a>>,
    stopped: Option<&'a str>,
}

#[derive(Serialize)]
struct HostOut<'a> {
    host: &'a str,
    batch: u32,
    status: &'static str,
    attempt: u32,
    runs: u32,
    exit: Option<ExitInfo>,
    duration_ms: Option<u64>,
    message: Option<&'a str>,
    log: Option<&'a str>,
}

#[derive(Serialize)]
struct AnswerOut<'a> {
    attempt: u32,
    batch: u32,
    proceed: bool,
    via: ConfirmedVia,
    at: DateTime<Utc>,
    by: Option<&'a Actor>,
}

pub fn json(f: &FleetState) -> Option<FleetOut<'_>> {
    f.is_fleet().then(|| FleetOut {
        hosts: f
            .hosts
            .iter()
            .map(|h| HostOut {
                host: &h.host,
                batch: h.batch,
                status: h.status.label(),
                attempt: h.attempt,
                runs: h.runs,
                exit: h.exit,
                duration_ms: h.duration_ms,
                message: h.message.as_deref(),
                log: h.log.as_deref(),
            })
            .collect(),
        batches: &f.batches,
        batch_numbers: &f.numbers,
        budget: f.budget,
        answers: f
            .answers
            .iter()
            .map(|a| AnswerOut {
                attempt: a.attempt,
                batch: a.batch,
                proceed: a.proceed,
                via: a.via,
                at: a.at,
                by: a.by.as_ref(),
            })
            .collect(),
        stopped: f.stopped.as_deref(),
    })
}
