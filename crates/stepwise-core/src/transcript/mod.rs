//! Transcripts: the post-incident record of a session, as Markdown (the
//! postmortem-ready default), JSON (complete, machine-readable) or one
//! self-contained HTML page.
//!
//! Like every other reader, a transcript is a function of the session's
//! events: [`render`] takes the fold ([`Session`]) and a [`Context`] read
//! beforehand (the journal records, the last lines of each attempt's log, the
//! local timezone) and returns text. Rendering is pure and deterministic: the
//! same inputs give the same bytes. The renderers (`markdown.rs`, `json.rs`,
//! `html.rs`, and the shared facts in `report.rs`) never do I/O, never read a
//! clock and never read the environment; only [`load_context`], [`save`] and
//! [`export`] in this file touch the disk.
//!
//! Secrets: the journal already holds the mask for secret values; renderers
//! mask them again wherever the runbook or the record says "secret", so a
//! faulty writer cannot leak one through a transcript.

mod context;
mod fleet;
mod fmt;
mod html;
mod json;
mod json_events;
mod kept;
mod markdown;
mod report;
mod tails;
pub mod timeline;

use crate::session::event::Record;
use crate::session::state::Session;
use crate::session::{fsutil, store};
use chrono::FixedOffset;
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

pub use report::leftovers as leftovers_words;
pub use tails::{TAIL_LINES, hosts_tail, neutralize};

pub use context::{Context, Format, JSON_FORMAT, JournalSource, MASK};

/// Renders a transcript. Pure: same inputs, same bytes.
///
/// Markdown and HTML are read in terminals (`cat`, `less -r`) and browsers:
/// any control character that reached them through a note, a value or a
/// title is shown inert as a last guard. JSON escapes them by itself.
pub fn render(session: &Session, ctx: &Context, format: Format) -> String {
    match format {
        Format::Markdown => crate::text::show_controls(&markdown::render(session, ctx)),
        Format::Json => json::render(session, ctx),
        Format::Html => crate::text::show_controls(&html::render(session, ctx)),
    }
}

/// Reads what rendering needs: the tail of every attempt's log and the
/// local timezone at the session's start.
pub fn load_context(
    session_dir: &Path,
    session: &Session,
    records: Vec<Record>,
) -> io::Result<Context> {
    let mut tails = HashMap::new();
    let mut host_logs = HashMap::new();
    for step in &session.steps {
        for attempt in &step.attempts {
            let log = session_dir.join(&attempt.log);
            // The log is created while the process spawns (see
            // `engine::process::sink`): a crash just after "step started"
            // can leave an attempt with no output and no file. Nothing is
            // missing then, so nothing is said.
            let quiet = attempt.stdout_bytes + attempt.stderr_bytes == 0;
            let lines = if step.fleet.is_fleet() {
                // A fleet step's output is in its hosts' logs.
                let logs = tails::host_logs(session_dir, &step.id, attempt.number, &step.fleet);
                host_logs.insert((step.id.clone(), attempt.number), logs);
                tails::hosts_tail(session_dir, &step.id, attempt.number, &step.fleet)
            } else if quiet && !log.exists() {
                Vec::new()
            } else {
                tails::read_tail(&log)
            };
            tails.insert((step.id.clone(), attempt.number), lines);
        }
    }
    let at = session.started_at.unwrap_or_else(chrono::Utc::now);
    let (local_offset, tz_name) = local_zone(at);
    Ok(Context {
        session_dir: session_dir.to_owned(),
        tails,
        host_logs,
        records,
        local_offset,
        tz_name,
        integrity: None,
        journal: None,
        verify: format!("stepwise verify {}", session.id),
    })
}

/// The transcript's file name: `<UTC start>-<runbook id>.md`, for example
/// `2026-11-26T16-30-00Z-deployment-rollback.md`.
pub fn file_name(session: &Session) -> String {
    let start = session.started_at.map_or_else(
        || "unstarted".to_owned(),
        |t| t.format("%Y-%m-%dT%H-%M-%SZ").to_string(),
    );
    let id: String = session
        .runbook
        .id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{start}-{id}.md")
}

