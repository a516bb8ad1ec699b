//! Trust: a runbook file runs only once a person has seen its commands.
//!
//! Like `direnv allow`: the first time stepwise is asked to run a runbook
//! file, or when its bytes changed since it was trusted, the commands it will
//! run are shown with the file's SHA-256, and a person must trust it once.
//! The trust store is `trusted.json` in the stepwise home (0600, replaced
//! atomically), mapping each runbook's canonical path to the hash of the
//! bytes that were trusted. Headless mode refuses an untrusted file unless
//! `--trust` is given; the TUI shows a one-time screen (`trust_prompt`).
//!
//! The gate is checked before anything from the runbook executes, including
//! inputs' `default_from` commands. Resume needs no trust: it runs the
//! session's own copy, trusted when the session started.
//!
//! This module never runs a command and never starts a session; it only
//! reads and records trust, and describes what a runbook would run.

use crate::outcome::Failure;
use crate::runbook::model::Runbook;
use crate::session::fsutil;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// The trust store's file name in the stepwise home.
pub const TRUST_FILE: &str = "trusted.json";

/// Format version of `trusted.json`.
const STORE_VERSION: u32 = 1;

/// One trusted runbook file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub sha256: String,
    pub trusted_at: chrono::DateTime<chrono::Utc>,
    /// `user@host` of whoever trusted it.
    pub by: String,
}

/// The whole trust store: canonical path → what was trusted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Store {
    pub version: u32,
    pub runbooks: BTreeMap<String, Entry>,
}

/// What a person reviews before trusting: the file, its hash, its commands.
#[derive(Clone, Debug, PartialEq)]
pub struct Review {
    pub title: String,
    /// Canonical path (symlinks and `..` resolved): the trust store's key.
    pub path: PathBuf,
    pub sha256: String,
    /// The shell every command runs under, when the runbook sets one.
    pub shell: Option<String>,
    /// Every command the runbook can run: (where it comes from, the command).
    pub commands: Vec<(String, String)>,
    /// Where updates can go: (channel and transport, host or file).
    pub channels: Vec<(String, String)>,
    /// Where fleet steps run their commands: (target and transport, its
    /// hosts or where they come from).
    pub targets: Vec<(String, String)>,
    /// The file was trusted before with other bytes (it changed), rather
    /// than never run: set by [`ensure`] from the trust store.
    pub changed: bool,
}

impl Review {
    /// Describes a runbook file from its exact bytes.
    pub fn of(path: &Path, source: &[u8], runbook: &Runbook) -> io::Result<Review> {
        let path = std::fs::canonicalize(path)?;
        let mut commands: Vec<(String, String)> = runbook
            .inputs
            .iter()
            .filter_map(|i| {
                let cmd = i.default_from.as_ref()?;
                Some((format!("input {} (default_from)", i.name), inert(cmd)))
            })
            .collect();
        commands.extend(runbook.steps().filter_map(|(_, s)| {
            let cmd = s.run.as_ref()?;
            let on = match s.on.as_slice() {
                [] => String::new(),
                targets => format!(" (on {})", targets.join(", ")),
            };
            Some((format!("step {}{on}", s.id), inert(cmd)))
        }));
        commands.extend(runbook.targets.iter().filter_map(|t| {
            let cmd = t.hosts_from.as_ref()?;
            Some((format!("target {} (hosts_from, here)", t.name), inert(cmd)))
        }));
        commands.extend(runbook.channels.iter().filter_map(|c| match &c.transport {
            crate::runbook::model::Transport::Command { run } => {
                Some((format!("channel {} (command)", c.name), inert(run)))
            }
            _ => None,
        }));
        let channels = runbook
            .channels
            .iter()
            .map(|c| {
                let label = format!("{} ({})", c.name, c.transport.kind());
                (label, inert(&destination(&c.transport)))
            })
            .collect();
        let targets = runbook.targets.iter().map(target_line).collect();
        Ok(Review {
            title: inert(&runbook.title),
            path,
            sha256: fsutil::sha256_hex(source),
            shell: runbook.shell.as_ref().map(|s| inert(&s.join(" "))),
            commands,
            channels,
            targets,
            changed: false,
        })
    }

