//! What every renderer shares: the formats, the mask, the JSON format
//! tag, and the [`Context`] read before rendering. A leaf: it imports no
//! renderer, so the renderers can all import it.

use crate::session::event::Record;
use chrono::FixedOffset;
use std::collections::HashMap;
use std::path::PathBuf;

pub use crate::text::MASK;

/// The `format` tag of JSON exports.
/// Raised to 2 when `session.auto` became the history of auto mode; to 3
/// when `steps[].attempts[].log` became relative to `session.session_dir`.
pub const JSON_FORMAT: &str = "stepwise-transcript/4";

/// A transcript format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Json,
    Html,
}

impl Format {
    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Json => "json",
            Format::Html => "html",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s.to_ascii_lowercase().as_str() {
            "md" | "markdown" => Ok(Format::Markdown),
            "json" => Ok(Format::Json),
            "html" | "htm" => Ok(Format::Html),
            other => Err(format!("unknown format `{other}`: use md, json or html")),
        }
    }
}

/// Everything a transcript needs beyond the fold, read beforehand so that
/// rendering is pure.
#[derive(Clone, Debug)]
pub struct Context {
    /// The session folder; log paths are shown joined to it.
    pub session_dir: PathBuf,
    /// The last display lines of each attempt's log, by (step id, attempt).
    pub tails: HashMap<(String, u32), Vec<String>>,
    /// A fleet step's attempt: the hosts that ran in it and their logs
    /// (relative to the session folder), in plan order, by (step id,
    /// attempt). Only logs that exist: a retry runs some hosts only.
    pub host_logs: HashMap<(String, u32), Vec<(String, String)>>,
    /// The journal records, as read.
    pub records: Vec<Record>,
    /// The local offset shown beside UTC times.
    pub local_offset: FixedOffset,
    /// The name of the local timezone (`Europe/Paris`, or `UTC+01:00`).
    pub tz_name: String,
    /// What the integrity check of the record said (`session::verify`),
    /// when it was made: every transcript then states its chain head, or
    /// says loudly that the journal fails the check.
    pub integrity: Option<crate::session::verify::Integrity>,
    /// Where the JSON `events` list is read again, record by record, when
    /// `records` does not hold them all (an export streams the journal).
    pub journal: Option<JournalSource>,
    /// The command that checks this session's record, as the transcript
    /// prints it (`stepwise verify <id>`; the driver names the folder, and
    /// repeats `--home`, where the id alone would find another session).
    pub verify: String,
}

/// The journal file an export read, and how many records it read there:
/// the second reading stops at the same record even if the session goes on.
#[derive(Clone, Debug)]
pub struct JournalSource {
    pub path: PathBuf,
    pub count: usize,
}
