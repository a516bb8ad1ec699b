//! Reading a journal another process is writing, as it grows (`stepwise
//! follow`). Opens the file read-only and takes no lock, so any number of
//! readers never slow or block the one writer. A line still being written
//! waits for its newline; a damaged complete line is an error, as in
//! [`journal::read`](super::journal::read).

use super::event::Record;
use super::journal::{JournalError, parse_line};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Where a reader is in a growing journal.
pub struct Tail {
    path: PathBuf,
    file: Option<File>,
    /// Bytes read so far (complete lines and `partial`).
    offset: u64,
    /// The start of a line whose newline has not been written yet.
    partial: Vec<u8>,
    lines: usize,
}

impl Tail {
    pub fn new(path: &Path) -> Tail {
        Tail {
            path: path.to_owned(),
            file: None,
            offset: 0,
            partial: Vec::new(),
            lines: 0,
        }
    }

    /// The records completed since the last call (all of them, the first
    /// time). A journal not created yet reads as empty.
    pub fn poll(&mut self) -> Result<Vec<Record>, JournalError> {
        let io_err = |source: io::Error| JournalError::Io {
            path: self.path.clone(),
            source,
        };
        if self.file.is_none() {
            match File::open(&self.path) {
                Ok(f) => self.file = Some(f),
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(e) => return Err(io_err(e)),
            }
        }
        let Some(file) = self.file.as_mut() else {
            return Ok(Vec::new());
        };
        let mut grown = Vec::new();
        file.seek(SeekFrom::Start(self.offset))
            .and_then(|_| file.read_to_end(&mut grown))
            .map_err(io_err)?;
        self.offset += grown.len() as u64;
        self.partial.extend_from_slice(&grown);
        let Some(last_newline) = self.partial.iter().rposition(|&b| b == b'\n') else {
            return Ok(Vec::new());
        };
        let rest = self.partial.split_off(last_newline + 1);
        let complete = std::mem::replace(&mut self.partial, rest);
        let mut records = Vec::new();
        for line in complete[..last_newline].split(|&b| b == b'\n') {
            self.lines += 1;
            let r = parse_line(line).map_err(|reason| JournalError::Damaged {
                path: self.path.clone(),
                line: self.lines,
                reason,
            })?;
            records.push(r);
        }
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const LINE: &str = r#"{"seq":1,"at":"2026-11-26T16:30:00Z","type":"session_left"}"#;

    #[test]
    fn a_line_is_read_once_its_newline_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut tail = Tail::new(&path);
        assert!(tail.poll().unwrap().is_empty(), "no file yet");
        let mut f = File::create(&path).unwrap();
        f.write_all(&LINE.as_bytes()[..20]).unwrap();
        assert!(tail.poll().unwrap().is_empty(), "half a line");
        f.write_all(format!("{}\n{LINE}\n", &LINE[20..]).as_bytes())
            .unwrap();
        assert_eq!(tail.poll().unwrap().len(), 2);
        assert!(tail.poll().unwrap().is_empty(), "nothing new");
        f.write_all(b"not json\n").unwrap();
        let err = tail.poll().unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
    }
}
