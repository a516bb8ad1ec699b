//! The runner of one host of a fleet step over OpenSSH: the `ssh` client
//! itself (the user's config, agent, ProxyJump, known_hosts), run as a
//! local attempt by the session's local runner (under a monitor, like a
//! local step: log, masking, cancel, group; a crash of stepwise leaves it
//! running, and a resume re-attaches to it).
//!
//! - One ControlMaster connection per host for the session, its socket
//!   under a private 0700 folder (named by the host's number in the
//!   session: short enough for the 104-byte socket path limit, and known
//!   to stepwise, which ends the masters through their sockets, see
//!   [`super::ssh_mux`]), `BatchMode=yes` (never a prompt: a host
//!   that wants a password or has an unknown key fails, with a message),
//!   `ConnectTimeout`. Host-key checking is never turned off.
//! - Values never appear in any argv, local or remote: the remote command
//!   is a fixed wrapper ([`WRAPPER`]) that reads a script of `export`s and
//!   the step's command from the channel's stdin, and runs it in a session
//!   (process group) of its own.
//! - Cancel and timeout end the local `ssh`; the wrapper sees its stdin
//!   close and ends the remote group (SIGTERM, 2 s, SIGKILL). That stdin
//!   is fed by whoever holds the attempt (its monitor), not by stepwise.
//!
//! It never touches the journal or the screen.

use super::seam::{AttemptId, Reattach, Started, StepRunner};
use super::ssh_mux;
use crate::engine::process::Spec;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The remote command (fixed text; no value ever goes in it). It keeps the
/// channel's stdin as fd 3, reads the marker line then the script up to
/// the marker, runs the script under `setsid` (its own group) with the
/// script in the environment, and watches fd 3: end of input (the local
/// ssh is gone) ends the group. When the script ends, anything left in its
/// group is ended too, as for a local step.
pub const WRAPPER: &str = "exec sh -c 'exec 3<&0; IFS= read -r m || exit 97; s=; \
while IFS= read -r l; do [ \"$l\" = \"$m\" ] && break; s=\"$s$l
\"; done; export STEPWISE_SCRIPT=\"$s\"; unset s l; \
setsid sh -c \"eval \\\"\\$STEPWISE_SCRIPT\\\"\" </dev/null 3<&- & p=$!; \
( while IFS= read -r _ <&3; do :; done; kill -TERM -$p; sleep 2; kill -KILL -$p ) >/dev/null 2>&1 & w=$!; \
wait $p; r=$?; kill $w 2>/dev/null; kill -KILL -$p 2>/dev/null; exit $r'";

/// How ssh is called.
#[derive(Clone, Debug, Default)]
pub struct SshOptions {
    /// `-F FILE` for every call (`--ssh-config`, `STEPWISE_SSH_CONFIG`).
    pub config: Option<PathBuf>,
    /// Seconds; default 10.
    pub connect_timeout: Option<u32>,
}

impl SshOptions {
    /// What the operator types to reach `host` by hand as stepwise does
    /// (`ssh -F 'FILE' HOST` with `--ssh-config`), for hints.
    pub fn login_command(&self, host: &str) -> String {
        match &self.config {
            Some(f) => format!("ssh -F {} {host}", quote(&f.to_string_lossy())),
            None => format!("ssh {host}"),
        }
    }
}

/// Runs fleet hosts over ssh. Holds the private folder of the control
/// sockets; dropping it closes the masters.
pub struct SshRunner {
    options: SshOptions,
    /// Runs the local `ssh` of each host attempt.
    local: Arc<dyn StepRunner>,
    sockets: tempfile::TempDir,
    /// Each host used, with its number (its socket's name).
    hosts: std::sync::Mutex<std::collections::BTreeMap<String, usize>>,
    /// Every attempt started, with its log: a host whose attempt is still
    /// held by its monitor keeps its master connection.
    attempts: std::sync::Mutex<Vec<(AttemptId, PathBuf)>>,
}

impl SshRunner {
    /// `local` runs each host's `ssh` (the session's runner: a monitor per
    /// attempt in the binary).
    pub fn new(options: SshOptions, local: Arc<dyn StepRunner>) -> io::Result<SshRunner> {
        let base = std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .filter(|d| d.is_dir() && d.as_os_str().len() < 40)
            .unwrap_or_else(|| PathBuf::from("/tmp"));
        // Private: the control sockets let whoever can reach them run
        // commands on the hosts. Made 0700 whatever the umask.
        let sockets = tempfile::Builder::new()
            .prefix("sw-")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir_in(base)?;
        Ok(SshRunner {
            options,
            local,
            sockets,
            hosts: Default::default(),
            attempts: Default::default(),
        })
    }

