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
}

impl LogPieces {
    pub(super) fn new(path: &Path) -> LogPieces {
        LogPieces {
            path: path.to_owned(),
            file: None,
        }
    }

    /// A frame as the engine takes it: a [`Frame::Logged`] becomes the
    /// chunk of the log it names; any other frame is returned as it came.
    pub(super) fn resolve(&mut self, frame: Frame) -> io::Result<Frame> {
        let Frame::Logged {
            stream,
            offset,
            len,
        } = frame
        else {
            return Ok(frame);
        };
        let bytes = self.read(offset, len as usize).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot read the step's output at byte {offset} of {}: {e}",
                    self.path.display()
                ),
            )
        })?;
        Ok(Frame::Chunk(Chunk {
            stream,
            offset,
            bytes,
            logged: true,
        }))
    }

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

    #[test]
    fn a_logged_frame_becomes_the_bytes_of_the_log_it_names() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("s.1.log");
        std::fs::write(&log, b"first\nsecond\n").unwrap();
        let mut pieces = LogPieces::new(&log);
        let frame = Frame::Logged {
            stream: Stream::Stderr,
            offset: 6,
            len: 7,
        };
        let want = Frame::Chunk(Chunk {
            stream: Stream::Stderr,
            offset: 6,
            bytes: b"second\n".to_vec(),
            logged: true,
        });
        assert_eq!(pieces.resolve(frame).unwrap(), want);
        // Any other frame passes as it came.
        assert_eq!(pieces.resolve(Frame::Ack).unwrap(), Frame::Ack);
    }

    #[test]
    fn a_piece_beyond_the_log_is_an_error_that_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("s.1.log");
        std::fs::write(&log, b"short\n").unwrap();
        let frame = Frame::Logged {
            stream: Stream::Stdout,
            offset: 4,
            len: 10,
        };
        let err = LogPieces::new(&log).resolve(frame).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(err.to_string().contains("byte 4 of"), "{err}");
        assert!(err.to_string().contains("s.1.log"), "{err}");
    }
}
