//! A `bash` step spawned ahead of its go-ahead, held before its command.
//!
//! A step's start must be durable in the journal before its command runs.
//! Most of a quick step's time is the shell's own start (exec, dynamic
//! loading, its variables): about two thirds of `bash -c true`. A held
//! step is spawned while the journal syncs; bash starts, then waits, and
//! runs its command only once the go-ahead comes ([`Held::release`]).
//!
//! How bash is held: `BASH_ENV` names a pipe (`/dev/fd/S`) holding a
//! short script, written whole before the spawn. A non-interactive bash
//! runs that script before its `-c` command. The script reads one line
//! from a second pipe (fd G), whose write end only this process holds:
//! `go` lets the command run; end-of-file (this process dropped the
//! hold, or died) exits 125 and nothing runs. Before the command it closes
//! both descriptors, starts `$SECONDS` from the go-ahead, removes
//! `BASH_ENV` and its own variables, and leaves `$_` as bash had it: the
//! command sees what an unheld bash would.
//!
//! Only a bash known to honour `BASH_ENV` is held ([`probe`], run once by
//! the monitors' spawner, whose forks inherit the verdict), and only with
//! options and an environment that cannot skip the script or trace it
//! ([`holds`]); any other program waits for the go-ahead before it is
//! spawned, as before.
//!
//! Never writes the journal, and never runs a command before its release.

