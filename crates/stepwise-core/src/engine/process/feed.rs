//! A fed stdin ([`super::Spec::feed`]): a pipe, its bytes written by a
//! thread of their own (a process that reads slowly never stalls the
//! attempt), its write end held by the [`Feed`] until the attempt ends.
//! Its end of input is then the process's sign that whoever held the
//! attempt (stepwise, or the step's monitor) is gone.
//!
//! Never logs or shows the bytes: they may hold values.

use std::io::{self, Write};
use std::os::fd::OwnedFd;

/// The write end of a fed stdin, kept open while this lives.
pub struct Feed {
    _write: io::PipeWriter,
}

impl Feed {
    /// Makes the pipe and starts writing `bytes` into it; the read end is
    /// for the process.
    pub fn start(bytes: Vec<u8>) -> io::Result<(Feed, OwnedFd)> {
        let (read, write) = io::pipe()?;
        let mut writer = write.try_clone()?;
        // Ends when all is written, or with an error once the reader is
        // gone; never joined.
        std::thread::spawn(move || writer.write_all(&bytes));
        Ok((Feed { _write: write }, read.into()))
    }
}