    /// `ssh` and its options for `host`, up to (not including) the remote command.
    pub fn ssh_argv(&self, host: &str) -> Vec<String> {
        let mut argv = vec!["ssh".to_owned()];
        if let Some(cfg) = &self.options.config {
            argv.push("-F".into());
            argv.push(cfg.display().to_string());
        }
        let timeout = self.options.connect_timeout.unwrap_or(10);
        let control = self.control_path(host);
        for o in [
            "BatchMode=yes".to_owned(),
            format!("ConnectTimeout={timeout}"),
            "ControlMaster=auto".to_owned(),
            format!("ControlPath={}", control.display()),
            "ControlPersist=60".to_owned(),
            "ServerAliveInterval=15".to_owned(),
        ] {
            argv.push("-o".into());
            argv.push(o);
        }
        argv.extend(["-T".into(), "--".into(), host.to_owned()]);
        argv
    }
}

/// How many masters are asked at once over their sockets (one open
/// socket each).
const SOCKETS_AT_ONCE: usize = 256;
/// How many `ssh -O exit` run at once (one process each), for masters
/// that did not agree over their sockets.
const CLOSING_AT_ONCE: usize = 32;
/// How long a batch of masters has to answer, or of `ssh -O exit` to end
/// (then they are killed): a hung master never holds the session's end.
const CLOSE_WAIT: Duration = Duration::from_secs(3);

impl Drop for SshRunner {
    /// Closes the master connections, but for hosts whose attempt still
    /// runs under its monitor (stepwise left it running): closing theirs
    /// would end that attempt; it ends by itself (`ControlPersist`) once
    /// its last session has.
    fn drop(&mut self) {
        let hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let attempts =
            std::mem::take(&mut *self.attempts.lock().unwrap_or_else(|e| e.into_inner()));
        let held: std::collections::BTreeSet<String> = attempts
            .iter()
            .filter(|(id, log)| matches!(self.local.reattach(id, log), Reattach::Live { .. }))
            .filter_map(|(id, _)| id.target.clone())
            .collect();
        let closing: Vec<String> = hosts.into_keys().filter(|h| !held.contains(h)).collect();
        let stubborn: Vec<String> = closing
            .chunks(SOCKETS_AT_ONCE)
            .flat_map(|batch| self.ask_masters(batch))
            .collect();
        for batch in stubborn.chunks(CLOSING_AT_ONCE) {
            let children: Vec<_> = batch
                .iter()
                .filter_map(|host| self.close_master(host).spawn().ok())
                .collect();
            wait_or_kill(children, Instant::now() + CLOSE_WAIT);
        }
    }
}

/// Waits for every child until `deadline`, then kills those left (and
/// reaps them).
fn wait_or_kill(mut children: Vec<std::process::Child>, deadline: Instant) {
    while !children.is_empty() && Instant::now() < deadline {
        children.retain_mut(|c| matches!(c.try_wait(), Ok(None)));
        std::thread::sleep(Duration::from_millis(5));
    }
    for mut c in children {
        let _ = c.kill();
        let _ = c.wait();
    }
}

impl SshRunner {
    /// The control socket of `host`'s master, numbered in the order the
    /// hosts were first used.
    fn control_path(&self, host: &str) -> PathBuf {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        let next = hosts.len();
        let n = *hosts.entry(host.to_owned()).or_insert(next);
        self.sockets.path().join(format!("h{n}"))
    }

    /// Asks each host's master to end over its socket, all of them before
    /// any answer is read, so that they end side by side; the hosts whose
    /// master refused or answered oddly (to be closed another way). A
    /// master still silent at the deadline is left as it is: hung, it
    /// would hang `ssh -O exit` too.
    fn ask_masters(&self, hosts: &[String]) -> Vec<String> {
        let asked: Vec<_> = hosts
            .iter()
            .map(|h| (h, ssh_mux::ask(&self.control_path(h))))
            .collect();
        let deadline = Instant::now() + CLOSE_WAIT;
        asked
            .into_iter()
            .filter_map(|(h, asked)| {
                let answered = match asked {
                    Ok(None) => return None,
                    Ok(Some(a)) => a.answer(deadline),
                    Err(e) => Err(e),
                };
                match answered {
                    Err(e) if e.kind() != io::ErrorKind::TimedOut => Some(h.clone()),
                    _ => None,
                }
            })
            .collect()
    }

    /// `ssh … -O exit HOST`: asks the host's master to end.
    fn close_master(&self, host: &str) -> std::process::Command {
        let mut argv = self.ssh_argv(host);
        let dest = argv.pop().unwrap_or_default();
        argv.pop(); // `--`
        let mut cmd = std::process::Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .args(["-O", "exit", "--", &dest])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd
    }
}

/// The shell a runbook without `shell:` runs its commands with, when the
/// machine has bash (see `engine::process::default_shell`).
const DEFAULT_SHELL: [&str; 4] = ["bash", "-eo", "pipefail", "-c"];

