//! Where sessions live: the stepwise home, one private folder per session,
//! readable ids, lookup by prefix, the per-session lock, and listing.
//!
//! Home: `--home DIR`, else `$STEPWISE_HOME`, else the user's state
//! directory (XDG `$XDG_STATE_HOME/stepwise`, falling back to the local data
//! directory). This module never runs steps or renders anything.

use super::event::{Event, Record};
use super::fsutil;
use chrono::{DateTime, Utc};
use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

pub const JOURNAL: &str = "journal.jsonl";
pub const RUNBOOK_COPY: &str = "runbook.yaml";
pub const LOCK: &str = "lock";
pub const OUTPUT_DIR: &str = "output";

/// Resolves the stepwise home folder.
pub fn home(flag: Option<&Path>) -> PathBuf {
    if let Some(p) = flag {
        return p.to_owned();
    }
    if let Some(p) = std::env::var_os("STEPWISE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(p);
    }
    match directories::ProjectDirs::from("", "", "stepwise") {
        Some(d) => d
            .state_dir()
            .unwrap_or_else(|| d.data_local_dir())
            .to_owned(),
        None => PathBuf::from(".stepwise"),
    }
}

/// The log of one host of a fleet step's attempt, relative to the
/// session folder: `output/<step>.<host>.<attempt>.log`, the host's name
/// made file-safe ([`crate::runbook::fleet::file_safe_host`]).
pub fn host_log_name(step: &str, host: &str, attempt: u32) -> String {
    let host = crate::runbook::fleet::file_safe_host(host);
    format!("{OUTPUT_DIR}/{step}.{host}.{attempt}.log")
}

pub fn sessions_dir(home: &Path) -> PathBuf {
    home.join("sessions")
}

/// A readable, sortable session id: `20261126T163000Z-deployment-rollback-3f9a`.
pub fn new_session_id(now: DateTime<Utc>, runbook_id: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let salt = (nanos ^ std::process::id().rotate_left(16)) & 0xffff;
    format!("{}-{runbook_id}-{salt:04x}", now.format("%Y%m%dT%H%M%SZ"))
}

/// Creates the folder of a new session (0700), takes its lock at once,
/// then makes its output folder.
pub fn create_session_dir(home: &Path, id: &str) -> io::Result<(PathBuf, SessionLock)> {
    use std::os::unix::fs::DirBuilderExt;
    let sessions = sessions_dir(home);
    fsutil::create_private_dir(&sessions)?;
    sweep_staging(&sessions);
    let dir = sessions.join(format!("{STAGING_PREFIX}{id}"));
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    let lock = lock(&dir).map_err(io::Error::other)?;
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(dir.join(OUTPUT_DIR))?;
    Ok((dir, lock))
}

/// A new session is built in `sessions/.new-<id>` and renamed to
/// `sessions/<id>` once its journal holds the first records, so a crash at
/// birth never leaves a half-made session that listings and resume trip on.
/// Its lock is taken right after the folder is made and held until the
/// session ends.
const STAGING_PREFIX: &str = ".new-";

/// Gives a staged session its real name (see [`create_session_dir`]) and
/// makes the rename durable. Open files in it (journal, lock) stay valid.
pub fn publish_session_dir(staging: &Path, id: &str) -> io::Result<PathBuf> {
    let sessions = staging.parent().unwrap_or(Path::new("."));
    let dir = sessions.join(id);
    std::fs::rename(staging, &dir)?;
    fsutil::sync_dir(sessions)?;
    Ok(dir)
}

/// How old a staging folder must be, with its lock free, to be removed
/// when its lock does not name a dead process of this host.
pub const STAGING_GRACE: std::time::Duration = std::time::Duration::from_secs(120);

