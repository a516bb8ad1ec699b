//! Starting and resuming sessions from the command line: load the runbook,
//! resolve inputs, open the session, run the engine under the chosen driver
//! (headless or the TUI), handle signals, and report where the record is.
//!
//! Glue only: no step logic (engine) and no drawing (tui).

use crate::cli::{DriveArgs, ResumeArgs, RunArgs};
use crate::engine::command::{Command, End};
use crate::engine::engine::{Engine, Setup};
use crate::engine::inputs::{self, Given};
use crate::engine::open::{self, Opened};
use crate::headless::{self, Answers, Exit};
use crate::runbook::model::Runbook;
use crate::session::clock::SystemClock;
use crate::session::store;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

mod values;

/// A user-facing failure before the session runs: message and exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: i32,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: Exit::Invalid as i32,
        }
    }

    /// A screen shown before the session (picker, trust, inputs form)
    /// failed: an error of the terminal. (A stop signal there ends stepwise
    /// with 130 from `tui::screen` itself.)
    pub fn from_screen(what: &str, e: std::io::Error) -> Failure {
        Failure::usage(format!("{what} failed: {e}"))
    }
}

/// Reads and validates a runbook, keeping its exact bytes for the session copy.
pub fn read_runbook(path: &Path) -> Result<(Runbook, Vec<u8>), Failure> {
    let render =
        |e: crate::runbook::load::LoadError| Failure::usage(crate::runbook::load::render_plain(&e));
    let bytes = match std::fs::metadata(path) {
        Ok(m) if m.is_file() && m.len() <= crate::runbook::load::MAX_FILE_BYTES => {
            std::fs::read(path).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?
        }
        _ => {
            return Err(render(
                crate::runbook::load::load_file(path)
                    .err()
                    .unwrap_or_else(unreadable),
            ));
        }
    };
    match std::str::from_utf8(&bytes) {
        Ok(text) => {
            let rb = crate::runbook::load::load_str(&path.display().to_string(), text)
                .map_err(render)?;
            Ok((rb, bytes))
        }
        Err(_) => Err(render(
            crate::runbook::load::load_file(path)
                .err()
                .unwrap_or_else(unreadable),
        )),
    }
}

fn unreadable() -> crate::runbook::load::LoadError {
    crate::runbook::load::load_str("<file>", "\0").expect_err("NUL is never a runbook")
}

fn answers(args: &DriveArgs, ask_stdin: bool) -> Result<Answers, Failure> {
    let mut by_step = HashMap::new();
    for a in &args.answers {
        let (step, ans) = headless::parse_answer(a).map_err(Failure::usage)?;
        by_step.insert(step, ans);
    }
    Ok(Answers {
        yes: args.yes,
        by_step,
        ask_stdin,
    })
}

/// Refuses `--answer` for a step the runbook does not have (a typo would
/// otherwise surface as a mysterious wait for a human).
fn check_answers(runbook: &Runbook, args: &DriveArgs) -> Result<(), Failure> {
    for a in &args.answers {
        let (step, _) = headless::parse_answer(a).map_err(Failure::usage)?;
        if runbook.step(&step).is_none() {
            let ids: Vec<&str> = runbook.steps().map(|(_, s)| s.id.as_str()).collect();
            return Err(Failure::usage(format!(
                "--answer {a}: the runbook has no step `{step}`. Step ids: {}",
                ids.join(", ")
            )));
        }
    }
    Ok(())
}

/// Whether to drive without a screen.
pub fn is_headless(args: &DriveArgs) -> bool {
    args.headless || !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal()
}

/// The shell a runbook's commands run under.
pub fn shell_for(runbook: &Runbook) -> Vec<String> {
    runbook
        .shell
        .clone()
        .unwrap_or_else(crate::engine::process::default_shell)
}

/// The folder relative paths in a runbook are taken from.
pub fn base_dir(runbook_path: &Path) -> PathBuf {
    let dir = runbook_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned())
}

