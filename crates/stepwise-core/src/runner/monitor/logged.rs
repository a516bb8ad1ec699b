//! stepwise's side of [`Frame::Logged`]: output the monitor has written to
//! the attempt's log, read back from the log (the page cache, on a live
//! step) as the [`Chunk`] the engine expects. The bytes of a flood then
//! cross no socket: the monitor writes them once, this reads them once.
//!
//! Reads only; never writes or creates the log (the monitor does).

use super::wire::Frame;
use crate::engine::process::Chunk;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// The attempt's log, opened at the first [`Frame::Logged`].
pub(super) struct LogPieces {
    path: PathBuf,
    file: Option<File>,
    /// A piece could not be read: places are no use from then on.
    unreadable: bool,
}

/// A frame from the monitor, as the follower of the attempt takes it.
#[derive(Debug, PartialEq)]
pub(super) enum Resolved {
    /// A frame to act on (a place in the log, now the bytes read there).
    Frame(Frame),
    /// The log could not be read at this offset (removed, renamed, an I/O
    /// error): the monitor is to send the bytes themselves from here on,
    /// as it does to a stepwise that never asked for places. The step runs
    /// on and is followed to its exit.
    AskBytes(u64),
    /// A place sent before the monitor heard [`Resolved::AskBytes`]: its
    /// bytes come again, as bytes.
    Skip,
}

impl LogPieces {
    pub(super) fn new(path: &Path) -> LogPieces {
        LogPieces {
            path: path.to_owned(),
            file: None,
            unreadable: false,
        }
    }

    /// A frame as the engine takes it: a [`Frame::Logged`] becomes the
    /// chunk of the log it names; any other frame is returned as it came.
    pub(super) fn resolve(&mut self, frame: Frame) -> Resolved {
        let Frame::Logged {
            stream,
            offset,
            len,
        } = frame
        else {
            return Resolved::Frame(frame);
        };
        if self.unreadable {
            return Resolved::Skip;
        }
        match self.read(offset, len as usize) {
            Ok(bytes) => Resolved::Frame(Frame::Chunk(Chunk {
                stream,
                offset,
                bytes,
                logged: true,
            })),
            Err(_) => {
                self.unreadable = true;
                Resolved::AskBytes(offset)
            }
        }
    }

    /// Reads a piece the monitor wrote moments ago: from the page cache,
    /// on the async task itself (as the monitor's own catch-up reads do).
    fn read(&mut self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let file = match &mut self.file {
            Some(f) => f,
            slot => slot.insert(File::open(&self.path)?),
        };
        let mut bytes = vec![0; len];
        file.read_exact_at(&mut bytes, offset)?;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::event::Stream;

    fn place(stream: Stream, offset: u64, len: u32) -> Frame {
        Frame::Logged {
            stream,
            offset,
            len,
        }
    }

    #[test]
    fn a_logged_frame_becomes_the_bytes_of_the_log_it_names() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("s.1.log");
        std::fs::write(&log, b"first\nsecond\n").unwrap();
        let mut pieces = LogPieces::new(&log);
        let want = Frame::Chunk(Chunk {
            stream: Stream::Stderr,
            offset: 6,
            bytes: b"second\n".to_vec(),
            logged: true,
        });
        let got = pieces.resolve(place(Stream::Stderr, 6, 7));
        assert_eq!(got, Resolved::Frame(want));
        // Any other frame passes as it came.
        assert_eq!(pieces.resolve(Frame::Ack), Resolved::Frame(Frame::Ack));
    }

    /// A piece beyond the log, or a log that is gone, asks for the bytes
    /// from that piece on; the places after it are dropped (their bytes
    /// come again), other frames still pass.
    #[test]
    fn an_unreadable_piece_asks_for_the_bytes_from_there_on() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("s.1.log");
        std::fs::write(&log, b"short\n").unwrap();
        let mut pieces = LogPieces::new(&log);
        let first = pieces.resolve(place(Stream::Stdout, 0, 6));
        assert!(
            matches!(first, Resolved::Frame(Frame::Chunk(_))),
            "{first:?}"
        );
        let beyond = pieces.resolve(place(Stream::Stdout, 6, 10));
        assert_eq!(beyond, Resolved::AskBytes(6));
        let later = pieces.resolve(place(Stream::Stdout, 16, 4));
        assert_eq!(later, Resolved::Skip);
        assert_eq!(pieces.resolve(Frame::Ack), Resolved::Frame(Frame::Ack));
        let mut gone = LogPieces::new(&dir.path().join("missing.log"));
        let got = gone.resolve(place(Stream::Stderr, 3, 1));
        assert_eq!(got, Resolved::AskBytes(3));
    }
}
