//! The command line: clap definitions only, written for a person in a hurry.
//! Nothing below `main` sees these types: `launch::options` turns them into
//! plain data once.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "stepwise",
    version,
    about = "Walk an operational runbook step by step: run the automated steps, confirm the human ones, keep a timestamped record.",
    after_help = "Exit codes: 0 completed, 2 invalid runbook or usage (or a record that fails its check), 3 stopped on a failed step, 4 waiting for a human answer, 5 aborted, 6 stopped because the record could not be written (disk full), 130 interrupted.\nWith no command: a picker of runbooks and unfinished sessions."
)]
pub struct Cli {
    /// Where sessions live (default: $STEPWISE_HOME, else the XDG state dir).
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Start a session on a runbook.
    Run(RunArgs),
    /// Take up an unfinished session where it stopped (default: the most recent).
    Resume(ResumeArgs),
    /// List sessions: id, runbook, started, last activity, status, progress.
    Sessions {
        /// Include completed and aborted sessions.
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value = "table")]
        format: ListFormat,
    },
    /// Watch a session another process is running, read-only (default: the one running now).
    Follow {
        /// Session id, unique prefix of one, or session folder.
        session: Option<String>,
        /// Headless lines instead of the screen (for a pipe or ssh); ends with the session's exit code.
        #[arg(long)]
        plain: bool,
    },
    /// One line on where a session stands (default: the one running now, else the latest).
    Status {
        /// Session id, unique prefix of one, or session folder.
        session: Option<String>,
        #[arg(long, value_enum, default_value = "line")]
        format: StatusFormat,
    },
    /// Write a session's transcript (Markdown, JSON or HTML) to stdout or a file.
    Export {
        /// Session id, unique prefix of one, or session folder.
        session: String,
        #[arg(long, short, value_enum, default_value = "md")]
        format: ExportFormat,
        /// Write to this file instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "PATH")]
        output: Option<PathBuf>,
    },
    /// Check a session's record: the journal's hash chain and sequence, that every
    /// event names a step of its runbook copy and every exit agrees with the step's
    /// expect_exit, and that the copy is the runbook the session started with.
    /// Prints `ok: <n> events, chain <hash>`, or the first bad line and exit code 2.
    Verify {
        /// Session id, unique prefix of one, or session folder.
        session: String,
        /// Also check that the journal still holds the records an export was made
        /// from: the "chain head" that export shows.
        #[arg(long, value_name = "HASH")]
        head: Option<String>,
    },
    /// Check runbooks; prints a summary per file, or diagnostics and exit code 2.
    Validate {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Print the JSON Schema of the runbook format (for editors).
    Schema,
    /// Turn a procedure written in Markdown into a runbook (YAML to stdout, or -o FILE).
    #[command(
        long_about = "Turn a procedure written in Markdown (a wiki page, a RUNBOOK.md) into a commented runbook that passes `stepwise validate`.\n\nThe first # heading is the title; the text before the first section, and sections headed Introduction, Overview, Conclusion..., the description; every other heading a section. Numbered and bulleted items become human steps (nested items a checklist); ```sh, ```bash, ```shell and ```console blocks become automated steps where they stand, titled by the sentence before them, each asking before it runs; sections headed Prevention, Follow-up, Lessons... become follow_up items. $VARS and <placeholders> in the commands become inputs. Nothing is run. The header of the output says what to review; the rules are in docs/import.md.",
        after_help = "Examples:\n  stepwise import docs/rollback.md -o runbooks/rollback.yaml\n  curl -fsS https://wiki/raw/page.md | stepwise import - --id db-failover > runbooks/db-failover.yaml\n\nExit codes: 0 written, 2 the document cannot become a runbook (the message says why and what to do)."
    )]
    Import {
        /// The Markdown document; `-` reads stdin.
        #[arg(value_name = "FILE.md")]
        file: PathBuf,
        /// Write the runbook to this file (atomically) instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "RUNBOOK.yaml")]
        output: Option<PathBuf>,
        /// The runbook's id (default: a slug of the document's title).
        #[arg(long, value_name = "ID")]
        id: Option<String>,
    },
    /// Roll back a real (local, throwaway) broken deployment with the bundled runbook.
    Demo(DemoArgs),
    /// Print shell completions: stepwise completions bash|zsh|fish > file.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Args, Debug, Clone, Default)]