/// Resolves inputs without asking; every problem is a usage failure.
pub fn resolve_inputs(
    runbook: &Runbook,
    path: &Path,
    vars: &[(String, String)],
) -> Result<Vec<Given>, Failure> {
    let res = inputs::resolve(
        runbook,
        vars,
        &shell_for(runbook),
        &runbook.env,
        Some(&base_dir(path)),
    );
    let mut problems = res.errors;
    for name in &res.missing {
        if runbook.input(name).is_some_and(|i| i.required) {
            problems.push(format!(
                "input {name} has no value: give it with --var {name}=…"
            ));
        }
    }
    if problems.is_empty() {
        Ok(res.given)
    } else {
        Err(Failure::usage(problems.join("\n")))
    }
}

/// `stepwise run`.
pub fn run(home: &Path, args: RunArgs) -> Result<i32, Failure> {
    let (runbook, source) = read_runbook(&args.file)?;
    let given = values::collect(&args.drive)?;
    let vars = values::for_use(
        &given,
        |n| runbook.input(n).is_some(),
        |n| runbook.input(n).is_some_and(|i| i.secret),
    );
    check_answers(&runbook, &args.drive)?;
    if args.dry_run {
        // A dry run shows the plan even when inputs are missing: they are
        // listed as missing rather than refused. An untrusted runbook's
        // `default_from` commands are not run for it.
        let for_inputs = crate::trust::for_dry_run(home, &args.file, &source, &runbook);
        let res = inputs::resolve(
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
        print!("{}", crate::inert::show_controls(&plan));
        return Ok(0);
    }
    // Before the trust store in it is read or written.
    crate::session::guard::check_home(home).map_err(Failure::usage)?;
    let ask = crate::trust_prompt::asker(is_headless(&args.drive));
    crate::trust::ensure(home, &args.file, &source, &runbook, args.trust, ask)?;
    let given = if is_headless(&args.drive) {
        resolve_inputs(&runbook, &args.file, &vars)?
    } else {
        ask_missing_inputs(&runbook, &args.file, vars)?
    };
    // Recorded absolute, so a resume from another folder finds the runbook's
    // folder (where commands run) and can tell whether the file changed.
    let file = std::fs::canonicalize(&args.file).unwrap_or_else(|_| args.file.clone());
    let opened = open::start(open::StartOptions {
        home,
        runbook_path: &file,
        source: &source,
        runbook,
        auto: args.drive.auto,
        from_step: args.from.clone(),
        inputs: &given,
        clock: Arc::new(SystemClock),
    })
    .map_err(Failure::usage)?;
    let values = given.into_iter().map(|g| (g.name, g.value)).collect();
    drive(opened, &file, values, &args.drive)
}

/// With a screen: when a required input has no value, the inputs form asks
/// for all of them (prefilled with what `--var`, defaults and `default_from`
/// gave). Headless runs never get here: they keep the usage error.
fn ask_missing_inputs(
    runbook: &Runbook,
    path: &Path,
    vars: Vec<(String, String)>,
) -> Result<Vec<Given>, Failure> {
    // Resolved once: `default_from` commands run a single time.
    let res = inputs::resolve(
        runbook,
        &vars,
        &shell_for(runbook),
        &runbook.env,
        Some(&base_dir(path)),
    );
    if !res.errors.is_empty() {
        return Err(Failure::usage(res.errors.join("\n")));
    }
    let missing = res
        .missing
        .iter()
        .any(|n| runbook.input(n).is_some_and(|i| i.required));
    if !missing {
        return Ok(res.given);
    }
    let prefilled: Vec<(String, String)> = res
        .given
        .iter()
        .map(|g| (g.name.clone(), g.value.clone()))
        .collect();
    let values = match crate::tui::ask_inputs(runbook, &prefilled) {
        Ok(Some(values)) => values,
        Ok(None) => {
            return Err(Failure::usage(
                "no session started: the inputs form was cancelled",
            ));
        }
        Err(e) => return Err(Failure::from_screen("the inputs form", e)),
    };
    // A value left as it was keeps its source; anything else was typed.
    Ok(values
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(name, value)| {
            let source = res
                .given
                .iter()
                .find(|g| g.name == name && g.value == value)
                .map_or(crate::session::event::InputSource::Prompt, |g| g.source);
            Given {
                name,
                value,
                source,
            }
        })
        .collect())
}

