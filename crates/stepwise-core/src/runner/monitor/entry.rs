//! The entry of the hidden `stepwise __monitor` mode: a monitor on the
//! socket inherited as fd 0 ([`super::serve`]), or with the argument
//! `zygote` the spawner of monitors ([`super::zygote`]). Dispatch only.

/// Runs a monitor, or the spawner; the process's exit code.
pub fn main() -> i32 {
    let zygote = std::env::args_os().nth(2);
    if zygote.is_some_and(|a| a == super::zygote::ZYGOTE_ARG) {
        return super::zygote::main();
    }
    match super::fd0::take_stdin_socket() {
        Ok(sock) => super::serve::serve_socket(sock),
        Err(_) => 2,
    }
}
