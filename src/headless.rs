//! Headless mode: drives the engine with plain, timestamped lines on stdout.
//!
//! Automated steps run back to back; human steps are answered by `--answer`,
//! `--yes`, or typed on stdin (`done`, `skip <reason>`, `abort`, with a note
//! on the next line; `set NAME=VALUE` changes an input for the steps after
//! it, then the question is asked again). A question nobody can answer stops the session cleanly,
//! resumable, with exit code 4. Decisions only; the engine does the work.
//!
//! The output writer should be buffered (the launcher passes an
//! `AlignedOut`): the driver flushes once no update has come for 10 ms
//! (at most 50 ms after what it holds was printed) and before it asks.

use crate::engine::command::{Command, End, Update};
use crate::engine::process::DisplayLines;
use crate::session::event::{ConfirmedVia, Event, InputSource, Record, Stream};
use crate::session::state::{Session, SessionStatus, StepStatus};
use std::collections::HashMap;
use std::io::{BufRead, Write};
use tokio::sync::mpsc;

/// An `--answer STEP=…` given on the command line.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    Done(Option<String>),
    Skip(String),
    Rerun,
    /// A fleet step: go on after each batch (`between_batches: confirm`).
    Continue,
    /// A failed fleet step: accept its failed hosts and go on (the reason
    /// is recorded with the list of hosts not done).
    Accept(String),
    /// A failed step: abort the session with this reason.
    Abort(String),
}

/// Parses `STEP=done[:note]`, `STEP=skip:<reason>`, `STEP=rerun`.
pub fn parse_answer(text: &str) -> Result<(String, Answer), String> {
    let usage = "write STEP=done[:note], STEP=skip:<reason>, STEP=run (a confirm: true step), \
                 STEP=rerun (or retry), STEP=resend \
                 (an update step), STEP=continue (a fleet step's next batch), \
                 STEP=accept:<reason> (a failed fleet step) or STEP=abort[:reason]";
    let (step, ans) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: {usage}"))?;
    let (word, rest) = match ans.split_once(':') {
        Some((w, r)) => (w, Some(r.to_owned())),
        None => (ans, None),
    };
    let answer = match (word, rest) {
        ("done", note) => Answer::Done(note.filter(|n| !n.is_empty())),
        ("skip", Some(r)) if !r.trim().is_empty() => Answer::Skip(r),
        ("skip", _) => return Err(format!("`{text}`: a skip needs a reason, {usage}")),
        // `resend` (an update step) is the same decision: carry it out again.
        // `run`: a `confirm: true` step's go-ahead, as typed on stdin.
        ("rerun" | "retry" | "resend" | "send" | "run", None) => Answer::Rerun,
        ("continue", None) => Answer::Continue,
        ("accept", Some(r)) if !r.trim().is_empty() => Answer::Accept(r),
        ("accept", _) => return Err(format!("`{text}`: accepting needs a reason, {usage}")),
        ("abort", r) => Answer::Abort(
            r.filter(|r| !r.trim().is_empty())
                .unwrap_or_else(|| format!("--answer {text}")),
        ),
        _ => return Err(format!("`{text}`: {usage}")),
    };
    Ok((step.to_owned(), answer))
}

/// How the operator answers when no one is at a screen.
pub struct Answers {
    pub yes: bool,
    /// With `yes`: the note for a step that requires one (the demo's).
    pub yes_note: Option<String>,
    pub by_step: HashMap<String, Answer>,
    /// Whether to ask on stdin for steps with no answer.
    pub ask_stdin: bool,
}

pub use crate::outcome::Exit;

struct Driver<W: Write> {
    session: Session,
    answers: Answers,
    out: W,
    cmds: mpsc::Sender<Command>,
    lines: HashMap<Stream, DisplayLines>,
    /// The fast path's output of one chunk (scratch space, reused).
    fast: Vec<u8>,
    /// Unfinished output lines of each host of a fleet step.
    host_lines: crate::headless_fleet::HostLines,
    /// The step whose unfinished output lines `lines` holds: a last line
    /// without a newline is printed after its step's exit is applied, when
    /// the session no longer says which step was running.
    lines_step: String,
    /// Fleet steps a `continue` answer has re-run once after a failure:
    /// a second failure stops, rather than re-running it forever.
    continued: std::collections::HashSet<String>,
    stop: Option<Exit>,
    /// Lines typed on stdin, read by a thread started at the first question
    /// (a blocking read must never keep a signal from ending the session).
    stdin: Option<mpsc::UnboundedReceiver<Result<String, String>>>,
    updates: mpsc::Receiver<Update>,
    /// Updates that arrived while waiting for a typed answer.
    backlog: std::collections::VecDeque<Update>,
    /// A signal arrived while waiting for a typed answer.
    interrupted: bool,
    /// When something may first have been printed since the last flush.
    unflushed: Option<tokio::time::Instant>,
    /// The time printed on each line (injected: tests can fix it).
    clock: std::sync::Arc<dyn crate::session::clock::Clock>,
    /// The folder of the runbook's sessions, for an update draft's
    /// `$EXPECTED_END` (read only when a draft is shown).
    sessions: Option<std::path::PathBuf>,
}

