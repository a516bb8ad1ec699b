//! The Markdown transcript: the post-incident record, ready to paste into a
//! postmortem document. Header, inputs, timeline, steps by section,
//! follow-up actions, and a postmortem skeleton.
//!
//! Pure: builds a string from the session and the context, never does I/O.
//! Text from people and commands is escaped so it cannot turn into HTML or
//! break a table; outputs sit in fences longer than any backtick run inside.

use super::context::Context;
use super::report::{self, Postmortem, Quoted};
use super::{fmt, timeline};
use crate::runbook::model::Section;
use crate::session::state::{Attempt, Note, Session, StepState};

pub fn render(s: &Session, ctx: &Context) -> String {
    let mut out = String::new();
    header(&mut out, s, ctx);
    inputs(&mut out, s);
    timeline_table(&mut out, s, ctx);
    steps(&mut out, s, ctx);
    communications(&mut out, s);
    follow_up(&mut out, s);
    postmortem(
        &mut out,
        &report::postmortem(s),
        !s.runbook.follow_up.is_empty(),
    );
    out
}

fn header(out: &mut String, s: &Session, ctx: &Context) {
    let rb = &s.runbook;
    let (off, tz) = (ctx.local_offset, ctx.tz_name.as_str());
    let title = fmt::md_inline(&rb.title);
    out.push_str(&format!("# {title} — session transcript\n\n"));
    let record = report::record_notes(ctx);
    for n in record.iter().filter(|n| n.alarm) {
        out.push_str(&format!(
            "> **⚠ {}:** {}\n\n",
            n.label,
            fmt::md_inline(&n.text)
        ));
    }
    if let Some(d) = &rb.description {
        out.push_str(&format!("_{}_\n\n", fmt::md_inline(d.trim())));
    }
    out.push_str(&format!(
        "- **Runbook:** {title} ({}, from {})\n",
        fmt::md_code(&rb.id),
        fmt::md_code(&s.runbook_path)
    ));
    out.push_str(&format!(
        "- **Runbook SHA-256:** {}\n",
        fmt::md_code(&s.runbook_sha256)
    ));
    out.push_str(&format!("- **Session:** {}\n", fmt::md_code(&s.id)));
    out.push_str(&format!(
        "- **Session folder:** {} (log paths below are relative to it)\n",
        fmt::md_code(&ctx.session_dir.to_string_lossy())
    ));
    out.push_str(&format!(
        "- **Operators:** {}\n",
        fmt::md_inline(&report::operators(s))
    ));
    for (label, text) in report::when(s, off, tz) {
        out.push_str(&format!("- **{label}:** {text}\n"));
    }
    outcome(out, s, ctx);
    out.push_str(&format!("- **Steps:** {}\n", counts_line(s)));
    out.push_str(&format!(
        "- **Times:** {}\n",
        fmt::md_inline(&report::times_note(off, tz))
    ));
    if let Some((was, now)) = &s.runbook_changed {
        out.push_str(&format!(
            "- **Warning:** the runbook file changed during the session (was {}, now {}); \
             the session ran its own copy\n",
            fmt::md_code(was),
            fmt::md_code(now)
        ));
    }
    for n in record.iter().filter(|n| !n.alarm) {
        out.push_str(&format!("- **{}:** {}\n", n.label, fmt::md_inline(&n.text)));
    }
    out.push('\n');
}

fn outcome(out: &mut String, s: &Session, ctx: &Context) {
    let o = report::outcome(s, &ctx.records);
    let mut line = format!("- **Outcome:** **{}**", o.word);
    if let Some(d) = &o.detail {
        line.push_str(&format!(". {}", fmt::md_inline(d)));
    }
    out.push_str(&line);
    out.push('\n');
    if let Some(stop) = &o.stopped_at {
        out.push_str(&format!(
            "- **Stopped at:** step {} ({}): {}\n",
            fmt::md_inline(&stop.label),
            fmt::md_code(&stop.step),
            stop.state
        ));
    }
}