    /// The review as plain lines, for headless mode and the docs.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![
            format!("runbook: {}", self.title),
            format!(
                "file:    {}",
                crate::text::one_line(&self.path.display().to_string())
            ),
            format!("sha256:  {}", self.sha256),
        ];
        if let Some(shell) = &self.shell {
            out.push(format!("shell:   {shell}"));
        }
        if self.commands.is_empty() {
            out.push("commands: none (human steps only)".into());
        } else {
            out.push(format!("commands it will run ({}):", self.commands.len()));
        }
        for (from, cmd) in &self.commands {
            out.push(format!("  {from}:"));
            out.extend(cmd.lines().map(|l| format!("    $ {l}")));
        }
        if !self.channels.is_empty() {
            out.push(format!("where it sends updates ({}):", self.channels.len()));
        }
        for (name, to) in &self.channels {
            out.push(format!("  {name} → {to}"));
        }
        if !self.targets.is_empty() {
            out.push(format!("where fleet steps run ({}):", self.targets.len()));
        }
        for (name, hosts) in &self.targets {
            out.push(format!("  {name} → {hosts}"));
        }
        out
    }
}

/// A target for the review: its name and transport, and its hosts (those
/// written in the runbook, and where more come from).
fn target_line(t: &crate::runbook::fleet::Target) -> (String, String) {
    use crate::runbook::fleet::Transport;
    let how = match t.transport {
        Transport::Ssh => "ssh",
        Transport::Local => "local: on this machine, once per host name",
    };
    let mut hosts = Vec::new();
    if !t.hosts.is_empty() {
        hosts.push(format!("hosts {}", inert(&t.hosts.join(", "))));
    }
    if t.hosts_from.is_some() {
        hosts.push("the hosts its hosts_from command prints".to_owned());
    }
    (format!("{} ({how})", inert(&t.name)), hosts.join("; and "))
}

/// Where a channel sends, for the review: the host of a URL written in the
/// runbook, or the input that will give it; the file; the command.
pub fn destination(t: &crate::runbook::model::Transport) -> String {
    use crate::runbook::model::Transport;
    let url = match t {
        Transport::Slack { webhook } => webhook,
        Transport::Webhook { url, .. } => url,
        Transport::File { path } => return format!("file {path}"),
        Transport::Command { run } => return format!("command {run}"),
    };
    if let Some(var) = url.trim().strip_prefix('$') {
        let var = var.trim_matches(|c| c == '{' || c == '}');
        return format!("the URL given as input {var} (POST)");
    }
    let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    format!("host {host} (POST)")
}

/// Text from the runbook made safe to show: control characters (escape
/// sequences that could retitle, move or clear the terminal) are shown as
/// visible symbols (`␛`), as everywhere else; line breaks stay.
fn inert(text: &str) -> String {
    crate::text::show_controls(text)
}

/// Where the trust store lives.
pub fn store_path(home: &Path) -> PathBuf {
    home.join(TRUST_FILE)
}

/// Reads the trust store; a missing file is an empty store. A damaged file
/// is an error (naming it) rather than silently trusting or forgetting.
pub fn load(home: &Path) -> Result<Store, String> {
    let path = store_path(home);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Store::default()),
        Err(e) => {
            return Err(format!(
                "cannot read the trust store {}: {e}",
                path.display()
            ));
        }
    };
    serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "the trust store {} is damaged ({e}); delete it to start over (every runbook will then ask to be trusted again)",
            path.display()
        )
    })
}

/// Whether this exact file content was trusted at this path.
pub fn is_trusted(store: &Store, review: &Review) -> bool {
    store
        .runbooks
        .get(&key(&review.path))
        .is_some_and(|e| e.sha256 == review.sha256)
}

/// Records trust for the reviewed file (replacing an older hash). The
/// read-modify-write holds an exclusive lock on `trusted.json.lock`, so two
/// stepwise processes trusting different runbooks at once both count.
pub fn record(home: &Path, review: &Review) -> Result<(), String> {
    let _guard = lock_store(home)?;
    let mut store = load(home)?;
    store.version = STORE_VERSION;
    store.runbooks.insert(
        key(&review.path),
        Entry {
            sha256: review.sha256.clone(),
            trusted_at: chrono::Utc::now(),
            by: format!(
                "{}@{}",
                crate::session::store::username(),
                crate::session::store::hostname()
            ),
        },
    );
    save(home, &store)
}

/// Blocks until this process alone may change the trust store; the lock
/// is released when the returned file is dropped.
fn lock_store(home: &Path) -> Result<std::fs::File, String> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = home.join(format!("{TRUST_FILE}.lock"));
    let locked = fsutil::create_private_dir(home).and_then(|()| {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)?;
        file.lock()?;
        Ok(file)
    });
    locked.map_err(|e| format!("cannot lock the trust store {}: {e}", path.display()))
}

fn save(home: &Path, store: &Store) -> Result<(), String> {
    let path = store_path(home);
    let write = || -> io::Result<()> {
        fsutil::create_private_dir(home)?;
        let mut text = serde_json::to_vec_pretty(store).map_err(io::Error::other)?;
        text.push(b'\n');
        fsutil::write_atomic(&path, &text)
    };
    write().map_err(|e| format!("cannot write the trust store {}: {e}", path.display()))
}