/// Drives a session to its end and returns the exit code.
pub async fn drive<W: Write>(
    session: Session,
    answers: Answers,
    out: W,
    cmds: mpsc::Sender<Command>,
    updates: mpsc::Receiver<Update>,
    clock: std::sync::Arc<dyn crate::session::clock::Clock>,
    sessions: Option<std::path::PathBuf>,
) -> Exit {
    let mut d = Driver {
        clock,
        sessions,
        session,
        answers,
        out,
        cmds,
        lines: HashMap::new(),
        fast: Vec::new(),
        host_lines: Default::default(),
        lines_step: String::new(),
        continued: Default::default(),
        stop: None,
        stdin: None,
        updates,
        backlog: Default::default(),
        interrupted: false,
        unflushed: None,
    };
    while let Some(u) = d.next_update().await {
        d.unflushed.get_or_insert_with(tokio::time::Instant::now);
        match u {
            Update::Record(r) => d.on_record(&r),
            Update::Output {
                step,
                stream,
                bytes,
                ..
            } => d.on_output(&step, stream, &bytes),
            Update::HostOutput {
                step,
                host,
                stream,
                bytes,
            } => d.on_host_output(&step, &host, stream, &bytes),
            Update::Idle => d.on_idle().await,
            // A follower's screen only; `follow --plain` reads records.
            Update::EndedAway { .. } => {}
            Update::Rejected(why) => d.say(&format!("refused: {why}")),
            Update::Ended(end) => {
                let exit = d.finish(end);
                let _ = d.out.flush();
                return exit;
            }
        }
    }
    Exit::Interrupted
}

/// How long output waits, once no update comes, before it is flushed.
/// `out` is buffered: a flood is written in large pieces (on a file,
/// aligned ones: `aligned_out`), a quiet session line by line. The gap
/// between two pieces of a flood is far shorter; a person cannot see it.
const QUIET: std::time::Duration = std::time::Duration::from_millis(10);

/// The longest output waits to be flushed while updates keep coming
/// (a step printing a line every few milliseconds).
const HOLD_MAX: std::time::Duration = std::time::Duration::from_millis(50);

impl<W: Write> Driver<W> {
    /// One timestamped line; whatever it quotes (titles, notes, commands,
    /// values) is made inert first.
    fn say(&mut self, line: &str) {
        let now = self
            .clock
            .now()
            .with_timezone(&chrono::Local)
            .format("%H:%M:%S");
        let _ = writeln!(self.out, "[{now}] {}", inert(line));
    }

    /// One line of a step's output, made inert: a step cannot retitle,
    /// clear or write the clipboard of the terminal reading this.
    fn output_line(&mut self, step: &str, stream: Stream, line: &str) {
        let mark = if stream == Stream::Stderr { '!' } else { '|' };
        let _ = writeln!(self.out, "    {step} {mark} {}", inert(line));
    }

    fn on_record(&mut self, r: &Record) {
        self.session.apply(r);
        if let Some(line) = describe(&self.session, r) {
            self.flush_lines();
            self.say(&line);
        }
        self.on_fleet_record(r);
    }

    /// After a fleet step's exit, its recap table; after a batch that
    /// waits for the operator, the answer (`--answer STEP=continue`).
    fn on_fleet_record(&mut self, r: &Record) {
        match &r.event {
            Event::StepExited { step, .. } => {
                self.flush_host_lines(step);
                let fleet = self
                    .session
                    .step(step)
                    .map(|s| s.fleet.clone())
                    .unwrap_or_default();
                if fleet.is_fleet() {
                    for line in crate::headless_fleet::recap(&fleet) {
                        let _ = writeln!(self.out, "    {}", inert(&line));
                    }
                }
            }
            Event::BatchWaiting { step, batch, .. } => {
                let answered = matches!(self.answers.by_step.get(step), Some(Answer::Continue));
                let go = answered || self.answers.yes;
                if !go {
                    self.say(&format!(
                        "■ {step}: nobody to confirm after batch {batch}; stopping the rollout"
                    ));
                }
                let cmd = Command::Rollout {
                    step: step.clone(),
                    proceed: go,
                    via: match (answered, go) {
                        (true, _) => ConfirmedVia::Answer,
                        (false, true) => ConfirmedVia::YesFlag,
                        (false, false) => ConfirmedVia::Nobody,
                    },
                };
                let cmds = self.cmds.clone();
                tokio::spawn(async move {
                    let _ = cmds.send(cmd).await;
                });
            }
            _ => {}
        }
    }

    /// A host's output lines, each prefixed `[host]`.
    fn on_host_output(&mut self, step: &str, host: &str, stream: Stream, bytes: &[u8]) {
        self.host_lines
            .push(&mut self.out, step, host, stream, bytes);
    }

    fn flush_host_lines(&mut self, step: &str) {
        self.host_lines.flush(&mut self.out, step);
    }

    /// Prints each completed line with its prefix. Whole plain lines take
    /// the fast path (`headless_lines`: one pass, one buffer, one write);
    /// the rest (a line begun in an earlier chunk, control characters,
    /// `\r`, long lines) goes through `DisplayLines` and `inert`.
    fn on_output(&mut self, step: &str, stream: Stream, bytes: &[u8]) {
        let mark = if stream == Stream::Stderr { '!' } else { '|' };
        let prefix = format!("    {step} {mark} ");
        if self.lines_step != step {
            self.flush_lines();
            self.lines_step = step.to_owned();
        }
        let lines = self.lines.entry(stream).or_default();
        let (out, prefix) = (&mut self.out, prefix.as_bytes());
        // A line begun in an earlier chunk is finished the careful way.
        let head = if lines.is_clean() {
            0
        } else {
            memchr::memchr(b'\n', bytes).map_or(bytes.len(), |i| i + 1)
        };
        lines.push_with(&bytes[..head], |l| careful_line(out, prefix, l));
        let (fast, written) = if lines.is_clean() {
            crate::headless_lines::prefixed_plain_lines(prefix, &bytes[head..], &mut self.fast)
        } else {
            (0, 0)
        };
        let _ = out.write_all(&self.fast[..written]);
        lines.push_with(&bytes[head + fast..], |l| careful_line(out, prefix, l));
    }