fn counts_line(s: &Session) -> String {
    let c = report::counts(s);
    let mut line = format!(
        "{} done, {} skipped, {} failed, {} done by hand",
        c.done, c.skipped, c.failed, c.done_by_hand
    );
    if c.cancelled > 0 {
        line.push_str(&format!(", {} cancelled", c.cancelled));
    }
    if c.running > 0 {
        line.push_str(&format!(", {} running (no end recorded)", c.running));
    }
    if c.unknown > 0 {
        line.push_str(&format!(", {} outcome unknown", c.unknown));
    }
    if c.not_reached > 0 {
        line.push_str(&format!(", {} not reached", c.not_reached));
    }
    line.push_str(&format!(" (of {})", c.total));
    line
}

fn inputs(out: &mut String, s: &Session) {
    out.push_str("## Inputs\n\n");
    if s.inputs.is_empty() && s.runbook.inputs.is_empty() {
        out.push_str("_This runbook takes no inputs._\n\n");
        return;
    }
    out.push_str("| Name | Value | From |\n| --- | --- | --- |\n");
    for def in &s.runbook.inputs {
        match s.inputs.iter().find(|i| i.name == def.name) {
            Some(v) => out.push_str(&input_row(s, v)),
            None => out.push_str(&format!(
                "| {} | _not given_ | |\n",
                fmt::md_inline(&def.name)
            )),
        }
    }
    for v in s
        .inputs
        .iter()
        .filter(|v| s.runbook.input(&v.name).is_none())
    {
        out.push_str(&input_row(s, v));
    }
    for v in &s.captures {
        out.push_str(&format!(
            "| {} | {} | captured |\n",
            fmt::md_inline(&v.name),
            fmt::md_code(&report::shown_value(s, v))
        ));
    }
    out.push('\n');
}

fn input_row(s: &Session, v: &crate::session::state::InputValue) -> String {
    let from = fmt::md_inline(&report::input_from(s, v));
    let value = report::shown_value(s, v);
    let shown = if value.is_empty() {
        "_empty_".to_owned()
    } else {
        fmt::md_code(&value)
    };
    format!("| {} | {shown} | {from} |\n", fmt::md_inline(&v.name))
}

fn timeline_table(out: &mut String, s: &Session, ctx: &Context) {
    out.push_str("## Timeline\n\n");
    out.push_str(&format!(
        "| Time (UTC) | Local ({}) | Since start | Step | What happened | Who |\n",
        fmt::md_inline(&ctx.tz_name)
    ));
    out.push_str("| --- | --- | --- | --- | --- | --- |\n");
    for row in timeline::rows(s, ctx) {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            fmt::clock(row.at, s.started_at),
            fmt::local_clock(row.at, s.started_at, ctx.local_offset),
            fmt::since(s.started_at, row.at),
            fmt::md_inline(&row.step),
            fmt::md_inline(&row.what),
            fmt::md_inline(&row.who)
        ));
    }
    out.push('\n');
}

fn steps(out: &mut String, s: &Session, ctx: &Context) {
    out.push_str("## Steps\n\n");
    for (index, section) in s.runbook.sections.iter().enumerate() {
        out.push_str(&format!(
            "### {}. {}\n\n",
            index + 1,
            fmt::md_inline(&section.title)
        ));
        if let Some(note) = section_note(s, index, section) {
            out.push_str(&format!("_{note}_\n\n"));
        }
        for st in s.steps.iter().filter(|st| st.section == index) {
            step(out, s, st, ctx);
        }
    }
    if !s.notes.is_empty() {
        out.push_str("### Session notes\n\n");
        notes(out, &s.notes, ctx);
    }
}

/// A line about an optional section: skipped as a whole, not run, or offered.
pub fn section_note(s: &Session, index: usize, section: &Section) -> Option<String> {
    if !section.optional {
        return None;
    }
    let steps: Vec<&StepState> = s.steps.iter().filter(|st| st.section == index).collect();
    let skipped =
        |st: &&StepState| matches!(st.status, crate::session::state::StepStatus::Skipped { .. });
    let pending = |st: &&StepState| st.status == crate::session::state::StepStatus::Pending;
    Some(if steps.is_empty() {
        "Optional section, with no steps.".to_owned()
    } else if steps.iter().all(skipped) {
        "Optional section — skipped.".to_owned()
    } else if steps.iter().all(pending) {
        "Optional section — not run.".to_owned()
    } else {
        "Optional section.".to_owned()
    })
}

