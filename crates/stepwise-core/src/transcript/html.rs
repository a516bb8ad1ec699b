//! The HTML transcript: one self-contained page with the same content as the
//! Markdown. Inline CSS, no script, no external request (no fonts, images or
//! links to fetch); a status colour per step, outputs folded in `<details>`,
//! the timeline as a table, and a print stylesheet that unfolds everything.
//!
//! Pure: never does I/O. Every piece of text from the runbook, commands,
//! outputs, notes and inputs goes through [`esc`], so nothing in a log can
//! become markup.

use super::context::Context;
use super::markdown::{section_note, what_size};
use super::report::{self, Postmortem, Quoted};
use super::{fmt, timeline};
use crate::session::state::{Attempt, Note, Session, StepState};

const CSS: &str = include_str!("transcript.css");

/// Escapes text for HTML element content and quoted attribute values.
/// Escapes `text` (a sentence of the report, written with Markdown's
/// backticks around commands and ids) and shows each `…` pair as code,
/// as the Markdown transcript does; a lone backtick stays as it is.
fn esc_code(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    let mut out = String::with_capacity(text.len() + 16);
    for (i, part) in parts.iter().enumerate() {
        let inside = i % 2 == 1;
        let closed = i + 1 < parts.len() || !inside;
        match (inside, closed) {
            (true, true) => out.push_str(&format!("<code>{}</code>", esc(part))),
            (true, false) => out.push_str(&format!("`{}", esc(part))),
            _ => out.push_str(&esc(part)),
        }
    }
    out
}

pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

pub fn render(s: &Session, ctx: &Context) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
    out.push_str(&format!(
        "<title>{} — {}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<main>\n",
        esc(&s.runbook.title),
        esc(&s.id)
    ));
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
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn header(out: &mut String, s: &Session, ctx: &Context) {
    let o = report::outcome(s, &ctx.records);
    let key = match o.word {
        "completed" => "done",
        "aborted" => "failed",
        _ => "unknown",
    };
    out.push_str("<header>\n<p class=\"kicker\">Session transcript</p>\n");
    out.push_str(&format!("<h1>{}</h1>\n", esc(&s.runbook.title)));
    if let Some(d) = &s.runbook.description {
        out.push_str(&format!("<p class=\"detail\">{}</p>\n", esc(d.trim())));
    }
    for n in report::record_notes(ctx).iter().filter(|n| n.alarm) {
        out.push_str(&format!(
            "<p class=\"outcome failed\">⚠ {}: {}</p>\n",
            esc(n.label),
            esc_code(&n.text)
        ));
    }
    let word = esc(&fmt::capitalise(o.word));
    out.push_str(&format!("<p class=\"outcome {key}\">{word}</p>\n"));
    if let Some(d) = &o.detail {
        out.push_str(&format!("<p class=\"detail\">{}</p>\n", esc_code(d)));
    }
    if let Some(stop) = &o.stopped_at {
        out.push_str(&format!(
            "<p class=\"detail\"><strong>Stopped at</strong> step {} (<code>{}</code>): {}</p>\n",
            esc(&stop.label),
            esc(&stop.step),
            esc_code(&stop.state)
        ));
    }
    meta(out, s, ctx);
    out.push_str("</header>\n");
}

/// The header's list of facts. Values are escaped here, once.
fn meta(out: &mut String, s: &Session, ctx: &Context) {
    let (off, tz) = (ctx.local_offset, ctx.tz_name.as_str());
    let rb = &s.runbook;
    let mut items = vec![
        (
            "Runbook",
            format!(
                "{} · <code>{}</code> · from <code>{}</code>",
                esc(&rb.title),
                esc(&rb.id),
                esc(&s.runbook_path)
            ),
        ),
        (
            "SHA-256",
            format!("<code class=\"hash\">{}</code>", esc(&s.runbook_sha256)),
        ),
        ("Session", format!("<code>{}</code>", esc(&s.id))),
        (
            "Session folder",
            format!(
                "<code>{}</code> (log paths are relative to it)",
                esc(&ctx.session_dir.to_string_lossy())
            ),
        ),
        ("Operators", esc(&report::operators(s))),
    ];
    items.extend(
        report::when(s, off, tz)
            .into_iter()
            .map(|(k, v)| (k, esc(&v))),
    );
    items.push(("Steps", count_chips(s)));
    items.push(("Times", esc(&report::times_note(off, tz))));
    if let Some((was, now)) = &s.runbook_changed {
        let text = format!("the runbook file changed during the session (was {was}, now {now})");
        items.push(("Warning", esc(&text)));
    }
    for n in report::record_notes(ctx).into_iter().filter(|n| !n.alarm) {
        items.push((n.label, esc_code(&n.text)));
    }
    out.push_str("<dl class=\"meta\">\n");
    for (k, v) in items {
        out.push_str(&format!("<dt>{k}</dt><dd>{v}</dd>\n"));
    }
    out.push_str("</dl>\n");
}