/// Removes staging folders left by a process that died while creating its
/// session; never one being built. See [`left_behind`]. Best effort: a
/// folder that cannot be removed is left for the next time.
fn sweep_staging(sessions: &Path) {
    let Ok(entries) = std::fs::read_dir(sessions) else {
        return;
    };
    for entry in entries.flatten() {
        let staged = entry
            .file_name()
            .to_string_lossy()
            .starts_with(STAGING_PREFIX);
        if staged && left_behind(&entry.path()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether a staging folder was left behind: nobody holds its lock, and
/// either the lock names a process of this host that is gone, or the
/// folder is [`STAGING_GRACE`] old.
///
/// Why this is safe: a live creator holds the lock from the moment its
/// lock file names it until the session ends, so `lock_is_free` is false
/// for it whatever its pid looks like from here (another PID namespace
/// sharing the home, pid reuse). The lock is only tried when the folder
/// looks dead already, so a sweeper never holds it in the instant a
/// creator takes it. The one moment a live creator's lock is free (between
/// making the folder and taking the lock, a few system calls) is covered by
/// the grace. An earlier rule ("no lock file means free") removed a folder
/// being built; CI caught it as two demos at once, one losing `output/`.
fn left_behind(dir: &Path) -> bool {
    let holder = std::fs::read_to_string(dir.join(LOCK)).unwrap_or_default();
    (holder_is_gone(&holder) || is_stale(dir)) && lock_is_free(dir)
}

/// Whether a folder has not been touched for [`STAGING_GRACE`].
fn is_stale(dir: &Path) -> bool {
    std::fs::metadata(dir)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age >= STAGING_GRACE)
}

fn lock_is_free(dir: &Path) -> bool {
    match File::open(dir.join(LOCK)) {
        Ok(f) => f.try_lock().is_ok(),
        Err(e) => e.kind() == io::ErrorKind::NotFound,
    }
}

/// Finds a session by id, unique id prefix, or folder path.
pub fn find(home: &Path, what: &str) -> Result<PathBuf, String> {
    let as_path = Path::new(what);
    if as_path.join(JOURNAL).is_file() {
        return Ok(as_path.to_owned());
    }
    let ids =
        list_ids(home).map_err(|e| format!("cannot list sessions in {}: {e}", home.display()))?;
    let matches: Vec<&String> = ids.iter().filter(|id| id.starts_with(what)).collect();
    match matches.as_slice() {
        [one] => Ok(sessions_dir(home).join(one)),
        [] => Err(format!(
            "no session matches `{what}` in {}. `stepwise sessions --all` lists them.",
            sessions_dir(home).display()
        )),
        many => {
            let shown: Vec<&str> = many.iter().take(5).map(|s| s.as_str()).collect();
            let more = match many.len() - shown.len() {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            Err(format!(
                "`{what}` matches {} sessions ({}{more}); type more of the id.",
                many.len(),
                shown.join(", ")
            ))
        }
    }
}

/// Whether a session folder is one of this home's (`<home>/sessions/<id>`),
/// rather than a folder elsewhere named by its path.
pub fn is_in_home(home: &Path, dir: &Path) -> bool {
    let parent = std::fs::canonicalize(dir)
        .ok()
        .and_then(|d| d.parent().map(Path::to_owned));
    let sessions = std::fs::canonicalize(sessions_dir(home)).ok();
    parent.is_some() && parent == sessions
}

/// Session ids in the home, oldest first: by the second in the id, then
/// (sessions begun in the same second) by when the folder was made, as
/// the file system tells it, then by name.
pub fn list_ids(home: &Path) -> io::Result<Vec<String>> {
    let dir = sessions_dir(home);
    let mut ids = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        if entry.path().join(JOURNAL).is_file()
            && let Some(name) = entry.file_name().to_str()
            && !name.starts_with('.')
        {
            let made = entry.metadata().and_then(|m| m.created()).ok();
            ids.push((name.to_owned(), made));
        }
    }
    fn second(id: &str) -> &str {
        id.split_once('-').map_or(id, |(second, _)| second)
    }
    ids.sort_by(|(a, made_a), (b, made_b)| (second(a), made_a, a).cmp(&(second(b), made_b, b)));
    Ok(ids.into_iter().map(|(id, _)| id).collect())
}

/// The exclusive hold one process has on a session.
pub struct SessionLock {
    _file: File,
}

/// Takes the session's lock, or says who holds it.
pub fn lock(dir: &Path) -> Result<SessionLock, String> {
    let path = dir.join(LOCK);
    let mut file = fsutil::private_read_write()
        .open(&path)
        .map_err(|e| fsutil::no_follow_error(&path, e))
        .map_err(|e| format!("cannot open the lock {}: {e}", path.display()))?;
    if !acquire(&mut file) {
        let holder = read_holder(&mut file);
        let holder = holder.trim();
        return Err(format!(
            "this session is open in another stepwise process ({}). \
             Close that one first, or wait for it to finish.",
            if holder.is_empty() {
                "unknown holder"
            } else {
                holder
            }
        ));
    }
    let me = format!("pid {} on {}", std::process::id(), hostname());
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = file.write_all(me.as_bytes());
    Ok(SessionLock { _file: file })
}

/// How long to wait for a lock whose recorded holder has died.
const DEAD_HOLDER_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Takes the lock. When the process named in the lock file is gone (killed
/// with SIGKILL), the lock can still be held for a moment by a step it was
/// forking (a forked child keeps the parent's descriptors until it execs):
/// wait for that moment to pass instead of refusing the resume.
fn acquire(file: &mut File) -> bool {
    let deadline = std::time::Instant::now() + DEAD_HOLDER_WAIT;
    loop {
        if file.try_lock().is_ok() {
            return true;
        }
        if std::time::Instant::now() >= deadline || !holder_is_gone(&read_holder(file)) {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn read_holder(file: &mut File) -> String {
    let mut holder = String::new();
    let _ = file.rewind();
    let _ = file.read_to_string(&mut holder);
    holder
}

/// Whether a process holds the session's lock right now, found without
/// taking it (a follower or `status` must never block a runner, even for
/// an instant): Linux lists every held lock in `/proc/locks` by device and
/// inode. Elsewhere, whether the lock file names a live process here.
pub fn is_held(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let path = dir.join(LOCK);
    let Ok(meta) = std::fs::metadata(&path) else {
        return false;
    };
    match std::fs::read_to_string("/proc/locks") {
        Ok(locks) => locks_hold(&locks, meta.dev(), meta.ino()),
        Err(_) => {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            !holder.trim().is_empty() && !holder_is_gone(&holder)
        }
    }
}

/// Whether `/proc/locks` text lists a lock on (device, inode): fields like
/// `1: FLOCK  ADVISORY  WRITE 4242 08:01:1234 0 EOF`, the device as hex
/// major:minor.
fn locks_hold(locks: &str, dev: u64, ino: u64) -> bool {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    let want = format!("{major:02x}:{minor:02x}:{ino}");
    locks
        .lines()
        .any(|l| !l.contains("->") && l.split_whitespace().any(|f| f == want))
}

/// Whether the lock file names a process on this host that no longer exists.
fn holder_is_gone(holder: &str) -> bool {
    let Some((pid, host)) = holder
        .trim()
        .strip_prefix("pid ")
        .and_then(|rest| rest.split_once(" on "))
    else {
        return false;
    };
    let Ok(pid) = pid.parse::<i32>() else {
        return false;
    };
    host == hostname()
        && pid > 0
        && nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None)
            == Err(nix::errno::Errno::ESRCH)
}

/// The machine's host name, for records and lock messages.
pub fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "unknown-host".into())
}

/// The operator's user name: `$USER`, `$LOGNAME`, else the account of
/// the process's user id (containers and tmux often set neither variable).
pub fn username() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::getuid())
                .ok()
                .flatten()
                .map(|u| u.name)
        })
        .unwrap_or_else(|| "unknown".into())
}