    fn flush_lines(&mut self) {
        let step = self.lines_step.clone();
        let rest: Vec<(Stream, String)> = self
            .lines
            .iter_mut()
            .filter_map(|(stream, dl)| dl.finish().map(|l| (*stream, l)))
            .collect();
        for (stream, l) in rest {
            self.output_line(&step, stream, &l);
        }
    }

    async fn on_idle(&mut self) {
        if self.stop.is_some() {
            return;
        }
        let Some(i) = self.session.next_step() else {
            return self.before_closing().await;
        };
        let cmd = self.decide(i).await;
        match cmd {
            Ok(c) => {
                let _ = self.cmds.send(c).await;
            }
            // The engine is ending on the signal already.
            Err(Exit::Interrupted) => self.stop = Some(Exit::Interrupted),
            Err(exit) => {
                self.stop = Some(exit);
                let st = &self.session.steps[i];
                let cancelled = st.attempts.last().and_then(|a| a.cancelled.as_deref());
                let reason = stop_reason(&st.id, exit, cancelled);
                let _ = self.cmds.send(Command::Stop { reason }).await;
            }
        }
    }

    /// Every step settled, and the engine waits because an update that
    /// did not go through has an answer here (a resume's `--answer
    /// STEP=resend`, `skip:<reason>` or `done:<note>`): that answer is
    /// carried out, the newest update's first; with none left, the session
    /// closes as it is.
    async fn before_closing(&mut self) {
        let undelivered = self.session.undelivered_updates();
        if undelivered.is_empty() {
            return;
        }
        let answered = undelivered
            .into_iter()
            .rev()
            .find(|&i| self.answers.by_step.contains_key(&self.session.steps[i].id));
        let cmd = match answered {
            Some(i) => self.decide(i).await.unwrap_or(Command::Close),
            None => Command::Close,
        };
        let _ = self.cmds.send(cmd).await;
    }

