//! The small commands: `validate`, `schema`, `import`, `sessions`, `export`, `verify`,
//! `demo`,
//! the picker, and the hidden demo service. Each reads, prints and returns
//! an exit code; the session work itself lives in `launch` and `engine`.

mod verify;
pub use verify::verify;

use crate::cli::{DemoArgs, ExportFormat, ListFormat};
use crate::launch::Failure;
use crate::session::store;
use std::path::Path;

/// `stepwise validate FILE…`
pub fn validate(files: &[std::path::PathBuf]) -> Result<i32, Failure> {
    let mut code = 0;
    for f in files {
        match crate::runbook::load::load_file(f) {
            Ok(rb) => {
                println!("ok: {}", crate::runbook::load::summary(&rb));
                warn_cut_text(f);
            }
            Err(e) => {
                // Not `say!`: it would show miette's colours inert too.
                use std::io::Write as _;
                let text = crate::runbook::load::render_for_terminal(&e);
                let _ = writeln!(std::io::stderr(), "{text}");
                code = 2;
            }
        }
    }
    Ok(code)
}

/// Warns where a `#` cuts the text of a field short (a YAML comment).
fn warn_cut_text(file: &Path) {
    let Ok(text) = std::fs::read_to_string(file) else {
        return;
    };
    for c in crate::runbook::comments::cut_by_comments(&text) {
        crate::say!(
            "{}:{}:{}: warning: `{}` starts a YAML comment, so it is not part of the text; \
             quote the whole value (\"…\") to keep it",
            file.display(),
            c.line,
            c.column,
            c.dropped
        );
    }
}

/// `stepwise schema`
pub fn schema() -> Result<i32, Failure> {
    let schema = crate::runbook::schema::json_schema();
    println!(
        "{}",
        serde_json::to_string_pretty(&schema).unwrap_or_default()
    );
    Ok(0)
}

/// `stepwise import FILE.md [-o RUNBOOK.yaml] [--id ID]`: the runbook on
/// stdout, or written atomically to `-o`; a summary and what to review on
/// stderr.
pub fn import(file: &Path, output: Option<&Path>, id: Option<String>) -> Result<i32, Failure> {
    let shown = file.display().to_string();
    let fail =
        |e: crate::import::ImportError| Failure::usage(format!("error: import {shown}: {e}"));
    let (name, bytes) = crate::import::read(file).map_err(fail)?;
    let imported =
        crate::import::import(&name, &bytes, &crate::import::Options { id }).map_err(fail)?;
    let summary = crate::runbook::load::summary(&imported.runbook);
    match output {
        None => print!("{}", imported.yaml),
        Some(path) => {
            let document = (file != Path::new("-")).then_some(file);
            crate::import::write(path, &imported.yaml, document).map_err(fail)?;
            crate::say!("wrote {}", path.display());
        }
    }
    crate::say!("imported: {summary}; review the comments at its top before the first run");
    Ok(0)
}

/// `stepwise sessions`
pub fn sessions(home: &Path, all: bool, format: ListFormat) -> Result<i32, Failure> {
    let ids = store::list_ids(home)
        .map_err(|e| Failure::usage(format!("cannot list {}: {e}", home.display())))?;
    let mut rows = Vec::new();
    for id in ids {
        let dir = store::sessions_dir(home).join(&id);
        match store::summarize(&dir) {
            Ok(s) if all || s.status.is_resumable() => rows.push(s),
            Ok(_) => {}
            Err(e) => rows.push(store::Summary::damaged(&dir, e)),
        }
    }
    match format {
        ListFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        ),
        ListFormat::Table => print!("{}", crate::text::show_controls(&table(&rows, all))),
    }
    Ok(0)
}

/// The sessions table, as text (printed with its controls made inert).
fn table(rows: &[store::Summary], all: bool) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    if rows.is_empty() {
        let what = if all {
            "no sessions"
        } else {
            "no unfinished sessions (--all lists every session)"
        };
        let _ = writeln!(out, "{what}");
        return out;
    }
    let _ = writeln!(
        out,
        "{:<44} {:<22} {:<17} {:<17} {:<24} PROGRESS",
        "ID", "RUNBOOK", "STARTED (UTC)", "LAST ACTIVITY", "STATUS"
    );
    let t = |d: Option<chrono::DateTime<chrono::Utc>>| {
        d.map(|d| d.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    };
    for r in rows {
        let _ = writeln!(
            out,
            "{:<44} {:<22} {:<17} {:<17} {:<24} {}/{}",
            r.id,
            r.runbook,
            t(r.started),
            t(r.last_activity),
            if r.running {
                "running now".to_owned()
            } else {
                r.status.to_string()
            },
            r.done,
            r.total
        );
        if let Some(why) = &r.reason {
            let why = why.lines().next().unwrap_or("");
            let _ = writeln!(out, "  {}: {why}", store::DAMAGED);
        }
        if let Some(tr) = &r.transcript {
            let _ = writeln!(out, "  transcript: {}", tr.display());
        }
    }
    out
}