/// What `stepwise sessions` shows of one session.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub id: String,
    pub runbook: String,
    pub started: Option<DateTime<Utc>>,
    pub last_activity: Option<DateTime<Utc>>,
    pub status: Standing,
    /// Whether a process holds the session now (`stepwise follow` can watch it).
    pub running: bool,
    pub done: usize,
    pub total: usize,
    pub transcript: Option<PathBuf>,
    pub dir: PathBuf,
    /// Why a `damaged` session cannot be read or trusted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Summary {
    /// A session whose journal or runbook copy cannot be read: listed, not
    /// hidden, with the reason (an empty or damaged journal is something
    /// the operator must hear about).
    pub fn damaged(dir: &Path, reason: String) -> Summary {
        Summary {
            id: dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            runbook: String::new(),
            started: None,
            last_activity: None,
            status: Standing::Damaged,
            done: 0,
            total: 0,
            transcript: find_transcript(dir),
            running: is_held(dir),
            dir: dir.to_owned(),
            reason: Some(reason),
        }
    }
}

/// The status of a session that cannot be read or trusted.
pub const DAMAGED: &str = "damaged";

/// Reads a session's summary (journal fold over its runbook copy).
/// A session whose record fails its integrity check (`verify.rs`) is an
/// error here: listed as damaged, never offered for resume.
pub fn summarize(dir: &Path) -> Result<Summary, String> {
    let checked = super::verify::read(dir)?;
    if let Err(why) = checked.integrity.verdict() {
        return Err(format!(
            "the journal fails its integrity check at {why} (`stepwise verify` says more)"
        ));
    }
    let (session, records) = (checked.session, checked.records);
    let (done, total) = session.progress();
    let id = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Summary {
        runbook: session.runbook.id.clone(),
        started: session.started_at,
        last_activity: session.last_at,
        status: Standing::of(&records, &session),
        running: is_held(dir),
        done,
        total,
        transcript: find_transcript(dir),
        dir: dir.to_owned(),
        id,
        reason: None,
    })
}

