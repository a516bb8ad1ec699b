//! The files and names a monitor keeps beside its attempt's log:
//! `<step>.<attempt>.exit` (how the step ended, 0600, written only when
//! no attached stepwise acknowledged the exit as journalled), and a Linux
//! **abstract-namespace** Unix socket to re-attach to, named after the
//! log (`\0stepwise/m/<hash>`): no file, nothing to unlink, nothing stale
//! (it vanishes with the monitor), and a successful connect *is* the
//! liveness test (the peer's pid comes with it, `SO_PEERCRED`).
//!
//! An abstract socket has no file mode: anyone on the machine may
//! connect. Both ends therefore check the other's credentials
//! (`SO_PEERCRED`) and refuse a peer of another user.
//!
//! The name is bound once per attempt before the step runs: binding it is
//! also the monitor's claim on the attempt (a second monitor of the same
//! attempt cannot bind it, and does not run the step).

use crate::session::fsutil;
use std::fs::File;
use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// The hidden subcommand of the binary that runs a monitor.
pub const HIDDEN_COMMAND: &str = "__monitor";

/// The exit file of an attempt (`x.1.log` → `x.1.exit`).
pub fn exit_path(log: &Path) -> PathBuf {
    log.with_extension("exit")
}

/// The socket's abstract name: the log's folder by device and inode (the
/// same however the path was spelt) and the log's file name, hashed.
pub fn socket_name(log: &Path) -> io::Result<String> {
    let dir = std::fs::metadata(fsutil::parent_dir(log))?;
    let name = log.file_name().map(|n| n.as_encoded_bytes()).unwrap_or(b"");
    let mut key = format!("{}:{}:", dir.dev(), dir.ino()).into_bytes();
    key.extend_from_slice(name);
    Ok(format!("stepwise/m/{}", &fsutil::sha256_hex(&key)[..32]))
}

fn address(log: &Path) -> io::Result<SocketAddr> {
    SocketAddr::from_abstract_name(socket_name(log)?.as_bytes())
}

/// Binds the attempt's socket: the monitor's claim on it. Fails with
/// `AddrInUse` when another monitor holds that attempt.
pub fn bind(log: &Path) -> io::Result<UnixListener> {
    UnixListener::bind_addr(&address(log)?)
}

/// Connects to the monitor of that attempt, if one is alive: the
/// connection and the monitor's pid. A peer of another user is refused.
pub fn connect(log: &Path) -> Option<(UnixStream, i32)> {
    let sock = UnixStream::connect_addr(&address(log).ok()?).ok()?;
    let pid = same_user_peer(&sock)?;
    Some((sock, pid))
}

/// The peer's pid, if it runs as this process's user.
pub fn same_user_peer(sock: &impl std::os::fd::AsFd) -> Option<i32> {
    use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
    let cred = getsockopt(sock, PeerCredentials).ok()?;
    (cred.uid() == nix::unistd::getuid().as_raw()).then_some(cred.pid())
}

/// The monitor of that attempt, if it is alive: its pid. Liveness is a
/// connect to its socket (the monitor sees the connection close unused).
pub fn monitor_alive(log: &Path) -> Option<i32> {
    connect(log).map(|(_, pid)| pid)
}

/// Puts the exit file in place: a temporary file (0600) beside it,
/// written, renamed over it. Not yet durable: see [`sync_exit`].
pub fn place_exit(log: &Path, bytes: &[u8]) -> io::Result<File> {
    use std::io::Write;
    let path = exit_path(log);
    let mut tmp = tempfile::Builder::new()
        .prefix(".stepwise-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .tempfile_in(fsutil::parent_dir(&path))?;
    tmp.write_all(bytes)?;
    tmp.persist(&path).map_err(|e| e.error)
}

/// Makes the placed exit file durable: fsync of the file, then of its
/// folder (the rename).
pub fn sync_exit(log: &Path, file: File) -> io::Result<()> {
    file.sync_all()?;
    fsutil::sync_dir(fsutil::parent_dir(log))
}

/// The exit file, if the monitor wrote one.
pub fn read_exit(log: &Path) -> Option<super::record::ExitRecord> {
    let bytes = fsutil::read_no_follow(&exit_path(log)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// `len` bytes of the log from `at`.
pub fn read_at(log: &Path, at: u64, len: u64) -> io::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let file = File::open(log)?;
    let mut buf = vec![0u8; len as usize];
    file.read_exact_at(&mut buf, at)?;
    Ok(buf)
}

/// Whether the peer of `sock` has hung up (or the socket failed), without
/// waiting.
pub fn hung_up(sock: &impl std::os::fd::AsRawFd) -> bool {
    use nix::libc;
    let mut fd = libc::pollfd {
        fd: sock.as_raw_fd(),
        events: libc::POLLRDHUP,
        revents: 0,
    };
    // SAFETY: one valid pollfd, no wait.
    let n = unsafe { libc::poll(&mut fd, 1, 0) };
    n == 1 && fd.revents & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_is_found_by_its_log_and_gone_with_its_listener() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a".repeat(90)).join("b".repeat(90));
        std::fs::create_dir_all(&deep).unwrap();
        let log = deep.join(format!("{}.12.log", "s".repeat(60)));
        assert_eq!(monitor_alive(&log), None);
        let listener = bind(&log).unwrap();
        assert_eq!(
            bind(&log).unwrap_err().kind(),
            io::ErrorKind::AddrInUse,
            "one claim per attempt"
        );
        assert_eq!(monitor_alive(&log), Some(std::process::id() as i32));
        let other = deep.join("t.1.log");
        assert_eq!(monitor_alive(&other), None, "another attempt's name");
        drop(listener);
        assert_eq!(monitor_alive(&log), None, "nothing stale is left");
        assert_eq!(std::fs::read_dir(&deep).unwrap().count(), 0, "no file");
    }
}