pub struct DriveArgs {
    /// Give an input a value: --var STABLE_TAG=v1.4.2 (repeatable). Not for
    /// secrets: argv is visible to every user; use --var-file or STEPWISE_VAR_NAME.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Give an input the content of a file (without its final newline); PATH -
    /// reads one line of stdin (repeatable). For secrets, like STEPWISE_VAR_NAME=VALUE
    /// in the environment.
    #[arg(long = "var-file", value_name = "NAME=PATH")]
    pub var_files: Vec<String>,
    /// Run automated steps back to back until a human step, a confirm step or a failure.
    #[arg(long)]
    pub auto: bool,
    /// Plain line output, no screen (chosen automatically when stdout is not a terminal).
    #[arg(long)]
    pub headless: bool,
    /// Headless: confirm every human step and run every `confirm: true` step (recorded as
    /// the flag's: "--yes (user@host)").
    #[arg(long)]
    pub yes: bool,
    /// Headless: answer one step: STEP=done[:note], STEP=skip:<reason>, STEP=run (a
    /// `confirm: true` step's go-ahead), STEP=rerun (or
    /// retry: a fleet step re-runs its failed hosts only), STEP=continue (a fleet step: go
    /// on after each batch), STEP=accept:<reason> (a failed fleet step: go on, recorded),
    /// STEP=abort[:reason].
    #[arg(long = "answer", value_name = "STEP=ANSWER")]
    pub answers: Vec<String>,
    /// Also write the transcript into this folder.
    #[arg(long, value_name = "DIR")]
    pub transcript_dir: Option<PathBuf>,
    /// Who is at the keyboard, recorded on every action (default: the account's name).
    #[arg(long, value_name = "NAME")]
    pub operator: Option<String>,
    /// Fleet steps: pass `-F FILE` to every ssh call (default: $STEPWISE_SSH_CONFIG,
    /// else ssh's own ~/.ssh/config).
    #[arg(long, value_name = "FILE")]
    pub ssh_config: Option<PathBuf>,
    /// Fleet steps: run on these hosts only (comma-separated), recorded in the journal.
    #[arg(long, value_name = "HOST,HOST")]
    pub limit: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// The runbook file (YAML).
    pub file: PathBuf,
    #[command(flatten)]
    pub drive: DriveArgs,
    /// Show everything that would run, with its environment; run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Start at this step id; earlier steps are recorded as skipped.
    #[arg(long, value_name = "STEP")]
    pub from: Option<String>,
    /// Trust this runbook's commands without the one-time review (needed headless for a new or changed file).
    #[arg(long)]
    pub trust: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ResumeArgs {
    /// Session id, unique prefix of one, or a session folder (default: the
    /// most recent unfinished session). A folder outside this home's
    /// sessions/ is reviewed like a new runbook: its runbook copy must be
    /// trusted once (the trust screen; --trust headless).
    pub session: Option<String>,
    #[command(flatten)]
    pub drive: DriveArgs,
    /// Trust the runbook copy of a session folder outside the home without
    /// the one-time review (needed headless for such a folder).
    #[arg(long)]
    pub trust: bool,
    /// Why the session is taken up (recorded; e.g. "shift change" at a handover).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct DemoArgs {
    #[command(flatten)]
    pub drive: DriveArgs,
    /// Keep the sandbox folder afterwards and print where it is.
    #[arg(long)]
    pub keep: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFormat {
    Line,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Md,
    Json,
    Html,
}
