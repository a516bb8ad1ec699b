//! Starting and resuming sessions from the command line: read the runbook,
//! resolve inputs, open the session, run the engine under the chosen driver
//! (headless or the TUI), and report where the record is.
//!
//! Glue only: no step logic (the core's engine decides, and is the only
//! journal writer) and no drawing (tui). Each part is a small module:
//! `options` (plain data, no clap below `main`), `runbook_file`, `inputs`,
//! `secrets` (what a resume must be given again), `answers` (headless),
//! `signals`, `refresher` (the transcript kept fresh), `report` (the end),
//! `warm` (the runtime and the step runner, made ahead).

mod answers;
mod inputs;
pub mod options;
mod refresher;
mod report;
mod runbook_file;
mod secrets;
mod signals;
mod values;
mod warm;

pub use crate::outcome::Failure;
pub use answers::is_headless;
pub use options::{DriveOptions, ResumeOptions, RunOptions};
pub use runbook_file::{base_dir, read_runbook, shell_for};
pub use secrets::secrets_to_give_again;

use crate::engine::command::{Command, End};
use crate::engine::engine::{Engine, FleetSetup, Setup, UPDATES_IN_FLIGHT};
use crate::engine::open::{self, Opened};
use crate::headless::{self, Answers};
use crate::runner::SshOptions;
use crate::session::clock::SystemClock;
use crate::session::state::Session;
use crate::session::store;
use answers::{answers, check_answers};
use inputs::{ask_missing_inputs, resolve_inputs};
use secrets::{ask_missing_secrets, check_secrets_given, resumed_values};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// `stepwise run`.
pub fn run(home: &Path, args: RunOptions) -> Result<i32, Failure> {
    crate::invocation::remember_home(home);
    crate::invocation::remember_ssh_config(args.drive.ssh_config.as_deref());
    let (runbook, source) = read_runbook(&args.file)?;
    let given_values = values::collect(&args.drive)?;
    let vars = values::for_use(
        &given_values,
        |n| runbook.input(n).is_some(),
        |n| runbook.input(n).is_some_and(|i| i.secret),
    );
    check_answers(&runbook, &args.drive)?;
    if args.dry_run {
        // A dry run shows the plan even when inputs are missing: they are
        // listed as missing rather than refused. An untrusted runbook's
        // `default_from` commands are not run for it.
        let (for_inputs, note) = crate::trust::for_dry_run(home, &args.file, &source, &runbook);
        if let Some(note) = note {
            crate::say!("{note}");
        }
        let res = crate::engine::inputs::resolve(
            &for_inputs,
            &vars,
            &shell_for(&runbook),
            &runbook.env,
            Some(&base_dir(&args.file)),
        );
        let mut plan = crate::dryrun::plan(&runbook, &res.given, &shell_for(&runbook));
        plan.push_str(&crate::dryrun::missing(&runbook, &res.given));
        for e in &res.errors {
            plan.push_str(&format!("  note: {e}\n"));
        }
        // A note may quote a `default_from` command's stderr, a name from
        // the command line: nothing in the plan may act on the terminal.
        print!("{}", crate::text::show_controls(&plan));
        return Ok(0);
    }
    // Before the trust store in it is read or written.
    crate::session::guard::check_home(home).map_err(Failure::usage)?;
    check_operator(&args.drive)?;
    let ask = crate::trust_prompt::asker(is_headless(&args.drive));
    crate::trust::ensure(home, &args.file, &source, &runbook, args.trust, ask)?;
    let given = if is_headless(&args.drive) {
        resolve_inputs(&runbook, &args.file, &vars)?
    } else {
        ask_missing_inputs(&runbook, &args.file, vars)?
    };
    let given = values::label_sources(given, &given_values);
    // Recorded absolute, so a resume from another folder finds the runbook's
    // folder (where commands run) and can tell whether the file changed.
    let file = std::fs::canonicalize(&args.file).unwrap_or_else(|_| args.file.clone());
    let warm = warm::Warm::new(is_headless(&args.drive))?;
    warm.prepare_for(&runbook);
    let opened = open::start(open::StartOptions {
        home,
        runbook_path: &file,
        source: &source,
        runbook,
        // Headless drives in auto mode: the record says so from the start.
        auto: args.drive.auto || is_headless(&args.drive),
        from_step: args.from.clone(),
        inputs: &given,
        clock: Arc::new(SystemClock),
        operator: args.drive.operator.clone(),
    })
    .map_err(Failure::usage)?;
    let values = given.into_iter().map(|g| (g.name, g.value)).collect();
    drive(opened, &file, values, &args.drive, warm)
}

