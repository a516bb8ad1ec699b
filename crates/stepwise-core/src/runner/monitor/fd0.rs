//! The socket a monitor or the spawner inherits as fd 0, taken off it.
//! Descriptors only.

use std::io;
use std::os::fd::FromRawFd;

/// Moves the inherited socket off fd 0 (close-on-exec, so the step never
/// inherits it) and puts `/dev/null` there.
pub fn take_stdin_socket() -> io::Result<std::os::unix::net::UnixStream> {
    use nix::libc;
    // SAFETY: plain fd calls on descriptors this process owns.
    unsafe {
        let fd = libc::fcntl(0, libc::F_DUPFD_CLOEXEC, 3);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
        if null >= 0 {
            libc::dup2(null, 0);
            libc::close(null);
        }
        Ok(std::os::unix::net::UnixStream::from_raw_fd(fd))
    }
}