/// The step counts as coloured chips: `4 done` `2 skipped` …
fn count_chips(s: &Session) -> String {
    let c = report::counts(s);
    let chips = [
        (c.done, "done", "done"),
        (c.skipped, "skipped", "skipped"),
        (c.failed, "failed", "failed"),
        (c.cancelled, "cancelled", "failed"),
        (c.done_by_hand, "done by hand", "by-hand"),
        (c.running, "running (no end recorded)", "unknown"),
        (c.unknown, "outcome unknown", "unknown"),
        (c.not_reached, "not reached", "pending"),
    ];
    let mut out = String::new();
    for (n, word, key) in chips {
        if n > 0
            || (word != "cancelled" && matches!(key, "done" | "skipped" | "failed" | "by-hand"))
        {
            let class = if n > 0 { key } else { "zero" };
            out.push_str(&format!("<span class=\"pill {class}\">{n} {word}</span> "));
        }
    }
    out.push_str(&format!("<span class=\"of\">of {}</span>", c.total));
    out
}

fn inputs(out: &mut String, s: &Session) {
    out.push_str("<section>\n<h2>Inputs</h2>\n");
    if s.inputs.is_empty() && s.runbook.inputs.is_empty() && s.captures.is_empty() {
        out.push_str("<p class=\"blank\">This runbook takes no inputs.</p>\n</section>\n");
        return;
    }
    out.push_str("<table class=\"inputs\">\n<thead><tr><th>Name</th><th>Value</th><th>From</th></tr></thead>\n<tbody>\n");
    for def in &s.runbook.inputs {
        match s.inputs.iter().find(|i| i.name == def.name) {
            Some(v) => input_row(
                out,
                &v.name,
                &report::shown_value(s, v),
                &report::input_from(s, v),
            ),
            None => input_row(out, &def.name, "", "not given"),
        }
    }
    for v in s
        .inputs
        .iter()
        .filter(|v| s.runbook.input(&v.name).is_none())
    {
        input_row(
            out,
            &v.name,
            &report::shown_value(s, v),
            &report::input_from(s, v),
        );
    }
    for v in &s.captures {
        input_row(out, &v.name, &report::shown_value(s, v), "captured");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn input_row(out: &mut String, name: &str, value: &str, from: &str) {
    out.push_str(&format!(
        "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>\n",
        esc(name),
        esc(value),
        esc(from)
    ));
}

fn timeline_table(out: &mut String, s: &Session, ctx: &Context) {
    out.push_str("<section>\n<h2>Timeline</h2>\n<table class=\"timeline\">\n<thead><tr>");
    out.push_str(&format!(
        "<th>UTC</th><th>{}</th><th>Since start</th><th>Step</th><th>What happened</th><th>Who</th></tr></thead>\n<tbody>\n",
        esc(&ctx.tz_name)
    ));
    for row in timeline::rows(s, ctx) {
        out.push_str(&format!(
            "<tr><td class=\"t\">{}</td><td class=\"t\">{}</td><td class=\"t\">{}</td><td>{}</td><td class=\"{}\">{}</td><td class=\"who\">{}</td></tr>\n",
            fmt::clock(row.at, s.started_at),
            fmt::local_clock(row.at, s.started_at, ctx.local_offset),
            fmt::since(s.started_at, row.at),
            esc(&row.step),
            row.tone,
            esc(&row.what),
            esc(&row.who)
        ));
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn steps(out: &mut String, s: &Session, ctx: &Context) {
    out.push_str("<section>\n<h2>Steps</h2>\n");
    for (index, section) in s.runbook.sections.iter().enumerate() {
        out.push_str(&format!(
            "<h3>{}. {}</h3>\n",
            index + 1,
            esc(&section.title)
        ));
        if let Some(note) = section_note(s, index, section) {
            out.push_str(&format!("<p class=\"optional\">{}</p>\n", esc(&note)));
        }
        for st in s.steps.iter().filter(|st| st.section == index) {
            step(out, s, st, ctx);
        }
    }
    if !s.notes.is_empty() {
        out.push_str("<h3>Session notes</h3>\n");
        notes(out, &s.notes, ctx);
    }
    out.push_str("</section>\n");
}

fn step(out: &mut String, s: &Session, st: &StepState, ctx: &Context) {
    let def = s.runbook.step(&st.id);
    let key = report::status_key(&st.status);
    out.push_str(&format!(
        "<article class=\"step {key}\" id=\"step-{}\">\n",
        esc(&st.id)
    ));
    out.push_str(&format!(
        "<h4><span class=\"pill {key}\">{}</span> {}</h4>\n",
        esc(st.word()),
        esc(&report::label(s, st))
    ));
    let mut how = esc(&report::how_reached(st, def));
    if let Some(at) = st.settled_at {
        how.push_str(&format!(
            ", at {}",
            esc(&fmt::stamp(at, ctx.local_offset, &ctx.tz_name))
        ));
    }
    out.push_str(&format!(
        "<p class=\"how\">{how} · <code>{}</code></p>\n",
        esc(&st.id)
    ));
    if let Some(reason) = report::skip_reason(st) {
        out.push_str(&format!(
            "<p class=\"reason\"><strong>Reason:</strong> {}</p>\n",
            esc(reason)
        ));
    }
    if let Some(d) = def.filter(|d| !d.checklist.is_empty()) {
        out.push_str("<ul class=\"checklist\">\n");
        for (i, item) in d.checklist.iter().enumerate() {
            let (class, mark) = if st.checked.contains(&i) {
                ("ticked", "☑")
            } else {
                ("unticked", "☐")
            };
            out.push_str(&format!(
                "<li class=\"{class}\">{mark} {}</li>\n",
                esc(item)
            ));
        }
        out.push_str("</ul>\n");
    }
    out.push_str(&super::fleet::html(&st.fleet, ctx, esc));
    for a in &st.attempts {
        attempt(out, st, a, ctx);
    }
    notes(out, &st.notes, ctx);
    out.push_str("</article>\n");
}

fn attempt(out: &mut String, st: &StepState, a: &Attempt, ctx: &Context) {
    let class = if a.success == Some(true) { "ok" } else { "bad" };
    out.push_str(&format!(
        "<div class=\"attempt\">\n<p><strong>Attempt {}</strong> <span class=\"{class}\">{}</span> · started {}</p>\n",
        a.number,
        esc(&report::attempt_result(a)),
        fmt::clock(a.started_at, None)
    ));
    out.push_str(&format!(
        "<pre class=\"cmd\"><code>{}</code></pre>\n",
        esc(a.command.trim_end())
    ));
    match ctx
        .tails
        .get(&(st.id.clone(), a.number))
        .filter(|t| !t.is_empty())
    {
        Some(lines) => {
            let open = if a.success == Some(true) { "" } else { " open" };
            out.push_str(&format!(
                "<details{open}><summary>{} ({})</summary>\n<pre class=\"out\">{}</pre>\n</details>\n",
                report::last_lines(lines.len()),
                what_size(st, a),
                esc(&lines.join("\n"))
            ));
        }
        None if a.log_cut.is_some() => out.push_str("<p class=\"blank\">No output was kept.</p>\n"),
        None => out.push_str("<p class=\"blank\">No output.</p>\n"),
    }
    if let Some(cut) = &a.log_cut {
        out.push_str(&format!(
            "<p class=\"bad\"><strong>Output lost:</strong> {}.</p>\n",
            esc(&report::log_cut(cut))
        ));
    }
    if a.leftovers > 0 {
        out.push_str(&format!(
            "<p><strong>Leftovers:</strong> {}.</p>\n",
            esc(&report::leftovers(a.leftovers))
        ));
    }
    let code = |path: &str| format!("<code>{}</code>", esc(path));
    out.push_str(&format!(
        "<p class=\"log\">{} (in the session folder)</p>\n</div>\n",
        report::full_log(st, a, code)
    ));
}

fn notes(out: &mut String, notes: &[Note], ctx: &Context) {
    for n in notes {
        out.push_str(&format!(
            "<blockquote class=\"note\"><p>{}</p><footer>— {}, {}</footer></blockquote>\n",
            esc(&n.text),
            esc(&fmt::who(n.by.as_ref())),
            esc(&fmt::stamp(n.at, ctx.local_offset, &ctx.tz_name))
        ));
    }
}

/// Every status update, as in the Markdown; left out when none was sent.
fn communications(out: &mut String, s: &Session) {
    if s.updates.is_empty() {
        return;
    }
    out.push_str("<section>\n<h2>Communications</h2>\n<ul>\n");
    for u in &s.updates {
        out.push_str(&format!(
            "<li><strong>{}</strong> {} by {} to {} — {}<blockquote>{}</blockquote>",
            u.status.word(),
            esc(&super::fmt::utc(u.at)),
            esc(&super::fmt::who(u.by.as_ref())),
            esc(&u.channels.join(", ")),
            report::update_outcome(u),
            esc(&u.text),
        ));
        if let Some(results) = &u.results {
            out.push_str("<ul>");
            for c in results {
                let mark = if c.ok { "✓" } else { "✗" };
                out.push_str(&format!(
                    "<li>{mark} {}: {}</li>",
                    esc(&c.channel),
                    esc(&c.detail)
                ));
            }
            out.push_str("</ul>");
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ul>\n</section>\n");
}

fn follow_up(out: &mut String, s: &Session) {
    out.push_str("<section>\n<h2>Follow-up actions</h2>\n");
    if s.runbook.follow_up.is_empty() {
        out.push_str("<p class=\"blank\">The runbook lists none.</p>\n</section>\n");
        return;
    }
    out.push_str("<ul class=\"tasks\">\n");
    for item in &s.runbook.follow_up {
        out.push_str(&format!("<li>☐ {}</li>\n", esc(item)));
    }
    out.push_str("</ul>\n</section>\n");
}

const BLANK: &str = "To be written: nothing was recorded for this during the session.";

/// `follow_up`: the runbook lists follow-up actions (shown above).
fn postmortem(out: &mut String, pm: &Postmortem, follow_up: bool) {
    out.push_str("<section class=\"postmortem\">\n<h2>Postmortem notes</h2>\n");
    out.push_str(&format!(
        "<p class=\"hint\">{}</p>\n",
        esc(report::POSTMORTEM_HINT)
    ));
    out.push_str("<h3>Root cause</h3>\n");
    quoted(out, &pm.root_cause, BLANK);
    out.push_str("<h3>Impact</h3>\n");
    quoted(out, &pm.impact, BLANK);
    out.push_str("<h3>What went well</h3>\n");
    quoted(out, &pm.went_well, BLANK);
    out.push_str("<h3>What went wrong</h3>\n");
    if !pm.failures.is_empty() {
        out.push_str("<p>Recorded by stepwise:</p>\n<ul>\n");
        for fact in &pm.failures {
            out.push_str(&format!("<li>{}</li>\n", esc(fact)));
        }
        out.push_str("</ul>\n");
    }
    quoted(out, &pm.went_wrong, "The team's account: to be written.");
    out.push_str("<h3>Action items</h3>\n<ul class=\"tasks\">\n");
    for q in &pm.action_items {
        out.push_str(&format!(
            "<li>☐ {} <span class=\"from\">(from {}, {})</span></li>\n",
            esc(&q.note.text),
            esc(&q.source),
            esc(&fmt::who(q.note.by.as_ref()))
        ));
    }
    out.push_str(if follow_up {
        "<li class=\"blank\">☐ To be written (the runbook's follow-up actions are listed above).</li>\n"
    } else {
        "<li class=\"blank\">☐ To be written.</li>\n"
    });
    out.push_str("</ul>\n</section>\n");
}

fn quoted(out: &mut String, items: &[Quoted], blank: &str) {
    if items.is_empty() {
        out.push_str(&format!("<p class=\"blank\">{}</p>\n", esc(blank)));
        return;
    }
    for q in items {
        out.push_str(&format!(
            "<blockquote class=\"note\"><p>{}</p><footer>— from {}, {}, {}</footer></blockquote>\n",
            esc(&q.note.text),
            esc(&q.source),
            esc(&fmt::who(q.note.by.as_ref())),
            esc(&fmt::utc(q.note.at))
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::transcript::html::esc_code;

    #[test]
    fn backtick_pairs_become_code_and_the_rest_is_escaped() {
        assert_eq!(
            esc_code("`stepwise resume` takes <it> up"),
            "<code>stepwise resume</code> takes &lt;it&gt; up"
        );
        assert_eq!(esc_code("a `b` c `d"), "a <code>b</code> c `d");
        assert_eq!(esc_code("`<x>`"), "<code>&lt;x&gt;</code>");
        assert_eq!(esc_code("plain"), "plain");
    }
}
