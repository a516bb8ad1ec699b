//! `stepwise follow [SESSION]`: a read-only view of a session another
//! process is running — the checklist screen (`tui::run_read_only`), or
//! with `--plain` the headless line format (so it works in a pipe or over
//! ssh). It reads the journal as it grows (polled every
//! [`POLL`]) and each step's output from the byte ranges the journal gives
//! in its log (and, while no stepwise runs the session, a running step's
//! log beyond those ranges, which nobody journals then; the screen only);
//! it takes no lock and writes nothing, so any number of
//! followers never block or slow the runner. `--plain` ends when the
//! session ends, with the exit code the run ended with
//! (`session::status::exit_of`); the screen stays until `q`.

use crate::engine::command::Update;
use crate::engine::process::DisplayLines;
use crate::launch::Failure;
use crate::outcome::Exit;
use crate::session::event::{Event, Record, Stream};
use crate::session::state::{Attempt, Session, StepState, StepStatus};
use crate::session::tail::Tail;
use crate::session::{status, store};
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How often the journal is read again for new records.
pub const POLL: Duration = Duration::from_millis(50);

/// `stepwise follow`: the screen, or lines with `--plain` (chosen too when
/// stdout is not a terminal).
pub fn follow(home: &Path, what: Option<&str>, plain: bool) -> Result<i32, Failure> {
    use std::io::IsTerminal;
    if plain || !std::io::stdout().is_terminal() {
        return follow_plain(home, what);
    }
    follow_screen(home, what)
}

/// `stepwise follow` on a terminal: the checklist screen, read only.
fn follow_screen(home: &Path, what: Option<&str>) -> Result<i32, Failure> {
    let dir = crate::status::pick(home, what)?;
    let watch = Watch::open(&dir)?;
    let session = watch.session.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("cannot start the runtime: {e}")))?;
    let end = rt.block_on(async move {
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let feeder = tokio::spawn(feed(watch, tx));
        let end = crate::tui::run_read_only(session, rx, &dir).await;
        feeder.abort();
        end
    });
    end.map(|_| 0)
        .map_err(|e| Failure::usage(format!("the terminal failed: {e}")))
}

