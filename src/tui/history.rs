//! Earlier output for a resumed session: the log panes are filled from the
//! session folder's logs (`output/<step>.<attempt>.log`), told apart into
//! stdout and stderr by the `OutputRecorded` ranges of the journal.
//!
//! Only the end of each log is read ([`HISTORY_BYTES`]; the panes keep
//! [`MAX_LINES`](super::log::MAX_LINES) lines anyway), so a step that
//! printed gigabytes resumes as fast as one that printed nothing. Reading
//! is best effort: a missing or unreadable log leaves a one-line note in
//! its pane and never stops the interface. This module never writes.

use super::log::Logs;
use crate::session::event::{Event, Stream};
use crate::session::state::{Session, StepStatus};
use crate::session::store;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// How much of the end of each attempt's log is read.
pub const HISTORY_BYTES: u64 = 2 * 1024 * 1024;

/// One stream's bytes in a log: `(stream, offset, len)`.
type Range = (Stream, u64, u64);

/// Fills `logs` with the end of every attempt's output in `dir`.
pub fn load(logs: &mut Logs, session: &Session, dir: &Path) {
    let Ok(loaded) = crate::session::journal::read(&dir.join(store::JOURNAL)) else {
        return;
    };
    let mut ranges: BTreeMap<(String, u32), Vec<Range>> = BTreeMap::new();
    for r in &loaded.records {
        if let Event::OutputRecorded {
            step,
            attempt,
            stream,
            offset,
            len,
        } = &r.event
        {
            ranges
                .entry((step.clone(), *attempt))
                .or_default()
                .push((*stream, *offset, *len));
        }
    }
    for st in &session.steps {
        for a in &st.attempts {
            let path = dir
                .join(store::OUTPUT_DIR)
                .join(format!("{}.{}.log", st.id, a.number));
            let mut r = ranges
                .remove(&(st.id.clone(), a.number))
                .unwrap_or_default();
            // A step still running is taken up by the engine, which sends
            // its output from the journal's offset on: no tail read here.
            let running =
                matches!(st.status, StepStatus::Running { attempt } if attempt == a.number);
            if !running {
                with_unrecorded_tail(&mut r, &path);
            }
            if r.is_empty() {
                continue;
            }
            let tty = session.runbook.step(&st.id).is_some_and(|d| d.tty);
            if let Err(e) = load_attempt(logs, (&st.id, a.number, tty), &path, &r) {
                let note = format!("[stepwise: cannot read {}: {e}]\n", path.display());
                logs.push(&st.id, a.number, Stream::Stderr, note.as_bytes());
            }
        }
    }
}

/// Output a crash kept out of the journal: bytes in the log beyond what the
/// journal recorded (records of a running step are written in batches).
/// Its stream is unknown; it is shown as stdout.
fn with_unrecorded_tail(ranges: &mut Vec<Range>, path: &Path) {
    let recorded = ranges.iter().map(|(_, o, l)| o + l).max().unwrap_or(0);
    let on_disk = std::fs::metadata(path).map_or(0, |m| m.len());
    if on_disk > recorded {
        ranges.push((Stream::Stdout, recorded, on_disk - recorded));
    }
}

/// Pushes the end of one log into its pane, stream by stream in file order.
fn load_attempt(
    logs: &mut Logs,
    (step, attempt, tty): (&str, u32, bool),
    path: &Path,
    ranges: &[Range],
) -> std::io::Result<()> {
    let end = ranges.iter().map(|(_, o, l)| o + l).max().unwrap_or(0);
    let start = end.saturating_sub(HISTORY_BYTES);
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::with_capacity((end - start) as usize);
    file.take(end - start).read_to_end(&mut bytes)?;
    if start > 0 {
        let note = format!(
            "[stepwise: earlier output is in {} — only the end is shown]\n",
            path.display()
        );
        logs.push(step, attempt, Stream::Stdout, note.as_bytes());
    }
    // A cut log starts mid-line: begin at the next whole line.
    let skip = match start {
        0 => 0,
        _ => bytes.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1),
    };
    let shown = &bytes[skip..];
    // The pane learns where in the log these bytes are: its stderr tint
    // follows the file's offsets.
    logs.seek(step, attempt, start + skip as u64);
    for (stream, from, to) in pieces(ranges, start + skip as u64, shown.len() as u64) {
        let chunk = &shown[from as usize..to as usize];
        if tty {
            logs.push_tty(step, attempt, chunk);
        } else {
            logs.push(step, attempt, stream, chunk);
        }
    }
    Ok(())
}

/// The parts of `ranges` inside `[start, start + len)`, relative to `start`.
fn pieces(ranges: &[Range], start: u64, len: u64) -> Vec<(Stream, u64, u64)> {
    let mut sorted = ranges.to_vec();
    sorted.sort_by_key(|(_, o, _)| *o);
    sorted
        .into_iter()
        .filter_map(|(s, o, l)| {
            let from = o.max(start);
            let to = (o + l).min(start + len);
            (from < to).then(|| (s, from - start, to - start))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_parts_inside_the_window_are_kept() {
        let ranges = [
            (Stream::Stdout, 0, 10),
            (Stream::Stderr, 10, 5),
            (Stream::Stdout, 15, 5),
        ];
        assert_eq!(
            pieces(&ranges, 12, 8),
            vec![(Stream::Stderr, 0, 3), (Stream::Stdout, 3, 8)]
        );
        assert_eq!(pieces(&ranges, 0, 20).len(), 3);
    }

    #[test]
    fn output_the_journal_never_recorded_is_shown_too() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("s.1.log");
        std::fs::write(&log, "recorded\nwaiting\n").unwrap();
        let mut none = Vec::new();
        with_unrecorded_tail(&mut none, &log);
        assert_eq!(
            none,
            vec![(Stream::Stdout, 0, 17)],
            "nothing recorded: all of it"
        );
        let mut some = vec![(Stream::Stderr, 0, 9)];
        with_unrecorded_tail(&mut some, &log);
        assert_eq!(some, vec![(Stream::Stderr, 0, 9), (Stream::Stdout, 9, 8)]);
        let mut all = vec![(Stream::Stdout, 0, 17)];
        with_unrecorded_tail(&mut all, &log);
        assert_eq!(all.len(), 1, "everything recorded: nothing added");
        let mut missing = Vec::new();
        with_unrecorded_tail(&mut missing, &dir.path().join("gone.log"));
        assert!(missing.is_empty());
    }
}