/// Reads a session folder read-only (no lock, nothing written): the fold
/// of its journal over its runbook copy, and the records themselves.
/// Its integrity is checked too ([`super::verify::read`], which says what
/// it found); this returns only what was read.
pub fn read_session(dir: &Path) -> Result<(super::state::Session, Vec<Record>), String> {
    let checked = super::verify::read(dir)?;
    Ok((checked.session, checked.records))
}

/// Where a session stands, as listings and resume see it: the fold's
/// status plus whether its last stepwise was interrupted (its last
/// session mark, not its last record: see `last_session_mark`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    Completed,
    Aborted,
    /// The operator left; resumable.
    Left,
    /// A signal stopped it; resumable.
    Interrupted,
    /// Its process stopped without a word (a crash, `kill -9`); resumable.
    Unfinished,
    /// Its journal or runbook copy cannot be read or trusted: listed with
    /// the reason, never resumed.
    Damaged,
}

impl Standing {
    pub fn of(records: &[Record], s: &super::state::Session) -> Standing {
        use super::state::SessionStatus::*;
        match &s.status {
            Completed => Standing::Completed,
            Aborted { .. } => Standing::Aborted,
            Left => Standing::Left,
            Active => match super::event::last_session_mark(records) {
                Some(Event::Interrupted { .. }) => Standing::Interrupted,
                _ => Standing::Unfinished,
            },
        }
    }

    /// Whether `stepwise resume` can take the session up.
    pub fn is_resumable(self) -> bool {
        !matches!(
            self,
            Standing::Completed | Standing::Aborted | Standing::Damaged
        )
    }
}

/// Listed as its words (`sessions --format json`), as before it was an enum.
impl serde::Serialize for Standing {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl std::fmt::Display for Standing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            Standing::Completed => "completed",
            Standing::Aborted => "aborted",
            Standing::Left => "left (resumable)",
            Standing::Interrupted => "interrupted (resumable)",
            Standing::Unfinished => "unfinished (resumable)",
            Standing::Damaged => DAMAGED,
        })
    }
}

