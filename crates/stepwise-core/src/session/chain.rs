//! The journal's hash chain: every line carries the SHA-256 of its own
//! bytes chained to the line before, so an edited, removed, added or moved
//! line breaks the chain from that line on.
//!
//! A line is the record's JSON with one more field at its end,
//! `,"hash":"<64 hex>"}`. The hash is `SHA-256(previous hash, "\n", the
//! line without that field)`; the first line's "previous hash" is the
//! [`genesis`] of the runbook's SHA-256 and the session id, both taken from
//! the `session_started` record it holds. The last hash is the chain's
//! **head**: exports carry it, and `stepwise verify --head` checks that a
//! journal still passes through it.
//!
//! What this proves, honestly: the journal is what stepwise wrote, unless
//! someone rewrote it from the changed line on and recomputed every hash
//! after it (anyone who can write the file can). It detects edits by hand,
//! by tools and by accident, not a careful forger. Journals written before
//! the chain existed have no hash on any line and are reported as
//! unchained; a journal with hashes on some lines and not others is broken.
//!
//! Pure: bytes in, hashes and verdicts out. Never does I/O.

use super::event::{Event, Record};
use sha2::{Digest, Sha256};

/// The field added at the end of every chained line, up to its value.
const HASH_FIELD: &[u8] = b",\"hash\":\"";
/// Hex digits of a SHA-256.
const HEX_LEN: usize = 64;

/// The "previous hash" of a journal's first line.
pub fn genesis(runbook_sha256: &str, session_id: &str) -> String {
    hex(&Sha256::digest(format!(
        "stepwise-journal-chain/1\n{runbook_sha256}\n{session_id}\n"
    )))
}

/// The genesis for a journal whose first record is `first`: from its
/// runbook hash and session id when it is `session_started` (it always is
/// in a journal stepwise wrote), else from nothing.
pub fn genesis_for(first: &Event) -> String {
    match first {
        Event::SessionStarted {
            runbook_sha256,
            session_id,
            ..
        } => genesis(runbook_sha256, session_id),
        _ => genesis("", ""),
    }
}

/// The hash of a line whose JSON without the hash field is `body`.
pub fn link(prev: &str, body: &[u8]) -> String {
    let hex = link_hex(prev.as_bytes(), &[body]);
    String::from_utf8_lossy(&hex).into_owned()
}

/// [`link`] of a body given in pieces (no copy to join them), as hex
/// digits on the stack: the loader checks every line of a journal that may
/// hold 100,000, so nothing here allocates.
fn link_hex(prev: &[u8], body: &[&[u8]]) -> [u8; HEX_LEN] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(b"\n");
    for part in body {
        h.update(part);
    }
    let mut out = [0u8; HEX_LEN];
    hex_into(&h.finalize(), &mut out);
    out
}

/// Adds `hash` as the last field of the JSON object `body` (`{…}`).
pub fn seal(body: &mut Vec<u8>, hash: &str) {
    debug_assert_eq!(body.last(), Some(&b'}'));
    body.pop();
    body.extend_from_slice(HASH_FIELD);
    body.extend_from_slice(hash.as_bytes());
    body.extend_from_slice(b"\"}");
}

/// A line (without its newline) split at its hash field, when it ends
/// with one: the body the hash covers is the first part followed by `}`.
pub fn split(line: &[u8]) -> Option<(&[u8], &str)> {
    let (head, hash) = split_raw(line)?;
    let hash = std::str::from_utf8(hash).ok()?;
    hash.bytes()
        .all(|b| b.is_ascii_hexdigit())
        .then_some((head, hash))
}

/// [`split`] without checking that the hash is hex (a hash that is not
/// simply does not match).
fn split_raw(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let tail = HASH_FIELD.len() + HEX_LEN + 2;
    let at = line.len().checked_sub(tail)?;
    let (head, rest) = line.split_at(at);
    let hash = rest.strip_prefix(HASH_FIELD)?.strip_suffix(b"\"}")?;
    Some((head, hash))
}

/// What the chain of a whole journal says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Every line is chained; `head` is the last line's hash.
    Intact { head: String },
    /// No line carries a hash: written by a stepwise from before the chain.
    Unchained,
    /// The first line (1-based) where the chain does not hold, and why.
    Broken { line: usize, reason: String },
}

impl Status {
    /// `chain <head>`, `unchained (…)`, or where it breaks, for people.
    pub fn describe(&self) -> String {
        match self {
            Status::Intact { head } => format!("chain {head}"),
            Status::Unchained => "unchained (written by an older stepwise)".into(),
            Status::Broken { line, reason } => format!("chain broken at line {line}: {reason}"),
        }
    }
}

/// Checks a journal's lines one by one, in order.
#[derive(Debug, Default)]
pub struct Checker {
    lines: usize,
    /// The hash of the last line (hex digits); `None` before the first.
    prev: Option<[u8; HEX_LEN]>,
    /// Whether the first line carried a hash.
    chained: Option<bool>,
    broken: Option<(usize, String)>,
}

impl Checker {
    pub fn new() -> Checker {
        Checker::default()
    }

