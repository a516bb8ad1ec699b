//! The frames between stepwise and a step's monitor, over a Unix socket:
//! `[kind: u8][len: u32 big-endian][payload]`. Output travels as raw bytes
//! (no encoding on the hot path); the spec and the exit as JSON.
//!
//! Framing only: no policy, no files.

use crate::engine::process::Chunk;
use crate::session::event::Stream;
use std::io;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The largest frame accepted (a 1 MiB capture encoded as JSON fits).
const MAX_FRAME: usize = 16 * 1024 * 1024;

/// What travels, either way.
#[derive(Debug, PartialEq)]
pub enum Frame {
    /// Client → monitor, first on the inherited socket: the spec (JSON).
    Spec(Vec<u8>),
    /// Client → monitor, first on a re-attach: send the log from here on.
    Hello { from: u64 },
    /// Client → monitor: cancel the attempt.
    Cancel,
    /// Client → monitor: bytes typed into a `tty: true` step.
    Input(Vec<u8>),
    /// Client → monitor: the pane of a `tty: true` step changed size.
    Resize { rows: u16, cols: u16 },
    /// Monitor → client: output, already masked, at its place in the log.
    Chunk(Chunk),
    /// Monitor → client: how the attempt ended (JSON `ExitRecord`).
    Exit(Vec<u8>),
    /// Client → monitor, after the exit: it is durable in the journal, so
    /// the exit file need not be made durable. The client then either
    /// hangs up (the monitor exits) or keeps the connection and later
    /// sends the next attempt's spec on it (the monitor waits as a spare).
    Ack,
    /// Monitor → client, after a spec: the attempt is claimed (its socket
    /// bound, its stepwise still there); the step is being started.
    Claimed,
}

impl Frame {
    pub(super) fn kind(&self) -> u8 {
        match self {
            Frame::Spec(_) => b'S',
            Frame::Hello { .. } => b'H',
            Frame::Cancel => b'K',
            Frame::Input(_) => b'I',
            Frame::Resize { .. } => b'R',
            Frame::Chunk(_) => b'C',
            Frame::Exit(_) => b'X',
            Frame::Ack => b'A',
            Frame::Claimed => b'L',
        }
    }

    /// Appends the payload to `buf`: output is copied once, straight
    /// into the frame (this is the path every byte of a flood takes).
    fn payload_into(&self, buf: &mut Vec<u8>) {
        match self {
            Frame::Spec(b) | Frame::Input(b) | Frame::Exit(b) => buf.extend_from_slice(b),
            Frame::Hello { from } => buf.extend_from_slice(&from.to_be_bytes()),
            Frame::Cancel | Frame::Ack | Frame::Claimed => {}
            Frame::Resize { rows, cols } => {
                buf.extend_from_slice(&rows.to_be_bytes());
                buf.extend_from_slice(&cols.to_be_bytes());
            }
            Frame::Chunk(c) => {
                buf.push(u8::from(c.stream == Stream::Stderr));
                buf.push(u8::from(c.logged));
                buf.extend_from_slice(&c.offset.to_be_bytes());
                buf.extend_from_slice(&c.bytes);
            }
        }
    }

    fn payload_len(&self) -> usize {
        match self {
            Frame::Spec(b) | Frame::Input(b) | Frame::Exit(b) => b.len(),
            Frame::Hello { .. } => 8,
            Frame::Cancel | Frame::Ack | Frame::Claimed => 0,
            Frame::Resize { .. } => 4,
            Frame::Chunk(c) => 10 + c.bytes.len(),
        }
    }

