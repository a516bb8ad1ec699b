//! The journal: an append-only file of JSON lines, one [`Record`] each.
//!
//! Appends that change state are fsync'd before `append` returns, so a
//! caller that appends "step started" and then spawns knows the record is on
//! disk. Output records are batched and reach disk with the next sync.
//! A failed write cuts the partial line off again and refuses every later
//! append, so the file never holds a broken line before a good one.
//! Loading drops a torn last line (a crash mid-write) with a warning and
//! refuses a damaged line in the middle, naming it, without touching the file.
//! Every line is chained to the one before by a hash (see `chain.rs`);
//! loading checks the chain and says where it breaks, appending continues
//! it (or, on a journal from before the chain, continues without one).
//! This module never decides what happens next; it only records.

use super::chain;
use super::clock::Clock;
use super::event::{Actor, Event, Record};
use super::fsutil;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a journal could not be read.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot read the journal {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "the journal {path} is damaged at line {line}: {reason}\n  \
         The file was left untouched. Lines before it are intact; \
         inspect or repair that line by hand, then resume."
    )]
    Damaged {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("the journal {path} is empty: the session never started")]
    Empty { path: PathBuf },
}

/// The records of a journal, with warnings about what was dropped.
#[derive(Debug)]
pub struct Loaded {
    pub records: Vec<Record>,
    pub warnings: Vec<String>,
    /// Length in bytes of the intact part (everything up to the last good newline).
    pub good_len: u64,
    /// What the hash chain of the intact part says.
    pub chain: chain::Status,
}

/// The part of a journal this process already checked (when it took the
/// session up, under its lock, which it still holds): its length and the
/// chain's head there. Reading the journal again, those lines' hashes are
/// not computed a second time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub len: u64,
    pub head: String,
}

impl Loaded {
    /// What a later read of the same journal can skip checking again.
    pub fn checked(&self) -> Option<Checked> {
        match &self.chain {
            chain::Status::Intact { head } => Some(Checked {
                len: self.good_len,
                head: head.clone(),
            }),
            _ => None,
        }
    }
}

/// Reads and checks a journal file. Never modifies it.
pub fn read(path: &Path) -> Result<Loaded, JournalError> {
    read_after(path, None)
}

/// [`read`], taking the part `checked` as checked already.
pub fn read_after(path: &Path, checked: Option<&Checked>) -> Result<Loaded, JournalError> {
    let mut records = Vec::new();
    let scanned = scan_file(path, checked, |r| records.push(r))?;
    Ok(scanned.into_loaded(records))
}

/// Parses journal bytes (see [`read`]).
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Loaded, JournalError> {
    let mut records = Vec::new();
    let scanned = scan(path, bytes, bytes.len() as u64, None, true, |r| {
        records.push(r)
    })?;
    Ok(scanned.into_loaded(records))
}

/// What [`scan_file`] says besides the records it handed over.
#[derive(Debug)]
pub struct Scanned {
    /// Records handed over.
    pub count: usize,
    pub warnings: Vec<String>,
    /// See [`Loaded::good_len`].
    pub good_len: u64,
    pub chain: chain::Status,
}

impl Scanned {
    fn into_loaded(self, records: Vec<Record>) -> Loaded {
        Loaded {
            records,
            warnings: self.warnings,
            good_len: self.good_len,
            chain: self.chain,
        }
    }
}

/// Reads and checks a journal file like [`read_after`], handing each
/// record to `each` in order instead of keeping them: memory stays flat
/// whatever the journal's length (an export of 100,000 records). The file
/// is read in blocks, a line at a time. A damaged line is an error, as
/// for [`read`]; records before it were handed over already.
pub fn scan_file(
    path: &Path,
    checked: Option<&Checked>,
    each: impl FnMut(Record),
) -> Result<Scanned, JournalError> {
    scan_path(path, checked, true, each)
}