/// `stepwise resume`.
pub fn resume(home: &Path, args: ResumeArgs) -> Result<i32, Failure> {
    let what = match &args.session {
        Some(s) => s.clone(),
        None => most_recent_unfinished(home)?,
    };
    let given = values::collect(&args.drive)?;
    let vars = std::cell::RefCell::new(Vec::new());
    let screen = !is_headless(&args.drive);
    crate::session::guard::check_home(home).map_err(Failure::usage)?;
    trust_outside_folder(home, &what, &args)?;
    // Checked on the session as read under its lock, before anything is
    // written: a refusal leaves it as it was. With a screen, secrets not
    // given are asked for, masked (a `--var` shows in `ps` and history).
    let check = |session: &crate::session::state::Session| {
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
    let opened =
        open::resume(home, &what, Arc::new(SystemClock), &check).map_err(Failure::usage)?;
    let vars = vars.into_inner();
    for w in &opened.warnings {
        crate::say!("warning: {w}");
    }
    let values = resumed_values(&opened, &vars);
    let path = PathBuf::from(&opened.session.runbook_path);
    drive(opened, &path, values, &args.drive)
}

/// A session folder named by a path outside this home's `sessions/` (a
/// copy from elsewhere, a folder someone handed over) has a runbook copy
/// nobody here reviewed: it goes through the trust check like a new
/// runbook file, keyed by the copy's own path and hash. Its journal's
/// record of that hash is checked afterwards, under the lock.
fn trust_outside_folder(home: &Path, what: &str, args: &ResumeArgs) -> Result<(), Failure> {
    let dir = store::find(home, what).map_err(Failure::usage)?;
    if store::is_in_home(home, &dir) {
        return Ok(());
    }
    let copy = dir.join(store::RUNBOOK_COPY);
    let bytes = crate::session::fsutil::read_no_follow(&copy)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", copy.display())))?;
    let text = String::from_utf8_lossy(&bytes);
    let runbook = crate::runbook::load::load_str(&copy.display().to_string(), &text)
        .map_err(|e| Failure::usage(crate::runbook::load::render_plain(&e)))?;
    let ask = crate::trust_prompt::asker(is_headless(&args.drive));
    crate::trust::ensure(home, &copy, &bytes, &runbook, args.trust, ask)
}

fn most_recent_unfinished(home: &Path) -> Result<String, Failure> {
    let ids = store::list_ids(home).map_err(|e| Failure::usage(e.to_string()))?;
    let mut unreadable = None;
    for id in ids.into_iter().rev() {
        match store::summarize(&store::sessions_dir(home).join(&id)) {
            Ok(s) if s.status.contains("resumable") => return Ok(id),
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

/// Input values for a resumed session: the journal's (non-secret) values and
/// captures, with secrets given again by `--var` (they were never stored).
fn resumed_values(o: &Opened, vars: &[(String, String)]) -> Vec<(String, String)> {
    let s = &o.session;
    let mut values: Vec<(String, String)> = s
        .inputs
        .iter()
        .chain(s.captures.iter())
        .filter(|i| !i.secret)
        .map(|i| (i.name.clone(), i.value.clone()))
        .collect();
    let secret = |name: &str| secrets_to_give_again(s).iter().any(|n| n == name);
    values.extend(vars.iter().filter(|(k, _)| secret(k)).cloned());
    values
}

/// Secret values a resumed session needs again, since none was stored:
/// secret inputs that were given or are required, and captures made from a
/// secret (later steps would otherwise run with them empty).
pub fn secrets_to_give_again(s: &crate::session::state::Session) -> Vec<String> {
    let inputs = s.runbook.inputs.iter().filter(|i| i.secret);
    let given = |name: &str| s.inputs.iter().any(|g| g.name == name);
    inputs
        .filter(|i| i.required || given(&i.name))
        .map(|i| i.name.clone())
        .chain(
            s.captures
                .iter()
                .filter(|c| c.secret)
                .map(|c| c.name.clone()),
        )
        .collect()
}

/// With a screen: asks for the secrets a resume needs and `--var` did not
/// give, in the inputs form (typed masked), and adds them to `vars`.
fn ask_missing_secrets(
    session: &crate::session::state::Session,
    vars: &mut Vec<(String, String)>,
) -> Result<(), String> {
    let missing: Vec<String> = secrets_to_give_again(session)
        .into_iter()
        .filter(|n| !vars.iter().any(|(k, _)| k == n))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut form = session.runbook.clone();
    form.inputs = missing.iter().map(|n| secret_to_ask(session, n)).collect();
    match crate::tui::ask_inputs(&form, &[]) {
        Ok(Some(values)) => {
            vars.extend(values.into_iter().filter(|(_, v)| !v.is_empty()));
            Ok(())
        }
        Ok(None) => Err("not resumed: the secrets were not given (nothing was written)".into()),
        Err(e) => Err(Failure::from_screen("the inputs form", e).message),
    }
}

/// The form field for a secret a resume needs: the runbook's input as it
/// is (without defaults: none was stored), or one for a capture made from a
/// secret.
fn secret_to_ask(
    session: &crate::session::state::Session,
    name: &str,
) -> crate::runbook::model::Input {
    match session.runbook.input(name) {
        Some(i) => crate::runbook::model::Input {
            default: None,
            default_from: None,
            required: true,
            ..i.clone()
        },
        None => crate::runbook::model::Input {
            name: name.to_owned(),
            description: Some("captured from a secret by an earlier step: its value then".into()),
            default: None,
            default_from: None,
            pattern: None,
            choices: Vec::new(),
            required: true,
            secret: true,
        },
    }
}

/// Refuses a resume that lacks a secret, before anything is written.
fn check_secrets_given(
    session: &crate::session::state::Session,
    vars: &[(String, String)],
) -> Result<(), Failure> {
    let missing: Vec<String> = secrets_to_give_again(session)
        .into_iter()
        .filter(|n| !vars.iter().any(|(k, _)| k == n))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Failure::usage(format!(
        "{} secret and never stored: give {} again: stepwise resume {}{}",
        missing.join(", "),
        if missing.len() == 1 { "it" } else { "them" },
        session.id,
        secret_flags(&missing)
    )))
}

/// How to give secrets again on resume, without putting them in argv:
/// ` --var-file NAME=PATH…`, and the environment alternative.
fn secret_flags(names: &[String]) -> String {
    if names.is_empty() {
        return String::new();
    }
    let files: String = names
        .iter()
        .map(|n| format!(" --var-file {n}=PATH"))
        .collect();
    let env: Vec<String> = names
        .iter()
        .map(|n| format!("{}{n}", values::ENV_PREFIX))
        .collect();
    format!(
        "{files}
  (PATH: a file only you can read, or - for one line of stdin; or set {} in the \
         environment. Not --var: other users can read the command line)",
        env.join(", ")
    )
}

/// Runs the engine under the chosen driver until the session ends.
fn drive(
    opened: Opened,
    runbook_path: &Path,
    values: Vec<(String, String)>,
    args: &DriveArgs,
) -> Result<i32, Failure> {
    let headless = is_headless(args);
    let answers = answers(
        args,
        std::io::stdin().is_terminal() || args.answers.is_empty(),
    )?;
    let secret_names: Vec<String> = opened
        .session
        .runbook
        .inputs
        .iter()
        .filter(|i| i.secret)
        .map(|i| i.name.clone())
        .collect();
    // Secret inputs, and (on resume) captures made from a secret given again.
    let given_again = secrets_to_give_again(&opened.session);
    let secrets: Vec<String> = values
        .iter()
        .filter(|(k, _)| {
            opened.session.runbook.input(k).is_some_and(|i| i.secret) || given_again.contains(k)
        })
        .map(|(_, v)| v.clone())
        .collect();
    let checked = opened.checked.clone();
    let (refresh_hook, refresher) = transcript_refresher(opened.dir.clone(), checked.clone());
    let setup = Setup {
        session_dir: opened.dir.clone(),
        shell: shell_for(&opened.session.runbook),
        base_dir: base_dir(runbook_path),
        values,
        secrets,
        auto: args.auto || headless,
        pause_at_optional: !headless,
        held: answers.by_step.keys().cloned().collect(),
        grace: Duration::from_secs(5),
        drain: Duration::from_secs(2),
        after_step: Some(refresh_hook),
    };
    let extra_dir = args.transcript_dir.clone().or_else(|| {
        opened
            .session
            .runbook
            .transcript_dir
            .as_ref()
            .map(|d| base_dir(runbook_path).join(d))
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the runtime: {e}")))?;
    let dir = opened.dir.clone();
    let dir_for_tui = opened.dir.clone();
    let code = rt.block_on(async move {
        let (cmd_tx, cmd_rx) = mpsc::channel(64);
        let (up_tx, up_rx) = mpsc::channel(crate::engine::engine::UPDATES_IN_FLIGHT);
        let session = opened.session.clone();
        let engine = Engine::new(opened.journal, opened.session, setup, up_tx);
        let lock = opened.lock;
        // Registered before the engine can start a step and before anything
        // is shown: a signal right after the first question must find the
        // handler (registering inside the spawned task lost that race on a
        // loaded machine).
        let listening = listen_to_signals();
        let engine_task = tokio::spawn(engine.run(cmd_rx));
        let signals = tokio::spawn(forward_signals(listening, cmd_tx.clone()));
        let stop = cmd_tx.clone();
        let exit = if headless {
            let out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
            headless::drive(session, answers, out, cmd_tx, up_rx).await
        } else {
            let note = args.quit_note.clone();
            let tui = crate::tui::run(
                session,
                cmd_tx,
                up_rx,
                secret_names,
                Some(&dir_for_tui),
                note,
            );
            tui_exit(tui.await)
        };
        // The driver is done (normally because the engine ended). If it
        // failed instead (a lost terminal), the engine must not wait for
        // commands forever holding the lock: leave, which keeps it resumable.
        let _ = stop.send(Command::Leave).await;
        signals.abort();
        let end = engine_task
            .await
            .unwrap_or(End::Failed("the engine stopped unexpectedly".into()));
        (exit_code(exit, &end), lock)
    });
    let (code, lock) = code;
    // The engine (and with it the hook) is gone: the refresher ends.
    let _ = refresher.join();
    // The lock is held until the final transcript is written.
    if let Some(reason) = &args.close_when_left
        && let Err(e) = close_if_left(&dir, reason)
    {
        crate::say!("warning: the session could not be closed: {e}");
    }
    report_end(&dir, extra_dir.as_deref(), checked.as_ref());
    drop(lock);
    Ok(code)
}

/// The exit code; a record that could not be written is said once (the
/// drivers say it when they see it).
fn exit_code(exit: Exit, end: &End) -> i32 {
    match end {
        End::Failed(msg) => {
            if exit != Exit::Unrecorded {
                crate::say!("error: {msg}");
            }
            Exit::Unrecorded as i32
        }
        _ => exit as i32,
    }
}

fn tui_exit(end: std::io::Result<crate::tui::TuiEnd>) -> Exit {
    use crate::tui::TuiEnd;
    match end {
        Ok(TuiEnd::Completed) => Exit::Completed,
        Ok(TuiEnd::Aborted) => Exit::Aborted,
        Ok(TuiEnd::Left) | Ok(TuiEnd::Disconnected) => Exit::Completed,
        Ok(TuiEnd::Interrupted(_)) => Exit::Interrupted,
        Ok(TuiEnd::Failed(msg)) => {
            crate::say!("error: {msg}");
            Exit::Unrecorded
        }
        Err(e) => {
            crate::say!("error: the terminal failed: {e}");
            Exit::Failed
        }
    }
}

/// How often, at most, the transcript is rewritten while a session runs.
const TRANSCRIPT_EVERY: Duration = Duration::from_secs(1);

/// Rewrites the session folder's transcript from the journal after steps
/// settle, so a crash still leaves a recent one.
///
/// The hook only signals a background thread, which rewrites the file at
/// most once per [`TRANSCRIPT_EVERY`] and always after the last signal
/// (coalescing a burst of steps): rewriting it after every step made a
/// runbook of many quick steps quadratic (each rewrite reads every
/// attempt's log tail) and put two fsyncs on the engine's path. When the
/// engine drops the hook, the thread ends without writing: the final
/// transcript is written by [`report_end`] after joining it. The part of
/// the journal `checked` when the session was taken up is not hashed again.
fn transcript_refresher(
    dir: PathBuf,
    checked: Option<crate::session::journal::Checked>,
) -> (Box<dyn Fn() + Send + Sync>, std::thread::JoinHandle<()>) {
    use std::sync::mpsc::{RecvTimeoutError, sync_channel};
    let (tx, rx) = sync_channel::<()>(1);
    let worker = std::thread::spawn(move || {
        let mut last: Option<std::time::Instant> = None;
        while rx.recv().is_ok() {
            let due = last.map(|t| t + TRANSCRIPT_EVERY);
            while let Some(wait) =
                due.and_then(|d| d.checked_duration_since(std::time::Instant::now()))
            {
                match rx.recv_timeout(wait) {
                    Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
            let saved = crate::session::verify::read_after(&dir, checked.as_ref())
                .and_then(|c| save_loaded(&dir, None, c));
            if let Err(e) = saved {
                crate::say!("warning: the transcript could not be refreshed: {e}");
            }
            last = Some(std::time::Instant::now());
        }
    });
    let hook = Box::new(move || {
        // Full: a refresh is already asked for; it will see this step too.
        let _ = tx.try_send(());
    });
    (hook, worker)
}

/// Writes the Markdown transcript (session folder, and `extra` if given)
/// of a session folder read and checked.
fn save_loaded(
    dir: &Path,
    extra: Option<&Path>,
    checked: crate::session::verify::Checked,
) -> Result<Vec<PathBuf>, String> {
    let session = &checked.session;
    let mut ctx = crate::transcript::load_context(dir, session, checked.records)
        .map_err(|e| e.to_string())?;
    ctx.integrity = Some(checked.integrity);
    crate::transcript::save(dir, extra, session, &ctx).map_err(|e| e.to_string())
}

/// Closes a session left resumable that nothing could resume: records it
/// aborted, with the reason (the caller holds its lock).
fn close_if_left(dir: &Path, reason: &str) -> Result<(), String> {
    let (session, records) = store::read_session(dir)?;
    if !store::status_word(&records, &session).contains("resumable") {
        return Ok(());
    }
    let jpath = dir.join(store::JOURNAL);
    let loaded = crate::session::journal::read(&jpath).map_err(|e| e.to_string())?;
    let mut journal = crate::session::journal::Journal::reopen(
        &jpath,
        &loaded,
        Arc::new(SystemClock),
        open::actor(),
    )
    .map_err(|e| e.to_string())?;
    let event = crate::session::event::Event::SessionAborted {
        reason: reason.to_owned(),
    };
    journal.append(event, false).map_err(|e| e.to_string())?;
    crate::say!("session closed: {reason}");
    Ok(())
}

/// Tells the person where the session and its record are.
fn report_end(
    dir: &Path,
    extra: Option<&Path>,
    checked: Option<&crate::session::journal::Checked>,
) {
    let id = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // One read of the journal for all of it (it may hold 100,000 records).
    let loaded = crate::session::verify::read_after(dir, checked);
    // Secret values a resume must be given again, when it is resumable.
    let resume_needs = loaded.as_ref().ok().and_then(|c| {
        store::status_word(&c.records, &c.session)
            .contains("resumable")
            .then(|| secrets_to_give_again(&c.session))
    });
    // The record first, then the words: printing can fail on a lost terminal.
    let saved = loaded.and_then(|checked| save_loaded(dir, extra, checked));
    crate::say!("session folder: {}", dir.display());
    match saved {
        Ok(paths) => {
            for p in paths {
                crate::say!("transcript: {}", p.display());
            }
        }
        Err(e) => crate::say!("warning: the transcript could not be written: {e}"),
    }
    if let Some(secrets) = resume_needs {
        let flags = secret_flags(&secrets);
        crate::say!("Session saved. Resume it with:\n  stepwise resume {id}{flags}");
    }
}

type Signals = Option<[tokio::signal::unix::Signal; 3]>;

/// Installs the handlers for SIGINT, SIGTERM and SIGHUP (in that order).
fn listen_to_signals() -> Signals {
    use tokio::signal::unix::{SignalKind, signal};
    Some([
        signal(SignalKind::interrupt()).ok()?,
        signal(SignalKind::terminate()).ok()?,
        signal(SignalKind::hangup()).ok()?,
    ])
}

/// Turns SIGINT, SIGTERM and SIGHUP into engine commands.
async fn forward_signals(signals: Signals, cmds: mpsc::Sender<Command>) {
    let Some([mut int, mut term, mut hup]) = signals else {
        return;
    };
    loop {
        let (name, stop_running) = tokio::select! {
            _ = int.recv() => ("SIGINT", true),
            _ = term.recv() => ("SIGTERM", true),
            _ = hup.recv() => ("SIGHUP", false),
        };
        let cmd = Command::Interrupt {
            signal: name.into(),
            stop_running,
        };
        if cmds.send(cmd).await.is_err() {
            return;
        }
    }
}