/// `stepwise export`
pub fn export(
    home: &Path,
    what: &str,
    format: ExportFormat,
    output: Option<&Path>,
) -> Result<i32, Failure> {
    use crate::transcript::Format;
    let format = match format {
        ExportFormat::Md => Format::Markdown,
        ExportFormat::Json => Format::Json,
        ExportFormat::Html => Format::Html,
    };
    use crate::transcript::{ExportError, export_to};
    if let Some(dir) = output.filter(|p| p.is_dir()) {
        let ext = match format {
            Format::Markdown => "md",
            Format::Json => "json",
            Format::Html => "html",
        };
        return Err(Failure::usage(format!(
            "{} is a folder: give the file to write, e.g. -o {}",
            dir.display(),
            dir.join(format!("transcript.{ext}")).display()
        )));
    }
    // A session problem is said as it is; nothing is written then.
    let mut session_error = None;
    crate::invocation::remember_home(home);
    let verify = |dir: &Path| crate::invocation::verify(dir);
    let mut write = |out: &mut dyn std::io::Write| match export_to(home, what, format, out, &verify)
    {
        Ok(()) => Ok(()),
        Err(ExportError::Write(e)) => Err(e),
        Err(ExportError::Session(m)) => {
            session_error = Some(m);
            Err(std::io::Error::other("the session could not be read"))
        }
    };
    let written = match output {
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            write(&mut out).and_then(|()| std::io::Write::flush(&mut out))
        }
        Some(path) => crate::session::fsutil::write_atomic_with(path, write),
    };
    if let Some(m) = session_error {
        return Err(Failure::usage(m));
    }
    let target = output.map_or("the output".to_owned(), |p| p.display().to_string());
    written.map_err(|e| Failure::usage(format!("cannot write {target}: {e}")))?;
    if let Some(path) = output {
        crate::say!("wrote {}", path.display());
    }
    Ok(0)
}

/// `stepwise demo`: builds the sandbox, starts its service, and runs the
/// bundled rollback runbook against it like any other session.
pub fn demo(home: &Path, args: DemoArgs) -> Result<i32, Failure> {
    let fail =
        |what: &str, e: std::io::Error| Failure::usage(format!("the demo could not {what}: {e}"));
    let mut sandbox =
        crate::demo::sandbox::Sandbox::create().map_err(|e| fail("build its sandbox", e))?;
    let exe = std::env::current_exe().map_err(|e| fail("find its own binary", e))?;
    sandbox
        .start_service(&exe)
        .map_err(|e| fail("start the demo service", e))?;
    let runbook =
        demo_runbook(sandbox.path()).map_err(|e| fail("find runbooks/rollback.yaml", e))?;
    crate::say!(
        "demo sandbox: {} (service at {})",
        sandbox.path().display(),
        sandbox.health_url().unwrap_or_default()
    );
    let mut drive: crate::launch::DriveOptions = args.drive.clone().into();
    for (k, v) in sandbox.vars() {
        if !drive.vars.iter().any(|x| x.starts_with(&format!("{k}="))) {
            drive.vars.push(format!("{k}={v}"));
        }
    }
    // With `--yes`, the steps that require a note get one saying this
    // was a demo, so an unattended demo runs to the end.
    drive.yes_note = Some("demo run (stepwise demo --yes): no real incident".into());
    drive.quit_note = Some(
        "This is the demo: its sandbox and service go when you leave, so it \
         cannot be resumed against them. Run `stepwise demo` again for a new one."
            .into(),
    );
    if !args.keep {
        drive.close_when_left = Some(
            "the demo was left before the end, and its sandbox went with it: \
             nothing is left to resume against (`stepwise demo` starts a new one)"
                .into(),
        );
    }
    let run = crate::launch::RunOptions {
        file: runbook,
        drive,
        dry_run: false,
        from: None,
        trust: true,
    };
    let result = crate::launch::run(home, run);
    show_updates(&sandbox.updates_file());
    if args.keep {
        crate::say!("sandbox kept at {}", sandbox.keep().display());
    } else if let Err(e) = sandbox.stop() {
        crate::say!("warning: the sandbox could not be removed: {e}");
    }
    result
}

/// What the demo "posted": every update its file channel received.
fn show_updates(path: &Path) {
    let Ok(text) = std::fs::read_to_string(path) else {
        crate::say!("the demo sent no status update");
        return;
    };
    crate::say!(
        "status updates the demo sent (its `updates` channel, {}):",
        path.display()
    );
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let word = v["status"].as_str().unwrap_or("?");
        let message = crate::headless::inert(v["message"].as_str().unwrap_or(""));
        crate::say!("  [{word}] {message}");
    }
}

/// The bundled runbook: `./runbooks/rollback.yaml` when run from the
/// repository, else the same file as compiled in, written into the sandbox.
fn demo_runbook(sandbox: &Path) -> std::io::Result<std::path::PathBuf> {
    let local = Path::new("runbooks/rollback.yaml");
    if local.is_file() {
        return Ok(local.to_owned());
    }
    let path = sandbox.join("rollback.yaml");
    std::fs::write(&path, include_str!("../runbooks/rollback.yaml"))?;
    Ok(path)
}

/// `stepwise` with no arguments (see `picker`).
pub fn picker(home: &Path) -> Result<i32, Failure> {
    crate::picker::run(home)
}
