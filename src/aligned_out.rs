//! Headless output written in pieces that end on 64 KiB boundaries of the
//! file it goes to, with what is left held until the next boundary or the
//! next flush.
//!
//! A flood printed headless is 2.5 times the step's own output (each line
//! with its prefix). On this disk (ext4, kernel 6.18) 199 MB written in
//! unaligned pieces of 134 KB cost 104–109 ms of system time, in aligned
//! pieces of 128 KiB 70–81 ms (docs/PERFORMANCE.md, eighth pass). The
//! headless driver flushes once no update has come for 10 ms, at most
//! 50 ms after the first byte it holds, and before every question.
//!
//! Buffering only: what it is given is written in order, whole; it never
//! changes a byte.

use std::fs::File;
use std::io::{self, IoSlice, Seek, Write};

/// The boundary writes end on.
const ALIGN: u64 = 64 * 1024;

/// Bytes for `file`, held until they reach a boundary or are flushed.
pub struct AlignedOut<W: Write> {
    out: W,
    /// Where the next byte lands in the file (relative, when unknown).
    pos: u64,
    /// Not written yet: never reaches the boundary after `pos`.
    held: Vec<u8>,
}

impl AlignedOut<Box<dyn Write + Send>> {
    /// Standard output, written through its own descriptor (a duplicate:
    /// the same file and offset) so that no line buffer cuts the pieces;
    /// through `std::io::stdout` when it cannot be duplicated.
    pub fn stdout() -> AlignedOut<Box<dyn Write + Send>> {
        use std::os::fd::AsFd;
        let _ = std::io::stdout().flush();
        let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() else {
            return AlignedOut::at(Box::new(std::io::stdout()), 0);
        };
        let mut file = File::from(fd);
        // Where writes land: the end for a file opened to append, the
        // offset otherwise; a pipe or terminal has neither, and there
        // the pieces' sizes do not matter.
        let appends = nix::fcntl::fcntl(&file, nix::fcntl::FcntlArg::F_GETFL)
            .is_ok_and(|f| f & nix::libc::O_APPEND != 0);
        let pos = if appends {
            file.metadata().map(|m| m.len()).unwrap_or(0)
        } else {
            file.stream_position().unwrap_or(0)
        };
        AlignedOut::at(Box::new(file), pos)
    }
}

impl<W: Write> AlignedOut<W> {
    /// `out`, whose next byte lands at `pos`.
    pub fn at(out: W, pos: u64) -> AlignedOut<W> {
        AlignedOut {
            out,
            pos,
            held: Vec::new(),
        }
    }