/// [`scan_file`] without hashing a line: for a second reading of a
/// journal whose chain the same process has just checked (an export lists
/// every record after folding them). The result's `chain` says nothing.
pub fn scan_file_again(path: &Path, each: impl FnMut(Record)) -> Result<Scanned, JournalError> {
    scan_path(path, None, false, each)
}

fn scan_path(
    path: &Path,
    checked: Option<&Checked>,
    hash: bool,
    each: impl FnMut(Record),
) -> Result<Scanned, JournalError> {
    let io_error = |source| JournalError::Io {
        path: path.to_owned(),
        source,
    };
    let file = fsutil::open_no_follow(path).map_err(io_error)?;
    let len = file.metadata().map_err(io_error)?.len();
    let reader = io::BufReader::with_capacity(256 * 1024, file);
    scan(path, reader, len, checked, hash, each)
}

/// The one loop behind every read: lines from `input` (`len` bytes when
/// it was opened), each parsed, chained, and handed to `each`.
fn scan(
    path: &Path,
    mut input: impl io::BufRead,
    len: u64,
    checked: Option<&Checked>,
    hash: bool,
    mut each: impl FnMut(Record),
) -> Result<Scanned, JournalError> {
    let mut count = 0usize;
    let mut warnings = Vec::new();
    let mut checker = chain::Checker::new();
    let mut trusted = checked.filter(|c| c.len <= len);
    if checked.is_some() && trusted.is_none() {
        checker.break_here("the journal is shorter than when this session was taken up");
    }
    let mut start = 0u64;
    let mut line_no = 0usize;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = input
            .read_until(b'\n', &mut buf)
            .map_err(|source| JournalError::Io {
                path: path.to_owned(),
                source,
            })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        // No newline: the write of this line never finished.
        let Some(line) = buf.strip_suffix(b"\n") else {
            if let Some(c) = trusted {
                checker.trust(&c.head);
            }
            warnings.push(format!(
                "the last line of {} ({} bytes) was cut short by a crash and was dropped",
                path.display(),
                buf.len()
            ));
            return Ok(Scanned {
                count,
                warnings,
                good_len: start,
                chain: checker.status(),
            });
        };
        let r = parse_line(line).map_err(|reason| JournalError::Damaged {
            path: path.to_owned(),
            line: line_no,
            reason,
        })?;
        match trusted {
            _ if !hash => checker.skip(),
            Some(c) if start < c.len => checker.skip(),
            Some(c) => {
                checker.trust(&c.head);
                trusted = None;
                checker.push(line, &r);
            }
            None => checker.push(line, &r),
        }
        each(r);
        count += 1;
        start += n as u64;
    }
    if let Some(c) = trusted {
        checker.trust(&c.head);
    }
    if count == 0 && warnings.is_empty() {
        return Err(JournalError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(Scanned {
        count,
        warnings,
        good_len: start,
        chain: checker.status(),
    })
}

pub(crate) fn parse_line(line: &[u8]) -> Result<Record, String> {
    let text = std::str::from_utf8(line).map_err(|e| format!("not UTF-8 ({e})"))?;
    if let Some(record) = super::output_line::parse(text) {
        return Ok(record);
    }
    if let Some(record) = fast::output_record(text) {
        return Ok(record);
    }
    serde_json::from_str(text).map_err(|e| format!("not a journal record ({e})"))
}

/// A fast path for the bulk of a long journal: `output_recorded` lines.
///
/// [`Record`] flattens an internally tagged enum, which serde can only
/// read by buffering every field first; and chrono reads times with its
/// general format parser. For a journal of 100,000 records that was most of
/// the time of a resume. This reads the one common shape directly (a plain
/// struct, RFC 3339 time) and gives up, falling back to the general path,
/// on anything else: same records, same errors.
mod fast {
    use super::Record;
    use crate::session::event::{Actor, Event, Stream};
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer};
    use std::borrow::Cow;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct OutputLine<'a> {
        seq: u64,
        #[serde(deserialize_with = "rfc3339")]
        at: DateTime<Utc>,
        #[serde(default)]
        by: Option<Actor>,
        #[serde(rename = "type", borrow)]
        kind: Cow<'a, str>,
        #[serde(borrow)]
        step: Cow<'a, str>,
        attempt: u32,
        stream: Stream,
        offset: u64,
        len: u64,
        /// The chain's hash (checked on the raw line, not here).
        #[serde(default, rename = "hash", borrow)]
        _hash: Option<Cow<'a, str>>,
    }

    fn rfc3339<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = <Cow<'de, str>>::deserialize(d)?;
        if let Some(at) = crate::session::timefmt::parse_utc(&text) {
            return Ok(at);
        }
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }

    pub(super) fn output_record(text: &str) -> Option<Record> {
        if !text.contains("\"type\":\"output_recorded\"") {
            return None;
        }
        let l: OutputLine = serde_json::from_str(text).ok()?;
        (l.kind == "output_recorded").then(|| Record {
            seq: l.seq,
            at: l.at,
            by: l.by,
            event: Event::OutputRecorded {
                step: l.step.into_owned(),
                attempt: l.attempt,
                stream: l.stream,
                offset: l.offset,
                len: l.len,
            },
        })
    }
}