    /// What to do with the next unsettled step, or why we must stop.
    async fn decide(&mut self, i: usize) -> Result<Command, Exit> {
        let st = self.session.steps[i].clone();
        let def = self
            .session
            .runbook
            .step(&st.id)
            .cloned()
            .ok_or(Exit::Invalid)?;
        // An answer is one decision: used once, so `rerun` cannot loop on a
        // step that keeps failing, and `done` for an automated step runs it
        // rather than also marking a failure done.
        let answer = self.answers.by_step.remove(&st.id);
        let step = st.id.clone();
        if let Some(Answer::Continue) = answer {
            // Kept: it answers every batch of the step's rollout.
            self.answers.by_step.insert(step.clone(), Answer::Continue);
            // A rollout stopped at a batch (nobody confirmed it) goes on
            // with the rest, once; hosts that failed beyond the budget are
            // not a question of going on: retry, accept or abort say it.
            let stopped_at_a_batch = !st.fleet.over_budget();
            return match st.status {
                StepStatus::Pending => Ok(answered(step)),
                StepStatus::Failed | StepStatus::OutcomeUnknown { .. }
                    if stopped_at_a_batch && self.continued.insert(step.clone()) =>
                {
                    Ok(answered(step))
                }
                StepStatus::Failed | StepStatus::OutcomeUnknown { .. } => {
                    self.say(&format!("✗ stopped: fleet step `{step}` failed on its hosts. Resume with --answer {step}=retry (its failed hosts only), {step}=accept:<reason> or {step}=abort:<reason>"));
                    Err(Exit::Failed)
                }
                _ => Err(Exit::Failed),
            };
        }
        let failed = matches!(
            st.status,
            StepStatus::Failed | StepStatus::OutcomeUnknown { .. }
        );
        let answer = match answer {
            // Kept for the failure they answer: the step has not failed yet.
            // A human step never fails: `abort` there aborts when it comes.
            Some(Answer::Abort(reason)) if !failed && !def.is_automated() => {
                Some(Answer::Abort(reason))
            }
            Some(a @ (Answer::Accept(_) | Answer::Abort(_))) if !failed => {
                self.answers.by_step.insert(step.clone(), a);
                None
            }
            a => a,
        };
        match (&st.status, answer) {
            (_, Some(Answer::Accept(reason))) => Ok(by_answer(Command::MarkDone {
                note: Some(st.fleet.accepted_note(&reason)),
                step,
            })),
            (_, Some(Answer::Abort(reason))) => Ok(Command::Abort { reason }),
            (_, Some(Answer::Skip(reason))) => Ok(by_answer(Command::Skip { step, reason })),
            (StepStatus::Failed, Some(Answer::Rerun)) => Ok(answered(step)),
            (StepStatus::OutcomeUnknown { .. }, Some(Answer::Rerun)) => Ok(answered(step)),
            (StepStatus::Failed | StepStatus::OutcomeUnknown { .. }, Some(Answer::Done(note))) => {
                Ok(by_answer(Command::MarkDone { step, note }))
            }
            // Stopped between batches, no host failed: it waits for a
            // go-ahead, which a resume gives (`continue`), not a failure.
            (StepStatus::Failed, _)
                if st.fleet.is_fleet()
                    && st.fleet.answers.last().is_some_and(|a| !a.proceed)
                    && st.fleet.no_host_failed() =>
            {
                self.say(&format!("? `{step}` waits for a go-ahead to roll out to the rest of its hosts: resume with --answer {step}=continue (or {step}=abort:<reason>)"));
                Err(Exit::WaitingForHuman)
            }
            (StepStatus::Failed, _) if st.fleet.is_fleet() => {
                self.say(&format!("✗ stopped: fleet step `{step}` failed. Resume with --answer {step}=retry (its failed hosts only), {step}=accept:<reason> or {step}=abort:<reason>"));
                Err(Exit::Failed)
            }
            (StepStatus::Failed, _) => {
                let what = match st.attempts.last().and_then(|a| a.cancelled.as_deref()) {
                    Some(why) => format!("was cancelled ({why})"),
                    None => "failed".to_owned(),
                };
                self.say(&format!("✗ stopped: `{step}` {what}. Resume with --answer {step}=rerun, {step}=skip:<reason> or {step}=done:<note>"));
                Err(Exit::Failed)
            }
            (StepStatus::OutcomeUnknown { .. }, None) if def.is_update() => {
                self.say(&format!("? `{step}`: stepwise stopped while sending this update; whether the channels got it is unknown. Answer with --answer {step}=resend (the same idempotency key, to the channels with no recorded answer), {step}=done:<note> (it arrived) or {step}=skip:<reason>"));
                Err(Exit::WaitingForHuman)
            }
            (_, Some(Answer::Done(_) | Answer::Rerun)) if def.is_update() => {
                Ok(Command::Start { step })
            }
            (_, None) if def.is_update() && self.answers.yes => Ok(Command::Start { step }),
            (StepStatus::OutcomeUnknown { .. }, _) => {
                self.say(&format!("? `{step}`: its outcome is unknown (stepwise, or the step's monitor, stopped while it ran). Answer with --answer {step}=rerun, {step}=done:<note> or {step}=skip:<reason>"));
                Err(Exit::WaitingForHuman)
            }
            (_, Some(Answer::Done(_))) | (_, Some(Answer::Rerun)) if def.is_automated() => {
                Ok(answered(step))
            }
            (_, None) if def.is_automated() && !def.confirm => Ok(Command::Start { step }),
            (_, None) if def.is_automated() && self.answers.yes => Ok(Command::StartAnswered {
                step,
                via: ConfirmedVia::YesFlag,
            }),
            (_, Some(Answer::Done(note))) => self.confirm(&def, note, ConfirmedVia::Answer),
            (_, _) if self.answers.yes && !def.is_automated() => {
                let note = self.answers.yes_note.clone();
                let note = note.filter(|_| crate::policy::note_missing(&def, None));
                self.confirm(&def, note, ConfirmedVia::YesFlag)
            }
            _ => self.ask(&def).await,
        }
    }

    fn confirm(
        &mut self,
        def: &crate::runbook::model::Step,
        note: Option<String>,
        via: ConfirmedVia,
    ) -> Result<Command, Exit> {
        if crate::policy::note_missing(def, note.as_deref()) {
            self.say(&format!(
                "? `{}` needs a note: answer with --answer {}=done:<note>",
                def.id, def.id
            ));
            return Err(Exit::WaitingForHuman);
        }
        let checked = (0..def.checklist.len()).collect();
        Ok(Command::Confirm {
            step: def.id.clone(),
            note,
            checked,
            via,
        })
    }

    /// Asks on stdin: `done`, `skip <reason>`, `abort` (or `run` for a
    /// confirm step), or `set NAME=VALUE` to change an input first.
    /// Asks on stdin until an answer is understood (a line not understood
    /// is said so, and the question comes again).
    async fn ask(&mut self, def: &crate::runbook::model::Step) -> Result<Command, Exit> {
        loop {
            self.show_question(def);
            let line = self.answer_line(def).await?;
            if let Some(cmd) = self.understand(def, line.trim()).await? {
                return Ok(cmd);
            }
        }
    }

    /// The question: the step, its instructions and checklist, the answers.
    fn show_question(&mut self, def: &crate::runbook::model::Step) {
        let mut what = if def.is_automated() {
            "run | skip <reason> | abort"
        } else if def.is_update() {
            "send | skip <reason> | abort"
        } else {
            "done | skip <reason> | abort"
        }
        .to_owned();
        if !self.session.runbook.inputs.is_empty() {
            what.push_str(" | set NAME=VALUE");
        }
        self.say(&format!("? {} — {}", def.id, def.title));
        if let Some(text) = &def.instructions {
            for l in text.lines() {
                let _ = writeln!(self.out, "    {}", inert(l));
            }
        }
        for item in &def.checklist {
            let _ = writeln!(self.out, "    [ ] {}", inert(item));
        }
        if let Some(d) = self.draft(def) {
            let to = d.channels.join(", ");
            let _ = writeln!(self.out, "    update ({}) → {to}:", d.status.word());
            for l in d.text.lines() {
                let _ = writeln!(self.out, "      {}", inert(l));
            }
        }
        // Asked only where stdin is read (not with `--answer` and a pipe).
        if self.answers.ask_stdin {
            let _ = write!(self.out, "  answer ({what}): ");
        }
        let _ = self.out.flush();
    }