    /// Writes `parts` in as few calls as the writer allows; how many
    /// bytes went out, and the error that stopped it, if one did.
    fn send(&mut self, parts: &mut [IoSlice<'_>]) -> (usize, Option<io::Error>) {
        let mut parts = &mut parts[..];
        IoSlice::advance_slices(&mut parts, 0);
        let mut sent = 0;
        while !parts.is_empty() {
            match self.out.write_vectored(parts) {
                Ok(0) => return (sent, Some(io::ErrorKind::WriteZero.into())),
                Ok(n) => {
                    sent += n;
                    IoSlice::advance_slices(&mut parts, n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (sent, Some(e)),
            }
        }
        (sent, None)
    }
}

impl<W: Write> Write for AlignedOut<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let end = self.pos + (self.held.len() + data.len()) as u64;
        let boundary = end - end % ALIGN;
        if boundary <= self.pos {
            self.held.extend_from_slice(data);
            return Ok(data.len());
        }
        // `held` never reaches the boundary after `pos`, so the write
        // takes all of it and the start of `data`.
        let take = (boundary - self.pos) as usize - self.held.len();
        let mut held = std::mem::take(&mut self.held);
        let (sent, error) = self.send(&mut [IoSlice::new(&held), IoSlice::new(&data[..take])]);
        self.pos += sent as u64;
        let of_data = sent.saturating_sub(held.len());
        held.drain(..sent.min(held.len()));
        if let Some(e) = error {
            // What did not go out stays held (of `held`) or is not taken
            // (of `data`): nothing is lost, nothing written twice.
            self.held = held;
            return if of_data > 0 { Ok(of_data) } else { Err(e) };
        }
        held.extend_from_slice(&data[take..]);
        self.held = held;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        while !self.held.is_empty() {
            match self.out.write(&self.held) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.held.drain(..n);
                    self.pos += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.out.flush()
    }
}

impl<W: Write> Drop for AlignedOut<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Notes the bytes and the size of each write it is given, taking
    /// up to `budget` bytes (across slices) and then failing once.
    struct Taker {
        bytes: Vec<u8>,
        writes: Vec<usize>,
        budget: usize,
    }

    impl Taker {
        fn new(budget: usize) -> Taker {
            Taker {
                bytes: Vec::new(),
                writes: Vec::new(),
                budget,
            }
        }
    }

    impl Write for Taker {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.write_vectored(&[IoSlice::new(b)])
        }
        fn write_vectored(&mut self, parts: &[IoSlice<'_>]) -> io::Result<usize> {
            if self.budget == 0 {
                self.budget = usize::MAX;
                return Err(io::Error::other("full"));
            }
            let mut n = 0;
            for p in parts {
                let k = p.len().min(self.budget - n);
                self.bytes.extend_from_slice(&p[..k]);
                n += k;
            }
            self.budget -= n;
            self.writes.push(n);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Pieces of every size, from a position off the boundary: the same
    /// bytes in the same order, every write but the flushed last one
    /// ending on a boundary.
    #[test]
    fn every_write_ends_on_a_boundary_until_the_flush() {
        let text: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
        let start = 1000;
        let mut w = AlignedOut::at(Taker::new(usize::MAX), start);
        let mut rest = &text[..];
        for size in [1, 100, 70_000, 3, 160_000, 65_536, 9].iter().cycle() {
            let n = (*size).min(rest.len());
            w.write_all(&rest[..n]).unwrap();
            rest = &rest[n..];
            if rest.is_empty() {
                break;
            }
        }
        w.flush().unwrap();
        let out = &w.out;
        assert_eq!(out.bytes, text);
        let mut pos = start;
        let (last, aligned) = out.writes.split_last().unwrap();
        for n in aligned {
            pos += *n as u64;
            assert_eq!(pos % ALIGN, 0, "a write ending at {pos}");
        }
        assert_eq!(pos + *last as u64, start + text.len() as u64);
    }

    /// A writer that fails in the middle of a piece, in the held bytes or
    /// in the new ones: retried as `Write` says (the bytes not taken
    /// again), everything arrives once, in order.
    #[test]
    fn a_failed_write_loses_nothing_and_writes_nothing_twice() {
        let text: Vec<u8> = (0..400_000u32).map(|i| (i % 253) as u8).collect();
        for budget in [0, 10, 30_000, 65_536, 70_000, 200_000] {
            let mut w = AlignedOut::at(Taker::new(budget), 0);
            let mut rest = &text[..];
            let mut errors = 0;
            while !rest.is_empty() {
                let piece = &rest[..rest.len().min(50_000)];
                match w.write(piece) {
                    Ok(n) => rest = &rest[n..],
                    Err(_) => errors += 1,
                }
            }
            w.flush().unwrap();
            assert_eq!(errors, 1, "budget {budget}");
            assert!(w.out.bytes == text, "budget {budget}: lost or doubled");
        }
    }

    /// Nothing is held past a flush, and a dropped writer flushes.
    #[test]
    fn a_flush_and_a_drop_write_what_is_held() {
        let mut file = tempfile::tempfile().unwrap();
        {
            let mut w = AlignedOut::at(file.try_clone().unwrap(), 0);
            w.write_all(b"one\n").unwrap();
            w.flush().unwrap();
            assert_eq!(file.metadata().unwrap().len(), 4);
            w.write_all(b"two\n").unwrap();
        }
        let mut back = String::new();
        file.rewind().unwrap();
        std::io::Read::read_to_string(&mut file, &mut back).unwrap();
        assert_eq!(back, "one\ntwo\n");
    }
}
