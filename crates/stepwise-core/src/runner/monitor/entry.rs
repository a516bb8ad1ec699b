//! The entry of the hidden `stepwise __monitor` mode: a monitor on the
//! socket inherited as fd 0 ([`super::serve`]), or with the argument
//! `zygote` the spawner of monitors ([`super::zygote`]). Dispatch, and
//! the allocator's one setting, which the spawner's forks inherit.

/// Runs a monitor, or the spawner; the process's exit code.
pub fn main() -> i32 {
    keep_freed_memory();
    let zygote = std::env::args_os().nth(2);
    if zygote.is_some_and(|a| a == super::zygote::ZYGOTE_ARG) {
        return super::zygote::main();
    }
    match super::fd0::take_stdin_socket() {
        Ok(sock) => super::serve::serve_socket(sock),
        Err(_) => 2,
    }
}

/// A monitor passes output on in pieces of up to 64 KiB, each allocated
/// and freed in turn. By default glibc hands the freed top of its heap
/// back to the kernel past 128 KiB, and asks for it again for the next
/// piece: 372 `brk` calls (15 ms) and the page faults of fresh memory in
/// one 10M-line flood. Freed memory up to 8 MiB is kept instead (a
/// monitor's heap is otherwise a few hundred KiB).
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets a tuning value; called before any thread
    // of this process exists.
    unsafe {
        nix::libc::mallopt(nix::libc::M_TRIM_THRESHOLD, 8 << 20);
    }
}