fn key(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// The message headless mode gives for an untrusted runbook.
pub fn refusal(review: &Review, changed: bool) -> String {
    let why = if changed {
        "this runbook changed since it was last trusted"
    } else {
        "stepwise has not run this runbook file before"
    };
    let mut lines = vec![format!("refused: {why}. Review what it will run:")];
    lines.extend(review.lines().into_iter().map(|l| format!("  {l}")));
    lines.push(format!(
        "Nothing ran and no session was created. Re-run with --trust after reviewing the file (sha256 {}).",
        review.sha256
    ));
    lines.join("\n")
}

/// How the person is asked, when they must be.
pub enum Ask {
    /// Headless: no one to ask; refuse with the review.
    Refuse,
    /// The TUI: show the trust screen; `true` means trusted.
    Screen(fn(&Review) -> io::Result<bool>),
}

/// The gate before a runbook's commands can run. Returns `Ok` when the file
/// is trusted (already, by `--trust`, or on the screen just now) and records
/// new trust; otherwise a [`Failure`] with exit code 2 and nothing recorded.
pub fn ensure(
    home: &Path,
    path: &Path,
    source: &[u8],
    runbook: &Runbook,
    flag: bool,
    ask: Ask,
) -> Result<(), Failure> {
    let mut review = Review::of(path, source, runbook)
        .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
    let store = load(home).map_err(Failure::usage)?;
    if is_trusted(&store, &review) {
        return Ok(());
    }
    let changed = store.runbooks.contains_key(&key(&review.path));
    review.changed = changed;
    let trusted = flag
        || match ask {
            Ask::Refuse => return Err(Failure::usage(refusal(&review, changed))),
            Ask::Screen(show) => {
                show(&review).map_err(|e| Failure::from_screen("the trust screen", e))?
            }
        };
    if !trusted {
        return Err(Failure::usage(format!(
            "not trusted: {} was not run and no session was created",
            review.path.display()
        )));
    }
    record(home, &review).map_err(Failure::usage)
}

/// Said when a dry run left out an untrusted runbook's `default_from` commands.
pub const DRY_RUN_UNTRUSTED_NOTE: &str = "note: this runbook is not trusted yet, so its default_from commands were not run; their inputs show as missing";

/// The runbook a dry run resolves inputs with: as is when trusted; else
/// without its `default_from` commands (a dry run of a file nobody has
/// reviewed must run nothing), with [`DRY_RUN_UNTRUSTED_NOTE`] for the
/// caller to show.
pub fn for_dry_run(
    home: &Path,
    path: &Path,
    source: &[u8],
    runbook: &Runbook,
) -> (Runbook, Option<&'static str>) {
    let trusted = Review::of(path, source, runbook)
        .ok()
        .zip(load(home).ok())
        .is_some_and(|(review, store)| is_trusted(&store, &review));
    let mut copy = runbook.clone();
    if trusted || runbook.inputs.iter().all(|i| i.default_from.is_none()) {
        return (copy, None);
    }
    for input in copy.inputs.iter_mut() {
        input.default_from = None;
    }
    (copy, Some(DRY_RUN_UNTRUSTED_NOTE))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runbook_file(dir: &Path, body: &str) -> (PathBuf, Vec<u8>, Runbook) {
        let path = dir.join("rb.yaml");
        std::fs::write(&path, body).unwrap();
        let rb = crate::runbook::load::load_str("rb.yaml", body).unwrap();
        (path, body.as_bytes().to_vec(), rb)
    }

    const BODY: &str = "runbook: 1\nid: t\ntitle: T\ninputs:\n  V: { default_from: echo v1 }\nsections:\n  - title: S\n    steps:\n      - title: Hi\n        run: echo hi\n      - title: Look\n";

    #[test]
    fn review_lists_every_command_with_its_origin() {
        let dir = tempfile::tempdir().unwrap();
        let (path, src, rb) = runbook_file(dir.path(), BODY);
        let r = Review::of(&path, &src, &rb).unwrap();
        assert_eq!(
            r.commands,
            vec![
                ("input V (default_from)".to_string(), "echo v1".to_string()),
                ("step hi".to_string(), "echo hi".to_string()),
            ]
        );
        assert_eq!(r.sha256.len(), 64);
    }

    /// A fleet step's hosts are part of what it runs: the `hosts_from`
    /// command (run here) among the commands, every target with its hosts.
    #[test]
    fn review_lists_the_targets_hosts_and_hosts_from_commands() {
        let dir = tempfile::tempdir().unwrap();
        let body = "runbook: 1\nid: t\ntitle: T\ntargets:\n  web:\n    hosts: [web-1, evil.example.com]\n  db:\n    hosts_from: printf 'a\\nb\\n'\nsections:\n  - title: S\n    steps:\n      - id: deploy\n        title: Deploy\n        on: web\n        run: echo hi\n      - id: migrate\n        title: Migrate\n        on: db\n        run: echo m\n";
        let (path, src, rb) = runbook_file(dir.path(), body);
        let r = Review::of(&path, &src, &rb).unwrap();
        assert!(
            r.commands
                .contains(&("step deploy (on web)".to_string(), "echo hi".to_string())),
            "{:?}",
            r.commands
        );
        assert!(
            r.commands.contains(&(
                "target db (hosts_from, here)".to_string(),
                "printf 'a\\nb\\n'".to_string()
            )),
            "{:?}",
            r.commands
        );
        assert_eq!(
            r.targets,
            vec![
                (
                    "web (ssh)".to_string(),
                    "hosts web-1, evil.example.com".to_string()
                ),
                (
                    "db (ssh)".to_string(),
                    "the hosts its hosts_from command prints".to_string()
                ),
            ]
        );
        let lines = r.lines().join("\n");
        assert!(lines.contains("where fleet steps run (2):"), "{lines}");
        assert!(
            lines.contains("web (ssh) → hosts web-1, evil.example.com"),
            "{lines}"
        );
    }

    #[test]
    fn trusting_many_runbooks_at_once_keeps_every_one() {
        let home = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let reviews: Vec<Review> = (0..8)
            .map(|i| {
                let sub = dir.path().join(format!("rb{i}"));
                std::fs::create_dir(&sub).unwrap();
                let (path, src, rb) = runbook_file(&sub, BODY);
                Review::of(&path, &src, &rb).unwrap()
            })
            .collect();
        std::thread::scope(|s| {
            for review in &reviews {
                s.spawn(|| record(home.path(), review).unwrap());
            }
        });
        let store = load(home.path()).unwrap();
        let kept = reviews.iter().filter(|r| is_trusted(&store, r)).count();
        assert_eq!(kept, reviews.len(), "a concurrent record was lost");
    }

    #[test]
    fn trust_is_per_path_and_content_and_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (path, src, rb) = runbook_file(dir.path(), BODY);
        let review = Review::of(&path, &src, &rb).unwrap();
        assert!(!is_trusted(&load(home.path()).unwrap(), &review));
        record(home.path(), &review).unwrap();
        assert!(is_trusted(&load(home.path()).unwrap(), &review));
        let mode = std::fs::metadata(store_path(home.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let changed = Review::of(&path, b"other bytes", &rb).unwrap();
        assert!(!is_trusted(&load(home.path()).unwrap(), &changed));
    }

    #[test]
    fn headless_gate_refuses_then_flag_records() {
        let home = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (path, src, rb) = runbook_file(dir.path(), BODY);
        let err = ensure(home.path(), &path, &src, &rb, false, Ask::Refuse).unwrap_err();
        assert_eq!(err.code, 2);
        assert!(err.message.contains("--trust") && err.message.contains("$ echo hi"));
        assert!(!store_path(home.path()).exists());
        ensure(home.path(), &path, &src, &rb, true, Ask::Refuse).unwrap();
        ensure(home.path(), &path, &src, &rb, false, Ask::Refuse).unwrap();
    }

    #[test]
    fn control_characters_in_commands_are_shown_inert() {
        let dir = tempfile::tempdir().unwrap();
        // The loader refuses such text; the review stays inert even so
        // (defence in depth), so the command is planted after loading.
        let body = "runbook: 1\nid: t\ntitle: T\nsections:\n  - title: S\n    steps:\n      - title: Hi\n        run: printf x\n";
        let (path, src, mut rb) = runbook_file(dir.path(), body);
        rb.sections[0].steps[0].run = Some("printf x\u{1b}]0;pwned\u{7}".into());
        assert!(crate::runbook::load::load_str("rb.yaml", "runbook: 1\nid: t\ntitle: T\nsections:\n  - title: S\n    steps:\n      - title: Hi\n        run: \"printf x\\e\"\n").is_err());
        let r = Review::of(&path, &src, &rb).unwrap();
        assert_eq!(r.commands[0].1, "printf x␛]0;pwned␇");
    }

    #[test]
    fn a_damaged_store_is_an_error_naming_it() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(store_path(home.path()), "{not json").unwrap();
        let err = load(home.path()).unwrap_err();
        assert!(err.contains("trusted.json") && err.contains("delete it"));
    }
}
