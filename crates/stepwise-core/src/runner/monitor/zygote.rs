//! The monitor spawner of a stepwise process (`stepwise __monitor zygote`):
//! started once, detached (own session, stdio on `/dev/null`), it waits on
//! the socket it inherited as fd 0 for one end of a fresh socket pair per
//! attempt (passed as `SCM_RIGHTS`), forks, and the child becomes that
//! attempt's monitor (its own session; [`super::serve`] on that socket),
//! exactly as an exec'd `stepwise __monitor` would. A fork of this small
//! single-threaded process replaces a fork + exec + dynamic loading + start
//! of the whole binary per step (see docs/PERFORMANCE.md, issue 19 #5).
//!
//! Before its first fork it finds out whether `bash` here can be held
//! before its command (`engine::process::hold::probe`).
//!
//! It holds no secret (specs go straight to the forked monitor), never
//! starts a thread or a runtime (fork must stay safe), and ends when
//! stepwise closes its end; the monitors it forked live on without it.

use nix::libc;
use nix::sys::socket::{ControlMessage, ControlMessageOwned, MsgFlags, recvmsg, sendmsg};
use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

/// The argument after the hidden command that makes a spawner.
pub const ZYGOTE_ARG: &str = "zygote";

/// Runs the spawner until stepwise hangs up; the process's exit code.
pub fn main() -> i32 {
    let Ok(ctl) = super::fd0::take_stdin_socket() else {
        return 2;
    };
    if ctl.set_nonblocking(false).is_err() {
        return 2;
    }
    // Once, before any monitor is forked (they inherit the verdict) and
    // before children are left to the kernel (the probe reaps its own).
    let bash = crate::engine::process::find_program("bash");
    crate::engine::process::hold::probe(bash.as_deref());
    // Forked monitors are reaped by the kernel, never left as zombies.
    // SAFETY: setting a signal disposition; no handler runs.
    unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
    loop {
        match receive_fd(&ctl) {
            Ok(Some(sock)) => fork_monitor(sock, &ctl),
            Ok(None) => return 0,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return 1,
        }
    }
}

/// Forks; the child is the attempt's monitor on `sock`. A failed fork
/// drops the socket: stepwise hears the monitor went without a word.
fn fork_monitor(sock: OwnedFd, ctl: &UnixStream) {
    // SAFETY: this process is single-threaded (it never starts a thread),
    // so the child may run any code.
    match unsafe { libc::fork() } {
        0 => {
            // SAFETY: the child's own descriptors and dispositions.
            unsafe {
                libc::signal(libc::SIGCHLD, libc::SIG_DFL);
                libc::close(ctl.as_raw_fd());
                libc::setsid();
            }
            let code = super::serve::serve_socket(UnixStream::from(sock));
            std::process::exit(code);
        }
        _ => drop(sock),
    }
}

/// One passed descriptor; `None` when stepwise hung up.
fn receive_fd(ctl: &UnixStream) -> io::Result<Option<OwnedFd>> {
    let mut byte = [0u8; 1];
    let mut iov = [IoSliceMut::new(&mut byte)];
    let mut space = nix::cmsg_space!([RawFd; 1]);
    let msg = recvmsg::<()>(
        ctl.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )
    .map_err(io::Error::from)?;
    if msg.bytes == 0 {
        return Ok(None);
    }
    let mut got = None;
    for c in msg.cmsgs().map_err(io::Error::from)? {
        if let ControlMessageOwned::ScmRights(fds) = c {
            for fd in fds {
                // SAFETY: the kernel just gave this process these fds.
                let owned = unsafe { OwnedFd::from_raw_fd(fd) };
                got.get_or_insert(owned);
            }
        }
    }
    // A message without a descriptor is ignored; wait for the next one.
    Ok(got.or_else(|| receive_fd(ctl).ok().flatten()))
}

/// stepwise's side: hands `sock` to the spawner behind `ctl`.
pub fn send_fd(ctl: &UnixStream, sock: &OwnedFd) -> io::Result<()> {
    let fds = [sock.as_raw_fd()];
    let iov = [IoSlice::new(b"m")];
    sendmsg::<()>(
        ctl.as_raw_fd(),
        &iov,
        &[ControlMessage::ScmRights(&fds)],
        MsgFlags::MSG_NOSIGNAL,
        None,
    )
    .map(|_| ())
    .map_err(io::Error::from)
}