/// Sends the journal's records, and the output they point at, to the
/// screen as they are written. Stops reading once the session is over
/// (completed, aborted); a session nobody holds any more (left, or its
/// stepwise gone) is said so, and watched on: a resume continues here.
async fn feed(mut watch: Watch, tx: tokio::sync::mpsc::Sender<Update>) {
    let (mut over, mut said_idle) = (false, false);
    while !tx.is_closed() {
        if !over {
            let records = match watch.poll() {
                Ok(r) => r,
                Err(e) => {
                    let _ = tx.send(Update::Rejected(e.message)).await;
                    over = true;
                    continue;
                }
            };
            for r in &records {
                watch.session.apply(r);
                let output = watch.output_of(r);
                let _ = tx.send(Update::Record(r.clone())).await;
                if let Some(u) = output {
                    let _ = tx.send(u).await;
                }
            }
            let ended = watch.ended(!records.is_empty()).is_some();
            over = ended && watch.session.status.is_finished();
            if ended && !over && !said_idle {
                let _ = tx.send(Update::Rejected(IDLE.into())).await;
            }
            said_idle = ended;
            // With no stepwise to journal it, a step left running still
            // writes its log: shown from there (a resume's records of the
            // same bytes are then skipped).
            if ended && !over {
                for u in watch.unjournalled().into_iter().chain(watch.ended_away()) {
                    let _ = tx.send(u).await;
                }
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Each running step's attempt with a log of its own (a fleet step's
/// hosts have theirs, left to their records).
fn running_attempts(session: &Session) -> impl Iterator<Item = (&StepState, &Attempt)> {
    session.steps.iter().filter_map(|st| {
        let running = matches!(st.status, StepStatus::Running { .. });
        st.attempts
            .last()
            .filter(|_| running && !st.fleet.is_fleet())
            .map(|a| (st, a))
    })
}

/// Said once a followed session is held by no stepwise (left, or its
/// process gone) and not over.
pub const IDLE: &str = "No stepwise runs this session now: a step left running goes on, its \
     output shown here from its log; the rest continues here when someone resumes it.";

/// `stepwise follow --plain`
pub fn follow_plain(home: &Path, what: Option<&str>) -> Result<i32, Failure> {
    let dir = crate::status::pick(home, what)?;
    let mut watch = Watch::open(&dir)?;
    let out = std::io::stdout().lock();
    let mut printer = Printer {
        out,
        lines: HashMap::new(),
        host_lines: Default::default(),
        dir: dir.clone(),
        stop: None,
        printing: String::new(),
    };
    loop {
        let records = watch.poll()?;
        for r in &records {
            watch.session.apply(r);
            printer.record(&watch.session, r);
        }
        if let Some(exit) = watch.ended(!records.is_empty()) {
            printer.finish(&watch.session, exit);
            return Ok(exit as i32);
        }
        let _ = printer.out.flush();
        std::thread::sleep(POLL);
    }
}

/// A session folder being watched: its journal read as it grows, folded.
pub struct Watch {
    pub dir: PathBuf,
    pub session: Session,
    tail: Tail,
    /// The lock was free at the last look.
    seen_free: bool,
    /// How far each attempt's log has been shown, by (step, attempt): the
    /// end of the last bytes sent, journalled or read from the log.
    shown: HashMap<(String, u32), u64>,
    /// Attempts whose exit file was told to the screen (`ended_away`).
    told_ended: std::collections::HashSet<(String, u32)>,
}

/// At most this much of a left step's log is read per poll.
const UNJOURNALLED_READ: u64 = 1 << 20;

impl Watch {
    /// Opens a session folder read-only (its runbook copy and journal).
    pub fn open(dir: &Path) -> Result<Watch, Failure> {
        let copy = dir.join(store::RUNBOOK_COPY);
        let unreadable = |e: &dyn std::fmt::Display| {
            Failure::usage(format!(
                "{}: the session's runbook copy cannot be read: {e}",
                copy.display()
            ))
        };
        let bytes = crate::session::fsutil::read_no_follow(&copy).map_err(|e| unreadable(&e))?;
        let text = String::from_utf8_lossy(&bytes);
        let runbook = crate::runbook::load::load_copy(&copy.display().to_string(), &text)
            .map_err(|e| unreadable(&e))?;
        Ok(Watch {
            dir: dir.to_owned(),
            session: Session::new(runbook),
            tail: Tail::new(&dir.join(store::JOURNAL)),
            seen_free: false,
            shown: HashMap::new(),
            told_ended: Default::default(),
        })
    }

    /// The records written since the last poll (not yet folded).
    pub fn poll(&mut self) -> Result<Vec<Record>, Failure> {
        self.tail.poll().map_err(|e| Failure::usage(e.to_string()))
    }

    /// How the session ended, once it has: an end record, or nobody
    /// holding it any more. The lock must be seen free twice with no record
    /// in between: the runner may write its last records and let go between
    /// a poll and the look at the lock. `fresh`: records just arrived.
    pub fn ended(&mut self, fresh: bool) -> Option<Exit> {
        if let Some(exit) = status::exit_of(&self.session, true) {
            return Some(exit);
        }
        if fresh || store::is_held(&self.dir) {
            self.seen_free = false;
            return None;
        }
        if !std::mem::replace(&mut self.seen_free, true) {
            return None;
        }
        status::exit_of(&self.session, false)
    }
}

impl Watch {
    /// The live output an `output_recorded` (or a fleet host's
    /// `host_output_recorded`) record points at, read from its log; what
    /// was already shown from the log is skipped.
    fn output_of(&mut self, r: &Record) -> Option<Update> {
        if let Some(host_output) = host_output_of(&self.dir, r) {
            return host_output;
        }
        let Event::OutputRecorded {
            step,
            attempt,
            stream,
            offset,
            len,
        } = &r.event
        else {
            return None;
        };
        let shown = self.shown.entry((step.clone(), *attempt)).or_default();
        let end = offset + len;
        let from = (*offset).max(*shown);
        if from >= end {
            return None;
        }
        *shown = end;
        let bytes = output_bytes(&self.dir, &self.session, step, *attempt, (from, end - from))?;
        Some(Update::Output {
            step: step.clone(),
            attempt: *attempt,
            stream: *stream,
            bytes,
        })
    }

    /// A running step whose monitor recorded its exit with no stepwise
    /// attached (its exit file), told once per attempt: the screen then
    /// says it ended rather than counting on, as `stepwise status` does.
    fn ended_away(&mut self) -> Vec<Update> {
        let mut out = Vec::new();
        for (st, a) in running_attempts(&self.session) {
            let key = (st.id.clone(), a.number);
            if self.told_ended.contains(&key) {
                continue;
            }
            let log = self.dir.join(&a.log);
            if let Some(r) = crate::runner::monitor::files::read_exit(&log) {
                self.told_ended.insert(key);
                out.push(Update::EndedAway {
                    step: st.id.clone(),
                    attempt: a.number,
                    exit: crate::session::event::ExitInfo {
                        code: r.code,
                        signal: r.signal,
                    },
                    duration_ms: r.duration_ms,
                });
            }
        }
        out
    }

    /// Output a running step wrote to its log beyond what was shown: with
    /// no stepwise attached, nothing journals it. Its stream is not known
    /// until a resume journals it, so it is shown as stdout. Fleet steps
    /// (one log per host) are left to their records.
    fn unjournalled(&mut self) -> Vec<Update> {
        let mut out = Vec::new();
        for (st, a) in running_attempts(&self.session) {
            let shown = self.shown.entry((st.id.clone(), a.number)).or_default();
            let log = self.dir.join(&a.log);
            let len = std::fs::metadata(&log).map_or(0, |m| m.len());
            if len <= *shown {
                continue;
            }
            let Ok(bytes) = read_range(&log, *shown, (len - *shown).min(UNJOURNALLED_READ)) else {
                continue;
            };
            *shown += bytes.len() as u64;
            out.push(Update::Output {
                step: st.id.clone(),
                attempt: a.number,
                stream: Stream::Stdout,
                bytes,
            });
        }
        out
    }
}

/// For a fleet host's `host_output_recorded`: the bytes it names, read
/// from that host's log (`None` inside when they cannot be read); `None`
/// for any other record.
fn host_output_of(dir: &Path, r: &Record) -> Option<Option<Update>> {
    let Event::HostOutputRecorded {
        step,
        attempt,
        host,
        stream,
        offset,
        len,
    } = &r.event
    else {
        return None;
    };
    let log = dir.join(store::host_log_name(step, host, *attempt));
    Some(
        read_range(&log, *offset, *len)
            .ok()
            .map(|bytes| Update::HostOutput {
                step: step.clone(),
                host: host.clone(),
                stream: *stream,
                bytes,
            }),
    )
}

/// Bytes `at` (offset, length) of an attempt's log.
fn output_bytes(
    dir: &Path,
    s: &Session,
    step: &str,
    attempt: u32,
    at: (u64, u64),
) -> Option<Vec<u8>> {
    let log = s
        .step(step)?
        .attempts
        .iter()
        .find(|a| a.number == attempt)
        .map(|a| dir.join(&a.log))?;
    read_range(&log, at.0, at.1).ok()
}

/// Prints records and output in the headless line format.
struct Printer<W: Write> {
    out: W,
    lines: HashMap<Stream, DisplayLines>,
    /// A fleet step's hosts' lines, as the runner prints them.
    host_lines: crate::headless_fleet::HostLines,
    dir: PathBuf,
    /// How the runner's last stop was recorded, if it was: an operator
    /// who left, a headless stop, an interruption (`None` after a resume).
    stop: Option<Said>,
    /// The step whose output was printed last: an unfinished last line
    /// is printed with its name once the step's exit is folded (when no
    /// step runs any more).
    printing: String,
}

/// A stop the journal says in words.
#[derive(Clone, Copy, PartialEq)]
enum Said {
    /// The operator quit (`q`): nobody is asked anything.
    OperatorLeft,
    /// A headless stop, an interruption, a record that could not be written.
    Other,
}

impl<W: Write> Printer<W> {
    fn record(&mut self, s: &Session, r: &Record) {
        match &r.event {
            Event::SessionLeft { reason: None } => self.stop = Some(Said::OperatorLeft),
            Event::SessionLeft { .. }
            | Event::Interrupted { .. }
            | Event::SessionStopped { .. } => self.stop = Some(Said::Other),
            Event::SessionResumed { .. } => self.stop = None,
            _ => {}
        }
        if let Event::OutputRecorded {
            step,
            attempt,
            stream,
            offset,
            len,
        } = &r.event
        {
            return self.output(s, step, *attempt, *stream, (*offset, *len));
        }
        if let Some(host_output) = host_output_of(&self.dir, r) {
            if let Some(Update::HostOutput {
                step,
                host,
                stream,
                bytes,
            }) = host_output
            {
                self.host_lines
                    .push(&mut self.out, &step, &host, stream, &bytes);
            }
            return;
        }
        if let Event::StepExited { step, .. } = &r.event {
            self.flush_host_lines(step);
        }
        if let Some(line) = crate::headless::describe(s, r) {
            self.flush_lines();
            let at = r.at.with_timezone(&chrono::Local).format("%H:%M:%S");
            let _ = writeln!(self.out, "[{at}] {}", crate::headless::inert(&line));
        }
    }

    /// The bytes an `output_recorded` record points at, from the log.
    fn output(&mut self, s: &Session, step: &str, attempt: u32, stream: Stream, at: (u64, u64)) {
        let Some(bytes) = output_bytes(&self.dir, s, step, attempt, at) else {
            return;
        };
        let mark = if stream == Stream::Stderr { '!' } else { '|' };
        if self.printing != step {
            self.printing = step.to_owned();
        }
        let out = &mut self.out;
        self.lines
            .entry(stream)
            .or_default()
            .push_with(&bytes, |l| {
                let _ = writeln!(out, "    {step} {mark} {}", crate::headless::inert(l));
            });
    }

    fn flush_lines(&mut self) {
        let step = &self.printing;
        for (stream, dl) in self.lines.iter_mut() {
            if let Some(l) = dl.finish() {
                let mark = if *stream == Stream::Stderr { '!' } else { '|' };
                let _ = writeln!(self.out, "    {step} {mark} {}", crate::headless::inert(&l));
            }
        }
    }

    /// A fleet step's hosts' unfinished lines, once the step exits (as the
    /// runner prints them: not split by other hosts' records).
    fn flush_host_lines(&mut self, step: &str) {
        self.host_lines.flush(&mut self.out, step);
    }

    fn finish(&mut self, s: &Session, exit: Exit) {
        self.flush_lines();
        let (done, total) = s.progress();
        // The session's end as journalled (a finished session followed
        // later says when it ended, not when it was read); a runner gone
        // without a word: its last record; else now.
        let silent = exit == Exit::Interrupted && self.stop.is_none();
        let at = match silent {
            true => s.last_at,
            false => s.ended_at,
        };
        let at = at.unwrap_or_else(chrono::Utc::now);
        let at = at.with_timezone(&chrono::Local).format("%H:%M:%S");
        let word = match (self.stop, silent) {
            (Some(Said::OperatorLeft), _) => "left by its operator (resumable)",
            (_, true) => {
                "stepwise stopped without a record of why (killed or crashed) after its last record"
            }
            _ => exit.summary_word(),
        };
        let _ = writeln!(
            self.out,
            "[{at}] {word} — {done}/{total} steps settled — session {}",
            s.id
        );
        if let Some(i) = s.running() {
            let step = &s.steps[i].id;
            let _ = writeln!(
                self.out,
                "[{at}] `{step}` was running when stepwise stopped: its monitor may run it on, and `stepwise resume` re-attaches it or says how it ended"
            );
        }
        if exit == Exit::Completed {
            for line in crate::comms::not_delivered_at_close(s) {
                let _ = writeln!(self.out, "[{at}] {line}");
            }
        }
        let _ = self.out.flush();
    }
}

fn read_range(path: &Path, offset: u64, len: u64) -> std::io::Result<Vec<u8>> {
    let mut f = std::fs::File::open(path)?;
    f.seek(SeekFrom::Start(offset))?;
    let mut buf = Vec::with_capacity(len.min(1 << 20) as usize);
    f.take(len).read_to_end(&mut buf)?;
    Ok(buf)
}
