//! The outcome-unknown prompt (on resume, in the rare case nothing of the
//! attempt can be followed: its monitor is gone without recording an
//! exit). It states what is known (whether processes of the step's group
//! still run, with their pids, and the command to stop them on a line of
//! its own; when output was last written; how long the step ran), the
//! last lines of its output, and the choices: re-run (after a
//! confirmation, and never while the group runs), mark done, or skip.

use super::super::keymap::{self, Context};
use super::super::log::strip_sgr;
use super::super::look::Look;
use super::super::theme;
use super::super::widgets::AboveLog;
use crate::engine::process::survivor::GroupFacts;
use chrono::{DateTime, Utc};
use ratatui::text::Line;

/// The prompt's state: the step, what was found on disk when it opened,
/// and where the operator is in it.
#[derive(Clone, Debug)]
pub struct UnknownPrompt {
    pub step: String,
    pub facts: GroupFacts,
    /// A fleet step: the last lines of its hosts' logs of the attempt
    /// (`[host] line`), read from the session folder when the prompt
    /// opens; empty for another step.
    pub host_lines: Vec<String>,
    /// `r` was pressed while the group runs: refused, said here.
    pub refused: bool,
    /// `r` was pressed with the group gone: "run it again?" is asked.
    pub confirming: bool,
}

impl UnknownPrompt {
    pub fn new(step: String, facts: GroupFacts) -> UnknownPrompt {
        UnknownPrompt {
            step,
            facts,
            host_lines: Vec::new(),
            refused: false,
            confirming: false,
        }
    }

    pub fn context(&self) -> Context {
        if self.confirming {
            Context::YesNo
        } else {
            Context::Unknown
        }
    }

    /// r: re-run, asked first (refused while the group runs); d, s: as
    /// after a failure; in the confirmation, y runs it and n goes back.
    pub fn key(mut self, action: Option<keymap::Action>) -> super::outcome::Outcome<Self> {
        use super::outcome::Outcome;
        use keymap::Action as A;
        if self.confirming {
            return match action {
                Some(A::Accept) => Outcome::Send(vec![crate::engine::command::Command::Start {
                    step: self.step,
                }]),
                Some(A::Dismiss) => {
                    self.confirming = false;
                    Outcome::Keep(self)
                }
                _ => Outcome::Keep(self),
            };
        }
        match action {
            Some(A::Retry) if !self.facts.pids.is_empty() => {
                self.refused = true;
                Outcome::Keep(self)
            }
            Some(A::Retry) => {
                self.confirming = true;
                Outcome::Keep(self)
            }
            other => {
                let facts = self.facts;
                let (refused, confirming) = (self.refused, self.confirming);
                let host_lines = self.host_lines;
                super::failure::key(self.step, other).map(|step| UnknownPrompt {
                    step,
                    facts,
                    host_lines,
                    refused,
                    confirming,
                })
            }
        }
    }
}