    /// The next whole line (without its newline) and the record read from it.
    pub fn push(&mut self, line: &[u8], record: &Record) {
        self.lines += 1;
        if self.broken.is_some() {
            return;
        }
        let split = split_raw(line);
        let chained = *self.chained.get_or_insert(split.is_some());
        let Some((head, hash)) = split else {
            if chained {
                self.break_at("it has no hash, while the lines before it have one");
            }
            return;
        };
        if !chained {
            self.break_at("it has a hash, while the lines before it have none");
            return;
        }
        let expected = match &self.prev {
            Some(prev) => link_hex(prev, &[head, b"}"]),
            None => link_hex(genesis_for(&record.event).as_bytes(), &[head, b"}"]),
        };
        if expected != hash {
            self.break_at(
                "its hash does not follow from the line before it: this line was changed, \
                 or a line before it was changed, removed, added or moved",
            );
            return;
        }
        self.prev = Some(expected);
    }

    /// Counts a line without checking it: one of a prefix this process
    /// checked already ([`Checker::trust`] follows it).
    pub fn skip(&mut self) {
        self.lines += 1;
    }

    /// Takes the lines skipped so far as checked, ending with `head`.
    pub fn trust(&mut self, head: &str) {
        if let Ok(head) = <[u8; HEX_LEN]>::try_from(head.as_bytes()) {
            self.prev = Some(head);
            self.chained = Some(true);
        }
    }

    /// Marks the chain broken at the current line.
    pub fn break_here(&mut self, reason: &str) {
        if self.broken.is_none() {
            self.break_at(reason);
        }
    }

    fn break_at(&mut self, reason: &str) {
        self.broken = Some((self.lines, reason.to_owned()));
    }

    /// The verdict on the lines pushed so far.
    pub fn status(&self) -> Status {
        match (&self.broken, &self.prev) {
            (Some((line, reason)), _) => Status::Broken {
                line: *line,
                reason: reason.clone(),
            },
            (None, Some(head)) => Status::Intact {
                head: String::from_utf8_lossy(head).into_owned(),
            },
            (None, None) => Status::Unchained,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len() * 2];
    hex_into(bytes, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Lower-case hex digits of `bytes` into `out` (twice as long).
fn hex_into(bytes: &[u8], out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (b, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0xf)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: u64, event: Event) -> (Vec<u8>, Record) {
        let r = Record {
            seq,
            at: chrono::DateTime::UNIX_EPOCH,
            by: None,
            event,
        };
        (serde_json::to_vec(&r).unwrap(), r)
    }

    fn chained(events: Vec<Event>) -> Vec<(Vec<u8>, Record)> {
        let mut prev: Option<String> = None;
        let mut out = Vec::new();
        for (i, e) in events.into_iter().enumerate() {
            let (mut body, r) = record(i as u64 + 1, e);
            let p = prev.take().unwrap_or_else(|| genesis_for(&r.event));
            let h = link(&p, &body);
            seal(&mut body, &h);
            prev = Some(h);
            out.push((body, r));
        }
        out
    }

    fn started() -> Event {
        Event::SessionStarted {
            session_id: "s".into(),
            runbook_id: "r".into(),
            runbook_title: "R".into(),
            runbook_path: "/r.yaml".into(),
            runbook_sha256: "ab".into(),
            auto: false,
            dry_run: false,
            from_step: None,
            stepwise_version: "0".into(),
            pid: 1,
        }
    }

    fn check(lines: &[(Vec<u8>, Record)]) -> Status {
        let mut c = Checker::new();
        for (l, r) in lines {
            c.push(l, r);
        }
        c.status()
    }

    #[test]
    fn a_sealed_line_is_still_the_record_and_splits_back() {
        let lines = chained(vec![started(), Event::SessionCompleted]);
        let back: Record = serde_json::from_slice(&lines[1].0).unwrap();
        assert_eq!(back, lines[1].1);
        let (head, hash) = split(&lines[1].0).unwrap();
        assert_eq!(
            [head, b"}"].concat(),
            serde_json::to_vec(&lines[1].1).unwrap()
        );
        assert_eq!(hash.len(), HEX_LEN);
        assert!(matches!(check(&lines), Status::Intact { .. }));
    }

    #[test]
    fn every_edit_removal_insertion_and_move_breaks_the_chain_there() {
        let events = || {
            vec![
                started(),
                Event::SessionLeft { reason: None },
                Event::SessionCompleted,
            ]
        };
        let lines = chained(events());
        let mut edited = lines.clone();
        edited[1].0 = String::from_utf8(edited[1].0.clone())
            .unwrap()
            .replace("session_left", "session_lefT")
            .into_bytes();
        let broken_at = |l: &[(Vec<u8>, Record)]| match check(l) {
            Status::Broken { line, .. } => line,
            other => panic!("not broken: {other:?}"),
        };
        assert_eq!(broken_at(&edited), 2);
        assert_eq!(broken_at(&[lines[0].clone(), lines[2].clone()]), 2);
        assert_eq!(broken_at(&[lines[1].clone(), lines[0].clone()]), 1);
        let dup = [lines[0].clone(), lines[1].clone(), lines[1].clone()];
        assert_eq!(broken_at(&dup), 3);
        let (plain, r) = record(4, Event::SessionCompleted);
        let mut added = lines.clone();
        added.insert(1, (plain, r));
        assert_eq!(broken_at(&added), 2);
    }

    #[test]
    fn a_journal_without_hashes_is_unchained_and_a_mixed_one_broken() {
        let plain: Vec<_> = vec![
            record(1, started()),
            record(2, Event::SessionLeft { reason: None }),
        ];
        assert_eq!(check(&plain), Status::Unchained);
        let mut mixed = plain.clone();
        mixed.push(chained(vec![started()]).remove(0));
        assert!(matches!(check(&mixed), Status::Broken { line: 3, .. }));
    }
}