/// `stepwise resume`.
pub fn resume(home: &Path, args: ResumeOptions) -> Result<i32, Failure> {
    crate::invocation::remember_home(home);
    crate::invocation::remember_ssh_config(args.drive.ssh_config.as_deref());
    let what = match &args.session {
        Some(s) => s.clone(),
        None => most_recent_unfinished(home)?,
    };
    check_operator(&args.drive)?;
    let given = values::collect(&args.drive)?;
    let vars = std::cell::RefCell::new(Vec::new());
    let screen = !is_headless(&args.drive);
    crate::session::guard::check_home(home).map_err(Failure::usage)?;
    trust_outside_folder(home, &what, &args)?;
    if let Ok(dir) = store::find(home, &what) {
        crate::invocation::remember_session_dir(&dir);
    }
    // Checked on the session as read under its lock, before anything is
    // written: a refusal leaves it as it was. With a screen, secrets not
    // given are asked for, masked (a `--var` shows in `ps` and history).
    let check = |session: &Session| {
        let again = secrets_to_give_again(session);
        let known = |n: &str| session.runbook.input(n).is_some() || again.iter().any(|a| a == n);
        let secret = |n: &str| {
            session.runbook.input(n).is_some_and(|i| i.secret) || again.iter().any(|a| a == n)
        };
        *vars.borrow_mut() = values::for_use(&given, known, secret);
        if screen {
            ask_missing_secrets(session, &mut vars.borrow_mut())?;
        }
        check_secrets_given(session, &vars.borrow())
            .and_then(|()| check_answers(&session.runbook, &args.drive))
            .map_err(|f| f.message)
    };
    let taker = open::Taker {
        operator: args.drive.operator.clone(),
        reason: args.reason.clone(),
    };
    let opened = open::resume_as(home, &what, Arc::new(SystemClock), &taker, &check)
        .map_err(Failure::usage)?;
    let vars = vars.into_inner();
    for w in &opened.warnings {
        crate::say!("warning: {w}");
    }
    let values = resumed_values(&opened, &vars);
    let path = PathBuf::from(&opened.session.runbook_path);
    let warm = warm::Warm::new(is_headless(&args.drive))?;
    drive(opened, &path, values, &args.drive, warm)
}

/// A session folder named by a path outside this home's `sessions/` (a
/// copy from elsewhere, a folder someone handed over) has a runbook copy
/// nobody here reviewed: it goes through the trust check like a new
/// runbook file, keyed by the copy's own path and hash. Its journal's
/// record of that hash is checked afterwards, under the lock.
fn trust_outside_folder(home: &Path, what: &str, args: &ResumeOptions) -> Result<(), Failure> {
    let dir = store::find(home, what).map_err(Failure::usage)?;
    if store::is_in_home(home, &dir) {
        return Ok(());
    }
    let copy = dir.join(store::RUNBOOK_COPY);
    let bytes = crate::session::fsutil::read_no_follow(&copy)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", copy.display())))?;
    let text = String::from_utf8_lossy(&bytes);
    let runbook = crate::runbook::load::load_copy(&copy.display().to_string(), &text)
        .map_err(|e| Failure::usage(crate::runbook::load::render_plain(&e)))?;
    let ask = crate::trust_prompt::asker(is_headless(&args.drive));
    crate::trust::ensure(home, &copy, &bytes, &runbook, args.trust, ask)
}