    /// What an update step would send now, as the interface's editor
    /// shows it: the values as journalled (secrets are masks there).
    fn draft(&self, def: &crate::runbook::model::Step) -> Option<crate::comms::Draft> {
        def.update.as_ref()?;
        let now = self.clock.now();
        let end = self.sessions.as_deref().and_then(|dir| {
            let s = &self.session;
            let h = crate::comms::estimate::load(dir, &s.runbook.id, &s.id);
            crate::comms::estimate::expected_end(s, &h, now)
        });
        crate::comms::draft::shown(&self.session, def, now, end)
    }

    /// The next line typed; none (end of input, a signal) stops the session.
    async fn answer_line(&mut self, def: &crate::runbook::model::Step) -> Result<String, Exit> {
        if let Some(line) = self.read_line().await {
            return Ok(line);
        }
        if self.answers.ask_stdin {
            // The end of the prompt's line.
            let _ = writeln!(self.out);
        }
        if self.interrupted {
            return Err(Exit::Interrupted);
        }
        let id = &def.id;
        // Stdin is named only where it would be read.
        let stdin = if self.answers.ask_stdin {
            ", or on stdin"
        } else {
            ""
        };
        let how = if def.is_update() {
            format!("answer with --answer {id}=send (it sends the draft), --yes{stdin}")
        } else if def.is_automated() {
            format!("its run needs a go-ahead: answer with --answer {id}=run, --yes{stdin}")
        } else if crate::policy::note_missing(def, None)
            && !crate::policy::has_note(&self.session, id)
        {
            // `--yes` gives no note: it would only wait again.
            format!("it needs a note: answer with --answer {id}=done:<note>{stdin}")
        } else {
            format!("answer with --answer {id}=done[:note], --yes{stdin}")
        };
        self.say(&format!("? `{id}` is waiting for a person: {how}"));
        Err(Exit::WaitingForHuman)
    }

    /// The command an answer asks for; `None` (said) when not understood.
    async fn understand(
        &mut self,
        def: &crate::runbook::model::Step,
        line: &str,
    ) -> Result<Option<Command>, Exit> {
        let step = def.id.clone();
        let cmd = match line.split_once(' ').unwrap_or((line, "")) {
            ("abort", rest) => self.abort_with_reason(rest).await,
            ("skip", reason) if !reason.trim().is_empty() => Command::Skip {
                step,
                reason: reason.trim().into(),
            },
            ("run", _) if def.is_automated() => Command::Start { step },
            ("send" | "done", _) if def.is_update() => Command::Start { step },
            // The engine checks the name and value (a refusal is printed)
            // and the question comes again either way.
            ("set", assignment) => match assignment.trim().split_once('=') {
                Some((name, value)) if !name.trim().is_empty() => Command::GiveInput {
                    name: name.trim().to_owned(),
                    value: value.to_owned(),
                },
                _ => {
                    self.say("not understood: write set NAME=VALUE");
                    return Ok(None);
                }
            },
            ("done", _) if !def.is_automated() => {
                let note = self.note_if_required(def).await?;
                return self.confirm(def, note, ConfirmedVia::Operator).map(Some);
            }
            _ => {
                self.say(&format!("not understood: `{line}`"));
                return Ok(None);
            }
        };
        Ok(Some(cmd))
    }

    /// Like the interface, asks why when no reason came with `abort`.
    async fn abort_with_reason(&mut self, rest: &str) -> Command {
        let reason = if rest.trim().is_empty() {
            let _ = write!(self.out, "  reason: ");
            let _ = self.out.flush();
            self.read_line().await.unwrap_or_default()
        } else {
            rest.to_owned()
        };
        Command::Abort {
            reason: non_empty(&reason, "no reason given"),
        }
    }

    /// The note a `note: required` step needs, read on the next line.
    async fn note_if_required(
        &mut self,
        def: &crate::runbook::model::Step,
    ) -> Result<Option<String>, Exit> {
        if !crate::policy::note_missing(def, None) {
            return Ok(None);
        }
        let _ = write!(self.out, "  note: ");
        let _ = self.out.flush();
        let note = self.read_line().await;
        if self.interrupted {
            return Err(Exit::Interrupted);
        }
        Ok(note.filter(|n| !n.trim().is_empty()))
    }

    /// The next update; what was printed is flushed first once none has
    /// come for [`QUIET`], or [`HOLD_MAX`] after the first of it.
    async fn next_update(&mut self) -> Option<Update> {
        if let Some(u) = self.backlog.pop_front() {
            return Some(u);
        }
        if let Some(since) = self.unflushed {
            let until = (tokio::time::Instant::now() + QUIET).min(since + HOLD_MAX);
            match tokio::time::timeout_at(until, self.updates.recv()).await {
                Ok(u) => return u,
                Err(_) => {
                    let _ = self.out.flush();
                    self.unflushed = None;
                }
            }
        }
        self.updates.recv().await
    }