/// The Markdown transcript in a session folder, if one was written.
pub fn find_transcript(dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    found.sort();
    found.pop()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Two sessions begun in the same second are listed in the order their
    /// folders were made, not by their names (where `aa` sorts first).
    #[test]
    fn sessions_of_one_second_are_listed_in_the_order_they_were_made() {
        let home = tempfile::tempdir().unwrap();
        let made = ["20261202T120000Z-zz-ffff", "20261202T120000Z-aa-0000"];
        let earlier = "20261202T115959Z-mm-1234";
        for id in [made[0], earlier, made[1]] {
            let dir = sessions_dir(home.path()).join(id);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(JOURNAL), "").unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
        let has_birth_times = std::fs::metadata(sessions_dir(home.path()).join(made[0]))
            .and_then(|m| m.created())
            .is_ok();
        let expected = match has_birth_times {
            true => [earlier, made[0], made[1]],
            false => [earlier, made[1], made[0]],
        };
        assert_eq!(list_ids(home.path()).unwrap(), expected);
    }

    /// `status`, `sessions` and `follow` see a held lock without taking it.
    #[test]
    fn a_held_lock_is_seen_without_taking_it() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!is_held(dir.path()), "no lock file: not held");
        let held = lock(dir.path()).unwrap();
        assert!(is_held(dir.path()));
        assert!(is_held(dir.path()), "looking twice takes nothing");
        drop(held);
        assert!(!is_held(dir.path()));
        let again = lock(dir.path()).unwrap();
        assert!(is_held(dir.path()));
        drop(again);
    }

    #[test]
    fn a_dead_holder_is_told_from_a_live_or_unknown_one() {
        let me = format!("pid {} on {}", std::process::id(), hostname());
        assert!(!holder_is_gone(&me));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(holder_is_gone(&format!("pid {pid} on {}", hostname())));
        assert!(!holder_is_gone(&format!("pid {pid} on another-host")));
        assert!(!holder_is_gone("garbage"));
        assert!(!holder_is_gone(""));
    }

    #[test]
    fn a_lock_is_taken_once_and_freed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock(dir.path()).unwrap();
        let refused = lock(dir.path()).err().unwrap();
        assert!(refused.contains(&format!("pid {}", std::process::id())));
        drop(held);
        assert!(lock(dir.path()).is_ok());
    }

    /// Makes a staging folder, aged by `age`, whose lock file names
    /// `holder` (none when `None`).
    fn staged(home: &Path, id: &str, holder: Option<&str>, age: Duration) -> PathBuf {
        let dir = sessions_dir(home).join(format!("{STAGING_PREFIX}{id}"));
        std::fs::create_dir_all(dir.join(OUTPUT_DIR)).unwrap();
        if let Some(h) = holder {
            std::fs::write(dir.join(LOCK), h).unwrap();
        }
        age_by(&dir, age);
        dir
    }

    fn age_by(dir: &Path, age: Duration) {
        let when = std::time::SystemTime::now() - age;
        File::open(dir).unwrap().set_modified(when).unwrap();
    }

    fn dead_holder() -> String {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        format!("pid {pid} on {}", hostname())
    }

    #[test]
    fn a_folder_being_built_survives_another_session_starting() {
        let home = tempfile::tempdir().unwrap();
        // Made, lock not taken yet: the instant the old rule got wrong.
        let bare = staged(home.path(), "a", None, Duration::ZERO);
        let empty = staged(home.path(), "b", Some(""), Duration::ZERO);
        // Locked by its (live) creator, even one whose pid looks dead from
        // here (another PID namespace), even an old one.
        let held = staged(home.path(), "c", None, Duration::ZERO);
        let _lock = lock(&held).unwrap();
        std::fs::write(held.join(LOCK), dead_holder()).unwrap();
        age_by(&held, STAGING_GRACE * 2);
        create_session_dir(home.path(), "d").unwrap();
        for dir in [bare, empty, held] {
            assert!(dir.join(OUTPUT_DIR).is_dir(), "{} was swept", dir.display());
        }
    }

    #[test]
    fn a_folder_left_by_a_dead_creator_is_swept_at_once_and_an_old_one_anyway() {
        let home = tempfile::tempdir().unwrap();
        let dead = staged(home.path(), "a", Some(&dead_holder()), Duration::ZERO);
        let old = STAGING_GRACE + Duration::from_secs(5);
        let other_host = staged(home.path(), "b", Some("pid 1 on elsewhere"), old);
        let never_locked = staged(home.path(), "c", None, old);
        let fresh_other = staged(home.path(), "d", Some("pid 1 on elsewhere"), Duration::ZERO);
        create_session_dir(home.path(), "e").unwrap();
        for dir in [dead, other_host, never_locked] {
            assert!(!dir.exists(), "{} was kept", dir.display());
        }
        assert!(
            fresh_other.is_dir(),
            "another host's fresh folder was swept"
        );
    }
}