fn step(out: &mut String, s: &Session, st: &StepState, ctx: &Context) {
    let def = s.runbook.step(&st.id);
    out.push_str(&format!(
        "#### {} {} — {}\n\n",
        fmt::md_inline(&report::label(s, st)),
        icon(report::status_key(&st.status)),
        st.word()
    ));
    let mut status = format!(
        "- **Status:** {}",
        fmt::md_inline(&report::how_reached(st, def))
    );
    if let Some(at) = st.settled_at {
        status.push_str(&format!(
            ", at {}",
            fmt::stamp(at, ctx.local_offset, &ctx.tz_name)
        ));
    }
    out.push_str(&format!("{status}\n"));
    if let Some(reason) = report::skip_reason(st) {
        out.push_str(&format!("- **Reason:** {}\n", fmt::md_inline(reason)));
    }
    out.push_str(&format!("- **Id:** {}\n\n", fmt::md_code(&st.id)));
    if let Some(d) = def.filter(|d| !d.checklist.is_empty()) {
        for (i, item) in d.checklist.iter().enumerate() {
            let tick = if st.checked.contains(&i) { 'x' } else { ' ' };
            out.push_str(&format!("- [{tick}] {}\n", fmt::md_inline(item)));
        }
        out.push('\n');
    }
    out.push_str(&super::fleet::markdown(&st.fleet, ctx));
    for a in &st.attempts {
        attempt(out, st, a, ctx);
    }
    if !st.notes.is_empty() {
        notes(out, &st.notes, ctx);
    }
}

fn icon(key: &str) -> &'static str {
    match key {
        "done" => "✅",
        "by-hand" => "✋",
        "failed" => "❌",
        "skipped" => "⏭️",
        "unknown" => "❓",
        _ => "⏸️",
    }
}

fn attempt(out: &mut String, st: &StepState, a: &Attempt, ctx: &Context) {
    out.push_str(&format!(
        "**Attempt {}** — {} — started {}\n\n",
        a.number,
        fmt::md_inline(&report::attempt_result(a)),
        fmt::clock(a.started_at, None)
    ));
    let f = fmt::fence(&a.command);
    out.push_str(&format!("{f}sh\n{}\n{f}\n\n", a.command.trim_end()));
    let tail = ctx.tails.get(&(st.id.clone(), a.number));
    match tail.filter(|t| !t.is_empty()) {
        Some(lines) => {
            let body = lines.join("\n");
            let f = fmt::fence(&body);
            out.push_str(&format!(
                "{} ({}):\n\n{f}text\n{body}\n{f}\n\n",
                report::last_lines(lines.len()),
                what_size(st, a)
            ));
        }
        None if a.log_cut.is_some() => out.push_str("_No output was kept._\n\n"),
        None => out.push_str("_No output._\n\n"),
    }
    if let Some(cut) = &a.log_cut {
        out.push_str(&format!(
            "**Output lost:** {}.\n\n",
            fmt::md_inline(&report::log_cut(cut))
        ));
    }
    if a.leftovers > 0 {
        out.push_str(&format!(
            "**Leftovers:** {}.\n\n",
            report::leftovers(a.leftovers)
        ));
    }
    out.push_str(&format!(
        "{} (in the session folder)\n\n",
        report::full_log(st, a, fmt::md_code)
    ));
}

/// The sizes of an attempt's output; a fleet step's lines come from its
/// hosts' logs (the step itself writes none).
pub fn what_size(st: &StepState, a: &Attempt) -> String {
    if st.fleet.is_fleet() {
        "the last lines of each host's log, hosts that failed first".to_owned()
    } else {
        sizes(a)
    }
}

/// `stdout 1.2 KiB, stderr 40 B`.
pub fn sizes(a: &Attempt) -> String {
    format!(
        "stdout {}, stderr {}",
        bytes(a.stdout_bytes),
        bytes(a.stderr_bytes)
    )
}

fn bytes(n: u64) -> String {
    match n {
        0..1024 => format!("{n} B"),
        1024..1_048_576 => format!("{:.1} KiB", n as f64 / 1024.0),
        _ => format!("{:.1} MiB", n as f64 / 1_048_576.0),
    }
}