    /// A typed line; `None` at the end of stdin, when stdin is not asked,
    /// when a signal arrived meanwhile (`interrupted` is then set), or
    /// when the engine is gone. Updates that come meanwhile are kept for
    /// later; awaited, not blocked on, so the engine goes on (and hears a
    /// signal) on the same thread (a headless session runs on one: see
    /// `launch/warm.rs`). Cancel-safe: the reader of stdin stays.
    async fn read_line(&mut self) -> Option<String> {
        if !self.answers.ask_stdin || self.interrupted {
            return None;
        }
        let lines = self.stdin.get_or_insert_with(spawn_stdin_reader);
        loop {
            tokio::select! {
                line = lines.recv() => match line? {
                    Ok(line) => return Some(line),
                    Err(why) => {
                        let now = chrono::Local::now().format("%H:%M:%S");
                        let _ = write!(self.out, "\n[{now}] {why}\n  again: ");
                        let _ = self.out.flush();
                    }
                },
                u = self.updates.recv() => {
                    // No engine to answer: stop asking.
                    let u = u?;
                    let stops = matches!(&u, Update::Ended(_))
                        || matches!(&u, Update::Record(r) if matches!(r.event, Event::Interrupted { .. }));
                    self.backlog.push_back(u);
                    if stops {
                        self.interrupted = true;
                        return None;
                    }
                }
            }
        }
    }

    fn finish(&mut self, end: End) -> Exit {
        self.flush_lines();
        let (done, total) = self.session.progress();
        let exit = match (&end, self.stop) {
            (_, Some(exit)) => exit,
            (End::Completed, _) => Exit::Completed,
            (End::Aborted, _) => Exit::Aborted,
            (End::Left, _) => Exit::WaitingForHuman,
            (End::Interrupted(_), _) => Exit::Interrupted,
            (End::Failed(msg), _) => {
                self.say(&format!("error: {msg}"));
                Exit::Unrecorded
            }
        };
        // A session closed as it was left (the demo, whose sandbox goes
        // with it) is aborted: no resume can answer what it waited for.
        let closed = matches!(self.session.status, SessionStatus::Aborted { .. });
        let exit = match exit {
            Exit::WaitingForHuman if closed => Exit::Aborted,
            other => other,
        };
        self.say(&format!(
            "{} — {done}/{total} steps settled — session {}",
            Exit::summary_word(exit),
            self.session.id
        ));
        if exit == Exit::Completed {
            self.say_undelivered();
        }
        exit
    }

    /// A session that closed over an update some channel refused (the
    /// interface would have asked before closing; nobody is asked here).
    fn say_undelivered(&mut self) {
        for line in crate::comms::not_delivered_at_close(&self.session) {
            self.say(&line);
        }
    }
}

/// One line of output with its prefix, made inert unless it is plain.
fn careful_line(out: &mut impl Write, prefix: &[u8], line: &str) {
    let inerted;
    let shown = if crate::text::is_plain(line) {
        line
    } else {
        inerted = inert(line);
        &inerted
    };
    let _ = out
        .write_all(prefix)
        .and_then(|()| out.write_all(shown.as_bytes()))
        .and_then(|()| out.write_all(b"\n"));
}

/// Headless lines are already cut for display (`DisplayLines`), so no
/// further cut here; only control characters are made inert.
pub fn inert(text: &str) -> String {
    crate::text::neutralize(text, usize::MAX)
}