/// The script sent on stdin: the marker, `export`s of every value, then
/// the command run by the step's `shell` (as a local step's would be; the
/// default `bash -eo pipefail -c` falls back to `sh -ec` on a host without
/// bash, as it does locally), the marker again. Every word is quoted
/// whole: the script only ever runs what the runbook says.
pub fn script(env: &[(String, String)], shell: &[String], command: &str, marker: &str) -> Vec<u8> {
    // The script itself (it holds the values) is not passed on to the step.
    let mut s = format!("{marker}\nunset STEPWISE_SCRIPT\n");
    for (k, v) in env {
        s.push_str(&format!("export {k}={}\n", quote(v)));
    }
    let command = quote(command);
    if shell.is_empty() || shell.iter().eq(DEFAULT_SHELL.iter()) {
        s.push_str(&format!(
            "command -v bash >/dev/null 2>&1 || exec sh -ec {command}\n"
        ));
    }
    let words: Vec<String> = if shell.is_empty() {
        DEFAULT_SHELL.iter().map(|w| quote(w)).collect()
    } else {
        shell.iter().map(|w| quote(w)).collect()
    };
    s.push_str(&format!("exec {} {command}\n{marker}\n", words.join(" ")));
    s.into_bytes()
}

/// Single-quoted for sh: the value exactly, nothing expanded.
fn quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', "'\\''"))
}

fn marker() -> String {
    use sha2::Digest;
    let seed = format!("{:?}{}", std::time::SystemTime::now(), std::process::id());
    let hash = sha2::Sha256::digest(seed.as_bytes());
    let hex: String = hash.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("#stepwise-{hex}")
}

impl StepRunner for SshRunner {
    fn start(&self, id: &AttemptId, mut spec: Spec, capacity: usize) -> Started {
        let host = id.target.clone().unwrap_or_default();
        // `argv` is the step's shell and its command, as for a local step.
        let command = spec.argv.pop().unwrap_or_default();
        let mut argv = self.ssh_argv(&host);
        argv.push(WRAPPER.to_owned());
        spec.feed = Some(script(&spec.env, &spec.argv, &command, &marker()));
        spec.argv = argv;
        spec.env = Vec::new();
        spec.cwd = None;
        spec.tty = false;
        self.attempts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((id.clone(), spec.log_path.clone()));
        self.local.start(id, spec, capacity)
    }

    fn reattach(&self, id: &AttemptId, log: &Path) -> Reattach {
        self.local.reattach(id, log)
    }

    fn attach(&self, id: &AttemptId, log: &Path, from: u64, capacity: usize) -> Option<Started> {
        self.local.attach(id, log, from, capacity)
    }

    fn survives_detach(&self) -> bool {
        self.local.survives_detach()
    }

    fn exit_recorded(&self, id: &AttemptId) {
        // Durable: this attempt no longer holds its host's master open,
        // even while its monitor lingers.
        self.attempts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(a, _)| a != id);
        self.local.exit_recorded(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_whole_in_the_script() {
        let env = vec![("TOKEN".to_owned(), "a'b $c\nd".to_owned())];
        let shell = ["sh".to_owned(), "-eu".to_owned(), "-c".to_owned()];
        let s = String::from_utf8(script(&env, &shell, "echo 'hi'", "#m")).unwrap();
        assert_eq!(
            s,
            "#m\nunset STEPWISE_SCRIPT\nexport TOKEN='a'\\''b $c\nd'\nexec 'sh' '-eu' '-c' 'echo '\\''hi'\\'''\n#m\n"
        );
    }

    #[test]
    fn the_default_shell_falls_back_to_sh_on_a_host_without_bash() {
        let shell: Vec<String> = DEFAULT_SHELL.iter().map(|w| w.to_string()).collect();
        let s = String::from_utf8(script(&[], &shell, "false | true", "#m")).unwrap();
        assert_eq!(
            s,
            "#m\nunset STEPWISE_SCRIPT\ncommand -v bash >/dev/null 2>&1 || exec sh -ec 'false | true'\n\
             exec 'bash' '-eo' 'pipefail' '-c' 'false | true'\n#m\n"
        );
    }

    #[test]
    fn the_control_sockets_folder_is_private() {
        use std::os::unix::fs::PermissionsExt;
        struct NoRunner;
        impl StepRunner for NoRunner {
            fn start(&self, _: &AttemptId, _: Spec, _: usize) -> Started {
                unreachable!()
            }
            fn reattach(&self, _: &AttemptId, _: &Path) -> Reattach {
                Reattach::Gone
            }
        }
        // Under the usual umask (022), tempfile alone made it 0755.
        let runner = SshRunner::new(SshOptions::default(), Arc::new(NoRunner)).unwrap();
        let mode = std::fs::metadata(runner.sockets.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn the_wrapper_holds_no_single_quote_inside() {
        let inner = WRAPPER.strip_prefix("exec sh -c '").unwrap();
        assert!(!inner[..inner.len() - 1].contains('\''));
    }
}
