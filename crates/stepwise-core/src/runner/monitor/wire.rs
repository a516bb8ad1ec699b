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
    /// Client → monitor: a spec (JSON) whose "started" record is not yet
    /// durable in the journal. The monitor gets ready (claims the
    /// attempt's socket) and runs nothing before [`Frame::Go`]; a client
    /// that hangs up first had its start not recorded, and nothing runs.
    HeldSpec(Vec<u8>),
    /// Client → monitor, after a held spec: the start is durable, run it.
    Go,
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
            Frame::HeldSpec(_) => b'W',
            Frame::Go => b'G',
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
            Frame::Spec(b) | Frame::HeldSpec(b) | Frame::Input(b) | Frame::Exit(b) => {
                buf.extend_from_slice(b)
            }
            Frame::Hello { from } => buf.extend_from_slice(&from.to_be_bytes()),
            Frame::Cancel | Frame::Ack | Frame::Claimed | Frame::Go => {}
            Frame::Resize { rows, cols } => {
                buf.extend_from_slice(&rows.to_be_bytes());
                buf.extend_from_slice(&cols.to_be_bytes());
            }
            Frame::Chunk(c) => {
                buf.extend_from_slice(&chunk_head(c));
                buf.extend_from_slice(&c.bytes);
            }
        }
    }

    fn payload_len(&self) -> usize {
        match self {
            Frame::Spec(b) | Frame::HeldSpec(b) | Frame::Input(b) | Frame::Exit(b) => b.len(),
            Frame::Hello { .. } => 8,
            Frame::Cancel | Frame::Ack | Frame::Claimed | Frame::Go => 0,
            Frame::Resize { .. } => 4,
            Frame::Chunk(c) => 10 + c.bytes.len(),
        }
    }

    fn parse(kind: u8, p: Vec<u8>) -> io::Result<Frame> {
        let bad = || io::Error::new(io::ErrorKind::InvalidData, "a malformed monitor frame");
        Ok(match kind {
            b'S' => Frame::Spec(p),
            b'W' => Frame::HeldSpec(p),
            b'G' => Frame::Go,
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
    match frame {
        Frame::Chunk(c) => write_chunk(w, c).await,
        _ => w.write_all(&encode(frame)).await,
    }
}

/// A chunk's headers and its bytes in one vectored write: the bytes go
/// from the chunk to the socket, not first into a frame of their own
/// (every byte of a flood takes this path: one copy and one allocation
/// of 64 KiB per chunk fewer; docs/PERFORMANCE.md, eighth pass).
async fn write_chunk<W: AsyncWrite + Unpin>(w: &mut W, c: &Chunk) -> io::Result<()> {
    let mut head = [0u8; 5 + CHUNK_HEAD];
    head[0] = b'C';
    head[1..5].copy_from_slice(&((CHUNK_HEAD + c.bytes.len()) as u32).to_be_bytes());
    head[5..].copy_from_slice(&chunk_head(c));
    let (mut head, mut bytes) = (&head[..], &c.bytes[..]);
    while !head.is_empty() || !bytes.is_empty() {
        let parts = [io::IoSlice::new(head), io::IoSlice::new(bytes)];
        let n = w.write_vectored(&parts).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        let of_head = n.min(head.len());
        head = &head[of_head..];
        bytes = &bytes[n - of_head..];
    }
    Ok(())
}

/// One frame as bytes: header and payload (a chunk's bytes copied into
/// the frame; [`write`] sends a chunk without that copy).
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

/// The header [`chunk_of`] reads back.
fn chunk_head(c: &Chunk) -> [u8; CHUNK_HEAD] {
    let mut head = [0u8; CHUNK_HEAD];
    head[0] = u8::from(c.stream == Stream::Stderr);
    head[1] = u8::from(c.logged);
    head[2..].copy_from_slice(&c.offset.to_be_bytes());
    head
}

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
            Frame::HeldSpec(b"{\"x\":2}".to_vec()),
            Frame::Go,
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

    /// Takes at most 7 bytes per write; of a vectored write, only from the
    /// first slice (as tokio's default does), or across slices when
    /// `.1` is set (as `writev` does).
    struct Trickle(Vec<u8>, bool);

    impl AsyncWrite for Trickle {
        fn poll_write_vectored(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            parts: &[io::IoSlice<'_>],
        ) -> std::task::Poll<io::Result<usize>> {
            if !self.1 {
                let first = parts
                    .iter()
                    .find(|p| !p.is_empty())
                    .map_or(&[][..], |p| &**p);
                return self.poll_write(cx, first);
            }
            let mut n = 0;
            for p in parts {
                let k = p.len().min(7 - n);
                self.0.extend_from_slice(&p[..k]);
                n += k;
            }
            std::task::Poll::Ready(Ok(n))
        }
        fn is_write_vectored(&self) -> bool {
            self.1
        }
        fn poll_write(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<io::Result<usize>> {
            let n = buf.len().min(7);
            self.0.extend_from_slice(&buf[..n]);
            std::task::Poll::Ready(Ok(n))
        }
        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    /// A chunk's vectored write, taken a few bytes at a time (the socket
    /// full), is the same bytes as the frame encoded whole.
    #[tokio::test]
    async fn a_chunk_written_in_pieces_is_the_frame_encoded_whole() {
        for len in [0, 1, 6, 30] {
            let frame = Frame::Chunk(Chunk {
                stream: Stream::Stdout,
                offset: 1 << 33,
                bytes: (0..len as u8).collect(),
                logged: len % 2 == 0,
            });
            for across in [false, true] {
                let mut w = Trickle(Vec::new(), across);
                write(&mut w, &frame).await.unwrap();
                assert_eq!(w.0, encode(&frame), "{len} bytes, across {across}");
            }
        }
    }
}
