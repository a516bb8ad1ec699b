//! `stepwise verify SESSION [--head HASH]`: says whether a session's record
//! can be believed (see `session::verify`), and whether it still holds the
//! records an earlier export was made from (`--head`, the chain head that
//! export carries). Reads only; never takes the lock, never writes.

use crate::launch::Failure;
use crate::session::{store, verify};
use std::path::Path;

/// Prints `ok: <n> events, chain <hash>` (exit 0) or names the first bad
/// line (exit 2).
pub fn verify(home: &Path, what: &str, head: Option<&str>) -> Result<i32, Failure> {
    let dir = store::find(home, what).map_err(Failure::usage)?;
    let checked = verify::read(&dir).map_err(Failure::usage)?;
    let integrity = &checked.integrity;
    for w in &integrity.warnings {
        crate::say!("warning: {w}");
    }
    let journal = dir.join(store::JOURNAL);
    let ok = integrity.verdict().map_err(|why| {
        Failure::usage(format!(
            "{} {why}\n  The record fails its integrity check: what it says from that line on \
             may not be what happened. Compare with an export made earlier, or with the \
             operators' memory, before relying on it.",
            journal.display()
        ))
    })?;
    if let Some(head) = head {
        check_head(&journal, head)?;
    }
    println!("{ok}");
    Ok(0)
}

/// Checks that the journal's chain passes through `head` (an export's
/// chain head): the records that export was made from are all still there,
/// unchanged.
fn check_head(journal: &Path, head: &str) -> Result<(), Failure> {
    let loaded =
        crate::session::journal::read(journal).map_err(|e| Failure::usage(e.to_string()))?;
    let bytes = crate::session::fsutil::read_no_follow(journal)
        .map_err(|e| Failure::usage(format!("{}: {e}", journal.display())))?;
    let hashes: Vec<&str> = bytes
        .split(|&b| b == b'\n')
        .take(loaded.records.len())
        .filter_map(|line| crate::session::chain::split(line).map(|(_, h)| h))
        .collect();
    match hashes
        .iter()
        .position(|h| h.eq_ignore_ascii_case(head.trim()))
    {
        Some(i) => {
            crate::say!(
                "the chain passes through {head} at line {} of {}: the records that export was made from are unchanged",
                i + 1,
                hashes.len()
            );
            Ok(())
        }
        None => Err(Failure::usage(format!(
            "{}: no record has the hash {head}: the journal was changed after that export was made, \
             or the export is of another session",
            journal.display()
        ))),
    }
}
