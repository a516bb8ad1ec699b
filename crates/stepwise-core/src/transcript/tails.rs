//! The last lines of an attempt's log, as a terminal would have shown them,
//! made safe to put in a document.
//!
//! Reads at most [`TAIL_BYTES`] from the end of a log (a step may have
//! written gigabytes), decodes lossily, keeps what a carriage return left
//! visible, removes colour codes and shows every other control character as
//! an inert symbol (`␛` for ESC), so an OSC 52 clipboard write or a title
//! change in a log can do nothing to the reader's terminal or browser.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// How many lines of each attempt's output a transcript shows.
pub const TAIL_LINES: usize = 20;
/// How much of the end of a log is read to find them.
pub const TAIL_BYTES: u64 = 64 * 1024;
/// Longer lines are cut, with a marker.
const MAX_LINE_CHARS: usize = 400;

/// The last [`TAIL_LINES`] display lines of a log. A log that cannot be read
/// gives one line saying so (the transcript is still written).
pub fn read_tail(path: &Path) -> Vec<String> {
    match read_end(path, TAIL_BYTES) {
        Ok((bytes, cut)) => display_lines(&bytes, cut),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            vec!["[stepwise: the log file is missing]".to_owned()]
        }
        Err(e) => vec![format!("[stepwise: cannot read the log: {e}]")],
    }
}

/// A fleet step's attempt: the last lines of each of its hosts' logs
/// (`output/<step>.<host>.<attempt>.log`), each line prefixed with its
/// host, the hosts that did not succeed first, at most [`TAIL_LINES`] in
/// all (the failed hosts' own lines come first). Hosts that did not run
/// in this attempt have no log for it and show nothing.
pub fn hosts_tail(
    session_dir: &Path,
    step: &str,
    attempt: u32,
    fleet: &crate::session::fleet::FleetState,
) -> Vec<String> {
    use crate::session::fleet::HostStatus;
    let mut hosts: Vec<_> = fleet.hosts.iter().collect();
    // Stable: plan order within each group.
    hosts.sort_by_key(|h| h.status == HostStatus::Succeeded || h.attempt != attempt);
    let per_host = (TAIL_LINES / hosts.len().max(1)).max(3);
    let mut out = Vec::new();
    for h in hosts {
        if out.len() >= TAIL_LINES {
            break;
        }
        let log = host_log(session_dir, step, &h.host, attempt);
        if !log.exists() {
            continue;
        }
        let lines = read_tail(&log);
        let skip = lines.len().saturating_sub(per_host);
        let room = TAIL_LINES - out.len();
        let host = neutralize(&h.host);
        out.extend(
            lines[skip..]
                .iter()
                .take(room)
                .map(|l| format!("[{host}] {l}")),
        );
    }
    out
}

/// The hosts of a fleet step that have a log of `attempt` (those that ran
/// in it), in plan order, each with that log's path relative to the
/// session folder.
pub fn host_logs(
    session_dir: &Path,
    step: &str,
    attempt: u32,
    fleet: &crate::session::fleet::FleetState,
) -> Vec<(String, String)> {
    fleet
        .hosts
        .iter()
        .map(|h| {
            let name = crate::session::store::host_log_name(step, &h.host, attempt);
            (h.host.clone(), name)
        })
        .filter(|(_, name)| session_dir.join(name).exists())
        .collect()
}

/// Where a host's log of a fleet step's attempt is.
pub fn host_log(session_dir: &Path, step: &str, host: &str, attempt: u32) -> std::path::PathBuf {
    session_dir.join(crate::session::store::host_log_name(step, host, attempt))
}

/// The last `max` bytes of a file, and whether the file was longer.
fn read_end(path: &Path, max: u64) -> io::Result<(Vec<u8>, bool)> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let start = len.saturating_sub(max);
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::with_capacity((len - start) as usize);
    file.take(max).read_to_end(&mut bytes)?;
    Ok((bytes, start > 0))
}

/// Splits raw output into display lines and keeps the last [`TAIL_LINES`].
/// `cut` says the bytes start mid-file, so the first line is partial.
pub fn display_lines(bytes: &[u8], cut: bool) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines: Vec<&str> = text.split('\n').collect();
    if cut && lines.len() > 1 {
        lines.remove(0);
    }
    if lines.last() == Some(&"") {
        lines.pop();
    }
    let skip = lines.len().saturating_sub(TAIL_LINES);
    lines[skip..]
        .iter()
        .map(|l| neutralize(visible_part(l)))
        .collect()
}

/// What a terminal shows of a line with carriage returns: the text after
/// the last one (a progress bar's final state). A trailing CR (CRLF) is dropped.
fn visible_part(line: &str) -> &str {
    let line = line.strip_suffix('\r').unwrap_or(line);
    match line.rfind('\r') {
        Some(i) if i + 1 < line.len() => &line[i + 1..],
        _ => line,
    }
}

/// Removes colour codes and shows every other control character as an
/// inert symbol, cut at [`MAX_LINE_CHARS`] (see [`crate::text::neutralize`]).
pub fn neutralize(line: &str) -> String {
    crate::text::neutralize(line, MAX_LINE_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_removed_other_escapes_shown_inert() {
        assert_eq!(neutralize("\u{1b}[31mred\u{1b}[0m"), "red");
        assert_eq!(neutralize("\u{1b}]52;c;aGk=\u{7}x"), "␛]52;c;aGk=␇x");
        assert_eq!(neutralize("\u{1b}[2J"), "␛[2J");
    }

    #[test]
    fn carriage_returns_keep_the_last_state() {
        let lines = display_lines(b"10%\r50%\r100%\r\ndone\r\n", false);
        assert_eq!(lines, vec!["100%", "done"]);
    }

    #[test]
    fn only_the_last_lines_and_no_partial_first_line() {
        let text: String = (0..50).map(|i| format!("line {i}\n")).collect();
        let lines = display_lines(text.as_bytes(), false);
        assert_eq!(lines.len(), TAIL_LINES);
        assert_eq!(lines[0], "line 30");
        let lines = display_lines(b"tial\nwhole\n", true);
        assert_eq!(lines, vec!["whole"]);
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(display_lines(b"a\xffb\n", false), vec!["a\u{fffd}b"]);
    }
}
