//! Small, pure formatting helpers shared by the renderers: times (UTC with
//! local beside), offsets from the start, durations, actors, code fences.
//! Never reads a clock or the environment.

use crate::session::event::Actor;
use chrono::{DateTime, FixedOffset, Utc};

/// `UTC`, `UTC+01:00`, `UTC-05:30`.
pub fn offset_name(offset: FixedOffset) -> String {
    let secs = offset.local_minus_utc();
    if secs == 0 {
        return "UTC".to_owned();
    }
    let sign = if secs < 0 { '-' } else { '+' };
    let m = secs.unsigned_abs() / 60;
    format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
}

/// The text with its first letter upper-case.
pub fn capitalise(text: &str) -> String {
    let mut c = text.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// `2026-11-26 16:30:00 UTC`.
pub fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The local wall-clock time of `at`: `17:30:00`, with the date when it
/// differs from the UTC date.
pub fn local(at: DateTime<Utc>, offset: FixedOffset) -> String {
    let l = at.with_timezone(&offset);
    if l.date_naive() == at.date_naive() {
        l.format("%H:%M:%S").to_string()
    } else {
        l.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// `2026-11-26 16:30:00 UTC (17:30:00 Europe/Paris)`.
pub fn stamp(at: DateTime<Utc>, offset: FixedOffset, tz: &str) -> String {
    format!("{} ({} {tz})", utc(at), local(at, offset))
}

/// A time of day for a table row: `16:30:00`, or `11-27 00:10:00` when the
/// date differs from the session's first day.
pub fn clock(at: DateTime<Utc>, day_of: Option<DateTime<Utc>>) -> String {
    match day_of {
        Some(d) if d.date_naive() != at.date_naive() => at.format("%m-%d %H:%M:%S").to_string(),
        _ => at.format("%H:%M:%S").to_string(),
    }
}

/// The same, in the local offset.
pub fn local_clock(
    at: DateTime<Utc>,
    day_of: Option<DateTime<Utc>>,
    offset: FixedOffset,
) -> String {
    let l = at.with_timezone(&offset);
    match day_of.map(|d| d.with_timezone(&offset)) {
        Some(d) if d.date_naive() != l.date_naive() => l.format("%m-%d %H:%M:%S").to_string(),
        _ => l.format("%H:%M:%S").to_string(),
    }
}

/// `+00:04:12` from the start (hours grow past 99 if need be): the
/// difference of the two clock times as shown (whole seconds), so that it
/// agrees with the time column (16:30:00.9 to 16:30:01.1 is `+00:00:01`).
pub fn since(start: Option<DateTime<Utc>>, at: DateTime<Utc>) -> String {
    let Some(start) = start else {
        return String::new();
    };
    let secs = at.timestamp() - start.timestamp();
    let sign = if secs < 0 { '-' } else { '+' };
    let s = secs.unsigned_abs();
    format!("{sign}{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// A human duration: `850 ms`, `2.3 s`, `4 min 12 s`, `1 h 02 min 05 s`.
pub fn duration_ms(ms: u64) -> String {
    if ms < 1000 {
        return format!("{ms} ms");
    }
    if ms < 60_000 {
        return format!("{}.{} s", ms / 1000, ms % 1000 / 100);
    }
    let s = ms / 1000;
    if s < 3600 {
        return format!("{} min {:02} s", s / 60, s % 60);
    }
    format!("{} h {:02} min {:02} s", s / 3600, s / 60 % 60, s % 60)
}

/// Who did something: `ana@db-bastion`, or `stepwise` for what the program
/// did on its own.
pub fn who(by: Option<&Actor>) -> String {
    by.map_or_else(
        || "stepwise".to_owned(),
        |a| format!("{}@{}", a.user, a.host),
    )
}

/// A backtick fence longer than any run of backticks in `content` (at least 3).
pub fn fence(content: &str) -> String {
    "`".repeat((longest_tick_run(content) + 1).max(3))
}

fn longest_tick_run(text: &str) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// Text safe in one Markdown table cell or inline span: one line, `|`
/// escaped, `<` escaped so no raw HTML reaches a Markdown renderer.
pub fn md_inline(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    md_escape(&one_line).replace('|', "\\|")
}

/// Escapes what would let text turn into HTML or links in Markdown.
pub fn md_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('<', "\\<")
        .replace('[', "\\[")
}

/// One line of quoted text (a note, a reason typed by a person) inside a
/// Markdown blockquote: shown as the words typed, never as Markdown. On
/// top of [`md_escape`], backticks (no code fence or span), emphasis marks
/// and a leading block marker (`#` heading, `>`, list markers, `=`/`-`
/// underlines, `|`, `~~~`, `1.`) are escaped, so a note reading
/// "## Outcome: success" or opening a ``` fence cannot pass for part of
/// the transcript.
pub fn md_quote_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let body = line.trim_start();
    out.push_str(&line[..line.len() - body.len()]);
    let digits = body.chars().take_while(char::is_ascii_digit).count();
    let marker_at = if digits > 0 && body[digits..].starts_with(['.', ')']) {
        Some(digits)
    } else if body.starts_with(['#', '>', '-', '+', '*', '=', '|', '~', '_']) {
        Some(0)
    } else {
        None
    };
    for (i, c) in body.char_indices() {
        match c {
            '\\' | '<' | '[' | '`' | '*' | '_' => out.push('\\'),
            _ if Some(i) == marker_at => out.push('\\'),
            _ => {}
        }
        out.push(c);
    }
    out
}

/// Inline code, with a backtick run longer than any inside.
pub fn md_code(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let tick = "`".repeat(longest_tick_run(&one_line) + 1);
    let pad = if one_line.starts_with('`') || one_line.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{tick}{pad}{one_line}{pad}{tick}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_backticks() {
        assert_eq!(fence("plain"), "```");
        assert_eq!(fence("a ```` b"), "`````");
    }

    #[test]
    fn offsets_and_durations() {
        let t0: DateTime<Utc> = "2026-11-26T16:30:00Z".parse().unwrap();
        let t1: DateTime<Utc> = "2026-11-26T16:34:12Z".parse().unwrap();
        assert_eq!(since(Some(t0), t1), "+00:04:12");
        // As the clock column shows them: 16:30:00 and 16:30:01, 0.2 s apart.
        let a: DateTime<Utc> = "2026-11-26T16:30:00.9Z".parse().unwrap();
        let b: DateTime<Utc> = "2026-11-26T16:30:01.1Z".parse().unwrap();
        assert_eq!(since(Some(a), b), "+00:00:01");
        assert_eq!(since(Some(b), b), "+00:00:00");
        assert_eq!(duration_ms(2345), "2.3 s");
        assert_eq!(duration_ms(252_000), "4 min 12 s");
        assert_eq!(
            offset_name(FixedOffset::east_opt(-19800).unwrap()),
            "UTC-05:30"
        );
        assert_eq!(md_code("a`b"), "``a`b``");
    }

    #[test]
    fn a_quoted_line_is_never_markdown() {
        assert_eq!(
            md_quote_line("## Outcome: success"),
            "\\## Outcome: success"
        );
        assert_eq!(md_quote_line("```"), "\\`\\`\\`");
        assert_eq!(md_quote_line("  - item *bold*"), "  \\- item \\*bold\\*");
        assert_eq!(md_quote_line("12. done"), "12\\. done");
        assert_eq!(md_quote_line("> quoted"), "\\> quoted");
        assert_eq!(md_quote_line("v1.4.2 is fine"), "v1.4.2 is fine");
    }
}