/// Reads stdin lines on a thread of its own; the thread ends with stdin.
/// A line that is not UTF-8 is not an answer: it comes as an error that
/// says so (it was dropped silently, and a note typed in another encoding
/// vanished with it).
fn spawn_stdin_reader() -> mpsc::UnboundedReceiver<Result<String, String>> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut number = 0usize;
        loop {
            let mut bytes = Vec::new();
            match stdin.read_until(b'\n', &mut bytes) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            number += 1;
            if bytes.ends_with(b"\n") {
                bytes.pop();
            }
            if bytes.ends_with(b"\r") {
                bytes.pop();
            }
            let line = String::from_utf8(bytes).map_err(|e| not_utf8(number, &e));
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// What is said of a typed line that is not UTF-8 (nothing of it is used).
fn not_utf8(number: usize, e: &std::string::FromUtf8Error) -> String {
    format!(
        "error: line {number} typed on stdin is not valid UTF-8 (byte {} of it); it was not used. \
         Type it again in UTF-8",
        e.utf8_error().valid_up_to() + 1
    )
}

fn non_empty(s: &str, default: &str) -> String {
    if s.trim().is_empty() {
        default.to_owned()
    } else {
        s.trim().to_owned()
    }
}

/// One line for the events a person cares about; `None` for the rest.
pub fn describe(s: &Session, r: &Record) -> Option<String> {
    Some(match &r.event {
        Event::SessionStarted {
            session_id,
            runbook_title,
            ..
        } => format!("session {session_id} — {runbook_title}"),
        Event::SessionResumed { .. } => format!(
            "resumed session {} — {}",
            s.id,
            crate::transcript::timeline::resumed(&r.event, r.by.as_ref())
        ),
        Event::RunbookChanged { path, .. } => {
            format!("warning: {path} changed since the session started; using the session's copy")
        }
        Event::InputGiven {
            name,
            value,
            source: InputSource::Changed,
            ..
        } => format!("input {name} changed to {value}, for the steps from now on"),
        Event::InputGiven { name, value, .. } => format!("input {name} = {value}"),
        Event::StepStarted {
            step,
            attempt,
            command,
            ..
        } => format!("▶ {step} (attempt {attempt}): {}", one_line(command)),
        Event::StepExited {
            step,
            exit,
            duration_ms,
            success,
            ..
        } => {
            let mark = if *success { '✓' } else { '✗' };
            format!(
                "{mark} {step}: {exit} after {}",
                crate::runbook::duration::format(std::time::Duration::from_millis(*duration_ms))
            )
        }
        Event::StepTimedOut { step, after_ms, .. } => format!(
            "✗ {step} timed out after {}, sending SIGTERM to its process group (SIGKILL follows if it does not end)",
            crate::runbook::duration::format(std::time::Duration::from_millis(*after_ms))
        ),
        Event::StepCancelled { step, reason, .. } => format!("✗ {step} cancelled: {reason}"),
        Event::Captured { name, value, .. } => format!("captured {name} = {value}"),
        Event::HumanConfirmed {
            step, note, via, ..
        } => {
            let how = match via {
                ConfirmedVia::Operator => "confirmed",
                ConfirmedVia::YesFlag => "confirmed with --yes",
                ConfirmedVia::Answer => "confirmed with --answer",
                ConfirmedVia::Nobody => "confirmed by nobody",
            };
            match note {
                Some(n) => format!("✓ {step} {how} — note: {n}"),
                None => format!("✓ {step} {how}"),
            }
        }
        Event::StepSkipped { step, reason, .. } => format!("↷ {step} skipped: {reason}"),
        Event::MarkedDone { step, .. } => format!("✓ {step} marked done by hand"),
        Event::NoteAdded { step, text } => format!(
            "note on {}: {text}",
            step.as_deref().unwrap_or("the session")
        ),
        Event::OutcomeUnknown { step, .. } => {
            format!(
                "? {step}: outcome unknown (stepwise or the step's monitor stopped while it ran)"
            )
        }
        Event::StepNotStarted { step, attempt } => {
            format!("↻ {step} (attempt {attempt}) never started before stepwise stopped: run again")
        }
        Event::Interrupted { signal } => format!("received {signal}"),
        Event::SessionAborted { reason } => format!("session aborted: {reason}"),
        Event::AutoChanged { on } => format!("auto mode {}", if *on { "on" } else { "off" }),
        Event::RetryScheduled {
            step,
            attempt,
            of,
            due,
        } => format!(
            "↻ {step}: attempt {attempt} of {of} in {}",
            crate::runbook::duration::countdown((*due - r.at).to_std().unwrap_or_default())
        ),
        Event::RetryCancelled { step, reason } => format!("✗ {step}: retry cancelled: {reason}"),
        Event::HostsLimited { .. }
        | Event::FleetPlanned { .. }
        | Event::HostStarted { .. }
        | Event::HostOutputRecorded { .. }
        | Event::HostExited { .. }
        | Event::BatchWaiting { .. }
        | Event::BatchAnswered { .. }
        | Event::RolloutStopped { .. } => return crate::headless_fleet::describe(&r.event),
        Event::LogCut {
            step,
            attempt,
            kept,
            lost,
            reason,
        } => format!(
            "! {step} (attempt {attempt}): its log was cut at byte {kept} ({reason}); \
             {lost} more bytes were shown above but are kept nowhere"
        ),
        Event::LeftoversEnded {
            step,
            attempt,
            count,
        } => format!(
            "! {step} (attempt {attempt}): {}",
            crate::transcript::leftovers_words(*count)
        ),
        Event::StepReattached {
            step,
            attempt,
            ended_at,
        } => format!(
            "▶ {step} (attempt {attempt}) taken up: {}",
            crate::transcript::timeline::reattached(*attempt, *ended_at)
        ),
        Event::UpdateIntent {
            step,
            status,
            channels,
            text,
            ..
        } => format!(
            "✉ {}: sending ({}) to {}: {}",
            step.as_deref().unwrap_or("update"),
            status.word(),
            channels.join(", "),
            one_line(text)
        ),
        Event::UpdateResult { step, results, .. } => {
            let name = step.as_deref().unwrap_or("update");
            format!("✉ {name}: {}", crate::comms::delivered(results))
        }
        // Said as the error the session ends with (`finish`).
        Event::SessionStopped { .. } => return None,
        Event::SessionCompleted | Event::SessionLeft { .. } | Event::OutputRecorded { .. } => {
            return None;
        }
    })
}

/// A command as one line: the first line, and how many more there are.
fn one_line(command: &str) -> String {
    let mut lines = command.lines().filter(|l| !l.trim().is_empty());
    let first = lines.next().unwrap_or("").trim();
    match lines.count() {
        0 => first.to_owned(),
        1 => format!("{first} … (+1 more line)"),
        n => format!("{first} … (+{n} more lines)"),
    }
}

/// Why a headless run stops before the end, for the record: nobody left,
/// the next decision needed an answer it was not given.
/// `cancelled`: why its last attempt was cancelled, when it was (an
/// interrupt): said as that, not as a failure.
fn stop_reason(step: &str, exit: Exit, cancelled: Option<&str>) -> String {
    match (exit, cancelled) {
        (Exit::Failed, Some(why)) => {
            format!("`{step}` was cancelled ({why}) and no --answer said what to do next")
        }
        (Exit::Failed, None) => format!("`{step}` failed and no --answer said what to do next"),
        (Exit::WaitingForHuman, _) => {
            format!("`{step}` waits for a person's answer, and none was given")
        }
        (other, _) => format!("`{step}`: {}", other.summary_word()),
    }
}

/// A start that an `--answer` gave (the journal says so, not a person).
fn answered(step: String) -> Command {
    Command::StartAnswered {
        step,
        via: ConfirmedVia::Answer,
    }
}

/// A skip or a mark-done that an `--answer` gave.
fn by_answer(cmd: Command) -> Command {
    Command::Answered {
        cmd: Box::new(cmd),
        via: ConfirmedVia::Answer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::process::DISPLAY_LINE_MAX_CHARS;

    /// The driver over a session of one step, `s`, fed by `updates`.
    async fn drive_one_step<W: Write>(out: W, updates: mpsc::Receiver<Update>) -> Exit {
        let runbook = crate::runbook::load_str(
            "t.yaml",
            "runbook: 1\nid: t\ntitle: T\nsections:\n  - title: S\n    steps:\n      - id: s\n        title: s\n        run: \"true\"\n",
        )
        .unwrap();
        let (cmds, _keep) = mpsc::channel(1);
        let answers = Answers {
            yes: false,
            by_step: HashMap::new(),
            ask_stdin: false,
            yes_note: None,
        };
        let clock = std::sync::Arc::new(crate::session::clock::SystemClock);
        drive(
            Session::new(runbook),
            answers,
            out,
            cmds,
            updates,
            clock,
            None,
        )
        .await
    }

    /// `bytes` of stdout from step `s`.
    fn output(bytes: &[u8]) -> Update {
        Update::Output {
            step: "s".into(),
            attempt: 1,
            stream: Stream::Stdout,
            bytes: bytes.to_vec(),
        }
    }

    /// What the driver prints for a step's stdout arriving in `chunks`.
    fn printed(chunks: &[&[u8]]) -> String {
        let (tx, rx) = mpsc::channel(chunks.len() + 1);
        for c in chunks {
            tx.try_send(output(c)).unwrap();
        }
        drop(tx);
        let mut out = Vec::new();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(drive_one_step(&mut out, rx));
        String::from_utf8(out).unwrap()
    }

    /// Holds what is written until it is flushed; `shown` is what was.
    struct Flushed {
        pending: Vec<u8>,
        shown: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    }

    impl Write for Flushed {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.pending.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.shown.lock().unwrap().append(&mut self.pending);
            Ok(())
        }
    }

    /// Output is flushed once no update has come for [`QUIET`], not
    /// before, and with the session still running; while updates keep
    /// coming, [`HOLD_MAX`] after the first held.
    #[tokio::test(start_paused = true)]
    async fn printed_output_shows_once_no_update_has_come_for_a_moment() {
        let (tx, rx) = mpsc::channel(4);
        let shown = std::sync::Arc::default();
        let out = Flushed {
            pending: Vec::new(),
            shown: std::sync::Arc::clone(&shown),
        };
        let driver = tokio::spawn(drive_one_step(out, rx));
        tx.send(output(b"first\n")).await.unwrap();
        tokio::time::sleep(QUIET / 2).await;
        assert!(shown.lock().unwrap().is_empty(), "flushed before the quiet");
        tx.send(output(b"second\n")).await.unwrap();
        tokio::time::sleep(QUIET / 2).await;
        assert!(shown.lock().unwrap().is_empty(), "an update came meanwhile");
        tokio::time::sleep(QUIET).await;
        let text = String::from_utf8(shown.lock().unwrap().clone()).unwrap();
        assert_eq!(text, "    s | first\n    s | second\n");
        // A line every QUIET / 2 never leaves a quiet moment: it is still
        // flushed HOLD_MAX after the first line held.
        shown.lock().unwrap().clear();
        let started = tokio::time::Instant::now();
        while shown.lock().unwrap().is_empty() {
            assert!(started.elapsed() <= HOLD_MAX + QUIET, "held past HOLD_MAX");
            tx.send(output(b"tick\n")).await.unwrap();
            tokio::time::sleep(QUIET / 2).await;
        }
        assert!(started.elapsed() >= HOLD_MAX, "flushed before HOLD_MAX");
        drop(tx);
        driver.await.unwrap();
    }

    /// Plain lines (the fast path), lines that need care, a line longer
    /// than a display line: cut anywhere, the same text is printed.
    #[test]
    fn a_line_split_across_chunks_is_printed_whole_and_the_same() {
        let long = "x".repeat(DISPLAY_LINE_MAX_CHARS + 5);
        let text = format!(
            "one\ntwo\tcols\n\nred \x1b[31mR\x1b[0m\ncaf\u{e9}\nbar 10%\r50%\n{long}\nlast\n"
        );
        let text = text.as_bytes();
        let whole = printed(&[text]);
        let cut = format!(
            "    s | {}… [cut 5 bytes]\n",
            &long[..DISPLAY_LINE_MAX_CHARS]
        );
        assert!(
            whole.starts_with("    s | one\n    s | two\tcols\n    s | \n"),
            "{whole}"
        );
        // Colour sequences are dropped, as `inert` always did.
        assert!(whole.contains("    s | red R\n"), "{whole}");
        assert!(
            whole.contains("    s | caf\u{e9}\n    s | 50%\n"),
            "{whole}"
        );
        assert!(whole.ends_with(&format!("{cut}    s | last\n")), "{whole}");
        // Every cut but those deep inside the long line (a few of those).
        let start = text.len() - "\nlast\n".len() - long.len();
        let inside = start + 10..start + long.len() - 10;
        let cuts = (0..text.len()).filter(|at| !inside.contains(at) || at % 97 == 0);
        for at in cuts {
            assert_eq!(printed(&[&text[..at], &text[at..]]), whole, "cut at {at}");
        }
        let three: Vec<&[u8]> = text.chunks(3).collect();
        assert_eq!(printed(&three), whole);
    }
}