    fn parse(kind: u8, p: Vec<u8>) -> io::Result<Frame> {
        let bad = || io::Error::new(io::ErrorKind::InvalidData, "a malformed monitor frame");
        Ok(match kind {
            b'S' => Frame::Spec(p),
            b'I' => Frame::Input(p),
            b'X' => Frame::Exit(p),
            b'K' => Frame::Cancel,
            b'A' => Frame::Ack,
            b'L' => Frame::Claimed,
            b'H' => Frame::Hello {
                from: u64::from_be_bytes(
                    p.get(..8).ok_or_else(bad)?.try_into().map_err(|_| bad())?,
                ),
            },
            b'R' if p.len() == 4 => Frame::Resize {
                rows: u16::from_be_bytes([p[0], p[1]]),
                cols: u16::from_be_bytes([p[2], p[3]]),
            },

            _ => return Err(bad()),
        })
    }
}

/// Writes one frame (header and payload in one write).
pub async fn write<W: AsyncWrite + Unpin>(w: &mut W, frame: &Frame) -> io::Result<()> {
    w.write_all(&encode(frame)).await
}

/// One frame as bytes: header and payload (output copied once, straight
/// into the frame).
pub fn encode(frame: &Frame) -> Vec<u8> {
    let len = frame.payload_len();
    let mut buf = Vec::with_capacity(5 + len);
    buf.push(frame.kind());
    buf.extend_from_slice(&(len as u32).to_be_bytes());
    frame.payload_into(&mut buf);
    buf
}

/// Reads one frame; `None` at a clean end of the stream.
pub async fn read<R: AsyncRead + Unpin>(r: &mut R) -> io::Result<Option<Frame>> {
    let mut head = [0u8; 5];
    match r.read_exact(&mut head).await {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "a monitor frame too large",
        ));
    }
    if head[0] == b'C' && len >= CHUNK_HEAD {
        // Output: its own header apart, so the bytes land where they stay
        // (no move of the whole chunk to cut the header off).
        let mut sub = [0u8; CHUNK_HEAD];
        r.read_exact(&mut sub).await?;
        let bytes = read_payload(r, len - CHUNK_HEAD).await?;
        return Ok(Some(Frame::Chunk(chunk_of(&sub, bytes))));
    }
    let payload = read_payload(r, len).await?;
    Frame::parse(head[0], payload).map(Some)
}

/// A chunk frame's own header: stream, logged, offset.
const CHUNK_HEAD: usize = 10;

fn chunk_of(sub: &[u8; CHUNK_HEAD], bytes: Vec<u8>) -> Chunk {
    let mut offset = [0u8; 8];
    offset.copy_from_slice(&sub[2..]);
    Chunk {
        stream: if sub[0] == 1 {
            Stream::Stderr
        } else {
            Stream::Stdout
        },
        logged: sub[1] == 1,
        offset: u64::from_be_bytes(offset),
        bytes,
    }
}

/// Reads `len` bytes into spare capacity: no zeroing of a buffer about to
/// be filled.
async fn read_payload<R: AsyncRead + Unpin>(r: &mut R, len: usize) -> io::Result<Vec<u8>> {
    let mut payload = Vec::with_capacity(len);
    while payload.len() < len {
        let rest = (len - payload.len()) as u64;
        if (&mut *r).take(rest).read_buf(&mut payload).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_frame_reads_back_as_written() {
        let frames = vec![
            Frame::Spec(b"{}".to_vec()),
            Frame::Hello { from: 1 << 40 },
            Frame::Cancel,
            Frame::Input(vec![3, 27]),
            Frame::Resize {
                rows: 30,
                cols: 100,
            },
            Frame::Chunk(Chunk {
                stream: Stream::Stderr,
                offset: 77,
                bytes: b"x\n".to_vec(),
                logged: true,
            }),
            Frame::Exit(b"{\"code\":0}".to_vec()),
            Frame::Ack,
            Frame::Claimed,
        ];
        let (mut a, mut b) = tokio::net::UnixStream::pair().unwrap();
        for f in &frames {
            write(&mut a, f).await.unwrap();
        }
        drop(a);
        for f in frames {
            assert_eq!(read(&mut b).await.unwrap(), Some(f));
        }
        assert_eq!(read(&mut b).await.unwrap(), None);
    }
}