/// What is known, in lines: the group, the last output, the time run; for
/// a fleet step, its hosts (each one's real exit was journalled first).
fn fact_lines(look: &Look, p: &UnknownPrompt) -> Vec<Line<'static>> {
    if is_update(look, p) {
        return [
            "stepwise stopped while sending this update: whether each channel got it",
            "is unknown. r sends it again to the channels with no recorded answer, with",
            "the same idempotency key (a channel that got it can drop the copy);",
            "d says it arrived; s skips it.",
        ]
        .into_iter()
        .map(Line::raw)
        .collect();
    }
    if let Some(st) = look.session.step(&p.step).filter(|s| s.fleet.is_fleet()) {
        use crate::session::fleet::HostStatus;
        let unsure = st.fleet.count(HostStatus::Unknown) + st.fleet.count(HostStatus::Running);
        let first = match unsure {
            0 => "stepwise stopped during this fleet step, before its rollout reached every host; each started host's exit is recorded.".to_owned(),
            n => format!("stepwise stopped during this fleet step; {n} host(s) have no known exit (their monitors are gone)."),
        };
        let mut lines = vec![Line::raw(first)];
        let summary = super::fleet_failure::summary(&st.fleet);
        lines.extend(summary.into_iter().map(Line::raw));
        return lines;
    }
    let mut lines = vec![Line::raw(
        "Its monitor is gone and recorded no exit (it was killed, or a reboot).",
    )];
    match (p.facts.pgid, p.facts.pids.as_slice()) {
        (Some(pgid), pids) if !pids.is_empty() => {
            let pids: Vec<String> = pids.iter().map(i32::to_string).collect();
            lines.push(Line::styled(
                format!(
                    "Still running: process group {pgid} (pids {}).",
                    pids.join(", ")
                ),
                theme::bold(),
            ));
            lines.push(Line::raw("It is not re-run while it runs. Stop it with:"));
            lines.push(Line::styled(
                format!("  kill -TERM -- -{pgid}"),
                theme::bold(),
            ));
        }
        _ => lines.push(Line::raw(
            "No process of it runs any more: it finished, failed or was killed.",
        )),
    }
    let attempt = look.session.step(&p.step).and_then(|s| s.attempts.last());
    let last: Option<DateTime<Utc>> = p.facts.last_output.map(DateTime::<Utc>::from);
    if let Some(a) = attempt {
        let began = a.started_at.format("%H:%M:%S UTC");
        let line = match last.filter(|l| *l >= a.started_at) {
            Some(l) => format!(
                "Began {began}; output last written {} (it ran at least {}).",
                l.format("%H:%M:%S UTC"),
                crate::runbook::duration::format((l - a.started_at).to_std().unwrap_or_default())
            ),
            None if a.stdout_bytes + a.stderr_bytes > 0 => {
                format!("Began {began}; when its output was last written is not known.")
            }
            None => format!("Began {began}; no output was written."),
        };
        lines.push(Line::raw(line));
    }
    lines
}

/// Whether the prompt is about an update step (its delivery unknown).
fn is_update(look: &Look, p: &UnknownPrompt) -> bool {
    look.session
        .runbook
        .step(&p.step)
        .is_some_and(|d| d.is_update())
}

/// The last lines of the attempt's output, dimmed.
fn last_output(look: &Look, p: &UnknownPrompt) -> Vec<Line<'static>> {
    let mut lines = vec![Line::raw("Last output:")];
    let attempt = look
        .session
        .step(&p.step)
        .and_then(|s| s.attempts.last())
        .map(|a| a.number);
    let tail = attempt
        .and_then(|n| look.logs.get(&p.step, n))
        .map(|l| l.tail(5))
        .unwrap_or_default();
    if tail.is_empty() && !p.host_lines.is_empty() {
        let skip = p.host_lines.len().saturating_sub(5);
        lines.extend(
            p.host_lines[skip..]
                .iter()
                .map(|l| Line::styled(format!("  {l}"), theme::dim())),
        );
        return lines;
    }
    if tail.is_empty() {
        lines.push(Line::styled(
            "  (none recorded; the full log is in the session folder's output/)",
            theme::dim(),
        ));
    }
    lines.extend(
        tail.iter()
            .map(|l| Line::styled(format!("  {}", strip_sgr(&l.text)), theme::dim())),
    );
    lines
}

/// The question, drawn above the log pane (see [`AboveLog`]).
pub fn dialog(look: &Look, p: &UnknownPrompt) -> Option<AboveLog<'static>> {
    let title = look.title_of(&p.step);
    let mut lines = vec![Line::styled(format!("? {title}"), theme::bold())];
    lines.extend(fact_lines(look, p));
    // An update has no output of its own to show.
    if !is_update(look, p) {
        lines.extend(last_output(look, p));
    }
    lines.push(Line::raw(""));
    if p.refused {
        lines.push(Line::styled(
            "Not re-run: it still runs. Stop it with the command above first.",
            theme::bold(),
        ));
    }
    let keys_at = lines.len();
    if p.confirming {
        let question = match is_update(look, p) {
            true => "Send it again? A channel may already have it.",
            false => "Run it again? It may already have done its work.",
        };
        lines.push(Line::styled(question, theme::bold()));
        lines.push(Line::styled(
            keymap::footer(Context::YesNo, &[]),
            theme::bold(),
        ));
    } else {
        lines.extend(super::failure::choices(Context::Unknown));
    }
    Some(AboveLog {
        width: 76,
        title: "Outcome unknown",
        keys: lines.len() - keys_at,
        lines,
    })
}
