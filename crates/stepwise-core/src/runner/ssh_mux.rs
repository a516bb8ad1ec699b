//! Ends an OpenSSH master connection by speaking to its control socket
//! (the client side of the `ControlMaster` protocol, `PROTOCOL.mux` in
//! OpenSSH): a hello, then "terminate", then the master's answer. The
//! same request `ssh -O exit` makes, without starting an `ssh` per host:
//! with an `ssh -O exit` per master (32 at a time), a session of 50 hosts
//! took 0.17–0.26 s from its last event to its exit, most of it the
//! clients' own start (docs/PERFORMANCE.md, seventeenth pass).
//!
//! It only ever asks a master of this session to end (its socket is in
//! the session's private folder); it sends nothing else and reads only
//! the answers.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

const MUX_MSG_HELLO: u32 = 0x0000_0001;
const MUX_C_TERMINATE: u32 = 0x1000_0005;
const MUX_S_OK: u32 = 0x8000_0001;
const MUX_VERSION: u32 = 4;
/// The request id of the terminate request (any number: one request).
const REQUEST: u32 = 1;
/// Bounds the write of a request (a socket's buffer takes it at once).
const WAIT: Duration = Duration::from_secs(2);
/// The longest answer read (a hello with its extensions, or a refusal).
const MAX_PACKET: u32 = 64 * 1024;

/// A termination asked of a master, its answer not read yet: ask them
/// all, then read the answers, so the masters end side by side.
pub struct Asked(UnixStream);

/// Asks the master behind `socket` to end; `None` when no master listens
/// there (the host was never reached, or its master is gone already).
pub fn ask(socket: &Path) -> io::Result<Option<Asked>> {
    let mut s = match UnixStream::connect(socket) {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    s.set_write_timeout(Some(WAIT))?;
    let mut out = packet(&[MUX_MSG_HELLO, MUX_VERSION]);
    out.extend(packet(&[MUX_C_TERMINATE, REQUEST]));
    s.write_all(&out)?;
    Ok(Some(Asked(s)))
}

impl Asked {
    /// The master's answer, awaited until `deadline` (shared by every
    /// master asked at once): `Ok` when it agreed to end. An error means
    /// it may still run: `TimedOut` when it said nothing in time (a hung
    /// master: `ssh -O exit`, which waits without a bound, would hang on
    /// it too), another kind when it refused or answered something else
    /// (close it another way).
    pub fn answer(self, deadline: Instant) -> io::Result<()> {
        let mut s = self.0;
        let hello = read_packet(&mut s, deadline)?;
        if word(&hello, 0) != Some(MUX_MSG_HELLO) || word(&hello, 4) != Some(MUX_VERSION) {
            return Err(unexpected("no hello of this protocol's version"));
        }
        // The master often ends before its answer leaves (OpenSSH's own
        // client takes that as done too): the connection closing is a yes.
        let answer = match read_packet(&mut s, deadline) {
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
                ) =>
            {
                return Ok(());
            }
            other => other?,
        };
        match (word(&answer, 0), word(&answer, 4)) {
            (Some(MUX_S_OK), Some(REQUEST)) => Ok(()),
            _ => Err(unexpected("the master did not agree to end")),
        }
    }
}

/// One packet: its length, then each word, big-endian.
fn packet(words: &[u32]) -> Vec<u8> {
    let mut p = Vec::with_capacity(4 + 4 * words.len());
    p.extend(u32::try_from(4 * words.len()).unwrap_or(0).to_be_bytes());
    for w in words {
        p.extend(w.to_be_bytes());
    }
    p
}

fn read_packet(s: &mut UnixStream, deadline: Instant) -> io::Result<Vec<u8>> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::ErrorKind::TimedOut.into());
    }
    s.set_read_timeout(Some(left))?;
    read_body(s).map_err(|e| match e.kind() {
        io::ErrorKind::WouldBlock => io::ErrorKind::TimedOut.into(),
        _ => e,
    })
}

fn read_body(s: &mut UnixStream) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len)?;
    let len = u32::from_be_bytes(len);
    if len > MAX_PACKET {
        return Err(unexpected("an oversized answer"));
    }
    let mut body = vec![0u8; len as usize];
    s.read_exact(&mut body)?;
    Ok(body)
}

fn word(body: &[u8], at: usize) -> Option<u32> {
    let b = body.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn unexpected(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    /// A master that answers the hello and then `answer` to the request.
    fn master(answer: Vec<u8>) -> (tempfile::TempDir, std::thread::JoinHandle<Vec<u8>>) {
        let dir = tempfile::tempdir().unwrap();
        let listener = UnixListener::bind(dir.path().join("m")).unwrap();
        let served = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            s.write_all(&packet(&[MUX_MSG_HELLO, MUX_VERSION])).unwrap();
            let mut got = vec![0u8; 24];
            s.read_exact(&mut got).unwrap();
            s.write_all(&answer).unwrap();
            got
        });
        (dir, served)
    }

    #[test]
    fn asks_for_termination_with_a_hello_and_takes_ok_as_yes() {
        let (dir, served) = master(packet(&[MUX_S_OK, REQUEST]));
        ask(&dir.path().join("m"))
            .unwrap()
            .unwrap()
            .answer(soon())
            .unwrap();
        let sent = served.join().unwrap();
        assert_eq!(sent[..12], packet(&[MUX_MSG_HELLO, MUX_VERSION])[..]);
        assert_eq!(sent[12..], packet(&[MUX_C_TERMINATE, REQUEST])[..]);
    }

    #[test]
    fn a_master_that_ends_before_it_answers_said_yes() {
        let (dir, served) = master(Vec::new());
        ask(&dir.path().join("m"))
            .unwrap()
            .unwrap()
            .answer(soon())
            .unwrap();
        served.join().unwrap();
    }

    #[test]
    fn a_refusal_is_an_error() {
        // MUX_S_PERMISSION_DENIED, the request id, a reason.
        let mut refusal = vec![0, 0, 0, 15, 0x80, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 3];
        refusal.extend(b"no!");
        let (dir, _served) = master(refusal);
        let asked = ask(&dir.path().join("m")).unwrap().unwrap();
        let err = asked.answer(soon()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
    }

    #[test]
    fn a_master_that_says_nothing_times_out_at_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let _listener = UnixListener::bind(dir.path().join("m")).unwrap();
        let asked = ask(&dir.path().join("m")).unwrap().unwrap();
        let deadline = Instant::now() + Duration::from_millis(50);
        let err = asked.answer(deadline).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(Instant::now() >= deadline);
    }

    #[test]
    fn a_hello_of_another_version_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let listener = UnixListener::bind(dir.path().join("m")).unwrap();
        let served = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            s.write_all(&packet(&[MUX_MSG_HELLO, 3])).unwrap();
        });
        let asked = ask(&dir.path().join("m")).unwrap().unwrap();
        let err = asked.answer(soon()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
        served.join().unwrap();
    }

    #[test]
    fn no_socket_or_a_stale_one_means_no_master() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone");
        assert!(ask(&gone).unwrap().is_none());
        drop(UnixListener::bind(&gone).unwrap());
        assert!(ask(&gone).unwrap().is_none());
    }
}