/// An open journal, appending records.
pub struct Journal {
    path: PathBuf,
    file: File,
    next_seq: u64,
    clock: Arc<dyn Clock>,
    actor: Actor,
    unsynced: bool,
    /// Bytes of whole records in the file.
    len: u64,
    /// Set once a write or sync failed: nothing more is appended, so a
    /// half-written line can never end up in the middle of the file.
    failed: Option<String>,
    /// How many fsyncs this journal made (see [`Journal::sync_counter`]).
    syncs: Arc<AtomicU64>,
    /// Whether lines are chained (false only when continuing a journal
    /// written before the chain), and the last line's hash.
    chained: bool,
    head: Option<String>,
}

impl Journal {
    /// Creates a new journal file (0600). Fails if one exists.
    pub fn create(path: &Path, clock: Arc<dyn Clock>, actor: Actor) -> io::Result<Journal> {
        let file = fsutil::create_private_file(path)?;
        if let Some(dir) = path.parent() {
            fsutil::sync_dir(dir)?;
        }
        Ok(Journal {
            path: path.to_owned(),
            file,
            next_seq: 1,
            clock,
            actor,
            unsynced: false,
            len: 0,
            failed: None,
            syncs: Arc::default(),
            chained: true,
            head: None,
        })
    }

    /// Opens an existing journal for appending after `loaded` was read from it.
    /// A torn tail is cut off first so the next record starts on a fresh line.
    pub fn reopen(
        path: &Path,
        loaded: &Loaded,
        clock: Arc<dyn Clock>,
        actor: Actor,
    ) -> io::Result<Journal> {
        let (chained, head) = match &loaded.chain {
            chain::Status::Intact { head } => (true, Some(head.clone())),
            chain::Status::Unchained => (loaded.records.is_empty(), None),
            broken @ chain::Status::Broken { .. } => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{}: {}; nothing was appended (`stepwise verify` says more)",
                        path.display(),
                        broken.describe()
                    ),
                ));
            }
        };
        let file = fsutil::open_private_append(path)?;
        if file.metadata()?.len() != loaded.good_len {
            file.set_len(loaded.good_len)?;
            file.sync_all()?;
        }
        let next_seq = loaded.records.last().map_or(1, |r| r.seq + 1);
        Ok(Journal {
            path: path.to_owned(),
            file,
            next_seq,
            clock,
            actor,
            unsynced: false,
            len: loaded.good_len,
            failed: None,
            syncs: Arc::default(),
            chained,
            head,
        })
    }

    /// The journal's folder was renamed (a new session being published):
    /// the open file is unchanged, only the path in messages follows.
    pub fn relocate(&mut self, path: &Path) {
        self.path = path.to_owned();
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Appends an event and makes it durable (fsync) before returning.
    /// `by_operator` records the operator and host with it.
    pub fn append(&mut self, event: Event, by_operator: bool) -> io::Result<Record> {
        let record = self.append_unsynced(event, by_operator)?;
        self.sync()?;
        Ok(record)
    }

    /// Appends without syncing: for output records, which are many and are
    /// made durable by the next [`Journal::sync`] or [`Journal::append`].
    pub fn append_lazy(&mut self, event: Event) -> io::Result<Record> {
        self.append_unsynced(event, false)
    }

    /// Like [`Journal::append`], with the sync left to the caller (who
    /// does something else meanwhile and calls [`Journal::sync`] before
    /// anything depends on the record being durable).
    pub fn append_unsynced(&mut self, event: Event, by_operator: bool) -> io::Result<Record> {
        let record = self.write(event, by_operator)?;
        self.unsynced = true;
        Ok(record)
    }

    /// Makes everything written so far durable. Nothing written since the
    /// last sync: nothing to do (no second fsync for the same records).
    pub fn sync(&mut self) -> io::Result<()> {
        self.check_usable()?;
        if !self.unsynced {
            return Ok(());
        }
        if let Err(e) = self.file.sync_data() {
            let e = io::Error::new(
                e.kind(),
                format!("cannot sync the journal {}: {e}", self.path.display()),
            );
            self.failed = Some(e.to_string());
            return Err(e);
        }
        self.unsynced = false;
        self.syncs.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// A live count of the fsyncs this journal has made, readable after the
    /// journal moved into an engine: how tests check the durability policy
    /// costs what it should (one fsync per step in auto mode).
    pub fn sync_counter(&self) -> Arc<AtomicU64> {
        self.syncs.clone()
    }

    fn check_usable(&self) -> io::Result<()> {
        match &self.failed {
            None => Ok(()),
            Some(why) => Err(io::Error::other(format!(
                "{why}; nothing more was recorded after that"
            ))),
        }
    }

    pub fn has_unsynced(&self) -> bool {
        self.unsynced
    }

    fn write(&mut self, event: Event, by_operator: bool) -> io::Result<Record> {
        let record = Record {
            seq: self.next_seq,
            at: self.clock.now(),
            by: by_operator.then(|| self.actor.clone()),
            event,
        };
        self.check_usable()?;
        let mut line = serde_json::to_vec(&record).map_err(io::Error::other)?;
        let hash = self.chained.then(|| {
            let prev = self
                .head
                .as_deref()
                .map_or_else(|| chain::genesis_for(&record.event), str::to_owned);
            let hash = chain::link(&prev, &line);
            chain::seal(&mut line, &hash);
            hash
        });
        line.push(b'\n');
        if let Err(e) = self.file.write_all(&line) {
            // Cut a partly written line (truncating needs no space), and
            // stop: the file stays a list of whole records.
            let _ = self.file.set_len(self.len);
            let e = io::Error::new(
                e.kind(),
                format!("cannot write the journal {}: {e}", self.path.display()),
            );
            self.failed = Some(e.to_string());
            return Err(e);
        }
        self.len += line.len() as u64;
        self.next_seq += 1;
        if hash.is_some() {
            self.head = hash;
        }
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::clock::StepClock;
    use chrono::TimeZone;

    fn actor() -> Actor {
        Actor {
            user: "ana".into(),
            host: "box".into(),
        }
    }

    fn clock() -> Arc<dyn Clock> {
        Arc::new(StepClock::starting_at(
            chrono::Utc
                .with_ymd_and_hms(2026, 11, 26, 16, 30, 0)
                .unwrap(),
        ))
    }

    fn journal_with(n: usize) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut j = Journal::create(&path, clock(), actor()).unwrap();
        for i in 0..n {
            j.append(
                Event::NoteAdded {
                    step: None,
                    text: format!("note {i} — ünïcode"),
                },
                true,
            )
            .unwrap();
        }
        (dir, path)
    }

    #[test]
    fn records_round_trip_with_sequence_and_actor() {
        let (_d, path) = journal_with(3);
        let loaded = read(&path).unwrap();
        assert_eq!(loaded.records.len(), 3);
        assert!(loaded.warnings.is_empty());
        assert_eq!(loaded.records[2].seq, 3);
        assert_eq!(loaded.records[0].by, Some(actor()));
    }

    #[test]
    fn torn_tail_mid_utf8_is_dropped_with_warning_and_cut_on_reopen() {
        let (_d, path) = journal_with(3);
        let full = std::fs::read(&path).unwrap();
        // Cut inside the multi-byte "ü" of the last line.
        let last_start = full[..full.len() - 1]
            .iter()
            .rposition(|&b| b == b'\n')
            .unwrap()
            + 1;
        let cut = last_start + full[last_start..].iter().position(|&b| b == 0xc3).unwrap() + 1;
        std::fs::write(&path, &full[..cut]).unwrap();
        let loaded = read(&path).unwrap();
        assert_eq!(loaded.records.len(), 2);
        assert_eq!(loaded.warnings.len(), 1);
        let mut j = Journal::reopen(&path, &loaded, clock(), actor()).unwrap();
        j.append(Event::SessionCompleted, false).unwrap();
        let again = read(&path).unwrap();
        assert_eq!(again.records.len(), 3);
        assert_eq!(again.records[2].seq, 3);
        assert!(again.warnings.is_empty());
    }

    #[test]
    fn damaged_middle_line_is_refused_by_number_and_file_untouched() {
        let (_d, path) = journal_with(3);
        let text = std::fs::read_to_string(&path).unwrap();
        let damaged = text.replacen("\"seq\":2", "\"seq\":\"x", 1);
        std::fs::write(&path, &damaged).unwrap();
        match read(&path) {
            Err(JournalError::Damaged { line, .. }) => assert_eq!(line, 2),
            other => panic!("expected damaged line 2, got {other:?}"),
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), damaged);
    }

    #[test]
    fn output_records_read_fast_are_the_records_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut j = Journal::create(&path, clock(), actor()).unwrap();
        let event = |offset| Event::OutputRecorded {
            step: "st\u{e9}p \"1\"".into(),
            attempt: 2,
            stream: crate::session::event::Stream::Stderr,
            offset,
            len: 7,
        };
        let written = [
            j.append_lazy(event(0)).unwrap(),
            j.append(event(7), true).unwrap(),
        ];
        let text = std::fs::read_to_string(&path).unwrap();
        for (line, record) in text.lines().zip(&written) {
            assert_eq!(fast::output_record(line).as_ref(), Some(record));
        }
        assert_eq!(read(&path).unwrap().records, written);
        // Anything unusual goes the general way, with its error.
        assert!(fast::output_record(r#"{"seq":1,"type":"output_recorded"}"#).is_none());
    }

    #[test]
    fn a_part_checked_once_is_not_hashed_again_and_what_follows_is() {
        let (_d, path) = journal_with(3);
        let first = read(&path).unwrap();
        let checked = first.checked().expect("an intact chain");
        let mut j = Journal::reopen(&path, &first, clock(), actor()).unwrap();
        j.append(Event::SessionCompleted, false).unwrap();
        let whole = read(&path).unwrap();
        let after = read_after(&path, Some(&checked)).unwrap();
        assert_eq!(after.chain, whole.chain);
        assert!(matches!(after.chain, chain::Status::Intact { .. }));
        let mut lines: Vec<String> = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        lines[3] = lines[3].replace("T16:", "T17:");
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let tampered = read_after(&path, Some(&checked)).unwrap();
        assert!(matches!(
            tampered.chain,
            chain::Status::Broken { line: 4, .. }
        ));
    }

    #[test]
    fn journal_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let (_d, path) = journal_with(1);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