/// `--operator` must be a name a transcript can show.
fn check_operator(args: &DriveOptions) -> Result<(), Failure> {
    match &args.operator {
        Some(name) => open::check_operator(name).map_err(Failure::usage),
        None => Ok(()),
    }
}

fn most_recent_unfinished(home: &Path) -> Result<String, Failure> {
    let ids = store::list_ids(home).map_err(|e| Failure::usage(e.to_string()))?;
    let mut unreadable = None;
    for id in ids.into_iter().rev() {
        match store::summarize(&store::sessions_dir(home).join(&id)) {
            Ok(s) if s.status.is_resumable() => return Ok(id),
            Ok(_) => {}
            // A damaged journal must not hide its session: say why it
            // cannot be resumed rather than "no unfinished session".
            Err(e) => {
                unreadable.get_or_insert(format!("session {id} cannot be resumed: {e}"));
            }
        }
    }
    Err(Failure::usage(unreadable.unwrap_or_else(|| {
        format!("no unfinished session in {}", home.display())
    })))
}

/// Runs the engine under the chosen driver until the session ends.
fn drive(
    opened: Opened,
    runbook_path: &Path,
    values: Vec<(String, String)>,
    args: &DriveOptions,
    warm: warm::Warm,
) -> Result<i32, Failure> {
    crate::invocation::remember_session_dir(&opened.dir);
    let headless = is_headless(args);
    let answers = answers(
        args,
        std::io::stdin().is_terminal() || args.answers.is_empty(),
    )?;
    let checked = opened.checked.clone();
    let (refresh_hook, refresher) =
        refresher::transcript_refresher(opened.dir.clone(), checked.clone());
    let setup = setup(
        &opened,
        runbook_path,
        values,
        args,
        &answers,
        refresh_hook,
        warm.runner,
    );
    // The demo (closed when left) removes its sandbox, the runbook's
    // folder, as it ends: a copy of the transcript there would be a path
    // to nothing.
    let removed = args.close_when_left.is_some();
    let extra_dir = args.transcript_dir.clone().or_else(|| {
        if removed {
            return None;
        }
        opened
            .session
            .runbook
            .transcript_dir
            .as_ref()
            .map(|d| base_dir(runbook_path).join(without_dots(d)))
    });
    let rt = warm.rt;
    let dir = opened.dir.clone();
    let driver = Driver {
        headless,
        answers,
        quit_note: args.quit_note.clone(),
    };
    let (mut code, end, lock) = rt.block_on(driver.run(opened, setup));
    // The engine (and with it the hook) is gone: the refresher ends.
    let _ = refresher.join();
    if args.close_when_left.is_some() && matches!(end, End::Left | End::Interrupted(_)) {
        crate::say!(
            "session closed: {}",
            args.close_when_left.as_deref().unwrap_or("")
        );
        // Recorded as aborted: the exit code of a person quitting says so
        // too (the README's 5), as does a headless run that stopped to wait
        // for a person (no resume can answer it).
        if matches!(end, End::Left) && code == crate::outcome::Exit::Completed as i32 {
            code = crate::outcome::Exit::Aborted as i32;
        }
    }
    // The lock is held until the final transcript is written.
    report::report_end(&dir, extra_dir.as_deref(), checked.as_ref());
    drop(lock);
    Ok(code)
}

/// What the engine runs a session with, from the drive options.
fn setup(
    opened: &Opened,
    runbook_path: &Path,
    values: Vec<(String, String)>,
    args: &DriveOptions,
    answers: &Answers,
    after_step: Box<dyn Fn() + Send + Sync>,
    runner: Arc<crate::runner::MonitorRunner>,
) -> Setup {
    let headless = is_headless(args);
    // Secret inputs, and (on resume) captures made from a secret given again.
    let given_again = secrets_to_give_again(&opened.session);
    let runbook = &opened.session.runbook;
    let secrets: Vec<String> = values
        .iter()
        .filter(|(k, _)| runbook.input(k).is_some_and(|i| i.secret) || given_again.contains(k))
        .map(|(_, v)| v.clone())
        .collect();
    Setup {
        session_dir: opened.dir.clone(),
        shell: shell_for(runbook),
        base_dir: base_dir(runbook_path),
        values,
        secrets,
        auto: args.auto || headless,
        pause_at_optional: !headless,
        held: answers.by_step.keys().cloned().collect(),
        grace: Duration::from_secs(5),
        drain: Duration::from_secs(2),
        after_step: Some(after_step),
        runner,
        close_when_left: args.close_when_left.clone(),
        cadence_sends: headless,
        ask_before_closing: !headless,
        fleet: FleetSetup {
            ssh: None,
            ssh_options: SshOptions {
                config: args.ssh_config.clone(),
                connect_timeout: None,
            },
            limit: args.limit.clone(),
        },
    }
}