fn notes(out: &mut String, notes: &[Note], ctx: &Context) {
    for n in notes {
        for line in n.text.lines() {
            out.push_str(&format!("> {}\n", fmt::md_quote_line(line)).replace("> \n", ">\n"));
        }
        out.push_str(&format!(
            ">\n> — {}, {}\n\n",
            fmt::md_inline(&fmt::who(n.by.as_ref())),
            fmt::stamp(n.at, ctx.local_offset, &ctx.tz_name)
        ));
    }
}

/// Every status update: when, who, status, channels, the text as sent,
/// and how each channel took it. Left out when nothing was sent.
fn communications(out: &mut String, s: &Session) {
    if s.updates.is_empty() {
        return;
    }
    out.push_str("## Communications\n\n");
    for u in &s.updates {
        out.push_str(&format!(
            "- **{}** {} by {} to {} — {}\n",
            u.status.word(),
            fmt::utc(u.at),
            fmt::who(u.by.as_ref()),
            u.channels.join(", "),
            report::update_outcome(u),
        ));
        for line in u.text.lines() {
            out.push_str(&format!("  > {}\n", fmt::md_inline(line)));
        }
        for c in u.results.iter().flatten() {
            let mark = if c.ok { "✓" } else { "✗" };
            out.push_str(&format!(
                "  - {mark} {}: {}\n",
                c.channel,
                fmt::md_inline(&c.detail)
            ));
        }
    }
    out.push('\n');
}

fn follow_up(out: &mut String, s: &Session) {
    out.push_str("## Follow-up actions\n\n");
    if s.runbook.follow_up.is_empty() {
        out.push_str("_The runbook lists none._\n\n");
        return;
    }
    for item in &s.runbook.follow_up {
        out.push_str(&format!("- [ ] {}\n", fmt::md_inline(item)));
    }
    out.push('\n');
}

const BLANK: &str = "_To be written: nothing was recorded for this during the session._";

/// `follow_up`: the runbook lists follow-up actions (shown above).
fn postmortem(out: &mut String, pm: &Postmortem, follow_up: bool) {
    out.push_str("## Postmortem notes\n\n");
    out.push_str(&format!("_{}_\n\n", report::POSTMORTEM_HINT));
    out.push_str("### Root cause\n\n");
    quoted(out, &pm.root_cause, BLANK);
    out.push_str("### Impact\n\n");
    quoted(out, &pm.impact, BLANK);
    out.push_str("### What went well\n\n");
    quoted(out, &pm.went_well, BLANK);
    out.push_str("### What went wrong\n\n");
    if !pm.failures.is_empty() {
        out.push_str("Recorded by stepwise:\n\n");
        for fact in &pm.failures {
            out.push_str(&format!("- {}\n", fmt::md_inline(fact)));
        }
        out.push('\n');
    }
    quoted(out, &pm.went_wrong, "_The team's account: to be written._");
    out.push_str("### Action items\n\n");
    for q in &pm.action_items {
        out.push_str(&format!(
            "- [ ] {} (from {}, {})\n",
            fmt::md_inline(&q.note.text),
            fmt::md_inline(&q.source),
            fmt::md_inline(&fmt::who(q.note.by.as_ref()))
        ));
    }
    out.push_str(if follow_up {
        "- [ ] _To be written (the runbook's follow-up actions are listed above)._\n"
    } else {
        "- [ ] _To be written._\n"
    });
}

fn quoted(out: &mut String, items: &[Quoted], blank: &str) {
    if items.is_empty() {
        out.push_str(&format!("{blank}\n\n"));
        return;
    }
    for q in items {
        out.push_str(&format!(
            "From {} ({}, {}):\n\n",
            fmt::md_inline(&q.source),
            fmt::md_inline(&fmt::who(q.note.by.as_ref())),
            fmt::utc(q.note.at)
        ));
        for line in q.note.text.lines() {
            out.push_str(&format!("> {}\n", fmt::md_quote_line(line)).replace("> \n", ">\n"));
        }
        out.push('\n');
    }
}