/// Writes the Markdown transcript atomically (0600) into the session folder,
/// and into `extra_dir` (created 0700 if missing) when given. Returns the
/// paths written, the session folder's first.
pub fn save(
    session_dir: &Path,
    extra_dir: Option<&Path>,
    session: &Session,
    ctx: &Context,
) -> io::Result<Vec<PathBuf>> {
    let text = render(session, ctx, Format::Markdown);
    let name = file_name(session);
    let mut written = Vec::new();
    let path = session_dir.join(&name);
    fsutil::write_atomic(&path, text.as_bytes())?;
    written.push(path);
    if let Some(dir) = extra_dir {
        fsutil::create_private_dir(dir)?;
        let path = dir.join(&name);
        fsutil::write_atomic(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// `stepwise export`: finds a session (id, unique prefix or folder), reads
/// its journal and runbook copy, checks them (`session::verify`: a record
/// that fails the check is still exported, with a warning at its top),
/// and renders it. Only reads, so a session
/// held open by another process can be exported. The journal is read as
/// a stream, keeping only the records the format needs (`kept.rs`).
pub fn export(home: &Path, what: &str, format: Format) -> Result<String, String> {
    let mut out = Vec::new();
    let verify = |dir: &Path| {
        let id = dir.file_name().unwrap_or_default().to_string_lossy();
        format!("stepwise verify {id}")
    };
    export_to(home, what, format, &mut out, &verify).map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Why [`export_to`] failed: the session (a message for the user) or the
/// output (the writer's error).
#[derive(Debug)]
pub enum ExportError {
    Session(String),
    Write(io::Error),
}

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExportError::Session(m) => f.write_str(m),
            ExportError::Write(e) => write!(f, "{e}"),
        }
    }
}

/// [`export`] into a writer. The journal streams by once for the fold and
/// what the renderers keep ([`kept`]); JSON reads it a second time for its
/// `events` list, masking and writing one record at a time, so memory
/// stays flat in the number of events for every format. `verify` names
/// the command that checks the session in a folder, as printed.
pub fn export_to(
    home: &Path,
    what: &str,
    format: Format,
    out: &mut dyn io::Write,
    verify: &dyn Fn(&Path) -> String,
) -> Result<(), ExportError> {
    let dir = store::find(home, what).map_err(ExportError::Session)?;
    let mut kept = kept::Kept::new();
    let mut count = 0;
    let (session, integrity) = crate::session::verify::read_each(&dir, None, |r| {
        count += 1;
        kept.push(r)
    })
    .map_err(ExportError::Session)?;
    let mut ctx = load_context(&dir, &session, kept.finish()).map_err(|e| {
        ExportError::Session(format!("cannot read the logs in {}: {e}", dir.display()))
    })?;
    ctx.integrity = Some(integrity);
    ctx.verify = verify(&dir);
    ctx.journal = Some(JournalSource {
        path: dir.join(crate::session::store::JOURNAL),
        count,
    });
    match format {
        Format::Json => json::write(&session, &ctx, out),
        _ => out.write_all(render(&session, &ctx, format).as_bytes()),
    }
    .map_err(ExportError::Write)
}

/// The local offset at `at` and the name of the local timezone: `$TZ`, else
/// the zone `/etc/localtime` links to, else the offset itself (`UTC+01:00`).
fn local_zone(at: chrono::DateTime<chrono::Utc>) -> (FixedOffset, String) {
    use chrono::{Offset, TimeZone};
    let offset = chrono::Local
        .from_utc_datetime(&at.naive_utc())
        .offset()
        .fix();
    let from_env = std::env::var("TZ")
        .ok()
        .map(|t| t.trim_start_matches(':').to_owned());
    let from_link = || {
        let target = std::fs::read_link("/etc/localtime").ok()?;
        let s = target.to_string_lossy().into_owned();
        s.split_once("zoneinfo/").map(|(_, z)| z.to_owned())
    };
    let name = from_env
        .filter(|t| !t.is_empty() && !t.starts_with('/'))
        .or_else(from_link)
        .unwrap_or_else(|| fmt::offset_name(offset));
    (offset, name)
}