/// The driver side of a session: the engine task, the signal forwarder,
/// and headless output or the interface.
struct Driver {
    headless: bool,
    answers: Answers,
    quit_note: Option<String>,
}

impl Driver {
    async fn run(self, opened: Opened, setup: Setup) -> (i32, End, store::SessionLock) {
        let (cmd_tx, cmd_rx) = mpsc::channel(64);
        let (up_tx, up_rx) = mpsc::channel(UPDATES_IN_FLIGHT);
        let session = opened.session.clone();
        let dir = opened.dir.clone();
        let secret_names: Vec<String> = session
            .runbook
            .inputs
            .iter()
            .filter(|i| i.secret)
            .map(|i| i.name.clone())
            .collect();
        // Warnings of the resume (a changed runbook file, …) were printed
        // before the screen took the terminal, where they would be hidden:
        // the screen opens with them in its status bar too.
        if !self.headless {
            for w in &opened.warnings {
                let _ = up_tx.try_send(crate::engine::command::Update::Rejected(format!(
                    "warning: {w}"
                )));
            }
        }
        let engine = Engine::new(opened.journal, opened.session, setup, up_tx);
        // Registered before the engine can start a step and before anything
        // is shown: a signal right after the first question must find the
        // handler (registering inside the spawned task lost that race on a
        // loaded machine).
        let listening = signals::listen_to_signals();
        let engine_task = tokio::spawn(engine.run(cmd_rx));
        let signals = tokio::spawn(signals::forward_signals(listening, cmd_tx.clone()));
        let stop = cmd_tx.clone();
        let exit = if self.headless {
            let out = crate::aligned_out::AlignedOut::stdout();
            headless::drive(
                session,
                self.answers,
                out,
                cmd_tx,
                up_rx,
                Arc::new(SystemClock),
                dir.parent().map(Path::to_path_buf),
            )
            .await
        } else {
            let tui = crate::tui::run(
                session,
                cmd_tx,
                up_rx,
                secret_names,
                Some(&dir),
                self.quit_note,
            );
            report::tui_exit(tui.await)
        };
        // The driver is done (normally because the engine ended). If it
        // failed instead (a lost terminal), the engine must not wait for
        // commands forever holding the lock: leave, which keeps it
        // resumable, and a running step running (resume re-attaches);
        // recorded as stepwise's, not as a person leaving.
        let reason = "the interface stopped: its terminal failed".to_owned();
        let _ = stop.send(Command::DriverGone { reason }).await;
        signals.abort();
        let end = engine_task
            .await
            .unwrap_or(End::Failed("the engine stopped unexpectedly".into()));
        (report::exit_code(exit, &end), end, opened.lock)
    }
}

/// A relative path from a runbook without its `.` parts (`./drills` →
/// `drills`), so the paths printed from it read cleanly.
fn without_dots(path: &str) -> PathBuf {
    let parts = Path::new(path).components();
    parts
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::without_dots;
    use std::path::Path;

    #[test]
    fn a_runbooks_transcript_dir_loses_its_dot_parts() {
        assert_eq!(without_dots("./drills"), Path::new("drills"));
        assert_eq!(without_dots("a/./b/"), Path::new("a/b"));
        assert_eq!(without_dots("../up"), Path::new("../up"));
    }
}