use std::io::{self, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// What a held bash exits with when its go-ahead never came.
pub const NOT_RELEASED: i32 = 125;

/// The bash that honours the hold, as the spawner's [`probe`] found it.
static HOLDING_BASH: OnceLock<Option<PathBuf>> = OnceLock::new();

/// Variables that could make bash skip `BASH_ENV` (POSIX mode), trace the
/// script, shadow what it calls (exported functions), or that the hold
/// would replace (a `BASH_ENV` of the user's own; `SECONDS`, which the
/// script sets to 0 at the go-ahead so that it counts from there).
fn unsafe_variable(name: &str) -> bool {
    matches!(
        name,
        "BASH_ENV" | "POSIXLY_CORRECT" | "SHELLOPTS" | "BASHOPTS" | "SECONDS"
    ) || name.starts_with("BASH_FUNC_")
}

/// Options of `bash` before the command that keep the hold's script
/// silent and run (no `-x`, `-v`, `-p`, `--posix`, ...).
fn safe_options(options: &[String]) -> bool {
    let mut after_o = false;
    for o in options {
        let ok = match o.as_str() {
            "pipefail" | "errexit" | "nounset" => std::mem::take(&mut after_o),
            _ if after_o => false,
            flags => {
                let chars = flags.strip_prefix('-').filter(|f| !f.is_empty());
                after_o = chars.is_some_and(|f| f.ends_with('o'));
                chars.is_some_and(|f| f.chars().all(|c| matches!(c, 'e' | 'u' | 'o' | 'c')))
            }
        };
        if !ok {
            return false;
        }
    }
    !after_o && options.last().is_some_and(|o| o.ends_with('c'))
}

/// Whether a step run as `program` (resolved) with `argv` and the added
/// `env` can be held: the probed bash, safe options, and no variable that
/// would change what the script does.
pub(super) fn holds(program: &Path, argv: &[String], env: &[(String, String)]) -> bool {
    let probed = HOLDING_BASH.get().and_then(Option::as_deref);
    probed == Some(program)
        && argv.len() >= 3
        && safe_options(&argv[1..argv.len() - 1])
        && !env.iter().any(|(k, _)| unsafe_variable(k))
}

/// Runs `bash` (the one found on `PATH`) held twice: with no go-ahead it
/// must exit [`NOT_RELEASED`] without running its command, with one it
/// must run it. Records the verdict for this process and the monitors it
/// forks. Blocking (two starts of bash); the caller must reap its own
/// children (no `SIGCHLD` ignored).
pub fn probe(bash: Option<&Path>) {
    let clean = std::env::vars_os().all(|(k, _)| !k.to_str().is_none_or(unsafe_variable));
    let found = bash.filter(|bash| clean && holds_when_probed(bash));
    let _ = HOLDING_BASH.set(found.map(Path::to_path_buf));
}

/// Held with no go-ahead, the probed bash must exit [`NOT_RELEASED`]
/// without running `exit 0`; released, it must run it. Both are started
/// before either is waited for: on two cores two shells start in about
/// the time of one, and the spawner forks no monitor before the verdict.
fn holds_when_probed(bash: &Path) -> bool {
    let unreleased = start_probe(bash);
    let released = start_probe(bash);
    let left = exit_of(unreleased, false);
    let ran = exit_of(released, true);
    left == Some(NOT_RELEASED) && ran == Some(0)
}

/// A held `bash -c 'exit 0'`, started; `None` when it cannot be.
fn start_probe(bash: &Path) -> Option<(Held, std::process::Child)> {
    let mut held = Held::new().ok()?;
    let (name, value) = held.variable();
    let mut cmd = std::process::Command::new(bash);
    cmd.args(["-c", "exit 0"])
        .env(name, value)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let child = held.spawn_with(|| cmd.spawn()).ok()?;
    Some((held, child))
}

/// Releases the probe (or drops its hold), then reaps it: its exit code.
fn exit_of(probe: Option<(Held, std::process::Child)>, release: bool) -> Option<i32> {
    let (held, mut child) = probe?;
    match release {
        true => held.release(),
        false => drop(held),
    }
    child.wait().ok()?.code()
}

/// A hold: the script's pipe (read end, for bash) and the go-ahead's
/// pipe (both ends; only the read end goes to bash).
pub(super) struct Held {
    script: Option<OwnedFd>,
    go_read: Option<OwnedFd>,
    go: OwnedFd,
}

impl Held {
    /// Both pipes, the script written whole into its own (a few hundred
    /// bytes: far under a pipe's capacity).
    pub(super) fn new() -> io::Result<Held> {
        use nix::fcntl::OFlag;
        let (script_read, script_write) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
        let (go_read, go) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
        let text = script(go_read.as_raw_fd(), script_read.as_raw_fd());
        std::fs::File::from(script_write).write_all(text.as_bytes())?;
        Ok(Held {
            script: Some(script_read),
            go_read: Some(go_read),
            go,
        })
    }

    /// The variable that makes bash run the script.
    pub(super) fn variable(&self) -> (&'static str, String) {
        let fd = self.script.as_ref().map_or(-1, AsRawFd::as_raw_fd);
        ("BASH_ENV", format!("/dev/fd/{fd}"))
    }

    /// Spawns with the two read ends inherited (at their numbers here,
    /// which the script names), then closes them here. Held spawns are
    /// serialised, so one never inherits another's descriptors; a monitor
    /// spawns nothing else while it holds a step (the spawner's probe runs
    /// before any monitor exists).
    pub(super) fn spawn_with<T>(&mut self, spawn: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
        static SPAWNING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
        let fds = [self.script.take(), self.go_read.take()];
        for fd in fds.iter().flatten() {
            inheritable(fd)?;
        }
        spawn()
    }

    /// The go-ahead: the command runs. A bash that died meanwhile is seen
    /// when it is reaped.
    pub(super) fn release(self) {
        let _ = std::fs::File::from(self.go).write_all(b"go\n");
    }
}

/// Lets `fd` cross the next exec (it is closed here right after).
fn inheritable(fd: &OwnedFd) -> io::Result<()> {
    use nix::fcntl::{FcntlArg, FdFlag, fcntl};
    fcntl(fd, FcntlArg::F_SETFD(FdFlag::empty()))?;
    Ok(())
}

/// The script bash runs before its command (see the module docs). `$_`
/// is saved first and given back as the last argument of the call that
/// removes the script's own names.
fn script(go: i32, script: i32) -> String {
    format!(
        "_sw_u=$_\n\
         TMOUT= IFS= read -r -u {go} _sw_go && [[ $_sw_go == go ]] || exit {NOT_RELEASED}\n\
         exec {go}<&- {script}<&-\n\
         SECONDS=0\n\
         _sw_f() {{ unset -v BASH_ENV _sw_go _sw_u; unset -f _sw_f; }}\n\
         _sw_f \"$_sw_u\"\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    /// The probe tells a bash that honours the hold from a program that
    /// ignores it (`true` runs at once, held or not), though both of its
    /// starts run at the same time.
    #[test]
    fn the_probe_holds_bash_and_not_a_program_that_ignores_the_hold() {
        // An environment that would make bash skip or trace the hold is
        // `probe`'s to refuse, before this check.
        if std::env::vars_os().any(|(k, _)| k.to_str().is_none_or(unsafe_variable)) {
            return;
        }
        let on_path = |name: &str| {
            let path = std::env::var_os("PATH").expect("PATH");
            std::env::split_paths(&path)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
                .unwrap_or_else(|| panic!("{name} on PATH"))
        };
        assert!(holds_when_probed(&on_path("bash")));
        assert!(!holds_when_probed(&on_path("true")));
    }

    #[test]
    fn the_default_shell_and_strict_variants_are_safe_options() {
        assert!(safe_options(&args(&["-eo", "pipefail", "-c"])));
        assert!(safe_options(&args(&["-euo", "pipefail", "-c"])));
        assert!(safe_options(&args(&["-e", "-u", "-c"])));
        assert!(safe_options(&args(&["-c"])));
    }

    #[test]
    fn tracing_posix_privileged_or_unknown_options_are_not_held() {
        for opts in [
            &["-xc"][..],
            &["-x", "-c"],
            &["-v", "-c"],
            &["-p", "-c"],
            &["--posix", "-c"],
            &["-o", "posix", "-c"],
            &["-o", "xtrace", "-c"],
            &["-eo", "pipefail"],
            &["-o", "-c"],
            &["-l", "-c"],
            &[],
        ] {
            assert!(!safe_options(&args(opts)), "{opts:?}");
        }
    }

    #[test]
    fn variables_that_change_bash_s_start_are_unsafe() {
        for name in [
            "BASH_ENV",
            "POSIXLY_CORRECT",
            "SHELLOPTS",
            "BASHOPTS",
            "BASH_FUNC_f%%",
        ] {
            assert!(unsafe_variable(name), "{name}");
        }
        assert!(!unsafe_variable("PATH"));
        assert!(!unsafe_variable("ENV"));
    }
}
