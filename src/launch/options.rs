//! What a session is started or resumed with, as plain data: the command
//! line's flags (`cli`) are turned into these once, in `main`, and nothing
//! below it sees clap. The picker and the demo build them directly.

use std::path::PathBuf;

/// How to drive a session (shared by `run`, `resume` and `demo`).
#[derive(Clone, Debug, Default)]
pub struct DriveOptions {
    /// `--var NAME=VALUE`, as typed.
    pub vars: Vec<String>,
    /// `--var-file NAME=PATH`, as typed (`-` for stdin).
    pub var_files: Vec<String>,
    pub auto: bool,
    pub headless: bool,
    pub yes: bool,
    /// `--answer STEP=ANSWER`, as typed.
    pub answers: Vec<String>,
    pub transcript_dir: Option<PathBuf>,
    /// Said in the interface's quit dialog instead of the resume command
    /// (the demo: its sandbox does not outlive it).
    pub quit_note: Option<String>,
    /// A session left unfinished is closed (aborted) with this reason, as
    /// nothing could resume it (the demo's sandbox goes with it).
    pub close_when_left: Option<String>,
    /// `--operator NAME`: who acts; `None` for the account's name.
    pub operator: Option<String>,
    /// `--ssh-config FILE` (or `STEPWISE_SSH_CONFIG`): `ssh -F FILE`.
    pub ssh_config: Option<PathBuf>,
    /// `--limit web-1,web-3`: fleet steps run on these hosts only.
    pub limit: Option<Vec<String>>,
    /// With `--yes`: the note given to a step that requires one (the
    /// demo's), recorded as `--yes`'s, not as an `--answer`.
    pub yes_note: Option<String>,
}

/// `stepwise run`.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub file: PathBuf,
    pub drive: DriveOptions,
    pub dry_run: bool,
    pub from: Option<String>,
    pub trust: bool,
}

/// `stepwise resume`.
#[derive(Clone, Debug)]
pub struct ResumeOptions {
    /// Session id, unique prefix or folder; `None` for the most recent.
    pub session: Option<String>,
    pub drive: DriveOptions,
    /// Trust the runbook copy of a session folder outside the home without
    /// the one-time review (needed headless).
    pub trust: bool,
    /// `--reason TEXT`: why the session is taken up (a handover's reason).
    pub reason: Option<String>,
}

impl From<crate::cli::DriveArgs> for DriveOptions {
    fn from(a: crate::cli::DriveArgs) -> DriveOptions {
        DriveOptions {
            vars: a.vars,
            var_files: a.var_files,
            auto: a.auto,
            headless: a.headless,
            yes: a.yes,
            answers: a.answers,
            transcript_dir: a.transcript_dir,
            quit_note: None,
            close_when_left: None,
            operator: a.operator,
            ssh_config: a
                .ssh_config
                .or_else(|| std::env::var_os("STEPWISE_SSH_CONFIG").map(PathBuf::from)),
            limit: a.limit.map(|l| {
                let hosts = l.split(',').map(str::trim).filter(|h| !h.is_empty());
                hosts.map(str::to_owned).collect()
            }),
            yes_note: None,
        }
    }
}

impl From<crate::cli::RunArgs> for RunOptions {
    fn from(a: crate::cli::RunArgs) -> RunOptions {
        RunOptions {
            file: a.file,
            drive: a.drive.into(),
            dry_run: a.dry_run,
            from: a.from,
            trust: a.trust,
        }
    }
}

impl From<crate::cli::ResumeArgs> for ResumeOptions {
    fn from(a: crate::cli::ResumeArgs) -> ResumeOptions {
        ResumeOptions {
            session: a.session,
            drive: a.drive.into(),
            trust: a.trust,
            reason: a.reason,
        }
    }
}
